/// A calendar date without a time zone: campaigns and registries speak in days.
public struct Day: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1900...2200).contains(year), (1...12).contains(month),
              (1...IDNumber.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// "2026-01-15", "2026/1/15" or "20260115".
    public init?(_ text: String) {
        if let fast = FastPath.day(text) {
            guard let day = fast else { return nil }
            self = day
            return
        }
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." })
        if parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) {
            self.init(year: y, month: m, day: d)
        } else if t.count == 8, let n = Int(t) {
            self.init(year: n / 10_000, month: n / 100 % 100, day: n % 100)
        } else {
            return nil
        }
    }

    public var description: String {
        "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }

    public static func < (a: Day, b: Day) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}

/// An organisation in the union tree: 市总工会 → 县区工会 → 基层工会.
public struct UnionUnit: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case federation = "市总工会"
        case district = "县区工会"
        case industry = "产业工会"
        case enterprise = "企业工会"
        case school = "学校工会"
        case hospital = "医院工会"
        case bureau = "机关工会"
        case street = "街道工会"
    }

    public var code: String
    public var name: String
    public var kind: Kind
    public var parentCode: String?

    public init(code: String, name: String, kind: Kind, parentCode: String?) {
        self.code = code
        self.name = name
        self.kind = kind
        self.parentCode = parentCode
    }
}

/// A family in the registry. Values a person reads are masked by `maskedIDNumber` and
/// `maskedBankCard`; the raw numbers leave the store only in the bank export.
public struct Household: Sendable, Hashable, Codable {
    public var id: Int64?
    public var idNumber: String
    public var name: String
    public var unitCode: String
    public var members: Int
    public var incomePerCapita: Money
    public var categories: NameSet
    public var causes: NameSet
    public var difficultyType: String?
    public var mainCause: String?
    public var secondaryCauses: [String]
    public var identity: String?
    public var fileStatus: String
    public var bankCard: String?
    public var phone: String?
    public var address: String?
    public var registeredOn: Day?

    public init(id: Int64? = nil, idNumber: String, name: String, unitCode: String, members: Int,
                incomePerCapita: Money, categories: NameSet = NameSet(), causes: NameSet = NameSet(),
                difficultyType: String? = nil, mainCause: String? = nil, secondaryCauses: [String] = [],
                identity: String? = nil, fileStatus: String = "正式", bankCard: String? = nil,
                phone: String? = nil, address: String? = nil, registeredOn: Day? = nil) {
        self.id = id
        self.idNumber = idNumber
        self.name = name
        self.unitCode = unitCode
        self.members = members
        self.incomePerCapita = incomePerCapita
        self.categories = categories
        self.causes = causes
        self.difficultyType = difficultyType
        self.mainCause = mainCause
        self.secondaryCauses = secondaryCauses
        self.identity = identity
        self.fileStatus = fileStatus
        self.bankCard = bankCard
        self.phone = phone
        self.address = address
        self.registeredOn = registeredOn
    }

    public var maskedIDNumber: String { IDNumber.mask(idNumber) }
    public var maskedBankCard: String? { bankCard.map(BankCard.mask) }
    public var categoryNames: [String] { categories.names(in: Vocabulary.categories) }
    public var causeNames: [String] { causes.names(in: Vocabulary.causes) }
    /// Only 正式 and 临时救助 files are live.
    public var isLive: Bool { Vocabulary.liveFileStatuses.contains(fileStatus) }
}

/// A relief round: 元旦春节送温暖.
public struct Campaign: Sendable, Hashable, Codable {
    public enum Phase: String, Sendable, Codable, CaseIterable {
        case preparation = "准备"
        case funding = "资金筹备发放"
        case visiting = "走访慰问"
        case review = "检查总结"
    }

    public var id: Int64?
    public var name: String
    public var unitCode: String
    public var start: Day
    public var end: Day
    public var phase: Phase
    public var budget: Money
    /// Funding sources and amounts, in the order given.
    public var funds: [Fund]

    public struct Fund: Sendable, Hashable, Codable {
        public var source: String
        public var amount: Money
        public init(source: String, amount: Money) {
            self.source = source
            self.amount = amount
        }
    }

    public init(id: Int64? = nil, name: String, unitCode: String, start: Day, end: Day,
                phase: Phase = .preparation, budget: Money, funds: [Fund] = []) {
        self.id = id
        self.name = name
        self.unitCode = unitCode
        self.start = start
        self.end = end
        self.phase = phase
        self.budget = budget
        self.funds = funds
    }

    /// The date a script sees as "today": scripts see no wall clock.
    public var referenceDate: Day { start }
}

/// Per category: person-times (人次) and amount, as campaign summaries report them.
public struct CategoryTotal: Sendable, Equatable {
    public var category: String
    public var personTimes: Int
    public var amount: Money

    public init(category: String, personTimes: Int, amount: Money) {
        self.category = category
        self.personTimes = personTimes
        self.amount = amount
    }

    /// Count and add up payouts by category: largest amount first, ties by name.
    public static func tally(_ payouts: some Sequence<(category: String, amount: Money)>) -> [CategoryTotal] {
        var totals: [String: CategoryTotal] = [:]
        for (category, amount) in payouts {
            totals[category, default: CategoryTotal(category: category, personTimes: 0, amount: .zero)].personTimes += 1
            totals[category]!.amount += amount
        }
        return totals.values.sorted { ($0.amount, $1.category) > ($1.amount, $0.category) }
    }
}

/// What one household receives in one campaign.
public struct Payout: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case cash
        case goods
        case ticket

        public var chinese: String {
            switch self {
            case .cash: "慰问金"
            case .goods: "慰问品"
            case .ticket: "车票补贴"
            }
        }
    }

    public var householdID: Int64
    public var amount: Money
    public var kind: Kind
    public var category: String
    public var reason: String
    /// Where the decision came from: "scripts/city/policy.lua:31".
    public var rule: String
    /// For goods: what is handed over ("米、油").
    public var goods: String?
    /// What is handed over, item by item; their values add up to `amount`. A payout of one
    /// kind has one item.
    public var items: [PayoutItem]

    public init(householdID: Int64, amount: Money, kind: Kind, category: String, reason: String,
                rule: String, goods: String? = nil, items: [PayoutItem]? = nil) {
        self.householdID = householdID
        self.amount = amount
        self.kind = kind
        self.category = category
        self.reason = reason
        self.rule = rule
        self.goods = goods
        self.items = items ?? [PayoutItem(kind: kind, description: goods, value: amount)]
    }
}

import Foundation
