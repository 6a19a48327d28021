import Foundation
import Testing
@testable import WarmthData
import WarmthDomain
import WarmthStore

/// A valid households file of the national form (every column), its rows, and the personal
/// numbers in it, which no message may ever show whole.
struct FaultFixture {
    static let header = ["姓名", "身份证号", "所属单位", "家庭人口", "人均月收入", "类别", "困难原因", "银行卡号",
                         "联系电话", "家庭住址", "困难类别", "主要致困原因", "身份", "档案状态", "建档日期"]
    let rows: [[String]]

    init(count: Int = 8) {
        rows = (0..<count).map { i in
            [["张三", "李四", "王芳", "赵敏", "陈静", "刘强", "周杰", "吴娟"][i % 8], idNumber("19\(70 + i)0101", 10 + i), i % 2 == 0 ? "E01" : "S01",
             String(1 + i % 5), "\(800 + i * 10).50", i % 3 == 0 ? "在档困难职工" : "一线坚守职工", i % 3 == 0 ? "因病、子女就学" : "",
             cardNumber(100 + i), "1381234\(String(format: "%04d", 5600 + i))", "湖东路\(i + 1)号", i % 3 == 0 ? "低保户" : "",
             i % 3 == 0 ? "患重特大疾病" : "", "在岗", i == 5 ? "临时救助" : "正式", "2024-0\(1 + i % 9)-15"]
        }
    }

    var text: String { ([FaultFixture.header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n" }

    /// The ID, card and phone numbers of the rows, as digits.
    var secrets: [String] { rows.flatMap { [$0[1], $0[7], $0[8]] } }
}

/// The demo city's SplitMix64, so that the corpus is the same on every run.
typealias SeededRandom = DemoCity.Random

extension DemoCity.Random {
    /// A number from 0 below `n` (0 when `n` is 0).
    mutating func int(_ n: Int) -> Int { n <= 0 ? 0 : int(0...(n - 1)) }
}

/// Why `text` shows a personal number unmasked, or nil: no run of 11 or more digits (with
/// single spaces or hyphens between groups), and none of the fixture's numbers.
func unmaskedNumber(in text: String, secrets: [String]) -> String? {
    var run = "", lastWasSeparator = false
    for ch in text + "." {
        if ch.isASCII, ch.isNumber {
            run.append(ch)
            lastWasSeparator = false
        } else if (ch == " " || ch == "-"), !run.isEmpty, !lastWasSeparator {
            lastWasSeparator = true
        } else {
            if run.count >= 11 { return run }
            run = ""
            lastWasSeparator = false
        }
    }
    return secrets.first { text.contains($0) || text.contains(String($0.dropLast())) }
}

/// The cells of a CSV text as this test reads them back (quotes per RFC 4180).
func csvRows(_ text: String) -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], cell = "", quoted = false
    var chars = Array(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" { cell.append("\""); chars.removeFirst() } else { quoted = false }
            } else { cell.append(c) }
        } else if c == "\"" { quoted = true }
        else if c == "," { row.append(cell); cell = "" }
        else if c == "\r\n" || c == "\n" { row.append(cell); rows.append(row); row = []; cell = "" }
        else { cell.append(c) }
    }
    if !cell.isEmpty || !row.isEmpty { row.append(cell); rows.append(row) }
    return rows
}

