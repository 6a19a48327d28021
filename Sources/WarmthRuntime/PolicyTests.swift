import Foundation
import WarmthDomain
import WarmthLua

/// The outcome of one policy test (an `it` or a case), or of a test file that failed to load.
public struct PolicyTestResult: Sendable, Equatable {
    public enum Status: String, Sendable { case pass, fail, skip }
    /// The test file, as people read its path.
    public var file: String
    public var name: String
    public var status: Status
    /// For a failure: `file:line: expected …, got … (household: …)`.
    public var message: String
    public var line: Int
}

/// Finds and runs `*_test.lua` files, each in a fresh sandbox exactly like a policy's: a test
/// cannot do what a policy cannot.
public enum PolicyTestRunner {
    /// Every `*_test.lua` under `paths` (files are taken as they are), sorted.
    public static func discover(_ paths: [String]) -> [String] {
        var found: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { continue }
            if !isDir.boolValue {
                found.append(path)
                continue
            }
            let e = FileManager.default.enumerator(atPath: path)
            while let item = e?.nextObject() as? String {
                if item.hasSuffix("_test.lua") { found.append((path as NSString).appendingPathComponent(item)) }
            }
        }
        return found.map { Sandbox.display($0) }.sorted()
    }

    /// Run one test file. A file that fails to load, or whose tests cannot run, is one failure.
    /// - Parameter fixture: loads a fixture CSV into households (`t.fixture(path)`).
    public static func run(file: String, stdlib: String = ModulePaths.defaultStdlib(), limits: SandboxLimits = SandboxLimits(),
                           filter: String? = nil, fixture: @escaping (String) throws -> HouseholdTable) -> [PolicyTestResult] {
        let display = Sandbox.display(file)
        do {
            return try runThrowing(file: file, display: display, stdlib: stdlib, limits: limits, filter: filter, fixture: fixture)
        } catch {
            return [PolicyTestResult(file: display, name: "(loading \(display))", status: .fail,
                                     message: Masking.maskNumbers(in: String(describing: error)), line: (error as? LuaError)?.line ?? 0)]
        }
    }

    static func runThrowing(file: String, display: String, stdlib: String, limits: SandboxLimits, filter: String?,
                            fixture: @escaping (String) throws -> HouseholdTable) throws -> [PolicyTestResult] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SandboxError("\(display): cannot read the test file")
        }
        let folder = (file as NSString).deletingLastPathComponent
        let sandbox = try Sandbox(paths: ModulePaths(stdlib: stdlib, unit: folder), limits: limits)
        let lua = sandbox.lua
        let root = FileManager.default.currentDirectoryPath

        /// A path the test names, resolved beside the test file (or from the working folder),
        /// and kept inside the working folder.
        func resolve(_ call: LuaCall, suffix: String) throws -> String {
            guard case .string(let path) = try call.argument(1), path.hasSuffix(suffix) else {
                throw SandboxError("expected a path to a \(suffix) file")
            }
            let candidates = path.hasPrefix("/") ? [path] : [(folder as NSString).appendingPathComponent(path), path]
            var outside = false
            for c in candidates {
                let full = URL(fileURLWithPath: c).standardizedFileURL.path
                guard full.hasPrefix(root + "/") || full == root else {
                    outside = true
                    continue
                }
                if FileManager.default.fileExists(atPath: full) { return full }
            }
            if outside, candidates.count == 1 || path.hasPrefix("/") {
                throw SandboxError("'\(path)' is outside the working folder: tests read only the project's own files")
            }
            throw SandboxError("no file '\(path)' beside \(display) or in the working folder")
        }

        var policies: [String: LuaReference] = [:]
        // Every household a test holds was made here, from columns the runner keeps: by their
        // address, the table its rows come from (the columns must also outlive the households).
        var sources: [UnsafeRawPointer: (table: HouseholdTable, columns: LuaHouseholdColumns)] = [:]
        defer { withExtendedLifetime(sources) {} }
        let testDay = PolicyTestRunner.referenceDate
        // One session per policy file: its declaration is read once, each evaluation is fresh.
        var sessions: [String: PolicySession] = [:]
        var madeHouseholds: Int64 = 0

        func households(from table: HouseholdTable) throws -> LuaReference {
            let columns = ShardEvaluator.columns(for: table, referenceDate: testDay)
            sources[columns.address] = (table, columns)
            return try ShardEvaluator.makeHouseholds(in: sandbox, columns: columns, range: 0..<table.count)
        }

        // The closures live in the state; they hold the sandbox unowned, or it would never be freed.
        sandbox.addHostFunction("load_policy") { [unowned sandbox] call in
            let lua = sandbox.lua
            let path = try resolve(call, suffix: ".lua")
            if let loaded = policies[path] { return loaded }
            let policy = try PolicyFile(path: path)
            try sandbox.armDeclaring()
            let chunk = try lua.load(policy.source, chunkName: policy.path)
            let result = try lua.call(chunk.reference, [], results: 1)[0]
            policies[path] = result
            return result
        }
        sandbox.addHostFunction("fixture") { call in
            let path = try resolve(call, suffix: ".csv")
            return try households(from: try fixture(path))
        }
        // A household from the fields a test gives (checked by warmth.test first), with a valid
        // ID number made up to fit its age and sex: the same object a run decides on.
        sandbox.addHostFunction("household") { [unowned sandbox] call in
            guard case .table(let spec) = try call.argument(1) else { throw SandboxError("household takes a table") }
            madeHouseholds += 1
            let h = try PolicyTestRunner.household(spec, number: madeHouseholds, on: testDay)
            let list = try households(from: HouseholdTable([h]))
            return sandbox.lua.itemReference(list, 1)
        }
        // Evaluate a policy through the engine `warmth run` uses, over households the test made:
        // (policy, households, params, options) → the plan, as a table.
        sandbox.addHostFunction("evaluate") { [unowned sandbox] call in
            let lua = sandbox.lua
            guard let path = policies.first(where: { call.isSame(1, as: $0.value) })?.key
                    ?? sandbox.requiredModules().first(where: { call.isSame(1, as: $0.module) })?.path else {
                throw SandboxError("expected a policy loaded with require \"policy\" or t.policy(path); a table built in the test does not run through the engine")
            }
            let found = call.households(2)
            if let bad = found.notHousehold {
                throw SandboxError(bad == 0 ? "expected a list of households (made with t.household or t.fixture)"
                                   : "item \(bad) of the list is not a household made with t.household or t.fixture")
            }
            var table = HouseholdTable()
            table.reserve(found.rows.count)
            for (columns, row) in found.rows {
                guard let source = sources[columns] else { throw SandboxError("a household from another test file cannot be decided here") }
                table.append(source.table.household(at: row))
            }
            let (params, options) = (try call.argument(3), try call.argument(4))
            let campaign = try PolicyTestRunner.campaign(options)
            let template: PolicySession
            if let s = sessions[path] {
                template = s
            } else {
                template = try PolicySession(policy: try PolicyFile(path: path), campaign: campaign, households: HouseholdTable(),
                                             limits: limits, stdlib: stdlib, workers: 1)
                sessions[path] = template
            }
            let session = PolicySession(declaredBy: template, campaign: campaign, households: table, workers: 1)
            var scenario = Scenario(params: try PolicyTestRunner.params(params))
            if case .table(let o) = options {
                if case .integer(let b) = o["budget"] { scenario.budget = Money(fen: b) }
                if case .integer(let c) = o["committed"] { scenario.committed = Money(fen: c) }
                if case .table(let paid) = o["paid_ids"] {
                    scenario.alreadyPaid = Set(paid.array.compactMap { if case .integer(let i) = $0 { i } else { nil } })
                }
            }
            let plan = try session.evaluate(scenario)
            return try lua.reference(.table(PolicyTestRunner.luaPlan(plan)))
        }

        let t = try sandbox.rawModule("warmth.test")
        let chunk = try lua.load(String(decoding: data, as: UTF8.self), chunkName: display)
        _ = try lua.call(chunk.reference, [], results: 0)

        let count = try lua.value(of: try lua.call(lua.fieldReference(t, "_count"), [], results: 1)[0]).integerValue ?? 0
        let run = lua.fieldReference(t, "_run")
        let nameOf = lua.fieldReference(t, "_name")
        let lineOf = lua.fieldReference(t, "_line")
        // Each test has budgets of its own: an endless loop in one stops as soon as a run's
        // decision would (about a second), is blamed on the test's own line, and the next test runs.
        let instructions = [limits.instructionsPerTest, limits.instructionsPerRun].filter { $0 > 0 }.min()
        let seconds = [limits.secondsPerTest, limits.seconds].filter { $0 > 0 }.min()
        lua.memoryLimit = lua.bytesInUse + limits.memoryBytes
        var results: [PolicyTestResult] = []
        for i in 0..<Int(count) {
            lua.resetRun()
            lua.setInstructionLimits(perCall: limits.instructionsToLoad > 0 ? limits.instructionsToLoad : nil, perRun: nil)
            let index = try lua.reference(.integer(Int64(i + 1)))
            let name = Masking.maskNumbers(in: LuaErrorText.oneLine(try lua.value(of: try lua.call(nameOf, [index], results: 1)[0]).stringValue ?? "test \(i + 1)"))
            if let filter {
                if !name.localizedCaseInsensitiveContains(filter), name.range(of: filter, options: .regularExpression) == nil { continue }
            }
            let line = Int(try lua.value(of: try lua.call(lineOf, [index], results: 1)[0]).integerValue ?? 0)
            lua.setInstructionLimits(perCall: instructions, perRun: nil)
            lua.setDeadline(after: seconds)
            let out: [LuaValue]
            do {
                defer { lua.setDeadline(after: nil) }
                out = try lua.call(run, [index], results: 4).map { try lua.value(of: $0) }
            } catch let e as LuaError where e.kind.isLimit || e.kind == .memory {
                let what: String
                switch e.kind {
                case .limit(.time): what = "the test took longer than \(Int(seconds ?? 0)) s"
                case .memory: what = "the test needed more than \(limits.memoryBytes >> 20) MiB"
                case .limit(.interrupted): what = "the test was interrupted"
                default: what = "the test ran more than \(instructions ?? 0) instructions"
                }
                results.append(PolicyTestResult(file: display, name: name, status: .fail,
                                                message: "\(display):\(line): \(what): look for an endless loop in the test or the policy",
                                                line: line))
                continue
            }
            let status = PolicyTestResult.Status(rawValue: out[1].stringValue ?? "fail") ?? .fail
            results.append(PolicyTestResult(file: display, name: name, status: status,
                                            message: Masking.maskNumbers(in: LuaErrorText.clean(out[2].stringValue ?? "")),
                                            line: Int(out[3].integerValue ?? 0)))
        }
        return results
    }
}

