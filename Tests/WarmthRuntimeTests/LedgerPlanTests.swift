import Foundation
import Testing
import WarmthData
import WarmthDomain
import WarmthLedger
import WarmthRuntime
import WarmthStore

/// Plans as the ledger receives them: items, funding sources, and the lines that leave a
/// household unpaid.
@Suite struct LedgerPlanTests {
    @Test("the 不漏 trace names the line each unpaid decision ended on, and changes nothing else")
    func nilLines() throws {
        let store = try fixtureStore()
        let households = try store.households()
        let file = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "p", decide = function(h)
              if not h.live then return nil end
              if h:is "在档困难职工" then return w.pay(w.yuan(600), "特困职工家庭", "r") end
              if h.members > 3 then
                return nil
              end
            end }
            """)
        var request = RunRequest(policy: file, campaign: campaign, households: HouseholdTable(households), stdlib: stdlib, workers: 2)
        let plain = try Engine.evaluate(request)
        request.traceLines = true
        let traced = try Engine.evaluate(request)
        #expect(traced.payouts == plain.payouts)
        #expect(plain.nilLines.isEmpty)
        let table = HouseholdTable(households)
        for i in 0..<table.count {
            let h = households[i]
            if plain.payouts.contains(where: { $0.household == i }) {
                #expect(traced.nilLines[i] == nil)
            } else if !h.isLive {
                #expect(traced.nilLines[i] == 3, "\(h.maskedIDNumber)")
            } else if h.members > 3 {
                #expect(traced.nilLines[i] == 6)
            } else {
                #expect(traced.nilLines[i] == 8, "falling off the end of decide is its `end`")
            }
        }
        #expect(Set(traced.nilLines.values).isSubset(of: [3, 6, 8]) && traced.nilLines.count == households.count - plain.payouts.count)
    }

    @Test("goods items are committed apart from cash, and a category's declared source is charged through the within chain")
    func itemsAndSources() throws {
        let store = try fixtureStore()
        let c = try store.createCampaign(Campaign(name: "c", unitCode: "S000", start: Day("2025-12-20")!, end: Day("2026-02-10")!,
                                                  budget: Money(yuan: 50_000), funds: [.init(source: "上级拨付", amount: Money(yuan: 40_000)),
                                                                                       .init(source: "自筹", amount: Money(yuan: 10_000))]))
        let parent = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "parent", funds = { ["劳动模范"] = "自筹" }, caps = { per_household = w.yuan(1000) },
              decide = function(h) return nil end }
            """, name: "parent.lua")
        let child = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "child", within = "\(parent.path)", decide = function(h)
              if not h.live then return nil end
              return w.pay(w.yuan(500), "劳动模范", "节日慰问", { items = { w.cash(w.yuan(300)), w.goods("年货礼包", "1份", w.yuan(200)) } })
            end }
            """)
        let households = try store.households()
        let plan = try Engine.evaluate(RunRequest(policy: child, campaign: c, households: HouseholdTable(households), stdlib: stdlib, workers: 1))
        #expect(plan.fundingByCategory == ["劳动模范": "自筹"])
        let payouts = plan.payouts.map { p in
            Payout(householdID: households[p.household].id!, amount: p.amount, kind: p.kind, category: p.category, reason: p.reason,
                   rule: p.rule, goods: "年货礼包", items: p.items)
        }
        let run = RunRecord(campaignID: c.id!, unitCode: "S000", policyPath: child.path, policySHA256: child.sha256, modules: "", params: "{}",
                            dataFingerprint: "f", householdsConsidered: households.count, total: plan.total, createdAt: Date())
        let ledger = CampaignLedger(storage: store)
        let live = payouts.count
        #expect(live * 500 > 10_000, "the fixture pays more than 自筹 holds")
        // 自筹 holds ¥10,000: the whole plan charged to it does not fit.
        #expect((#expect(throws: LedgerError.self) {
            _ = try ledger.commit(CommitProposal(run: run, payouts: payouts, within: nil, fundingByCategory: plan.fundingByCategory, actor: "t"))
        })?.code == .sourceOver)
        let fits = Array(payouts.prefix(20))
        _ = try ledger.commit(CommitProposal(run: run, payouts: fits, within: nil, fundingByCategory: plan.fundingByCategory, actor: "t"))
        let totals = try store.readLedger { try $0.totals(campaignID: c.id!) }
        #expect(totals.reduce(Money.zero) { $0 + $1.cash } == Money(yuan: 300 * 20))
        #expect(totals.reduce(Money.zero) { $0 + $1.goods } == Money(yuan: 200 * 20))
        #expect(totals.allSatisfy { $0.source == "自筹" })
        let entry = try #require(try store.ledger(campaignID: c.id!).first)
        #expect(entry.payout.items.count == 2 && entry.payout.goodsValue == Money(yuan: 200))
    }
}

@Suite struct VocabularyExtraTests {
    @Test("a district's own category is known to import and h:is in its subtree, and unknown elsewhere")
    func extraCategory() throws {
        let store = try fixtureStore()
        let extra = try store.addVocabulary(.category, name: "低收入", unitCode: "S100", actor: "张敏")
        #expect(extra.bit == Vocabulary.categories.count)
        #expect(throws: StoreError.self) { _ = try store.addVocabulary(.category, name: "低收入", unitCode: "S200", actor: "张敏") }
        #expect(throws: StoreError.self) { _ = try store.addVocabulary(.category, name: "在档困难职工", unitCode: "S200", actor: "张敏") }
        #expect(throws: StoreError.self) { _ = try store.addVocabulary(.category, name: "a、b", unitCode: "S200", actor: "张敏") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-vocab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func csv(_ unit: String) -> String {
            let path = dir.appendingPathComponent("\(unit).csv").path
            _ = FileManager.default.createFile(atPath: path, contents: Data("""
                姓名,身份证号,所属单位,家庭人口,人均月收入,类别,档案状态
                赵低收,340503198001010018,\(unit),2,700,低收入,正式

                """.utf8))
            return path
        }
        let importer = Importer(store: store, latestBirthYear: 2026)
        // Outside S100's subtree the name is unknown: the row is refused with the names it knows.
        let refused = #expect(throws: ImportFailure.self) { _ = try importer.importHouseholds(file: csv("S200")) }
        #expect(refused?.problems.first?.message.contains("unknown category '低收入'") == true, "\(refused?.description ?? "")")
        _ = try importer.importHouseholds(file: csv("S110"))
        let h = try #require(try store.household(idNumber: "340503198001010018"))
        #expect(h.categories.contains(bit: extra.bit))
        let file = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "p", decide = function(h)
              if h:is "低收入" then return w.pay(w.yuan(300), "低收入家庭", "街道核实") end
            end }
            """)
        let table = try store.householdTable(units: try store.subtree(of: "S100"))
        var request = RunRequest(policy: file, campaign: campaign, households: table, stdlib: stdlib, workers: 1)
        request.vocabulary = try store.vocabulary(for: "S100")
        let plan = try Engine.evaluate(request)
        #expect(plan.payouts.map { table.ids[$0.household] } == [h.id!])
        // The city's run does not see S100's word: h:is names it as unknown.
        request.vocabulary = try store.vocabulary(for: "S000")
        let error = #expect(throws: (any Error).self) { _ = try Engine.evaluate(request) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("unknown category \"低收入\""), "\(error.map { "\($0)" } ?? "")")
    }
}
