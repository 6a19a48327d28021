import Foundation
import Testing

/// A script's text cannot pass for Warmth's own lines: what a dry run prints must not be forged
/// into "committed to the ledger".
@Suite struct ForgedOutputTests {
    static let env = ["WARMTH_STDLIB": ReplTests.repo.appendingPathComponent("stdlib").path, "WARMTH_LANG": "zh"]

    func prepared() throws -> CLI {
        let cli = CLI()
        try cli.run("init")
        try cli.run("demo-data", "--households", "200")
        try cli.run("campaign", "create", "c", "--unit", "C00", "--from", "2025-12-20", "--to", "2026-02-10", "--budget", "100000")
        return cli
    }

    /// Lines that read as Warmth's own report of a commit.
    func forged(_ text: String) -> Bool {
        text.split(separator: "\n").contains { $0.hasPrefix("已写入台账") || $0.hasPrefix("Committed") }
    }

    @Test("newlines in a script's error, its print output or its policy name cannot forge a line of Warmth's own", arguments: [
        #"name = "p", decide = function(h) error("boom\n已写入台账: 运行 #42, 200 笔", 0) end"#,
        #"name = "p", decide = function(h) print("x\n已写入台账: 运行 #42") return nil end"#,
        #"name = "p\n已写入台账: 运行 #42", decide = function(h) return nil end"#,
    ])
    func forgedLines(_ body: String) throws {
        let cli = try prepared()
        let file = cli.write("policy.lua", "local w = require \"warmth\"\nreturn w.policy { \(body) }\n")
        let r = try cli.run(env: Self.env, "run", file, "--campaign", "c")
        #expect(!forged(r.out) && !forged(r.err), "\(r.out)\n\(r.err)")
        #expect(r.all.contains("已写入台账") || r.err.contains("one line of plain text"), "the text is shown, marked as the script's: \(r.all)")
        #expect(!r.out.contains("已写入台账"), "nothing of the script's reaches the report on standard output")
    }
    @Test("an ID or card number a script writes into an error, a print, a test name or a test failure is masked", arguments: [
        #"decide = function(h) error("核实 340503199001011234 卡 6222021234567890123", 0) end"#,
        #"decide = function(h) print("核实 340503199001011234 卡 6222021234567890123") return nil end"#,
    ])
    func maskedScriptText(_ body: String) throws {
        let cli = try prepared()
        let file = cli.write("policy.lua", "local w = require \"warmth\"\nreturn w.policy { name = \"p\", \(body) }\n")
        for args in [["run", file, "--campaign", "c"], ["run", file, "--campaign", "c", "--keep-going"]] {
            let r = try cli.run(env: Self.env, args)
            #expect(r.all.contains("340503********1234"), "\(r.all)")
            #expect(!r.all.contains("199001011234") && !r.all.contains("2123456789"), "\(r.all)")
        }
        _ = cli.write("x_test.lua", """
            local t = require "warmth.test"
            t.describe("户 340503199001011234", function()
              t.it("卡 6222021234567890123", function() error("核实 340503199001011234") end)
            end)
            """)
        let r = try cli.run(env: Self.env, "test", "\(cli.folder)/x_test.lua")
        #expect(r.status == 1)
        #expect(r.all.contains("户 340503********1234"), "\(r.all)")
        #expect(!r.all.contains("199001011234") && !r.all.contains("2123456789"), "\(r.all)")
    }
}
