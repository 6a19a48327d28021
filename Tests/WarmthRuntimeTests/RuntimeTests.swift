import Foundation
import Testing
import WarmthData
import WarmthDomain
import WarmthLua
import WarmthRuntime
import WarmthLedger
import WarmthStore

/// The repository's root, found from this file.
let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let stdlib = repo.appendingPathComponent("stdlib").path

/// The fixture dataset (scripts/fixtures), imported into an in-memory store.
func fixtureStore() throws -> Store {
    let store = try Store.inMemory()
    let importer = Importer(store: store, latestBirthYear: 2026)
    _ = try importer.importUnits(file: repo.appendingPathComponent("scripts/fixtures/units.csv").path)
    _ = try importer.importHouseholds(file: repo.appendingPathComponent("scripts/fixtures/households.csv").path)
    return store
}

let campaign = Campaign(id: 1, name: "2026元旦春节送温暖", unitCode: "S000", start: Day("2025-12-20")!, end: Day("2026-02-10")!,
                        budget: Money(yuan: 20_000))

func policy(_ unit: String) throws -> PolicyFile {
    try PolicyFile(path: repo.appendingPathComponent("scripts/\(unit)/policy.lua").path)
}

func evaluate(_ file: PolicyFile, households: [Household], overrides: [(String, String)] = [], workers: Int = 2,
              limits: SandboxLimits = SandboxLimits(), keepGoing: Bool = false) throws -> Plan {
    try evaluate(file, table: HouseholdTable(households), overrides: overrides, workers: workers, limits: limits, keepGoing: keepGoing)
}

func evaluate(_ file: PolicyFile, table: HouseholdTable, overrides: [(String, String)] = [], workers: Int = 2,
              limits: SandboxLimits = SandboxLimits(), keepGoing: Bool = false) throws -> Plan {
    try Engine.evaluate(RunRequest(policy: file, campaign: campaign, households: table, overrides: overrides,
                                   limits: limits, stdlib: stdlib, workers: workers, keepGoing: keepGoing))
}

/// A policy written inline, in a temporary folder.
func inlinePolicy(_ source: String, name: String = "policy.lua") -> PolicyFile {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-policy-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    _ = FileManager.default.createFile(atPath: path, contents: Data(source.utf8))
    return try! PolicyFile(path: path)
}

func totals(_ plan: Plan) -> [String: (Int, Int64)] {
    Dictionary(uniqueKeysWithValues: plan.byCategory.map { ($0.category, ($0.personTimes, $0.amount.fen)) })
}

@Suite struct ExamplePolicyTests {
    // Expected figures: scripts/fixtures/EXPECTED.md, worked out by hand.
    @Test("the city federation's policy pays the fixture as worked out by hand")
    func city() throws {
        let plan = try evaluate(try policy("city"), households: try fixtureStore().households())
        let t = totals(plan)
        #expect(t["特困职工家庭"]! == (7, 420_000))
        #expect(t["困难企业职工"]! == (1, 30_000))
        #expect(t["返乡农民工"]! == (2, 60_000))
        #expect(t["一线坚守职工"]! == (1, 20_000))
        #expect(t["非建档困难职工"]! == (5, 220_000))
        #expect(plan.eligible == 16)
        #expect(plan.total == Money(fen: 750_000))
    }

    @Test("the school union's policy pays the fixture as worked out by hand")
    func school() throws {
        let plan = try evaluate(try policy("school"), households: try fixtureStore().households())
        let t = totals(plan)
        #expect(t["重病教职工"]! == (4, 200_000))
        #expect(t["困难教职工"]! == (3, 60_000))
        #expect(t["离休干部"]! == (1, 20_000))
        #expect(t["退休干部"]! == (1, 20_000))
        #expect(t["特级教师"]! == (1, 10_000))
        #expect(t["退役军人"]! == (1, 10_000))
        #expect(t["军烈属"]! == (1, 20_000))
        #expect(t["离退休人员"]! == (2, 20_000))
        #expect(plan.total == Money(fen: 360_000))
        #expect(plan.eligible == 14)
    }

    @Test("the bureau's policy pays 1000 per household as worked out by hand")
    func bureau() throws {
        let plan = try evaluate(try policy("bureau"), households: try fixtureStore().households())
        let t = totals(plan)
        #expect(t["低保员工"]! == (4, 400_000))
        #expect(t["困难员工"]! == (6, 600_000))
        #expect(t["大病员工家庭"]! == (4, 400_000))
        #expect(t["意外伤害和灾害员工家庭"]! == (3, 300_000))
        #expect(plan.total == Money(fen: 1_700_000))
    }

