import Foundation
import WarmthDomain

/// What a committed run records, so an inspector can rerun it and get identical payouts.
public struct RunRecord: Sendable, Equatable {
    public var id: Int64?
    public var campaignID: Int64
    public var unitCode: String
    public var policyPath: String
    public var policySHA256: String
    /// Every stdlib or unit module the policy loaded: "name sha256" lines, sorted.
    public var modules: String
    /// The params the run used, as canonical JSON.
    public var params: String
    /// A digest of the household data the run read.
    public var dataFingerprint: String
    public var householdsConsidered: Int
    public var total: Money
    public var createdAt: Date

    public init(id: Int64? = nil, campaignID: Int64, unitCode: String, policyPath: String, policySHA256: String,
                modules: String, params: String, dataFingerprint: String, householdsConsidered: Int, total: Money,
                createdAt: Date) {
        self.id = id
        self.campaignID = campaignID
        self.unitCode = unitCode
        self.policyPath = policyPath
        self.policySHA256 = policySHA256
        self.modules = modules
        self.params = params
        self.dataFingerprint = dataFingerprint
        self.householdsConsidered = householdsConsidered
        self.total = total
        self.createdAt = createdAt
    }
}

/// A payout about to be written: from a run, or added by hand (补发).
public struct NewPayout: Sendable, Equatable {
    public var payout: Payout
    /// The funding source it is charged to; nil: the campaign's sources in proportion.
    public var source: String?
    public var byHand: Bool

    public init(payout: Payout, source: String?, byHand: Bool = false) {
        self.payout = payout
        self.source = source
        self.byHand = byHand
    }
}

/// A payout as the ledger holds it, with its current status.
public struct LedgerPayout: Sendable, Equatable {
    public var id: Int64
    public var campaignID: Int64
    public var runID: Int64?
    public var unitCode: String
    public var payout: Payout
    public var status: PayoutStatus
    public var source: String?
    public var byHand: Bool
    /// When the current status was reached.
    public var since: String

    public init(id: Int64, campaignID: Int64, runID: Int64?, unitCode: String, payout: Payout, status: PayoutStatus,
                source: String?, byHand: Bool, since: String) {
        self.id = id
        self.campaignID = campaignID
        self.runID = runID
        self.unitCode = unitCode
        self.payout = payout
        self.status = status
        self.source = source
        self.byHand = byHand
        self.since = since
    }
}

/// One event in a payout's life.
public struct PayoutEvent: Sendable, Equatable {
    public var payoutID: Int64
    public var status: PayoutStatus
    public var reason: String?
    public var method: PaymentMethod?
    public var actor: String
    public var at: String

    public init(payoutID: Int64, status: PayoutStatus, reason: String? = nil, method: PaymentMethod? = nil, actor: String, at: String) {
        self.payoutID = payoutID
        self.status = status
        self.reason = reason
        self.method = method
        self.actor = actor
        self.at = at
    }
}

/// Which payouts a listing or a batch move means. Empty fields do not filter.
public struct PayoutQuery: Sendable, Equatable {
    public var campaignID: Int64?
    public var statuses: [PayoutStatus] = []
    /// Payouts proposed by these units (a subtree, usually).
    public var units: [String]?
    public var category: String?
    public var householdIDs: [Int64]?
    public var runID: Int64?
    public var payoutIDs: [Int64]?
    public var limit: Int?

    public init(campaignID: Int64? = nil, statuses: [PayoutStatus] = [], units: [String]? = nil, category: String? = nil,
                householdIDs: [Int64]? = nil, runID: Int64? = nil, payoutIDs: [Int64]? = nil, limit: Int? = nil) {
        self.payoutIDs = payoutIDs
        self.campaignID = campaignID
        self.statuses = statuses
        self.units = units
        self.category = category
        self.householdIDs = householdIDs
        self.runID = runID
        self.limit = limit
    }
}

/// Payouts of one campaign added up by category, status, funding source and origin, cash and
/// goods apart.
public struct LedgerTotal: Sendable, Equatable {
    public var category: String
    public var status: PayoutStatus
    public var source: String?
    public var byHand: Bool
    public var count: Int
    public var amount: Money
    public var cash: Money
    public var goods: Money

    public init(category: String, status: PayoutStatus, source: String?, byHand: Bool, count: Int,
                amount: Money, cash: Money, goods: Money) {
        self.category = category
        self.status = status
        self.source = source
        self.byHand = byHand
        self.count = count
        self.amount = amount
        self.cash = cash
        self.goods = goods
    }
}

/// A change to a campaign, kept for ever: its phase, its budget, a funding source.
public struct CampaignEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case created, phase, budget, fund }
    public var kind: Kind
    public var detail: String?
    public var oldValue: String?
    public var newValue: String
    public var actor: String
    public var reason: String?
    public var at: String

    public init(kind: Kind, detail: String? = nil, oldValue: String?, newValue: String, actor: String, reason: String?, at: String) {
        self.kind = kind
        self.detail = detail
        self.oldValue = oldValue
        self.newValue = newValue
        self.actor = actor
        self.reason = reason
        self.at = at
    }
}

