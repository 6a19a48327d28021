import Foundation
import GRDB
import WarmthDomain

/// A what-if kept by name: the params a budget officer changed in the REPL, and a what-if
/// budget. Scenarios are kept beside the ledger, never in it: saving one changes no campaign,
/// run or payout.
public struct SavedScenario: Sendable, Equatable {
    public var name: String
    /// The policy file the scenario was made for (its path as given) and its SHA-256 then.
    public var policyPath: String
    public var policySHA256: String
    /// The changed params as a JSON object, name → value (fen for money), in the REPL's encoding.
    public var paramsJSON: String
    public var budget: Money?
    public var note: String
    public var savedBy: String
    public var savedAt: Date

    public init(name: String, policyPath: String, policySHA256: String, paramsJSON: String, budget: Money?, note: String = "",
                savedBy: String = "", savedAt: Date = Date()) {
        self.name = name
        self.policyPath = policyPath
        self.policySHA256 = policySHA256
        self.paramsJSON = paramsJSON
        self.budget = budget
        self.note = note
        self.savedBy = savedBy
        self.savedAt = savedAt
    }
}

extension Store {
    /// Schema v3: named what-if scenarios, per campaign and policy (v1 and v2 are never edited).
    static let migrationV3 = """
        CREATE TABLE scenarios (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            policy_path TEXT NOT NULL CHECK (policy_path <> ''),
            name TEXT NOT NULL CHECK (name <> '' AND length(name) <= 64),
            policy_sha256 TEXT NOT NULL,
            params TEXT NOT NULL CHECK (json_valid(params) AND json_type(params) = 'object'),
            budget_fen INTEGER CHECK (budget_fen IS NULL OR (budget_fen >= 0 AND typeof(budget_fen) = 'integer')),
            note TEXT NOT NULL DEFAULT '',
            saved_by TEXT NOT NULL DEFAULT '',
            saved_at TEXT NOT NULL,
            UNIQUE (campaign_id, policy_path, name)
        );
        """

    /// Save a scenario for a campaign and policy; one of the same name is replaced. Returns
    /// whether one was replaced.
    @discardableResult
    public func saveScenario(_ s: SavedScenario, campaignID: Int64) throws -> Bool {
        try writing { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT 1 FROM scenarios WHERE campaign_id = ? AND policy_path = ? AND name = ?",
                                            arguments: [campaignID, s.policyPath, s.name]) ?? false
            try db.execute(sql: """
                INSERT INTO scenarios (campaign_id, policy_path, name, policy_sha256, params, budget_fen, note, saved_by, saved_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (campaign_id, policy_path, name) DO UPDATE SET policy_sha256 = excluded.policy_sha256,
                    params = excluded.params, budget_fen = excluded.budget_fen, note = excluded.note,
                    saved_by = excluded.saved_by, saved_at = excluded.saved_at
                """, arguments: [campaignID, s.policyPath, s.name, s.policySHA256, s.paramsJSON, s.budget?.fen, s.note, s.savedBy,
                                 SQLiteLedger.timestamp.string(from: s.savedAt)])
            return existed
        }
    }

    /// The scenarios saved for a campaign and policy, by name.
    public func scenarios(campaignID: Int64, policyPath: String) throws -> [SavedScenario] {
        try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT name, policy_path, policy_sha256, params, budget_fen, note, saved_by, saved_at FROM scenarios
                WHERE campaign_id = ? AND policy_path = ? ORDER BY name
                """, arguments: [campaignID, policyPath]).map { r in
                SavedScenario(name: r[0], policyPath: r[1], policySHA256: r[2], paramsJSON: r[3], budget: (r[4] as Int64?).map { Money(fen: $0) },
                              note: r[5], savedBy: r[6], savedAt: SQLiteLedger.timestamp.date(from: r[7]) ?? Date(timeIntervalSince1970: 0))
            }
        }
    }
}
