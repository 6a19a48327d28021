import Foundation
import WarmthDomain
import WarmthStorage

/// A rule of the ledger refused what was asked; nothing was written. In Chinese, and in
/// English for `--lang en`; `code` is stable for scripts.
public struct LedgerError: BilingualError, Sendable, Equatable {
    public enum Code: String, Sendable {
        case unknownCampaign, phase, outsideOrganiser, notWithin, outsideUnit, alreadyPaid, duplicateInPlan, overBudget
        case unknownSource, sourceOver, noFunds, illegalMove, noOperator, noReason, nothingSelected, countChanged
        case overCap, badAmount, backwards, budgetBelowLedger
    }
    public var code: Code
    public var zh: String
    public var en: String

    public init(_ code: Code, zh: String, en: String) {
        self.code = code
        self.zh = zh
        self.en = en
    }

    /// Every move in the ledger names who made it.
    public static let noOperator = LedgerError(.noOperator, zh: "请用 --by 姓名 (或环境变量 WARMTH_OPERATOR) 写明经办人",
                                               en: "Say who does this: --by NAME (or $WARMTH_OPERATOR)")
}

/// A run's plan, as the ledger is asked to commit it.
public struct CommitProposal: Sendable {
    public var run: RunRecord
    public var payouts: [Payout]
    /// The policy the unit's policy runs within (its organiser's), or nil for its own only.
    public var within: String?
    /// Category → the funding source its payouts are charged to, as the organiser's policy
    /// declares; a category not named is charged to the sources in proportion.
    public var fundingByCategory: [String: String]
    public var actor: String

    public init(run: RunRecord, payouts: [Payout], within: String?, fundingByCategory: [String: String] = [:], actor: String) {
        self.run = run
        self.payouts = payouts
        self.within = within
        self.fundingByCategory = fundingByCategory
        self.actor = actor
    }
}

public struct CommitReceipt: Sendable, Equatable {
    /// nil when there was nothing to write (no run record is written for zero payouts).
    public var runID: Int64?
    public var count: Int
    public var total: Money
    public var budgetLeft: Money
}

/// What a move would do, before it is written: the payouts it takes and their total.
public struct MovePreview: Sendable {
    public var payouts: [LedgerPayout]
    public var total: Money { payouts.reduce(.zero) { $0 + $1.payout.amount } }
}

/// The caps a payout added by hand must respect: the organiser's policy's.
public struct HandCaps: Sendable {
    public var perHousehold: Money?
    public var perCategory: [String: Money]
    public var source: String
    public init(perHousehold: Money?, perCategory: [String: Money], source: String) {
        self.perHousehold = perHousehold
        self.perCategory = perCategory
        self.source = source
    }
}

/// The campaign ledger core. Every money rule — the unit's scope and the `within` rule, the
/// budget and the funding sources, 不重, the phase, the payout's legal moves — is checked here
/// inside the one write transaction that writes, against what the store holds at that moment,
/// so two processes cannot both pass the budget or pay a household twice.
public struct CampaignLedger: Sendable {
    public let storage: any LedgerStorage
    let now: @Sendable () -> Date

    public init(storage: any LedgerStorage, now: @escaping @Sendable () -> Date = { Date() }) {
        self.storage = storage
        self.now = now
    }

    var stamp: String { ISO8601DateFormatter().string(from: now()) }

    // MARK: - Commit