    @Test("the district's policy pays within the city's caps as worked out by hand")
    func district() throws {
        let plan = try evaluate(try policy("district"), households: try fixtureStore().households())
        let t = totals(plan)
        #expect(t["省总领导走访慰问"]! == (3, 600_000))
        #expect(t["特困职工家庭"]! == (4, 180_000))
        #expect(t["困难企业职工"]! == (1, 30_000))
        #expect(t["单亲女职工"]! == (1, 20_000))
        #expect(plan.total == Money(fen: 830_000))
        #expect(plan.caps.contains { $0.source.hasSuffix("scripts/city/policy.lua") }, "the city's caps bind the district")
    }

    @Test("a changed standard changes the cost: --set registered=500 on the city policy")
    func whatIf() throws {
        let households = try fixtureStore().households()
        let plan = try evaluate(try policy("city"), households: households, overrides: [("registered", "500")])
        #expect(totals(plan)["特困职工家庭"]! == (7, 350_000))
        #expect(plan.params["registered"] == .integer(50_000))
        #expect(throws: (any Error).self) { try evaluate(try policy("city"), households: households, overrides: [("registerd", "500")]) }
    }
}

@Suite struct RuntimeBehaviourTests {
    @Test("two runs, and runs with one or two workers, give the same payouts")
    func determinism() throws {
        let households = Array(DemoCity(households: 6_000, seed: 11).makeHouseholds()).enumerated().map { i, h in
            var h = h
            h.id = Int64(i + 1)
            return h
        }
        let a = try evaluate(try policy("city"), households: households, workers: 2)
        let b = try evaluate(try policy("city"), households: households, workers: 2)
        let c = try evaluate(try policy("city"), households: households, workers: 1)
        #expect(a.payouts == b.payouts)
        #expect(a.payouts == c.payouts)
        #expect(a.eligible > 1_000)
    }

    @Test("a child's payout over the parent's cap fails the run, naming the household, the amount and the cap")
    func caps() throws {
        let households = try fixtureStore().households()
        let city = repo.appendingPathComponent("scripts/city/policy.lua").path
        let greedy = inlinePolicy("""
            local w = require "warmth"
            return w.policy {
              name = "greedy district", within = "\(city)",
              decide = function(h) if h:is "在档困难职工" then return w.pay(w.yuan(800), "特困职工家庭", "too much") end end,
            }
            """)
        let failure = try #require(throws: RunFailure.self) { try evaluate(greedy, households: households) }
        #expect(failure.description.contains("household 340503********"))
        #expect(failure.description.contains("¥800.00"))
        #expect(failure.description.contains("cap of ¥600.00"))
        #expect(failure.description.contains("scripts/city/policy.lua"))
    }

    @Test("a script error stops the run with script:line: message (household …)")
    func scriptError() throws {
        let households = try fixtureStore().households()
        let broken = inlinePolicy("""
            local w = require "warmth"
            return w.policy {
              name = "broken",
              decide = function(h)
                if h.members > 10 then return w.pay(h.nosuch + 1, "x", "y") end
              end,
            }
            """)
        let failure = try #require(throws: RunFailure.self) { try evaluate(broken, households: households) }
        #expect(failure.description.contains("\(broken.path):5: attempt to perform arithmetic on a nil value (field 'nosuch')"))
        #expect(failure.description.contains("(household 340503********"))
        let kept = try evaluate(broken, households: households, keepGoing: true)
        #expect(kept.errors.count == 2, "both households with more than 10 members fail")
    }