@Suite struct ImportFaultTests {
    /// One mutation of the fixture's bytes, and its name.
    static func mutate(_ bytes: [UInt8], _ fixture: FaultFixture, _ rng: inout SeededRandom) -> (String, [UInt8]) {
        let text = fixture.text
        func withCell(_ transform: (String) -> String) -> [UInt8] {
            var rows = [FaultFixture.header] + fixture.rows
            let r = 1 + rng.int(fixture.rows.count), c = rng.int(FaultFixture.header.count)
            rows[r][c] = transform(rows[r][c])
            return Array(rows.map { $0.joined(separator: ",") }.joined(separator: "\r\n").utf8)
        }
        func insert(_ extra: [UInt8], at offset: Int) -> [UInt8] {
            var b = bytes
            b.insert(contentsOf: extra, at: min(offset, b.count))
            return b
        }
        switch rng.int(17) {
        case 0: return ("truncated", Array(bytes.prefix(rng.int(bytes.count))))
        case 1:
            // Shift the cells of one row: drop or add a comma.
            var b = bytes
            let commas = b.indices.filter { b[$0] == 0x2C }
            guard !commas.isEmpty else { return ("shifted cells", b) }
            let i = rng.pick(commas)
            if rng.int(2) == 0 { b.remove(at: i) } else { b.insert(0x2C, at: i) }
            return ("shifted cells", b)
        case 2:
            var gb = TextFile.gb18030Bytes(text)!
            if rng.int(2) == 0 { gb = Array(gb.prefix(rng.int(gb.count))) } else { gb.insert(0xFF, at: rng.int(gb.count)) }
            return ("GB18030, cut or broken", gb)
        case 3: return ("invalid byte", insert([rng.pick([0xFF, 0x80, 0xE4, 0xC0, 0xFE])], at: rng.int(bytes.count)))
        case 4: return ("NUL", insert([0], at: rng.int(bytes.count)))
        case 5:
            let s = rng.pick(["\u{200B}", "\u{202E}", "\u{0007}", "\u{FEFF}", "\u{00AD}", "\u{2066}", "\u{001B}", "\u{0085}", "\u{200D}"])
            return ("invisible character", withCell { v in let k = rng.int(v.count + 1); return String(v.prefix(k)) + s + String(v.dropFirst(k)) })
        case 6: return ("formula", withCell { _ in rng.pick(["=HYPERLINK(\"http://x\";\"点我\")", "+1", "-2", "@SUM(A1)", "=1+1"]) })
        case 7: return ("huge cell", withCell { _ in String(repeating: rng.pick(["A", "9", "张"]), count: 2_000 + rng.int(6_000)) })
        case 8: return rng.pick([("empty file", []), ("BOM only", [0xEF, 0xBB, 0xBF]), ("header only", Array((FaultFixture.header.joined(separator: ",") + "\r\n").utf8)),
                                 ("blank lines only", Array("\r\n\r\n".utf8))])
        case 9:
            var header = FaultFixture.header
            header[rng.int(header.count)] = rng.pick(header + ["name", "id_number"])
            return ("duplicate header", Array(([header] + fixture.rows).map { $0.joined(separator: ",") }.joined(separator: "\n").utf8))
        case 10: return ("thousands separator", withCell { _ in "1,200.00" })
        case 11: return ("stray quote", insert([0x22], at: rng.int(bytes.count)))
        case 12: return ("quoted text", withCell { v in rng.pick(["\"\(v)\"x", "\"\(v)", "\"a\"\"b\"", "\"\(v),\(v)\""]) })
        case 13: return ("personal number in a cell", withCell { _ in rng.pick(fixture.secrets) + rng.pick(["", "x", " 元", "、其他"]) })
        case 14: return ("empty cell", withCell { _ in "" })
        case 15: return ("line break in a quoted cell", withCell { v in "\"\(v)\n\(v)\"" })
        default:
            // Two mutations at once.
            let (a, first) = mutate(bytes, fixture, &rng)
            let (b, second) = mutate(first, fixture, &rng)
            return ("\(a) + \(b)", rng.int(2) == 0 ? second : first)
        }
    }

