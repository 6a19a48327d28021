import Foundation
import GRDB
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
        Set(try Int64.fetchAll(db, sql: "SELECT household_id FROM payout_state WHERE campaign_id = ? AND active = 1", arguments: [campaignID]))
    }

    func payouts(_ q: PayoutQuery) throws -> [LedgerPayout] {
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
                   p.goods, s.status, p.source, p.by_hand, s.since
            FROM payout_state s JOIN payouts p ON p.id = s.payout_id
            """
        if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
        sql += " ORDER BY p.id"
        if let limit = q.limit { sql += " LIMIT \(limit)" }
        let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args))
        // Items only where a payout has more than its one implicit item.
        let ids = rows.map { $0[0] as Int64 }
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
            SELECT category, status, unit_code, source, by_hand, count(*), SUM(amount_fen), SUM(cash_fen), SUM(goods_fen)
            FROM payout_state WHERE campaign_id = ? GROUP BY category, status, unit_code, source, by_hand
            """, arguments: [campaignID]).map { r in
            LedgerTotal(category: r[0], status: PayoutStatus(rawValue: r[1]) ?? .planned, unitCode: r[2], source: r[3],
                        byHand: (r[4] as Int64) == 1, count: r[5], amount: Money(fen: r[6]), cash: Money(fen: r[7]), goods: Money(fen: r[8]))
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
        let rows = try Row.fetchAll(db, sql: """
            SELECT h.id, h.unit_code, h.name, h.id_number,
                   (SELECT e.id FROM payout_state s JOIN payout_events e ON e.payout_id = s.payout_id
                    WHERE s.campaign_id = ? AND s.household_id = h.id AND e.event IN ('cancelled', 'reversed') ORDER BY e.id DESC LIMIT 1)
            FROM households h
            WHERE \(filter.sql) AND h.file_status IN ('正式', '临时救助')
              AND NOT EXISTS (SELECT 1 FROM payout_state s WHERE s.campaign_id = ? AND s.household_id = h.id AND s.active = 1)
            ORDER BY h.id
            """, arguments: StatementArguments([campaignID] + filter.args + [campaignID]))
        return try rows.map { r in
            var closed: PayoutEvent?
            if let eventID = r[4] as Int64? {
                closed = try Row.fetchOne(db, sql: "SELECT payout_id, event, reason, method, actor, at FROM payout_events WHERE id = ?",
                                          arguments: [eventID]).map { e in
                    PayoutEvent(payoutID: e[0], status: PayoutStatus(rawValue: e[1]) ?? .cancelled, reason: e[2],
                                method: (e[3] as String?).flatMap(PaymentMethod.init(rawValue:)), actor: e[4], at: e[5])
                }
            }
            return UnpaidHousehold(id: r[0], unitCode: r[1], name: r[2], maskedIDNumber: IDNumber.mask(r[3]), closed: closed)
        }
    }

    func neverHelpedCount(campaignIDs: [Int64], units: [String]) throws -> Int {
        let filter = try unitFilter(units, column: "h.unit_code")
        let inList = campaignIDs.isEmpty ? "NULL" : campaignIDs.map { _ in "?" }.joined(separator: ",")
        return try Int.fetchOne(db, sql: """
            SELECT count(*) FROM households h
            WHERE \(filter.sql) AND h.file_status IN ('正式', '临时救助')
              AND NOT EXISTS (SELECT 1 FROM payout_state s WHERE s.household_id = h.id AND s.active = 1 AND s.campaign_id IN (\(inList)))
            """, arguments: StatementArguments(filter.args + campaignIDs)) ?? 0
    }

    func householdsFromSeveralUnits(campaignID: Int64) throws -> [(household: Int64, units: [String])] {
        try Row.fetchAll(db, sql: """
            SELECT household_id, group_concat(DISTINCT unit_code) FROM payout_state WHERE campaign_id = ?
            GROUP BY household_id HAVING count(DISTINCT unit_code) > 1 ORDER BY household_id
            """, arguments: [campaignID]).map { ($0[0], ($0[1] as String).split(separator: ",").map(String.init).sorted()) }
    }

    func activePayoutsToClosedFiles(campaignID: Int64) throws -> [LedgerPayout] {
        let ids = try Int64.fetchAll(db, sql: """
            SELECT s.payout_id FROM payout_state s JOIN households h ON h.id = s.household_id
            WHERE s.campaign_id = ? AND s.active = 1 AND h.file_status NOT IN ('正式', '临时救助') ORDER BY s.payout_id
            """, arguments: [campaignID])
        return ids.isEmpty ? [] : try payouts(PayoutQuery(campaignID: campaignID, payoutIDs: ids))
    }

    func activePayoutsChangedSince(campaignID: Int64) throws -> [LedgerPayout] {
        let ids = try Int64.fetchAll(db, sql: """
            SELECT s.payout_id FROM payout_state s
            WHERE s.campaign_id = ? AND s.active = 1 AND EXISTS (
                SELECT 1 FROM household_history hh WHERE hh.household_id = s.household_id
                  AND hh.changed_at >= (SELECT min(at) FROM payout_events e WHERE e.payout_id = s.payout_id))
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
        let insert = try db.makeStatement(sql: """
            INSERT INTO payouts (campaign_id, household_id, run_id, unit_code, amount_fen, cash_fen, goods_fen, kind, goods, category,
                                 reason, rule, source, by_hand, created_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let item = try db.makeStatement(sql: """
            INSERT INTO payout_items (payout_id, position, kind, description, quantity, value_fen) VALUES (?, ?, ?, ?, ?, ?)
            """)
        let event = try db.makeStatement(sql: "INSERT INTO payout_events (payout_id, event, actor, at) VALUES (?, 'planned', ?, ?)")
        var ids: [Int64] = []
        ids.reserveCapacity(payouts.count)
        for n in payouts {
            let p = n.payout
            insert.setUncheckedArguments([campaignID, p.householdID, runID, unitCode, p.amount.fen, p.cashValue.fen, p.goodsValue.fen,
                                          p.kind.rawValue, p.goods, p.category, p.reason, p.rule, n.source, n.byHand ? 1 : 0, actor])
            try insert.execute()
            let id = db.lastInsertedRowID
            ids.append(id)
            // A payout of one item needs no item rows: its kind, goods and amount say it all.
            if p.items.count > 1 || p.items.first?.quantity != nil {
                for (k, it) in p.items.enumerated() {
                    item.setUncheckedArguments([id, k, it.kind.rawValue, it.description, it.quantity, it.value.fen])
                    try item.execute()
                }
            }
            event.setUncheckedArguments([id, actor, at])
            try event.execute()
        }
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