    public func commit(_ p: CommitProposal) throws -> CommitReceipt {
        try storage.writeLedger { tx in
            let campaign = try Self.campaign(p.run.campaignID, in: tx)
            guard campaign.phase.allowsCommits else {
                throw LedgerError(.phase, zh: "活动 “\(campaign.name)” 已进入\(campaign.phase.rawValue)阶段, 不能再写入方案; 未写入任何内容",
                                  en: "Campaign “\(campaign.name)” is in its \(campaign.phase.rawValue) phase: no more plans are committed; nothing was written")
            }
            let scope = try Self.checkScope(unit: p.run.unitCode, campaign: campaign, within: p.within, in: tx)
            // Every household paid is in the unit's subtree.
            let units = Set(scope)
            var seen = Set<Int64>()
            seen.reserveCapacity(p.payouts.count)
            for payout in p.payouts {
                guard seen.insert(payout.householdID).inserted else {
                    throw LedgerError(.duplicateInPlan, zh: "方案中户 \(try tx.maskedIDNumber(householdID: payout.householdID)) 出现两次; 未写入任何内容",
                                      en: "Household \(try tx.maskedIDNumber(householdID: payout.householdID)) is in the plan twice; nothing was written")
                }
                try Self.checkAmount(payout, in: tx)
            }
            let outside = try tx.householdsOutside(p.payouts.map(\.householdID), units: Array(units))
            if let first = outside.first {
                throw LedgerError(.outsideUnit, zh: "\(outside.count) 户 (如 \(try tx.maskedIDNumber(householdID: first))) 不在单位 \(p.run.unitCode) 及其下级; 未写入任何内容",
                                  en: "\(outside.count) household(s) (e.g. \(try tx.maskedIDNumber(householdID: first))) are not in unit \(p.run.unitCode)'s subtree; nothing was written")
            }
            // 不重, against the ledger as it is now, not as it was when the run read it.
            let active = try tx.activeHouseholds(campaignID: campaign.id!)
            let clash = p.payouts.filter { active.contains($0.householdID) }
            if let first = clash.first {
                throw LedgerError(.alreadyPaid,
                    zh: "\(clash.count) 户已在本活动中有发放记录 (如 \(try tx.maskedIDNumber(householdID: first.householdID))), 多半是另一次运行刚刚写入; 不重复发放, 未写入任何内容。请重新运行",
                    en: "\(clash.count) household(s) already have a payout in this campaign (e.g. \(try tx.maskedIDNumber(householdID: first.householdID))), most likely written by another run just now; nothing was written. Run again")
            }
            let total = p.payouts.reduce(Money.zero) { $0 + $1.amount }
            let committed = try tx.activeTotal(campaignID: campaign.id!)
            let over = committed + total - campaign.budget
            if over.fen > 0 {
                throw LedgerError(.overBudget,
                    zh: "未写入: 本次 \(total.yuanText) 加已入账 \(committed.yuanText) 超出预算 \(over.yuanText) (预算 \(campaign.budget.yuanText)); 用 allocate 压缩方案, 或提高预算 (warmth campaign edit)",
                    en: "Nothing written: this plan's \(total.yuanText) and the \(committed.yuanText) already committed exceed the budget by \(over.yuanText) (the budget is \(campaign.budget.yuanText)); fit the plan with allocate, or raise the budget (warmth campaign edit)")
            }
            let charged = try Self.charge(p.payouts, rule: p.fundingByCategory, campaign: campaign, in: tx)
            guard !p.payouts.isEmpty else {
                return CommitReceipt(runID: nil, count: 0, total: .zero, budgetLeft: campaign.budget - committed)
            }
            var run = p.run
            run.total = total
            let runID = try tx.insertRun(run)
            _ = try tx.insertPayouts(charged, campaignID: campaign.id!, unitCode: p.run.unitCode, runID: runID,
                                     actor: p.actor.isEmpty ? "run #\(runID)" : p.actor, at: stamp)
            return CommitReceipt(runID: runID, count: p.payouts.count, total: total, budgetLeft: campaign.budget - committed - total)
        }
    }

    static func campaign(_ id: Int64, in tx: any LedgerReading) throws -> Campaign {
        guard let c = try tx.campaign(id: id) else {
            throw LedgerError(.unknownCampaign, zh: "没有编号为 \(id) 的活动", en: "No campaign #\(id)")
        }
        return c
    }

    /// The unit runs in the campaign's organiser's subtree, and below the organiser only within
    /// the organiser's policy. Returns the unit's subtree.
    static func checkScope(unit: String, campaign: Campaign, within: String?, in tx: any LedgerReading) throws -> [String] {
        guard try tx.subtree(of: campaign.unitCode).contains(unit) else {
            throw LedgerError(.outsideOrganiser, zh: "单位 \(unit) 不在活动组织单位 \(campaign.unitCode) 之下; 未写入任何内容",
                              en: "Unit \(unit) is not under the campaign's organiser \(campaign.unitCode); nothing was written")
        }
        if unit != campaign.unitCode, within == nil {
            throw LedgerError(.notWithin,
                zh: "单位 \(unit) 不是活动的组织单位 \(campaign.unitCode); 其策略须用 within = \"…\" 指明上级单位的策略, 以受其上限约束; 未写入任何内容",
                en: "Unit \(unit) is not the campaign's organiser (\(campaign.unitCode)); its policy must name the organiser's policy with within = \"…\" so that its caps bind; nothing was written")
        }
        return try tx.subtree(of: unit)
    }

