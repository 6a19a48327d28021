import Foundation
import Testing
import WarmthDomain
import WarmthLedger
import WarmthStore

/// A valid 18-digit ID number (GB 11643 check digit) for test households.
func idNumber(_ serial: Int) -> String {
    let body = "340503" + "19800101" + String(format: "%03d", serial % 1000)
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
    return body + String(Array("10X98765432")[sum % 11])
}

func tempPath() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-ledger-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("warmth.sqlite").path
}

/// A city with two districts, `perDistrict` households in each, and a campaign.
struct Fixture {
    let store: Store
    let campaign: Campaign
    let households: [Household]
    var ledger: CampaignLedger { CampaignLedger(storage: store) }

    init(path: String? = nil, perDistrict: Int = 3, budget: Money = Money(yuan: 10_000)) throws {
        store = try path.map { try Store(path: $0) } ?? Store.inMemory()
        try store.upsertUnits([
            UnionUnit(code: "C00", name: "市总工会", kind: .federation, parentCode: nil),
            UnionUnit(code: "D01", name: "一区工会", kind: .district, parentCode: "C00"),
            UnionUnit(code: "D02", name: "二区工会", kind: .district, parentCode: "C00"),
        ])
        var people: [Household] = []
        for d in 0..<2 {
            for i in 0..<perDistrict {
                people.append(Household(idNumber: idNumber(d * perDistrict + i + 1), name: "户\(d)\(i)", unitCode: d == 0 ? "D01" : "D02",
                                        members: 2, incomePerCapita: Money(yuan: 500)))
            }
        }
        _ = try store.writeHouseholds(people, update: false)
        campaign = try store.createCampaign(Campaign(name: "2026春节", unitCode: "C00", start: Day("2025-12-20")!, end: Day("2026-02-10")!,
                                                     budget: budget, funds: [.init(source: "上级拨付", amount: budget)]))
        households = try store.households()
    }

    func pay(_ h: Household, _ yuan: Int64 = 600, category: String = "特困职工家庭") -> Payout {
        Payout(householdID: h.id!, amount: Money(yuan: yuan), kind: .cash, category: category, reason: "建档在册", rule: "scripts/city/policy.lua:9")
    }

    func proposal(unit: String, _ payouts: [Payout]) -> CommitProposal {
        CommitProposal(run: RunRecord(campaignID: campaign.id!, unitCode: unit, policyPath: "scripts/x/policy.lua", policySHA256: String(repeating: "0", count: 64),
                                      modules: "", params: "{}", dataFingerprint: "f", householdsConsidered: payouts.count, total: .zero, createdAt: Date()),
                       payouts: payouts, within: unit == "C00" ? nil : "scripts/city/policy.lua", actor: "测试")
    }

    func status(of h: Household) throws -> PayoutStatus? {
        try store.ledger(campaignID: campaign.id!).last { $0.payout.householdID == h.id! }?.status
    }
}

let clerk = Operator("张敏")

@Suite struct LifecycleTests {
    @Test("the store's table of legal moves is the domain's state machine, pair for pair")
    func storeAgreesWithDomain() throws {
        let f = try Fixture()
        let froms: [PayoutStatus?] = [nil] + PayoutStatus.allCases
        for from in froms {
            for to in PayoutStatus.allCases {
                let n = try f.store.scalarForTesting("SELECT count(*) FROM payout_transitions WHERE from_status = '\(from?.rawValue ?? "")' AND to_status = '\(to.rawValue)'")
                #expect((n == 1) == PayoutStatus.canMove(from: from, to: to), "\(from?.rawValue ?? "new") → \(to.rawValue)")
            }
        }
    }

