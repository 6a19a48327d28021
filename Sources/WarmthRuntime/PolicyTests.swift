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
                                     message: String(describing: error), line: (error as? LuaError)?.line ?? 0)]
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
        // Fixture columns must outlive the sandbox's households.
        var keep: [LuaHouseholdColumns] = []
        defer { withExtendedLifetime(keep) {} }
        // The closures live in the state; they hold the sandbox unowned, or it would never be freed.
        sandbox.addHostFunction("load_policy") { [unowned sandbox] call in
            let lua = sandbox.lua
            let path = try resolve(call, suffix: ".lua")
            if let loaded = policies[path] { return loaded }
            let policy = try PolicyFile(path: path)
            let chunk = try lua.load(policy.source, chunkName: policy.path)
            let result = try lua.call(chunk.reference, [], results: 1)[0]
            policies[path] = result
            return result
        }
        sandbox.addHostFunction("fixture") { [unowned sandbox] call in
            let path = try resolve(call, suffix: ".csv")
            let table = try fixture(path)
            let columns = ShardEvaluator.columns(for: table, referenceDate: Day(year: 2025, month: 12, day: 20)!)
            keep.append(columns)
            return try ShardEvaluator.makeHouseholds(in: sandbox, columns: columns, range: 0..<table.count)
        }

        let t = try sandbox.rawModule("warmth.test")
        let chunk = try lua.load(String(decoding: data, as: UTF8.self), chunkName: display)
        _ = try lua.call(chunk.reference, [], results: 0)

        let count = try lua.value(of: try lua.call(lua.fieldReference(t, "_count"), [], results: 1)[0]).integerValue ?? 0
        let run = lua.fieldReference(t, "_run")
        let nameOf = lua.fieldReference(t, "_name")
        lua.setInstructionLimits(perCall: limits.instructionsPerRun > 0 ? min(limits.instructionsPerRun, 2_000_000_000) : nil, perRun: nil)
        lua.memoryLimit = lua.bytesInUse + limits.memoryBytes
        var results: [PolicyTestResult] = []
        for i in 0..<Int(count) {
            lua.resetRun()
            let index = try lua.reference(.integer(Int64(i + 1)))
            if let filter {
                let name = try lua.value(of: try lua.call(nameOf, [index], results: 1)[0]).stringValue ?? ""
                if !name.localizedCaseInsensitiveContains(filter), name.range(of: filter, options: .regularExpression) == nil { continue }
            }
            let out = try lua.call(run, [index], results: 4).map { try lua.value(of: $0) }
            let name = out[0].stringValue ?? "test \(i + 1)"
            let status = PolicyTestResult.Status(rawValue: out[1].stringValue ?? "fail") ?? .fail
            results.append(PolicyTestResult(file: display, name: name, status: status,
                                            message: LuaErrorText.clean(out[2].stringValue ?? ""),
                                            line: Int(out[3].integerValue ?? 0)))
        }
        return results
    }
}

/// Keep messages from scripts printable.
enum LuaErrorText {
    static func clean(_ s: String) -> String {
        LuaError(kind: .runtime, message: s).message
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
