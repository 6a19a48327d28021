import Foundation
import GRDB
import GRDBSQLite
import WarmthDomain

// MARK: - Units

extension Store {
    public func units() throws -> [UnionUnit] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT code, name, kind, parent_code FROM units ORDER BY code").map(Store.unit(from:))
        }
    }

    public func unit(code: String) throws -> UnionUnit? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT code, name, kind, parent_code FROM units WHERE code = ?", arguments: [code])
                .map(Store.unit(from:))
        }
    }

    /// Find a unit by its code or its exact name.
    public func unit(named text: String) throws -> UnionUnit? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT code, name, kind, parent_code FROM units WHERE code = ? OR name = ? LIMIT 1",
                             arguments: [text, text]).map(Store.unit(from:))
        }
    }

    /// The codes of `code` and every unit below it.
    public func subtree(of code: String) throws -> [String] {
        try reading { db in
            try String.fetchAll(db, sql: """
                WITH RECURSIVE t(code) AS (SELECT ? UNION SELECT u.code FROM units u JOIN t ON u.parent_code = t.code)
                SELECT code FROM t
                """, arguments: [code])
        }
    }

    static func unit(from row: Row) -> UnionUnit {
        UnionUnit(code: row[0], name: row[1], kind: UnionUnit.Kind(rawValue: row[2]) ?? .enterprise, parentCode: row[3])
    }

    /// Insert new units and update changed ones, in one transaction. Parents must come first
    /// or already be stored. Returns (inserted, updated, unchanged).
    @discardableResult
    public func upsertUnits(_ units: [UnionUnit]) throws -> (inserted: Int, updated: Int, unchanged: Int) {
        try writing { db in
            var counts = (inserted: 0, updated: 0, unchanged: 0)
            for unit in units {
                if let row = try Row.fetchOne(db, sql: "SELECT code, name, kind, parent_code FROM units WHERE code = ?", arguments: [unit.code]) {
                    if Store.unit(from: row) == unit {
                        counts.unchanged += 1
                    } else {
                        try db.execute(sql: "UPDATE units SET name = ?, kind = ?, parent_code = ? WHERE code = ?",
                                       arguments: [unit.name, unit.kind.rawValue, unit.parentCode, unit.code])
                        counts.updated += 1
                    }
                } else {
                    try db.execute(sql: "INSERT INTO units (code, name, kind, parent_code) VALUES (?, ?, ?, ?)",
                                   arguments: [unit.code, unit.name, unit.kind.rawValue, unit.parentCode])
                    counts.inserted += 1
                }
            }
            return counts
        }
    }
}

// MARK: - Households

extension Store {
    static let householdColumns = """
        id, id_number, name, unit_code, members, income_fen, categories, causes, difficulty_type, main_cause,
        secondary_causes, identity, file_status, bank_card, phone, address, registered_on
        """

    static func household(from row: Row) -> Household {
        let secondary: String = row[10]
        let registered: String? = row[16]
        return Household(
            id: row[0], idNumber: row[1], name: row[2], unitCode: row[3], members: row[4],
            incomePerCapita: Money(fen: row[5]), categories: NameSet(bits: row[6]), causes: NameSet(bits: row[7]),
            difficultyType: row[8], mainCause: row[9],
            secondaryCauses: secondary.isEmpty ? [] : secondary.components(separatedBy: "、"),
            identity: row[11], fileStatus: row[12], bankCard: row[13], phone: row[14], address: row[15],
            registeredOn: registered.flatMap(Day.init))
    }

    static func arguments(for h: Household) -> StatementArguments {
        [h.idNumber, h.name, h.unitCode, h.members, h.incomePerCapita.fen, h.categories.bits, h.causes.bits,
         h.difficultyType, h.mainCause, h.secondaryCauses.joined(separator: "、"), h.identity, h.fileStatus,
         h.bankCard, h.phone, h.address, h.registeredOn?.description]
    }

