import ArgumentParser
import Foundation
import WarmthDomain
import WarmthLedger
import WarmthStore

struct CampaignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign", abstract: "Define and list campaigns (送温暖活动).",
        subcommands: [CampaignCreate.self, CampaignList.self, CampaignShow.self, CampaignPhase.self, CampaignEdit.self])
}

struct CampaignCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Define a campaign: organiser unit, dates, budget and its funding sources.",
        discussion: "Example: warmth campaign create \"2026元旦春节送温暖\" --unit C00 --from 2025-12-20 --to 2026-02-10 --budget 1500000 --fund 上级拨付=500000 --fund 本级筹集=1000000")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The campaign's name.") var name: String
    @Option(help: "The organising unit (code or name).") var unit: String
    @Option(help: "First day (YYYY-MM-DD); scripts see it as the reference date.") var from: String
    @Option(help: "Last day (YYYY-MM-DD).") var to: String
    @Option(help: "Budget in yuan, e.g. 1500000 or 1500000.50.") var budget: String
    @Option(name: .customLong("fund"), help: ArgumentHelp("A funding source and its amount in yuan, e.g. 上级拨付=500000; repeat for more.", valueName: "SOURCE=YUAN"))
    var funds: [String] = []

    func validate() throws {
        guard let start = Day(from) else { throw ValidationError("--from '\(from)' is not a date such as 2025-12-20") }
        guard let end = Day(to) else { throw ValidationError("--to '\(to)' is not a date such as 2026-02-10") }
        guard start <= end else { throw ValidationError("--from \(start) is after --to \(end)") }
        guard let b = Money.parseYuan(budget), b.fen >= 0 else { throw ValidationError("--budget '\(budget)' is not an amount in yuan such as 1500000") }
        for f in funds { _ = try Self.parseFund(f) }
        _ = b
    }

    static func parseFund(_ text: String) throws -> Campaign.Fund {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let amount = Money.parseYuan(parts[1]), amount.fen >= 0 else {
            throw ValidationError("--fund '\(text)' should read SOURCE=YUAN, e.g. 上级拨付=500000")
        }
        guard Vocabulary.fundingSources.contains(parts[0]) else {
            throw ValidationError("unknown funding source '\(parts[0])'; known: \(Vocabulary.fundingSources.joined(separator: "、"))")
        }
        return Campaign.Fund(source: parts[0], amount: amount)
    }

    func run() throws {
        let s = try store.open()
        guard let u = try s.unit(named: unit) else { throw Failure("unknown unit '\(unit)': see 'warmth units list'") }
        let fundList = try funds.map(Self.parseFund)
        let campaign = Campaign(name: name, unitCode: u.code, start: Day(from)!, end: Day(to)!, budget: Money.parseYuan(budget)!, funds: fundList)
        let stored = try s.createCampaign(campaign)
        let fundTotal = fundList.reduce(Money.zero) { $0 + $1.amount }
        print(store.lang.say("已创建活动 “\(stored.name)” (\(u.name), \(stored.start) 至 \(stored.end), 预算 \(stored.budget.yuanText))",
                             "Created campaign “\(stored.name)” (\(u.name), \(stored.start) to \(stored.end), budget \(stored.budget.yuanText))"))
        if !fundList.isEmpty, fundTotal != stored.budget {
            warn(store.lang.say("注意: 资金来源合计 \(fundTotal.yuanText), 与预算 \(stored.budget.yuanText) 不符",
                                "Note: the funding sources add up to \(fundTotal.yuanText), not the budget \(stored.budget.yuanText)"))
        }
    }
}

struct CampaignList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List campaigns.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        for c in try store.open(readOnly: true).campaigns() {
            print("\(c.name)  \(c.unitCode)  \(c.start)~\(c.end)  \(c.phase.rawValue)  \(c.budget.yuanText)")
        }
    }
}