extension PolicyTestRunner {
    /// The day a test household's age is counted to (the test campaign's default start).
    static let referenceDate = Day(year: 2025, month: 12, day: 20)!

    /// A household from a test's fields (already checked by warmth.test): categories and causes
    /// as bit sets, age and sex turned into a made-up, valid ID number.
    static func household(_ spec: LuaTable, number: Int64, on day: Day) throws -> Household {
        func text(_ key: String) -> String? { if case .string(let s) = spec[key] { s } else { nil } }
        func integer(_ key: String) -> Int64? { if case .integer(let i) = spec[key] { i } else { nil } }
        let age = Int(integer("age") ?? 45)
        guard (0...120).contains(age) else { throw SandboxError("household: age is a whole number of years from 0 to 120") }
        let male = text("sex") != "女"
        // Born on 15 June, so that the age holds from mid-June to mid-June around the reference day.
        let year = day.year - age - (day.month * 100 + day.day < 615 ? 1 : 0)
        let serial = Int(number % 500) * 2 + (male ? 1 : 0)
        let first17 = String(format: "340503%04d0615%03d", year, serial)
        let idNumber = first17 + String(IDNumber.checkCharacter(for: first17)!)
        func vocabulary(_ key: String, _ list: [String]) throws -> String? {
            guard let v = text(key) else { return nil }
            guard list.contains(v) else { throw SandboxError("household: unknown \(key) “\(v)”; known: \(list.joined(separator: "、"))") }
            return v
        }
        var registered: Day?
        if let r = text("registered_on") {
            guard let d = Day(r) else { throw SandboxError("household: registered_on is a date such as \"2024-03-01\"") }
            registered = d
        }
        return Household(id: integer("id") ?? 1_000_000_000 + number, idNumber: idNumber, name: text("name") ?? "测试户", unitCode: text("unit") ?? "TEST",
                         members: Int(integer("members") ?? 3), incomePerCapita: Money(fen: integer("income") ?? Money(yuan: 1500).fen),
                         categories: NameSet(bits: integer("categories") ?? 0), causes: NameSet(bits: integer("causes") ?? 0),
                         difficultyType: try vocabulary("difficulty", Vocabulary.difficultyTypes),
                         mainCause: try vocabulary("main_cause", Vocabulary.fileCauses),
                         identity: try vocabulary("identity", Vocabulary.identities),
                         fileStatus: try vocabulary("file_status", Vocabulary.fileStatuses) ?? "正式", registeredOn: registered)
    }

