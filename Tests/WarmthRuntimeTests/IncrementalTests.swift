import Foundation
import Testing
import WarmthData
import WarmthDomain
import WarmthRuntime

/// The what-if re-run: after a param changes, only the households whose decision read it are
/// decided again, and the plan is the one a full evaluation gives.
@Suite struct IncrementalTests {
    /// 6,000 households of the demo city (units, categories and causes of every kind), with the
    /// households' units as the example policies expect (the demo city's codes).
    static let list = Array(DemoCity(households: 6_000, seed: 11).makeHouseholds())
    static let households = HouseholdTable(list)

    func session(_ unit: String) throws -> PolicySession {
        try PolicySession(policy: try policy(unit), campaign: campaign, households: Self.households, stdlib: stdlib, workers: 2)
    }

    /// Each param of `s` set to another value of its kind (money lowered by a tenth, to stay
    /// under the caps; a flag flipped).
    func changes(_ s: PolicySession) -> [[String: ParamValue]] {
        s.declaration.params.compactMap { spec -> [String: ParamValue]? in
            switch (spec.kind, spec.value) {
            case (.money, .integer(let i)): [spec.name: .integer(i - i / 10)]
            case (_, .boolean(let b)): [spec.name: .boolean(!b)]
            default: nil
            }
        }
    }

    @Test("on every example policy, a sequence of :set-like changes re-decides fewer households and gives the full plan", arguments: ["city", "district", "school", "bureau"])
    func incrementalEqualsFull(unit: String) throws {
        let s = try session(unit)
        var last = try s.evaluate(Scenario(), after: nil)
        #expect(last.redecided == Self.households.count)
        #expect(last.plan.payouts == (try s.evaluate()).payouts, "recording reads changes nothing")
        var params: [String: ParamValue] = [:]
        var partial = 0
        for change in changes(s) + [[:]] {
            if change.isEmpty { params = [:] } else { params.merge(change) { _, b in b } }
            let next = try s.evaluate(Scenario(params: params), after: last.decisions)
            let full = try s.evaluate(Scenario(params: params))
            #expect(next.plan.payouts == full.payouts, "\(unit) with \(params)")
            #expect(next.plan.total == full.total)
            if next.redecided < Self.households.count { partial += 1 }
            last = next
        }
        #expect(partial > 0, "\(unit): at least one change re-decides only some households")
    }

    @Test("changing the registered standard re-decides exactly the households that read it, and moves the total by the change times those paid it")
    func readersOfOneParam() throws {
        let s = try session("city")
        let base = try s.evaluate(Scenario(), after: nil)
        let readers = s.readers(of: ["registered"], in: base.decisions)
        #expect(!readers.isEmpty && readers.count < Self.households.count / 2)
        let next = try s.evaluate(Scenario(params: ["registered": .integer(50_000)]), after: base.decisions)
        #expect(next.redecided == readers.count)
        let paidAtStandard = base.plan.payouts.filter { $0.amount.fen == 60_000 && readers.contains($0.household) }.count
        #expect(next.plan.total.fen - base.plan.total.fen == -10_000 * Int64(paidAtStandard))
        #expect(next.plan.payouts == (try s.evaluate(Scenario(params: ["registered": .integer(50_000)]))).payouts)
    }

    @Test("pairs(p) or #p counts as reading every param; a branch that starts reading a param is seen the next time")
    func wholeTableReads() throws {
        let file = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "reads", params = { a = w.yuan(100), b = w.yuan(200), all = false },
              decide = function(h, p)
                if h.members == 1 then
                  local s = 0
                  for _, v in pairs(p) do if type(v) == "number" then s = s + v end end
                  return w.pay(s, "特困职工家庭", "all")
                end
                if p.all then return w.pay(p.b, "特困职工家庭", "b") end
                return w.pay(p.a, "特困职工家庭", "a")
              end }
            """)
        let s = try PolicySession(policy: file, campaign: campaign, households: Self.households, stdlib: stdlib, workers: 2)
        let base = try s.evaluate(Scenario(), after: nil)
        let singles = (0..<Self.households.count).filter { Self.households.members[$0] == 1 }
        #expect(Set(s.readers(of: ["b"], in: base.decisions)) == Set(singles), "only pairs reads b at first")
        let flipped = try s.evaluate(Scenario(params: ["all": .boolean(true)]), after: base.decisions)
        #expect(flipped.redecided == Self.households.count)
        let raised = try s.evaluate(Scenario(params: ["all": .boolean(true), "b": .integer(30_000)]), after: flipped.decisions)
        #expect(raised.redecided == Self.households.count, "now every decision reads b")
        #expect(raised.plan.payouts == (try s.evaluate(Scenario(params: ["all": .boolean(true), "b": .integer(30_000)]))).payouts)
    }

    @Test("a script cannot write the params or reach the read masks")
    func hostileReads() throws {
        let file = inlinePolicy("""
            local w = require "warmth"
            return w.policy { name = "hostile", params = { a = w.yuan(100) },
              decide = function(h, p)
                local ok = pcall(function() p.a = 1 end)
                assert(not ok, "params are read-only")
                assert(getmetatable(p) == "params")
                assert(not pcall(rawget, p, "a"), "rawget does not bypass the view")
                assert(not pcall(rawset, p, "a", 1))
                assert(not pcall(setmetatable, p, {}))
                return w.pay(p.a, "特困职工家庭", "a")
              end }
            """)
        let s = try PolicySession(policy: file, campaign: campaign, households: HouseholdTable(Array(Self.list.prefix(50))),
                                  stdlib: stdlib, workers: 1)
        let base = try s.evaluate(Scenario(), after: nil)
        #expect(base.plan.payouts.count == 50)
        #expect(base.decisions.masks.allSatisfy { $0 == 1 })
    }
}