struct CampaignShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one campaign.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The campaign's name.") var name: String

    func run() throws {
        let s = try store.open(readOnly: true)
        guard let c = try s.campaign(named: name) else { throw Failure("no campaign named '\(name)': see 'warmth campaign list'") }
        let l = store.lang
        let unit = try s.unit(code: c.unitCode)
        print(pad(l.say("活动", "Campaign"), 12) + c.name)
        print(pad(l.say("组织单位", "Organiser"), 12) + "\(c.unitCode) \(unit?.name ?? "")")
        print(pad(l.say("时间", "Dates"), 12) + "\(c.start) ~ \(c.end)")
        print(pad(l.say("阶段", "Phase"), 12) + c.phase.rawValue)
        print(pad(l.say("预算", "Budget"), 12) + "\(c.budget.yuanText) (\(c.budget.wanText))")
        for f in c.funds { print(pad("  " + f.source, 12) + f.amount.yuanText) }

        let (totals, runs) = try s.readLedger { tx in (try tx.totals(campaignID: c.id!), try tx.runs(campaignID: c.id!)) }
        guard !totals.isEmpty || !runs.isEmpty else {
            print(l.say("台账: 尚无发放记录", "Ledger: no payouts yet"))
            return
        }
        let active = totals.filter(\.status.isActive)
        print(l.say("台账: \(runs.count) 次运行, \(totals.reduce(0) { $0 + $1.count }) 笔 (有效 \(active.reduce(0) { $0 + $1.count }) 笔)",
                    "Ledger: \(runs.count) runs, \(totals.reduce(0) { $0 + $1.count }) payouts (\(active.reduce(0) { $0 + $1.count }) active)"))
        for r in runs {
            print("  #\(r.id ?? 0)  \(r.unitCode)  \(r.policyPath)  sha256 \(r.policySHA256.prefix(12))…  \(r.total.yuanText)")
        }
        let hand = active.filter(\.byHand)
        if !hand.isEmpty {
            print(l.say("  其中补发 \(hand.reduce(0) { $0 + $1.count }) 笔, \(hand.reduce(Money.zero) { $0 + $1.amount }.yuanText)",
                        "  of which added by hand: \(hand.reduce(0) { $0 + $1.count }) payouts, \(hand.reduce(Money.zero) { $0 + $1.amount }.yuanText)"))
        }
        var byCategory: [String: CategoryTotal] = [:]
        for t in active {
            byCategory[t.category, default: CategoryTotal(category: t.category, personTimes: 0, amount: .zero)].personTimes += t.count
            byCategory[t.category]!.amount += t.amount
        }
        let rows = byCategory.values.sorted { ($0.amount, $1.category) > ($1.amount, $0.category) }
        print(categoryTable(rows, lang: l, indent: "  "), terminator: "")
        let cash = active.reduce(Money.zero) { $0 + $1.cash }, goods = active.reduce(Money.zero) { $0 + $1.goods }
        print(l.say("  慰问金 \(cash.yuanText) (\(cash.wanText)), 慰问品 \(goods.yuanText) (\(goods.wanText))",
                    "  cash \(cash.yuanText) (\(cash.wanText)), goods \(goods.yuanText) (\(goods.wanText))"))
        var byStatus: [PayoutStatus: (Int, Money)] = [:]
        for t in totals { byStatus[t.status, default: (0, .zero)].0 += t.count; byStatus[t.status]!.1 += t.amount }
        print("  " + PayoutStatus.allCases.compactMap { st in
            byStatus[st].map { "\(l.say(st.chinese, st.rawValue)) \($0.0) \(l.say("笔", "")) \($0.1.yuanText)" }
        }.joined(separator: l.say("; ", "; ")))
        let total = rows.reduce(Money.zero) { $0 + $1.amount }
        let left = c.budget - total
        print(l.say("  预算结余 \(left.yuanText)", "  Budget left \(left.yuanText)"))
    }
}

struct CampaignPhase: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phase", abstract: "Move a campaign to its next phase: 资金筹备发放, 走访慰问 or 检查总结 (never back).",
        discussion: """
            准备: survey and commit plans. 资金筹备发放: funds raised and allocated; payouts approved and paid.             走访慰问: visits hand over cash and goods; cancellations on the spot; 补发. 检查总结: checks and the summary;             no more plans or 补发, nothing more is paid.
            """)
    @OptionGroup var store: StoreOptions
    @Argument(help: "The campaign's name.") var name: String
    @Argument(help: "The phase: 资金筹备发放, 走访慰问 or 检查总结.") var phase: String
    @OptionGroup var actor: OperatorOption
    @Option(help: "Why, for the log.") var reason: String?

    func run() throws {
        let s = try store.open()
        let l = store.lang
        let c = try s.campaign(named: name, lang: l)
        guard let p = Campaign.Phase(rawValue: phase) else {
            throw Failure(l.say("没有阶段 “\(phase)”; 阶段为: \(Campaign.Phase.allCases.map(\.rawValue).joined(separator: " → "))",
                                "no phase '\(phase)'; the phases are: \(Campaign.Phase.allCases.map(\.rawValue).joined(separator: " → "))"))
        }
        try CampaignLedger(storage: s).setPhase(campaignID: c.id!, to: p, by: actor.actor, reason: reason)
        print(l.say("活动 “\(c.name)”: \(c.phase.rawValue) → \(p.rawValue)", "Campaign “\(c.name)”: \(c.phase.rawValue) → \(p.rawValue)"))
    }
}

struct CampaignEdit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit", abstract: "Change a campaign's budget or funding sources; every change is logged with who and why.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The campaign's name.") var name: String
    @Option(help: "The new budget in yuan.") var budget: String?
    @Option(name: .customLong("fund"), help: ArgumentHelp("A funding source and its amount in yuan, e.g. 上级拨付=500000; repeat for more.", valueName: "SOURCE=YUAN"))
    var funds: [String] = []
    @OptionGroup var actor: OperatorOption
    @Option(help: "Why, for the log.") var reason: String?

    func run() throws {
        let s = try store.open()
        let l = store.lang
        let c = try s.campaign(named: name, lang: l)
        let newBudget = try budget.map { text -> Money in
            guard let b = Money.parseYuan(text), b.fen >= 0 else { throw Failure(l.say("--budget '\(text)' 不是以元计的金额", "--budget '\(text)' is not an amount in yuan")) }
            return b
        }
        let parsed = try funds.map { try CampaignCreate.parseFund($0) }
        let updated = try CampaignLedger(storage: s).edit(campaignID: c.id!, budget: newBudget, funds: parsed, by: actor.actor, reason: reason)
        print(l.say("活动 “\(c.name)”: 预算 \(updated.budget.yuanText); 资金来源 ", "Campaign “\(c.name)”: budget \(updated.budget.yuanText); sources ")
              + updated.funds.map { "\($0.source) \($0.amount.yuanText)" }.joined(separator: "、"))
        for e in try s.readLedger({ try $0.campaignEvents(campaignID: c.id!) }).suffix(5) {
            print("  \(e.at)  \(e.kind.rawValue)  \(e.detail ?? "")  \(e.oldValue ?? "-") → \(e.newValue)  \(e.actor)  \(Masking.maskNumbers(in: e.reason ?? ""))")
        }
    }
}