    @Test("float, negative, NaN and string amounts are refused", arguments: [
        ("60000.5", "is a float"), ("-1", "is negative"), ("0/0", "NaN"), ("'600'", "the string"),
    ])
    func badAmounts(_ amount: String, _ words: String) throws {
        let households = try fixtureStore().households()
        // Bypass w.pay's own check: the host validates what comes back, whatever made it.
        let bad = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "bad", decide = function(h) return { amount = \(amount), category = "x", reason = "y" } end }
            """)
        let failure = try #require(throws: RunFailure.self) { try evaluate(bad, households: households) }
        #expect(failure.description.contains(words), "\(failure.description)")
        #expect(failure.description.contains("household 340503********"))
        // And w.pay refuses them at the script's own line.
        let viaPay = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "bad", decide = function(h)
              local p = w.pay(\(amount), "x", "y")
              return p
            end }
            """)
        let error = try #require(throws: RunFailure.self) { try evaluate(viaPay, households: households) }
        #expect(error.description.contains("\(viaPay.path):3:"), "\(error.description)")
    }

    @Test("writing to a household is an error naming the field and the line")
    func readOnlyHousehold() throws {
        let households = try fixtureStore().households()
        let writer = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "writer", decide = function(h)
              h.income = 0
            end }
            """)
        let failure = try #require(throws: RunFailure.self) { try evaluate(writer, households: households) }
        #expect(failure.description.contains("\(writer.path):3: attempt to write field 'income' of a read-only household"))
    }

    @Test("an endless decision is stopped by the per-decision budget, naming the household and how to raise it")
    func endlessDecision() throws {
        let households = try fixtureStore().households()
        let loop = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "loop", decide = function(h) while true do end end }
            """)
        var limits = SandboxLimits()
        limits.instructionsPerDecision = 200_000
        let failure = try #require(throws: RunFailure.self) { try evaluate(loop, households: households, limits: limits) }
        #expect(failure.description.contains("instruction limit per call exceeded"))
        #expect(failure.description.contains("--max-instructions"))
        #expect(failure.description.contains("household 340503"))
    }

    @Test("the per-decision budget restarts for each household: many small decisions pass")
    func budgetPerDecision() throws {
        let households = try fixtureStore().households()
        let busy = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "busy", decide = function(h)
              local s = 0
              for i = 1, 20000 do s = s + i end
              return w.pay(w.yuan(1), "x", "y")
            end }
            """)
        var limits = SandboxLimits()
        limits.instructionsPerDecision = 200_000
        let plan = try evaluate(busy, households: households, limits: limits)
        #expect(plan.eligible == households.count)
    }

    @Test("allocate fits the plan to the budget and may only lower amounts")
    func allocate() throws {
        let households = try fixtureStore().households()
        let scaled = inlinePolicy("""
            local w = require "warmth"
            return w.policy {
              name = "scaled",
              decide = function(h) return w.pay(w.yuan(1000), "x", "y") end,
              allocate = function(plan, budget)
                local total = 0
                for _, e in ipairs(plan) do total = total + e.amount end
                for _, e in ipairs(plan) do e.amount = w.round_yuan(e.amount * budget / total) end
              end,
            }
            """)
        let plan = try evaluate(scaled, households: households)
        #expect(plan.total <= campaign.budget)
        #expect(plan.payouts.allSatisfy { $0.amount.fen % 100 == 0 })
        let raising = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "raise", decide = function(h) return w.pay(100, "x", "y") end,
              allocate = function(plan) plan[1].amount = 200 end }
            """)
        #expect(throws: RunFailure.self) { try evaluate(raising, households: households) }
    }
}

@Suite struct CommitTests {
    func campaignIn(_ store: Store) throws -> Campaign {
        try store.createCampaign(Campaign(name: "c", unitCode: "S000", start: Day("2025-12-20")!, end: Day("2026-02-10")!, budget: Money(yuan: 50_000)))
    }

    func record(_ plan: Plan, _ c: Campaign, unit: String) -> RunRecord {
        RunRecord(campaignID: c.id!, unitCode: unit, policyPath: plan.policy.path, policySHA256: plan.policy.sha256,
                  modules: plan.modules.map { "\($0.name) \($0.sha256)" }.joined(separator: "\n"), params: plan.paramsJSON,
                  dataFingerprint: plan.dataFingerprint, householdsConsidered: plan.households.count, total: plan.total, createdAt: Date())
    }

    func commit(_ store: Store, _ run: RunRecord, _ payouts: [Payout]) throws -> Int64 {
        try CampaignLedger(storage: store).commit(CommitProposal(run: run, payouts: payouts, within: nil, actor: "test")).runID!
    }

    func payouts(_ plan: Plan) -> [Payout] {
        plan.payouts.map { Payout(householdID: plan.households.ids[$0.household], amount: $0.amount, kind: $0.kind,
                                  category: $0.category, reason: $0.reason, rule: $0.rule) }
    }

