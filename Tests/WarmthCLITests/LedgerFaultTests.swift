import Foundation
import Testing

/// The ledger under processes that race or die: real `warmth run --commit` processes.
@Suite(.serialized) struct LedgerFaultTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static func script(_ unit: String) -> String { "\(root)/scripts/\(unit)/policy.lua" }

    func process(_ cli: CLI, _ args: [String]) -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = args
        // Policies name the policies they run within from the repository's root.
        p.currentDirectoryURL = URL(fileURLWithPath: Self.root)
        var env = ProcessInfo.processInfo.environment
        env["WARMTH_DB"] = "\(cli.folder)/warmth.sqlite"
        env["WARMTH_STDLIB"] = "\(Self.root)/stdlib"
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        return (p, err)
    }

    @Test("district commits started together never take the campaign over its budget nor pay a household twice; the losers say why")
    func racingProcesses() throws {
        let cli = CLI()
        let env = ["WARMTH_DB": "\(cli.folder)/warmth.sqlite"]
        try cli.run(env: env, "init")
        try cli.run(env: env, "demo-data", "--households", "4000")
        for trial in 0..<10 {
            let name = "race\(trial)"
            // Each district's plan fits alone; two together do not.
            #expect(try cli.run(env: env, "campaign", "create", name, "--unit", "C00", "--from", "2025-12-20", "--to", "2026-02-10",
                                "--budget", "20000", "--fund", "上级拨付=20000").status == 0)
            // Three districts and the city over all of them: overlapping subtrees.
            let runs = ["D01", "D02", "D03"].map { d in
                process(cli, ["run", Self.script("district"), "--campaign", name, "--unit", d, "--commit", "--workers", "1"])
            } + [process(cli, ["run", Self.script("city"), "--campaign", name, "--commit", "--workers", "1"])]
            for (p, _) in runs { try p.run() }
            var messages: [String] = []
            for (p, err) in runs {
                let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                p.waitUntilExit()
                #expect(p.terminationStatus == 0 || p.terminationStatus == 2, "\(text)")
                if p.terminationStatus == 2 { messages.append(text) }
            }
            let show = try cli.run(env: env, "campaign", "show", name).out
            let left = show.split(separator: "\n").first { $0.contains("预算结余") } ?? ""
            #expect(!left.contains("-"), "over budget: \(left)")
            for m in messages {
                #expect(m.contains("超出预算") || m.contains("另一次运行") || m.contains("另一个 warmth 进程"), "the loser says what happened: \(m)")
            }
        }
        let db = "\(cli.folder)/warmth.sqlite"
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        check.arguments = [db, "SELECT count(*) FROM (SELECT campaign_id, household_id FROM payout_state WHERE active = 1 GROUP BY 1, 2 HAVING count(*) > 1)"]
        let out = Pipe()
        check.standardOutput = out
        if FileManager.default.fileExists(atPath: "/usr/bin/sqlite3") {
            try check.run()
            check.waitUntilExit()
            #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
    }

    @Test("a commit killed with SIGKILL at a random moment leaves the whole run or nothing, and a sound store")
    func killedCommits() throws {
        let cli = CLI()
        let env = ["WARMTH_DB": "\(cli.folder)/warmth.sqlite"]
        try cli.run(env: env, "init")
        try cli.run(env: env, "demo-data", "--households", "60000")
        var whole = 0, none = 0
        // One commit left to finish says how long a whole one takes; the kills then fall in its
        // later part, where the write transaction runs, as well as before it.
        var full = 2.0
        for trial in 0..<21 {
            let name = "kill\(trial)"
            try cli.run(env: env, "campaign", "create", name, "--unit", "C00", "--from", "2025-12-20", "--to", "2026-02-10", "--budget", "90000000")
            let (p, _) = process(cli, ["run", Self.script("city"), "--campaign", name, "--commit"])
            let started = Date()
            try p.run()
            if trial == 0 {
                p.waitUntilExit()
                full = Date().timeIntervalSince(started)
            } else {
                usleep(UInt32(Double.random(in: 0.5...1.05) * full * 1_000_000))
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
            }
            let show = try cli.run(env: env, "campaign", "show", name)
            #expect(show.status == 0, "\(show.err)")
            if show.out.contains("尚无发放记录") {
                none += 1
            } else {
                // Whole: the run's recorded total is what its payouts add up to.
                let lines = show.out.split(separator: "\n")
                let run = lines.first { $0.contains("scripts/city/policy.lua") }.map(String.init) ?? ""
                let total = lines.first { $0.hasPrefix("  合计") }.map(String.init) ?? ""
                let runAmount = run.split(separator: " ").last.map(String.init) ?? "?"
                #expect(total.contains(runAmount), "run \(run) vs ledger \(total)")
                whole += 1
            }
        }
        let integrity = Process()
        integrity.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        integrity.arguments = ["\(cli.folder)/warmth.sqlite", "PRAGMA integrity_check"]
        let out = Pipe()
        integrity.standardOutput = out
        if FileManager.default.fileExists(atPath: "/usr/bin/sqlite3") {
            try integrity.run()
            integrity.waitUntilExit()
            #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        }
        #expect(whole + none == 21 && whole >= 1)
        // The 不漏 check on the campaign committed whole names the policy line that left households out.
        let check = process(cli, ["check-ledger", "--campaign", "kill0", "--limit", "3"])
        let checkOut = Pipe()
        check.0.standardOutput = checkOut
        try check.0.run()
        let text = String(decoding: checkOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.0.waitUntilExit()
        #expect(check.0.terminationStatus == 0)
        #expect(text.range(of: #"scripts/city/policy\.lua:\d+ 结束"#, options: String.CompareOptions.regularExpression) != nil, "\(text.prefix(600))")
        print("killed commits: \(whole) whole, \(none) nothing")
    }

    @Test("read-only commands started together all open the store; an import waits for a commit instead of failing")
    func openersAndWriters() throws {
        let cli = CLI()
        let db = "\(cli.folder)/warmth.sqlite"
        let env = ["WARMTH_DB": db]
        try cli.run(env: env, "init")
        try cli.run(env: env, "demo-data", "--households", "20000", "--csv", "\(cli.folder)/csv")
        try cli.run(env: env, "import", "units", "\(cli.folder)/csv/units.csv")
        try cli.run(env: env, "campaign", "create", "c", "--unit", "C00", "--from", "2025-12-20", "--to", "2026-02-10", "--budget", "90000000")
        for _ in 0..<20 {
            let readers = [["campaign", "list"], ["units", "list"], ["campaign", "show", "c"]].map { process(cli, $0) }
            for (p, _) in readers { try p.run() }
            for (p, err) in readers {
                let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                p.waitUntilExit()
                #expect(p.terminationStatus == 0, "\(text)")
            }
        }
        // A commit and an import at once: both finish; the store is sound.
        let commit = process(cli, ["run", Self.script("city"), "--campaign", "c", "--commit"])
        let importing = process(cli, ["import", "households", "\(cli.folder)/csv/households.csv"])
        try importing.0.run()
        try commit.0.run()
        for (p, err) in [commit, importing] {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0 || text.contains("另一个 warmth 进程"), "\(text)")
            #expect(p.terminationStatus != 70, "\(text)")
        }
        let show = try cli.run(env: env, "campaign", "show", "c")
        #expect(show.status == 0)
    }

    @Test("a store with a damaged page is refused for writing; a 0-byte --db is not taken for a store; a mistyped household is masked")
    func damagedAndEmptyStores() throws {
        let cli = CLI()
        let db = "\(cli.folder)/warmth.sqlite"
        let env = ["WARMTH_DB": db]
        try cli.run(env: env, "init")
        try cli.run(env: env, "demo-data", "--households", "3000")
        // Overwrite a page in the middle of the file (not the header).
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: db))
        try handle.seek(toOffset: 4096 * 20)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096))
        try handle.close()
        let write = try cli.run(env: env, "campaign", "create", "c", "--unit", "C00", "--from", "2025-12-20", "--to", "2026-02-10", "--budget", "1000")
        #expect(write.status == 2, "\(write.all)")
        #expect(write.err.contains("损坏"), "\(write.err)")
        let empty = cli.write("empty.sqlite", "")
        let listed = try cli.run(env: ["WARMTH_DB": empty], "units", "list")
        #expect(listed.status == 2 && listed.err.contains("空文件"), "\(listed.all)")
        #expect((try? FileManager.default.attributesOfItem(atPath: empty)[.size] as? Int) == 0, "nothing was written into it")
        let fresh = "\(cli.folder)/fresh.sqlite"
        try cli.run(env: ["WARMTH_DB": fresh], "init")
        let typo = try cli.run(env: ["WARMTH_DB": fresh], "households", "show", "6217008810000079192")
        #expect(typo.status == 2 && !typo.err.contains("6217008810000079192") && typo.err.contains("9192"), "\(typo.err)")
    }
}
