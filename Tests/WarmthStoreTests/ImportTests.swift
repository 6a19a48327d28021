import Foundation
import Testing
import WarmthData
import WarmthDomain
import WarmthStore

/// A valid ID number for region 340503 with the given birth date and sequence.
func idNumber(_ birth: String = "19800101", _ seq: Int = 1) -> String {
    let first17 = "340503" + birth + String(format: "%03d", seq)
    return first17 + String(IDNumber.checkCharacter(for: Array(first17))!)
}

/// A Luhn-valid 19-digit card number.
func cardNumber(_ n: Int = 1) -> String {
    let partial = "621700" + String(format: "%012d", n)
    return partial + String(BankCard.luhnDigit(for: partial))
}

/// A temporary folder removed when the value dies.
final class TempFolder {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String, _ text: String) -> String {
        let p = (path as NSString).appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }

    func file(_ name: String, bytes: [UInt8]) -> String {
        let p = (path as NSString).appendingPathComponent(name)
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }

    var files: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? [] }
}

/// A store with a small union tree: C00 → D01 → E01 (enterprise), S01 (school).
func storeWithUnits() throws -> Store {
    let store = try Store.inMemory()
    try store.upsertUnits([
        UnionUnit(code: "C00", name: "示范市总工会", kind: .federation, parentCode: nil),
        UnionUnit(code: "D01", name: "花山区总工会", kind: .district, parentCode: "C00"),
        UnionUnit(code: "E01", name: "钢铁集团工会", kind: .enterprise, parentCode: "D01"),
        UnionUnit(code: "S01", name: "第一中学工会", kind: .school, parentCode: "D01"),
    ])
    return store
}

let header = "姓名,身份证号,所属单位,家庭人口,人均月收入,类别,困难原因,银行卡号"

func row(name: String = "张三", id: String = idNumber(), unit: String = "E01", members: String = "3",
         income: String = "850", categories: String = "在档困难职工", causes: String = "因病", card: String = cardNumber()) -> String {
    [name, id, unit, members, income, categories, causes, card].joined(separator: ",")
}