    @Test("units see only their subtree; a household paid by one unit is not paid again by another (不重)")
    func scopingAndNoDuplicates() throws {
        let store = try fixtureStore()
        let c = try campaignIn(store)
        let s100 = try store.households(units: try store.subtree(of: "S100"))
        #expect(s100.allSatisfy { ["S100", "S110", "S120", "S130"].contains($0.unitCode) })
        let cityPlan = try evaluate(try policy("city"), households: s100)
        _ = try CampaignLedger(storage: store).commit(CommitProposal(run: record(cityPlan, c, unit: "S100"), payouts: payouts(cityPlan),
                                                                      within: "scripts/city/policy.lua", actor: "test"))
        // The bureau-style policy over the whole city proposes some of the same households.
        let all = try store.households()
        let bureauPlan = try evaluate(try policy("bureau"), households: all)
        let paid = try store.paidHouseholds(campaignID: c.id!)
        let overlap = bureauPlan.payouts.filter { paid.contains(all[$0.household].id!) }
        #expect(bureauPlan.households == HouseholdTable(all))
        #expect(!overlap.isEmpty, "the fixture has households both policies pay")
        #expect(throws: LedgerError.self) { _ = try commit(store, record(bureauPlan, c, unit: "S000"), payouts(bureauPlan)) }
        #expect(try store.ledger(campaignID: c.id!).count == cityPlan.eligible, "the refused run wrote nothing")
    }

    @Test("a committed run records the script's and modules' SHA-256, the params and the data fingerprint")
    func runRecord() throws {
        let store = try fixtureStore()
        let c = try campaignIn(store)
        let plan = try evaluate(try policy("city"), households: try store.households(), overrides: [("frontline", "150")])
        let id = try commit(store, record(plan, c, unit: "S000"), payouts(plan))
        let run = try #require(try store.runs(campaignID: c.id!).first { $0.id == id })
        #expect(run.policySHA256.count == 64)
        #expect(run.modules.contains("warmth "))
        #expect(run.params.contains("\"frontline\":15000"))
        #expect(run.dataFingerprint == HouseholdTable(try store.households()).fingerprint)
        #expect(run.dataFingerprint == (try store.householdTable()).fingerprint, "the fast loader reads the same data")
        #expect(try store.ledger(campaignID: c.id!).first?.payout.rule.hasSuffix("scripts/city/policy.lua") == true
                || store.ledger(campaignID: c.id!).first?.payout.rule.contains("policy.lua") == true)
    }
}

@Suite struct ChunkingTests {
    @Test("deciding a share in small chunks gives the same plan as all at once")
    func chunksAgree() throws {
        let households = HouseholdTable(Array(DemoCity(households: 5_000, seed: 3).makeHouseholds()))
        var whole = RunRequest(policy: try policy("city"), campaign: campaign, households: households, stdlib: stdlib, workers: 2)
        let a = try Engine.evaluate(whole)
        whole.chunkSize = 700
        let b = try Engine.evaluate(whole)
        #expect(a.payouts == b.payouts)
        #expect(a.eligible > 500)
    }
}

