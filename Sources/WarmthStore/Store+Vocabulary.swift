import Foundation
import GRDB
import WarmthDomain

/// Categories and causes an organiser adds to the national vocabulary, for its own subtree.
extension Store {
    public func vocabularyExtras() throws -> [VocabularyExtra] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT kind, name, unit_code, bit FROM vocabulary_extras ORDER BY kind, bit").map {
                VocabularyExtra(kind: VocabularyExtra.Kind(rawValue: $0[0]) ?? .category, name: $0[1], unitCode: $0[2], bit: $0[3])
            }
        }
    }

    /// The unit's code and the codes above it, up to the root.
    public func ancestors(of code: String) throws -> [String] {
        try reading { db in
            try String.fetchAll(db, sql: """
                WITH RECURSIVE t(code, depth) AS (SELECT ?, 0 UNION SELECT u.parent_code, t.depth + 1 FROM units u JOIN t ON u.code = t.code
                    WHERE u.parent_code IS NOT NULL AND t.depth < 100)
                SELECT code FROM t
                """, arguments: [code])
        }
    }

    /// What `h:is`, `h:has` and import know for households of `unit`.
    public func vocabulary(for unit: String) throws -> VocabularyView {
        let extras = try vocabularyExtras()
        guard !extras.isEmpty else { return .national }
        return VocabularyView(extras: extras, visibleTo: Set(try ancestors(of: unit)))
    }

    /// Add a category or cause for `unitCode` and the units below it. Its bit comes after the
    /// national ones; a name already known anywhere is refused.
    public func addVocabulary(_ kind: VocabularyExtra.Kind, name raw: String, unitCode: String, actor: String) throws -> VocabularyExtra {
        let name = raw.trimmingCharacters(in: .whitespaces)
        let national = kind == .category ? Vocabulary.categories : Vocabulary.causes
        let what = kind == .category ? ("类别", "category") : ("困难原因", "cause")
        guard !name.isEmpty, name.count <= 20,
              !name.unicodeScalars.contains(where: { [.control, .format, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory) }),
              !Vocabulary.splitList(name).isEmpty, Vocabulary.splitList(name) == [name] else {
            throw StoreError("\(what.0)名称须为 1–20 个字, 不含分隔符 (、,;|) 和控制字符", en: "A \(what.1) name is 1–20 characters, without separators (、,;|) or control characters")
        }
        guard !national.contains(name) else {
            throw StoreError("“\(name)” 已是全国统一的\(what.0), 无须添加", en: "“\(name)” is a national \(what.1) already")
        }
        return try writing { db in
            if let owner = try String.fetchOne(db, sql: "SELECT unit_code FROM vocabulary_extras WHERE kind = ? AND name = ?", arguments: [kind.rawValue, name]) {
                throw StoreError("\(what.0) “\(name)” 已由单位 \(owner) 添加, 只在其下级可见", en: "The \(what.1) “\(name)” was added by unit \(owner) already; it is visible below it only")
            }
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM units WHERE code = ?", arguments: [unitCode]) == 1 else {
                throw StoreError("没有单位 \(unitCode)", en: "No unit \(unitCode)")
            }
            let used = try Int.fetchOne(db, sql: "SELECT max(bit) FROM vocabulary_extras WHERE kind = ?", arguments: [kind.rawValue])
            let bit = max(national.count, (used ?? -1) + 1)
            guard bit <= 62 else {
                throw StoreError("\(what.0)已满 (最多 63 个)", en: "No room for another \(what.1) (63 at most)")
            }
            try db.execute(sql: "INSERT INTO vocabulary_extras (kind, name, unit_code, bit, actor, at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [kind.rawValue, name, unitCode, bit, actor, ISO8601DateFormatter().string(from: Date())])
            return VocabularyExtra(kind: kind, name: name, unitCode: unitCode, bit: bit)
        }
    }
}