    static let insertHouseholdSQL = """
        INSERT INTO households (id_number, name, unit_code, members, income_fen, categories, causes, difficulty_type,
            main_cause, secondary_causes, identity, file_status, bank_card, phone, address, registered_on)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static let updateHouseholdSQL = """
        UPDATE households SET id_number = ?, name = ?, unit_code = ?, members = ?, income_fen = ?, categories = ?,
            causes = ?, difficulty_type = ?, main_cause = ?, secondary_causes = ?, identity = ?, file_status = ?,
            bank_card = ?, phone = ?, address = ?, registered_on = ?
        WHERE id = ?
        """

    public func household(id: Int64) throws -> Household? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Store.householdColumns) FROM households WHERE id = ?", arguments: [id])
                .map(Store.household(from:))
        }
    }

    public func household(idNumber: String) throws -> Household? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Store.householdColumns) FROM households WHERE id_number = ?",
                             arguments: [IDNumber.normalise(idNumber)]).map(Store.household(from:))
        }
    }

    /// Households of the given units (all when nil), optionally in one category, by id.
    public func households(units: [String]? = nil, category: String? = nil, limit: Int? = nil) throws -> [Household] {
        var sql = "SELECT \(Store.householdColumns) FROM households"
        var clauses: [String] = []
        var args: [DatabaseValueConvertible?] = []
        if let units {
            clauses.append("unit_code IN (\(units.map { _ in "?" }.joined(separator: ",")))")
            args += units
        }
        if let category {
            guard let bit = Vocabulary.categoryBit[category] else {
                throw StoreError("unknown category '\(category)'; known: \(Vocabulary.categories.joined(separator: "、"))")
            }
            clauses.append("(categories & ?) != 0")
            args.append(Int64(1) << Int64(bit))
        }
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        sql += " ORDER BY id"
        if let limit { sql += " LIMIT \(limit)" }
        return try reading { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Store.household(from:))
        }
    }

    /// Households by their numbers in the store.
    public func households(ids: [Int64]) throws -> [Int64: Household] {
        var found: [Int64: Household] = [:]
        try reading { db in
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                let part = Array(ids[chunk..<min(chunk + 500, ids.count)])
                let sql = "SELECT \(Store.householdColumns) FROM households WHERE id IN (\(part.map { _ in "?" }.joined(separator: ",")))"
                for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(part)) {
                    let h = Store.household(from: row)
                    found[h.id!] = h
                }
            }
        }
        return found
    }

    public func householdCount() throws -> Int {
        try reading { try Int.fetchOne($0, sql: "SELECT count(*) FROM households") ?? 0 }
    }

    /// The stored households whose ID numbers are among `idNumbers`, by ID number.
    public func households(idNumbers: [String]) throws -> [String: Household] {
        var found: [String: Household] = [:]
        try reading { db in
            for chunk in stride(from: 0, to: idNumbers.count, by: 500) {
                let part = Array(idNumbers[chunk..<min(chunk + 500, idNumbers.count)])
                let sql = "SELECT \(Store.householdColumns) FROM households WHERE id_number IN (\(part.map { _ in "?" }.joined(separator: ",")))"
                for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(part)) {
                    let h = Store.household(from: row)
                    found[h.idNumber] = h
                }
            }
        }
        return found
    }

    public struct WriteCounts: Sendable, Equatable {
        public var inserted = 0
        public var updated = 0
        public var unchanged = 0
        public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
            self.inserted = inserted
            self.updated = updated
            self.unchanged = unchanged
        }
    }

    /// Write validated households in one transaction: new ID numbers are inserted; a stored one
    /// is left alone when identical and updated when `update` is set. A changed household
    /// without `update` is an error the importer reports before calling this.
    public func writeHouseholds(_ households: [Household], update: Bool) throws -> WriteCounts {
        try writing { db in
            var counts = WriteCounts()
            let insert = try db.makeStatement(sql: Store.insertHouseholdSQL)
            let change = try db.makeStatement(sql: Store.updateHouseholdSQL)
            let find = try db.makeStatement(sql: "SELECT \(Store.householdColumns) FROM households WHERE id_number = ?")
            for var h in households {
                if let row = try Row.fetchOne(find, arguments: [h.idNumber]) {
                    let stored = Store.household(from: row)
                    h.id = stored.id
                    if stored == h {
                        counts.unchanged += 1
                    } else if update {
                        var args = Store.arguments(for: h)
                        args += [stored.id]
                        try change.execute(arguments: args)
                        counts.updated += 1
                    } else {
                        throw StoreError("household \(h.maskedIDNumber) is already stored with other data: use --update to change it")
                    }
                } else {
                    try insert.execute(arguments: Store.arguments(for: h))
                    counts.inserted += 1
                }
            }
            return counts
        }
    }

    /// Insert many new households fast, in one transaction (the synthetic dataset).
    public func bulkInsert(_ households: some Sequence<Household>) throws -> Int {
        try writing { db in
            let insert = try db.makeStatement(sql: Store.insertHouseholdSQL)
            var n = 0
            for h in households {
                insert.setUncheckedArguments(Store.arguments(for: h))
                try insert.execute()
                n += 1
            }
            return n
        }
    }

    /// Remove every household and unit, when no campaign refers to them (demo data only).
    public func clearRegistry() throws {
        try writing { db in
            let campaigns = try Int.fetchOne(db, sql: "SELECT count(*) FROM campaigns") ?? 0
            guard campaigns == 0 else {
                throw StoreError("the store holds \(campaigns) campaign(s): refusing to replace its households; use a new --db")
            }
            try db.execute(sql: "DELETE FROM households; DELETE FROM units;")
        }
    }
}

// MARK: - Campaigns

extension Store {
    /// Create a campaign. The name must be new; the unit must exist.
    @discardableResult
    public func createCampaign(_ campaign: Campaign, createdAt: Date = Date()) throws -> Campaign {
        try writing { db in
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM campaigns WHERE name = ?", arguments: [campaign.name]) ?? 0 > 0 {
                throw StoreError("a campaign named '\(campaign.name)' exists already: choose another name")
            }
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM units WHERE code = ?", arguments: [campaign.unitCode]) ?? 0 == 0 {
                throw StoreError("unknown unit '\(campaign.unitCode)': see 'warmth units list'")
            }
            try db.execute(sql: """
                INSERT INTO campaigns (name, unit_code, start_date, end_date, phase, budget_fen, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [campaign.name, campaign.unitCode, campaign.start.description, campaign.end.description,
                                 campaign.phase.rawValue, campaign.budget.fen, ISO8601DateFormatter().string(from: createdAt)])
            var stored = campaign
            stored.id = db.lastInsertedRowID
            for (i, fund) in campaign.funds.enumerated() {
                try db.execute(sql: "INSERT INTO campaign_funds (campaign_id, position, source, amount_fen) VALUES (?, ?, ?, ?)",
                               arguments: [stored.id, i, fund.source, fund.amount.fen])
            }
            try db.execute(sql: "INSERT INTO campaign_events (campaign_id, kind, new_value, at) VALUES (?, 'created', ?, ?)",
                           arguments: [stored.id, "\(campaign.phase.rawValue) \(campaign.budget.fen)", ISO8601DateFormatter().string(from: createdAt)])
            return stored
        }
    }

    public func campaigns() throws -> [Campaign] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT id, name, unit_code, start_date, end_date, phase, budget_fen FROM campaigns ORDER BY id")
                .map { try Store.campaign(from: $0, db: db) }
        }
    }

    public func campaign(named name: String) throws -> Campaign? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT id, name, unit_code, start_date, end_date, phase, budget_fen FROM campaigns WHERE name = ?",
                             arguments: [name]).map { try Store.campaign(from: $0, db: db) }
        }
    }

    static func campaign(from row: Row, db: Database) throws -> Campaign {
        // An unknown phase is never read as 准备 (a live campaign that takes commits).
        func phase(_ text: String) throws -> Campaign.Phase {
            guard let p = Campaign.Phase(rawValue: text) else {
                throw StoreError("活动 “\(row[1] as String)” 的阶段 “\(text)” 不在 \(Campaign.Phase.allCases.map(\.rawValue).joined(separator: "、")) 之中; 该库需要修复",
                                 en: "campaign “\(row[1] as String)” has the phase “\(text)”, not one of \(Campaign.Phase.allCases.map(\.rawValue).joined(separator: ", ")); the store needs repair")
            }
            return p
        }
        let id: Int64 = row[0]
        let funds = try Row.fetchAll(db, sql: "SELECT source, amount_fen FROM campaign_funds WHERE campaign_id = ? ORDER BY position",
                                     arguments: [id]).map { Campaign.Fund(source: $0[0], amount: Money(fen: $0[1])) }
        return Campaign(id: id, name: row[1], unitCode: row[2], start: Day(row[3] as String)!, end: Day(row[4] as String)!,
                        phase: try phase(row[5]), budget: Money(fen: row[6]), funds: funds)
    }
}