    @Test("every legal move is recorded with who and why; every illegal one is refused naming the current state")
    func everyMove() throws {
        let f = try Fixture(perDistrict: 1)
        // Walk each status to every target through the ledger; a fresh household per attempt.
        let paths: [PayoutStatus: [PayoutStatus]] = [
            .planned: [], .approved: [.approved], .paid: [.approved, .paid], .signed: [.approved, .paid, .signed],
            .cancelled: [.cancelled], .reversed: [.approved, .paid, .reversed], .failed: [.approved, .failed],
        ]
        var legal = 0, refused = 0
        for from in PayoutStatus.allCases {
            for to in PayoutStatus.allCases where to != .planned {
                let g = try Fixture(perDistrict: 1)
                try g.ledger.setPhase(campaignID: g.campaign.id!, to: .funding, by: clerk)
                let h = g.households[0]
                _ = try g.ledger.commit(g.proposal(unit: "C00", [g.pay(h)]))
                let q = PayoutQuery(campaignID: g.campaign.id!, householdIDs: [h.id!])
                for step in paths[from]! { try g.ledger.move(q, to: step, by: clerk, reason: "理由") }
                #expect(try g.status(of: h) == from)
                if PayoutStatus.canMove(from: from, to: to) {
                    try g.ledger.move(q, to: to, by: clerk, reason: "理由")
                    #expect(try g.status(of: h) == to)
                    let payoutID = try g.store.ledger(campaignID: g.campaign.id!)[0].id
                    let events = try g.store.readLedger { try $0.events(payoutID: payoutID) }
                    #expect(events.last?.actor == "张敏" && events.last?.status == to)
                    legal += 1
                } else {
                    let error = #expect(throws: LedgerError.self) { try g.ledger.move(q, to: to, by: clerk, reason: "理由") }
                    #expect(error?.code == .illegalMove)
                    #expect(error?.zh.contains(from.chinese) == true, "the message names the current state: \(error?.zh ?? "")")
                    #expect(try g.status(of: h) == from, "nothing was written")
                    refused += 1
                }
            }
        }
        #expect(legal == 11 - 1 && refused == 7 * 6 - 10)
        _ = f
    }

    @Test("the store itself refuses an illegal move written as raw SQL")
    func storeRefusesIllegalMove() throws {
        let f = try Fixture(perDistrict: 1)
        _ = try f.ledger.commit(f.proposal(unit: "C00", [f.pay(f.households[0])]))
        let id = try f.store.ledger(campaignID: f.campaign.id!)[0].id
        #expect(throws: (any Error).self) { try f.store.executeForTesting("INSERT INTO payout_events (payout_id, event, at) VALUES (\(id), 'signed', 't')") }
        #expect(throws: (any Error).self) { try f.store.executeForTesting("UPDATE payout_events SET event = 'paid'") }
        // The status projection cannot be edited past the events, nor written with a payout's figures changed.
        #expect(throws: (any Error).self) { try f.store.executeForTesting("UPDATE payout_state SET status = 'paid'") }
        #expect(throws: (any Error).self) { try f.store.executeForTesting("UPDATE payout_state SET active = 0") }
        #expect(throws: (any Error).self) { try f.store.executeForTesting("UPDATE payout_state SET amount_fen = 1") }
        #expect(throws: (any Error).self) { try f.store.executeForTesting("DELETE FROM payout_state") }
        #expect(try f.status(of: f.households[0]) == .planned)
    }

    @Test("cancelling and reversing need a reason and an operator; paying needs the funding phase")
    func reasonsOperatorsPhases() throws {
        let f = try Fixture(perDistrict: 1)
        _ = try f.ledger.commit(f.proposal(unit: "C00", [f.pay(f.households[0])]))
        let q = PayoutQuery(campaignID: f.campaign.id!)
        #expect((#expect(throws: LedgerError.self) { try f.ledger.move(q, to: .cancelled, by: clerk, reason: nil) })?.code == .noReason)
        #expect((#expect(throws: LedgerError.self) { try f.ledger.move(q, to: .approved, by: nil, reason: nil) })?.code == .noOperator)
        try f.ledger.move(q, to: .approved, by: clerk, reason: nil)
        #expect((#expect(throws: LedgerError.self) { try f.ledger.move(q, to: .paid, by: clerk, reason: nil) })?.code == .phase)
        try f.ledger.setPhase(campaignID: f.campaign.id!, to: .funding, by: clerk)
        try f.ledger.move(q, to: .paid, by: clerk, reason: nil, method: .cash)
        #expect(try f.store.readLedger { try $0.events(payoutID: 1) }.last?.method == .cash)
        #expect((#expect(throws: LedgerError.self) { try f.ledger.setPhase(campaignID: f.campaign.id!, to: .preparation, by: clerk) })?.code == .backwards)
        try f.ledger.setPhase(campaignID: f.campaign.id!, to: .review, by: clerk)
        #expect((#expect(throws: LedgerError.self) { _ = try f.ledger.commit(f.proposal(unit: "C00", [f.pay(f.households[1])])) })?.code == .phase)
        #expect(try f.store.campaign(named: "2026春节")?.phase == .review)
        #expect(try f.store.readLedger { try $0.campaignEvents(campaignID: f.campaign.id!) }.map(\.kind) == [.created, .phase, .phase])
    }
}

