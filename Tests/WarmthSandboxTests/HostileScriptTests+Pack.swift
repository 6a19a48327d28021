import Foundation
import Testing
import WarmthDomain
import WarmthLua
import WarmthRuntime

extension HostileScriptTests {
    @Test("string.pack and string.unpack sizes end in Lua's own checks or the memory limit, clearly", arguments: [
        ("string.pack('i17', 1)", "integral size (17) out of limits [1,16]"),
        ("string.pack('i0', 1)", "integral size (0) out of limits [1,16]"),
        ("string.pack('!17', 1)", "out of limits [1,16]"),
        ("string.unpack('c100', '')", "data string too short"),
        ("string.unpack('z', 'no zero')", "unfinished string for format 'z'"),
        ("string.unpack('i4', 'abcd', 100)", "initial position out of string"),
        ("string.packsize('s')", "variable-length format"),
        ("string.pack('c2000000000', '')", "not enough memory: the script needs more than its memory limit"),
        ("string.pack(string.rep('c1000000', 40), table.unpack({}, 1, 40))", "bad argument"),
        ("string.pack(string.rep('c1000000', 40), table.unpack((function() local t = {} for i = 1, 40 do t[i] = '' end return t end)()))",
         "not enough memory: the script needs more than its memory limit"),
        ("string.pack('s1', string.rep('x', 300))", "does not fit"),
    ])
    func packSizes(_ code: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  local r = \(code)"))
        #expect(message.hasPrefix("\(p.path):"), "\(message)")
        #expect(message.contains(words), "\(message)")
        #expect(message.hasSuffix("(household \(arena.first))") || message.contains("--max-memory"), "\(message)")
    }

    @Test("a script that fills memory to the brim and then fails still gets a clear error, and the next run is unaffected")
    func errorAtTheBrim() throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide(#"""
              local t, s = {}, string.rep("x", 1 << 16)
              pcall(function() while true do t[#t + 1] = s .. #t end end)
              error("failing with no memory left " .. #t)
            """#), limits: { var l = smallLimits(); l.instructionsPerDecision = 50_000_000; return l }())
        #expect(message.hasPrefix("\(p.path):"), "\(message)")
        #expect(message.contains("not enough memory") || message.contains("failing with no memory left"), "\(message)")
        #expect(message.contains("(household \(arena.first))"), "\(message)")
        let plan = try arena.plan(decide("  return w.pay(1, 'after')"))
        #expect(plan.payouts.count == arena.households.count)
    }
}
