import Foundation
import Testing
import WarmthDomain
import WarmthLua
import WarmthRuntime

extension HostileScriptTests {
    @Test("a script that replaces the global pcall and type cannot change how a keep-going run records its errors")
    func tamperedDriverGlobals() throws {
        let arena = try Arena()
        let p = arena.policy(#"""
            local w = require "warmth"
            type = function() return "string" end
            pcall = function(f, ...) return true, nil end
            return w.policy { name = "tamper", decide = function(h)
              error({ "a table, not a message" })
            end }
            """#)
        let plan = try arena.run(p, keepGoing: true).get()
        #expect(plan.errors.count == arena.households.count, "every decision failed, and every failure is recorded")
        #expect(plan.errors.first?.description == "\(p.path): (error object is a table value) (household \(arena.first))",
                "\(plan.errors.first?.description ?? "")")
        #expect(plan.payouts.isEmpty)
    }
}
