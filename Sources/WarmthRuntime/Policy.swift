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

    /// Parse `--set NAME=VALUE` against the param's declared value: integers are money, given
    /// in yuan ("500", "500.50"); booleans are true/false; strings are taken as they are.
    public static func parse(_ text: String, like current: ParamValue, name: String) throws -> ParamValue {
        switch current {
        case .integer:
            guard let money = Money.parseYuan(text), money.fen >= 0 else {
                throw SandboxError("--set \(name)=\(text): \(name) is an amount; give it in yuan, such as \(name)=500 or \(name)=500.50")
            }
            return .integer(money.fen)
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "1", "是": return .boolean(true)
            case "false", "no", "0", "否": return .boolean(false)
            default: throw SandboxError("--set \(name)=\(text): \(name) is true or false")
            }
        case .string: return .string(text)
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
