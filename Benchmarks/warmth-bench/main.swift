// Benchmarks for Warmth. Not tests: they measure, print figures, and never fail on speed.
//
//   swift run -c release warmth-bench lua-call [--calls N]
//
//   swift run -c release warmth-bench policy [--households N] [--policy scripts/city/policy.lua]
//
// policy: the city policy over a synthetic city of N households (default 1,000,000): load time
// from SQLite, evaluation on one and two workers, with the sandbox's limits on and off, peak
// memory, and plain lua5.4 evaluating the same policy over the same households as plain tables.
//
//   swift run -c release warmth-bench import [--households N]
//
// import: `warmth import households` of the demo city's CSV (default 1,000,000 households,
// written once to .build/bench-import-N/) into a fresh store: the time reading and checking
// rows (one thread), writing them (another), committing, and peak memory.
//
//   swift run -c release warmth-bench repl [--households N]
//
// repl: the what-if REPL's engine over the city: the first evaluation, a re-run after changing a
// param few households read and one that every live household reads, and a full :verify.
//
// lua-call: the cost of one protected call from Swift into a Lua function that reads a
// read-only household-like object, next to plain `lua5.4` calling the same function over a
// plain table in a Lua loop.
import Foundation
import WarmthData
import WarmthDomain
import WarmthLua
import WarmthRuntime
import WarmthLedger
import WarmthStore

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

func stringOption(_ name: String, default value: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return value
}

func peakRSSMegabytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
    return 0
}

func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    let d = clock.now - start
    return (result, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
}

/// The synthetic city of `n` households with a campaign "bench", built once in .build/.
func benchCity(_ n: Int) throws -> String {
    let dbPath = stringOption("--db", default: ".build/bench-\(n).sqlite")
    if !FileManager.default.fileExists(atPath: dbPath) {
        print("building a city of \(n) households in \(dbPath) (once)…")
        let store = try Store(path: dbPath)
        _ = try DemoCity(households: n).write(to: store, replace: false)
        try store.createCampaign(Campaign(name: "bench", unitCode: "C00", start: Day("2025-12-20")!, end: Day("2026-02-10")!,
                                          budget: Money(yuan: 100_000_000)))
    }
    return dbPath
}

/// The what-if REPL's engine over a city: the first evaluation, re-runs after a param that few
/// households read and after one that (nearly) every household reads, and a full :verify.
func benchRepl() throws {
    let n = option("--households", default: 1_000_000)
    let dbPath = try benchCity(n)
    let (loaded, loadSeconds) = try time { () throws -> (Store, Campaign, HouseholdTable) in
        let store = try Store(path: dbPath, readOnly: true)
        let campaign = try store.campaign(named: "bench")!
        return (store, campaign, try store.householdTable(units: try store.subtree(of: "C00")))
    }
    let (store, campaign, households) = loaded
    print(String(format: "load from SQLite: %d households in %.3f s", households.count, loadSeconds))
    // The city's policy: `registered` is read by the registered needy only. The district's
    // policy reads `leader_visit_on` first for every live household.
    for (path, few, fewValue, all, allValue) in [("scripts/city/policy.lua", "registered", ParamValue.integer(50_000), "", ParamValue.boolean(false)),
                                                 ("scripts/district/policy.lua", "registered", .integer(45_000), "leader_visit_on", .boolean(false))] {
        let (session, declare) = try time {
            try PolicySession(policy: try PolicyFile(path: path), campaign: campaign, households: households,
                              vocabulary: try store.vocabulary(for: "C00"))
        }
        let (first, firstSeconds) = try time { try session.evaluate(Scenario(), after: nil) }
        print(String(format: "%@: declared in %.3f s; first evaluation (recording the params each decision read) %.3f s: %d payouts, %@",
                     path, declare, firstSeconds, first.plan.payouts.count, first.plan.total.yuanText))
        var runs: [(String, Evaluation, Double)] = []
        for (name, value) in [(few, fewValue), (all, allValue)] where !name.isEmpty {
            // The best of three (or --reruns N) re-runs from the first evaluation's decisions.
            var best: (Evaluation, Double)?
            for _ in 0..<option("--reruns", default: 3) {
                let r = try time { try session.evaluate(Scenario(params: [name: value]), after: first.decisions) }
                if best == nil || r.1 < best!.1 { best = r }
            }
            let (e, seconds) = best!
            runs.append((name, e, seconds))
            print(String(format: "  :set %@ → re-decided %d of %d households (%.1f%%) in %.3f s (%.2fx the first evaluation): %@",
                         name, e.redecided, households.count, Double(e.redecided) * 100 / Double(households.count), seconds, seconds / firstSeconds,
                         e.plan.total.yuanText))
        }
        for (name, e, _) in runs {
            let (full, verify) = try time { try session.evaluate(Scenario(params: [name: e.decisions.params[name]!])) }
            precondition(full.payouts == e.plan.payouts, ":verify: the incremental plan equals a full evaluation")
            print(String(format: "  :verify after :set %@: a full evaluation in %.3f s, the same %d payouts", name, verify, full.payouts.count))
        }
    }
    print("peak RSS: \(peakRSSMegabytes()) MB")
}

