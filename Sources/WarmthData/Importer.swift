import Foundation
import WarmthDomain
import WarmthStore

/// One thing wrong with one cell of an input file: `households.csv:14:身份证号: ...`.
///
/// The message and column are masked when made (`Masking.maskNumbers`): whatever a cell held,
/// no full ID, card or phone number is ever shown.
public struct ImportProblem: Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var row: Int
    public var column: String
    public var message: String

    public init(file: String, row: Int, column: String, message: String) {
        self.file = file
        self.row = row
        self.column = Masking.maskNumbers(in: column)
        self.message = Masking.maskNumbers(in: message)
    }

    /// `FILE:ROW:COLUMN: message`, or `FILE: message` for the file as a whole (row 0: it
    /// cannot be opened).
    public var description: String { row == 0 ? "\(file): \(message)" : "\(file):\(row):\(column): \(message)" }
}

extension ImportProblem: Error {}

/// An import that wrote nothing, with the problems found (the first `ImportFailure.shown`
/// of them; `count` says how many there were in all).
public struct ImportFailure: Error, Sendable, CustomStringConvertible {
    public static let shown = 1_000
    public var problems: [ImportProblem]
    public var count: Int

    public init(problems: [ImportProblem], count: Int? = nil) {
        self.problems = problems
        self.count = count ?? problems.count
    }

    public var description: String {
        let advice = problems.allSatisfy({ $0.row <= 1 })
            ? (problems.contains { $0.row == 1 } ? "Fix the header row: name the columns as listed above, in Chinese or English." : "")
            : "Fix the rows, or pass --skip-invalid to import the good rows."
        let more = count > problems.count ? "\n… and \(count - problems.count) more" : ""
        return problems.map(\.description).joined(separator: "\n") + more
            + "\n\(count) problem(s); nothing was imported." + (advice.isEmpty ? "" : " " + advice)
    }
}

public struct ImportReport: Sendable {
    public var encoding: TextFile.Encoding
    public var rows: Int
    public var counts: Store.WriteCounts
    /// The rows left out with --skip-invalid (the first `ImportFailure.shown` problems), and
    /// how many problems there were in all.
    public var rejected: [ImportProblem]
    public var problemCount: Int
    /// Where the rejected rows were written, with --skip-invalid.
    public var rejectedFile: String?
    public var ignoredColumns: [String]
    /// Optional columns the file does not have, taken with their default for every row
    /// (档案状态 → 正式).
    public var defaulted: [String] = []
    /// Seconds spent reading and checking rows, writing them, and committing (for benchmarks).
    public var timings: (check: Double, write: Double, commit: Double) = (0, 0, 0)
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The first problems of an import, and how many there were.
struct ProblemLog {
    private(set) var kept: [ImportProblem] = []
    private(set) var count = 0

    mutating func add(_ problems: [ImportProblem]) {
        count += problems.count
        for p in problems where kept.count < ImportFailure.shown { kept.append(p) }
    }

    var failure: ImportFailure { ImportFailure(problems: kept, count: count) }
}

/// A CSV file as units export it from Excel or WPS: its header, checked, and its rows streamed.
struct CSVTable {
    var file: String
    var header: [String]
    var encoding: TextFile.Encoding
    var stream: CSVStream

    init(path: String) throws(ImportFailure) {
        file = path
        do throws(CSVStreamError) {
            stream = try CSVStream(path: path)
            encoding = stream.encoding
            var first = try stream.next()
            while let r = first, r.isBlank, r.cells.count <= 1 { first = try stream.next() }
            guard let first else {
                throw CSVStreamError(row: 1, column: "-", message:
                    "the file is empty\(stream.encoding == .utf8BOM ? " (it holds only a BOM)" : ""): save the sheet again with its header row and its rows")
            }
            if let why = first.malformed { throw CSVStreamError(row: first.row, column: "-", message: why) }
            header = first.cells
            stream.header = header
        } catch {
            throw ImportFailure(problems: [ImportProblem(file: path, row: error.row, column: error.column, message: error.message)])
        }
        // The same column twice: which of the two would count?
        var seen: [String: Int] = [:]
        var problems: [ImportProblem] = []
        for (i, name) in header.enumerated() where !name.isEmpty {
            let key = CSVTable.key(name)
            if let first = seen[key] {
                problems.append(ImportProblem(file: path, row: 1, column: Masking.quote(name), message:
                    "column \(i + 1) '\(Masking.quote(name))' repeats column \(first + 1) '\(Masking.quote(header[first]))': remove one of them, or rename it"))
            } else {
                seen[key] = i
            }
            if let (scalar, at) = Importer.invisibleCharacter(in: name) {
                problems.append(ImportProblem(file: path, row: 1, column: "column \(i + 1)", message: Importer.invisibleMessage(scalar, at)))
            }
        }
        if !problems.isEmpty { throw ImportFailure(problems: problems) }
    }

