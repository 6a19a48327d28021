import Foundation
import GRDB
import WarmthDomain

/// What a committed run records, so an inspector can rerun it and get identical payouts.
public struct RunRecord: Sendable, Equatable {
    public var id: Int64?
    public var campaignID: Int64
    public var unitCode: String
    public var policyPath: String
    public var policySHA256: String
    /// Every stdlib or unit module the policy loaded: "name sha256" lines, sorted.
    public var modules: String
    /// The params the run used, as canonical JSON.
    public var params: String
    /// A digest of the household data the run read.
    public var dataFingerprint: String
    public var householdsConsidered: Int
    public var total: Money
    public var createdAt: Date

    public init(id: Int64? = nil, campaignID: Int64, unitCode: String, policyPath: String, policySHA256: String,
                modules: String, params: String, dataFingerprint: String, householdsConsidered: Int, total: Money,
                createdAt: Date) {
        self.id = id
        self.campaignID = campaignID
        self.unitCode = unitCode
        self.policyPath = policyPath
        self.policySHA256 = policySHA256
        self.modules = modules
        self.params = params
        self.dataFingerprint = dataFingerprint
        self.householdsConsidered = householdsConsidered
        self.total = total
        self.createdAt = createdAt
    }
}

/// A payout as the ledger holds it, with its latest event.
public struct LedgerEntry: Sendable, Equatable {
    public var id: Int64
    public var runID: Int64
    public var unitCode: String
    public var payout: Payout
    public var status: String
}

extension Store {
    /// Households of `campaignID` that already have a payout, whichever unit proposed it.
    public func paidHouseholds(campaignID: Int64) throws -> Set<Int64> {
        try db.read { db in
            Set(try Int64.fetchAll(db, sql: "SELECT household_id FROM payouts WHERE campaign_id = ?", arguments: [campaignID]))
        }
    }

    /// What the ledger holds for a campaign, in all.
    public func committedTotal(campaignID: Int64) throws -> Money {
        try db.read { db in
            Money(fen: try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(amount_fen), 0) FROM payouts WHERE campaign_id = ?",
                                          arguments: [campaignID]) ?? 0)
        }
    }

    /// Commit a run: its record, every payout and a 'planned' event for each, in one
    /// transaction. If any payout cannot be written (a household already paid in this campaign,
    /// a bad amount), nothing is. Returns the run's id.
    public func commitRun(_ run: RunRecord, payouts: [Payout]) throws -> Int64 {
        do {
            return try db.write { db in
                let at = ISO8601DateFormatter().string(from: run.createdAt)
                try db.execute(sql: """
                    INSERT INTO runs (campaign_id, unit_code, policy_path, policy_sha256, modules, params, data_fingerprint,
                        households_considered, total_fen, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run.campaignID, run.unitCode, run.policyPath, run.policySHA256, run.modules, run.params,
                                     run.dataFingerprint, run.householdsConsidered, run.total.fen, at])
                let runID = db.lastInsertedRowID
                let insert = try db.makeStatement(sql: """
                    INSERT INTO payouts (campaign_id, household_id, run_id, unit_code, amount_fen, kind, goods, category, reason, rule)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let event = try db.makeStatement(sql: "INSERT INTO payout_events (payout_id, event, at) VALUES (?, 'planned', ?)")
                for p in payouts {
                    do {
                        try insert.execute(arguments: [run.campaignID, p.householdID, runID, run.unitCode, p.amount.fen,
                                                       p.kind.rawValue, p.goods, p.category, p.reason, p.rule])
                    } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                        let id = try String.fetchOne(db, sql: "SELECT id_number FROM households WHERE id = ?", arguments: [p.householdID])
                        throw StoreError("household \(id.map(IDNumber.mask) ?? "#\(p.householdID)") is already paid in this campaign (不重): nothing was written")
                    }
                    try event.execute(arguments: [db.lastInsertedRowID, at])
                }
                return runID
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            throw StoreError("the run was not committed, nothing was written: \(error.message ?? "\(error)")")
        }
    }

    public func runs(campaignID: Int64) throws -> [RunRecord] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, campaign_id, unit_code, policy_path, policy_sha256, modules, params, data_fingerprint,
                       households_considered, total_fen, created_at FROM runs WHERE campaign_id = ? ORDER BY id
                """, arguments: [campaignID]).map { row in
                RunRecord(id: row[0], campaignID: row[1], unitCode: row[2], policyPath: row[3], policySHA256: row[4],
                          modules: row[5], params: row[6], dataFingerprint: row[7], householdsConsidered: row[8],
                          total: Money(fen: row[9]), createdAt: ISO8601DateFormatter().date(from: row[10]) ?? Date(timeIntervalSince1970: 0))
            }
        }
    }

    /// The ledger of a campaign, with each payout's latest status.
    public func ledger(campaignID: Int64) throws -> [LedgerEntry] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.id, p.run_id, p.unit_code, p.household_id, p.amount_fen, p.kind, p.category, p.reason, p.rule, p.goods,
                       (SELECT event FROM payout_events e WHERE e.payout_id = p.id ORDER BY e.id DESC LIMIT 1)
                FROM payouts p WHERE p.campaign_id = ? ORDER BY p.id
                """, arguments: [campaignID]).map { row in
                LedgerEntry(id: row[0], runID: row[1], unitCode: row[2],
                            payout: Payout(householdID: row[3], amount: Money(fen: row[4]),
                                           kind: Payout.Kind(rawValue: row[5]) ?? .cash, category: row[6], reason: row[7],
                                           rule: row[8], goods: row[9]),
                            status: row[10] ?? "planned")
            }
        }
    }

    /// Run raw SQL against the store: for tests that prove the store's own constraints hold.
    public func executeForTesting(_ sql: String) throws {
        try db.write { try $0.execute(sql: sql) }
    }
}
