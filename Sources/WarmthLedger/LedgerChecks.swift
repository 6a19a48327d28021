import Foundation
import WarmthDomain
import WarmthStorage

/// The 不漏, 不重 and 不错 checks of one campaign, from one consistent read of the ledger.
public struct LedgerCheck: Sendable {
    /// 不漏: a live household in scope with no active payout, and why.
    public struct Missed: Sendable, Equatable {
        public var household: UnpaidHousehold
        public var reason: Reason
    }

    public enum Reason: Sendable, Equatable {
        /// Its payout was cancelled or reversed, and nothing replaced it.
        case closed(PayoutEvent)
        /// The policy decided it, as the caller says (e.g. "the policy returned nil at line 31").
        case decided(String)
        /// No committed run of the campaign covered its unit.
        case neverDecided
    }

    /// 不错: a payout that needs a second look, and why.
    public struct Doubt: Sendable, Equatable {
        public enum Kind: String, Sendable { case notStandard, fileNotLive, changedSinceRun }
        public var payout: LedgerPayout
        public var kind: Kind
        public var detail: String
    }

    public struct SourceLine: Sendable, Equatable {
        public var source: String
        public var budgeted: Money
        public var charged: Money
        public var fits: Bool { charged <= budgeted }
    }

    public var campaign: Campaign
    public var missed: [Missed]
    /// Live households with no active payout in this campaign and the ones before it (未帮扶).
    public var neverHelped: Int
    public var lookedBack: Int
    /// 不重: households with more than one active payout (the store makes this 0).
    public var paidTwice: Int
    /// Households with payouts proposed by more than one unit (closed ones included).
    public var severalUnits: [(household: Int64, units: [String])]
    public var doubts: [Doubt]
    /// Charged per funding source (the in-proportion part split by the sources' amounts).
    public var sources: [SourceLine]
    public var fundsAddUp: Bool

    /// Run the checks. `units` is the scope (the organiser's subtree by default); `standards`
    /// are the amounts a category's payout should have (the organiser's per-category caps), for
    /// the payouts of `standardsUnit` (a unit below may pay less by its own policy);
    /// `decisions` says, per household, what the policy decided for it now.
    public static func run(on storage: any LedgerStorage, campaignID: Int64, units: [String]? = nil,
                           standards: [String: Money] = [:], standardsUnit: String? = nil, decisions: [Int64: String] = [:], lookBack: Int = 3) throws -> LedgerCheck {
        try storage.readLedger { tx in
            let timing = ProcessInfo.processInfo.environment["WARMTH_TIMING"] != nil
            var mark = Date()
            func lap(_ what: String) {
                if timing { FileHandle.standardError.write(Data(String(format: "check: %@ %.3f s\n", what, Date().timeIntervalSince(mark)).utf8)) }
                mark = Date()
            }
            let campaign = try CampaignLedger.campaign(campaignID, in: tx)
            let scope = try units ?? tx.subtree(of: campaign.unitCode)
            let runs = try tx.runs(campaignID: campaignID)
            var covered = Set<String>()
            for r in runs { covered.formUnion(try tx.subtree(of: r.unitCode)) }
            let missed = try tx.unpaidLiveHouseholds(campaignID: campaignID, units: scope).map { h -> Missed in
                if let e = h.closed { return Missed(household: h, reason: .closed(e)) }
                if let d = decisions[h.id] { return Missed(household: h, reason: .decided(d)) }
                return Missed(household: h, reason: covered.contains(h.unitCode) ? .decided("") : .neverDecided)
            }
            lap("不漏")
            // 未帮扶: this campaign and the organiser's earlier ones.
            let all = (try (1...max(1, campaignID)).compactMap { try tx.campaign(id: $0) })
                .filter { $0.unitCode == campaign.unitCode && $0.start <= campaign.start }
                .sorted { $0.start > $1.start }
            let window = Array(all.prefix(max(1, lookBack)))
            // The households missed now, less those an earlier campaign of the window helped.
            var helpedBefore = Set<Int64>()
            for earlier in window where earlier.id != campaignID { helpedBefore.formUnion(try tx.activeHouseholds(campaignID: earlier.id!)) }
            var neverHelped = 0
            for m in missed where !helpedBefore.contains(m.household.id) { neverHelped += 1 }

            lap("未帮扶")
            let paidTwice = try tx.householdsPaidTwice(campaignID: campaignID)
            lap("不重")
            var doubts = try tx.activePayoutsOffStandard(campaignID: campaignID, standards: standards, unit: standardsUnit).map { p in
                Doubt(payout: p, kind: .notStandard, detail: (standards[p.payout.category] ?? .zero).yuanText)
            }
            doubts += try tx.activePayoutsToClosedFiles(campaignID: campaignID).map { Doubt(payout: $0, kind: .fileNotLive, detail: "") }
            doubts += try tx.activePayoutsChangedSince(campaignID: campaignID).map { Doubt(payout: $0, kind: .changedSinceRun, detail: "") }

            lap("不错")
            // From the totals' covering index: one pass, no sort.
            var bySource: [String?: Money] = [:]
            var total = Money.zero
            for t in try tx.totals(campaignID: campaignID) where t.status.isActive {
                bySource[t.source, default: .zero] += t.amount
                total += t.amount
            }
            let shared = bySource[nil] ?? .zero
            let fundTotal = campaign.funds.reduce(Money.zero) { $0 + $1.amount }
            let split = Self.split(shared, over: campaign.funds)
            let sources = campaign.funds.enumerated().map { i, f in
                SourceLine(source: f.source, budgeted: f.amount, charged: (bySource[f.source] ?? .zero) + split[i])
            }
            let charged = sources.reduce(Money.zero) { $0 + $1.charged }
            let fundsAddUp = campaign.funds.isEmpty ? total <= campaign.budget
                : (fundTotal == campaign.budget && charged == total && sources.allSatisfy(\.fits))
            let severalUnits = try tx.householdsFromSeveralUnits(campaignID: campaignID)
            lap("sources, two units")
            return LedgerCheck(campaign: campaign, missed: missed, neverHelped: neverHelped, lookedBack: window.count, paidTwice: paidTwice,
                               severalUnits: severalUnits, doubts: doubts,
                               sources: sources, fundsAddUp: fundsAddUp)
        }
    }

    /// `amount` split over the sources in proportion to their amounts, to the fen (largest
    /// remainder first, ties to the earlier source), so the parts add up exactly.
    public static func split(_ amount: Money, over funds: [Campaign.Fund]) -> [Money] {
        let weights = funds.map(\.amount.fen)
        let sum = weights.reduce(0, +)
        guard sum > 0 else { return funds.map { _ in .zero } }
        var parts = weights.map { w in amount.fen.multipliedFullWidth(by: w) }.map { sum.dividingFullWidth($0) }
        var left = amount.fen - parts.reduce(0) { $0 + $1.quotient }
        let order = parts.indices.sorted { (parts[$0].remainder, $1) > (parts[$1].remainder, $0) }
        for i in order where left > 0 {
            parts[i].quotient += 1
            left -= 1
        }
        return parts.map { Money(fen: $0.quotient) }
    }
}
