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

    /// Whether the file passed `quick_check` in this process.
    let checked = Flag()

    /// Whether this connection only reads (a dry run, a listing, a report; an archive).
    public let readOnly: Bool

    /// How long a command waits for another process's write to finish before it gives up.
    public static let busyTimeout: Double = 10

    /// Open (creating if needed) the store at `path` and bring its schema up to date. With
    /// `readOnly`, the file is only read: nothing is created or migrated, and a read-only file
    /// (an archive kept for inspection) can be listed and reported.
    public init(path: String, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        self.readOnly = readOnly
        do {
            var config = Configuration()
            config.foreignKeysEnabled = true
            config.readonly = readOnly
            config.busyMode = .timeout(Store.busyTimeout)
            if !readOnly {
                config.prepareDatabase { db in
                    // WAL is a property of the file: set it once, so that two processes opening
                    // the store together do not both ask for the lock it needs.
                    if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                        try db.execute(sql: "PRAGMA journal_mode = WAL")
                    }
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                }
            }
            db = try DatabaseQueue(path: path, configuration: config)
            try db.read { db in
                if try Store.migrator.hasBeenSuperseded(db) {
                    let known = Set(Store.migrator.migrations)
                    let stored = try Store.migrator.appliedIdentifiers(db).subtracting(known).sorted()
                    if !readOnly {
                        throw StoreError(
                            "\(path): 该库由较新版本的 Warmth 写入 (库中有本程序不认识的迁移: \(stored.joined(separator: ", "))); 本程序 (结构版本 \(known.count)) 不写入它。请升级 Warmth",
                            en: "\(path): the store was written by a newer Warmth (migrations this binary does not know: \(stored.joined(separator: ", "))); this binary (schema version \(known.count)) will not write to it. Upgrade Warmth")
                    }
                }
            }
            if !readOnly {
                if try !db.read({ try Store.migrator.hasCompletedMigrations($0) }) {
                    try Store.migrator.migrate(db)
                }
            } else if try !db.read({ try Store.migrator.hasCompletedMigrations($0) || Store.migrator.hasBeenSuperseded($0) }) {
                throw StoreError("\(path): 该库的结构版本较旧; 先运行一次写入命令 (如 warmth init) 升级它",
                                 en: "\(path): the store's schema is older than this Warmth; run a writing command once (warmth init) to upgrade it")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw Store.mapped(error, path: path, doing: ("打开", "open"))
        }
    }

    /// A store that lives in memory only: for tests and what-if sessions.
    public static func inMemory() throws(StoreError) -> Store { try Store(memory: ()) }

    private init(memory: Void) throws(StoreError) {
        path = ":memory:"
        readOnly = false
        do {
            var config = Configuration()
            config.foreignKeysEnabled = true
            db = try DatabaseQueue(configuration: config)
            try Store.migrator.migrate(db)
        } catch {
            throw StoreError("cannot create an in-memory store: \(error)")
        }
    }

    /// Every read goes through here: database errors become messages a person can act on.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try db.read(body)
        } catch let e as DatabaseError {
            throw Store.mapped(e, path: path, doing: ("读取", "read"))
        }
    }

    /// Every write goes through here: one transaction that takes the write lock first (BEGIN
    /// IMMEDIATE, waiting up to the busy timeout), refused on a store opened read-only, after a
    /// check that the file is sound; database errors become messages a person can act on.
    func writing<T>(_ body: (Database) throws -> T) throws -> T {
        try writingTransaction { db in (try body(db), true) }
    }

    func writingTransaction<T>(_ body: (Database) throws -> (T, Bool)) throws -> T {
        guard !readOnly else {
            throw StoreError("\(path): 以只读方式打开, 不能写入", en: "\(path): opened read-only; cannot write", code: .readOnly)
        }
        do {
            try checkBeforeFirstWrite()
            return try db.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    let (value, commit) = try body(db)
                    result = value
                    return commit ? .commit : .rollback
                }
                return result!
            }
        } catch let e as DatabaseError {
            throw Store.mapped(e, path: path, doing: ("写入", "write"))
        }
    }

    /// `PRAGMA quick_check` once per process before its first write to a file store, so a store
    /// with damaged pages is refused for writing before anything is added to it.
    private func checkBeforeFirstWrite() throws {
        guard path != ":memory:", !checked.value else { return }
        let result = try db.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
        guard result == ["ok"] else {
            throw StoreError("\(path): 该库已损坏 (quick_check: \(result.prefix(3).joined(separator: "; "))); 不写入。从备份恢复",
                             en: "\(path): the store is damaged (quick_check: \(result.prefix(3).joined(separator: "; "))); nothing is written. Restore it from a backup",
                             code: .corrupt)
        }
        checked.value = true
    }

    /// Names of the migrations applied, in order.
    public func appliedMigrations() throws -> [String] {
        try reading { try Store.migrator.appliedMigrations($0) }
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
        m.registerMigration("v2: payout lifecycle, items, funding sources, campaign events, household history, vocabularies") { db in
            try db.execute(sql: Store.migrationV2)
        }
        m.registerMigration("v3: what-if scenarios") { db in
            try db.execute(sql: Store.migrationV3)
        }
        return m
    }()
}

