/// The fixed vocabularies of the needy-worker registry (困难职工档案) and the campaign plans.
///
/// Each list is closed: an import that names anything else is refused with the list of known
/// names, so a typo never silently creates a new category. Categories and causes are stored as
/// bit sets; the bit of a name is its position here, so new names are only ever appended.
public enum Vocabulary {
    /// Who a household is, for the campaign's purposes (a household may be in several).
    public static let categories: [String] = [
        "在档困难职工",   // registered needy worker (建档在册)
        "困难企业职工",   // worker of a distressed enterprise, not on file
        "一线坚守职工",   // front-line worker on duty over the festival
        "返乡农民工",     // returning migrant worker
        "劳动模范",       // model worker
        "离休干部",
        "退休干部",
        "军烈属",         // family of service members and martyrs
        "低保",           // on the minimum living allowance
        "残疾",
        "社区核实困难",   // needy, not on file, verified by community and unit union
        "困难党员",
        "特级教师",
        "退役军人",
        "离退休人员",
        "单亲女职工",
        "农民工",
    ]

    /// Hardship causes as units write them in plans and lists.
    public static let causes: [String] = [
        "因病", "因残", "因灾", "子女就学", "单亲", "下岗失业", "意外事故", "工伤", "大病", "其他",
    ]

    /// 困难类别 on the national file form.
    public static let difficultyTypes: [String] = ["低保户", "低保边缘户", "意外致困户"]

    /// The ten main causes of hardship on the national file form (致困原因).
    public static let fileCauses: [String] = [
        "无劳动能力", "有劳动能力而未就业", "下岗失业", "未参加社会保险", "社会保险待遇落实不到位",
        "患重特大疾病", "遭受自然灾害", "遭受意外事故", "子女上学", "其他",
    ]

    /// 身份 on the national file form.
    public static let identities: [String] = ["在岗", "下岗", "失业", "退休", "病休", "内退", "农民工"]

    /// File status: only 正式 and 临时救助 files are live.
    public static let fileStatuses: [String] = ["正式", "临时救助", "注销", "脱困"]
    public static let liveFileStatuses: Set<String> = ["正式", "临时救助"]

    /// Funding sources of a campaign.
    public static let fundingSources: [String] = ["上级拨付", "本级筹集", "财政拨付", "自筹", "社会捐助"]

    public static let categoryBit: [String: Int] = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
    public static let causeBit: [String: Int] = Dictionary(uniqueKeysWithValues: causes.enumerated().map { ($1, $0) })

    /// Split a list cell as spreadsheets write it: separated by 、 , ， ; ； or |.
    public static func splitList(_ cell: String) -> [String] {
        if let fast = FastPath.splitList(cell) { return fast }
        return cell.split(whereSeparator: { "、,，;；|".contains($0) })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }
}

/// A set of names from one closed vocabulary, stored as bits.
public struct NameSet: Sendable, Hashable, Codable {
    public var bits: Int64

    public init(bits: Int64 = 0) { self.bits = bits }

    public init(_ names: some Sequence<String>, in index: [String: Int]) throws(UnknownName) {
        bits = 0
        for name in names {
            guard let bit = index[name] else { throw UnknownName(name: name) }
            bits |= 1 << Int64(bit)
        }
    }

    public func contains(bit: Int) -> Bool { bits & (1 << Int64(bit)) != 0 }

    public func names(in vocabulary: [String]) -> [String] {
        vocabulary.enumerated().filter { contains(bit: $0.offset) }.map(\.element)
    }

    public var count: Int { bits.nonzeroBitCount }
}

public struct UnknownName: Error, Sendable {
    public var name: String
}

import Foundation

/// A category or cause an organiser added to the national vocabulary (a 街道 needs 低收入,
/// 优抚对象, 涉军家庭): visible to its unit and every unit below it.
public struct VocabularyExtra: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable { case category, cause }
    public var kind: Kind
    public var name: String
    public var unitCode: String
    /// Its bit in the household's category or cause set, after the national ones.
    public var bit: Int

    public init(kind: Kind, name: String, unitCode: String, bit: Int) {
        self.kind = kind
        self.name = name
        self.unitCode = unitCode
        self.bit = bit
    }
}

/// The categories and causes one unit sees: the national ones and the extras its unit or a unit
/// above it added. The position of a name is its bit; positions another unit's extras use are
/// empty here.
public struct VocabularyView: Sendable, Hashable {
    public private(set) var categories: [String]
    public private(set) var causes: [String]

    public static let national = VocabularyView(categories: Vocabulary.categories, causes: Vocabulary.causes)

    init(categories: [String], causes: [String]) {
        self.categories = categories
        self.causes = causes
    }

    /// The view of a unit whose own code and ancestors' codes are `units`.
    public init(extras: [VocabularyExtra], visibleTo units: Set<String>) {
        self = .national
        for e in extras where units.contains(e.unitCode) {
            switch e.kind {
            case .category:
                while categories.count <= e.bit { categories.append("") }
                categories[e.bit] = e.name
            case .cause:
                while causes.count <= e.bit { causes.append("") }
                causes[e.bit] = e.name
            }
        }
    }

    public var categoryBit: [String: Int] { Self.index(categories) }
    public var causeBit: [String: Int] { Self.index(causes) }
    /// The names, for messages ("known: …").
    public var categoryNames: [String] { categories.filter { !$0.isEmpty } }
    public var causeNames: [String] { causes.filter { !$0.isEmpty } }
    public var hasExtras: Bool { self != .national }

    static func index(_ names: [String]) -> [String: Int] {
        var out: [String: Int] = [:]
        for (i, n) in names.enumerated() where !n.isEmpty { out[n] = i }
        return out
    }
}