@Suite struct CommitRuleTests {
    @Test("a cancelled household is paid again by a later run; the budget counts active payouts only")
    func cancelledPaidAgain() throws {
        let f = try Fixture(perDistrict: 2, budget: Money(yuan: 1_200))
        let h = f.households[0]
        _ = try f.ledger.commit(f.proposal(unit: "C00", [f.pay(h), f.pay(f.households[1])]))
        #expect((#expect(throws: LedgerError.self) { _ = try f.ledger.commit(f.proposal(unit: "C00", [f.pay(f.households[2])])) })?.code == .overBudget)
        try f.ledger.move(PayoutQuery(campaignID: f.campaign.id!, householdIDs: [h.id!]), to: .cancelled, by: clerk, reason: "当场取消: 实际情况与上报不符")
        #expect(try f.store.committedTotal(campaignID: f.campaign.id!) == Money(yuan: 600))
        #expect(try f.store.paidHouseholds(campaignID: f.campaign.id!) == [f.households[1].id!])
        let again = try f.ledger.commit(f.proposal(unit: "C00", [f.pay(h, 500)]))
        #expect(again.count == 1 && again.budgetLeft == Money(yuan: 100))
        let mine = try f.store.ledger(campaignID: f.campaign.id!).filter { $0.payout.householdID == h.id! }
        #expect(mine.map(\.status) == [.cancelled, .planned])
        // The household now has an active payout again: a third is refused (不重).
        #expect((#expect(throws: LedgerError.self) { _ = try f.ledger.commit(f.proposal(unit: "C00", [f.pay(h, 1)])) })?.code == .alreadyPaid)
    }

    @Test("a plan that pays nobody writes no run record")
    func zeroPayouts() throws {
        let f = try Fixture()
        let receipt = try f.ledger.commit(f.proposal(unit: "C00", []))
        #expect(receipt.runID == nil)
        #expect(try f.store.runs(campaignID: f.campaign.id!).isEmpty)
    }

    @Test("scope: a unit pays only its subtree, and below the organiser only within its policy")
    func scope() throws {
        let f = try Fixture()
        let d2 = f.households.first { $0.unitCode == "D02" }!
        #expect((#expect(throws: LedgerError.self) { _ = try f.ledger.commit(f.proposal(unit: "D01", [f.pay(d2)])) })?.code == .outsideUnit)
        var p = f.proposal(unit: "D01", [f.pay(f.households[0])])
        p.within = nil
        #expect((#expect(throws: LedgerError.self) { _ = try f.ledger.commit(p) })?.code == .notWithin)
        #expect(try f.store.ledger(campaignID: f.campaign.id!).isEmpty)
    }

    @Test("funding sources: a category charged to a source cannot take it past its amount")
    func sources() throws {
        let f = try Fixture(budget: Money(yuan: 10_000))
        _ = try f.ledger.edit(campaignID: f.campaign.id!, budget: nil, funds: [.init(source: "上级拨付", amount: Money(yuan: 9_000)), .init(source: "自筹", amount: Money(yuan: 1_000))], by: clerk)
        var p = f.proposal(unit: "C00", [f.pay(f.households[0]), f.pay(f.households[1])])
        p.fundingByCategory = ["特困职工家庭": "自筹"]
        #expect((#expect(throws: LedgerError.self) { _ = try f.ledger.commit(p) })?.code == .sourceOver)
        p.payouts.removeLast()
        _ = try f.ledger.commit(p)
        let check = try LedgerCheck.run(on: f.store, campaignID: f.campaign.id!)
        #expect(check.sources.map(\.charged) == [.zero, Money(yuan: 600)])
        #expect(LedgerCheck.split(Money(fen: 100), over: [.init(source: "a", amount: Money(fen: 1)), .init(source: "b", amount: Money(fen: 2))]) == [Money(fen: 33), Money(fen: 67)])
        #expect((#expect(throws: LedgerError.self) { _ = try f.ledger.edit(campaignID: f.campaign.id!, budget: Money(yuan: 100), funds: [], by: clerk) })?.code == .budgetBelowLedger)
    }

