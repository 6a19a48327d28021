import Foundation
import GRDB
import WarmthDomain

/// The stored dataset: units, households, campaigns and the payout ledger, in one SQLite file.
///
/// The only importer of GRDB. Every write that must be all-or-nothing (an import, a committed
/// run) is one transaction. The ledger tables refuse UPDATE and DELETE through triggers, so the
/// store itself keeps them append-only.
public final class Store: Sendable {
    let db: DatabaseQueue
    /// Where the store lives, or ":memory:".
    public let path: String

    /// Open (creating if needed) the store at `path` and bring its schema up to date.
    public init(path: String) throws(StoreError) {
        self.path = path
        do {
            var config = Configuration()
            config.foreignKeysEnabled = true
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            db = try DatabaseQueue(path: path, configuration: config)
            try Store.migrator.migrate(db)
        } catch {
            throw StoreError("cannot open the store at \(path): \(error)")
        }
    }

    /// A store that lives in memory only: for tests and what-if sessions.
    public static func inMemory() throws(StoreError) -> Store { try Store(memory: ()) }

    private init(memory: Void) throws(StoreError) {
        path = ":memory:"
        do {
            var config = Configuration()
            config.foreignKeysEnabled = true
            db = try DatabaseQueue(configuration: config)
            try Store.migrator.migrate(db)
        } catch {
            throw StoreError("cannot create an in-memory store: \(error)")
        }
    }

    /// Names of the migrations applied, in order.
    public func appliedMigrations() throws -> [String] {
        try db.read { try Store.migrator.appliedMigrations($0) }
    }

    static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()
        m.registerMigration("v1: units, households, campaigns, runs, payouts") { db in
            try db.execute(sql: """
                CREATE TABLE units (
                    code TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL CHECK (name <> ''),
                    kind TEXT NOT NULL,
                    parent_code TEXT REFERENCES units(code)
                );
                CREATE TABLE households (
                    id INTEGER PRIMARY KEY,
                    id_number TEXT NOT NULL UNIQUE CHECK (length(id_number) = 18),
                    name TEXT NOT NULL CHECK (name <> ''),
                    unit_code TEXT NOT NULL REFERENCES units(code),
                    members INTEGER NOT NULL CHECK (members BETWEEN 1 AND 20),
                    income_fen INTEGER NOT NULL CHECK (income_fen >= 0),
                    categories INTEGER NOT NULL DEFAULT 0,
                    causes INTEGER NOT NULL DEFAULT 0,
                    difficulty_type TEXT,
                    main_cause TEXT,
                    secondary_causes TEXT NOT NULL DEFAULT '',
                    identity TEXT,
                    file_status TEXT NOT NULL DEFAULT '正式',
                    bank_card TEXT,
                    phone TEXT,
                    address TEXT,
                    registered_on TEXT
                );
                CREATE INDEX households_unit ON households(unit_code);
                CREATE TABLE campaigns (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE CHECK (name <> ''),
                    unit_code TEXT NOT NULL REFERENCES units(code),
                    start_date TEXT NOT NULL,
                    end_date TEXT NOT NULL,
                    phase TEXT NOT NULL,
                    budget_fen INTEGER NOT NULL CHECK (budget_fen >= 0),
                    created_at TEXT NOT NULL
                );
                CREATE TABLE campaign_funds (
                    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
                    position INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
                    PRIMARY KEY (campaign_id, source)
                );
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
                    unit_code TEXT NOT NULL REFERENCES units(code),
                    policy_path TEXT NOT NULL,
                    policy_sha256 TEXT NOT NULL,
                    modules TEXT NOT NULL,
                    params TEXT NOT NULL,
                    data_fingerprint TEXT NOT NULL,
                    households_considered INTEGER NOT NULL,
                    total_fen INTEGER NOT NULL,
                    created_at TEXT NOT NULL
                );
                CREATE TABLE payouts (
                    id INTEGER PRIMARY KEY,
                    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
                    household_id INTEGER NOT NULL REFERENCES households(id),
                    run_id INTEGER NOT NULL REFERENCES runs(id),
                    unit_code TEXT NOT NULL REFERENCES units(code),
                    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0 AND typeof(amount_fen) = 'integer'),
                    kind TEXT NOT NULL CHECK (kind IN ('cash', 'goods', 'ticket')),
                    goods TEXT,
                    category TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    UNIQUE (campaign_id, household_id)
                );
                CREATE TABLE payout_events (
                    id INTEGER PRIMARY KEY,
                    payout_id INTEGER NOT NULL REFERENCES payouts(id),
                    event TEXT NOT NULL CHECK (event IN ('planned', 'approved', 'paid', 'signed', 'cancelled', 'reversed')),
                    reason TEXT,
                    at TEXT NOT NULL
                );
                CREATE TRIGGER payouts_append_only_update BEFORE UPDATE ON payouts
                    BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only: record an event instead'); END;
                CREATE TRIGGER payouts_append_only_delete BEFORE DELETE ON payouts
                    BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only: record an event instead'); END;
                CREATE TRIGGER payout_events_append_only_update BEFORE UPDATE ON payout_events
                    BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only'); END;
                CREATE TRIGGER payout_events_append_only_delete BEFORE DELETE ON payout_events
                    BEGIN SELECT RAISE(ABORT, 'the payout ledger is append-only'); END;
                CREATE TRIGGER runs_append_only_update BEFORE UPDATE ON runs
                    BEGIN SELECT RAISE(ABORT, 'runs are append-only'); END;
                CREATE TRIGGER runs_append_only_delete BEFORE DELETE ON runs
                    BEGIN SELECT RAISE(ABORT, 'runs are append-only'); END;
                """)
        }
        return m
    }()
}

/// A store failure, said so that a person can act on it.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