@Suite struct HouseholdObjectTests {
    @Test("a script sees every field of a household as the store holds it, and pairs() lists them")
    func fields() throws {
        let h = Household(id: 42, idNumber: idNumberFor("19800229", sequence: 13), name: "王芳", unitCode: "S220", members: 4,
                          incomePerCapita: Money(fen: 76_050), categories: try NameSet(["在档困难职工", "低保"], in: Vocabulary.categoryBit),
                          causes: try NameSet(["因病", "单亲"], in: Vocabulary.causeBit), difficultyType: "低保户",
                          mainCause: "患重特大疾病", identity: "下岗", fileStatus: "临时救助", registeredOn: Day("2024-03-05"))
        let probe = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "probe", decide = function(h)
              local keys = {}
              for k in pairs(h) do keys[#keys + 1] = k end
              local parts = { h.id, h.name, h.unit, h.members, h.income, tostring(h.live), h.file_status, h.difficulty,
                h.main_cause, h.identity, h.age, h.sex, h.registered_on, tostring(h:is "低保"), tostring(h:is "劳动模范"),
                tostring(h:has "单亲"), table.concat(h:categories(), "+"), table.concat(h:causes(), "+"), h:cause_count(),
                #keys, tostring(h.nosuch) }
              return w.pay(1, "x", table.concat(parts, "|"))
            end }
            """)
        let plan = try evaluate(probe, households: [h], workers: 1)
        #expect(plan.payouts.first?.reason ==
            "42|王芳|S220|4|76050|true|临时救助|低保户|患重特大疾病|下岗|45|男|2024-03-05|true|false|true|在档困难职工+低保|因病+单亲|2|15|nil")
    }

    @Test("a household is read-only, its methods check their receiver, and its metatable is protected")
    func protected() throws {
        let households = try fixtureStore().households()
        for (body, words) in [
            ("h.members = 1", "attempt to write field 'members' of a read-only household"),
            ("h[1] = 1", "attempt to write index 1 of a read-only household"),
            ("return h.is({}, '低保')", "call it as a method of a household"),
            ("return h:is('不存在')", "unknown category \"不存在\"; known: 在档困难职工"),
            ("return h:has(5)", "unknown hardship cause (a number, not a name)"),
            ("setmetatable(h, {})", "cannot change a protected metatable"),
            ("local f = pairs(h); f({}, nil)", "this iterator walks a household"),
        ] {
            let file = inlinePolicy("local w = require 'warmth'\nreturn w.policy { name = 'x', decide = function(h)\n\(body)\nend }\n")
            let failure = try #require(throws: RunFailure.self) { try evaluate(file, households: households, workers: 1) }
            #expect(failure.description.contains("\(file.path):3: \(words)"), "\(body): \(failure.description)")
        }
        let meta = inlinePolicy("local w = require 'warmth'\nreturn w.policy { name = 'x', decide = function(h) return w.pay(1, getmetatable(h)) end }\n")
        #expect(try evaluate(meta, households: households, workers: 1).payouts.first?.category == "household")
    }
}

/// A valid ID number born on `birth` (yyyymmdd); the 17th digit, the last of `sequence`, is odd for men.
func idNumberFor(_ birth: String, sequence: Int) -> String {
    let first17 = "340503" + birth + String(format: "%03d", sequence)
    return first17 + String(IDNumber.checkCharacter(for: first17)!)
}

@Suite struct ModuleErrorTests {
    @Test("an error inside a module the policy requires names the module's file and line")
    func moduleError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-mod-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("helper.lua").path,
                                           contents: Data("local x = nil\nreturn x.field\n".utf8))
        let path = dir.appendingPathComponent("policy.lua").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("local w = require 'warmth'\nlocal h = require 'helper'\nreturn w.policy { name = 'p', decide = function() end }\n".utf8))
        let file = try PolicyFile(path: path)
        let failure = try #require(throws: RunFailure.self) { try evaluate(file, households: try fixtureStore().households()) }
        #expect(failure.description.contains("helper.lua:2: attempt to index a nil value"), "\(failure.description)")
        #expect(!failure.description.contains("error in error handling"))
    }
}

@Suite struct ReviewFindingTests {
    @Test("table.move cannot run a huge loop in C past every limit", arguments: [
        ("table.move({}, 1, 1 << 40, 1)", "table.move of 1099511627776 elements"),
        ("w.per_person((1 << 62) + 1000, h)", "far too large for an amount"),
        ("w.round_yuan(math.maxinteger, 'up')", "far too large for an amount"),
    ])
    func bounded(_ code: String, _ words: String) throws {
        let file = inlinePolicy("local w = require 'warmth'\nreturn w.policy { name = 'x', decide = function(h)\nlocal v = \(code)\nend }\n")
        var limits = SandboxLimits()
        limits.seconds = 5
        let failure = try #require(throws: RunFailure.self) { try evaluate(file, households: try fixtureStore().households(), workers: 1, limits: limits) }
        #expect(failure.description.contains("\(file.path):3:"), "\(failure.description)")
        #expect(failure.description.contains(words), "\(failure.description)")
    }
}

@Suite struct PrintTests {
    @Test("a script's top-level print appears once, however many workers run it; prints in decide are kept")
    func printsOnce() throws {
        let households = HouseholdTable(Array(DemoCity(households: 5_000, seed: 4).makeHouseholds()))
        let file = inlinePolicy("""
            local w = require "warmth"
            print("loading the policy")
            return w.policy { name = "p", decide = function(h) if h.id == 1 or h.id == 4000 then print("deciding", h.id) end end }
            """)
        let plan = try evaluate(file, table: households, workers: 2)
        #expect(plan.printed.filter { $0 == "loading the policy" }.count == 1)
        #expect(plan.printed.filter { $0.hasPrefix("deciding") }.sorted() == ["deciding\t1", "deciding\t4000"])
    }
}
