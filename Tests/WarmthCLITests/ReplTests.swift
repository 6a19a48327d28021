import Foundation
import Testing
import WarmthDomain

/// The what-if REPL, driven through its non-terminal mode (commands on standard input).
@Suite struct ReplTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let env = ["WARMTH_STDLIB": repo.appendingPathComponent("stdlib").path, "WARMTH_LANG": "zh"]

    /// A store with a demo city of 3,000 households and a campaign.
    func prepared() throws -> CLI {
        let cli = CLI()
        try cli.run("init")
        try cli.run("demo-data", "--households", "3000")
        try cli.run("campaign", "create", "c", "--unit", "C00", "--from", "2025-12-20", "--to", "2026-02-10", "--budget", "3000000")
        return cli
    }

    func script(_ unit: String) -> String { Self.repo.appendingPathComponent("scripts/\(unit)/policy.lua").path }

    /// The REPL over `cli`'s store, run from the repository's root (a district's policy names the
    /// city's as `within = "scripts/city/policy.lua"`).
    func repl(_ cli: CLI, _ policy: String, unit: String? = nil, _ lines: [String], flags: [String] = []) throws -> CLI.Result {
        try cli.run(env: Self.env.merging(["WARMTH_DB": "\(cli.folder)/warmth.sqlite"]) { _, b in b }, input: lines.joined(separator: "\n") + "\n",
                    in: Self.repo.path, ["repl", policy, "--campaign", "c"] + (unit.map { ["--unit", $0] } ?? []) + flags)
    }

    /// The REPL started in `cli`'s folder with pipes, for a test that talks to it while it runs.
    func started(_ cli: CLI, _ args: [String]) throws -> (Process, input: Pipe, output: Pipe, errors: Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cli.folder)
        p.environment = ProcessInfo.processInfo.environment.merging(Self.env) { _, b in b }.filter { $0.key != "WARMTH_DB" }
        let input = Pipe(), output = Pipe(), errors = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = errors
        try p.run()
        return (p, input, output, errors)
    }

    /// Every "合计 ¥…" amount in the text, in fen, in order.
    func totals(_ text: String) -> [Int64] {
        text.matches(of: /合计 +(?:[0-9]+ +)?(¥[0-9,]+\.[0-9]{2})/).compactMap { m in Money.parseYuan(String(m.1).replacingOccurrences(of: "¥", with: "").replacingOccurrences(of: ",", with: ""))?.fen }
    }

    @Test("a :set changes the total by exactly the change in the standard times the households that read it and were paid it; :diff agrees with two warmth runs")
    func setMatchesRuns() throws {
        let cli = try prepared()
        let r = try repl(cli, script("city"), [":params", ":set registered=500", ":diff"])
        #expect(r.status == 0, "\(r.err)")
        let readers = try #require(r.out.firstMatch(of: /registered = ¥600\.00 .*读它的户: ([0-9]+)/).map { Int64($0.1)! })
        let t = totals(r.out)
        #expect(t.count >= 2)
        // In the city policy every household that reads `registered` is paid it (特困职工家庭).
        #expect(t[0] - t[1] == readers * 10_000)
        #expect(r.out.contains("[重算 \(readers) / 3000 户"), "only the readers are decided again")
        let base = try cli.run(env: Self.env, "run", script("city"), "--campaign", "c")
        let changed = try cli.run(env: Self.env, "run", script("city"), "--campaign", "c", "--set", "registered=500")
        #expect(totals(base.out).first == t[0])
        #expect(totals(changed.out).first == t[1])
        let diffLine = try #require(r.out.split(separator: "\n").first { $0.contains("合计 ¥") && $0.contains("→") })
        let runDiff = try #require(changed.out.split(separator: "\n").first { $0.contains("合计 ¥") && $0.contains("→") })
        #expect(diffLine == runDiff, "the REPL's :diff and warmth run --set print the same comparison")
    }

    @Test(":losers and :winners agree with the plans of two warmth runs, household by household")
    func losersMatchRuns() throws {
        let cli = try prepared()
        // The district's standard for the registered needy rises (under the city's cap), and the
        // one for distressed enterprises' workers falls: some households gain, some lose.
        let r = try repl(cli, script("district"), unit: "D01", [":set registered=450 distressed=250", ":losers 10000", ":winners 10000"])
        #expect(r.status == 0, "\(r.err)")
        try cli.run(env: Self.env, in: Self.repo.path, "run", script("district"), "--campaign", "c", "--unit", "D01", "--db", "\(cli.folder)/warmth.sqlite", "--out", "\(cli.folder)/a.csv")
        try cli.run(env: Self.env, in: Self.repo.path, "run", script("district"), "--campaign", "c", "--unit", "D01", "--db", "\(cli.folder)/warmth.sqlite",
                    "--set", "registered=450", "--set", "distressed=250", "--out", "\(cli.folder)/b.csv")
        func amounts(_ file: String) throws -> [String: Int64] {
            let rows = try String(contentsOfFile: "\(cli.folder)/\(file)", encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst()
            return Dictionary(uniqueKeysWithValues: rows.map { row in
                let c = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                return ("\(c[1])|\(c[2])|\(c[3])", Int64(c[6])!)
            })
        }
        let a = try amounts("a.csv"), b = try amounts("b.csv")
        let lost = a.filter { k, v in (b[k] ?? 0) < v }
        let gained = b.filter { k, v in (a[k] ?? 0) < v }
        #expect(lost.count > 0 && gained.count > 0)
        let rows = r.out.split(separator: "\n").filter { $0.contains("scripts/district/policy.lua:") }
        let loserRows = rows.filter { $0.contains("-¥") }
        let winnerRows = rows.filter { !$0.contains("-¥") }
        #expect(loserRows.count == lost.count)
        #expect(winnerRows.count == gained.count)
        // Each row names the household by its masked ID and unit, with the old and new amounts.
        for (key, old) in lost {
            let parts = key.split(separator: "|")
            let new = b[key] ?? 0
            #expect(loserRows.contains { $0.contains(parts[1]) && $0.contains(parts[2]) && $0.contains(Money(fen: old).yuanText) && $0.contains(Money(fen: new).yuanText) })
        }
        #expect(r.out.contains("增加超过5% \(gained.count) 户"))
    }

    @Test(":undo, :reset, :save/:load/:compare and :scenarios work; saved scenarios outlive the session and touch no ledger")
    func scenarios() throws {
        let cli = try prepared()
        let one = try repl(cli, script("city"), [":set registered=500", ":set frontline=150", ":undo", ":params", ":save s1 试算", ":reset", ":params", ":quit"])
        #expect(one.status == 0, "\(one.err)")
        #expect(one.out.contains("已撤销; 当前改动: registered=¥500.00"))
        #expect(one.out.contains("frontline = ¥200.00 (20000 分)  [金额]"), "undo put frontline back")
        #expect(one.out.contains("已保存方案 “s1”: registered=¥500.00"))
        let two = try repl(cli, script("city"), [":scenarios", ":load s1", ":compare base s1", ":load nope"])
        #expect(two.status == 0)
        #expect(two.out.contains(/s1 +registered=¥500\.00 +试算/))
        #expect(two.out.contains("已载入方案 “s1”: registered=¥500.00"))
        #expect(two.out.contains("方案 “s1” 与 “base” 比较"))
        #expect(two.err.contains("没有保存的方案 “nope”; 已有: s1"))
        let t = totals(two.out)
        let run = try cli.run(env: Self.env, "run", script("city"), "--campaign", "c", "--set", "registered=500")
        #expect(t.contains(totals(run.out).first!))
        let ledger = try cli.run(env: Self.env, "campaign", "show", "c")
        #expect(!ledger.out.contains("运行 #"), "nothing reached the ledger")
    }

    @Test("a Lua line over the plan gives the right count; a multi-line chunk runs; print is shown")
    func luaLines() throws {
        let cli = try prepared()
        let r = try repl(cli, script("city"), [
            #"plan:where(function(p) return p.category == "特困职工家庭" end):count()"#,
            #"plan:by "category""#,
            "local n = 0",
            "for _, p in ipairs(plan.rows) do",
            "  if p.amount >= w.yuan(300) then n = n + 1 end",
            "end",
            "print('big', plan:where(function(p) return p.amount >= w.yuan(300) end):count())",
            ":mode csv",
            "plan:top(2)",
        ])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        let run = try cli.run(env: Self.env, "run", script("city"), "--campaign", "c")
        let registered = try #require(run.out.firstMatch(of: /特困职工家庭 +([0-9]+)/).map { String($0.1) })
        #expect(lines.contains(registered))
        #expect(r.out.contains("  特困职工家庭"))
        #expect(lines.contains { $0.hasPrefix("big\t") })
        #expect(lines.contains("n,id,name,unit,category,amount(元),kind,reason,rule"))
        #expect(!r.out.contains(#/[0-9]{17}[0-9X]/#), "ID numbers are masked")
    }

    @Test("a bad command, a bad param and an endless loop get clear messages and the session goes on; --bail stops with status 2")
    func errorsAndBail() throws {
        let cli = try prepared()
        let r = try repl(cli, script("city"), [":bogus", ":set nope=1", ":set registered=abc", "while true do end", "1 + 1", ":budget x", ":explain 99999999"])
        #expect(r.status == 0)
        #expect(r.err.contains("没有命令 :bogus"))
        #expect(r.err.contains("策略没有参数 “nope”; 它的参数有: discretionary_max"))
        #expect(r.err.contains("registered"))
        #expect(r.err.contains("死循环"))
        #expect(r.out.split(separator: "\n").contains("2"), "the session went on after the loop")
        #expect(r.err.contains(":budget 要写元数"))
        #expect(r.err.contains("没有载入户 “99999999”"))
        let bail = try repl(cli, script("city"), [":bogus", "1 + 1"], flags: ["--bail", "--echo"])
        #expect(bail.status == 2)
        #expect(bail.out.contains("warmth> :bogus"))
        #expect(!bail.out.split(separator: "\n").contains("2"), "nothing runs after the first error")
    }

    @Test(":verify passes after a sequence of changes on every policy in scripts/", arguments: [("city", "C00"), ("district", "D01"), ("school", "D01-06"), ("bureau", "D01-09")])
    func verifyEveryPolicy(unit: String, code: String) throws {
        let cli = try prepared()
        let params = try #require(try repl(cli, script(unit), unit: code, [":params"]).out.matches(of: /^  ([a-z_]+) = ¥([0-9,]+)\.00/.anchorsMatchLineEndings())
            .map { (String($0.1), Int64(String($0.2).replacingOccurrences(of: ",", with: ""))!) })
        #expect(!params.isEmpty)
        var lines: [String] = []
        for (name, yuan) in params {
            lines += [":set \(name)=\(yuan * 9 / 10)", ":verify"]
        }
        lines += [":budget 100000", ":verify", ":undo", ":undo", ":verify", ":reset", ":verify"]
        let r = try repl(cli, script(unit), unit: code, lines, flags: ["--bail"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.components(separatedBy: "核对一致").count - 1 == params.count + 3)
    }

    @Test(":reload re-reads the policy after it is edited and keeps the params it still has")
    func reload() throws {
        let cli = try prepared()
        let source = { (registered: Int) in """
            local w = require "warmth"
            return w.policy { name = "可改", params = { registered = w.yuan(\(registered)), other = w.yuan(50) },
              decide = function(h, p)
                if h:is "在档困难职工" then return w.pay(p.registered, "特困职工家庭", "在档") end
              end }
            """ }
        let file = cli.write("policy.lua", source(600))
        // The session runs while the file is edited: commands are sent in two parts.
        let (p, input, output, _) = try started(cli, ["repl", file, "--campaign", "c"])
        input.fileHandleForWriting.write(Data(":set other=60\n:params\n".utf8))
        var seen = ""
        let deadline = Date().addingTimeInterval(60)
        while !seen.contains("other = ¥60.00"), Date() < deadline {
            seen += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        }
        #expect(seen.contains("registered = ¥600.00"))
        _ = cli.write("policy.lua", source(700).replacingOccurrences(of: "other = w.yuan(50)", with: "extra = w.yuan(5), other = w.yuan(50)"))
        input.fileHandleForWriting.write(Data(":reload\n:params\n".utf8))
        try input.fileHandleForWriting.close()
        seen += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(seen.contains("已重新读取"))
        #expect(seen.contains("registered = ¥700.00"), "the edited standard is read")
        #expect(seen.contains("other = ¥60.00 (6000 分)  [金额 · 策略值 ¥50.00]"), "the scenario's change is kept")
        #expect(seen.contains("extra = ¥5.00"), "a new param appears")
    }
    @Test("Ctrl-C while an evaluation runs stops it; the session goes on with the previous plan and params")
    func interruptEvaluation() throws {
        let cli = try prepared()
        // Slow on demand: every decision loops `loops` times. The baseline is quick; the change
        // asks for a loop that would take minutes over every household, so Ctrl-C always lands
        // while it runs.
        let file = cli.write("slow.lua", """
            local w = require "warmth"
            return w.policy { name = "慢", params = { base = w.yuan(100), loops = w.count(10) },
              decide = function(h, p)
                local x = 0
                for i = 1, p.loops do x = x + i end
                return w.pay(p.base, "特困职工家庭", "慢")
              end }
            """)
        let (p, input, output, errors) = try started(cli, ["repl", file, "--campaign", "c", "--workers", "1"])
        var start = ""
        let deadline = Date().addingTimeInterval(120)
        while !start.contains("输入 :help"), Date() < deadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            start += String(decoding: data, as: UTF8.self)
        }
        #expect(start.contains("合计 ¥300,000.00"))
        input.fileHandleForWriting.write(Data(":set base=120 loops=1000000\n".utf8))
        Thread.sleep(forTimeInterval: 0.5)
        kill(p.processIdentifier, SIGINT)
        input.fileHandleForWriting.write(Data(":params\n1 + 1\n".utf8))
        try input.fileHandleForWriting.close()
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "the session went on to the end of its input")
        #expect(err.contains("已中断 (Ctrl-C)"), "\(err)")
        #expect(err.contains("保留上一个方案; 改动已撤回"))
        #expect(rest.contains("base = ¥100.00"), "the change was withdrawn")
        #expect(rest.contains("loops = 10"))
        #expect(!rest.contains("¥360,000.00"), "the interrupted scenario was never shown")
        #expect(rest.split(separator: "\n").contains("2"))
    }

    @Test("hostile lines at the prompt: no escape from the sandbox, nothing the host holds changes, output stays printable")
    func hostileLines() throws {
        let cli = try prepared()
        let r = try repl(cli, script("city"), [
            #"os.execute("touch pwned")"#,
            #"io.open("/etc/passwd")"#,
            #"load("return 1")"#,
            #"require("warmth.repl").show = function() return {} end"#,
            #"w.yuan = function() return 0 end"#,
            #"params.registered = 1"#,
            #"rawset(params, "registered", 1)"#,
            #"campaign.budget = 0"#,
            #"getmetatable("").__index = nil"#,
            #"plan.rows[1].amount = 1"#,
            "plan:total()",
            #"string.rep("x", 1e9)"#,
            "local t = {} for i = 1, 1e9 do t[i] = i end",
            #"print("\27[2Jforged\27[1A")"#,
            ":params",
            "w.yuan(600)",
            "campaign.budget",
        ])
        #expect(r.status == 0, "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: "\(Self.repo.path)/pwned"))
        for global in ["os", "io", "load"] { #expect(r.err.contains("undefined global '\(global)'")) }
        #expect(r.err.contains("read-only module 'warmth.repl'"))
        #expect(r.err.contains("read-only module 'warmth'"))
        #expect(r.err.contains("read-only params"))
        #expect(r.err.contains("read-only campaign"))
        #expect(r.err.contains("string.rep would build"))
        #expect(r.err.contains("内存超过上限"))
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.contains("38200000"), "a changed row changes only the line that changed it: the next line sees the plan as it is")
        #expect(lines.contains("60000"), "w is unchanged")
        #expect(lines.contains("300000000"), "the campaign is unchanged")
        #expect(r.out.contains("registered = ¥600.00"))
        #expect(!r.out.contains("\u{1B}"), "no escape sequence reaches the terminal")
    }
    @Test("a Lua line over a plan larger than the line's memory budget works; the line's own memory is still bounded")
    func planLargerThanBudget() throws {
        let cli = CLI()
        try cli.run("init")
        try cli.run("demo-data", "--households", "20000")
        try cli.run("campaign", "create", "c", "--unit", "C00", "--from", "2025-12-20", "--to", "2026-02-10", "--budget", "3000000")
        // About 6,500 payouts: the plan's rows take several MiB, the budget is 2 MiB.
        let r = try repl(cli, script("city"), ["plan:count()", "local t = {} for i = 1, 1e7 do t[i] = i end", "baseline:count()", "1 + 1"],
                         flags: ["--max-memory", "2"])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        let count = try #require(lines.first { Int($0) != nil && $0 != "2" })
        #expect(Int(count)! > 5_000)
        #expect(lines.filter { $0 == count }.count == 2, "plan and baseline both counted: \(r.out)")
        #expect(r.err.contains("内存超过上限"), "the line's own table is stopped")
        #expect(lines.contains("2"))
    }
    @Test("--echo masks an ID number typed; :reset with nothing changed leaves nothing to undo")
    func echoAndReset() throws {
        let cli = try prepared()
        let r = try repl(cli, script("city"), [":explain 340521195801010066", ":reset", ":undo"], flags: ["--echo"])
        #expect(!r.out.contains("340521195801010066"), "\(r.out)")
        #expect(r.out.contains("warmth> :explain 340521********0066"))
        #expect(r.out.contains("没有改动, 已是基线"))
        #expect(r.err.contains("没有可撤销的改动"))
    }
}
