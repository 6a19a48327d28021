import Foundation
import Testing
import WarmthDomain

/// Runs the built `warmth` binary (beside this test bundle) in a temporary folder.
struct CLI {
    let folder: String

    init() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-cli-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The bundle may be a folder (…/X.xctest/…): walk up to the products folder.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("warmth").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("warmth").path
    }

    struct Result {
        var status: Int32
        var out: String
        var err: String
        var all: String { out + err }
    }

    @discardableResult
    func run(_ args: String...) throws -> Result { try run(env: [:], args) }

    @discardableResult
    func run(env extra: [String: String], _ args: String...) throws -> Result { try run(env: extra, args) }

    @discardableResult
    func run(env extra: [String: String], in directory: String, _ args: String...) throws -> Result { try run(env: extra, in: directory, args) }

    func run(env extra: [String: String], input: String? = nil, in directory: String? = nil, _ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: directory ?? folder)
        var env = ProcessInfo.processInfo.environment
        env["WARMTH_DB"] = nil
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let stdin = Pipe()
        if input != nil { p.standardInput = stdin }
        try p.run()
        if let input {
            // Written from another thread: a long script must not block on a full pipe while the
            // process waits for its output to be read.
            let handle = stdin.fileHandleForWriting
            Thread.detachNewThread {
                handle.write(Data(input.utf8))
                try? handle.close()
            }
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    func write(_ name: String, _ text: String) -> String {
        let path = (folder as NSString).appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }
}

@Suite struct CLITests {
    @Test("version names Warmth and the embedded Lua")
    func version() throws {
        let r = try CLI().run("version")
        #expect(r.status == 0)
        #expect(r.out.hasPrefix("warmth "))
        #expect(r.out.contains("Lua 5.4"))
    }

    @Test("check prints OK, or the syntax error as file:line: message with exit 1")
    func check() throws {
        let cli = CLI()
        let good = cli.write("good.lua", "return 1\n")
        let bad = cli.write("bad.lua", "local x =\nreturn = 2\n")
        #expect(try cli.run("check", good).out == "\(good): OK\n")
        let r = try cli.run("check", bad)
        #expect(r.status == 1)
        #expect(r.out.hasPrefix("\(bad):2: "))
        #expect(try cli.run("check", "/no/such.lua").status == 2)
    }

    @Test("ID, card and phone numbers are masked in list, show and import errors")
    func masking() throws {
        let cli = CLI()
        #expect(try cli.run("init").status == 0)
        #expect(try cli.run("demo-data", "--households", "50").status == 0)
        let files = try cli.run("demo-data", "--households", "50", "--csv", "csv")
        #expect(files.status == 0)
        let csv = try String(contentsOfFile: (cli.folder as NSString).appendingPathComponent("csv/households.csv"), encoding: .utf8)
        let firstRow = csv.split(whereSeparator: \.isNewline)[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let (id, card, phone) = (firstRow[1], firstRow[7], firstRow[8])
        #expect(IDNumber.problem(id) == nil)

        let list = try cli.run("households", "list", "--limit", "100")
        let show = try cli.run("households", "show", id)
        #expect(show.status == 0)
        #expect(show.out.contains(IDNumber.mask(id)))
        #expect(show.out.contains(BankCard.mask(card)))
        #expect(show.out.contains(Phone.mask(phone)))
        // A changed row makes the importer quote the household: masked.
        let changed = csv.replacingOccurrences(of: ",\(firstRow[3]),\(firstRow[4]),", with: ",\(firstRow[3] == "1" ? "2" : "1"),\(firstRow[4]),")
        let bad = cli.write("changed.csv", changed)
        let importError = try cli.run("import", "households", bad)
        #expect(importError.status == 2)
        #expect(importError.err.contains("household \(IDNumber.mask(id)) is already stored"), "the error quotes the household, masked")
        let badCard = try cli.run("import", "households", cli.write("card.csv", csv.replacingOccurrences(of: card, with: "6217000000000000000")))
        #expect(badCard.err.contains("(**** 0000)"))
        for output in [list.all, show.all, importError.all, badCard.all] {
            #expect(!output.contains(id), "no full ID number in output for people")
            #expect(!output.contains(card), "no full card number")
            #expect(!output.contains(phone), "no full phone number")
        }
    }

    @Test("bad usage exits 64, a data error 2, with a sentence saying what to do")
    func exitCodes() throws {
        let cli = CLI()
        #expect(try cli.run("campaign", "list").status == 2, "no store yet")
        #expect(try cli.run("campaign", "list").err.contains("warmth init"))
        try cli.run("init")
        try cli.run("demo-data", "--households", "10")
        let r = try cli.run("campaign", "create", "x", "--unit", "C00", "--from", "2025-13-01", "--to", "2026-01-01", "--budget", "1")
        #expect(r.status == 64)
        #expect(r.err.contains("is not a date"))
        #expect(try cli.run("campaign", "create", "x", "--unit", "C00", "--from", "2025-12-01", "--to", "2026-01-01", "--budget", "100", "--fund", "上级拨付=100").status == 0)
        #expect(try cli.run("campaign", "show", "x").out.contains("¥100.00"))
    }
}

@Suite struct RunCommandTests {
    /// A store with a small demo city and a campaign, in a fresh folder.
    func prepared() throws -> CLI {
        let cli = CLI()
        try cli.run("init")
        try cli.run("demo-data", "--households", "300")
        try cli.run("campaign", "create", "c", "--unit", "C00", "--from", "2025-12-20", "--to", "2026-02-10", "--budget", "100000")
        return cli
    }