@Suite struct HouseholdImportTests {
    @Test("a clean file imports every row")
    func cleanImport() throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("h.csv", [header, row(), row(name: "李四", id: idNumber("19751231", 2), unit: "钢铁集团工会",
                                                         categories: "困难企业职工、低保", causes: "下岗失业;因病")].joined(separator: "\n"))
        let report = try Importer(store: store, latestBirthYear: 2026).importHouseholds(file: file)
        #expect(report.counts == .init(inserted: 2, updated: 0, unchanged: 0))
        let li = try #require(try store.household(idNumber: idNumber("19751231", 2)))
        #expect(li.unitCode == "E01", "a unit named by its name resolves to its code")
        #expect(li.categoryNames == ["困难企业职工", "低保"])
        #expect(li.causeNames == ["因病", "下岗失业"])
        #expect(li.incomePerCapita == Money(yuan: 850))
    }

    /// Each case: one bad cell, the column it must be reported in, and words the message must hold.
    static let badRows: [(String, String, String, String)] = [
        ("empty name", row(name: ""), "姓名", "name is empty"),
        ("short ID number", row(id: "34050319800101001"), "身份证号", "18 characters"),
        ("unknown region", row(id: { let f = "990503198001010011"; return String(f.prefix(17)) + String(IDNumber.checkCharacter(for: Array(f.prefix(17)))!) }()), "身份证号", "region code"),
        ("impossible birth date", row(id: { let f = "34050319800230001"; return f + String(IDNumber.checkCharacter(for: Array(f))!) }()), "身份证号", "not a real date"),
        ("wrong check digit", row(id: String(idNumber().dropLast()) + (idNumber().last == "1" ? "2" : "1")), "身份证号", "check digit"),
        ("card with letters", row(card: "6217A00000000000001"), "银行卡号", "digits only"),
        ("card too short", row(card: "621700000001"), "银行卡号", "16 to 19 digits"),
        ("card failing Luhn", row(card: String(cardNumber().dropLast()) + (cardNumber().last == "1" ? "2" : "1")), "银行卡号", "Luhn"),
        ("unknown unit", row(unit: "X99"), "所属单位", "unknown unit 'X99'"),
        ("unknown category", row(categories: "在档困难职工、特困户"), "类别", "unknown category '特困户'"),
        ("unknown cause", row(causes: "因穷"), "困难原因", "unknown hardship cause"),
        ("negative income", row(income: "-5"), "人均月收入", "cannot be negative"),
        ("income not a number", row(income: "八百"), "人均月收入", "amount in yuan"),
        ("members zero", row(members: "0"), "家庭人口", "1 to 20"),
        ("members too many", row(members: "21"), "家庭人口", "1 to 20"),
    ]

    @Test("each validation rule rejects a bad row with its row and column", arguments: badRows)
    func rejectsBadRow(_ name: String, _ line: String, _ column: String, _ words: String) throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let good = row(name: "好人", id: idNumber("19900101", 9), card: cardNumber(9))
        let file = dir.file("h.csv", [header, good, line].joined(separator: "\n"))
        do {
            _ = try Importer(store: store, latestBirthYear: 2026).importHouseholds(file: file)
            Issue.record("\(name): the import should have failed")
        } catch let failure as ImportFailure {
            let problem = try #require(failure.problems.first)
            #expect(problem.row == 3, "\(name): reported on the file's row 3")
            #expect(problem.column == column, "\(name)")
            #expect(problem.message.contains(words), "\(name): \(problem.message)")
            #expect(problem.description.hasPrefix("\(file):3:\(column): "))
        }
        #expect(try store.householdCount() == 0, "\(name): the good row was not written either")
    }

    @Test("duplicate ID numbers inside the file are caught, naming the first row")
    func duplicateInFile() throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("h.csv", [header, row(), row(name: "李四")].joined(separator: "\n"))
        let failure = try #require(throws: ImportFailure.self) { try Importer(store: store).importHouseholds(file: file) }
        #expect(failure.problems.map(\.row) == [3])
        #expect(failure.problems[0].message.contains("first at row 2"))
        #expect(failure.problems[0].message.contains("340503********"), "the ID number is masked")
        #expect(!failure.description.contains(idNumber()), "the full ID number never appears in an error")
    }

    @Test("every problem is reported, not just the first")
    func allProblems() throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("h.csv", [header, row(name: "", members: "0"), row(id: "123", unit: "X")].joined(separator: "\n"))
        let failure = try #require(throws: ImportFailure.self) { try Importer(store: store).importHouseholds(file: file) }
        #expect(failure.problems.map { "\($0.row):\($0.column)" } == ["2:姓名", "2:家庭人口", "3:身份证号", "3:所属单位"])
    }

    @Test("a changed household is refused without --update and updated with it; the same file again is a no-op")
    func reimportAndUpdate() throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("h.csv", [header, row()].joined(separator: "\n"))
        let importer = Importer(store: store)
        #expect(try importer.importHouseholds(file: file).counts == .init(inserted: 1))
        #expect(try importer.importHouseholds(file: file).counts == .init(unchanged: 1), "re-importing changes nothing")
        let changed = dir.file("h2.csv", [header, row(members: "4")].joined(separator: "\n"))
        let failure = try #require(throws: ImportFailure.self) { try importer.importHouseholds(file: changed) }
        #expect(failure.problems[0].message.contains("--update"))
        #expect(try store.household(idNumber: idNumber())?.members == 3)
        #expect(try importer.importHouseholds(file: changed, update: true).counts == .init(updated: 1))
        #expect(try store.household(idNumber: idNumber())?.members == 4)
        #expect(try store.householdCount() == 1)
    }

    @Test("--skip-invalid imports the good rows and writes the rejected ones with reasons beside the input")
    func skipInvalid() throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("h.csv", [header, row(), row(name: "坏", id: idNumber("19800101", 5), members: "99")].joined(separator: "\n"))
        let report = try Importer(store: store).importHouseholds(file: file, skipInvalid: true)
        #expect(report.counts.inserted == 1)
        let rejected = try #require(report.rejectedFile)
        #expect(rejected.hasSuffix("h.rejected.csv"))
        let text = try String(contentsOfFile: rejected, encoding: .utf8)
        #expect(text.contains("家庭人口: household members must be a whole number from 1 to 20"))
        #expect(text.contains("坏"))
    }

    @Test("a GB18030 file with Chinese headers imports the same as its UTF-8 twin; a BOM is fine too")
    func encodings() throws {
        let text = [header, row(), row(name: "王芳", id: idNumber("19850505", 3), categories: "社区核实困难", causes: "单亲、子女就学")]
            .joined(separator: "\r\n")
        let dir = TempFolder()
        let utf8 = dir.file("utf8.csv", text)
        let bom = dir.file("bom.csv", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        let gb = dir.file("gb.csv", bytes: try #require(TextFile.gb18030Bytes(text)))
        #expect(String(validating: try Data(contentsOf: URL(fileURLWithPath: gb)), as: UTF8.self) == nil, "the twin really is not UTF-8")

        var stored: [[Household]] = []
        for (file, encoding) in [(utf8, TextFile.Encoding.utf8), (bom, .utf8BOM), (gb, .gb18030)] {
            let store = try storeWithUnits()
            let report = try Importer(store: store).importHouseholds(file: file)
            #expect(report.encoding == encoding)
            #expect(report.counts.inserted == 2)
            stored.append(try store.households())
        }
        #expect(stored[0] == stored[1])
        #expect(stored[0] == stored[2])
        #expect(stored[0].map(\.name) == ["张三", "王芳"])
    }

    @Test("English headers work as well as Chinese ones")
    func englishHeaders() throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("h.csv", ["name,id_number,unit,members,income,categories", "Zhang,\(idNumber()),E01,2,1200.50,一线坚守职工|劳动模范"].joined(separator: "\n"))
        #expect(try Importer(store: store).importHouseholds(file: file).counts.inserted == 1)
        #expect(try store.household(idNumber: idNumber())?.categoryNames == ["一线坚守职工", "劳动模范"])
        #expect(try store.household(idNumber: idNumber())?.incomePerCapita.fen == 120_050)
    }

    @Test("a missing required column is named")
    func missingColumn() throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("h.csv", "姓名,所属单位,家庭人口,人均月收入\n张三,E01,2,100")
        let failure = try #require(throws: ImportFailure.self) { try Importer(store: store).importHouseholds(file: file) }
        #expect(failure.problems.map(\.column) == ["身份证号"])
    }
}

