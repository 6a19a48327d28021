import Foundation
import Testing
import WarmthDomain
import WarmthLua
import WarmthRuntime

/// Errors raised inside the host's own chunks (the sandbox's wrappers, the driver loop) are
/// reported at the script's line, never at "=warmth-sandbox:25:" or "=warmth-driver:19:".
extension HostileScriptTests {
    @Test("the globals' metatable cannot be read, replaced or bypassed", arguments: [
        ("setmetatable(_G, nil)", "cannot change a protected metatable"),
        ("setmetatable(_ENV, {})", "cannot change a protected metatable"),
        ("rawset(_G, 'io', {})", "rawset: cannot bypass a read-only globals"),
        ("local f = rawget(_G, 'load')", "rawget: cannot bypass a read-only globals"),
        ("getmetatable(_G).__index = nil", "attempt to index a string value"),
        ("if getmetatable(_G) == 'globals' then error('only a name') end", "only a name"),
    ])
    func globalsMetatable(_ code: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  \(code)"))
        #expect(message.contains("\(p.path):3: "), "\(message)")
        #expect(message.contains(words), "\(message)")
    }

    @Test("rawset and rawget refuse the host's protected objects", arguments: [
        ("rawset(h, 'income', 0)", "rawset: cannot bypass a read-only household"),
        ("local v = rawget(h, 'income')", "rawget: cannot bypass a read-only household"),
        ("rawset(p, 'rate', 0)", "rawset: cannot bypass a read-only params"),
        ("rawset(c, 'budget', 0)", "rawset: cannot bypass a read-only campaign"),
        ("local v = rawget(c.funds, 'x')", "rawget: cannot bypass a read-only campaign"),
        ("rawset(w, 'pay', print)", "rawset: cannot bypass a read-only module 'warmth'"),
        ("rawset(h, nil)", "rawset: cannot bypass a read-only household"),
    ])
    func rawAccess(_ code: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  \(code)"))
        #expect(message.contains("\(p.path):3: \(words)"), "\(message)")
    }

    @Test("setmetatable cannot replace or remove a protected object's metatable", arguments: ["h", "p", "c", "w", "c.funds"])
    func setmetatableProtected(_ object: String) throws {
        let arena = try Arena()
        for mt in ["nil", "{}", "{ __index = function() return 1 end }"] {
            let (message, p) = arena.failure(decide("  setmetatable(\(object), \(mt))"))
            #expect(message.contains("\(p.path):3: cannot change a protected metatable"), "\(message)")
        }
    }

    @Test("a finalizer (__gc) is refused when a metatable is set")
    func gcRefused() throws {
        let arena = try Arena()
        for code in ["setmetatable({}, { __gc = function() end })", "setmetatable({}, { __gc = true })",
                     "local t = setmetatable({}, (function() return { __gc = print } end)())"] {
            let (message, p) = arena.failure(decide("  \(code)"))
            #expect(message.contains("\(p.path):3: setmetatable: __gc (finalizers) is not allowed in Warmth scripts"), "\(message)")
        }
    }

    @Test("string.rep refuses to build more than maxStringBytes, whatever the count", arguments: [
        "string.rep('x', 1 << 30)", "('ab'):rep(1 << 20)", "string.rep('x', 1 << 19, string.rep('y', 8))",
        "string.rep('x', math.maxinteger)",
        // a count written as text is converted by string.rep itself: it is checked the same way
        "string.rep('x', '50000000')", "('x'):rep(' 0x10000000 ')",
    ])
    func stringRep(_ code: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  local s = \(code)"))
        #expect(message.contains("\(p.path):3: string.rep would build "), "\(message)")
        #expect(message.contains("bytes; the limit is 1048576 (SandboxLimits.maxStringBytes)"), "\(message)")
    }

