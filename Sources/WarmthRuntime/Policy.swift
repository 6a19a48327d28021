import Foundation
import WarmthDomain
import WarmthLua

/// A policy script as read from disk.
public struct PolicyFile: Sendable {
    /// The path as people read it; every message names the script by it.
    public var path: String
    public var source: String
    public var sha256: String

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SandboxError("\(path): cannot read the policy: check the path")
        }
        self.path = Sandbox.display(path)
        source = String(decoding: data, as: UTF8.self)
        sha256 = SHA256.hex(data)
    }

    public init(path: String, source: String) {
        self.path = path
        self.source = source
        sha256 = SHA256.hex(source)
    }

    /// The folder whose modules the script may require.
    public var folder: String { (path as NSString).deletingLastPathComponent }
}

/// A param's value: money in fen, a string or a flag.
public enum ParamValue: Sendable, Hashable, CustomStringConvertible {
    case integer(Int64)
    case string(String)
    case boolean(Bool)

    public var description: String {
        switch self {
        case .integer(let i): String(i)
        case .string(let s): s
        case .boolean(let b): b ? "true" : "false"
        }
    }

    var lua: LuaValue {
        switch self {
        case .integer(let i): .integer(i)
        case .string(let s): .string(s)
        case .boolean(let b): .boolean(b)
        }
    }

}

/// What a param means, declared in the policy (`w.money`, `w.count`, `w.flag`, `w.percent`,
/// `w.text`) or inferred from a bare value: an integer made with `w.yuan`/`w.fen` is money,
/// any other integer a count, a boolean a flag, a string text.
public enum ParamKind: String, Sendable, CaseIterable {
    case money, count, flag, percent, text

    /// What people call it.
    public var chinese: String {
        switch self {
        case .money: "金额"
        case .count: "数量"
        case .flag: "开关"
        case .percent: "百分比"
        case .text: "文字"
        }
    }
}

/// A refusal of a param's value (`--set`, a test's params, a REPL's `:set`), in Chinese and English.
public struct ParamError: BilingualError, Sendable {
    public var zh: String
    public var en: String
    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }
}

/// One param a policy declares: its kind, its value in the policy, and what people read about it.
public struct ParamSpec: Sendable, Equatable {
    public var name: String
    public var kind: ParamKind
    /// The policy's own value (money in fen, a percent as a whole number: 85 is 85 %).
    public var value: ParamValue
    /// What it is, in the unit's words: "在档困难职工慰问标准".
    public var label: String?
    /// Where the standard comes from: "篇2 二.1".
    public var reference: String?
    /// Bounds for money (in fen), counts and percents, both inclusive.
    public var min: Int64?
    public var max: Int64?

    public init(name: String, kind: ParamKind, value: ParamValue, label: String? = nil, reference: String? = nil,
                min: Int64? = nil, max: Int64? = nil) {
        self.name = name
        self.kind = kind
        self.value = value
        self.label = label
        self.reference = reference
        self.min = min
        self.max = max
    }

    /// A value as people read it: money in yuan, a percent with its sign, a flag as 是/否.
    public func show(_ v: ParamValue, english: Bool = false) -> String {
        switch (kind, v) {
        case (.money, .integer(let fen)): Money(fen: fen).yuanText
        case (.percent, .integer(let p)): "\(p)%"
        case (.flag, .boolean(let b)): english ? (b ? "yes" : "no") : (b ? "是" : "否")
        case (.text, .string(let s)): "“\(s)”"
        default: v.description
        }
    }

    /// One example of what `--set` takes for this param.
    public var example: String {
        switch kind {
        case .money: "\(name)=500 (\(name)=500.50)"
        case .count: "\(name)=3"
        case .flag: "\(name)=true (\(name)=false)"
        case .percent: "\(name)=85 (\(name)=85%)"
        case .text: "\(name)=..."
        }
    }

    /// Parse `NAME=VALUE` as typed on the command line or in the REPL: money in yuan ("500",
    /// "500.50", "500元"), a count as a whole number, a percent as "85" or "85%", a flag as
    /// true/false (是/否), text as it is; bounds are checked.
    public func parse(_ text: String) throws -> ParamValue {
        let t = text.trimmingCharacters(in: .whitespaces)
        func refuse(_ zh: String, _ en: String) -> ParamError {
            ParamError(zh: "--set \(name)=\(text): \(name) \(zh); 例如 \(example)", en: "--set \(name)=\(text): \(name) \(en); for example \(example)")
        }
        let value: ParamValue
        switch kind {
        case .money:
            guard let m = Money.parseYuan(t), m.fen >= 0 else {
                throw refuse("是金额, 以元为单位, 最多两位小数", "is an amount of money, in yuan with at most two decimals")
            }
            value = .integer(m.fen)
        case .count:
            guard let n = Int64(t) else { throw refuse("是整数 (个数), 不是金额", "is a whole number (a count), not an amount of money") }
            value = .integer(n)
        case .percent:
            let digits = t.hasSuffix("%") || t.hasSuffix("％") ? String(t.dropLast()) : t
            guard let n = Int64(digits.trimmingCharacters(in: .whitespaces)) else {
                throw refuse("是百分比, 整数, 如 85 或 85%", "is a percent, a whole number such as 85 or 85%")
            }
            value = .integer(n)
        case .flag:
            switch t.lowercased() {
            case "true", "yes", "1", "是", "on": value = .boolean(true)
            case "false", "no", "0", "否", "off": value = .boolean(false)
            default: throw refuse("是开关: true 或 false (是/否)", "is a flag: true or false")
            }
        case .text:
            value = .string(text)
        }
        try check(value, as: "--set \(name)=\(text)")
        return value
    }