/// A flag set once, shared by the store's users.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return set }
        set { lock.lock(); set = newValue; lock.unlock() }
    }
}

/// A store failure, said so that a person can act on it: in Chinese, and in English for
/// `--lang en`; `code` is stable for scripts.
public struct StoreError: BilingualError, Sendable {
    public var zh: String
    public var en: String
    public var code: StorageError.Code
    public init(_ message: String, en: String? = nil, code: StorageError.Code = .other) {
        zh = message
        self.en = en ?? message
        self.code = code
    }
    /// The message in Chinese.
    public var message: String { zh }
}

extension Store {
    /// Database errors as a person reads them: what happened, and what to do.
    static func mapped(_ error: Error, path: String, doing: (zh: String, en: String)) -> StoreError {
        if let e = error as? StoreError { return e }
        guard let e = error as? DatabaseError else {
            return StoreError("\(path): 无法\(doing.zh)该库: \(error)", en: "\(path): cannot \(doing.en) the store: \(error)")
        }
        switch e.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError("\(path): 另一个 warmth 进程正在写入该库, 已等待 \(Int(busyTimeout)) 秒; 未写入任何内容, 请稍后重试",
                              en: "\(path): another warmth process is writing this store; waited \(Int(busyTimeout)) s; nothing was written, try again", code: .busy)
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN where FileManager.default.fileExists(atPath: path):
            return StoreError("\(path): 该库只能读取 (文件或所在文件夹不可写); 无法\(doing.zh)。检查文件权限, 或只用查询命令",
                              en: "\(path): the store can only be read (the file or its folder is not writable); cannot \(doing.en) it. Check the permissions, or use reading commands only", code: .readOnly)
        case .SQLITE_FULL:
            return StoreError("\(path): 磁盘已满; 未写入任何内容。腾出空间后重试", en: "\(path): the disk is full; nothing was written. Free some space and try again", code: .full)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError("\(path): 该库已损坏或不是 Warmth 的库; 不写入。从备份恢复", en: "\(path): the store is damaged or not a Warmth store; nothing is written. Restore it from a backup", code: .corrupt)
        case .SQLITE_CANTOPEN:
            return StoreError("\(path): 无法打开该库: 检查路径和所在文件夹", en: "\(path): cannot open the store: check the path and its folder")
        case .SQLITE_CONSTRAINT:
            return StoreError("该库拒绝了这次写入, 未写入任何内容: \(e.message ?? "constraint")", en: "The store refused the write; nothing was written: \(e.message ?? "constraint")", code: .constraint)
        default:
            return StoreError("\(path): 无法\(doing.zh)该库: \(e.message ?? "\(e)")", en: "\(path): cannot \(doing.en) the store: \(e.message ?? "\(e)")")
        }
    }
}
