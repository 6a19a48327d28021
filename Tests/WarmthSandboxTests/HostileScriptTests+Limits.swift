import Foundation
import Testing
import WarmthDomain
import WarmthLua
import WarmthRuntime

extension HostileScriptTests {
    @Test("pcall cannot swallow a tripped limit: the trip is sticky", arguments: [
        "while true do pcall(function() while true do end end) end",
        "while true do pcall(function() while true do pcall(error) end end) end",
        "local function f() pcall(f) while true do end end\n  f()",
        "for i = 1, 1e9 do pcall(string.rep, 'x', 1) end",
        "xpcall(function() while true do end end, function() while true do end end)\n  while true do end",
        "pcall(function() while true do end end)\n  return w.pay(1, 'swallowed')",
    ])
    func pcallSwallow(_ body: String) throws {
        let arena = try Arena()
        for keepGoing in [false, true] {
            let (message, p) = arena.failure(decide("  \(body)"), keepGoing: keepGoing)
            #expect(message.contains("instruction limit per call exceeded"), "\(message)")
            #expect(message.contains(p.path), "\(message)")
            #expect(message.contains("(household \(arena.first))"), "\(message)")
        }
    }

    @Test("xpcall still works, and its handler runs under the limits like any other code")
    func xpcallHandler() throws {
        let arena = try Arena()
        let plan = try arena.plan(decide(#"""
              local ok, e = xpcall(function(x) error({ code = x }) end, function(m) return "handled " .. m.code end, 7)
              local ok2, a, b = xpcall(function(x, y) return x + y, "two" end, print, 1, 2)
              return w.pay(1, tostring(ok) .. " " .. e .. " " .. tostring(ok2) .. " " .. a .. " " .. b)
            """#))
        #expect(Set(plan.payouts.map(\.category)) == ["false handled 7 true 3 two"])
        let (message, _) = arena.failure(decide("  xpcall(error, function() while true do end end)\n  return w.pay(1, 'x')"))
        #expect(message.contains("instruction limit per call exceeded (household \(arena.first))"), "\(message)")
    }

    @Test("the script's top level runs under the memory limit too")
    func topLevelMemory() throws {
        let arena = try Arena()
        let (message, _) = arena.failure("local s = string.rep('x', 1 << 20)\nwhile true do s = s .. s end")
        #expect(message.contains("not enough memory: the script needs more than its memory limit"), "\(message)")
        #expect(message.contains("needed more than 16 MiB: raise the limit with --max-memory"), "\(message)")
    }

    @Test("allocate runs under the memory limit")
    func allocateMemory() throws {
        let arena = try Arena()
        let (message, _) = arena.failure(#"""
            local w = require "warmth"
            return w.policy { name = "a", decide = function() return w.pay(100, "x") end,
              allocate = function(plan) local s = string.rep("x", 1 << 20) while true do s = s .. s end end }
            """#)
        #expect(message.contains("not enough memory: the script needs more than its memory limit"), "\(message)")
        #expect(message.contains("(in allocate)"), "\(message)")
    }
    @Test("an endless allocate stops on allocate's own budget, not the whole run's, and says so")
    func allocateEndless() throws {
        let arena = try Arena()
        let clock = ContinuousClock()
        let t0 = clock.now
        let (message, _) = arena.failure(#"""
            local w = require "warmth"
            return w.policy { name = "a", decide = function() return w.pay(100, "x") end,
              allocate = function(plan) while true do end end }
            """#)
        #expect(message.contains("instruction limit per call exceeded"), "\(message)")
        #expect(message.contains("(in allocate)"), "\(message)")
        #expect(message.contains("allocate ran more than 5000000 instructions: look for an endless loop in allocate."), "\(message)")
        // 5M instructions, not the run's 20M: a fraction of a second even in a debug build.
        #expect(clock.now - t0 < .seconds(30))
    }

    @Test("table.sort of long strings is refused before it starts; a comparison function runs under the hook", arguments: [
        "local s = string.rep('x', 1 << 20) local t = {} for i = 1, 1000 do t[i] = s end table.sort(t)",
        "local s = string.rep('y', 1 << 20) local t = {} for i = 1, 1000 do t[i] = s end table.sort(t, nil)",
    ])
    func sortLongStrings(_ body: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  \(body)"))
        #expect(message.contains("\(p.path):3: table.sort of 1000 strings of up to 1048576 bytes would compare about"), "\(message)")
        #expect(message.contains("(household \(arena.first))"), "\(message)")
        // Sorting as policies do still works: numbers, short strings, and with a comparison.
        let plan = try arena.plan(decide("""
              local t = { 3, 1, 2 } table.sort(t)
              local u = { "b", "a" } table.sort(u)
              local v = { 1, 2, 3 } table.sort(v, function(a, b) return a > b end)
              return w.pay(t[1] + v[1], u[1])
            """))
        #expect(plan.payouts.allSatisfy { $0.amount.fen == 4 && $0.category == "a" })
    }
}