    static func key(_ name: String) -> String { name.lowercased().replacingOccurrences(of: " ", with: "_") }

    /// The next record, with a structural failure of the file as an `ImportProblem`.
    mutating func next() throws(ImportProblem) -> CSVRecord? {
        do throws(CSVStreamError) { return try stream.next() } catch {
            throw ImportProblem(file: file, row: error.row, column: error.column, message: error.message)
        }
    }

    /// Map header cells to columns by their Chinese or English names. Two names for the same
    /// column (姓名 and name) are refused as a repeated column.
    func columns<C: ImportColumn>(_: C.Type) throws(ImportFailure) -> (index: [C: Int], ignored: [String]) {
        var index: [C: Int] = [:]
        var ignored: [String] = []
        var problems: [ImportProblem] = []
        for (i, name) in header.enumerated() {
            let key = CSVTable.key(name)
            if let column = C.allCases.first(where: { $0.aliases.contains(key) || $0.aliases.contains(name) }) {
                if let first = index[column] {
                    problems.append(ImportProblem(file: file, row: 1, column: column.title, message:
                        "columns \(first + 1) '\(header[first])' and \(i + 1) '\(name)' are the same column: remove one of them"))
                } else {
                    index[column] = i
                }
            } else if !name.isEmpty {
                ignored.append(Masking.quote(name))
            }
        }
        if !problems.isEmpty { throw ImportFailure(problems: problems) }
        return (index, ignored)
    }

