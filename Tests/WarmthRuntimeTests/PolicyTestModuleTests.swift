import Foundation
import Testing
import WarmthData
import WarmthDomain
import WarmthRuntime

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Writes a test file (and optionally a policy) into a fresh folder and runs it.
func runTestFile(_ test: String, policy: String? = nil, filter: String? = nil) -> [PolicyTestResult] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-t-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    if let policy { _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("policy.lua").path, contents: Data(policy.utf8)) }
    let file = dir.appendingPathComponent("x_test.lua").path
    _ = FileManager.default.createFile(atPath: file, contents: Data(test.utf8))
    return PolicyTestRunner.run(file: file, stdlib: stdlib, filter: filter, fixture: Fixture.load)
}

let samplePolicy = """
    local w = require "warmth"
    return w.policy { name = "sample", params = { base = w.yuan(600) },
      decide = function(h, p) if h:is "在档困难职工" then return w.pay(p.base, "特困职工家庭", "在册") end end }
    """

@Suite struct PolicyTestModuleTests {
    @Test("a passing expectation passes and a failing one is reported as failed, with line, expected and actual")
    func failingIsFailed() {
        let results = runTestFile("""
            local t = require "warmth.test"
            local w = require "warmth"
            local policy = require "policy"
            t.it("pays 600", function()
              t.expect(t.decide(policy, t.household { "在档困难职工" })).to_pay(w.yuan(600))
            end)
            t.it("pays 500 (wrong on purpose)", function()
              t.expect(t.decide(policy, t.household { "在档困难职工", members = 2 })).to_pay(w.yuan(500))
            end)
            """, policy: samplePolicy)
        #expect(results.map(\.status) == [.pass, .fail])
        let message = results[1].message
        #expect(message.contains("x_test.lua:8: expected a payout of ¥500.00, got ¥600.00 as 特困职工家庭"), "\(message)")
        #expect(message.contains("(household: 在档困难职工, members 2"), "the household is named")
    }

    @Test("a test that errors, or that expects a payout and gets none, fails")
    func errorsFail() {
        let results = runTestFile("""
            local t = require "warmth.test"
            local policy = require "policy"
            t.it("errors", function() local x = nil; return x.y end)
            t.it("expects a payout", function() t.expect(t.decide(policy, t.household {})).to_pay(100) end)
            t.it("expects a failure that does not come", function() t.expect(function() end).to_fail("boom") end)
            t.pending("not written yet")
            """, policy: samplePolicy)
        #expect(results.map(\.status) == [.fail, .fail, .fail, .skip])
        #expect(results[1].message.contains("gets nothing"))
        #expect(results[2].message.contains("it succeeded"))
    }

    @Test("a test file that does not compile or fails at its top level counts as one failure")
    func erroringFile() {
        let syntax = runTestFile("local t = require 'warmth.test'\nt.it('x', function() end\n")
        #expect(syntax.count == 1)
        #expect(syntax[0].status == .fail)
        #expect(syntax[0].message.contains("x_test.lua:2:") || syntax[0].message.contains("x_test.lua:3:"), "\(syntax[0].message)")
        let topLevel = runTestFile("local t = require 'warmth.test'\nlocal p = require 'nosuchmodule'\n")
        #expect(topLevel.map(\.status) == [.fail])
        #expect(topLevel[0].message.contains("no module 'nosuchmodule'"))
    }

    @Test("a test runs in the policy sandbox: no io, os or load")
    func sandboxed() {
        let results = runTestFile("""
            local t = require "warmth.test"
            t.it("reads a file", function() return io.open("/etc/passwd") end)
            t.it("runs a command", function() return os.execute("true") end)
            t.it("loads code", function() return load("return 1") end)
            """)
        #expect(results.map(\.status) == [.fail, .fail, .fail])
        #expect(results.allSatisfy { $0.message.contains("undefined global") })
    }

    @Test("expectations chain with . and with :, and households refuse fields that are not what they say")
    func chainingAndHouseholdChecks() {
        let results = runTestFile("""
            local t = require "warmth.test"
            local w = require "warmth"
            local policy = require "policy"
            t.it("dot chain", function()
              t.expect(t.decide(policy, t.household { "在档困难职工" })).to_pay(w.yuan(600)).to_be_in("特困职工家庭")
            end)
            t.it("colon chain", function()
              t.expect(t.decide(policy, t.household { "在档困难职工" })):to_pay(w.yuan(600)):to_be_kind("cash")
            end)
            t.it("float income", function() t.household { income = 1199.99 } end)
            t.it("unknown status", function() t.household { file_status = "作废" } end)
            t.it("closed file is not live", function() t.expect(t.household { file_status = "注销" }.live).to_equal(false) end)
            t.it("unknown totals key", function() t.expect_totals({ total = 0, count = 0, by_category = {}, by_unit = {} }, { totl = 0 }) end)
            """, policy: samplePolicy)
        #expect(results.map(\.status) == [.pass, .pass, .fail, .fail, .pass, .fail])
        #expect(results[2].message.contains("income is fen per person per month"))
        #expect(results[3].message.contains("unknown file_status"))
        #expect(results[5].message.contains("unknown key \"totl\""))
    }