    @Test("1,200 mutated households files: no crash, no partial import, every refusal names its row, no personal number shown")
    func corpus() throws {
        let fixture = FaultFixture()
        let good = Array(fixture.text.utf8)
        var rng = SeededRandom(state: 17)
        let dir = TempFolder()
        // One household stored before, so that "unchanged" means something.
        let before = Household(idNumber: idNumber("19600101", 999), name: "老住户", unitCode: "E01", members: 2, incomePerCapita: Money(yuan: 900))
        var refused = 0, imported = 0, kinds: [String: Int] = [:]
        for n in 0..<1_200 {
            let (kind, bytes) = ImportFaultTests.mutate(good, fixture, &rng)
            kinds[kind.components(separatedBy: " + ")[0], default: 0] += 1
            let file = dir.file("f\(n).csv", bytes: bytes)
            let store = try storeWithUnits()
            _ = try store.writeHouseholds([before], update: false)
            let stored = try store.households()
            let skip = n % 3 == 0
            let lines = bytes.filter { $0 == 0x0A }.count + 1
            do {
                let report = try Importer(store: store, latestBirthYear: 2026).importHouseholds(file: file, skipInvalid: skip)
                imported += 1
                #expect(try store.householdCount() == stored.count + report.counts.inserted, "\(kind) #\(n)")
                for p in report.rejected {
                    #expect(p.row >= 1 && p.row <= lines, "\(kind) #\(n): \(p)")
                    #expect(unmaskedNumber(in: p.column + " " + p.message, secrets: fixture.secrets) == nil, "\(kind) #\(n): \(p)")
                }
                if let rejected = report.rejectedFile {
                    let text = try String(contentsOfFile: rejected, encoding: .utf8)
                    let rows = csvRows(text)
                    #expect(rows.first?.prefix(2) == ["行号", "错误原因"], "\(kind) #\(n)")
                    for row in rows.dropFirst() {
                        #expect(row.count >= 2 && Int(row[0]) != nil, "\(kind) #\(n): \(row.prefix(2))")
                        if row.count >= 2 { #expect(unmaskedNumber(in: row[1], secrets: fixture.secrets) == nil, "\(kind) #\(n): \(row[1])") }
                        for cell in row {
                            #expect(!(cell.first.map { "=+-@\t\r".contains($0) } ?? false), "\(kind) #\(n): a formula left live: \(cell.prefix(20))")
                        }
                    }
                    try FileManager.default.removeItem(atPath: rejected)
                } else {
                    #expect(report.problemCount == 0, "\(kind) #\(n)")
                }
            } catch let failure as ImportFailure {
                refused += 1
                #expect(try store.households() == stored, "\(kind) #\(n): a refused import changed the store")
                #expect(!failure.problems.isEmpty, "\(kind) #\(n)")
                for p in failure.problems {
                    #expect(p.row >= 1 && p.row <= lines, "\(kind) #\(n): \(p)")
                    #expect(!p.column.isEmpty, "\(kind) #\(n): \(p)")
                    #expect(p.description.hasPrefix("\(file):\(p.row):\(p.column): "), "\(kind) #\(n)")
                }
                // The file's own path (a temporary folder's UUID) is not a personal number.
                let shown = failure.description.replacingOccurrences(of: file, with: "FILE")
                #expect(unmaskedNumber(in: shown, secrets: fixture.secrets) == nil, "\(kind) #\(n): \(failure)")
                #expect(!FileManager.default.fileExists(atPath: dir.path + "/f\(n).rejected.csv"), "\(kind) #\(n): a refused import left a rejected file")
            } catch {
                Issue.record("\(kind) #\(n): not an ImportFailure: \(type(of: error)) \(error)")
            }
            try? FileManager.default.removeItem(atPath: file)
        }
        #expect(refused + imported == 1_200)
        #expect(refused > 600, "most mutations are refused (\(refused))")
        #expect(kinds.count >= 16, "\(kinds)")
    }
}

@Suite struct ImportHardeningTests {
    let dir = TempFolder()

    func importing(_ text: String, skipInvalid: Bool = false) throws -> (Store, Result<ImportReport, ImportFailure>, String) {
        let store = try storeWithUnits()
        let file = dir.file("h.csv", text)
        do {
            return (store, .success(try Importer(store: store, latestBirthYear: 2026).importHouseholds(file: file, skipInvalid: skipInvalid)), file)
        } catch let f as ImportFailure {
            return (store, .failure(f), file)
        }
    }

    func failure(_ text: String) throws -> ImportFailure {
        let (store, result, _) = try importing(text)
        guard case .failure(let f) = result else { Issue.record("the import should have failed"); return ImportFailure(problems: []) }
        #expect(try store.householdCount() == 0)
        return f
    }

    @Test("an unquoted 1,200.00 is 'this row has more fields than the header', naming both counts")
    func thousands() throws {
        let f = try failure([header, row(income: "1,200.00")].joined(separator: "\n"))
        #expect(f.problems.count == 1)
        #expect(f.problems[0].row == 2)
        #expect(f.problems[0].message.contains("this row has more fields than the header (9, the header has 8)"), "\(f.problems[0].message)")
    }