    /// The campaign a test's options give (`campaign = t.campaign { … }`), or the default one.
    static func campaign(_ options: LuaValue) throws -> Campaign {
        var spec = LuaTable()
        if case .table(let o) = options, case .table(let c) = o["campaign"] { spec = c }
        func text(_ key: String) -> String? { if case .string(let s) = spec[key] { s } else { nil } }
        func day(_ key: String, _ fallback: String) throws -> Day {
            guard let d = Day(text(key) ?? fallback) else { throw SandboxError("campaign: \(key) is a date such as \"2025-12-20\"") }
            return d
        }
        var budget = Money(yuan: 1_000_000)
        if case .integer(let b) = spec["budget"] { budget = Money(fen: b) }
        let phase = Campaign.Phase(rawValue: text("phase") ?? "准备") ?? .preparation
        var funds: [Campaign.Fund] = []
        if case .table(let f) = spec["funds"] {
            for (k, v) in f.hash.sorted(by: { "\($0.key)" < "\($1.key)" }) {
                if case .string(let source) = k, case .integer(let amount) = v { funds.append(Campaign.Fund(source: source, amount: Money(fen: amount))) }
            }
        }
        return Campaign(name: text("name") ?? "测试活动", unitCode: text("unit") ?? "TEST", start: try day("start", "2025-12-20"),
                        end: try day("finish", "2026-02-10"), phase: phase, budget: budget, funds: funds)
    }