    static func checkAmount(_ p: Payout, in tx: any LedgerReading) throws {
        let sum = p.items.reduce(Money.zero) { $0 + $1.value }
        guard p.amount.fen >= 0, sum == p.amount, !p.category.isEmpty else {
            throw LedgerError(.badAmount, zh: "户 \(try tx.maskedIDNumber(householdID: p.householdID)) 的发放金额 \(p.amount.yuanText) 与其各项合计 \(sum.yuanText) 不符",
                              en: "Household \(try tx.maskedIDNumber(householdID: p.householdID)): the amount \(p.amount.yuanText) is not the sum of its items (\(sum.yuanText))")
        }
    }

    /// Each payout's funding source by the rule; a source named must be one of the campaign's,
    /// and what is charged to it must fit its amount.
    static func charge(_ payouts: [Payout], rule: [String: String], campaign: Campaign, in tx: any LedgerReading,
                       strict: Bool = false) throws -> [NewPayout] {
        let funds = Dictionary(campaign.funds.map { ($0.source, $0.amount) }, uniquingKeysWith: { a, _ in a })
        guard !funds.isEmpty else {
            // A campaign that records no funding source yet has nothing to charge: a run's payouts
            // wait unattributed (check-ledger says the sources do not add up); a payout added by
            // hand that names a source is refused, so the name is not silently lost.
            if strict, let named = payouts.lazy.compactMap({ rule[$0.category] }).first {
                throw LedgerError(.unknownSource, zh: "活动还没有记录资金来源, 不能记在 “\(named)” 上; 先用 warmth campaign edit --fund 记录",
                                  en: "The campaign records no funding source yet, so nothing can be charged to “\(named)”; record them with warmth campaign edit --fund")
            }
            return payouts.map { NewPayout(payout: $0, source: nil) }
        }
        var named: [String: Money] = [:]
        var unnamed = Money.zero
        let out = try payouts.map { p -> NewPayout in
            guard let s = rule[p.category] else {
                unnamed += p.amount
                return NewPayout(payout: p, source: nil)
            }
            guard funds[s] != nil else {
                throw LedgerError(.unknownSource, zh: "类别 \(p.category) 记在资金来源 “\(s)” 上, 但活动没有这一来源 (有: \(campaign.funds.map(\.source).joined(separator: "、")))",
                                  en: "Category \(p.category) is charged to the funding source “\(s)”, which the campaign does not have (it has: \(campaign.funds.map(\.source).joined(separator: ", ")))")
            }
            named[s, default: .zero] += p.amount
            return NewPayout(payout: p, source: s)
        }
        try checkSources(campaign.funds, charged: try tx.activeTotalsBySource(campaignID: campaign.id!), adding: named, addingUnnamed: unnamed)
        return out
    }

    /// Each source must hold what is charged to it by name plus its share of what is charged to
    /// the sources in proportion (split as the reports split it), after this change.
    static func checkSources(_ funds: [Campaign.Fund], charged: [String?: Money], adding: [String: Money] = [:],
                             addingUnnamed: Money = .zero) throws {
        let shares = LedgerCheck.split((charged[nil] ?? .zero) + addingUnnamed, over: funds)
        for (i, f) in funds.enumerated() {
            let already = charged[f.source] ?? .zero
            let now = adding[f.source] ?? .zero
            guard already + now + shares[i] > f.amount else { continue }
            throw LedgerError(.sourceOver,
                zh: "资金来源 “\(f.source)” 共 \(f.amount.yuanText); 记在其名下 \(already.yuanText), 本次再记 \(now.yuanText), 按比例分摊 \(shares[i].yuanText), 将超出; 未写入任何内容",
                en: "The funding source “\(f.source)” has \(f.amount.yuanText); \(already.yuanText) is charged to it by name, this adds \(now.yuanText), and its share of the rest is \(shares[i].yuanText), which is more; nothing was written")
        }
    }

