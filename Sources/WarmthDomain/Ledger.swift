import Foundation

/// Where a payout stands in its life. Every change is an event in the ledger; the status is the
/// latest one. A payout is *active* until it is cancelled or reversed: one active payout per
/// household per campaign (不重), and the budget counts active payouts only.
public enum PayoutStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case planned
    case approved
    case paid
    case signed
    case cancelled
    case reversed
    case failed

    /// The moves the ledger allows, from each status. `nil` is a payout not yet written.
    /// planned → approved → paid (bank or cash in hand) → signed; cancelled from planned,
    /// approved or failed; reversed from paid or signed; failed (the bank returned it) from
    /// approved, and from failed a new attempt (approved again) or a cancellation.
    public static let moves: [PayoutStatus?: Set<PayoutStatus>] = [
        nil: [.planned],
        .planned: [.approved, .cancelled],
        .approved: [.paid, .failed, .cancelled],
        .paid: [.signed, .reversed],
        .signed: [.reversed],
        .failed: [.approved, .cancelled],
        .cancelled: [],
        .reversed: [],
    ]

    public static func canMove(from: PayoutStatus?, to: PayoutStatus) -> Bool {
        moves[from]?.contains(to) ?? false
    }

    /// Counted against the budget and blocking a second payout to the household.
    public var isActive: Bool { self != .cancelled && self != .reversed }

    /// The verb an operator types: `warmth payouts approve`.
    public var verb: String {
        switch self {
        case .planned: "plan"
        case .approved: "approve"
        case .paid: "pay"
        case .signed: "sign"
        case .cancelled: "cancel"
        case .reversed: "reverse"
        case .failed: "fail"
        }
    }

    public var chinese: String {
        switch self {
        case .planned: "已计划"
        case .approved: "已审批"
        case .paid: "已发放"
        case .signed: "已签领"
        case .cancelled: "已取消"
        case .reversed: "已冲回"
        case .failed: "发放失败"
        }
    }

    /// Moves that must say why.
    public var needsReason: Bool { self == .cancelled || self == .reversed || self == .failed }
}

/// How money reached the household.
public enum PaymentMethod: String, Sendable, Hashable, Codable, CaseIterable {
    case bank
    case cash

    public var chinese: String { self == .bank ? "银行卡(存折)" : "现金当面发放" }
}

/// One thing a payout hands over: cash, goods (with a description, a quantity and a value) or
/// a ticket subsidy. A payout's amount is the sum of its items' values.
public struct PayoutItem: Sendable, Hashable, Codable {
    public var kind: Payout.Kind
    public var description: String?
    public var quantity: String?
    public var value: Money

    public init(kind: Payout.Kind, description: String? = nil, quantity: String? = nil, value: Money) {
        self.kind = kind
        self.description = description
        self.quantity = quantity
        self.value = value
    }
}

extension Payout {
    /// Cash and ticket subsidies are money (慰问金); goods are 慰问品.
    public var cashValue: Money { items.filter { $0.kind != .goods }.reduce(.zero) { $0 + $1.value } }
    public var goodsValue: Money { items.filter { $0.kind == .goods }.reduce(.zero) { $0 + $1.value } }
}

extension Campaign.Phase {
    /// The phases in order; a campaign only moves forward.
    public var order: Int { Campaign.Phase.allCases.firstIndex(of: self)! }

    /// No plan is committed, and no household added by hand, once the campaign is being reviewed.
    public var allowsCommits: Bool { self != .review }

    /// Money is handed over only once the funds are being raised and allocated, or later.
    public var allowsPaying: Bool { self == .funding || self == .visiting }

    public func allows(_ status: PayoutStatus) -> Bool {
        switch status {
        case .planned: allowsCommits
        case .approved: self != .review
        case .paid, .failed: allowsPaying
        case .signed, .cancelled, .reversed: true
        }
    }
}

/// Who did something in the ledger: an operator's name, given with `--by` or `$WARMTH_OPERATOR`.
public struct Operator: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public init?(_ name: String?) {
        guard let n = name?.trimmingCharacters(in: .whitespaces), !n.isEmpty, n.count <= 50,
              !n.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format })
        else { return nil }
        self.name = n
    }
    public var description: String { name }
}

/// An error a person reads, in Chinese (the default) and English (`--lang en`): the ledger's
/// refusals and the store's failures both print through it.
public protocol BilingualError: Error, CustomStringConvertible {
    var zh: String { get }
    var en: String { get }
}

extension BilingualError {
    public var description: String { zh }
    public func message(english: Bool) -> String { english ? en : zh }
}
