import Foundation
import Testing
import WarmthData
import WarmthDomain
import WarmthLedger
import WarmthStore

/// The same test body runs against an in-memory store and a temporary file.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, file
    var testDescription: String { rawValue }

    func make(_ folder: TempFolder) throws -> Store {
        switch self {
        case .memory: try Store.inMemory()
        case .file: try Store(path: (folder.path as NSString).appendingPathComponent("warmth.sqlite"))
        }
    }
}

func seed(_ store: Store) throws -> (campaign: Campaign, households: [Household]) {
    try store.upsertUnits([
        UnionUnit(code: "C00", name: "示范市总工会", kind: .federation, parentCode: nil),
        UnionUnit(code: "E01", name: "钢铁集团工会", kind: .enterprise, parentCode: "C00"),
        UnionUnit(code: "S01", name: "第一中学工会", kind: .school, parentCode: "C00"),
    ])
    let people = [
        Household(idNumber: idNumber("19800101", 1), name: "张三", unitCode: "E01", members: 3, incomePerCapita: Money(yuan: 800)),
        Household(idNumber: idNumber("19800101", 2), name: "李四", unitCode: "S01", members: 2, incomePerCapita: Money(yuan: 900)),
    ]
    _ = try store.writeHouseholds(people, update: false)
    let campaign = try store.createCampaign(Campaign(name: "2026春节", unitCode: "C00", start: Day("2025-12-20")!, end: Day("2026-02-10")!,
                                                     budget: Money(yuan: 10_000), funds: [.init(source: "上级拨付", amount: Money(yuan: 10_000))]))
    return (campaign, try store.households())
}

/// Commit through the ledger core, as `warmth run --commit` does.
extension Store {
    @discardableResult
    func commitRun(_ run: RunRecord, payouts: [Payout]) throws -> Int64 {
        try CampaignLedger(storage: self).commit(CommitProposal(run: run, payouts: payouts, within: "scripts/city/policy.lua", actor: "test")).runID ?? -1
    }
}

func run(_ campaign: Campaign, unit: String, total: Money) -> RunRecord {
    RunRecord(campaignID: campaign.id!, unitCode: unit, policyPath: "scripts/x/policy.lua", policySHA256: String(repeating: "0", count: 64),
              modules: "", params: "{}", dataFingerprint: "f", householdsConsidered: 2, total: total, createdAt: Date(timeIntervalSince1970: 0))
}

@Suite struct StoreTests {
    @Test("the schema is created once and opening again is idempotent", arguments: StoreKind.allCases)
    func migrations(kind: StoreKind) throws {
        let folder = TempFolder()
        let store = try kind.make(folder)
        #expect(try store.appliedMigrations().count == 3)
        if kind == .file {
            let again = try Store(path: store.path)
            #expect(try again.appliedMigrations().count == 3)
        }
    }

    @Test("campaigns keep their funding sources in order; a second campaign of the same name is refused", arguments: StoreKind.allCases)
    func campaigns(kind: StoreKind) throws {
        let folder = TempFolder()
        let store = try kind.make(folder)
        let (campaign, _) = try seed(store)
        #expect(try store.campaign(named: "2026春节") == campaign)
        #expect(throws: StoreError.self) { try store.createCampaign(campaign) }
    }