    // MARK: - Moves

    /// The payouts a move would take, checked as the move itself checks them.
    public func preview(_ query: PayoutQuery, to status: PayoutStatus) throws -> MovePreview {
        try storage.readLedger { tx in MovePreview(payouts: try Self.selectForMove(query, to: status, in: tx)) }
    }

    /// Move the selected payouts to `status`, in one transaction: all of them or none. With
    /// `expecting`, the move is refused when the selection no longer holds that many payouts
    /// (someone else moved some since the preview).
    @discardableResult
    public func move(_ query: PayoutQuery, to status: PayoutStatus, by actor: Operator?, reason: String?,
                     method: PaymentMethod? = nil, expecting: Int? = nil) throws -> MovePreview {
        guard let actor else {
            throw LedgerError.noOperator
        }
        let why = reason?.trimmingCharacters(in: .whitespaces)
        if status.needsReason, why?.isEmpty ?? true {
            throw LedgerError(.noReason, zh: "\(status.chinese)须写明原因: --reason \"…\" (如: 当场取消: 实际情况与上报不符)",
                              en: "Say why with --reason \"…\" (e.g. cancelled on the spot: the facts differ from the report)")
        }
        return try storage.writeLedger { tx in
            let selected = try Self.selectForMove(query, to: status, in: tx)
            if let expecting, expecting != selected.count {
                throw LedgerError(.countChanged, zh: "所选发放已有变动 (预览 \(expecting) 笔, 现在 \(selected.count) 笔); 未写入, 请重新执行",
                                  en: "The selection changed (\(expecting) payouts previewed, \(selected.count) now); nothing was written, run again")
            }
            for id in status == .paid ? Set(selected.map(\.campaignID)).sorted() : [] {
                let c = try Self.campaign(id, in: tx)
                let mine = selected.filter { $0.campaignID == id }
                let funds = c.funds.reduce(Money.zero) { $0 + $1.amount }
                let paid = try tx.paidTotal(campaignID: c.id!)
                let adding = mine.reduce(Money.zero) { $0 + $1.payout.amount }
                guard !c.funds.isEmpty, paid + adding <= funds else {
                    throw LedgerError(.noFunds,
                        zh: "资金未到位: 已到位资金 \(funds.yuanText), 已发放 \(paid.yuanText), 本次 \(adding.yuanText); 先用 warmth campaign edit --fund 记录资金来源",
                        en: "The funds are not there: \(funds.yuanText) recorded, \(paid.yuanText) paid, \(adding.yuanText) now; record the funding sources first (warmth campaign edit --fund)")
                }
            }
            let at = stamp
            try tx.appendEvents(selected.map {
                PayoutEvent(payoutID: $0.id, status: status, reason: why, method: status == .paid ? (method ?? .bank) : nil, actor: actor.name, at: at)
            })
            return MovePreview(payouts: selected)
        }
    }