// MARK: - Loading for a run

extension Store {
    /// The SQL that codes vocabulary columns as small integers inside SQLite, so a million rows
    /// load without a million strings.
    static func caseSQL(_ column: String, _ vocabulary: [String], base: Int) -> String {
        "CASE \(column) " + vocabulary.enumerated().map { "WHEN '\($1)' THEN \($0 + base)" }.joined(separator: " ") + " ELSE 0 END"
    }

    static let tableSQL = """
        SELECT id, id_number, name, (SELECT rowid FROM units WHERE code = unit_code), members, income_fen, categories, causes,
               file_status, difficulty_type, main_cause, identity, registered_on
        FROM households
        """

    /// Load the households of `units` (all when nil), by id, as a run reads them. A file store
    /// is read by `shards` connections at once, one thread each.
    public func householdTable(units: [String]? = nil, shards: Int = 2) throws -> HouseholdTable {
        var clauses: [String] = []
        // A subtree that holds every unit needs no filter (the common case: the whole city).
        let everyUnit = try units.map { Set($0).count >= (try reading { try Int.fetchOne($0, sql: "SELECT count(*) FROM units") ?? 0 }) } ?? true
        let unitCodes = everyUnit ? [] : (units ?? [])
        if !everyUnit {
            clauses.append("unit_code IN (\(unitCodes.map { _ in "?" }.joined(separator: ",")))")
        }
        let (lo, hi) = try reading { db in
            let row = try Row.fetchOne(db, sql: "SELECT min(id), max(id) FROM households")!
            return ((row[0] as Int64?) ?? 0, (row[1] as Int64?) ?? -1)
        }
        guard hi >= lo else { return HouseholdTable() }
        let n = path == ":memory:" ? 1 : max(1, min(shards, Int((hi - lo) / 50_000) + 1))
        let step = (hi - lo + 1 + Int64(n) - 1) / Int64(n)
        let ranges = (0..<n).map { k in (lo + Int64(k) * step, min(hi, lo + Int64(k + 1) * step - 1)) }
        let sql = Store.tableSQL + " WHERE " + (clauses + ["id BETWEEN ? AND ?"]).joined(separator: " AND ") + " ORDER BY id"

        // Rows are stepped with SQLite's C API directly: GRDB prepares the statement and binds
        // its arguments; reading a million rows through Row values would cost seconds.
        // Units by rowid: each row names its unit by a number, not a string to hash.
        let unitRows = try reading { try Row.fetchAll($0, sql: "SELECT rowid, code FROM units ORDER BY rowid") }
        let codes: [String] = unitRows.map { $0[1] }
        var byRowid = [UInt32](repeating: 0, count: Int((unitRows.last?[0] as Int64?) ?? 0) + 1)
        for (i, r) in unitRows.enumerated() { byRowid[Int(r[0] as Int64)] = UInt32(i) }
        let unitIndexByRowid = byRowid
        let statuses = Vocabulary.fileStatuses.map { Array($0.utf8) }
        let difficulties = Vocabulary.difficultyTypes.map { Array($0.utf8) }
        let mainCauses = Vocabulary.fileCauses.map { Array($0.utf8) }
        let identities = Vocabulary.identities.map { Array($0.utf8) }

        @Sendable func read(_ db: Database, _ range: (Int64, Int64)) throws -> HouseholdTable {
            var table = HouseholdTable()
            table.defineUnits(codes)
            let statement = try db.makeStatement(sql: sql)
            try statement.setArguments(StatementArguments(unitCodes.map(\.databaseValue) + [range.0.databaseValue, range.1.databaseValue]))
            let raw = statement.sqliteStatement
            defer { sqlite3_reset(raw) }
            // Vocabulary columns are matched on their bytes: 1 + the index, or 0 for none.
            func code(_ column: Int32, _ vocabulary: [[UInt8]]) -> UInt8 {
                guard let p = sqlite3_column_text(raw, column) else { return 0 }
                let n = Int(sqlite3_column_bytes(raw, column))
                for (i, word) in vocabulary.enumerated() where word.count == n {
                    if word.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p, n) }) == 0 { return UInt8(i + 1) }
                }
                return 0
            }
            // "YYYY-MM-DD" as yyyymmdd, or 0.
            func day(_ column: Int32) -> Int32 {
                guard let p = sqlite3_column_text(raw, column), sqlite3_column_bytes(raw, column) == 10 else { return 0 }
                func d(_ k: Int) -> Int32 { Int32(p[k] &- 0x30) }
                return ((d(0) * 10 + d(1)) * 10 + d(2)) * 10 + d(3) == 0 ? 0
                    : (((d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3)) * 100 + d(5) * 10 + d(6)) * 100 + d(8) * 10 + d(9))
            }
            while true {
                let rc = sqlite3_step(raw)
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_ROW else {
                    throw StoreError("reading households failed: \(String(cString: sqlite3_errmsg(sqlite3_db_handle(raw))))")
                }
                let idBytes = UnsafeBufferPointer(start: sqlite3_column_text(raw, 1), count: Int(sqlite3_column_bytes(raw, 1)))
                let nameBytes = UnsafeBufferPointer(start: sqlite3_column_text(raw, 2), count: Int(sqlite3_column_bytes(raw, 2)))
                table.append(id: sqlite3_column_int64(raw, 0), idNumber: idBytes, name: nameBytes,
                             unitIndex: unitIndexByRowid[Int(sqlite3_column_int64(raw, 3))],
                             members: Int(sqlite3_column_int64(raw, 4)), income: sqlite3_column_int64(raw, 5),
                             categories: sqlite3_column_int64(raw, 6), causes: sqlite3_column_int64(raw, 7),
                             fileStatus: try { () throws -> UInt8 in
                                 let c = code(8, statuses)
                                 guard c > 0 else {
                                     // Never read an unknown file status as live: the run stops and says which household.
                                     throw StoreError("户 #\(sqlite3_column_int64(raw, 0)) 的档案状态不在词表中 (\(Vocabulary.fileStatuses.joined(separator: "、"))); 更正后再运行",
                                                      en: "household #\(sqlite3_column_int64(raw, 0)) has a file status outside the vocabulary (\(Vocabulary.fileStatuses.joined(separator: ", "))); correct it and run again")
                                 }
                                 return c - 1
                             }(), difficulty: code(9, difficulties),
                             mainCause: code(10, mainCauses), identity: code(11, identities), registeredOn: day(12))
            }
            return table
        }

        if n == 1 { return try reading { try read($0, ranges[0]) } }
        let path = self.path
        let parts = ShardBox(n)
        let group = DispatchGroup()
        for k in 0..<n {
            group.enter()
            Thread {
                defer { group.leave() }
                parts.set(k, Result {
                    var config = Configuration()
                    config.readonly = true
                    // Map the file instead of copying every page through read(2).
                    config.prepareDatabase { try $0.execute(sql: "PRAGMA mmap_size = 4294967296") }
                    let queue = try DatabaseQueue(path: path, configuration: config)
                    return try queue.read { try read($0, ranges[k]) }
                })
            }.start()
        }
        group.wait()
        var table = try parts.get(0)
        for k in 1..<n { table.append(contentsOf: try parts.get(k)) }
        return table
    }
}

/// Results of parallel reads.
final class ShardBox: @unchecked Sendable {
    private var results: [Result<HouseholdTable, Error>?]
    private let lock = NSLock()
    init(_ n: Int) { results = Array(repeating: nil, count: n) }
    func set(_ k: Int, _ r: Result<HouseholdTable, Error>) { lock.lock(); results[k] = r; lock.unlock() }
    func get(_ k: Int) throws -> HouseholdTable { try results[k]!.get() }
}