    @Test("deep recursion through C functions ends with a C stack overflow error", arguments: [
        "local function f() return (string.gsub('x', 'x', f)) end\n  return f()",
        "local function f() return (string.gsub('x', 'x', { x = nil }) .. select(1, string.gsub('x', '.', f))) end\n  return f()",
        "local function cmp(a, b) table.sort({ 3, 2, 1 }, cmp) return a < b end\n  table.sort({ 3, 2, 1 }, cmp)",
        "local t = setmetatable({}, {})\n  getmetatable(t).__tostring = function(x) return tostring(x) end\n  return tostring(t)",
        "local t = setmetatable({}, {})\n  getmetatable(t).__index = function(x, k) return x[k] end\n  return t.y",
        "local t = setmetatable({}, {})\n  getmetatable(t).__tostring = function(x) return string.format('%s', x) end\n  return tostring(t)",
        "local t = setmetatable({}, {})\n  getmetatable(t).__concat = function(a, b) return a .. b end\n  return t .. t",
        "local t = setmetatable({}, {})\n  getmetatable(t).__lt = function(a, b) return a < b end\n  return t < t",
    ])
    func deepCRecursion(_ body: String) throws {
        let arena = try Arena()
        var limits = smallLimits()
        limits.instructionsPerDecision = 50_000_000
        let (message, p) = arena.failure(decide("  \(body)"), limits: limits)
        #expect(message.contains("stack overflow"), "\(message)")
        #expect(message.hasPrefix("\(p.path):"), "\(message)")
        #expect(!message.contains("=warmth-"), "\(message)")
        #expect(message.contains("(household \(arena.first))"), "\(message)")
    }

    @Test("error levels and tail calls cannot hand the blame to the host's chunks", arguments: [
        ("error('blame the driver', 2)", "blame the driver"),
        ("error('blame the host', 3)", "blame the host"),
        ("return rawget(h, 'income')", "rawget: cannot bypass a read-only household"),
        ("return setmetatable(h, nil)", "cannot change a protected metatable"),
        ("return string.rep('x', 1 << 30)", "string.rep would build 1073741824 bytes"),
        ("return w.pay(-1, 'x')", "the payout amount is negative (-1 fen)"),
    ])
    func blameStaysWithTheScript(_ code: String, _ words: String) throws {
        let arena = try Arena()
        for keepGoing in [false, true] {
            let p = arena.policy(decide("  \(code)"))
            let message: String
            if keepGoing {
                let plan = try arena.run(p, keepGoing: true).get()
                message = try #require(plan.errors.first).description
            } else {
                message = arena.failure(decide("  \(code)")).message
            }
            #expect(message.hasPrefix("\(p.path):"), "\(message)")
            #expect(message.contains(words), "\(message)")
            #expect(!message.contains("=warmth-"), "\(message)")
            #expect(message.contains("(household \(arena.first))"), "\(message)")
        }
    }

    @Test("a script that is still loading is named with its line, and an endless top level says it was loading")
    func topLevelErrors() throws {
        let arena = try Arena()
        let (message, p) = arena.failure("local w = require 'warmth'\nwhile true do end")
        #expect(message.contains("\(p.path):2: instruction limit per call exceeded"), "\(message)")
        #expect(message.contains("Loading the script (its top level, outside decide) ran more than 2000000 instructions"), "\(message)")
        let (memory, q) = arena.failure("local s = string.rep('x', 1 << 20)\nwhile true do s = s .. s end")
        #expect(memory.hasPrefix("\(q.path): not enough memory"), "\(memory)")
    }

    /// Real Lua 5.4 bytecode, made with string.dump in a plain state outside any sandbox.
    static func bytecode() throws -> Data {
        let lua = try LuaState()
        try lua.open(.computation)
        guard case .bytes(let b) = try lua.run("return string.dump(function() return {} end)", chunkName: "dump").first else {
            throw SandboxError("no bytecode")
        }
        return Data(b)
    }

    @Test("a unit module that is bytecode is refused, naming the module's path")
    func bytecodeModule() throws {
        let arena = try Arena()
        let path = arena.write("evil.lua", try HostileScriptTests.bytecode())
        let (message, p) = arena.failure(decide("  return require \"evil\""))
        #expect(message.contains("attempt to load a binary chunk (mode is 't')"), "\(message)")
        #expect(message.contains(path), "\(message)")
        #expect(message.contains("\(p.path):3:"), "\(message)")
    }

    @Test("a policy file that is bytecode is refused, naming the policy's path")
    func bytecodePolicy() throws {
        let arena = try Arena()
        let p = try PolicyFile(path: arena.write("policy.lua", try HostileScriptTests.bytecode()))
        let message = try #require(throws: (any Error).self) { try arena.run(p).get() }
        #expect(String(describing: message).contains("attempt to load a binary chunk (mode is 't')"), "\(message)")
        #expect(String(describing: message).contains(p.path), "\(message)")
    }

}
