// Benchmarks for Warmth. Not tests: they measure, print figures, and never fail on speed.
//
//   swift run -c release warmth-bench lua-call [--calls N]
//
// lua-call: the cost of one protected call from Swift into a Lua function that reads a
// read-only household-like object, next to plain `lua5.4` calling the same function over a
// plain table in a Lua loop.
import Foundation
import WarmthLua

let decideSource = """
    return function(h)
      local total = 0
      if h.income < 150000 then total = total + 60000 end
      if h.members > 2 then total = total + 20000 * h.members end
      if h.categories[1] == "在档困难职工" then total = total + 100 end
      return total
    end
    """

struct HouseholdLike: LuaReadOnlyObject {
    var luaKind: String { "household" }
    var luaFields: LuaTable {
        LuaTable(fields: [
            "name": "王五", "members": 3, "income": 120_100,
            "categories": .table(LuaTable(array: ["在档困难职工", "低保"])),
        ])
    }
}

func option(_ name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count, let n = Int(args[i + 1]) { return n }
    return value
}

func benchLuaCall() throws {
    let calls = option("--calls", default: 1_000_000)
    let lua = try LuaState(memoryLimit: 64 << 20)
    try lua.open(.computation)
    let decide = try lua.load(decideSource, chunkName: "bench/decide.lua").callReturningFunction()
    let household = try lua.reference(readOnly: HouseholdLike())
    // Warm up, and check the answer once.
    guard try decide.call(household) == .integer(120_100) else { fatalError("wrong result") }
    let clock = ContinuousClock()
    var sum: Int64 = 0
    let elapsed = try clock.measure {
        for _ in 0..<calls {
            if case .integer(let n) = try decide.call(household) { sum &+= n }
        }
    }
    precondition(sum == 120_100 * Int64(calls))
    let swiftNs = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    print(String(format: "warmth host: %d protected calls with a read-only household: %.3f s (%.0f ns per call, %.3f s per million)",
                 calls, swiftNs / 1e9, swiftNs / Double(calls), swiftNs / Double(calls) * 1e6 / 1e9))

    // The same function, called by plain lua5.4 over a plain table.
    let script = """
        local decide = (function() \(decideSource) end)()
        local h = { name = "王五", members = 3, income = 120000, categories = { "在档困难职工", "低保" } }
        local n = \(calls)
        local sum = 0
        decide(h)
        local t0 = os.clock()
        for i = 1, n do sum = sum + decide(h) end
        local t = os.clock() - t0
        assert(sum == 120100 * n)
        print(string.format("%.9f", t))
        """
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-bench-\(getpid()).lua")
    try script.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["lua5.4", file.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch {
        print("plain lua5.4: not run (install the lua5.4 package to compare)")
        return
    }
    process.waitUntilExit()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard process.terminationStatus == 0, let seconds = Double(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        print("plain lua5.4: failed (\(out))")
        return
    }
    print(String(format: "plain lua5.4: %d calls over a plain table in a Lua loop: %.3f s (%.0f ns per call)",
                 calls, seconds, seconds * 1e9 / Double(calls)))
    print(String(format: "ratio: %.2fx", swiftNs / 1e9 / seconds))
}

let command = CommandLine.arguments.dropFirst().first ?? "lua-call"
switch command {
case "lua-call": try benchLuaCall()
default:
    FileHandle.standardError.write(Data("usage: warmth-bench lua-call [--calls N]\n".utf8))
    exit(64)
}