    @Test("a source's share of what is charged in proportion counts: naming it cannot take it past its amount")
    func proportionalShareCounts() throws {
        let f = try Fixture(perDistrict: 2, budget: Money(yuan: 2_000))
        _ = try f.ledger.edit(campaignID: f.campaign.id!, budget: nil, funds: [.init(source: "上级拨付", amount: Money(yuan: 1_000)),
                                                                               .init(source: "自筹", amount: Money(yuan: 1_000))], by: clerk)
        // ¥1,200 charged in proportion: ¥600 of it falls on 自筹.
        _ = try f.ledger.commit(f.proposal(unit: "C00", [f.pay(f.households[0]), f.pay(f.households[1])]))
        var p = f.proposal(unit: "C00", [f.pay(f.households[2])])
        p.fundingByCategory = ["特困职工家庭": "自筹"]
        #expect((#expect(throws: LedgerError.self) { _ = try f.ledger.commit(p) })?.code == .sourceOver, "600 + 600 > 1,000 on 自筹")
        #expect((#expect(throws: LedgerError.self) {
            _ = try f.ledger.edit(campaignID: f.campaign.id!, budget: nil, funds: [.init(source: "自筹", amount: Money(yuan: 100))], by: clerk)
        })?.code == .sourceOver, "the sources could no longer hold the ¥1,200 charged in proportion")
        // A source named by hand on a campaign without sources is refused, not lost.
        let g = try Fixture(perDistrict: 1)
        _ = try g.ledger.edit(campaignID: g.campaign.id!, budget: nil, funds: [], by: clerk)
        try g.store.executeForTesting("DELETE FROM campaign_funds")
        #expect((#expect(throws: LedgerError.self) {
            try g.ledger.add(g.pay(g.households[0]), campaignID: g.campaign.id!, unitCode: "D01", caps: nil, source: "自筹", by: clerk)
        })?.code == .unknownSource)
    }

    @Test("补发: checked against the caps, the budget and 不重, and marked as added by hand")
    func addByHand() throws {
        let f = try Fixture(perDistrict: 2, budget: Money(yuan: 1_000))
        let caps = HandCaps(perHousehold: Money(yuan: 800), perCategory: ["特困职工家庭": Money(yuan: 600)], source: "scripts/city/policy.lua")
        let c = f.campaign.id!
        #expect((#expect(throws: LedgerError.self) { try f.ledger.add(f.pay(f.households[0], 700), campaignID: c, unitCode: "D01", caps: caps, source: nil, by: clerk) })?.code == .overCap)
        try f.ledger.add(f.pay(f.households[0], 600), campaignID: c, unitCode: "D01", caps: caps, source: nil, by: clerk)
        #expect((#expect(throws: LedgerError.self) { try f.ledger.add(f.pay(f.households[0], 100), campaignID: c, unitCode: "D01", caps: caps, source: nil, by: clerk) })?.code == .alreadyPaid)
        #expect((#expect(throws: LedgerError.self) { try f.ledger.add(f.pay(f.households[1], 600), campaignID: c, unitCode: "D01", caps: caps, source: nil, by: clerk) })?.code == .overBudget)
        let d2 = f.households.first { $0.unitCode == "D02" }!
        #expect((#expect(throws: LedgerError.self) { try f.ledger.add(f.pay(d2, 100), campaignID: c, unitCode: "D01", caps: caps, source: nil, by: clerk) })?.code == .outsideUnit)
        let entry = try #require(try f.store.ledger(campaignID: c).first)
        #expect(entry.byHand && entry.runID == nil && entry.status == .planned)
    }

    @Test("commits racing on one store from several connections never pass the budget or pay a household twice")
    func racingConnections() throws {
        let path = tempPath()
        let f = try Fixture(path: path, perDistrict: 40, budget: Money(yuan: 30_000))
        let d1 = f.households.filter { $0.unitCode == "D01" }, d2 = f.households.filter { $0.unitCode == "D02" }
        // Each district's plan fits the budget alone (40 × 600 = 24,000); together they do not.
        // The city's plan overlaps both.
        let plans = [f.proposal(unit: "D01", d1.map { f.pay($0) }), f.proposal(unit: "D02", d2.map { f.pay($0) }),
                     f.proposal(unit: "C00", (d1.prefix(5) + d2.prefix(5)).map { f.pay($0, 100) })]
        let outcomes = Outcomes()
        DispatchQueue.concurrentPerform(iterations: plans.count) { i in
            do {
                let store = try Store(path: path)
                _ = try CampaignLedger(storage: store).commit(plans[i])
                outcomes.add("ok")
            } catch let e as LedgerError {
                outcomes.add(e.code.rawValue)
            } catch {
                outcomes.add("other: \(error)")
            }
        }
        let total = try f.store.committedTotal(campaignID: f.campaign.id!)
        #expect(total <= f.campaign.budget)
        let ledger = try f.store.ledger(campaignID: f.campaign.id!)
        #expect(Set(ledger.map(\.payout.householdID)).count == ledger.count, "no household paid twice")
        #expect(outcomes.all.filter { $0 == "ok" }.count >= 1)
        #expect(outcomes.all.allSatisfy { ["ok", "overBudget", "alreadyPaid"].contains($0) }, "\(outcomes.all)")
        #expect(try f.store.integrityCheck() == "ok")
    }
}