    static func selectForMove(_ query: PayoutQuery, to status: PayoutStatus, in tx: any LedgerReading) throws -> [LedgerPayout] {
        let selected = try tx.payouts(query)
        guard !selected.isEmpty else {
            throw LedgerError(.nothingSelected, zh: "没有符合条件的发放记录", en: "No payout matches")
        }
        var campaigns: [Int64: Campaign] = [:]
        for p in selected {
            let c = try campaigns[p.campaignID] ?? campaign(p.campaignID, in: tx)
            campaigns[p.campaignID] = c
            guard c.phase.allows(status) else {
                throw LedgerError(.phase, zh: "活动 “\(c.name)” 处于\(c.phase.rawValue)阶段, 不能\(status.chinese.dropFirst())\(c.phase == .preparation ? "; 资金到位后用 warmth campaign phase “\(c.name)” 资金筹备发放 推进阶段" : "")",
                                  en: "Campaign “\(c.name)” is in its \(c.phase.rawValue) phase: payouts cannot be \(status.rawValue) now\(c.phase == .preparation ? "; once the funds are there, move it on with warmth campaign phase “\(c.name)” 资金筹备发放" : "")")
            }
        }
        let illegal = selected.filter { !PayoutStatus.canMove(from: $0.status, to: status) }
        if let first = illegal.first {
            let masked = try tx.maskedIDNumber(householdID: first.payout.householdID)
            let allowed = (PayoutStatus.moves[first.status] ?? []).map(\.verb).sorted().joined(separator: ", ")
            throw LedgerError(.illegalMove,
                zh: "户 \(masked) 的发放当前为“\(first.status.chinese)”, 不能改为“\(status.chinese)”\(illegal.count > 1 ? " (共 \(illegal.count) 笔如此)" : "")\(allowed.isEmpty ? "; 它已了结" : "; 可做: \(allowed)"); 未写入任何内容",
                en: "Household \(masked)'s payout is \(first.status.rawValue); it cannot become \(status.rawValue)\(illegal.count > 1 ? " (\(illegal.count) payouts so)" : "")\(allowed.isEmpty ? "; it is closed" : "; allowed: \(allowed)"); nothing was written")
        }
        return selected
    }

    // MARK: - 补发

    /// Add a payout for a household the plans missed (漏报), outside any run: checked against
    /// the organiser's caps, the budget, the funding source and 不重, and marked as added by hand.
    @discardableResult
    public func add(_ payout: Payout, campaignID: Int64, unitCode: String, caps: HandCaps?, source: String?,
                    by actor: Operator?) throws -> Int64 {
        guard let actor else {
            throw LedgerError.noOperator
        }
        if let caps {
            if let max = caps.perHousehold, payout.amount > max {
                throw LedgerError(.overCap, zh: "补发 \(payout.amount.yuanText) 超过每户上限 \(max.yuanText) (\(caps.source))",
                                  en: "Adding \(payout.amount.yuanText) is over the per-household cap of \(max.yuanText) (\(caps.source))")
            }
            if let max = caps.perCategory[payout.category], payout.amount > max {
                throw LedgerError(.overCap, zh: "补发 \(payout.amount.yuanText) 超过类别 \(payout.category) 的上限 \(max.yuanText) (\(caps.source))",
                                  en: "Adding \(payout.amount.yuanText) is over the cap of \(max.yuanText) for \(payout.category) (\(caps.source))")
            }
        }
        return try storage.writeLedger { tx in
            let campaign = try Self.campaign(campaignID, in: tx)
            guard campaign.phase.allowsCommits else {
                throw LedgerError(.phase, zh: "活动 “\(campaign.name)” 已进入\(campaign.phase.rawValue)阶段, 不能再补发",
                                  en: "Campaign “\(campaign.name)” is in its \(campaign.phase.rawValue) phase: nothing more is added")
            }
            guard try tx.subtree(of: campaign.unitCode).contains(unitCode),
                  let u = try tx.householdUnit(householdID: payout.householdID), try tx.subtree(of: unitCode).contains(u) else {
                throw LedgerError(.outsideUnit, zh: "户 \(try tx.maskedIDNumber(householdID: payout.householdID)) 不在单位 \(unitCode) 之下, 或该单位不在活动组织单位之下",
                                  en: "Household \(try tx.maskedIDNumber(householdID: payout.householdID)) is not under unit \(unitCode), or the unit is not under the campaign's organiser")
            }
            try Self.checkAmount(payout, in: tx)
            if try tx.activeHouseholds(campaignID: campaignID).contains(payout.householdID) {
                throw LedgerError(.alreadyPaid, zh: "户 \(try tx.maskedIDNumber(householdID: payout.householdID)) 已在本活动中有发放记录, 不重复发放 (不重)",
                                  en: "Household \(try tx.maskedIDNumber(householdID: payout.householdID)) already has a payout in this campaign (不重)")
            }
            let committed = try tx.activeTotal(campaignID: campaignID)
            if committed + payout.amount > campaign.budget {
                throw LedgerError(.overBudget, zh: "补发 \(payout.amount.yuanText) 加已入账 \(committed.yuanText) 超出预算 \(campaign.budget.yuanText)",
                                  en: "Adding \(payout.amount.yuanText) to the \(committed.yuanText) committed exceeds the budget of \(campaign.budget.yuanText)")
            }
            let charged = try Self.charge([payout], rule: source.map { [payout.category: $0] } ?? [:], campaign: campaign, in: tx, strict: true)
            var hand = charged[0]
            hand.byHand = true
            return try tx.insertPayouts([hand], campaignID: campaignID, unitCode: unitCode, runID: nil, actor: actor.name, at: stamp)[0]
        }
    }