    /// Why a row's cells do not line up with the header, or nil when they do.
    func countProblem(_ record: CSVRecord) -> ImportProblem? {
        let n = record.cells.count, m = header.count
        if let why = record.malformed {
            return ImportProblem(file: file, row: record.row, column: "-", message: why)
        }
        if n < m {
            return ImportProblem(file: file, row: record.row, column: header[n].isEmpty ? "column \(n + 1)" : Masking.quote(header[n]), message:
                "this row has \(n) fields but the header has \(m): the row is cut short or a cell is missing; nothing in this row was imported. Give every cell, empty ones as ,,")
        }
        if n > m {
            return ImportProblem(file: file, row: record.row, column: "column \(m + 1)", message:
                "this row has more fields than the header (\(n), the header has \(m)): a comma inside a cell, such as an amount written 1,200.00, shifts the cells after it. Write amounts without the thousands separator, or quote the cell")
        }
        return nil
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

enum HouseholdColumn: Int, ImportColumn {
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

/// Imports units and households from CSV, validating every row.
///
/// A households file streams through in batches: each batch is validated and written inside
/// the import's one transaction, which commits only when no row was refused (or, with
/// `skipInvalid`, with the good rows), so nothing of a refused import is ever stored.
public struct Importer: Sendable {
    public let store: Store
    /// A birth year after this is refused; the host passes the current year.
    public var latestBirthYear: Int
    /// Rows validated and written at a time.
    public var batchSize = 2_048

    public init(store: Store, latestBirthYear: Int = Calendar(identifier: .gregorian).component(.year, from: Date())) {
        self.store = store
        self.latestBirthYear = latestBirthYear
    }

    // MARK: Units

    /// Import a units file in one transaction. Every problem is reported; nothing is written
    /// while any remains.
    public func importUnits(file: String) throws -> ImportReport {
        var table = try CSVTable(path: file)
        let (index, ignored) = try table.columns(UnitColumn.self)
        try requireColumns(index, in: table)
        var log = ProblemLog()
        var units: [UnionUnit] = []
        var seen: [String: Int] = [:]
        let stored = Dictionary(uniqueKeysWithValues: try store.units().map { ($0.code, $0) })
        while true {
            let next: CSVRecord?
            do throws(ImportProblem) { next = try table.next() } catch {
                log.add([error])
                throw log.failure
            }
            guard let record = next else { break }
            if record.isBlank { continue }
            if let p = table.countProblem(record) { log.add([p]); continue }
            let rowNumber = record.row
            var problems: [ImportProblem] = []
            let row = record.cells
            func problem(_ c: UnitColumn, _ message: String) {
                problems.append(ImportProblem(file: file, row: rowNumber, column: c.title, message: message))
            }
            var invisible: Set<UnitColumn> = []
            for c in UnitColumn.allCases {
                guard let i = index[c], let (scalar, at) = Importer.invisibleCharacter(in: row[i]) else { continue }
                problem(c, Importer.invisibleMessage(scalar, at))
                invisible.insert(c)
            }
            func cell(_ c: UnitColumn) -> String { index[c].map { row[$0] } ?? "" }
            let code = cell(.code), name = cell(.name), kindText = cell(.kind), parent = cell(.parent)
            if !invisible.isEmpty { log.add(problems); continue }
            if code.isEmpty { problem(.code, "the unit code is empty") }
            if name.isEmpty { problem(.name, "the unit name is empty") }
            let kind = UnionUnit.Kind(rawValue: kindText)
            if kind == nil {
                problem(.kind, kindText.isEmpty ? "the unit kind is empty; known: \(UnionUnit.Kind.allCases.map(\.rawValue).joined(separator: "、"))"
                    : "unknown unit kind '\(Masking.quote(kindText))'; known: \(UnionUnit.Kind.allCases.map(\.rawValue).joined(separator: "、"))")
            }
            if let first = seen[code], !code.isEmpty { problem(.code, "unit code \(Masking.quote(code)) appears again (first at row \(first))") }
            seen[code] = seen[code] ?? rowNumber
            if !parent.isEmpty, seen[parent] == nil, stored[parent] == nil {
                problem(.parent, "parent unit '\(Masking.quote(parent))' is not in this file above this row, nor in the store")
            }
            if parent == code, !code.isEmpty { problem(.parent, "a unit cannot be its own parent") }
            // Re-parenting a stored unit under one of its own descendants would make a loop.
            if !parent.isEmpty, parent != code, stored[code] != nil {
                var seenChain: Set<String> = [code]
                var next: String? = parent
                while let p = next {
                    if seenChain.contains(p) {
                        problem(.parent, "parent '\(Masking.quote(parent))' is below unit \(Masking.quote(code)) in the tree: that would make a loop")
                        break
                    }
                    seenChain.insert(p)
                    next = stored[p]?.parentCode
                }
            }
            if let kind, !code.isEmpty, !name.isEmpty {
                units.append(UnionUnit(code: code, name: name, kind: kind, parentCode: parent.isEmpty ? nil : parent))
            }
            log.add(problems)
        }
        if log.count > 0 { throw log.failure }
        let counts = try store.upsertUnits(units)
        return ImportReport(encoding: table.encoding, rows: units.count,
                            counts: .init(inserted: counts.inserted, updated: counts.updated, unchanged: counts.unchanged),
                            rejected: [], problemCount: 0, rejectedFile: nil, ignoredColumns: ignored)
    }

    // MARK: Households

    /// Import a households file. Without `skipInvalid`, any problem means nothing is stored
    /// and the problems are thrown in an `ImportFailure`. With it, the good rows are imported
    /// and the rejected ones are written, with their reasons, to `NAME.rejected.csv` beside the
    /// input. `progress` is called now and then with the bytes read and the file's size.
    public func importHouseholds(file: String, update: Bool = false, skipInvalid: Bool = false,
                                 progress: ((_ bytesRead: Int, _ totalBytes: Int) -> Void)? = nil) throws -> ImportReport {
        let table = try CSVTable(path: file)
        let (index, ignored) = try table.columns(HouseholdColumn.self)
        try requireColumns(index, in: table)
        let validator = HouseholdRowValidator(file: file, index: index, units: try store.units(), latestBirthYear: latestBirthYear,
                                              extras: try store.vocabularyExtras())

        var log = ProblemLog()
        var rows = 0
        var counts = Store.WriteCounts()
        var rejected: CSVOutput?
        let rejectedPath = URL(fileURLWithPath: file).deletingPathExtension().appendingPathExtension("rejected.csv").path
        defer { rejected?.discard() }
        let header = table.header
        let encoding = table.encoding

        // Two threads: one reads and checks the rows, one (this) writes them, a few batches
        // apart at most. On a city's file each takes about half the time.
        let channel = BatchChannel(capacity: 2)
        let reader = ProducerBox(table: table, validator: validator, batchSize: batchSize)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            reader.run(into: channel)
            finished.signal()
        }.start()
        defer {
            channel.cancel()
            finished.wait()
        }

        let clock = ContinuousClock()
        var writeTime = Duration.zero, commitTime = Duration.zero
        var mark = clock.now
        let committed = try store.importTransaction { writer -> (result: Bool, commit: Bool) in
            while let batch = channel.receive() {
                let start = clock.now
                defer { writeTime += clock.now - start }
                rows += batch.rows
                var refused = batch.refused
                let outcomes = try writer.write(batch.pending.map(\.household), update: update)
                for (p, outcome) in zip(batch.pending, outcomes) {
                    switch outcome {
                    case .inserted: counts.inserted += 1
                    case .updated: counts.updated += 1
                    case .unchanged: counts.unchanged += 1
                    case .storedWithOtherData:
                        refused.append((p.row, p.cells, [ImportProblem(file: file, row: p.row, column: HouseholdColumn.idNumber.title,
                            message: "household \(p.household.maskedIDNumber) is already stored with other data: pass --update to change it")]))
                    }
                }
                refused.sort { $0.row < $1.row }
                for r in refused { log.add(r.problems) }
                if let fatal = batch.fatal {
                    // The file cannot be read further: nothing of it is stored.
                    log.add([fatal])
                    return (false, false)
                }
                if skipInvalid, !refused.isEmpty {
                    if rejected == nil {
                        let out = try CSVOutput(path: rejectedPath)
                        try out.write((["行号", "错误原因"] + header).map(CSVOutput.formulaSafe))
                        rejected = out
                    }
                    for r in refused {
                        let reasons = r.problems.map { "\($0.column): \($0.message)" }.joined(separator: "；")
                        try rejected!.write(([String(r.row), reasons] + r.cells).map(CSVOutput.formulaSafe))
                    }
                }
                progress?(batch.bytesRead, batch.totalBytes)
            }
            guard log.count == 0 || skipInvalid else { return (false, false) }
            try rejected?.commit()
            mark = clock.now
            return (true, true)
        }
        commitTime = clock.now - mark
        if !committed { throw log.failure }
        return ImportReport(encoding: encoding, rows: rows, counts: counts, rejected: log.kept, problemCount: log.count,
                            rejectedFile: log.count > 0 ? rejectedPath : nil, ignoredColumns: ignored,
                            defaulted: index[.fileStatus] == nil ? [HouseholdColumn.fileStatus.title] : [],
                            timings: (reader.checkTime.seconds, writeTime.seconds, commitTime.seconds))
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

    // MARK: Invisible characters

    /// The first control or format character in `text` (Unicode Cc and Cf: NUL, tabs, bidi
    /// controls, zero-width spaces and joiners, the BOM) and its position, counting from 1.
    static func invisibleCharacter(in text: String) -> (Unicode.Scalar, Int)? {
        var plain = true
        for byte in text.utf8 where byte < 0x20 || byte >= 0x7F { plain = false; break }
        if plain { return nil }
        for (i, s) in text.unicodeScalars.enumerated() {
            let v = s.value
            if v < 0x20 || (0x7F...0x9F).contains(v) { return (s, i + 1) }
            if v < 0x300 || (0x3400...0x9FFF).contains(v) { continue }
            if s.properties.generalCategory == .format { return (s, i + 1) }
        }
        return nil
    }

    static func invisibleMessage(_ s: Unicode.Scalar, _ at: Int) -> String {
        let code = "U+" + String(repeating: "0", count: max(0, 4 - String(s.value, radix: 16).count)) + String(s.value, radix: 16, uppercase: true)
        let name: String
        switch s.value {
        case 0: name = "NUL, a zero byte"
        case 0x09: name = "a tab"
        case 0x0A, 0x0D: name = "a line break"
        case 0x200B...0x200D, 0x2060, 0xFEFF: name = "a zero-width character"
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: name = "a bidirectional text control"
        default: name = s.properties.generalCategory == .format ? "an invisible format character" : "a control character"
        }
        return "this cell holds \(name) (\(code)) at character \(at), which cannot be seen and would be stored with the text: delete it and save the file again"
    }
}

/// One batch of a households file, read and checked: the households to write and the rows
/// refused, in file order. `fatal` ends the file: it cannot be read further.
struct HouseholdBatch: Sendable {
    var pending: [(row: Int, cells: [String], household: Household)] = []
    var refused: [(row: Int, cells: [String], problems: [ImportProblem])] = []
    var rows = 0
    var bytesRead = 0
    var totalBytes = 0
    var fatal: ImportProblem?
}

/// Batches from the reading thread to the writing one, at most `capacity` waiting.
final class BatchChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [HouseholdBatch] = []
    private var closed = false
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// False when the writer has stopped listening: the reader should stop.
    func send(_ batch: HouseholdBatch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity, !cancelled { condition.wait() }
        guard !cancelled else { return false }
        queue.append(batch)
        condition.broadcast()
        return true
    }

    /// No more batches.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The writer stops listening (it failed, or it is done).
    func cancel() {
        condition.lock()
        cancelled = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or nil once the reader closed the channel and everything was received.
    func receive() -> HouseholdBatch? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty, !closed, !cancelled { condition.wait() }
        guard !queue.isEmpty else { return nil }
        let batch = queue.removeFirst()
        condition.broadcast()
        return batch
    }
}

/// The reading side of an import: it owns the file's stream and the row checks, and is used by
/// the reading thread only, from `run` until it returns (hence unchecked).
final class ProducerBox: @unchecked Sendable {
    private var table: CSVTable
    private var validator: HouseholdRowValidator
    private let batchSize: Int
    private(set) var checkTime = Duration.zero

    init(table: CSVTable, validator: HouseholdRowValidator, batchSize: Int) {
        self.table = table
        self.validator = validator
        self.batchSize = batchSize
    }

    func run(into channel: BatchChannel) {
        let clock = ContinuousClock()
        var mark = clock.now
        var batch = HouseholdBatch()
        func send() -> Bool {
            batch.bytesRead = table.stream.bytesRead
            batch.totalBytes = table.stream.totalBytes
            checkTime += clock.now - mark
            let ok = channel.send(batch)
            mark = clock.now
            batch = HouseholdBatch()
            return ok
        }
        defer { channel.close() }
        while true {
            let next: CSVRecord?
            do throws(ImportProblem) { next = try table.next() } catch {
                batch.fatal = error
                _ = send()
                return
            }
            guard let record = next else { break }
            if record.isBlank { continue }
            batch.rows += 1
            if let p = table.countProblem(record) {
                batch.refused.append((record.row, record.cells, [p]))
            } else {
                switch validator.validate(record) {
                case .success(let h): batch.pending.append((record.row, record.cells, h))
                case .failure(let problems): batch.refused.append((record.row, record.cells, problems.list))
                }
            }
            if batch.pending.count + batch.refused.count >= batchSize, !send() { return }
        }
        _ = send()
    }
}

/// The problems of one row (a class-free list, so that `Result` can carry it).
struct RowProblems: Error {
    var list: [ImportProblem]
}

/// Checks one households row and makes its household: every rule of `warmth import`.
struct HouseholdRowValidator {
    let file: String
    /// The cell index of each column, by its raw value; -1 when the file has no such column.
    let slots: [Int]
    let latestBirthYear: Int
    let unitByKey: [String: String]
    let ambiguousNames: [String: [String]]
    /// Per unit code, the categories and causes it sees (with its organisers' own).
    let vocabularyByUnit: [String: VocabularyView]
    /// The first row of each ID number met so far, by its 17 digits.
    var firstRowOfID: [UInt64: Int32] = [:]

    init(file: String, index: [HouseholdColumn: Int], units: [UnionUnit], latestBirthYear: Int, extras: [VocabularyExtra] = []) {
        self.file = file
        var views: [String: VocabularyView] = [:]
        if !extras.isEmpty {
            let parent = Dictionary(units.map { ($0.code, $0.parentCode) }, uniquingKeysWith: { a, _ in a })
            for u in units {
                var seen: Set<String> = [u.code]
                var next = parent[u.code] ?? nil
                while let p = next, seen.insert(p).inserted { next = parent[p] ?? nil }
                views[u.code] = VocabularyView(extras: extras, visibleTo: seen)
            }
        }
        vocabularyByUnit = views
        slots = HouseholdColumn.allCases.map { index[$0] ?? -1 }
        self.latestBirthYear = latestBirthYear
        // A unit is named by its code, or by its name when no other unit has that name.
        var codesByName: [String: [String]] = [:]
        for u in units { codesByName[u.name, default: []].append(u.code) }
        var unitByKey: [String: String] = [:]
        for u in units { unitByKey[u.code] = u.code }
        for (name, codes) in codesByName where codes.count == 1 && unitByKey[name] == nil { unitByKey[name] = codes[0] }
        self.unitByKey = unitByKey
        ambiguousNames = codesByName.filter { $0.value.count > 1 }
    }

    /// The 17 digits of a valid ID number as one integer.
    static func key(_ id: String) -> UInt64 {
        var k: UInt64 = 0
        for byte in id.utf8.prefix(17) { k = k * 10 + UInt64(byte - 0x30) }
        return k
    }

    mutating func validate(_ record: CSVRecord) -> Result<Household, RowProblems> {
        let rowNumber = record.row
        let row = record.cells
        var rowProblems: [ImportProblem] = []
        func problem(_ c: HouseholdColumn, _ message: String) {
            rowProblems.append(ImportProblem(file: file, row: rowNumber, column: c.title, message: message))
        }
        // Invisible characters first: a cell holding one is not checked further.
        var invisible: UInt32 = 0
        for c in HouseholdColumn.allCases {
            let i = slots[c.rawValue]
            if i >= 0, let (scalar, at) = Importer.invisibleCharacter(in: row[i]) {
                invisible |= 1 << c.rawValue
                problem(c, Importer.invisibleMessage(scalar, at))
            }
        }
        func check(_ c: HouseholdColumn) -> Bool { invisible & (1 << c.rawValue) == 0 }
        func cell(_ c: HouseholdColumn) -> String {
            let i = slots[c.rawValue]
            return i < 0 || !check(c) ? "" : row[i]
        }

        let name = cell(.name)
        if name.isEmpty, check(.name) { problem(.name, "the name is empty") }

        let idNumber = IDNumber.normalise(cell(.idNumber))
        if !check(.idNumber) {
        } else if idNumber.isEmpty {
            problem(.idNumber, "the ID number is empty")
        } else if let why = IDNumber.problem(idNumber, latestBirthYear: latestBirthYear) {
            problem(.idNumber, "\(why) (\(Masking.quote(IDNumber.mask(idNumber))))")
        } else {
            let key = HouseholdRowValidator.key(idNumber)
            if let first = firstRowOfID[key] {
                problem(.idNumber, "ID number \(IDNumber.mask(idNumber)) appears again (first at row \(first)): one household, one row")
            } else {
                firstRowOfID[key] = Int32(clamping: rowNumber)
            }
        }

        let unitText = cell(.unit)
        let unitCode = unitByKey[unitText]
        if !check(.unit) {
        } else if let codes = ambiguousNames[unitText], unitCode == nil {
            problem(.unit, "more than one unit is named '\(Masking.quote(unitText))' (\(codes.joined(separator: ", "))): give the unit's code instead")
        } else if unitCode == nil {
            problem(.unit, unitText.isEmpty ? "the unit is empty"
                : "unknown unit '\(Masking.quote(unitText))': import it first with 'warmth import units', or use a code from 'warmth units list'")
        }

        let membersText = cell(.members)
        let members = Int(membersText)
        if check(.members), members == nil || !(1...20).contains(members!) {
            problem(.members, "household members must be a whole number from 1 to 20, not '\(Masking.quote(membersText))'")
        }

        let incomeText = cell(.income)
        let income = Money.parseYuan(incomeText)
        if !check(.income) {
        } else if income == nil {
            problem(.income, "income per capita must be an amount in yuan such as 1250 or 1250.50, not '\(Masking.quote(incomeText))'")
        } else if income!.fen < 0 {
            problem(.income, "income per capita cannot be negative (\(Masking.quote(incomeText)))")
        }

        var categories = NameSet()
        let view = unitCode.flatMap { vocabularyByUnit[$0] }
        do { categories = try NameSet(Vocabulary.splitList(cell(.categories)), in: view?.categoryBit ?? Vocabulary.categoryBit) } catch {
            problem(.categories, "unknown category '\(Masking.quote(error.name))'; known: \((view?.categoryNames ?? Vocabulary.categories).joined(separator: "、"))")
        }
        var causes = NameSet()
        do { causes = try NameSet(Vocabulary.splitList(cell(.causes)), in: view?.causeBit ?? Vocabulary.causeBit) } catch {
            problem(.causes, "unknown hardship cause '\(Masking.quote(error.name))'; known: \((view?.causeNames ?? Vocabulary.causes).joined(separator: "、"))")
        }

        let bank = BankCard.normalise(cell(.bankCard))
        if !bank.isEmpty, let why = BankCard.problem(bank) {
            problem(.bankCard, "\(why) (\(Masking.quote(BankCard.mask(bank))))")
        }

        func closed(_ c: HouseholdColumn, _ vocabulary: [String], _ what: String) -> String? {
            let v = cell(c)
            if v.isEmpty { return nil }
            if !vocabulary.contains(v) { problem(c, "unknown \(what) '\(Masking.quote(v))'; known: \(vocabulary.joined(separator: "、"))") }
            return v
        }
        let difficulty = closed(.difficultyType, Vocabulary.difficultyTypes, "困难类别")
        let mainCause = closed(.mainCause, Vocabulary.fileCauses, "main cause")
        let identity = closed(.identity, Vocabulary.identities, "身份")
        // 档案状态 decides who is live: a file without the column is all 正式 (the report says
        // so), but a row of a file that has it must say which.
        var fileStatus = "正式"
        if slots[HouseholdColumn.fileStatus.rawValue] >= 0, check(.fileStatus) {
            if let v = closed(.fileStatus, Vocabulary.fileStatuses, "file status") {
                fileStatus = v
            } else {
                problem(.fileStatus, "the file status is empty: give one of \(Vocabulary.fileStatuses.joined(separator: "、")) (only 正式 and 临时救助 files are live)")
            }
        }
        let secondary = Vocabulary.splitList(cell(.secondaryCauses))
        if secondary.count > 3 { problem(.secondaryCauses, "at most three secondary causes, not \(secondary.count)") }
        for s in secondary where !Vocabulary.fileCauses.contains(s) {
            problem(.secondaryCauses, "unknown secondary cause '\(Masking.quote(s))'; known: \(Vocabulary.fileCauses.joined(separator: "、"))")
        }
        let registeredText = cell(.registeredOn)
        let registered = Day(registeredText)
        if !registeredText.isEmpty, registered == nil {
            problem(.registeredOn, "'\(Masking.quote(registeredText))' is not a date such as 2025-12-01")
        }

        guard rowProblems.isEmpty, let unitCode, let members, let income else {
            return .failure(RowProblems(list: rowProblems))
        }
        let phone = cell(.phone), address = cell(.address)
        return .success(Household(
            idNumber: idNumber, name: name, unitCode: unitCode, members: members, incomePerCapita: income,
            categories: categories, causes: causes, difficultyType: difficulty, mainCause: mainCause,
            secondaryCauses: secondary, identity: identity, fileStatus: fileStatus,
            bankCard: bank.isEmpty ? nil : bank, phone: phone.isEmpty ? nil : phone,
            address: address.isEmpty ? nil : address, registeredOn: registered))
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
