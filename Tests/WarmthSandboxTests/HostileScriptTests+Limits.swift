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
}
