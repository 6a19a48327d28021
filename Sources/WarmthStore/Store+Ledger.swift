import Foundation
import GRDB
import GRDBSQLite
import WarmthDomain
@_exported import WarmthStorage

/// A payout as the ledger holds it, with its latest status (a listing's row).
public typealias LedgerEntry = LedgerPayout

extension Store: LedgerStorage {
    public func readLedger<T>(_ body: (any LedgerReading) throws -> T) throws -> T {
        try reading { try body(SQLiteLedger(db: $0)) }
    }

    /// One write transaction that takes the write lock at its first statement (BEGIN
    /// IMMEDIATE), waiting up to the busy timeout for another writer: what the body reads — the
    /// budget left, the households already paid — cannot change before it commits.
    public func writeLedger<T>(_ body: (any LedgerWriting) throws -> T) throws -> T {
        try writing { try body(SQLiteLedger(db: $0)) }
    }

    /// Households of `campaignID` with an active payout, whichever unit proposed it.
    public func paidHouseholds(campaignID: Int64) throws -> Set<Int64> {
        try readLedger { try $0.activeHouseholds(campaignID: campaignID) }
    }

    /// What the campaign's active payouts add up to.
    public func committedTotal(campaignID: Int64) throws -> Money {
        try readLedger { try $0.activeTotal(campaignID: campaignID) }
    }

    /// The ledger of a campaign, with each payout's current status.
    public func ledger(campaignID: Int64) throws -> [LedgerPayout] {
        try readLedger { try $0.payouts(PayoutQuery(campaignID: campaignID)) }
    }

    public func runs(campaignID: Int64) throws -> [RunRecord] {
        try readLedger { try $0.runs(campaignID: campaignID) }
    }

    /// Run raw SQL against the store: for tests that prove the store's own constraints hold.
    public func executeForTesting(_ sql: String) throws {
        try writing { try $0.execute(sql: sql) }
    }

    /// Raw SQL reads, for tests and the benchmark.
    public func scalarForTesting(_ sql: String) throws -> Int64? {
        try db.read { try Int64.fetchOne($0, sql: sql) }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try db.read { try String.fetchAll($0, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }
}

/// The ledger in one SQLite transaction.
struct SQLiteLedger: LedgerWriting {
    let db: Database

    static var timestamp: ISO8601DateFormatter { ISO8601DateFormatter() }

    func campaign(id: Int64) throws -> Campaign? {
        try Row.fetchOne(db, sql: "SELECT id, name, unit_code, start_date, end_date, phase, budget_fen FROM campaigns WHERE id = ?",
                         arguments: [id]).map { try Store.campaign(from: $0, db: db) }
    }

    func unit(code: String) throws -> UnionUnit? {
        try Row.fetchOne(db, sql: "SELECT code, name, kind, parent_code FROM units WHERE code = ?", arguments: [code]).map(Store.unit(from:))
    }

    func subtree(of code: String) throws -> [String] {
        try String.fetchAll(db, sql: """
            WITH RECURSIVE t(code) AS (SELECT ? UNION SELECT u.code FROM units u JOIN t ON u.parent_code = t.code)
            SELECT code FROM t
            """, arguments: [code])
    }

    func activeTotal(campaignID: Int64) throws -> Money {
        Money(fen: try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(amount_fen), 0) FROM payout_state WHERE campaign_id = ? AND active = 1",
                                      arguments: [campaignID]) ?? 0)
    }