func benchPolicy() throws {
    let n = option("--households", default: 1_000_000)
    let policyPath = stringOption("--policy", default: "scripts/city/policy.lua")
    let dbPath = try benchCity(n)
    let (loaded, loadSeconds) = try time { () throws -> (Store, Campaign, HouseholdTable) in
        let store = try Store(path: dbPath)
        let campaign = try store.campaign(named: "bench")!
        return (store, campaign, try store.householdTable(units: try store.subtree(of: "C00")))
    }
    let (_, campaign, households) = loaded
    print(String(format: "load from SQLite: %d households in %.3f s", households.count, loadSeconds))
    let policy = try PolicyFile(path: policyPath)
    func run(workers: Int, limits: SandboxLimits) throws -> (Plan, Double) {
        try time { try Engine.evaluate(RunRequest(policy: policy, campaign: campaign, households: households, limits: limits, workers: workers)) }
    }
    _ = try run(workers: 2, limits: SandboxLimits()) // warm-up: page faults, caches; not reported
    var rows: [(String, Plan, Double)] = []
    // Each configuration runs three times; the fastest counts (the machine is shared and noisy).
    for (label, workers, limits) in [("2 workers, limits on", 2, SandboxLimits()), ("1 worker, limits on", 1, SandboxLimits()),
                                     ("2 workers, limits off", 2, SandboxLimits.off), ("1 worker, limits off", 1, SandboxLimits.off)] {
        var best: (Plan, Double)?
        for _ in 0..<3 {
            let r = try run(workers: workers, limits: limits)
            if best == nil || r.0.timings.decide < best!.0.timings.decide { best = r }
        }
        let (plan, seconds) = best!
        rows.append((label, plan, seconds))
        print(String(format: "%@: build %.3f s, decide %.3f s, whole evaluate %.3f s; %d eligible, total %@; Lua heap %d MB",
                     label, plan.timings.build, plan.timings.decide, seconds, plan.eligible, plan.total.yuanText, plan.timings.luaBytes >> 20))
    }
    precondition(Set(rows.map { $0.1.total }).count == 1, "every configuration gives the same total")
    print("peak RSS: \(peakRSSMegabytes()) MB")

    // Plain lua5.4: the same policy over the same households as plain tables.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-bench-plain-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let data = try CSVOutput(path: dir.appendingPathComponent("h.tsv").path, bom: false)
    for i in 0..<households.count {
        // id, name, unit, members, income, live, file_status, categories, causes
        try data.write(["\(households.ids[i])\t\(households.name(at: i))\t\(households.unitCode(at: i))\t\(households.members[i])\t\(households.income[i])\t\(households.isLive(at: i) ? 1 : 0)\t\(households.fileStatusName(at: i))\t\(households.categories[i])\t\(households.causes[i])"])
    }
    try data.commit()
    let cats = Vocabulary.categories.enumerated().map { "[\"\($1)\"]=\(1 << $0)" }.joined(separator: ",")
    let causes = Vocabulary.causes.enumerated().map { "[\"\($1)\"]=\(1 << $0)" }.joined(separator: ",")
    let catList = Vocabulary.categories.map { "\"\($0)\"" }.joined(separator: ",")
    let causeList = Vocabulary.causes.map { "\"\($0)\"" }.joined(separator: ",")
    let harness = """
        local host = { caller_line = function() return 0 end, with_line = function(f) return function(...) return f(0, ...) end end, categories = {\(catList)}, causes = {\(causeList)},
                       category_bit = {\(cats)}, cause_bit = {\(causes)} }
        local w = assert(loadfile("stdlib/warmth.lua"))("warmth", host)
        package.loaded.warmth = w
        local policy = dofile("\(policyPath)")
        local mt = { __index = w._household_methods }
        local H = {}
        for line in io.lines("\(dir.appendingPathComponent("h.tsv").path)") do
          local id, name, unit, members, income, live, fs, c, k = line:match("^(%d+)\\t([^\\t]*)\\t([^\\t]*)\\t(%d+)\\t(%d+)\\t(%d)\\t([^\\t]*)\\t(%d+)\\t(%d+)")
          H[#H + 1] = setmetatable({ id = math.tointeger(id), name = name, unit = unit, members = math.tointeger(members),
            income = math.tointeger(income), live = live == "1", file_status = fs, _categories = math.tointeger(c),
            _causes = math.tointeger(k) }, mt)
        end
        local params = policy.params
        local campaign = { name = "bench", budget = 10000000000 }
        local decide = policy.decide
        local out_i, out_p, n, total = {}, {}, 0, 0
        local t = math.huge
        for round = 1, 3 do -- the fastest of three, as for Warmth
          n = 0
          local t0 = os.clock()
          for i = 1, #H do
            local p = decide(H[i], params, campaign)
            if p ~= nil then n = n + 1; out_i[n] = i; out_p[n] = p end
          end
          t = math.min(t, os.clock() - t0)
        end
        for i = 1, n do total = total + out_p[i].amount end
        print(string.format("%.6f %d %d", t, n, total))
        """
    let harnessPath = dir.appendingPathComponent("plain.lua").path
    try harness.write(toFile: harnessPath, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["lua5.4", harnessPath]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let parts = out.split(separator: " ")
    guard process.terminationStatus == 0, parts.count == 3, let plain = Double(parts[0]) else {
        print("plain lua5.4: failed: \(out)")
        return
    }
    let eligible = Int(parts[1])!, total = Int64(parts[2].trimmingCharacters(in: .whitespacesAndNewlines))!
    precondition(eligible == rows[0].1.eligible && total == rows[0].1.total.fen, "plain Lua agrees with Warmth")
    print(String(format: "plain lua5.4, one core, plain tables: decide %.3f s (%d eligible, the same total)", plain, eligible))
    let one = rows[1].1.timings.decide, two = rows[0].1.timings.decide
    let offOne = rows[3].1.timings.decide, offTwo = rows[2].1.timings.decide
    print(String(format: "Warmth's decide time over plain Lua's: %.2fx on one worker, %.2fx on two; the sandbox's limits cost %.1f%% on one worker, %.1f%% on two",
                 one / plain, two / plain, (one - offOne) / offOne * 100, (two - offTwo) / offTwo * 100))
}

/// Only the load from SQLite, for profiling.
func benchLoad() throws {
    let n = option("--households", default: 1_000_000)
    let dbPath = stringOption("--db", default: ".build/bench-\(n).sqlite")
    let store = try Store(path: dbPath)
    let units = try store.subtree(of: "C00")
    for _ in 0..<3 {
        let (table, seconds) = try time { try store.householdTable(units: units) }
        print(String(format: "load: %d households in %.3f s", table.count, seconds))
    }
}

/// Import the demo city's households CSV into a fresh store.
func benchImport() throws {
    let n = option("--households", default: 1_000_000)
    let folder = stringOption("--csv", default: ".build/bench-import-\(n)")
    let file = (folder as NSString).appendingPathComponent("households.csv")
    if !FileManager.default.fileExists(atPath: file) {
        print("writing a city of \(n) households to \(folder) (once)…")
        _ = try DemoCity(households: n).writeCSV(folder: folder)
    }
    let db = (folder as NSString).appendingPathComponent("import.sqlite")
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
    let store = try Store(path: db)
    let importer = Importer(store: store)
    _ = try importer.importUnits(file: (folder as NSString).appendingPathComponent("units.csv"))
    let (report, seconds) = try time { try importer.importHouseholds(file: file) }
    let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
    print(String(format: "import: %d households (%.0f MiB) in %.3f s: read and check %.3f s, write %.3f s (on two threads), commit %.3f s; %d inserted",
                 report.rows, Double(size) / 1_048_576, seconds, report.timings.check, report.timings.write, report.timings.commit,
                 report.counts.inserted))
    print("peak RSS: \(peakRSSMegabytes()) MB")
}

/// The ledger at a city's scale: commit a plan that pays every household, then `campaign show`'s
/// aggregate, the 不漏/不重/不错 checks and a batch approval, each beside a bare SQL scan of the
/// same payouts in the same run.
func benchLedger() throws {
    let n = option("--households", default: 1_000_000)
    if let reuse = CommandLine.arguments.firstIndex(of: "--checks").map({ CommandLine.arguments[$0 + 1] }) {
        // Only the checks, on a campaign an earlier run committed.
        let store = try Store(path: stringOption("--db", default: ".build/bench-\(n).sqlite"))
        let c = try store.campaign(named: reuse)!
        let (check, seconds) = try time { try LedgerCheck.run(on: store, campaignID: c.id!) }
        print(String(format: "checks: %.3f s, %d missed", seconds, check.missed.count))
        return
    }
    let dbPath = stringOption("--db", default: ".build/bench-\(n).sqlite")
    if !FileManager.default.fileExists(atPath: dbPath) {
        print("building a city of \(n) households in \(dbPath) (once)…")
        let store = try Store(path: dbPath)
        _ = try DemoCity(households: n).write(to: store, replace: false)
    }
    let store = try Store(path: dbPath)
    let name = "ledger-\(Int(Date().timeIntervalSince1970))"
    let c = try store.createCampaign(Campaign(name: name, unitCode: "C00", start: Day("2025-12-20")!, end: Day("2026-02-10")!,
                                              budget: Money(yuan: 1_000_000_000), funds: [.init(source: "上级拨付", amount: Money(yuan: 1_000_000_000))]))
    let empty = try store.createCampaign(Campaign(name: name + "-empty", unitCode: "C00", start: Day("2025-12-20")!, end: Day("2026-02-10")!,
                                                  budget: Money(yuan: 1)))
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-bench-ledger-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("policy.lua").path
    _ = FileManager.default.createFile(atPath: path, contents: Data("""
        local w = require "warmth"
        return w.policy { name = "普惠", decide = function(h) return w.pay(w.yuan(100), "普惠慰问", "全员慰问") end }
        """.utf8))
    let households = try store.householdTable(units: try store.subtree(of: "C00"))
    let (plan, evaluateSeconds) = try time { try Engine.evaluate(RunRequest(policy: try PolicyFile(path: path), campaign: c, households: households)) }
    let payouts = plan.payouts.map { p in
        Payout(householdID: households.ids[p.household], amount: p.amount, kind: p.kind, category: p.category, reason: p.reason, rule: p.rule)
    }
    let run = RunRecord(campaignID: c.id!, unitCode: "C00", policyPath: path, policySHA256: plan.policy.sha256, modules: "", params: "{}",
                        dataFingerprint: plan.dataFingerprint, householdsConsidered: households.count, total: plan.total, createdAt: Date())
    let ledger = CampaignLedger(storage: store)
    let (_, commitSeconds) = try time { try ledger.commit(CommitProposal(run: run, payouts: payouts, within: nil, actor: "bench")) }
    print(String(format: "evaluate %d households: %.3f s; commit %d payouts in one transaction: %.3f s", households.count, evaluateSeconds, payouts.count, commitSeconds))
    func best(_ body: () throws -> Void) rethrows -> Double {
        var b = Double.infinity
        for _ in 0..<3 { b = min(b, try time(body).1) }
        return b
    }
    let scan = try best { _ = try store.scalarForTesting("SELECT sum(amount_fen) + count(*) FROM payouts WHERE campaign_id = \(c.id!)") }
    let show = try best { _ = try store.readLedger { tx in (try tx.totals(campaignID: c.id!), try tx.runs(campaignID: c.id!)) } }
    let checkPaid = try best { _ = try LedgerCheck.run(on: store, campaignID: c.id!) }
    let checkEmpty = try best { _ = try LedgerCheck.run(on: store, campaignID: empty.id!) }
    let unpaid = try LedgerCheck.run(on: store, campaignID: empty.id!).missed.count
    print(String(format: "bare SQL scan of the payouts (sum and count): %.3f s", scan))
    print(String(format: "campaign show's aggregate over %d payouts: %.3f s (%.2fx the bare scan)", payouts.count, show, show / scan))
    print(String(format: "不漏/不重/不错 checks, every household paid: %.3f s (%.2fx the bare scan)", checkPaid, checkPaid / scan))
    print(String(format: "不漏/不重/不错 checks, nobody paid (%d households listed): %.3f s (%.2fx the bare scan)", unpaid, checkEmpty, checkEmpty / scan))
    let (_, approve) = try time { try ledger.move(PayoutQuery(campaignID: c.id!), to: .approved, by: Operator("bench"), reason: nil) }
    print(String(format: "approve all %d payouts in one transaction: %.3f s", payouts.count, approve))
    print("peak RSS: \(peakRSSMegabytes()) MB")
}

let command = CommandLine.arguments.dropFirst().first ?? "lua-call"
switch command {
case "load": try benchLoad()
case "import": try benchImport()
case "ledger": try benchLedger()
case "policy": try benchPolicy()
case "lua-call": try benchLuaCall()
case "repl": try benchRepl()
default:
    FileHandle.standardError.write(Data("usage: warmth-bench lua-call [--calls N] | policy [--households N] [--policy FILE] | import [--households N] | ledger [--households N] | repl [--households N]\n".utf8))
    exit(64)
}