    @Test("a truncated row is refused, naming the first missing column; a missing 档案状态 never becomes 正式")
    func truncated() throws {
        let text = FaultFixture().text
        let cut = String(text[..<text.range(of: ",正式")!.lowerBound]) // row 2 ends before its 档案状态
        let f = try failure(cut)
        #expect(f.problems.map(\.row) == [2])
        #expect(f.problems[0].column == "档案状态")
        #expect(f.problems[0].message.contains("this row has 13 fields but the header has 15"))
        // A cell left empty in a file that has the column is refused too.
        let empty = try failure(text.replacingOccurrences(of: ",在岗,正式,", with: ",在岗,,"))
        #expect(empty.problems.count == 7 && empty.problems.allSatisfy { $0.column == "档案状态" && $0.message.contains("the file status is empty") },
                "\(empty.problems)")
        // A file without the column takes every row as 正式, and says so.
        let (store, result, _) = try importing([header, row()].joined(separator: "\n"))
        #expect(try result.get().defaulted == ["档案状态"])
        #expect(try store.household(idNumber: idNumber())?.fileStatus == "正式")
    }

    @Test("NUL, control, bidi and zero-width characters are refused naming the row, the column and the character",
          arguments: [("\u{0}", "U+0000"), ("\u{200B}", "U+200B"), ("\u{202E}", "U+202E"), ("\u{7}", "U+0007"), ("\u{FEFF}", "U+FEFF"), ("\u{2066}", "U+2066")])
    func invisible(_ character: String, _ code: String) throws {
        let f = try failure([header, row(), row(name: "李" + character + "四", id: idNumber("19800101", 2))].joined(separator: "\n"))
        #expect(f.problems.map { "\($0.row):\($0.column)" } == ["3:姓名"])
        #expect(f.problems[0].message.contains(code) && f.problems[0].message.contains("at character 2"), "\(f.problems[0].message)")
    }

    @Test("an encoding error names the row, the column and the byte offset")
    func encodingError() throws {
        let good = [header, row()].joined(separator: "\n") + "\n"
        var bytes = Array(("\u{FEFF}" + good).utf8)
        let offset = bytes.count + 3 // in the name of row 3
        bytes += Array("王".utf8) + [0xFF] + Array(row(id: idNumber("19800101", 2)).utf8.dropFirst(3))
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("h.csv", bytes: bytes)
        let f = try #require(throws: ImportFailure.self) { try Importer(store: store).importHouseholds(file: file) }
        #expect(f.problems.count == 1)
        #expect(f.problems[0].row == 3)
        #expect(f.problems[0].column == "column 1")
        #expect(f.problems[0].message.contains("byte \(offset) is not valid UTF-8"), "\(f.problems[0].message)")
        // Without a BOM the file is tried as GB18030 too, and the message says so.
        let plain = dir.file("p.csv", bytes: Array(bytes.dropFirst(3)))
        let g = try #require(throws: ImportFailure.self) { try Importer(store: store).importHouseholds(file: plain) }
        #expect(g.problems[0].row == 3 && g.problems[0].message.contains("GB18030"), "\(g.problems[0])")
    }

    @Test("a repeated header column is refused, whether the same name or two names of one column")
    func duplicateHeader() throws {
        let same = try failure(["姓名,身份证号,所属单位,家庭人口,人均月收入,姓名", "张三,\(idNumber()),E01,3,850,张三"].joined(separator: "\n"))
        #expect(same.problems.map(\.row) == [1])
        #expect(same.problems[0].message.contains("column 6 '姓名' repeats column 1"))
        let alias = try failure(["姓名,身份证号,所属单位,家庭人口,人均月收入,name", "张三,\(idNumber()),E01,3,850,张三"].joined(separator: "\n"))
        #expect(alias.problems[0].message.contains("are the same column"), "\(alias.problems)")
    }

