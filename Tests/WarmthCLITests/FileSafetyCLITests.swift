import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs on a fresh folder, for the command line's full-disk cases.
final class FullFolder {
    let path: String
    init?() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-cli-full-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=64k") == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
    }
    deinit {
        _ = umount(path)
        try? FileManager.default.removeItem(atPath: path)
    }
    var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
    static let available: Bool = FullFolder() != nil
}

@Suite struct ImportCLITests {
    @Test("an empty, a BOM-only and a header-only households file: exit 2 or 0 with a sentence, never 70",
          arguments: [("", 2, "the file is empty"), ("\u{FEFF}", 2, "only a BOM"), ("姓名,身份证号,所属单位,家庭人口,人均月收入\n", 0, "读取 0 行")])
    func emptyFiles(_ text: String, _ status: Int32, _ words: String) throws {
        let cli = CLI()
        try cli.run("init")
        let file = cli.write("h.csv", text)
        let r = try cli.run("import", "households", file)
        #expect(r.status == status, "\(r.all)")
        #expect(r.all.contains(words), "\(r.all)")
        #expect(!r.all.contains("internal error"))
    }

    @Test("a malformed file is exit 2 with file:row:column, and a shown ID number is masked")
    func malformed() throws {
        let cli = CLI()
        try cli.run("init")
        try cli.run("demo-data", "--households", "1")
        let file = cli.write("h.csv", "姓名,身份证号,所属单位,家庭人口,人均月收入\n张三,340503198001010011,340503198001010011,3,\"850\n")
        let r = try cli.run("import", "households", file)
        #expect(r.status == 2, "\(r.all)")
        #expect(r.err.contains("\(file):2:人均月收入: "), "\(r.err)")
        #expect(!r.all.contains("340503198001010011"))
    }
}

@Suite(.serialized) struct FullDiskCLITests {
    @Test("a full disk under run --out and demo-data --csv: exit 2 naming the path, no file left under its name",
          .enabled(if: FullFolder.available, "mounting a tmpfs is not allowed here"))
    func fullDisk() throws {
        let disk = try #require(FullFolder())
        let cli = CLI()
        try cli.run("init")
        try cli.run("demo-data", "--households", "2000")
        try cli.run("campaign", "create", "c", "--unit", "C00", "--from", "2025-12-20", "--to", "2026-02-10", "--budget", "10000000")
        let policy = cli.write("policy.lua", """
            local w = require "warmth"
            return w.policy { name = "p", params = {}, decide = function(h, p) return w.pay(w.yuan(100), "全体", "节日慰问") end }
            """)
        let env = ["WARMTH_STDLIB": RunCommandTests.stdlib]
        let plan = disk.path + "/plan.csv"
        let r = try cli.run(env: env, "run", policy, "--campaign", "c", "--out", plan)
        #expect(r.status == 2, "\(r.all)")
        #expect(r.err.contains(plan) && r.err.contains("the disk is full"), "\(r.err)")
        #expect(disk.files.isEmpty, "\(disk.files)")

        let demo = try cli.run("demo-data", "--households", "2000", "--csv", disk.path)
        #expect(demo.status == 2, "\(demo.all)")
        #expect(demo.err.contains(disk.path + "/households.csv") && demo.err.contains("the disk is full"), "\(demo.err)")
        #expect(disk.files.isEmpty, "\(disk.files)")
    }
}
