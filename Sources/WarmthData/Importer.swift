import CSV
import Foundation
import WarmthDomain
import WarmthStore

/// One thing wrong with one cell of an input file: `households.csv:14:身份证号: ...`.
public struct ImportProblem: Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var row: Int
    public var column: String
    public var message: String

    public var description: String { "\(file):\(row):\(column): \(message)" }
}

/// An import that wrote nothing, with every problem found.
public struct ImportFailure: Error, Sendable, CustomStringConvertible {
    public var problems: [ImportProblem]
    public var description: String {
        let advice = problems.allSatisfy({ $0.row == 1 })
            ? "Fix the header row: name the columns as listed above, in Chinese or English."
            : "Fix the rows, or pass --skip-invalid to import the good rows."
        return problems.map(\.description).joined(separator: "\n")
            + "\n\(problems.count) problem(s); nothing was imported. \(advice)"
    }
}

public struct ImportReport: Sendable {
    public var encoding: TextFile.Encoding
    public var rows: Int
    public var counts: Store.WriteCounts
    public var rejected: [ImportProblem]
    /// Where the rejected rows were written, with --skip-invalid.
    public var rejectedFile: String?
    public var ignoredColumns: [String]
}

/// A CSV table as units export it from Excel or WPS, with its header mapped to known columns.
struct CSVTable {
    var file: String
    var header: [String]
    var rows: [[String]]
    var encoding: TextFile.Encoding