    @Test("--filter runs only the matching tests")
    func filter() {
        let results = runTestFile("""
            local t = require "warmth.test"
            t.it("alpha passes", function() end)
            t.it("beta would fail", function() error("no") end)
            """, filter: "alpha")
        #expect(results.map(\.name) == ["alpha passes"])
    }

    @Test("cases tables report the failing case at the case's own line")
    func cases() {
        let results = runTestFile("""
            local t = require "warmth.test"
            local w = require "warmth"
            local policy = require "policy"
            t.cases(policy, "sample") {
              { "registered gets 600", t.household { "在档困难职工" }, pays = w.yuan(600), category = "特困职工家庭" },
              { "nobody else", t.household { "低保" }, pays = 0 },
              { "wrong on purpose", t.household { "在档困难职工" }, pays = w.yuan(1) },
            }
            """, policy: samplePolicy)
        #expect(results.map(\.status) == [.pass, .pass, .fail])
        #expect(results[2].message.contains("x_test.lua:7: case 3: expected a payout of ¥1.00, got ¥600.00"), "\(results[2].message)")
        #expect(results[2].line == 7)
    }

    @Test("TAP output has a plan line and one ok/not ok line per test")
    func tap() {
        let results = runTestFile("""
            local t = require "warmth.test"
            t.it("one", function() end)
            t.it("two # hash", function() error("bad\\nline") end)
            t.pending("three")
            """)
        let lines = PolicyTestReport.tap(results).split(separator: "\n").map(String.init)
        #expect(lines[0] == "TAP version 13")
        #expect(lines[1] == "1..3")
        #expect(lines.filter { $0.hasPrefix("ok ") || $0.hasPrefix("not ok ") }.count == 3)
        #expect(lines.contains { $0.hasPrefix("not ok 2 - ") && $0.hasSuffix("two \\# hash") })
        #expect(lines.contains { $0.hasPrefix("ok 3 - ") && $0.hasSuffix("# SKIP") })
        let yaml = lines.drop { !$0.hasPrefix("not ok 2") }.dropFirst()
        #expect(yaml.first == "  ---")
        #expect(yaml.contains { $0.hasPrefix("  message: \"") && $0.contains("\\n") }, "multi-line messages stay on one YAML line")
    }

    @Test("JUnit output is well-formed XML with the right counts")
    func junit() throws {
        let results = runTestFile("""
            local t = require "warmth.test"
            t.it("one <&>", function() end)
            t.it("two", function() error("bad \\"quote\\" & <tag>") end)
            t.pending("three")
            """)
        let xml = PolicyTestReport.junit(results)
        // XMLDocument parses the whole text (and throws on anything malformed).
        let document = try XMLDocument(data: Data(xml.utf8))
        #expect(try document.nodes(forXPath: "//testcase").count == 3, "\(xml)")
        #expect(try document.nodes(forXPath: "//testcase/failure").count == 1)
        #expect(try document.nodes(forXPath: "//testcase/skipped").count == 1)
        let root = try #require(document.rootElement())
        #expect(root.attribute(forName: "tests")?.stringValue == "3")
        #expect(root.attribute(forName: "failures")?.stringValue == "1")
        let names = try document.nodes(forXPath: "//testcase/@name").compactMap(\.stringValue)
        #expect(names.contains("one <&>"), "names survive escaping: \(names)")
    }
}

/// Every policy test under scripts/ runs as part of `swift test`, one Swift test per Lua file.
@Suite struct ScriptsPolicyTests {
    static let files: [String] = {
        let cwd = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(repo.path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        return PolicyTestRunner.discover(["scripts"])
    }()

    @Test("the policy tests in scripts/ pass", arguments: files)
    func policyTests(file: String) {
        #expect(FileManager.default.currentDirectoryPath == repo.path, "swift test runs from the package root")
        let results = PolicyTestRunner.run(file: file, stdlib: stdlib, fixture: Fixture.load)
        #expect(!results.isEmpty, "\(file) declares tests")
        for r in results where r.status == .fail {
            Issue.record("\(r.file) › \(r.name)\n\(r.message)")
        }
    }

    @Test("there are policy tests for every policy in scripts/")
    func everyPolicyHasTests() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: repo.appendingPathComponent("scripts").path)
        for folder in folders where FileManager.default.fileExists(atPath: repo.appendingPathComponent("scripts/\(folder)/policy.lua").path) {
            #expect(Self.files.contains("scripts/\(folder)/policy_test.lua"), "scripts/\(folder)/policy.lua has no policy_test.lua")
        }
    }
}
