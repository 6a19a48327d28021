import Foundation
import Testing
import WarmthDomain
import WarmthLua
import WarmthRuntime

/// The host's functions a script calls (print, require) read their arguments without copying
/// tables: a table whose children are shared 60 levels deep stands for 2^60 values.
extension HostileScriptTests {
    static let sharedTree = """
        local t = { 1 }
        for i = 1, 60 do t = { t, t } end
        """

    @Test("print and require of a table whose children are shared 60 levels deep return at once", arguments: [
        "print(t)", "print(t, t, t)", "local ok = pcall(require, t)",
    ])
    func sharedTree(_ call: String) throws {
        let arena = try Arena()
        let plan = try arena.plan(decide("  \(HostileScriptTests.sharedTree)\n  \(call)\n  return w.pay(1, 'done')"))
        #expect(plan.payouts.count == arena.households.count)
        if call.hasPrefix("print") { #expect(plan.printed.first?.hasPrefix("table") == true) }
    }

    @Test("print keeps at most 1,000 lines of 2,000 bytes, however much is printed")
    func printFlood() throws {
        let arena = try Arena()
        let plan = try arena.plan(decide(#"""
              local s = string.rep("x", 1 << 20)
              for i = 1, 100 do print(s, s, s) end
              print(table.unpack({ 1, 2, 3 }, 1, 10000))
              return w.pay(1, 'flood')
            """#))
        #expect(plan.printed.count == 1_000)
        #expect(plan.printed.allSatisfy { $0.utf8.count <= 2_000 })
    }

    @Test("require refuses a name longer than 200 bytes without reading it all")
    func requireLongName() throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  local m = require(string.rep('a', 1 << 20))"))
        #expect(message.contains("\(p.path):3: require: a module name is at most 200 bytes"), "\(message)")
    }
}