    static let stdlib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("stdlib").path

    func policy(_ cli: CLI, _ decide: String) -> String {
        cli.write("policy.lua", """
            local w = require "warmth"
            return w.policy { name = "p", params = { base = w.yuan(100) }, decide = function(h, p)
              \(decide)
            end }
            """)
    }

    @Test("a dry run writes nothing; --commit writes the run; committing again pays nobody twice")
    func commitOnce() throws {
        let cli = try prepared()
        let file = policy(cli, "return w.pay(p.base, \"全体\", \"慰问\")")
        let env = ["WARMTH_STDLIB": Self.stdlib]
        let dry = try cli.run(env: env, "run", file, "--campaign", "c")
        #expect(dry.status == 0)
        #expect(dry.out.contains("考察 300 户, 符合条件 300 户"))
        #expect(dry.out.contains("¥30,000.00"))
        #expect(try cli.run("campaign", "show", "c").out.contains("尚无发放记录"))
        let commit = try cli.run(env: env, "run", file, "--campaign", "c", "--commit", "--lang", "en")
        #expect(commit.out.contains("run #1, 300 payouts"))
        let again = try cli.run(env: env, "run", file, "--campaign", "c", "--commit", "--lang", "en")
        #expect(again.out.contains("not paid again: 300 households"))
        #expect(try cli.run("campaign", "show", "c").out.contains("300"))
    }

    @Test("a script error at the last household stops the run and writes nothing, naming the line and the household")
    func atomicCommit() throws {
        let cli = try prepared()
        let file = policy(cli, "if h.id == 300 then error(\"boom\") end\n  return w.pay(p.base, \"全体\", \"慰问\")")
        let r = try cli.run(env: ["WARMTH_STDLIB": Self.stdlib], "run", file, "--campaign", "c", "--commit")
        #expect(r.status == 2)
        #expect(r.err.contains("policy.lua:3: boom (household "))
        #expect(r.err.contains("********"), "the household's ID number is masked")
        #expect(try cli.run("campaign", "show", "c").out.contains("尚无发放记录"), "nothing was written")
    }

