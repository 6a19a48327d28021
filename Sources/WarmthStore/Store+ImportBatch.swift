import Foundation
import GRDB
import GRDBSQLite
import WarmthDomain

/// Writing an import in batches inside one transaction, so that a city's file streams through
/// without every row held in memory at once, and is still all-or-nothing.
extension Store {
    /// Run `body` inside one write transaction. It commits when `body` returns `commit: true`,
    /// and rolls back when it returns false or throws: nothing of the import is then stored.
    public func importTransaction<T>(_ body: (HouseholdBatchWriter) throws -> (result: T, commit: Bool)) throws -> T {
        try writingTransaction { db in
            let writer = try HouseholdBatchWriter(db)
            defer { writer.finish() }
            let (value, commit) = try body(writer)
            return (value, commit)
        }
    }
}

/// Writes validated households into the open import transaction. Valid only inside the
/// `importTransaction` body that hands it out.
public final class HouseholdBatchWriter {
    /// What happened to one household of a batch.
    public enum Outcome: Sendable, Equatable {
        case inserted, updated, unchanged
        /// Stored already with other data, and `update` was not set: nothing was written.
        case storedWithOtherData
    }

    private let db: Database
    private let insert: Statement
    private let find: Statement
    private let change: Statement

    init(_ db: Database) throws {
        self.db = db
        insert = try db.makeStatement(sql: Store.insertHouseholdSQL + " ON CONFLICT(id_number) DO NOTHING")
        find = try db.makeStatement(sql: "SELECT \(Store.householdColumns) FROM households WHERE id_number = ?")
        change = try db.makeStatement(sql: Store.updateHouseholdSQL)
    }

    func finish() {
        sqlite3_reset(insert.sqliteStatement)
    }

    /// Insert the new ID numbers; a stored one is left alone when identical and updated when
    /// `update` is set. Returns one outcome per household, in order.
    public func write(_ households: [Household], update: Bool) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(households.count)
        let raw = insert.sqliteStatement
        for h in households {
            HouseholdBatchWriter.bind(h, to: raw)
            let rc = sqlite3_step(raw)
            sqlite3_reset(raw)
            guard rc == SQLITE_DONE else {
                throw StoreError("writing household \(h.maskedIDNumber) failed: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
            }
            if sqlite3_changes(db.sqliteConnection) == 1 {
                outcomes.append(.inserted)
                continue
            }
            // The ID number is stored already.
            guard let row = try Row.fetchOne(find, arguments: [h.idNumber]) else {
                throw StoreError("writing household \(h.maskedIDNumber) failed: it conflicts with a stored row that cannot be found")
            }
            let stored = Store.household(from: row)
            var same = h
            same.id = stored.id
            if same == stored {
                outcomes.append(.unchanged)
            } else if update {
                var args = Store.arguments(for: same)
                args += [stored.id]
                try change.execute(arguments: args)
                outcomes.append(.updated)
            } else {
                outcomes.append(.storedWithOtherData)
            }
        }
        return outcomes
    }

    /// Bind a household's columns straight through SQLite's C API: a million rows through
    /// `StatementArguments` cost seconds.
    static func bind(_ h: Household, to raw: OpaquePointer) {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        func text(_ i: Int32, _ s: String?) {
            guard var s else { sqlite3_bind_null(raw, i); return }
            s.withUTF8 { p in
                if let base = p.baseAddress {
                    _ = sqlite3_bind_text(raw, i, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(p.count), transient)
                } else {
                    _ = sqlite3_bind_text(raw, i, "", 0, transient)
                }
            }
        }
        text(1, h.idNumber)
        text(2, h.name)
        text(3, h.unitCode)
        sqlite3_bind_int64(raw, 4, Int64(h.members))
        sqlite3_bind_int64(raw, 5, h.incomePerCapita.fen)
        sqlite3_bind_int64(raw, 6, h.categories.bits)
        sqlite3_bind_int64(raw, 7, h.causes.bits)
        text(8, h.difficultyType)
        text(9, h.mainCause)
        text(10, h.secondaryCauses.joined(separator: "、"))
        text(11, h.identity)
        text(12, h.fileStatus)
        text(13, h.bankCard)
        text(14, h.phone)
        text(15, h.address)
        text(16, h.registeredOn?.description)
    }
}
