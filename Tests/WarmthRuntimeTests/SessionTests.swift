import Foundation
import Testing
import WarmthDomain
import WarmthRuntime

@Suite struct PolicySessionTests {
    func session(_ file: PolicyFile, _ households: [Household], workers: Int = 2) throws -> PolicySession {
        try PolicySession(policy: file, campaign: campaign, households: HouseholdTable(households), stdlib: stdlib, workers: workers)
    }

    func amounts(_ plan: Plan) -> [Int: Int64] {
        Dictionary(uniqueKeysWithValues: plan.payouts.map { ($0.household, $0.amount.fen) })
    }

    @Test("two evaluations in one session with different params each equal a fresh run")
    func warmEqualsFresh() throws {
        let households = try fixtureStore().households()
        let s = try session(try policy("city"), households)
        let changed = try s.evaluate(Scenario(params: try s.parse([("registered", "500")])))
        let own = try s.evaluate()
        let freshChanged = try evaluate(try policy("city"), households: households, overrides: [("registered", "500")])
        let freshOwn = try evaluate(try policy("city"), households: households)
        #expect(changed.payouts == freshChanged.payouts)
        #expect(own.payouts == freshOwn.payouts)
        #expect(changed.total != own.total, "the changed standard changes the plan")
        #expect(changed.params["registered"] == .integer(50_000))
    }

    @Test("a global or a library-table stash left by one evaluation is not seen by the next")
    func noStateBetweenEvaluations() throws {
        let file = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "stash", params = { base = w.yuan(100) },
              decide = function(h, p)
                local ok, before = pcall(function() return stash end)
                stash = (ok and before or 0) + 1
                string.stash = (string.stash or 0) + 1
                return w.pay(p.base + stash + string.stash, "特困职工家庭", "stash")
              end }
            """)
        let one = [Household(idNumber: "11010519491231002X", name: "甲", unitCode: "S000", members: 1, incomePerCapita: .zero)]
        let s = try session(file, one, workers: 1)
        let first = try s.evaluate(), second = try s.evaluate(), third = try s.evaluate(Scenario(params: ["base": .integer(10_000)]))
        #expect(first.payouts.map(\.amount.fen) == [10_002])
        #expect(second.payouts.map(\.amount.fen) == [10_002])
        #expect(third.payouts.map(\.amount.fen) == [10_002])
    }

    @Test("params have kinds: --set of a count is not multiplied by 100, money is in yuan, a percent takes 85%")
    func typedParams() throws {
        let file = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "typed",
              params = {
                registered = w.yuan(600),
                min_causes = 2,
                share = w.percent(100, { label = "压缩比例", min = 0, max = 100 }),
                on = true,
                note = "篇2",
                topup = w.money(w.yuan(200), { label = "单亲补助", ref = "篇2 二.1", max = w.yuan(300) }),
                members_max = w.count(w.yuan(1)),
              },
              decide = function(h, p)
                if h:cause_count() >= p.min_causes then return w.pay(p.registered * p.share // 100, "特困职工家庭", "x") end
              end }
            """)
        let s = try session(file, [], workers: 1)
        let kinds = Dictionary(uniqueKeysWithValues: s.declaration.params.map { ($0.name, $0.kind) })
        #expect(kinds == ["registered": .money, "min_causes": .count, "share": .percent, "on": .flag, "note": .text,
                          "topup": .money, "members_max": .count])
        #expect(s.declaration.spec("topup")?.reference == "篇2 二.1")
        let parsed = try s.parse([("min_causes", "3"), ("registered", "500.50"), ("share", "85%"), ("on", "否"), ("members_max", "100")])
        #expect(parsed == ["min_causes": .integer(3), "registered": .integer(50_050), "share": .integer(85), "on": .boolean(false),
                           "members_max": .integer(100)])
        for (name, text, says) in [("min_causes", "3.5", "min_causes=3"), ("share", "120", "不能大于 100%"), ("topup", "301", "不能大于 ¥300.00"),
                                   ("registered", "-5", "registered=500"), ("nope", "1", "没有参数 “nope”")] {
            let error = #expect(throws: ParamError.self) { _ = try s.parse([(name, text)]) }
            #expect(error?.zh.contains(says) == true, "\(error?.zh ?? "")")
            #expect(error?.zh.contains(name) == true)
        }
    }

    @Test("a hand-built policy table cannot declare params the host would misread")
    func forgedParamSpecs() throws {
        for (spec, says) in [("{ kind = \"money\", label = \"a\\nb\" }", "plain text"), ("{ kind = \"bogus\" }", "has no kind"),
                             ("{ kind = \"flag\" }", "flag param"), ("{ kind = \"money\", max = 10 }", "cannot be above")] {
            let file = inlinePolicy("""
                return { __warmth_policy = true, name = "forged", params = { x = 600 }, param_specs = { x = \(spec) },
                         decide = function() return nil end }
                """)
            let error = #expect(throws: RunFailure.self) { _ = try session(file, [], workers: 1) }
            #expect(error?.description.contains(says) == true, "\(spec): \(error?.description ?? "")")
        }
    }

    @Test("the diff puts every household paid in either plan in one of the five bands, and adds up")
    func diff() throws {
        let households = try fixtureStore().households()
        let s = try session(try policy("city"), households)
        let base = try s.evaluate()
        let scenario = try s.evaluate(Scenario(params: try s.parse([("registered", "500"), ("frontline", "150")])))
        let d = PlanDiff(baseline: base, scenario: scenario)
        #expect(d.baseTotal == base.total && d.total == scenario.total)
        #expect(d.byCategory.reduce(Money.zero) { $0 + $1.change } == scenario.total - base.total)
        #expect(d.bands.values.reduce(Money.zero) { $0 + $1.change } == scenario.total - base.total)
        #expect(d.bands[.loseMore]?.households == d.changes.count, "600→500 and 200→150 are both losses over 5 %")
        #expect(d.losers(1).first.map { $0.old - $0.new } == Money(yuan: 100))
        #expect(PlanDiff.Band.of(old: 10_000, new: 9_500) == .loseLess)
        #expect(PlanDiff.Band.of(old: 10_000, new: 9_499) == .loseMore)
        #expect(PlanDiff.Band.of(old: 0, new: 1) == .gainMore)
        #expect(PlanDiff.Band.of(old: 10_000, new: 10_500) == .gainLess)
    }
}

