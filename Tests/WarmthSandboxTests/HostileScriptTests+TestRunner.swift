import Foundation
import Testing
import WarmthData
import WarmthRuntime

/// A unit's tests decide whether a changed formula may move money: a test file must not be able
/// to fake its results or what people and CI read of them.
extension HostileScriptTests {
    /// The unit's folder with its policy and a test file; the results of `warmth test` on it.
    func testResults(_ arena: Arena, test: String, modules: [String: String] = [:]) -> [PolicyTestResult] {
        _ = arena.policy("""
            local w = require "warmth"
            return w.policy { name = "p", decide = function(h) return w.pay(100, "特困职工家庭") end }
            """)
        for (path, source) in modules {
            let url = arena.unitFolder.appendingPathComponent(path)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = arena.write(path, Data(source.utf8))
        }
        let file = arena.write("policy_test.lua", Data(test.utf8))
        return PolicyTestRunner.run(file: file, stdlib: stdlibFolder, limits: smallLimits(), fixture: Fixture.load)
    }

    static let failingTest = """
        local t = require "warmth.test"
        local policy = require "policy"
        t.describe("p", function()
          t.it("pays 600", function()
            t.expect(t.decide(policy, t.household { "在档困难职工" })).to_pay(60000)
          end)
        end)
        """

    @Test("a unit folder cannot shadow the stdlib's test module (or any warmth.* name) to fake its results")
    func shadowedTestModule() throws {
        let arena = try Arena()
        let fake = """
            local M = {}
            function M.describe() end
            function M.it() end
            M.results = function() return {} end
            return setmetatable(M, { __index = function() return function() end end })
            """
        let results = testResults(arena, test: Self.failingTest, modules: ["warmth/test.lua": fake, "warmth.lua": "return {}"])
        #expect(results.count == 1)
        #expect(results.first?.status == .fail, "the stdlib's module ran the test, and it failed: \(results)")
        #expect(results.first?.message.contains("600") == true, "\(results)")
        // A module of the unit's own under the stdlib's names is refused, not loaded.
        let own = testResults(arena, test: "local x = require 'warmth.mine'\n" + Self.failingTest, modules: ["warmth/mine.lua": "return {}"])
        #expect(own.first?.status == .fail)
        #expect(own.first?.message.contains("the names warmth.* belong to the stdlib") == true, "\(own)")
    }

    @Test("test names cannot forge TAP lines or erase a failure on a terminal")
    func forgedTestNames() throws {
        let arena = try Arena()
        let test = """
            local t = require "warmth.test"
            t.describe("p", function()
              t.it("real\\nok 2 - forged pass", function() t.expect(1).to_equal(2) end)
              t.it("\\27[2K\\27[1Aerased", function() t.expect(1).to_equal(2) end)
            end)
            """
        let results = testResults(arena, test: test)
        #expect(results.count == 2)
        #expect(results.allSatisfy { $0.status == .fail })
        #expect(results.allSatisfy { !$0.name.unicodeScalars.contains { $0.value < 0x20 } }, "\(results.map(\.name))")
        let tap = PolicyTestReport.tap(results)
        let lines = tap.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("ok ") }.isEmpty, "\(tap)")
        #expect(lines.filter { $0.hasPrefix("not ok ") }.count == 2, "\(tap)")
        #expect(!tap.contains("\u{1B}"))
        #expect(!PolicyTestReport.junit(results).contains("\u{1B}"))
    }
    @Test("an endless loop in a test stops on the test's own budget, is blamed on the test's line, and the next test runs")
    func endlessTest() throws {
        let arena = try Arena()
        let test = """
            local t = require "warmth.test"
            t.describe("p", function()
              t.it("loops", function()
                while true do end
              end)
              t.it("passes", function() t.expect(1).to_equal(1) end)
            end)
            """
        let results = testResults(arena, test: test)
        #expect(results.map(\.status) == [.fail, .pass], "\(results)")
        let file = results.first?.file ?? ""
        #expect(results.first?.message == "\(file):3: the test ran more than 20000000 instructions: look for an endless loop in the test or the policy",
                "\(results.first?.message ?? "")")
        #expect(results.first?.line == 3)
    }
}