    @Test("scenarios are kept per campaign and policy, replaced by name, and never touch the ledger", arguments: StoreKind.allCases)
    func scenarios(kind: StoreKind) throws {
        let folder = TempFolder()
        let store = try kind.make(folder)
        let (campaign, _) = try seed(store)
        let sha = String(repeating: "a", count: 64)
        let a = SavedScenario(name: "标准500", policyPath: "scripts/city/policy.lua", policySHA256: sha, paramsJSON: #"{"registered":50000}"#,
                              budget: Money(yuan: 90_000), note: "压缩", savedBy: "李", savedAt: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(try store.saveScenario(a, campaignID: campaign.id!) == false)
        var b = a
        b.paramsJSON = #"{"registered":45000}"#
        b.budget = nil
        #expect(try store.saveScenario(b, campaignID: campaign.id!) == true, "the same name replaces")
        var other = a
        other.name = "另一个"
        other.policyPath = "scripts/district/policy.lua"
        try store.saveScenario(other, campaignID: campaign.id!)
        #expect(try store.scenarios(campaignID: campaign.id!, policyPath: "scripts/city/policy.lua") == [b])
        #expect(try store.scenarios(campaignID: campaign.id!, policyPath: "scripts/district/policy.lua").map(\.name) == ["另一个"])
        var broken = a
        broken.paramsJSON = "[1, 2]"
        #expect(throws: StoreError.self) { try store.saveScenario(broken, campaignID: campaign.id!) }
        #expect(try store.committedTotal(campaignID: campaign.id!) == .zero)
    }

    @Test("the store itself keeps one payout per household per campaign, across units", arguments: StoreKind.allCases)
    func payoutUniqueness(kind: StoreKind) throws {
        let folder = TempFolder()
        let store = try kind.make(folder)
        let (campaign, households) = try seed(store)
        let pay = { (h: Household) in
            Payout(householdID: h.id!, amount: Money(yuan: 600), kind: .cash, category: "在档困难职工", reason: "r", rule: "x.lua:1")
        }
        _ = try store.commitRun(run(campaign, unit: "E01", total: Money(yuan: 600)), payouts: [pay(households[0])])
        // Another unit proposing the same household, next to a new one: nothing of that run is written.
        #expect(throws: LedgerError.self) {
            _ = try store.commitRun(run(campaign, unit: "S01", total: Money(yuan: 1200)), payouts: [pay(households[1]), pay(households[0])])
        }
        #expect(try store.ledger(campaignID: campaign.id!).count == 1)
        #expect(try store.runs(campaignID: campaign.id!).count == 1, "the failed run left no record")
        // Even raw SQL cannot add a second active payout for the household: its planned event is refused.
        #expect(throws: (any Error).self) {
            try store.executeForTesting("""
                INSERT INTO payouts (campaign_id, household_id, run_id, unit_code, amount_fen, cash_fen, goods_fen, kind, category, reason, rule)
                    VALUES (\(campaign.id!), \(households[0].id!), 1, 'S01', 100, 100, 0, 'cash', 'c', 'r', 'x');
                INSERT INTO payout_events (payout_id, event, at) VALUES (last_insert_rowid(), 'planned', 't')
                """)
        }
        #expect(try store.paidHouseholds(campaignID: campaign.id!) == [households[0].id!])
    }

    @Test("the ledger is append-only: payouts cannot be updated or deleted", arguments: StoreKind.allCases)
    func appendOnly(kind: StoreKind) throws {
        let folder = TempFolder()
        let store = try kind.make(folder)
        let (campaign, households) = try seed(store)
        _ = try store.commitRun(run(campaign, unit: "E01", total: Money(yuan: 600)), payouts: [
            Payout(householdID: households[0].id!, amount: Money(yuan: 600), kind: .cash, category: "c", reason: "r", rule: "x.lua:1"),
        ])
        #expect(throws: (any Error).self) { try store.executeForTesting("UPDATE payouts SET amount_fen = 1") }
        #expect(throws: (any Error).self) { try store.executeForTesting("DELETE FROM payouts") }
        #expect(throws: (any Error).self) { try store.executeForTesting("DELETE FROM payout_events") }
        #expect(throws: (any Error).self) { try store.executeForTesting("UPDATE runs SET total_fen = 0") }
        let entry = try #require(try store.ledger(campaignID: campaign.id!).first)
        #expect(entry.payout.amount == Money(yuan: 600))
        #expect(entry.status == .planned)
    }

    @Test("a fractional or negative amount cannot enter the ledger")
    func amountsAreWholeFen() throws {
        let folder = TempFolder()
        let store = try StoreKind.memory.make(folder)
        let (campaign, households) = try seed(store)
        #expect(throws: (any Error).self) {
            _ = try store.commitRun(run(campaign, unit: "E01", total: Money(fen: -1)), payouts: [
                Payout(householdID: households[0].id!, amount: Money(fen: -1), kind: .cash, category: "c", reason: "r", rule: "x"),
            ])
        }
        #expect(throws: (any Error).self) {
            try store.executeForTesting("INSERT INTO runs (campaign_id, unit_code, policy_path, policy_sha256, modules, params, data_fingerprint, households_considered, total_fen, created_at) VALUES (\(campaign.id!), 'E01', 'p', 's', '', '{}', 'f', 0, 0, 't'); INSERT INTO payouts (campaign_id, household_id, run_id, unit_code, amount_fen, cash_fen, goods_fen, kind, category, reason, rule) VALUES (\(campaign.id!), \(households[1].id!), last_insert_rowid(), 'E01', 1.5, 1.5, 0, 'cash', 'c', 'r', 'x')")
        }
    }
}