    init(path: String) throws {
        let (text, encoding) = try TextFile.read(path)
        self.encoding = encoding
        file = path
        let reader = try CSVReader(string: text, hasHeaderRow: true)
        header = (reader.headerRow ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        var rows: [[String]] = []
        while let row = reader.next() {
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { rows.append([]); continue }
            // A quote that does not close swallows the rows after it into one cell: registry cells
            // never hold line breaks, so one that does means the file is broken there.
            if let i = row.firstIndex(where: { $0.contains(where: \.isNewline) }) {
                let column = i < header.count ? header[i] : "column \(i + 1)"
                throw ImportFailure(problems: [ImportProblem(
                    file: path, row: rows.count + 2, column: column,
                    message: "this row is not well-formed CSV: the cell runs over a line break (a quote that does not close?); nothing was imported")])
            }
            rows.append(row.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        }
        // The reader stops at a malformed row (a quote that does not close, text after a closing
        // quote): that must not pass for the end of the file.
        if reader.error != nil {
            throw ImportFailure(problems: [ImportProblem(
                file: path, row: rows.count + 2, column: "-",
                message: "this row is not well-formed CSV (a quote that does not close, or text after a closing quote); nothing was imported. Save the file again from Excel or WPS")])
        }
        self.rows = rows
    }

    /// Map header cells to columns by their Chinese or English names.
    func columns<C: ImportColumn>(_: C.Type) -> (index: [C: Int], ignored: [String]) {
        var index: [C: Int] = [:]
        var ignored: [String] = []
        for (i, name) in header.enumerated() {
            let key = name.lowercased().replacingOccurrences(of: " ", with: "_")
            if let column = C.allCases.first(where: { $0.aliases.contains(key) || $0.aliases.contains(name) }) {
                if index[column] == nil { index[column] = i }
            } else if !name.isEmpty {
                ignored.append(name)
            }
        }
        return (index, ignored)
    }
}

protocol ImportColumn: Hashable, CaseIterable {
    var aliases: [String] { get }
    var isRequired: Bool { get }
}

extension ImportColumn {
    /// The name to show: the first (Chinese) alias.
    var title: String { aliases[0] }
}

enum HouseholdColumn: ImportColumn {
    case name, idNumber, unit, members, income, categories, causes, bankCard, phone, address
    case difficultyType, mainCause, secondaryCauses, identity, fileStatus, registeredOn

    var aliases: [String] {
        switch self {
        case .name: ["姓名", "户主姓名", "name"]
        case .idNumber: ["身份证号", "身份证号码", "公民身份号码", "id_number"]
        case .unit: ["所属单位", "单位", "所属工会", "unit"]
        case .members: ["家庭人口", "家庭人数", "members"]
        case .income: ["人均月收入", "家庭人均月收入", "income"]
        case .categories: ["类别", "人员类别", "帮扶类别", "categories"]
        case .causes: ["困难原因", "causes"]
        case .bankCard: ["银行卡号", "卡号", "bank_card"]
        case .phone: ["联系电话", "电话", "phone"]
        case .address: ["家庭住址", "住址", "address"]
        case .difficultyType: ["困难类别", "difficulty_type"]
        case .mainCause: ["主要致困原因", "main_cause"]
        case .secondaryCauses: ["次要致困原因", "secondary_causes"]
        case .identity: ["身份", "identity"]
        case .fileStatus: ["档案状态", "file_status"]
        case .registeredOn: ["建档日期", "registered_on"]
        }
    }

    var isRequired: Bool { [.name, .idNumber, .unit, .members, .income].contains(self) }
}

enum UnitColumn: ImportColumn {
    case code, name, kind, parent

    var aliases: [String] {
        switch self {
        case .code: ["编码", "单位编码", "code"]
        case .name: ["名称", "单位名称", "name"]
        case .kind: ["类型", "单位类型", "kind"]
        case .parent: ["上级编码", "上级单位", "parent"]
        }
    }

    var isRequired: Bool { self != .parent }
}

/// Imports units and households from CSV, validating every row first.
public struct Importer: Sendable {
    public let store: Store
    /// A birth year after this is refused; the host passes the current year.
    public var latestBirthYear: Int

    public init(store: Store, latestBirthYear: Int = Calendar(identifier: .gregorian).component(.year, from: Date())) {
        self.store = store
        self.latestBirthYear = latestBirthYear
    }

    // MARK: Units

    /// Import a units file in one transaction. Every problem is reported; nothing is written
    /// while any remains.
    public func importUnits(file: String) throws -> ImportReport {
        let table = try CSVTable(path: file)
        let (index, ignored) = table.columns(UnitColumn.self)
        try requireColumns(index, in: table)
        var problems: [ImportProblem] = []
        var units: [UnionUnit] = []
        var seen: [String: Int] = [:]
        let stored = Dictionary(uniqueKeysWithValues: try store.units().map { ($0.code, $0) })
        for (i, row) in table.rows.enumerated() where !row.isEmpty {
            let rowNumber = i + 2
            func cell(_ c: UnitColumn) -> String { index[c].flatMap { $0 < row.count ? row[$0] : nil } ?? "" }
            func problem(_ c: UnitColumn, _ message: String) {
                problems.append(ImportProblem(file: file, row: rowNumber, column: c.title, message: message))
            }
            let code = cell(.code), name = cell(.name), kindText = cell(.kind), parent = cell(.parent)
            if code.isEmpty { problem(.code, "the unit code is empty") }
            if name.isEmpty { problem(.name, "the unit name is empty") }
            let kind = UnionUnit.Kind(rawValue: kindText)
            if kind == nil {
                problem(.kind, "unknown unit kind '\(kindText)'; known: \(UnionUnit.Kind.allCases.map(\.rawValue).joined(separator: "、"))")
            }
            if let first = seen[code], !code.isEmpty { problem(.code, "unit code \(code) appears again (first at row \(first))") }
            seen[code] = seen[code] ?? rowNumber
            if !parent.isEmpty, seen[parent] == nil, stored[parent] == nil {
                problem(.parent, "parent unit '\(parent)' is not in this file above this row, nor in the store")
            }
            if parent == code, !code.isEmpty { problem(.parent, "a unit cannot be its own parent") }
            // Re-parenting a stored unit under one of its own descendants would make a loop.
            if !parent.isEmpty, parent != code, stored[code] != nil {
                var seenChain: Set<String> = [code]
                var next: String? = parent
                while let p = next {
                    if seenChain.contains(p) {
                        problem(.parent, "parent '\(parent)' is below unit \(code) in the tree: that would make a loop")
                        break
                    }
                    seenChain.insert(p)
                    next = stored[p]?.parentCode
                }
            }
            if let kind, !code.isEmpty, !name.isEmpty {
                units.append(UnionUnit(code: code, name: name, kind: kind, parentCode: parent.isEmpty ? nil : parent))
            }
        }
        if !problems.isEmpty { throw ImportFailure(problems: problems) }
        let counts = try store.upsertUnits(units)
        return ImportReport(encoding: table.encoding, rows: units.count,
                            counts: .init(inserted: counts.inserted, updated: counts.updated, unchanged: counts.unchanged),
                            rejected: [], rejectedFile: nil, ignoredColumns: ignored)
    }

    // MARK: Households

    /// Import a households file. Without `skipInvalid`, any problem means nothing is written and
    /// every problem is thrown in an `ImportFailure`. With it, the good rows are imported and the
    /// rejected ones are written, with their reasons, to `NAME.rejected.csv` beside the input.
    public func importHouseholds(file: String, update: Bool = false, skipInvalid: Bool = false) throws -> ImportReport {
        let table = try CSVTable(path: file)
        let (index, ignored) = table.columns(HouseholdColumn.self)
        try requireColumns(index, in: table)

        let units = try store.units()
        // A unit is named by its code, or by its name when no other unit has that name.
        var codesByName: [String: [String]] = [:]
        for u in units { codesByName[u.name, default: []].append(u.code) }
        var unitByKey: [String: String] = [:]
        for u in units { unitByKey[u.code] = u.code }
        for (name, codes) in codesByName where codes.count == 1 && unitByKey[name] == nil { unitByKey[name] = codes[0] }
        let ambiguousNames = codesByName.filter { $0.value.count > 1 }

        var problems: [ImportProblem] = []
        var candidates: [(row: Int, household: Household)] = []
        var firstRowOfID: [String: Int] = [:]

        for (i, row) in table.rows.enumerated() where !row.isEmpty {
            let rowNumber = i + 2
            var rowProblems: [ImportProblem] = []
            func cell(_ c: HouseholdColumn) -> String { index[c].flatMap { $0 < row.count ? row[$0] : nil } ?? "" }
            func problem(_ c: HouseholdColumn, _ message: String) {
                rowProblems.append(ImportProblem(file: file, row: rowNumber, column: c.title, message: message))
            }

            let name = cell(.name)
            if name.isEmpty { problem(.name, "the name is empty") }

            let idNumber = IDNumber.normalise(cell(.idNumber))
            if idNumber.isEmpty {
                problem(.idNumber, "the ID number is empty")
            } else if let why = IDNumber.problem(idNumber, latestBirthYear: latestBirthYear) {
                problem(.idNumber, "\(why) (\(IDNumber.mask(idNumber)))")
            } else if let first = firstRowOfID[idNumber] {
                problem(.idNumber, "ID number \(IDNumber.mask(idNumber)) appears again (first at row \(first)): one household, one row")
            }
            if !idNumber.isEmpty, firstRowOfID[idNumber] == nil { firstRowOfID[idNumber] = rowNumber }

            let unitText = cell(.unit)
            let unitCode = unitByKey[unitText]
            if let codes = ambiguousNames[unitText], unitCode == nil {
                problem(.unit, "more than one unit is named '\(unitText)' (\(codes.joined(separator: ", "))): give the unit's code instead")
            } else if unitCode == nil {
                problem(.unit, unitText.isEmpty ? "the unit is empty"
                    : "unknown unit '\(unitText)': import it first with 'warmth import units', or use a code from 'warmth units list'")
            }

            let membersText = cell(.members)
            let members = Int(membersText)
            if members == nil || !(1...20).contains(members!) {
                problem(.members, "household members must be a whole number from 1 to 20, not '\(membersText)'")
            }

            let incomeText = cell(.income)
            let income = Money.parseYuan(incomeText)
            if income == nil {
                problem(.income, "income per capita must be an amount in yuan such as 1250 or 1250.50, not '\(incomeText)'")
            } else if income!.fen < 0 {
                problem(.income, "income per capita cannot be negative (\(incomeText))")
            }

            var categories = NameSet()
            do { categories = try NameSet(Vocabulary.splitList(cell(.categories)), in: Vocabulary.categoryBit) } catch {
                problem(.categories, "unknown category '\(error.name)'; known: \(Vocabulary.categories.joined(separator: "、"))")
            }
            var causes = NameSet()
            do { causes = try NameSet(Vocabulary.splitList(cell(.causes)), in: Vocabulary.causeBit) } catch {
                problem(.causes, "unknown hardship cause '\(error.name)'; known: \(Vocabulary.causes.joined(separator: "、"))")
            }

            let bank = BankCard.normalise(cell(.bankCard))
            if !bank.isEmpty, let why = BankCard.problem(bank) {
                problem(.bankCard, "\(why) (\(BankCard.mask(bank)))")
            }

            func closed(_ c: HouseholdColumn, _ vocabulary: [String], _ what: String) -> String? {
                let v = cell(c)
                if v.isEmpty { return nil }
                if !vocabulary.contains(v) { problem(c, "unknown \(what) '\(v)'; known: \(vocabulary.joined(separator: "、"))") }
                return v
            }
            let difficulty = closed(.difficultyType, Vocabulary.difficultyTypes, "困难类别")
            let mainCause = closed(.mainCause, Vocabulary.fileCauses, "main cause")
            let identity = closed(.identity, Vocabulary.identities, "身份")
            let fileStatus = closed(.fileStatus, Vocabulary.fileStatuses, "file status") ?? "正式"
            let secondary = Vocabulary.splitList(cell(.secondaryCauses))
            if secondary.count > 3 { problem(.secondaryCauses, "at most three secondary causes, not \(secondary.count)") }
            for s in secondary where !Vocabulary.fileCauses.contains(s) {
                problem(.secondaryCauses, "unknown secondary cause '\(s)'; known: \(Vocabulary.fileCauses.joined(separator: "、"))")
            }
            let registeredText = cell(.registeredOn)
            let registered = Day(registeredText)
            if !registeredText.isEmpty, registered == nil {
                problem(.registeredOn, "'\(registeredText)' is not a date such as 2025-12-01")
            }

            if rowProblems.isEmpty, let unitCode, let members, let income {
                candidates.append((rowNumber, Household(
                    idNumber: idNumber, name: name, unitCode: unitCode, members: members, incomePerCapita: income,
                    categories: categories, causes: causes, difficultyType: difficulty, mainCause: mainCause,
                    secondaryCauses: secondary, identity: identity, fileStatus: fileStatus,
                    bankCard: bank.isEmpty ? nil : bank, phone: cell(.phone).isEmpty ? nil : cell(.phone),
                    address: cell(.address).isEmpty ? nil : cell(.address), registeredOn: registered)))
            }
            problems += rowProblems
        }

        // Against the store: an ID number already stored with other data needs --update.
        let stored = try store.households(idNumbers: candidates.map(\.household.idNumber))
        var accepted: [Household] = []
        for (row, h) in candidates {
            if let old = stored[h.idNumber], !update {
                var same = h
                same.id = old.id
                if same != old {
                    problems.append(ImportProblem(file: file, row: row, column: HouseholdColumn.idNumber.title,
                        message: "household \(h.maskedIDNumber) is already stored with other data: pass --update to change it"))
                    continue
                }
            }
            accepted.append(h)
        }

        var rejectedFile: String?
        if !problems.isEmpty {
            guard skipInvalid else { throw ImportFailure(problems: problems) }
            rejectedFile = try writeRejected(problems, table: table)
        }
        let counts = try store.writeHouseholds(accepted, update: update)
        return ImportReport(encoding: table.encoding, rows: table.rows.filter { !$0.isEmpty }.count, counts: counts,
                            rejected: problems, rejectedFile: rejectedFile, ignoredColumns: ignored)
    }

    private func requireColumns<C: ImportColumn>(_ index: [C: Int], in table: CSVTable) throws {
        let missing = C.allCases.filter { $0.isRequired && index[$0] == nil }
        guard missing.isEmpty else {
            throw ImportFailure(problems: missing.map {
                ImportProblem(file: table.file, row: 1, column: $0.title,
                              message: "no column '\($0.aliases.joined(separator: "' or '"))' in the header")
            })
        }
    }

    /// Write the rejected rows, with their reasons first, beside the input.
    private func writeRejected(_ problems: [ImportProblem], table: CSVTable) throws -> String {
        let url = URL(fileURLWithPath: table.file)
        let out = url.deletingPathExtension().appendingPathExtension("rejected.csv").path
        var reasons: [Int: [String]] = [:]
        for p in problems { reasons[p.row, default: []].append("\(p.column): \(p.message)") }
        let writer = try CSVOutput(path: out)
        writer.write(["行号", "错误原因"] + table.header)
        for row in reasons.keys.sorted() {
            writer.write([String(row), reasons[row]!.joined(separator: "；")] + table.rows[row - 2])
        }
        writer.close()
        return out
    }
}

/// Fixture datasets for policy tests: a households CSV, with the `units.csv` beside it,
/// validated exactly as `warmth import` validates them, in a store that lives in memory.
public enum Fixture {
    public static func load(_ path: String) throws -> HouseholdTable {
        let store = try Store.inMemory()
        let importer = Importer(store: store, latestBirthYear: 9999)
        let units = (URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("units.csv")).path
        if FileManager.default.fileExists(atPath: units) {
            _ = try importer.importUnits(file: units)
        }
        _ = try importer.importHouseholds(file: path)
        return try store.householdTable()
    }
}