    /// A test's params: plain values (the kinds are checked by the session).
    static func params(_ value: LuaValue) throws -> [String: ParamValue] {
        guard case .table(let t) = value else { return [:] }
        var out: [String: ParamValue] = [:]
        for (k, v) in t.hash {
            guard case .string(let name) = k else { throw SandboxError("params: param names are strings") }
            switch v {
            case .integer(let i): out[name] = .integer(i)
            case .string(let s): out[name] = .string(s)
            case .boolean(let b): out[name] = .boolean(b)
            default: throw SandboxError("params: \(name) must be an integer, a string or a boolean")
            }
        }
        return out
    }

    /// A plan as the test module reads it: each payout with the position of its household in
    /// the list the test gave.
    static func luaPlan(_ plan: Plan) -> LuaTable {
        let payouts: [LuaValue] = plan.payouts.map { p in
            var t = LuaTable(fields: [
                "index": .integer(Int64(p.household + 1)), "amount": .integer(p.amount.fen), "category": .string(p.category),
                "kind": .string(p.kind.rawValue), "reason": .string(p.reason), "rule": .string(p.rule),
            ])
            if let g = p.goods { t["goods"] = .string(g) }
            if let s = p.score { t["score"] = .integer(s) }
            if let r = p.rule.range(of: ":[0-9]+$", options: .regularExpression) ?? p.rule.range(of: ":[0-9]+\\)$", options: .regularExpression),
               let line = Int64(p.rule[r].filter(\.isNumber)) {
                t["line"] = .integer(line)
            }
            if let items = p.items {
                t["items"] = .table(LuaTable(array: items.map { i in
                    var e = LuaTable(fields: ["kind": .string(i.kind.rawValue), "value": .integer(i.value.fen)])
                    if let d = i.description { e["description"] = .string(d) }
                    if let q = i.quantity { e["quantity"] = .string(q) }
                    return .table(e)
                }))
            }
            return .table(t)
        }
        return LuaTable(fields: ["payouts": .table(LuaTable(array: payouts)), "duplicates": .integer(Int64(plan.duplicates)),
                                 "budget": .integer(plan.budget.fen)])
    }
}