    // MARK: - The campaign

    /// Move the campaign to a later phase (a campaign never goes back).
    public func setPhase(campaignID: Int64, to phase: Campaign.Phase, by actor: Operator?, reason: String? = nil) throws {
        guard let actor else {
            throw LedgerError.noOperator
        }
        try storage.writeLedger { tx in
            let c = try Self.campaign(campaignID, in: tx)
            guard phase.order > c.phase.order else {
                throw LedgerError(.backwards, zh: "活动 “\(c.name)” 已在\(c.phase.rawValue)阶段; 阶段只能向后推进 (\(Campaign.Phase.allCases.map(\.rawValue).joined(separator: " → ")))",
                                  en: "Campaign “\(c.name)” is already in its \(c.phase.rawValue) phase; phases only move forward (\(Campaign.Phase.allCases.map(\.rawValue).joined(separator: " → ")))")
            }
            try tx.setCampaign(id: campaignID, phase: phase, budget: c.budget, funds: c.funds)
            try tx.appendCampaignEvent(campaignID: campaignID, CampaignEvent(kind: .phase, oldValue: c.phase.rawValue, newValue: phase.rawValue,
                                                                             actor: actor.name, reason: reason, at: stamp))
        }
    }

    /// Change the budget and funding sources; each change is logged, nothing is overwritten
    /// without a trace. The budget cannot fall below what the ledger holds, nor a source below
    /// what is charged to it.
    public func edit(campaignID: Int64, budget: Money?, funds: [Campaign.Fund], by actor: Operator?, reason: String? = nil) throws -> Campaign {
        guard let actor else {
            throw LedgerError.noOperator
        }
        return try storage.writeLedger { tx in
            var c = try Self.campaign(campaignID, in: tx)
            let at = stamp
            if let budget, budget != c.budget {
                let committed = try tx.activeTotal(campaignID: campaignID)
                guard budget >= committed else {
                    throw LedgerError(.budgetBelowLedger, zh: "新预算 \(budget.yuanText) 低于台账已入账的 \(committed.yuanText); 先取消部分发放",
                                      en: "The new budget \(budget.yuanText) is below the \(committed.yuanText) the ledger holds; cancel payouts first")
                }
                try tx.appendCampaignEvent(campaignID: campaignID, CampaignEvent(kind: .budget, oldValue: String(c.budget.fen), newValue: String(budget.fen),
                                                                                 actor: actor.name, reason: reason, at: at))
                c.budget = budget
            }
            let charged = try tx.activeTotalsBySource(campaignID: campaignID)
            for f in funds {
                if let already = charged[f.source], f.amount < already {
                    throw LedgerError(.sourceOver, zh: "资金来源 “\(f.source)” 已记 \(already.yuanText), 不能改为 \(f.amount.yuanText)",
                                      en: "\(already.yuanText) is charged to “\(f.source)”; it cannot become \(f.amount.yuanText)")
                }
                let old = c.funds.first { $0.source == f.source }
                guard old?.amount != f.amount else { continue }
                try tx.appendCampaignEvent(campaignID: campaignID, CampaignEvent(kind: .fund, detail: f.source, oldValue: old.map { String($0.amount.fen) },
                                                                                 newValue: String(f.amount.fen), actor: actor.name, reason: reason, at: at))
                if let i = c.funds.firstIndex(where: { $0.source == f.source }) { c.funds[i].amount = f.amount } else { c.funds.append(f) }
            }
            if !c.funds.isEmpty { try Self.checkSources(c.funds, charged: charged) }
            try tx.setCampaign(id: campaignID, phase: c.phase, budget: c.budget, funds: c.funds)
            return c
        }
    }
}