@Suite struct UnitImportTests {
    @Test("units import as a tree; an unknown parent or kind is reported by row")
    func units() throws {
        let store = try Store.inMemory()
        let dir = TempFolder()
        let good = dir.file("u.csv", "编码,名称,类型,上级编码\nC00,示范市总工会,市总工会,\nD01,花山区总工会,县区工会,C00\n")
        #expect(try Importer(store: store).importUnits(file: good).counts.inserted == 2)
        let bad = dir.file("b.csv", "编码,名称,类型,上级编码\nE01,厂工会,工厂,D01\nE02,另一厂,企业工会,D99\n")
        let failure = try #require(throws: ImportFailure.self) { try Importer(store: store).importUnits(file: bad) }
        #expect(failure.problems.map(\.description) == [
            "\(bad):2:类型: unknown unit kind '工厂'; known: 市总工会、县区工会、产业工会、企业工会、学校工会、医院工会、机关工会、街道工会",
            "\(bad):3:上级编码: parent unit 'D99' is not in this file above this row, nor in the store",
        ])
        #expect(try store.units().count == 2)
        #expect(try store.subtree(of: "C00").sorted() == ["C00", "D01"])
    }
}

@Suite struct ImportEdgeTests {
    @Test("a row that is not well-formed CSV stops the import with its row; nothing is written")
    func malformed() throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("h.csv", [header, row(), "李四,\"unclosed\"x,E01,3,850,,,", row(name: "王五", id: idNumber("19800101", 7), card: cardNumber(7))].joined(separator: "\n"))
        let failure = try #require(throws: ImportFailure.self) { try Importer(store: store).importHouseholds(file: file) }
        #expect(failure.problems.first?.message.contains("not well-formed CSV") == true, "\(failure.problems)")
        #expect(try store.householdCount() == 0)
    }

    @Test("a unit name two units share is refused, asking for the code")
    func ambiguousName() throws {
        let store = try storeWithUnits()
        try store.upsertUnits([UnionUnit(code: "E02", name: "钢铁集团工会", kind: .enterprise, parentCode: "D01")])
        let dir = TempFolder()
        let file = dir.file("h.csv", [header, row(unit: "钢铁集团工会")].joined(separator: "\n"))
        let failure = try #require(throws: ImportFailure.self) { try Importer(store: store).importHouseholds(file: file) }
        #expect(failure.problems.map(\.message) == ["more than one unit is named '钢铁集团工会' (E01, E02): give the unit's code instead"])
        let byCode = dir.file("c.csv", [header, row(unit: "E02")].joined(separator: "\n"))
        #expect(try Importer(store: store).importHouseholds(file: byCode).counts.inserted == 1)
    }

    @Test("re-parenting a unit under its own descendant is refused (it would make a loop)")
    func unitLoop() throws {
        let store = try storeWithUnits()
        let dir = TempFolder()
        let file = dir.file("u.csv", "编码,名称,类型,上级编码\nC00,示范市总工会,市总工会,E01\n")
        let failure = try #require(throws: ImportFailure.self) { try Importer(store: store).importUnits(file: file) }
        #expect(failure.problems.first?.message.contains("would make a loop") == true)
        #expect(try store.unit(code: "C00")?.parentCode == nil)
    }

    @Test("an impossible birth date is reported without quoting its digits")
    func birthDateNotQuoted() {
        let f = "34050319800230001"
        let id = f + String(IDNumber.checkCharacter(for: f)!)
        let message = IDNumber.problem(id) ?? ""
        #expect(message.contains("not a real date"))
        #expect(!message.contains("19800230"))
    }
}