    func activeTotalsBySource(campaignID: Int64) throws -> [String?: Money] {
        var out: [String?: Money] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT source, SUM(amount_fen) FROM payout_state WHERE campaign_id = ? AND active = 1 GROUP BY source
            """, arguments: [campaignID]) {
            out[row[0] as String?] = Money(fen: row[1])
        }
        return out
    }

    func paidTotal(campaignID: Int64) throws -> Money {
        Money(fen: try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(amount_fen), 0) FROM payout_state WHERE campaign_id = ? AND status IN ('paid', 'signed')",
                                      arguments: [campaignID]) ?? 0)
    }

    func activeHouseholds(campaignID: Int64) throws -> Set<Int64> {
        // Stepped with SQLite's C API: a city's million ids through Row values would cost a second.
        let statement = try db.makeStatement(sql: "SELECT household_id FROM payout_state WHERE campaign_id = ? AND active = 1")
        try statement.setArguments([campaignID])
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        var out = Set<Int64>()
        while true {
            let rc = sqlite3_step(raw)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc)) }
            out.insert(sqlite3_column_int64(raw, 0))
        }
        return out
    }

    func payouts(_ q: PayoutQuery) throws -> [LedgerPayout] {
        // SQLite takes at most 32,766 bound values in one statement: long id lists go in parts.
        if let list = q.payoutIDs ?? q.householdIDs, list.count > 10_000 {
            let byPayout = q.payoutIDs != nil
            var out: [LedgerPayout] = []
            for chunk in stride(from: 0, to: list.count, by: 10_000) {
                var part = q
                let ids = Array(list[chunk..<min(chunk + 10_000, list.count)])
                if byPayout { part.payoutIDs = ids } else { part.householdIDs = ids }
                out += try payouts(part)
            }
            out.sort { (a: LedgerPayout, b: LedgerPayout) -> Bool in a.id < b.id }
            return out
        }
        var clauses: [String] = []
        var args: [DatabaseValueConvertible?] = []
        if let c = q.campaignID { clauses.append("s.campaign_id = ?"); args.append(c) }
        if !q.statuses.isEmpty {
            clauses.append("s.status IN (\(q.statuses.map { _ in "?" }.joined(separator: ",")))")
            args += q.statuses.map(\.rawValue)
        }
        if let units = q.units {
            clauses.append("s.unit_code IN (\(units.map { _ in "?" }.joined(separator: ",")))")
            args += units
        }
        if let c = q.category { clauses.append("s.category = ?"); args.append(c) }
        if let ids = q.householdIDs {
            clauses.append("s.household_id IN (\(ids.map { _ in "?" }.joined(separator: ",")))")
            args += ids
        }
        if let r = q.runID { clauses.append("p.run_id = ?"); args.append(r) }
        if let ids = q.payoutIDs {
            clauses.append("s.payout_id IN (\(ids.map { _ in "?" }.joined(separator: ",")))")
            args += ids
        }
        var sql = """
            SELECT p.id, p.campaign_id, p.run_id, p.unit_code, p.household_id, p.amount_fen, p.kind, p.category, p.reason, p.rule,
                   p.goods, s.status, p.source, p.by_hand, s.since, p.itemized
            FROM payout_state s JOIN payouts p ON p.id = s.payout_id
            """
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        sql += " ORDER BY p.id"
        if let limit = q.limit { sql += " LIMIT \(limit)" }
        let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args))
        // Items only where a payout has more than its one implicit item.
        let ids: [Int64] = rows.filter { (row: Row) -> Bool in (row[15] as Int64) == 1 }.map { (row: Row) -> Int64 in row[0] }
        var items: [Int64: [PayoutItem]] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let part = Array(ids[chunk..<min(chunk + 500, ids.count)])
            for r in try Row.fetchAll(db, sql: """
                SELECT payout_id, kind, description, quantity, value_fen FROM payout_items
                WHERE payout_id IN (\(part.map { _ in "?" }.joined(separator: ","))) ORDER BY payout_id, position
                """, arguments: StatementArguments(part)) {
                items[r[0], default: []].append(PayoutItem(kind: Payout.Kind(rawValue: r[1]) ?? .cash, description: r[2], quantity: r[3],
                                                           value: Money(fen: r[4])))
            }
        }
        return rows.map { row in
            let id: Int64 = row[0]
            let payout = Payout(householdID: row[4], amount: Money(fen: row[5]), kind: Payout.Kind(rawValue: row[6]) ?? .cash,
                                category: row[7], reason: row[8], rule: row[9], goods: row[10], items: items[id])
            return LedgerPayout(id: id, campaignID: row[1], runID: row[2], unitCode: row[3], payout: payout,
                                status: PayoutStatus(rawValue: row[11]) ?? .planned, source: row[12], byHand: (row[13] as Int64) == 1,
                                since: row[14])
        }
    }

    func events(payoutID: Int64) throws -> [PayoutEvent] {
        try Row.fetchAll(db, sql: "SELECT payout_id, event, reason, method, actor, at FROM payout_events WHERE payout_id = ? ORDER BY id",
                         arguments: [payoutID]).map { r in
            PayoutEvent(payoutID: r[0], status: PayoutStatus(rawValue: r[1]) ?? .planned, reason: r[2],
                        method: (r[3] as String?).flatMap(PaymentMethod.init(rawValue:)), actor: r[4], at: r[5])
        }
    }

    func totals(campaignID: Int64) throws -> [LedgerTotal] {
        try Row.fetchAll(db, sql: """
            SELECT category, status, source, by_hand, count(*), SUM(amount_fen), SUM(cash_fen), SUM(goods_fen)
            FROM payout_state WHERE campaign_id = ? GROUP BY category, status, source, by_hand
            """, arguments: [campaignID]).map { r in
            LedgerTotal(category: r[0], status: PayoutStatus(rawValue: r[1]) ?? .planned, source: r[2],
                        byHand: (r[3] as Int64) == 1, count: r[4], amount: Money(fen: r[5]), cash: Money(fen: r[6]), goods: Money(fen: r[7]))
        }
    }

    func campaignEvents(campaignID: Int64) throws -> [CampaignEvent] {
        try Row.fetchAll(db, sql: """
            SELECT kind, detail, old_value, new_value, actor, reason, at FROM campaign_events WHERE campaign_id = ? ORDER BY id
            """, arguments: [campaignID]).map { r in
            CampaignEvent(kind: CampaignEvent.Kind(rawValue: r[0]) ?? .created, detail: r[1], oldValue: r[2], newValue: r[3],
                          actor: r[4], reason: r[5], at: r[6])
        }
    }

    func runs(campaignID: Int64) throws -> [RunRecord] {
        try Row.fetchAll(db, sql: """
            SELECT id, campaign_id, unit_code, policy_path, policy_sha256, modules, params, data_fingerprint,
                   households_considered, total_fen, created_at FROM runs WHERE campaign_id = ? ORDER BY id
            """, arguments: [campaignID]).map { row in
            RunRecord(id: row[0], campaignID: row[1], unitCode: row[2], policyPath: row[3], policySHA256: row[4],
                      modules: row[5], params: row[6], dataFingerprint: row[7], householdsConsidered: row[8],
                      total: Money(fen: row[9]), createdAt: SQLiteLedger.timestamp.date(from: row[10]) ?? Date(timeIntervalSince1970: 0))
        }
    }

    func maskedIDNumber(householdID: Int64) throws -> String {
        try String.fetchOne(db, sql: "SELECT id_number FROM households WHERE id = ?", arguments: [householdID]).map(IDNumber.mask) ?? "#\(householdID)"
    }

    func householdUnit(householdID: Int64) throws -> String? {
        try String.fetchOne(db, sql: "SELECT unit_code FROM households WHERE id = ?", arguments: [householdID])
    }

    /// `unit_code IN (…)` for a subtree, or nothing for every unit.
    func unitFilter(_ units: [String], column: String) throws -> (sql: String, args: [DatabaseValueConvertible?]) {
        let all = try Int.fetchOne(db, sql: "SELECT count(*) FROM units") ?? 0
        if Set(units).count >= all { return ("1", []) }
        return ("\(column) IN (\(units.map { _ in "?" }.joined(separator: ",")))", units)
    }

    func unpaidLiveHouseholds(campaignID: Int64, units: [String]) throws -> [UnpaidHousehold] {
        let filter = try unitFilter(units, column: "h.unit_code")
        // The latest cancellation or reversal per household, for the few that have one.
        var closed: [Int64: PayoutEvent] = [:]
        for e in try Row.fetchAll(db, sql: """
            SELECT s.household_id, e.payout_id, e.event, e.reason, e.method, e.actor, e.at
            FROM payout_state s JOIN payout_events e ON e.payout_id = s.payout_id
            WHERE s.campaign_id = ? AND s.active = 0 AND e.event IN ('cancelled', 'reversed') ORDER BY e.id
            """, arguments: [campaignID]) {
            let household: Int64 = e[0], payout: Int64 = e[1], event: String = e[2], reason: String? = e[3], method: String? = e[4]
            let actor: String = e[5], at: String = e[6]
            closed[household] = PayoutEvent(payoutID: payout, status: PayoutStatus(rawValue: event) ?? .cancelled, reason: reason,
                                            method: method.flatMap(PaymentMethod.init(rawValue:)), actor: actor, at: at)
        }
        // One pass over the campaign's active payouts (an index) and one over the live households,
        // rather than an index lookup per household.
        let paid = try activeHouseholds(campaignID: campaignID)
        var out: [UnpaidHousehold] = []
        let statement = try db.makeStatement(sql: """
            SELECT h.id, h.unit_code, h.name, h.id_number FROM households h
            WHERE \(filter.sql) AND h.file_status IN ('正式', '临时救助') ORDER BY h.id
            """)
        try statement.setArguments(StatementArguments(filter.args))
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        func text(_ column: Int32) -> String {
            let bytes = UnsafeBufferPointer<UInt8>(start: sqlite3_column_text(raw, column), count: Int(sqlite3_column_bytes(raw, column)))
            return String(decoding: bytes, as: UTF8.self)
        }
        while true {
            let rc = sqlite3_step(raw)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc)) }
            let id: Int64 = sqlite3_column_int64(raw, 0)
            if paid.contains(id) { continue }
            let unit = text(1), name = text(2), masked = IDNumber.mask(text(3))
            out.append(UnpaidHousehold(id: id, unitCode: unit, name: name, maskedIDNumber: masked, closed: closed[id]))
        }
        return out
    }

    func neverHelpedCount(campaignIDs: [Int64], units: [String]) throws -> Int {
        let filter = try unitFilter(units, column: "unit_code")
        var helped = Set<Int64>()
        for c in campaignIDs { helped.formUnion(try activeHouseholds(campaignID: c)) }
        let live: [Int64] = try Int64.fetchAll(db, sql: "SELECT id FROM households WHERE \(filter.sql) AND file_status IN ('正式', '临时救助')",
                                               arguments: StatementArguments(filter.args))
        var count = 0
        for id in live where !helped.contains(id) { count += 1 }
        return count
    }

    func householdsPaidTwice(campaignID: Int64) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT count(*) FROM (SELECT household_id FROM payout_state WHERE campaign_id = ? AND active = 1
                                  GROUP BY household_id HAVING count(*) > 1)
            """, arguments: [campaignID]) ?? 0
    }

    func activePayoutsOffStandard(campaignID: Int64, standards: [String: Money], unit: String?) throws -> [LedgerPayout] {
        var ids: [Int64] = []
        for (category, amount) in standards.sorted(by: { $0.key < $1.key }) {
            ids += try Int64.fetchAll(db, sql: """
                SELECT payout_id FROM payout_state WHERE campaign_id = ? AND category = ? AND active = 1 AND amount_fen <> ?
                  AND (? IS NULL OR unit_code = ?)
                """, arguments: [campaignID, category, amount.fen, unit, unit])
        }
        ids.sort()
        return ids.isEmpty ? [] : try payouts(PayoutQuery(campaignID: campaignID, payoutIDs: ids))
    }

    func householdsFromSeveralUnits(campaignID: Int64) throws -> [(household: Int64, units: [String])] {
        try Row.fetchAll(db, sql: """
            SELECT household_id, group_concat(DISTINCT unit_code) FROM payout_state WHERE campaign_id = ? AND household_id IN (
                SELECT household_id FROM payout_state WHERE campaign_id = ? GROUP BY household_id HAVING count(*) > 1)
            GROUP BY household_id HAVING count(DISTINCT unit_code) > 1 ORDER BY household_id
            """, arguments: [campaignID, campaignID]).map { ($0[0], ($0[1] as String).split(separator: ",").map(String.init).sorted()) }
    }

    func activePayoutsToClosedFiles(campaignID: Int64) throws -> [LedgerPayout] {
        let ids = try Int64.fetchAll(db, sql: """
            SELECT s.payout_id FROM households h JOIN payout_state s ON s.campaign_id = ? AND s.household_id = h.id AND s.active = 1
            WHERE h.file_status NOT IN ('正式', '临时救助') ORDER BY s.payout_id
            """, arguments: [campaignID])
        return ids.isEmpty ? [] : try payouts(PayoutQuery(campaignID: campaignID, payoutIDs: ids))
    }

    func activePayoutsChangedSince(campaignID: Int64) throws -> [LedgerPayout] {
        // From the history, which is short, to the payouts of the households in it.
        let ids = try Int64.fetchAll(db, sql: """
            SELECT DISTINCT s.payout_id FROM household_history hh
            JOIN payout_state s ON s.campaign_id = ? AND s.household_id = hh.household_id AND s.active = 1
            WHERE hh.changed_at >= (SELECT min(at) FROM payout_events e WHERE e.payout_id = s.payout_id)
            ORDER BY s.payout_id
            """, arguments: [campaignID])
        return ids.isEmpty ? [] : try payouts(PayoutQuery(campaignID: campaignID, payoutIDs: ids))
    }

    func householdsOutside(_ ids: [Int64], units: [String]) throws -> [Int64] {
        guard !ids.isEmpty else { return [] }
        let all = try Int.fetchOne(db, sql: "SELECT count(*) FROM units") ?? 0
        let inside: Set<Int64>
        if Set(units).count >= all {
            inside = Set(try Int64.fetchAll(db, sql: "SELECT id FROM households"))
        } else {
            var found = Set<Int64>()
            for chunk in stride(from: 0, to: units.count, by: 500) {
                let part = Array(units[chunk..<min(chunk + 500, units.count)])
                found.formUnion(try Int64.fetchAll(db, sql: "SELECT id FROM households WHERE unit_code IN (\(part.map { _ in "?" }.joined(separator: ",")))",
                                                   arguments: StatementArguments(part)))
            }
            inside = found
        }
        return ids.filter { !inside.contains($0) }
    }

    func insertRun(_ run: RunRecord) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO runs (campaign_id, unit_code, policy_path, policy_sha256, modules, params, data_fingerprint,
                households_considered, total_fen, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run.campaignID, run.unitCode, run.policyPath, run.policySHA256, run.modules, run.params,
                             run.dataFingerprint, run.householdsConsidered, run.total.fen, SQLiteLedger.timestamp.string(from: run.createdAt)])
        return db.lastInsertedRowID
    }

    func insertPayouts(_ payouts: [NewPayout], campaignID: Int64, unitCode: String, runID: Int64?, actor: String, at: String) throws -> [Int64] {
        guard !payouts.isEmpty else { return [] }
        let insert = try db.makeStatement(sql: """
            INSERT INTO payouts (campaign_id, household_id, run_id, unit_code, amount_fen, cash_fen, goods_fen, kind, goods, category,
                                 reason, rule, source, by_hand, created_by, itemized)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let item = try db.makeStatement(sql: """
            INSERT INTO payout_items (payout_id, position, kind, description, quantity, value_fen) VALUES (?, ?, ?, ?, ?, ?)
            """)
        var ids: [Int64] = []
        ids.reserveCapacity(payouts.count)
        for n in payouts {
            let p = n.payout
            // A payout of one item without a quantity needs no item rows: its kind, goods and amount say it all.
            let itemized = p.items.count > 1 || p.items.first?.quantity != nil
            insert.setUncheckedArguments([campaignID, p.householdID, runID, unitCode, p.amount.fen, p.cashValue.fen, p.goodsValue.fen,
                                          p.kind.rawValue, p.goods, p.category, p.reason, p.rule, n.source, n.byHand ? 1 : 0, actor,
                                          itemized ? 1 : 0])
            try insert.execute()
            let id = db.lastInsertedRowID
            ids.append(id)
            if itemized {
                for (k, it) in p.items.enumerated() {
                    item.setUncheckedArguments([id, k, it.kind.rawValue, it.description, it.quantity, it.value.fen])
                    try item.execute()
                }
            }
        }
        // The write lock is held: every payout from the first id on is one of these. Their status
        // projection and planned events are written in two statements, not a million.
        let first = ids[0]
        try db.execute(sql: """
            INSERT INTO payout_state (payout_id, campaign_id, household_id, unit_code, category, amount_fen, cash_fen, goods_fen, source,
                                      by_hand, status, active, since)
            SELECT id, campaign_id, household_id, unit_code, category, amount_fen, cash_fen, goods_fen, source, by_hand, 'planned', 1, ?
            FROM payouts WHERE id >= ? ORDER BY id
            """, arguments: [at, first])
        try db.execute(sql: "INSERT INTO payout_events (payout_id, event, actor, at) SELECT id, 'planned', ?, ? FROM payouts WHERE id >= ? ORDER BY id",
                       arguments: [actor, at, first])
        return ids
    }

    func appendEvents(_ events: [PayoutEvent]) throws {
        let statement = try db.makeStatement(sql: "INSERT INTO payout_events (payout_id, event, reason, method, actor, at) VALUES (?, ?, ?, ?, ?, ?)")
        for e in events {
            statement.setUncheckedArguments([e.payoutID, e.status.rawValue, e.reason, e.method?.rawValue, e.actor, e.at])
            try statement.execute()
        }
    }

    func setCampaign(id: Int64, phase: Campaign.Phase, budget: Money, funds: [Campaign.Fund]) throws {
        try db.execute(sql: "UPDATE campaigns SET phase = ?, budget_fen = ? WHERE id = ?", arguments: [phase.rawValue, budget.fen, id])
        try db.execute(sql: "DELETE FROM campaign_funds WHERE campaign_id = ?", arguments: [id])
        for (i, f) in funds.enumerated() {
            try db.execute(sql: "INSERT INTO campaign_funds (campaign_id, position, source, amount_fen) VALUES (?, ?, ?, ?)",
                           arguments: [id, i, f.source, f.amount.fen])
        }
    }

    func appendCampaignEvent(campaignID: Int64, _ e: CampaignEvent) throws {
        try db.execute(sql: """
            INSERT INTO campaign_events (campaign_id, kind, detail, old_value, new_value, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [campaignID, e.kind.rawValue, e.detail, e.oldValue, e.newValue, e.actor, e.reason, e.at])
    }
}