@Suite struct DemoCityTests {
    @Test("the same seed builds the same city; every ID and card number is valid and IDs are unique")
    func deterministic() throws {
        let a = Array(DemoCity(households: 3_000, seed: 7).makeHouseholds())
        let b = Array(DemoCity(households: 3_000, seed: 7).makeHouseholds())
        let c = Array(DemoCity(households: 3_000, seed: 8).makeHouseholds())
        #expect(a == b)
        #expect(a != c)
        #expect(Set(a.map(\.idNumber)).count == a.count)
        #expect(a.allSatisfy { IDNumber.problem($0.idNumber) == nil })
        #expect(a.allSatisfy { BankCard.problem($0.bankCard!) == nil })
        let registered = a.filter { $0.categoryNames.contains("在档困难职工") }.count
        #expect((200...450).contains(registered), "about one household in nine is registered needy: \(registered)")
    }

    @Test("IDs stay unique across a large city", arguments: [200_000])
    func uniqueAtScale(n: Int) {
        var seen = Set<String>()
        for h in DemoCity(households: n).makeHouseholds() { seen.insert(h.idNumber) }
        #expect(seen.count == n)
    }

    @Test("the demo city's CSV files import back into an equal store")
    func csvRoundTrip() throws {
        let folder = TempFolder()
        let city = DemoCity(households: 500, seed: 3)
        let files = try city.writeCSV(folder: folder.path)
        let imported = try Store.inMemory()
        _ = try Importer(store: imported).importUnits(file: files.units)
        let report = try Importer(store: imported).importHouseholds(file: files.households)
        #expect(report.counts.inserted == 500)
        let direct = try Store.inMemory()
        _ = try city.write(to: direct, replace: false)
        #expect(try imported.households().map { var h = $0; h.id = nil; return h } == direct.households().map { var h = $0; h.id = nil; return h })
    }
}

@Suite struct HouseholdTableTests {
    @Test("the run loader reads the same households as the record loader, from memory and from a file in parallel shards")
    func fastLoaderAgrees() throws {
        let folder = TempFolder()
        let file = try Store(path: (folder.path as NSString).appendingPathComponent("t.sqlite"))
        _ = try DemoCity(households: 60_000, seed: 5).write(to: file, replace: false)
        let slow = HouseholdTable(try file.households())
        let fast = try file.householdTable(shards: 2)
        #expect(fast.count == 60_000)
        #expect(fast == slow)
        #expect(fast.fingerprint == slow.fingerprint)
        let units = try file.subtree(of: "D02")
        #expect(try file.householdTable(units: units) == HouseholdTable(try file.households(units: units)))
        let memory = try Store.inMemory()
        _ = try DemoCity(households: 300, seed: 5).write(to: memory, replace: false)
        #expect(try memory.householdTable() == HouseholdTable(try memory.households()))
        let one = try memory.householdTable()
        var record = (try memory.households())[7]
        (record.bankCard, record.phone, record.address, record.secondaryCauses) = (nil, nil, nil, [])
        #expect(one.household(at: 7) == record, "everything a script sees, and nothing it does not (card, phone, address)")
    }
}