@Suite struct PolicyTestsThroughTheEngine {
    @Test("a payout the run refuses fails in warmth test too: over ¥1,000,000, or a category with a control character")
    func sameChecksAsARun() {
        let results = runTestFile("""
            local t = require "warmth.test"
            local w = require "warmth"
            local policy = require "policy"
            t.it("huge", function() t.decide(policy, t.household { "在档困难职工" }) end)
            t.it("bad category", function() t.decide(policy, t.household { "低保" }) end)
            """, policy: """
            local w = require "warmth"
            return w.policy { name = "greedy", decide = function(h)
              if h:is "在档困难职工" then return w.pay(w.yuan(1000001), "特困职工家庭", "x") end
              return w.pay(w.yuan(1), "特困\\n职工", "x")
            end }
            """)
        #expect(results.map(\.status) == [.fail, .fail])
        #expect(results[0].message.contains("more than one payout may be"), "\(results[0].message)")
        #expect(results[1].message.contains("control character U+000A"), "\(results[1].message)")
    }

    @Test("allocate is testable with a budget, and 不重 with households declared paid")
    func allocateAndPaid() {
        let results = runTestFile("""
            local t = require "warmth.test"
            local w = require "warmth"
            local policy = require "policy"
            local a, b, c = t.household { "在档困难职工" }, t.household { "在档困难职工" }, t.household { "在档困难职工" }
            t.it("fits the budget", function()
              t.expect_totals(t.run(policy, { a, b, c }), { total = w.yuan(1800), count = 3 })
              local plan = t.run(policy, { a, b, c }, nil, { budget = w.yuan(900) })
              t.expect_totals(plan, { total = w.yuan(900), count = 3 })
              t.expect(plan.payouts[1].payout).to_pay(w.yuan(300))
            end)
            t.it("does not pay twice", function()
              local plan = t.run(policy, { a, b, c }, nil, { paid = { b } })
              t.expect_totals(plan, { total = w.yuan(1200), count = 2 })
              t.expect(plan.duplicates).to_equal(1)
            end)
            t.it("wrong on purpose", function()
              t.expect_totals(t.run(policy, { a, b, c }, nil, { budget = w.yuan(900) }), { total = w.yuan(1800) })
            end)
            """, policy: """
            local w = require "warmth"
            return w.policy { name = "fit", params = { base = w.yuan(600) },
              decide = function(h, p) return w.pay(p.base, "特困职工家庭", "x") end,
              allocate = function(plan, budget)
                local total = 0
                for _, e in ipairs(plan) do total = total + e.amount end
                if total > budget then for _, e in ipairs(plan) do e.amount = e.amount * budget // total end end
              end }
            """)
        #expect(results.map(\.status) == [.pass, .pass, .fail], "\(results.map(\.message))")
        #expect(results[2].message.contains("expected a total of ¥1,800.00, got ¥900.00"), "\(results[2].message)")
    }

    @Test("test households are real households: a valid ID number fits their age and sex")
    func realHouseholds() {
        let results = runTestFile("""
            local t = require "warmth.test"
            local w = require "warmth"
            local policy = require "policy"
            t.it("an elderly woman", function()
              t.expect(t.decide(policy, t.household { age = 70, sex = "女" })).to_pay(w.yuan(70))
              t.expect(t.decide(policy, t.household { age = 45 })).to_pay_nothing()
            end)
            """, policy: """
            local w = require "warmth"
            return w.policy { name = "age", decide = function(h)
              if h.sex == "女" and h.age >= 60 then return w.pay(w.yuan(h.age), "特困职工家庭", "x") end
            end }
            """)
        #expect(results.map(\.status) == [.pass], "\(results.map(\.message))")
    }

    @Test("a test cannot fake its way past the engine: a forged household, a hand-built policy, a stray option")
    func hostileTests() {
        let results = runTestFile("""
            local t = require "warmth.test"
            local w = require "warmth"
            local policy = require "policy"
            local fake = setmetatable({ unit = "TEST", members = 1, income = 0, live = true }, { __metatable = "household" })
            t.it("forged household", function() t.run(policy, { fake }) end)
            t.it("hand-built policy", function()
              t.decide({ decide = function() return w.pay(w.yuan(600), "特困职工家庭", "x") end }, t.household {})
            end)
            t.it("stray option", function() t.run(policy, { t.household {} }, nil, { caps = false }) end)
            t.it("unknown param", function() t.decide(policy, t.household {}, { bonus = 1 }) end)
            """, policy: samplePolicy)
        #expect(results.map(\.status) == [.fail, .fail, .fail, .fail])
        #expect(results[0].message.contains("item 1 of the list is not a household"), "\(results[0].message)")
        #expect(results[1].message.contains("does not run through the engine"), "\(results[1].message)")
        #expect(results[2].message.contains("unknown key \"caps\""), "\(results[2].message)")
        #expect(results[3].message.contains("“bonus”"), "\(results[3].message)")
    }
}