final class Outcomes: @unchecked Sendable {
    private var list: [String] = []
    private let lock = NSLock()
    func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return list }
}

@Suite struct SchemaV2Tests {
    @Test("an unknown file status is refused by the store itself; a changed household keeps its earlier version")
    func vocabularyAndHistory() throws {
        let f = try Fixture(perDistrict: 1)
        #expect(throws: (any Error).self) { try f.store.executeForTesting("UPDATE households SET file_status = '在档' WHERE id = 1") }
        #expect(throws: (any Error).self) { try f.store.executeForTesting("UPDATE households SET categories = \(Int64(1) << 40) WHERE id = 1") }
        try f.store.executeForTesting("UPDATE households SET file_status = '注销' WHERE id = 1")
        #expect(try f.store.scalarForTesting("SELECT count(*) FROM household_history WHERE household_id = 1 AND file_status = '正式'") == 1)
        #expect(throws: (any Error).self) { try f.store.executeForTesting("UPDATE household_history SET name = 'x'") }
        #expect(throws: (any Error).self) { try f.store.executeForTesting("DELETE FROM household_history") }
        // The legal moves are fixed, and a campaign cannot hold an unknown phase.
        #expect(throws: (any Error).self) { try f.store.executeForTesting("INSERT INTO payout_transitions VALUES ('cancelled', 'approved')") }
        #expect(throws: (any Error).self) { try f.store.executeForTesting("DELETE FROM payout_transitions") }
        #expect(throws: (any Error).self) {
            try f.store.executeForTesting("INSERT INTO campaigns (name, unit_code, start_date, end_date, phase, budget_fen, created_at) VALUES ('x', 'C00', '2026-01-01', '2026-02-01', '进行中', 0, 't')")
        }
    }

    @Test("the v2 vocabulary checks were frozen from the vocabularies as they stood; a later word needs a new migration")
    func frozenVocabulary() {
        #expect(Vocabulary.fileStatuses == ["正式", "临时救助", "注销", "脱困"])
        #expect(Vocabulary.categories.count == 17 && Vocabulary.causes.count == 10)
    }

    @Test("a store written by a newer Warmth is refused for writing, naming both versions, and can still be read")
    func newerSchema() throws {
        let path = tempPath()
        let f = try Fixture(path: path)
        try f.store.executeForTesting("INSERT INTO grdb_migrations VALUES ('v9: from the future')")
        let error = #expect(throws: StoreError.self) { _ = try Store(path: path) }
        #expect(error?.message.contains("v9: from the future") == true && error?.message.contains("2") == true)
        let reader = try Store(path: path, readOnly: true)
        #expect(try reader.campaign(named: "2026春节") != nil)
        #expect((#expect(throws: StoreError.self) { try reader.writeLedger { _ in } })?.code == .readOnly)
    }

    @Test("a read-only store file can be listed and reported")
    func readOnlyFile() throws {
        let path = tempPath()
        let f = try Fixture(path: path)
        _ = try f.ledger.commit(f.proposal(unit: "C00", [f.pay(f.households[0])]))
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path) }
        let reader = try Store(path: path, readOnly: true)
        #expect(try reader.ledger(campaignID: f.campaign.id!).count == 1)
        #expect(try reader.readLedger { try $0.totals(campaignID: f.campaign.id!) }.first?.amount == Money(yuan: 600))
    }
}