    @Test("a commit over the budget is refused and writes nothing; allocate fits what the ledger has left")
    func budget() throws {
        let cli = try prepared()   // budget 100,000 yuan, 300 households
        let env = ["WARMTH_STDLIB": Self.stdlib]
        let big = policy(cli, "return w.pay(w.yuan(200), \"全体\", \"慰问\")")      // 60,000 yuan
        #expect(try cli.run(env: env, "run", big, "--campaign", "c", "--commit").status == 0)
        let again = cli.write("again.lua", """
            local w = require "warmth"
            return w.policy { name = "again", decide = function(h) return w.pay(w.yuan(200), "全体", "再次") end,
              allocate = function(plan, budget)
                local total = 0
                for _, e in ipairs(plan) do total = total + e.amount end
                if total > budget then for _, e in ipairs(plan) do e.amount = w.round_yuan(e.amount * budget // total) end end
              end }
            """)
        // Every household is already paid: nothing is left to pay, nothing is over.
        let dup = try cli.run(env: env, "run", again, "--campaign", "c", "--lang", "en")
        #expect(dup.out.contains("not paid again: 300 households"))
        // A second campaign with a smaller budget: 60,000 yuan asked, 50,000 available.
        try cli.run("campaign", "create", "d", "--unit", "C00", "--from", "2025-12-20", "--to", "2026-02-10", "--budget", "50000")
        let over = try cli.run(env: env, "run", big, "--campaign", "d", "--commit", "--lang", "en")
        #expect(over.status == 2)
        #expect(over.err.contains("exceed the budget by ¥10,000.00"), "\(over.err)")
        #expect(try cli.run("campaign", "show", "d").out.contains("尚无发放记录"))
        let fitted = try cli.run(env: env, "run", again, "--campaign", "d", "--commit", "--lang", "en")
        #expect(fitted.status == 0, "\(fitted.err)")
        // 20,000 fen × 5,000,000 // 6,000,000 = 16,666 fen, rounded down to 166 yuan; 300 × 166 = 49,800.
        #expect(fitted.out.contains("Budget ¥50,000.00, ¥200.00 left"), "\(fitted.out)")
        #expect(fitted.out.contains("run #2, 300 payouts, ¥49,800.00 in all"), "\(fitted.out)")
    }

    @Test("a unit outside the campaign's organiser is refused; a unit below it must run within the organiser's policy to commit")
    func unitScope() throws {
        let cli = try prepared()
        let env = ["WARMTH_STDLIB": Self.stdlib]
        try cli.run("campaign", "create", "district", "--unit", "D01", "--from", "2025-12-20", "--to", "2026-02-10", "--budget", "100000")
        let file = policy(cli, "return w.pay(100, \"全体\", \"慰问\")")
        let outside = try cli.run(env: env, "run", file, "--campaign", "district", "--unit", "D02")
        #expect(outside.status == 2)
        #expect(outside.err.contains("is not under the campaign's organiser D01"))
        let noWithin = try cli.run(env: env, "run", file, "--campaign", "c", "--unit", "D01", "--commit")
        #expect(noWithin.status == 2)
        #expect(noWithin.err.contains("within"))
        #expect(try cli.run("campaign", "show", "c").out.contains("尚无发放记录"))
    }

    @Test("text a spreadsheet would run as a formula is neutralised in the plan CSV; ID numbers are masked there")
    func planCSV() throws {
        let cli = try prepared()
        let file = policy(cli, "return w.pay(100, \"全体\", \"=HYPERLINK(\\\"http://x\\\")\")")
        let r = try cli.run(env: ["WARMTH_STDLIB": Self.stdlib], "run", file, "--campaign", "c", "--out", "plan.csv")
        #expect(r.status == 0, "\(r.err)")
        let csv = try String(contentsOfFile: (cli.folder as NSString).appendingPathComponent("plan.csv"), encoding: .utf8)
        let row = try #require(csv.split(whereSeparator: \.isNewline).dropFirst().first.map(String.init))
        #expect(row.contains("'=HYPERLINK("), "\(row)")
        #expect(!row.contains(",=HYPERLINK(") && !row.contains("\"=HYPERLINK("), "no cell starts with the formula")
        #expect(row.contains("********"), "the ID number is masked")
    }

    @Test("warmth test closes with 'N passed, N failed' and exits 1 on a failure")
    func testCommand() throws {
        let cli = CLI()
        _ = cli.write("policy.lua", "local w = require 'warmth'\nreturn w.policy { name = 'p', decide = function() return w.pay(100, 'x') end }\n")
        _ = cli.write("a_test.lua", """
            local t = require "warmth.test"
            local policy = require "policy"
            t.it("pays one yuan", function() t.expect(t.decide(policy, t.household {})).to_pay(100) end)
            t.it("pays two yuan (wrong)", function() t.expect(t.decide(policy, t.household {})).to_pay(200) end)
            """)
        let r = try cli.run(env: ["WARMTH_STDLIB": Self.stdlib], "test", ".")
        #expect(r.status == 1)
        #expect(r.out.hasSuffix("1 passed, 1 failed\n"))
        #expect(r.out.contains("a_test.lua:4: expected a payout of ¥2.00, got ¥1.00"))
        let tap = try cli.run(env: ["WARMTH_STDLIB": Self.stdlib], "test", ".", "--format", "tap")
        #expect(tap.out.hasPrefix("TAP version 13\n1..2\n"))
    }
}