    @Test("an empty file, a BOM-only file and a file of blank lines are told apart from an internal error",
          arguments: [[UInt8](), [0xEF, 0xBB, 0xBF], Array("\n\r\n".utf8)])
    func emptyFile(_ bytes: [UInt8]) throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("h.csv", bytes: bytes)
        let f = try #require(throws: ImportFailure.self) { try Importer(store: store).importHouseholds(file: file) }
        #expect(f.problems.count == 1)
        #expect(f.problems[0].row == 1)
        #expect(f.problems[0].message.contains("the file is empty"))
        #expect(bytes != [0xEF, 0xBB, 0xBF] || f.problems[0].message.contains("only a BOM"))
        let u = try #require(throws: ImportFailure.self) { try Importer(store: store).importUnits(file: file) }
        #expect(u.problems[0].message.contains("the file is empty"))
    }

    @Test("cells quoted in messages are masked and cut: an ID in the unit column, a card in 类别, a huge cell")
    func quotedCellsMasked() throws {
        let id = idNumber("19800101", 7), card = cardNumber(7)
        let f = try failure([header, row(unit: id), row(id: idNumber("19800101", 8), categories: "卡号" + card),
                             row(id: idNumber("19800101", 9), income: String(repeating: "八", count: 500)),
                             row(id: idNumber("19800101", 10), members: "138 1234 5678")].joined(separator: "\n"))
        let text = f.problems.map(\.message).joined(separator: "\n")
        #expect(!text.contains(id) && text.contains("unknown unit '340503********" + id.suffix(4) + "'"), "\(text)")
        #expect(!text.contains(card) && text.contains("**** " + card.suffix(4)), "\(text)")
        #expect(text.contains("not '" + String(repeating: "八", count: 40) + "…'"), "\(text)")
        #expect(text.contains("not '138****5678'"), "\(text)")
        #expect(unmaskedNumber(in: text, secrets: [id, card]) == nil)
    }

    @Test("the rejected file neutralises formulas, masks its reasons and keeps the rows as they were")
    func rejectedFile() throws {
        let id = idNumber("19800101", 3)
        let (store, result, _) = try importing([header, row(), row(name: "=1+2", id: id, unit: id),
                                                row(name: "@坏", id: idNumber("19800101", 4), members: "-1")].joined(separator: "\n"), skipInvalid: true)
        let report = try result.get()
        #expect(report.counts.inserted == 1 && report.problemCount == 2)
        #expect(try store.householdCount() == 1)
        let rows = csvRows(try String(contentsOfFile: try #require(report.rejectedFile), encoding: .utf8))
        #expect(rows.count == 3)
        #expect(rows[1][0] == "3" && rows[1][2] == "'=1+2" && rows[1][3] == id, "\(rows[1])")
        #expect(!rows[1][1].contains(id), "the reason masks the ID number the unit column held: \(rows[1][1])")
        #expect(rows[2][2] == "'@坏" && rows[2][5] == "'-1", "\(rows[2])")
    }

    @Test("a file streams through in many batches, and a bad row in a late batch still rolls everything back")
    func batches() throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        var lines = [header]
        for i in 0..<700 { lines.append(row(name: "户\(i)", id: idNumber("19800101", i), card: cardNumber(i))) }
        let file = dir.file("h.csv", lines.joined(separator: "\n"))
        lines.append(row(name: "", id: idNumber("19810101", 1)))
        let bad = dir.file("bad.csv", lines.joined(separator: "\n"))
        var importer = Importer(store: store, latestBirthYear: 2026)
        importer.batchSize = 64
        var seen: [Int] = []
        let f = try #require(throws: ImportFailure.self) { try importer.importHouseholds(file: bad) }
        #expect(f.problems.map(\.row) == [702])
        #expect(try store.householdCount() == 0, "the batches already written were rolled back")
        let report = try importer.importHouseholds(file: file, progress: { done, total in seen.append(done); #expect(total > 0) })
        #expect(report.counts.inserted == 700 && report.rows == 700)
        #expect(try store.householdCount() == 700)
        #expect(try store.households().map(\.name) == (0..<700).map { "户\($0)" }, "households keep the file's order")
        #expect(seen.count > 5 && seen == seen.sorted())
    }
}
