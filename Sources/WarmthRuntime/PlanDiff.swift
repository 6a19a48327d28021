import WarmthDomain

/// A scenario against its baseline, over the same households: totals, per category, per unit,
/// and who gains and who loses, in PolicyEngine's five bands. Computed in one pass over the two
/// plans.
public struct PlanDiff: Sendable {
    /// One row of a per-category or per-unit comparison.
    public struct Line: Sendable, Equatable {
        public var key: String
        public var baseCount = 0
        public var baseAmount = Money.zero
        public var count = 0
        public var amount = Money.zero
        public var change: Money { amount - baseAmount }
    }

    /// How one household's payout changed, relative to its baseline payout (a household that
    /// starts being paid gains more than 5 %; one that stops loses more than 5 %).
    public enum Band: Int, Sendable, CaseIterable, Comparable {
        case loseMore, loseLess, same, gainLess, gainMore

        public static func < (a: Band, b: Band) -> Bool { a.rawValue < b.rawValue }

        public var chinese: String {
            switch self {
            case .loseMore: "减少超过5%"
            case .loseLess: "减少不超过5%"
            case .same: "不变"
            case .gainLess: "增加不超过5%"
            case .gainMore: "增加超过5%"
            }
        }

        public var english: String {
            switch self {
            case .loseMore: "lose more than 5%"
            case .loseLess: "lose 5% or less"
            case .same: "no change"
            case .gainLess: "gain 5% or less"
            case .gainMore: "gain more than 5%"
            }
        }

        /// The band of a change from `old` to `new` fen (integer arithmetic: 5 % exactly is ≤5 %).
        public static func of(old: Int64, new: Int64) -> Band {
            if new == old { return .same }
            if old == 0 { return .gainMore }
            let delta = new - old
            if delta < 0 { return -delta * 100 > old * 5 ? .loseMore : .loseLess }
            return delta * 100 > old * 5 ? .gainMore : .gainLess
        }
    }

    /// A household whose payout changed.
    public struct Change: Sendable, Equatable {
        /// Index into the plans' households.
        public var household: Int
        public var old: Money
        public var new: Money
        public var band: Band { .of(old: old.fen, new: new.fen) }
    }

    public var baseTotal = Money.zero
    public var total = Money.zero
    public var baseCount = 0
    public var count = 0
    public var byCategory: [Line] = []
    public var byUnit: [Line] = []
    /// Households paid in either plan, per band, with the net change of their payouts.
    public var bands: [Band: (households: Int, change: Money)] = [:]
    /// Households paid in the scenario and not in the baseline, and the reverse.
    public var started = 0
    public var stopped = 0
    /// Every household whose payout changed, in household order.
    public var changes: [Change] = []

    /// Compare two plans over the same households (from one session).
    public init(baseline: Plan, scenario: Plan) {
        precondition(baseline.households.count == scenario.households.count, "a diff compares plans over the same households")
        let n = baseline.households.count
        let t = baseline.households
        var amounts = [[Int64]](repeating: [Int64](repeating: 0, count: n), count: 2)
        var paid = [[Bool]](repeating: [Bool](repeating: false, count: n), count: 2)
        var categories: [String: Line] = [:]
        var units: [UInt32: Line] = [:]
        func add(_ line: inout Line, side: Int, _ amount: Money) {
            if side == 0 { line.baseCount += 1; line.baseAmount += amount } else { line.count += 1; line.amount += amount }
        }
        // Side 0 is the baseline, side 1 the scenario.
        for (side, plan) in [baseline, scenario].enumerated() {
            for p in plan.payouts {
                amounts[side][p.household] += p.amount.fen
                paid[side][p.household] = true
                let u = t.units[p.household]
                add(&categories[p.category, default: Line(key: p.category)], side: side, p.amount)
                add(&units[u, default: Line(key: t.unitCodes[Int(u)])], side: side, p.amount)
            }
        }
        let (old, new, paidOld, paidNew) = (amounts[0], amounts[1], paid[0], paid[1])
        baseCount = baseline.payouts.count
        count = scenario.payouts.count
        for i in 0..<n where paidOld[i] || paidNew[i] {
            baseTotal += Money(fen: old[i])
            total += Money(fen: new[i])
            let band = Band.of(old: old[i], new: new[i])
            bands[band, default: (0, .zero)].households += 1
            bands[band]!.change += Money(fen: new[i] - old[i])
            if paidNew[i], !paidOld[i] { started += 1 }
            if paidOld[i], !paidNew[i] { stopped += 1 }
            if old[i] != new[i] { changes.append(Change(household: i, old: Money(fen: old[i]), new: Money(fen: new[i]))) }
        }
        func order(_ a: Line, _ b: Line) -> Bool { (max(a.amount, a.baseAmount), b.key) > (max(b.amount, b.baseAmount), a.key) }
        byCategory = categories.values.sorted(by: order)
        byUnit = units.values.sorted(by: order)
    }

    /// The per-unit lines added up to coarser units (`group` maps a unit code to the code of the
    /// unit it counts under, such as the run unit's child on its path), ordered as `byUnit`.
    public func byUnit(groupedBy group: (String) -> String) -> [Line] {
        var out: [String: Line] = [:]
        for line in byUnit {
            let key = group(line.key)
            out[key, default: Line(key: key)].baseCount += line.baseCount
            out[key]!.baseAmount += line.baseAmount
            out[key]!.count += line.count
            out[key]!.amount += line.amount
        }
        return out.values.sorted { (max($0.amount, $0.baseAmount), $1.key) > (max($1.amount, $1.baseAmount), $0.key) }
    }

    /// The households that lose most (largest loss first), at most `limit`.
    public func losers(_ limit: Int) -> [Change] {
        Array(changes.filter { $0.new < $0.old }.sorted { ($0.old - $0.new, $1.household) > ($1.old - $1.new, $0.household) }.prefix(limit))
    }

    /// The households that gain most (largest gain first), at most `limit`.
    public func winners(_ limit: Int) -> [Change] {
        Array(changes.filter { $0.new > $0.old }.sorted { ($0.new - $0.old, $1.household) > ($1.new - $1.old, $0.household) }.prefix(limit))
    }
}
