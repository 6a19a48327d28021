import Foundation
import Testing
import WarmthData
import WarmthDomain
import WarmthStore
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted on a fresh temporary folder: a disk that fills up. Mounting needs root
/// (or CAP_SYS_ADMIN); where it is not allowed the tests that need it are skipped.
final class SmallDisk {
    let path: String

    init?(size: String = "64k") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-full-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(size)") == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
    }

    deinit {
        _ = umount(path)
        try? FileManager.default.removeItem(atPath: path)
    }

    var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    /// Whether a tmpfs can be mounted here at all.
    static let available: Bool = SmallDisk() != nil
}

@Suite struct CSVOutputTests {
    @Test("nothing appears under the final name before commit(); then the whole file does, and no temporary file is left")
    func commitRenames() throws {
        let dir = TempFolder()
        let path = dir.path + "/out.csv"
        let out = try CSVOutput(path: path)
        for i in 0..<20_000 { try out.write(["\(i)", "=1+1", "a,b", "say \"hi\""]) }
        #expect(!FileManager.default.fileExists(atPath: path), "half a file is never under the final name")
        #expect(dir.files.count == 1 && dir.files[0].hasPrefix(".out.csv."), "\(dir.files)")
        try out.commit()
        #expect(dir.files == ["out.csv"])
        let bytes = try #require(FileManager.default.contents(atPath: path))
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]), "a BOM for Excel")
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        #expect(text.hasPrefix("0,=1+1,\"a,b\",\"say \"\"hi\"\"\"\r\n"))
        #expect(text.hasSuffix("19999,=1+1,\"a,b\",\"say \"\"hi\"\"\"\r\n"))
    }

    @Test("an output dropped without commit() leaves nothing; a file already there is replaced only on commit")
    func discard() throws {
        let dir = TempFolder()
        let path = dir.file("out.csv", "old\r\n")
        do {
            let out = try CSVOutput(path: path, bom: false)
            try out.write(["new"])
        }
        #expect(dir.files == ["out.csv"])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\r\n")
        let out = try CSVOutput(path: path, bom: false)
        try out.write(["new"])
        try out.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\r\n")
    }

    @Test("a folder that does not exist is an error naming the path")
    func noFolder() throws {
        let failure = try #require(throws: TextFile.Failure.self) { try CSVOutput(path: "/nonexistent-warmth/out.csv") }
        #expect(failure.description.hasPrefix("/nonexistent-warmth/out.csv: cannot write the file"))
    }

    @Test("formulas get a leading apostrophe; other text is left alone")
    func formulaSafe() {
        #expect(["=1", "+1", "-1", "@x", "\tx", "\rx", "1", "张三", "", "a=b"].map(CSVOutput.formulaSafe)
                == ["'=1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "1", "张三", "", "a=b"])
    }
}

@Suite(.serialized) struct FullDiskTests {
    @Test("a full disk: CSVOutput throws naming the path, and leaves no file under either name",
          .enabled(if: SmallDisk.available, "mounting a tmpfs is not allowed here"))
    func output() throws {
        let disk = try #require(SmallDisk())
        let path = disk.path + "/plan.csv"
        let out = try CSVOutput(path: path)
        let failure = try #require(throws: TextFile.Failure.self) {
            for i in 0..<10_000 { try out.write(["\(i)", String(repeating: "温暖", count: 20)]) }
            try out.commit()
        }
        #expect(failure.description.hasPrefix("\(path): writing the file failed (the disk is full)"), "\(failure)")
        #expect(disk.files.isEmpty, "\(disk.files)")
        #expect(throws: TextFile.Failure.self) { try out.commit() }
    }

    @Test("a full disk: demo-data --csv fails cleanly, with neither file left",
          .enabled(if: SmallDisk.available, "mounting a tmpfs is not allowed here"))
    func demoCSV() throws {
        let disk = try #require(SmallDisk())
        let failure = try #require(throws: TextFile.Failure.self) { try DemoCity(households: 2_000).writeCSV(folder: disk.path) }
        #expect(failure.description.contains(disk.path + "/households.csv") && failure.description.contains("the disk is full"))
        #expect(disk.files.isEmpty, "\(disk.files)")
    }

    @Test("a full disk: the rejected-rows file fails cleanly, and the import writes nothing",
          .enabled(if: SmallDisk.available, "mounting a tmpfs is not allowed here"))
    func rejectedFile() throws {
        let disk = try #require(SmallDisk())
        var lines = [header, row()]
        for i in 0..<300 { lines.append(row(name: "坏\(i)", id: idNumber("19800101", i + 2), members: "0", card: cardNumber(i + 2))) }
        let file = disk.path + "/h.csv"
        #expect(FileManager.default.createFile(atPath: file, contents: Data(lines.joined(separator: "\n").utf8)))
        let store = try storeWithUnits()
        let failure = try #require(throws: TextFile.Failure.self) { try Importer(store: store).importHouseholds(file: file, skipInvalid: true) }
        #expect(failure.description.contains(disk.path + "/h.rejected.csv") && failure.description.contains("the disk is full"), "\(failure)")
        #expect(try store.householdCount() == 0, "the good row was rolled back too")
        #expect(disk.files == ["h.csv"], "\(disk.files)")
    }
}
