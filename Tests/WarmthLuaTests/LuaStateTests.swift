import Testing
@testable import WarmthLua

/// Runs `source` and returns its results, failing the test with the Lua error if it throws.
@discardableResult
private func eval(_ lua: LuaState, _ source: String, chunk: String = "test.lua",
                  sourceLocation: SourceLocation = #_sourceLocation) throws -> [LuaValue] {
    try lua.run(source, chunkName: chunk)
}

/// A state with the libraries pure computation needs.
private func newState(memoryLimit: Int? = nil) throws -> LuaState {
    let lua = try LuaState(memoryLimit: memoryLimit)
    try lua.open(.computation)
    return lua
}

/// Expects `body` to throw a LuaError and returns it.
private func expectLuaError(sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () throws -> Void) -> LuaError? {
    do {
        try body()
        Issue.record("expected a LuaError, got none", sourceLocation: sourceLocation)
        return nil
    } catch let error as LuaError {
        return error
    } catch {
        Issue.record("expected a LuaError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

@Suite struct ValueRoundTripTests {
    /// Pushes a value, lets Lua hand it back through a function, and reads it.
    func roundTrip(_ value: LuaValue) throws -> LuaValue {
        let lua = try newState()
        let identity = try lua.load("return ...", chunkName: "identity.lua")
        let top = lua.top
        let results = try identity.call([value])
        #expect(lua.top == top, "the stack is balanced after a call")
        return results.first ?? .nil
    }

    @Test("integers keep all 64 bits", arguments: [Int64.max, Int64.min, -(1 << 53) - 1, (1 << 53) + 1, 0, -1] as [Int64])
    func integers(_ n: Int64) throws {
        #expect(try roundTrip(.integer(n)) == .integer(n))
    }

    @Test("a float stays a float, even when it is whole")
    func floats() throws {
        #expect(try roundTrip(.number(2.0)) == .number(2.0))
        #expect(try roundTrip(.number(0.1)) == .number(0.1))
        let lua = try newState()
        #expect(try eval(lua, "return 3 / 1, 3 // 1") == [.number(3.0), .integer(3)])
    }

    @Test("strings with NUL bytes and Chinese survive")
    func strings() throws {
        let s = "在档困难职工\u{0}家庭 600元"
        #expect(try roundTrip(.string(s)) == .string(s))
        let lua = try newState()
        #expect(try eval(lua, "return #'a\\0b', '中文'") == [.integer(3), .string("中文")])
    }

    @Test("bytes that are not UTF-8 come back as bytes")
    func bytes() throws {
        let raw: [UInt8] = [0xFF, 0x00, 0xC3]
        #expect(try roundTrip(.bytes(raw)) == .bytes(raw))
    }

    @Test("nested arrays and string-keyed tables round-trip")
    func nestedTables() throws {
        let table = LuaTable(
            array: [.integer(1), .string("二"), .table(LuaTable(array: [.boolean(true), .number(1.5)]))],
            hash: [
                .string("name"): .string("张三"),
                .string("members"): .table(LuaTable(fields: ["count": .integer(3), "list": .table(LuaTable(array: ["a", "b"]))])),
            ]
        )
        #expect(try roundTrip(.table(table)) == .table(table))
    }

    @Test("Lua builds a table Swift reads exactly")
    func luaBuiltTable() throws {
        let lua = try newState()
        let result = try eval(lua, "return { 10, 20, name = 'x', [100] = true, nested = { ok = false } }")
        let table = try #require(result.first?.tableValue)
        #expect(table.array == [.integer(10), .integer(20)])
        #expect(table["name"] == .string("x"))
        #expect(table.hash[.integer(100)] == .boolean(true))
        #expect(table["nested"] == .table(LuaTable(fields: ["ok": .boolean(false)])))
    }

    @Test("a cyclic table is refused, not followed forever")
    func cyclicTable() throws {
        let lua = try newState()
        let error = expectLuaError { _ = try eval(lua, "local t = {} t.self = t return t") }
        #expect(error?.kind == .value)
        #expect(lua.top == 1, "only the message handler stays on the stack")
    }

    @Test("globals are set and read without metamethods")
    func globals() throws {
        let lua = try newState()
        try lua.setGlobal("budget", .integer(60_000))
        #expect(try eval(lua, "return budget * 2") == [.integer(120_000)])
        try eval(lua, "answer = 'ok'")
        #expect(try lua.global("answer") == .string("ok"))
    }
}

@Suite struct ErrorTests {
    @Test("a syntax error carries file:line")
    func syntaxError() throws {
        let lua = try newState()
        let error = expectLuaError { _ = try lua.load("local x = 1\nlocal y = = 2\n", chunkName: "scripts/city/policy.lua") }
        #expect(error?.kind == .syntax)
        #expect(error?.chunk == "scripts/city/policy.lua")
        #expect(error?.line == 2)
        #expect(error?.description.hasPrefix("scripts/city/policy.lua:2:") == true)
    }

    @Test("a runtime error carries file:line and a traceback")
    func runtimeError() throws {
        let lua = try newState()
        let source = """
            local function f(h)
              return h.income + 1
            end
            return f({})
            """
        let error = expectLuaError { _ = try eval(lua, source, chunk: "scripts/x.lua") }
        #expect(error?.kind == .runtime)
        #expect(error?.chunk == "scripts/x.lua")
        #expect(error?.line == 2)
        #expect(error?.message.contains("attempt to perform arithmetic") == true)
        #expect(error?.traceback?.contains("stack traceback") == true)
        #expect(lua.top == 1, "the error left nothing on the stack")
    }

    @Test("an error object that is a table is described, not called")
    func tableErrorObject() throws {
        let lua = try newState()
        let error = expectLuaError {
            _ = try eval(lua, "error(setmetatable({}, { __tostring = function() while true do end end }))")
        }
        #expect(error?.message == "(error object is a table value)")
    }

    @Test("binary chunks are refused")
    func binaryChunk() throws {
        let lua = try newState()
        let error = expectLuaError { _ = try lua.load("\u{1B}Lua\u{54}\u{00}", chunkName: "evil.luac") }
        #expect(error?.message.contains("binary chunk") == true)
    }

    @Test("control characters in a message are neutralised")
    func controlCharacters() throws {
        let lua = try newState()
        let error = expectLuaError { _ = try eval(lua, "error('a\\27[2Jb')") }
        #expect(error?.message.contains("\u{1B}") == false)
        #expect(error?.message.contains("a\u{FFFD}[2Jb") == true)
    }
}

@Suite struct SwiftFunctionTests {
    struct Refusal: Error, CustomStringConvertible {
        var description: String { "the amount must be whole fen" }
    }

    func stateWithFunctions() throws -> LuaState {
        let lua = try newState()
        try lua.register("double") { call in
            guard case .integer(let n) = try call.argument(1) else { throw Refusal() }
            return [.integer(n * 2)]
        }
        try lua.register("fail") { (_: LuaCall) -> [LuaValue] in throw Refusal() }
        return lua
    }

    @Test("Lua calls a Swift function and gets its results")
    func callsSwift() throws {
        let lua = try stateWithFunctions()
        #expect(try eval(lua, "return double(21)") == [.integer(42)])
    }

    @Test("a failing Swift function is caught by pcall in Lua")
    func pcallCatches() throws {
        let lua = try stateWithFunctions()
        let results = try eval(lua, "local ok, err = pcall(fail) return ok, err", chunk: "scripts/p.lua")
        #expect(results.first == .boolean(false))
        #expect(results.last == .string("scripts/p.lua:1: the amount must be whole fen"))
    }

    @Test("uncaught, a failing Swift function surfaces as a Swift error at the script's line")
    func uncaughtSurfaces() throws {
        let lua = try stateWithFunctions()
        let error = expectLuaError { _ = try eval(lua, "local x = 1\nreturn double(1.5)", chunk: "scripts/q.lua") }
        #expect(error?.kind == .runtime)
        #expect(error?.chunk == "scripts/q.lua")
        #expect(error?.line == 2)
        #expect(error?.bareMessage == "the amount must be whole fen")
    }

    @Test("Swift functions survive many failures with the stack balanced")
    func manyFailures() throws {
        let lua = try stateWithFunctions()
        let results = try eval(lua, "local n = 0 for i = 1, 10000 do if not pcall(fail) then n = n + 1 end end return n")
        #expect(results == [.integer(10_000)])
        #expect(lua.top == 1)
    }
}

@Suite struct ReadOnlyObjectTests {
    struct Household: LuaReadOnlyObject {
        var luaKind: String { "household" }
        var luaFields: LuaTable {
            LuaTable(fields: [
                "name": "李四", "members": 3,
                "categories": .table(LuaTable(array: ["在档困难职工", "低保"])),
            ])
        }
    }

    @Test("fields of a read-only object can be read")
    func reads() throws {
        let lua = try newState()
        try lua.setGlobal("h", readOnly: Household())
        #expect(try eval(lua, "return h.name, h.members, h.categories[2], #h.categories") ==
            [.string("李四"), .integer(3), .string("低保"), .integer(2)])
        #expect(try eval(lua, "local n = 0 for k in pairs(h) do n = n + 1 end return n") == [.integer(3)])
    }

    @Test("writing a field raises an error naming the field and the script line")
    func writeExisting() throws {
        let lua = try newState()
        try lua.setGlobal("h", readOnly: Household())
        let error = expectLuaError { _ = try eval(lua, "local a = 1\nh.members = 10", chunk: "scripts/w.lua") }
        #expect(error?.line == 2)
        #expect(error?.description == "scripts/w.lua:2: attempt to write field 'members' of a read-only household")
    }

    @Test("new fields, nested tables and the metatable are protected too")
    func writeOthers() throws {
        let lua = try newState()
        try lua.setGlobal("h", readOnly: Household())
        #expect(expectLuaError { _ = try eval(lua, "h.extra = 1") }?.bareMessage == "attempt to write field 'extra' of a read-only household")
        #expect(expectLuaError { _ = try eval(lua, "h.categories[1] = 'x'") }?.bareMessage == "attempt to write index 1 of a read-only household")
        #expect(expectLuaError { _ = try eval(lua, "setmetatable(h, nil)") }?.bareMessage == "cannot change a protected metatable")
        #expect(try eval(lua, "return getmetatable(h)") == [.string("household")])
        #expect(try eval(lua, "local _, s = pairs(h) return s == h") == [.boolean(true)], "pairs never hands out the inner table")
    }
}

@Suite struct MemoryTests {
    @Test("the memory limit stops a table that grows without end, and the state stays usable")
    func limitStopsGrowth() throws {
        let lua = try newState(memoryLimit: 8 << 20)
        let error = expectLuaError { _ = try eval(lua, "local t = {} local i = 0 while true do i = i + 1 t[i] = i end") }
        #expect(error?.kind == .memory)
        #expect(lua.bytesInUse <= 8 << 20)
        #expect(try eval(lua, "return 1 + 1") == [.integer(2)], "the state is still usable")
        #expect(lua.top == 1)
    }

    @Test("the limit stops string growth too")
    func limitStopsStrings() throws {
        let lua = try newState(memoryLimit: 4 << 20)
        let error = expectLuaError { _ = try eval(lua, "local s = 'x' while true do s = s .. s end") }
        #expect(error?.kind == .memory)
    }

    @Test("Swift may push past the limit: no memory error is raised while Swift runs")
    func swiftPushesPastLimit() throws {
        let lua = try newState(memoryLimit: 1 << 20)
        let big = LuaTable(array: (0..<100_000).map { .integer(Int64($0)) })
        try lua.setGlobal("big", .table(big))
        #expect(lua.bytesInUse > 1 << 20)
        // Lua code allocating now fails cleanly; Swift still reads what is there.
        #expect(expectLuaError { _ = try eval(lua, "local t = {} for i = 1, 1e6 do t[i] = i end") }?.kind == .memory)
        #expect(try lua.global("big").tableValue?.array.count == 100_000)
        lua.memoryLimit = 16 << 20
        #expect(try eval(lua, "return #big") == [.integer(100_000)], "with room again, the state runs")
    }

    @Test("a Swift function called from Lua pushes results past the limit safely")
    func swiftFunctionPastLimit() throws {
        let lua = try newState(memoryLimit: 1 << 20)
        try lua.register("make") { _ in [.table(LuaTable(array: (0..<50_000).map { .integer(Int64($0)) }))] }
        #expect(try eval(lua, "local t = make() return #t") == [.integer(50_000)])
    }

    @Test("after closing, the allocator holds no bytes")
    func closeFreesAll() throws {
        let lua = try newState(memoryLimit: 16 << 20)
        try eval(lua, "t = {} for i = 1, 10000 do t[i] = tostring(i) end")
        #expect(lua.bytesInUse > 100_000)
        #expect(lua.peakBytes >= lua.bytesInUse)
        lua.close()
        #expect(lua.bytesInUse == 0)
    }
}

@Suite struct LimitTests {
    @Test("the instruction limit stops an endless loop")
    func instructionLimit() throws {
        let lua = try newState()
        lua.setInstructionLimits(perCall: 1_000_000, perRun: nil)
        let error = expectLuaError { _ = try eval(lua, "while true do end", chunk: "scripts/loop.lua") }
        #expect(error?.kind == .limit(.instructionsPerCall))
        #expect(error?.chunk == "scripts/loop.lua")
        #expect(error?.line == 1)
    }

    @Test("pcall in a loop cannot swallow the instruction limit")
    func pcallCannotSwallow() throws {
        let lua = try newState()
        lua.setInstructionLimits(perCall: 100_000, perRun: nil)
        let source = "for i = 1, 100 do pcall(function() while true do end end) end return 'escaped'"
        #expect(expectLuaError { _ = try eval(lua, source) }?.kind == .limit(.instructionsPerCall))
        lua.resetRun()
        // A script that catches the limit once and returns at once still fails.
        #expect(expectLuaError { _ = try eval(lua, "pcall(function() while true do end end) return 1") }?.kind == .limit(.instructionsPerCall))
    }

    @Test("after resetRun the state runs again")
    func resetRun() throws {
        let lua = try newState()
        lua.setInstructionLimits(perCall: nil, perRun: 50_000)
        #expect(expectLuaError { _ = try eval(lua, "while true do end") }?.kind == .limit(.instructionsPerRun))
        #expect(expectLuaError { _ = try eval(lua, "return 1") }?.kind == .limit(.instructionsPerRun), "sticky until reset")
        lua.resetRun()
        #expect(try eval(lua, "return 1") == [.integer(1)])
    }

    @Test("a deadline stops a script")
    func deadline() throws {
        let lua = try newState()
        lua.setDeadline(after: 0.05)
        #expect(expectLuaError { _ = try eval(lua, "while true do end") }?.kind == .limit(.time))
    }

    @Test("an interrupt from another thread stops a script")
    func interrupt() async throws {
        let lua = try newState()
        let interrupter = lua.interrupter
        Task.detached {
            try await Task.sleep(for: .milliseconds(50))
            interrupter.interrupt()
        }
        #expect(expectLuaError { _ = try eval(lua, "while true do end") }?.kind == .limit(.interrupted))
    }
}