/// Keep messages from scripts printable.
enum LuaErrorText {
    static func clean(_ s: String) -> String {
        LuaError(kind: .runtime, message: s).message
    }

    /// A name from a script (a test's): one printable line of at most 200 characters. A newline
    /// could forge a TAP `ok` line, an escape sequence could erase a failure on a terminal.
    static func oneLine(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for (k, c) in s.unicodeScalars.enumerated() {
            if k == 200 { out.append(contentsOf: "…".unicodeScalars); break }
            out.append(ShardEvaluator.isControl(c) ? "\u{FFFD}" : c)
        }
        return String(out)
    }
}

/// Reports for CI systems.
public enum PolicyTestReport {
    /// TAP version 13.
    public static func tap(_ results: [PolicyTestResult]) -> String {
        var out = "TAP version 13\n1..\(results.count)\n"
        for (i, r) in results.enumerated() {
            let title = "\(r.file) › \(r.name)".replacingOccurrences(of: "#", with: "\\#")
            switch r.status {
            case .pass: out += "ok \(i + 1) - \(title)\n"
            case .skip: out += "ok \(i + 1) - \(title) # SKIP\n"
            case .fail:
                out += "not ok \(i + 1) - \(title)\n  ---\n"
                out += "  message: \(yamlQuote(r.message))\n  at: \(yamlQuote("\(r.file):\(r.line)"))\n  ...\n"
            }
        }
        return out
    }

    static func yamlQuote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t") + "\""
    }

    /// JUnit XML, one testsuite per file.
    public static func junit(_ results: [PolicyTestResult]) -> String {
        func esc(_ s: String) -> String {
            var o = ""
            for ch in s.unicodeScalars {
                switch ch {
                case "&": o += "&amp;"
                case "<": o += "&lt;"
                case ">": o += "&gt;"
                case "\"": o += "&quot;"
                case "'": o += "&apos;"
                default:
                    if ch.value < 0x20 && ch != "\n" && ch != "\t" { o += "\u{FFFD}" } else { o.unicodeScalars.append(ch) }
                }
            }
            return o
        }
        var seen = Set<String>()
        let files = results.map(\.file).filter { seen.insert($0).inserted }
        let failures = results.filter { $0.status == .fail }.count
        let skipped = results.filter { $0.status == .skip }.count
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"warmth\" tests=\"\(results.count)\" failures=\"\(failures)\" skipped=\"\(skipped)\">\n"
        for f in files {
            let rs = results.filter { $0.file == f }
            out += "  <testsuite name=\"\(esc(f))\" tests=\"\(rs.count)\" failures=\"\(rs.filter { $0.status == .fail }.count)\" skipped=\"\(rs.filter { $0.status == .skip }.count)\">\n"
            for r in rs {
                out += "    <testcase classname=\"\(esc(f))\" name=\"\(esc(r.name))\""
                switch r.status {
                case .pass: out += "/>\n"
                case .skip: out += "><skipped/></testcase>\n"
                case .fail: out += "><failure message=\"\(esc(r.message.split(separator: "\n").first.map(String.init) ?? ""))\">\(esc(r.message))</failure></testcase>\n"
                }
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }
}