/// A live household the ledger does not pay, for the 不漏 check.
public struct UnpaidHousehold: Sendable, Equatable {
    public var id: Int64
    public var unitCode: String
    public var name: String
    public var maskedIDNumber: String
    /// The event that closed its latest payout in the campaign (cancelled or reversed), if any.
    public var closed: PayoutEvent?

    public init(id: Int64, unitCode: String, name: String, maskedIDNumber: String, closed: PayoutEvent?) {
        self.id = id
        self.unitCode = unitCode
        self.name = name
        self.maskedIDNumber = maskedIDNumber
        self.closed = closed
    }
}

/// Reading the ledger, inside one read transaction (a consistent snapshot) or inside a write.
public protocol LedgerReading {
    func campaign(id: Int64) throws -> Campaign?
    func unit(code: String) throws -> UnionUnit?
    /// The codes of `code` and every unit below it.
    func subtree(of code: String) throws -> [String]
    /// What the campaign's active payouts add up to.
    func activeTotal(campaignID: Int64) throws -> Money
    /// Active payouts' amounts per funding source charged (nil: in proportion).
    func activeTotalsBySource(campaignID: Int64) throws -> [String?: Money]
    /// Payouts paid or signed, in all.
    func paidTotal(campaignID: Int64) throws -> Money
    /// Households with an active payout in the campaign.
    func activeHouseholds(campaignID: Int64) throws -> Set<Int64>
    func payouts(_ query: PayoutQuery) throws -> [LedgerPayout]
    func events(payoutID: Int64) throws -> [PayoutEvent]
    func totals(campaignID: Int64) throws -> [LedgerTotal]
    func campaignEvents(campaignID: Int64) throws -> [CampaignEvent]
    func runs(campaignID: Int64) throws -> [RunRecord]
    /// A household's ID number masked for messages (`340503********1234`), or its number.
    func maskedIDNumber(householdID: Int64) throws -> String
    func householdUnit(householdID: Int64) throws -> String?
    /// Live households of `units` with no active payout in the campaign, with the latest
    /// cancellation or reversal that closed a payout of theirs, if any.
    func unpaidLiveHouseholds(campaignID: Int64, units: [String]) throws -> [UnpaidHousehold]
    /// Of the live households of `units`, how many had no active payout in any of `campaignIDs`.
    func neverHelpedCount(campaignIDs: [Int64], units: [String]) throws -> Int
    /// How many households hold more than one active payout (the store keeps this 0).
    func householdsPaidTwice(campaignID: Int64) throws -> Int
    /// Active payouts of `unit` (every unit when nil) whose amount is not their category's standard.
    func activePayoutsOffStandard(campaignID: Int64, standards: [String: Money], unit: String?) throws -> [LedgerPayout]
    /// Households with payouts proposed by more than one unit in the campaign.
    func householdsFromSeveralUnits(campaignID: Int64) throws -> [(household: Int64, units: [String])]
    /// Active payouts to households whose file is not live.
    func activePayoutsToClosedFiles(campaignID: Int64) throws -> [LedgerPayout]
    /// Active payouts whose household was changed in the registry after the payout was written.
    func activePayoutsChangedSince(campaignID: Int64) throws -> [LedgerPayout]
    /// Those of `ids` that are not households of `units` (or not households at all).
    func householdsOutside(_ ids: [Int64], units: [String]) throws -> [Int64]
}

/// Writing the ledger, inside one write transaction that holds the store's write lock from its
/// first statement: what it read cannot change before it commits.
public protocol LedgerWriting: LedgerReading {
    func insertRun(_ run: RunRecord) throws -> Int64
    /// Insert payouts with their items and a `planned` event each; returns their ids in order.
    func insertPayouts(_ payouts: [NewPayout], campaignID: Int64, unitCode: String, runID: Int64?, actor: String, at: String) throws -> [Int64]
    func appendEvents(_ events: [PayoutEvent]) throws
    func setCampaign(id: Int64, phase: Campaign.Phase, budget: Money, funds: [Campaign.Fund]) throws
    func appendCampaignEvent(campaignID: Int64, _ event: CampaignEvent) throws
}

/// A store the ledger core can work in. SQLite implements it; PostgreSQL will.
public protocol LedgerStorage: Sendable {
    func readLedger<T>(_ body: (any LedgerReading) throws -> T) throws -> T
    func writeLedger<T>(_ body: (any LedgerWriting) throws -> T) throws -> T
}

/// What kind of storage failure it was, stable for scripts (`StoreError.code`).
public enum StorageError {
    public enum Code: String, Sendable {
        /// Another process holds the write lock past the busy timeout.
        case busy
        /// A constraint of the store refused the write (the store's own backstop).
        case constraint
        case readOnly
        case newerSchema
        case corrupt
        case full
        case other
    }
}
