import Foundation
import Testing
import WarmthDomain
import WarmthLua
import WarmthRuntime

/// Lua's pattern matcher backtracks in C, out of the count hook's sight: a pattern's
/// backtracking is bounded before it runs.
extension HostileScriptTests {
    @Test("a backtracking pattern is refused before it runs, in every pattern function", arguments: [
        ("string.find(string.rep('a', 30), string.rep('a?', 30) .. string.rep('a', 30))", "find"),
        ("string.match(string.rep('a', 30), string.rep('a?', 30) .. string.rep('a', 30))", "match"),
        ("string.gsub(string.rep('a', 30), string.rep('a?', 30) .. string.rep('a', 30), '')", "gsub"),
        ("string.gmatch(string.rep('a', 30), string.rep('a?', 30) .. string.rep('a', 30))()", "gmatch"),
        ("string.find(string.rep('a', 512), string.rep('a*', 20) .. 'b')", "find"),
        ("(string.rep('a', 500)):match(string.rep('.-', 6) .. '$')", "match"),
        ("string.find(string.rep('ab', 256), string.rep('[ab]*', 5) .. 'c')", "find"),
        ("string.find(string.rep('a', 200), string.rep('%a+', 8) .. '%d')", "find"),
    ])
    func backtracking(_ code: String, _ function: String) throws {
        let arena = try Arena()
        var limits = smallLimits()
        limits.instructionsPerDecision = 0 // the instruction budget never sees C code anyway
        limits.seconds = 0
        let (message, p) = arena.failure(decide("  local r = \(code)"), limits: limits)
        #expect(message.contains("\(p.path):3: string.\(function): this pattern could backtrack for too long on a "), "\(message)")
        #expect(message.contains("use fewer *, +, - and ? items, or a shorter string"), "\(message)")
        #expect(message.hasSuffix("(household \(arena.first))"), "\(message)")
    }

    @Test("patterns a policy really writes still run, with the results Lua gives")
    func ordinaryPatterns() throws {
        let arena = try Arena()
        let plan = try arena.plan(decide(#"""
              local out = {}
              out[#out + 1] = w.yuan("  600.50 ")
              local a, b, c = ("安徽省 淮南市 田家庵区"):match("^(%S+)%s+(%S+)%s+(%S+)$")
              out[#out + 1] = c
              local addr = string.rep("某某路", 10) .. "区" .. string.rep("某某", 10) .. "街道" .. string.rep("号", 5)
              out[#out + 1] = select(2, addr:match("(.-)区(.-)街道")) == string.rep("某某", 10) and "lazy ok" or "lazy wrong"
              out[#out + 1] = select(2, string.gsub("a,b,,c", ",", ";"))
              out[#out + 1] = ("x=1, y=22"):gsub("(%w+)=(%w+)", "%2=%1")
              local n = 0
              for k, v in string.gmatch("a=1, b=2, c=3", "(%w+)=(%w+)") do n = n + tonumber(v) end
              out[#out + 1] = n
              out[#out + 1] = string.find("a+b", "+", 1, true)
              out[#out + 1] = ("THE (quick) fox"):find("%((%a+)%)")
              out[#out + 1] = ("[[x]]"):match("%b[]")
              out[#out + 1] = ("hello world"):match("%f[%w]%w+$")
              out[#out + 1] = ("abcabc"):match("(a)(b)c%1%2")
              return w.pay(1, table.concat(out, "|"))
            """#))
        let category = try #require(plan.payouts.first?.category)
        #expect(category == "60050|田家庵区|lazy ok|3|1=x, 22=y|6|2|5|[[x]]|world|a", "\(category)")
    }

    @Test("a pattern longer than the subject cap is refused")
    func longPattern() throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  local r = string.find('x', string.rep('x', 600))"))
        #expect(message.contains("\(p.path):3: string.find with a 600-byte pattern; patterns are at most 512 bytes"), "\(message)")
    }

    @Test("string.rep's cap holds for float counts and for counts whose size wraps around", arguments: [
        ("string.rep('x', 1e300)", "string.rep would build 1e+300 bytes"),
        ("string.rep('abcd', (1 << 62) + 1)", "string.rep would build 1.84e+19 bytes"),
        ("string.rep('ab', math.maxinteger, ',')", "string.rep would build 2.77e+19 bytes"),
    ])
    func stringRepSizes(_ code: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  local s = \(code)"))
        #expect(message.contains("\(p.path):3: \(words); the limit is 1048576 (SandboxLimits.maxStringBytes)"), "\(message)")
    }
}