    /// Check a value given for this param (by `--set`, a test or a scenario): its type and bounds.
    public func check(_ value: ParamValue, as what: String) throws {
        func refuse(_ zh: String, _ en: String) -> ParamError {
            ParamError(zh: "\(what): \(name) \(zh)", en: "\(what): \(name) \(en)")
        }
        switch (kind, value) {
        case (.money, .integer(let i)), (.count, .integer(let i)), (.percent, .integer(let i)):
            if kind == .money, i < 0 { throw refuse("不能为负数", "cannot be negative") }
            if kind == .money, i > Money(yuan: 1_000_000).fen { throw refuse("超过 ¥1,000,000.00, 不是慰问标准", "is over ¥1,000,000.00, not a relief standard") }
            if let lo = min, i < lo {
                throw refuse("不能小于 \(show(.integer(lo)))", "cannot be below \(show(.integer(lo), english: true))")
            }
            if let hi = max, i > hi {
                throw refuse("不能大于 \(show(.integer(hi)))", "cannot be above \(show(.integer(hi), english: true))")
            }
        case (.flag, .boolean), (.text, .string): break
        default:
            throw refuse("是\(kind.chinese), 给的值 \(value) 不是", "is a \(kind.rawValue) param, and \(value) is not one")
        }
    }
}

/// Caps a policy declares: its own payouts and, for a child unit's policy that names it with
/// `within`, the child's too.
public struct Caps: Sendable, Equatable {
    public var perHousehold: Money?
    public var perCategory: [String: Money] = [:]
    /// The policy that declared them.
    public var source: String

    /// Category → the funding source its payouts are charged to (`funds = { … }` in w.policy).
    public var funds: [String: String] = [:]

    public var isEmpty: Bool { perHousehold == nil && perCategory.isEmpty && funds.isEmpty }
}

/// One payout a policy decided, before it is committed.
public struct PlannedPayout: Sendable, Equatable {
    /// Index into the run's households.
    public var household: Int
    public var amount: Money
    public var kind: Payout.Kind
    public var category: String
    public var reason: String
    public var goods: String?
    /// The script line that produced it: "scripts/city/policy.lua:31", or the rule's own name.
    public var rule: String
    public var score: Int64?
    /// What is handed over item by item (`items = { w.cash(…), w.goods(…) }`), when the policy
    /// says; their values add up to `amount`. Nil: one item of `kind`.
    public var items: [PayoutItem]? = nil
}

/// A decision that failed, with `--keep-going`.
public struct DecisionError: Sendable, Equatable, CustomStringConvertible {
    public var household: Int
    public var maskedIDNumber: String
    public var error: LuaError
    public var description: String { "\(error.description) (household \(maskedIDNumber))" }
}

/// What a dry run produces: every payout, and the summary the seeds' reports give.
public struct Plan: Sendable {
    public var policyName: String
    public var policy: PolicyFile
    public var households: HouseholdTable
    public var payouts: [PlannedPayout]
    public var errors: [DecisionError]
    /// Params as the run used them (declared, then overridden by --set).
    public var params: [String: ParamValue]
    /// The params' kinds, labels and bounds, by name.
    public var paramSpecs: [ParamSpec] = []
    /// The budget the run was fitted to (the campaign's, or a what-if's).
    public var budget: Money = .zero
    public var modules: [LoadedModule]
    public var caps: [Caps]
    /// Lines the script printed.
    public var printed: [String]
    /// The params the decisions read, when the run tracked them (`warmth explain`).
    public var paramsRead: [String] = []
    /// With `traceLines`: household index → the policy line its decision ended on, unpaid.
    public var nilLines: [Int: Int] = [:]
    /// Payouts dropped because the household was already paid in the campaign (不重).
    public var duplicates = 0
    /// The parent policy this one runs within, as the script named it.
    public var within: String?
    /// Whether the policy has an `allocate` step.
    public var hasAllocate = false
    /// Category → funding source, from the `within` chain; the organiser's (the top) wins.
    public var fundingByCategory: [String: String] {
        caps.reduce(into: [:]) { out, c in out.merge(c.funds) { _, parent in parent } }
    }
    /// Where the time went, for benchmarks and `WARMTH_TIMING`.
    public var timings = Timings()

    public struct Timings: Sendable {
        /// Seconds to build the households in Lua (the slowest worker).
        public var build = 0.0
        /// Seconds to decide every household (the slowest worker).
        public var decide = 0.0
        /// Peak bytes the workers' Lua states held, added up.
        public var luaBytes = 0
        public var workers = 0
    }

    public var total: Money { payouts.reduce(.zero) { $0 + $1.amount } }
    public var eligible: Int { payouts.count }

    /// Totals per category, largest amount first (ties by name).
    public var byCategory: [CategoryTotal] { CategoryTotal.tally(payouts.map { ($0.category, $0.amount) }) }

    /// Params as canonical JSON (sorted keys), for the run record.
    public var paramsJSON: String {
        "{" + params.keys.sorted().map { key in
            let value: String
            switch params[key]! {
            case .integer(let i): value = String(i)
            case .boolean(let b): value = b ? "true" : "false"
            case .string(let s): value = "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            }
            return "\"\(key)\":\(value)"
        }.joined(separator: ",") + "}"
    }

    /// A digest of the household data the run read: rerunning on data with the same
    /// fingerprint gives identical payouts.
    public var dataFingerprint: String { households.fingerprint }
}
