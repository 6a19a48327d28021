import ArgumentParser
import Foundation
import WarmthData
import WarmthDomain
import WarmthLedger
import WarmthRuntime
import WarmthStore

struct PayoutsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payouts", abstract: "The payouts in the ledger and their life: list, show, approve, pay, sign, cancel, reverse, add (补发).",
        discussion: """
            A payout moves planned → approved → paid (bank or cash in hand) → signed; it may be cancelled (from \
            planned, approved or failed), reversed (once paid), or fail at the bank (then approved again for a new \
            attempt, or cancelled). Every move is an event with who (--by or $WARMTH_OPERATOR), when and why; \
            nothing is overwritten. A cancelled or reversed household may be paid again by a later run or by 补发.
            """,
        subcommands: [PayoutsList.self, PayoutsShow.self, PayoutsMove.Approve.self, PayoutsMove.Pay.self, PayoutsMove.Sign.self,
                      PayoutsMove.Cancel.self, PayoutsMove.Reverse.self, PayoutsMove.Fail.self, PayoutsAdd.self])
}

/// The operator named on the command line or in the environment.
struct OperatorOption: ParsableArguments {
    @Option(name: .customLong("by"), help: ArgumentHelp("Who does this (default: $WARMTH_OPERATOR).", valueName: "NAME")) var by: String?
    var actor: Operator? { Operator(by ?? ProcessInfo.processInfo.environment["WARMTH_OPERATOR"]) }
}

extension Store {
    func campaign(named name: String, lang: Language) throws -> Campaign {
        guard let c = try campaign(named: name) else {
            throw Failure(lang.say("没有名为 “\(name)” 的活动: 见 'warmth campaign list'", "no campaign named '\(name)': see 'warmth campaign list'"))
        }
        return c
    }

    func unit(named key: String, lang: Language) throws -> UnionUnit {
        guard let u = try unit(named: key) else {
            throw Failure(lang.say("没有单位 “\(key)”: 见 'warmth units list'", "unknown unit '\(key)': see 'warmth units list'"))
        }
        return u
    }
}

/// One line per payout, for people: the payout's number, the household's number, its name and
/// masked ID, the unit, category, amount and status.
func payoutLine(_ p: LedgerPayout, household: Household?, lang l: Language) -> String {
    let who = household.map { pad($0.name, 8) + " " + $0.maskedIDNumber } ?? "#\(p.payout.householdID)"
    let hand = p.byHand ? l.say(" 补发", " added by hand") : ""
    return "  #\(p.id)  \(p.payout.householdID)  " + who + "  " + pad(p.unitCode, 6) + " " + pad(p.payout.category, 14) + padLeft(p.payout.amount.yuanText, 12)
        + "  " + pad(l.say(p.status.chinese, p.status.rawValue), 10) + hand
}

struct PayoutsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List a campaign's payouts.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The campaign's name.") var campaign: String
    @Option(help: "Only payouts with this status (planned, approved, paid, signed, cancelled, reversed, failed).") var status: PayoutStatus?
    @Option(help: "Only payouts proposed by this unit's subtree.") var unit: String?
    @Option(help: "Only this category.") var category: String?
    @Option(help: "At most this many (0: all).") var limit = 50

    func run() throws {
        let s = try store.open(readOnly: true)
        let l = store.lang
        let c = try s.campaign(named: campaign, lang: l)
        let units = try unit.map { try s.subtree(of: try s.unit(named: $0, lang: l).code) }
        let query = PayoutQuery(campaignID: c.id, statuses: status.map { [$0] } ?? [], units: units, category: category)
        let all = try s.readLedger { try $0.payouts(query) }
        let shown = limit > 0 ? Array(all.prefix(limit)) : all
        let households = try s.households(ids: shown.map(\.payout.householdID))
        for p in shown { print(payoutLine(p, household: households[p.payout.householdID], lang: l)) }
        let total = all.reduce(Money.zero) { $0 + $1.payout.amount }
        print(l.say("共 \(all.count) 笔, 合计 \(total.yuanText)\(shown.count < all.count ? " (显示前 \(shown.count) 笔; --limit 0 显示全部)" : "")",
                    "\(all.count) payouts, \(total.yuanText) in all\(shown.count < all.count ? " (first \(shown.count) shown; --limit 0 for all)" : "")"))
    }
}

struct PayoutsShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A household's payouts in every campaign, with their whole history.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The household's number or 18-digit ID number.") var household: String

    func run() throws {
        let s = try store.open(readOnly: true)
        let l = store.lang
        let h = try store.household(household, in: s)
        print("\(h.name)  \(h.maskedIDNumber)  \(h.unitCode)  \(l.say("档案", "file")) \(h.fileStatus)")
        let campaigns = Dictionary(uniqueKeysWithValues: try s.campaigns().map { ($0.id!, $0) })
        try s.readLedger { tx in
            let payouts = try tx.payouts(PayoutQuery(householdIDs: [h.id!]))
            if payouts.isEmpty { print(l.say("没有发放记录", "No payouts")) }
            for p in payouts {
                let name = campaigns[p.campaignID]?.name ?? "#\(p.campaignID)"
                let origin = p.runID.map { l.say("运行 #\($0)", "run #\($0)") } ?? l.say("补发", "added by hand")
                print("\(name)  #\(p.id)  \(p.payout.category)  \(p.payout.amount.yuanText)  \(l.say(p.status.chinese, p.status.rawValue))  (\(origin), \(p.unitCode))")
                for item in p.payout.items where p.payout.items.count > 1 || item.kind == .goods {
                    print("    \(item.kind.chinese) \(item.description ?? "")\(item.quantity.map { " " + $0 } ?? "")  \(item.value.yuanText)")
                }
                print("    \(l.say("原因", "reason")): \(Masking.maskNumbers(in: p.payout.reason))   \(l.say("规则", "rule")): \(p.payout.rule)")
                for e in try tx.events(payoutID: p.id) {
                    let how = e.method.map { " (\(l.say($0.chinese, $0.rawValue)))" } ?? ""
                    let why = e.reason.map { "  \(l.say("原因", "why")): \(Masking.maskNumbers(in: $0))" } ?? ""
                    print("    \(e.at)  \(pad(l.say(e.status.chinese, e.status.rawValue), 10))\(how)  \(e.actor)\(why)")
                }
            }
        }
    }
}

/// Select payouts, show the count and total, confirm, and move them.
struct MoveOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Argument(help: "Households (numbers or 18-digit ID numbers); or use --run or --all.") var households: [String] = []
    @Option(help: "The campaign's name.") var campaign: String
    @Option(help: "Every payout of this run.") var run: Int64?
    @Flag(help: "Every payout that matches --unit, --status and --category.") var all = false
    @Option(help: "With --all or --run: only payouts proposed by this unit's subtree.") var unit: String?
    @Option(help: "With --all or --run: only payouts with this status.") var status: PayoutStatus?
    @Option(help: "With --all or --run: only this category.") var category: String?
    @OptionGroup var actor: OperatorOption
    @Option(help: "Why (required to cancel, reverse, or record a failure).") var reason: String?
    @Flag(help: "Do not ask for confirmation (for scripts).") var yes = false

    func validate() throws {
        let ways = (households.isEmpty ? 0 : 1) + (run == nil ? 0 : 1) + (all ? 1 : 0)
        guard ways == 1 else { throw ValidationError("name households, or give --run N, or --all (with --unit, --status, --category): exactly one of these") }
    }

    func perform(_ to: PayoutStatus, method: PaymentMethod? = nil) throws {
        let s = try store.open()
        let l = store.lang
        let c = try s.campaign(named: campaign, lang: l)
        var query = PayoutQuery(campaignID: c.id)
        if !households.isEmpty {
            // A household's payout in this campaign: its latest (an active one, if any).
            var ids: [Int64] = []
            for key in households {
                let h = try store.household(key, in: s)
                let mine = try s.readLedger { try $0.payouts(PayoutQuery(campaignID: c.id, householdIDs: [h.id!])) }
                guard let p = mine.last(where: { $0.status.isActive }) ?? mine.last else {
                    throw Failure(l.say("户 \(h.maskedIDNumber) 在活动 “\(c.name)” 中没有发放记录", "household \(h.maskedIDNumber) has no payout in “\(c.name)”"))
                }
                ids.append(p.id)
            }
            query.payoutIDs = ids
        } else {
            query.runID = run
            query.units = try unit.map { try s.subtree(of: try s.unit(named: $0, lang: l).code) }
            query.statuses = status.map { [$0] } ?? []
            query.category = category
        }
        let ledger = CampaignLedger(storage: s)
        let preview = try ledger.preview(query, to: to)
        let what = l.say("将把 \(preview.payouts.count) 笔发放 (合计 \(preview.total.yuanText)) 改为“\(to.chinese)”",
                         "This moves \(preview.payouts.count) payouts (\(preview.total.yuanText) in all) to \(to.rawValue)")
        if !yes {
            guard isatty(STDIN_FILENO) != 0 else {
                throw Failure(l.say("\(what); 非交互运行时请加 --yes 确认", "\(what); add --yes to confirm when not at a terminal"))
            }
            FileHandle.standardError.write(Data(l.say("\(what)。确认? [y/N] ", "\(what). Go ahead? [y/N] ").utf8))
            guard let answer = readLine(), ["y", "yes", "是"].contains(answer.lowercased().trimmingCharacters(in: .whitespaces)) else {
                print(l.say("未写入任何内容", "Nothing written"))
                return
            }
        }
        let moved = try ledger.move(query, to: to, by: actor.actor, reason: reason, method: method, expecting: preview.payouts.count)
        print(l.say("已记录: \(moved.payouts.count) 笔改为“\(to.chinese)”, 合计 \(moved.total.yuanText)",
                    "Recorded: \(moved.payouts.count) payouts \(to.rawValue), \(moved.total.yuanText) in all"))
    }
}

enum PayoutsMove {
    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve planned payouts (审批).")
        @OptionGroup var options: MoveOptions
        func run() throws { try options.perform(.approved) }
    }

    struct Pay: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pay", abstract: "Record approved payouts as paid: by bank card (default) or cash in hand.")
        @OptionGroup var options: MoveOptions
        @Option(help: "bank (打卡发放, default) or cash (当面发放).") var method: PaymentMethod = .bank
        func run() throws { try options.perform(.paid, method: method) }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sign", abstract: "Record paid payouts as signed for (签领表 returned).")
        @OptionGroup var options: MoveOptions
        func run() throws { try options.perform(.signed) }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel", abstract: "Cancel planned, approved or failed payouts, with a reason (如: 当场取消: 实际情况与上报不符).")
        @OptionGroup var options: MoveOptions
        func run() throws { try options.perform(.cancelled) }
    }

    struct Reverse: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reverse", abstract: "Take back paid payouts (冲回), with a reason.")
        @OptionGroup var options: MoveOptions
        func run() throws { try options.perform(.reversed) }
    }

    struct Fail: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fail", abstract: "Record approved payouts the bank returned (户名不符, 已销户, 冻结 …); approve them again for a new attempt, or cancel them.")
        @OptionGroup var options: MoveOptions
        func run() throws { try options.perform(.failed) }
    }
}

extension PayoutStatus: ExpressibleByArgument {}
extension PaymentMethod: ExpressibleByArgument {}
extension Payout.Kind: ExpressibleByArgument {}

struct PayoutsAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "补发: add a payout for a household the plans missed (漏报), outside any run.",
        discussion: """
            Checked against the organiser's caps (from --policy, by default the policy of the organiser's latest \
            run in this campaign), the budget and 不重, and marked as added by hand in every report.
            Example: warmth payouts add 340503197001011234 --campaign 2026春节 --amount 600 --category 特困职工家庭 --reason "走访发现漏报" --by 张敏
            """)
    @OptionGroup var store: StoreOptions
    @Argument(help: "The household's number or 18-digit ID number.") var household: String
    @Option(help: "The campaign's name.") var campaign: String
    @Option(help: "The amount in yuan.") var amount: String
    @Option(help: "The category it is reported under.") var category: String
    @Option(help: "Why it is added.") var reason: String
    @Option(help: "cash (default), goods or ticket.") var kind: Payout.Kind = .cash
    @Option(help: "For goods: what is handed over (米、油).") var goods: String?
    @Option(help: "The unit that pays it (default: the household's own unit).") var unit: String?
    @Option(help: "The policy whose caps bind (default: the organiser's latest run's policy).") var policy: String?
    @Option(help: "The funding source it is charged to (default: the sources in proportion).") var source: String?
    @OptionGroup var actor: OperatorOption

    func run() throws {
        let s = try store.open()
        let l = store.lang
        let c = try s.campaign(named: campaign, lang: l)
        let h = try store.household(household, in: s)
        guard let money = Money.parseYuan(amount), money.fen > 0 else {
            throw Failure(l.say("--amount '\(amount)' 不是以元计的金额, 如 600", "--amount '\(amount)' is not an amount in yuan such as 600"))
        }
        let unitCode = try unit.map { try s.unit(named: $0, lang: l).code } ?? h.unitCode
        let runs = try s.runs(campaignID: c.id!)
        let policyPath = policy ?? runs.last(where: { $0.unitCode == c.unitCode })?.policyPath
        var caps: HandCaps?
        if let policyPath {
            let request = RunRequest(policy: try PolicyFile(path: policyPath), campaign: c, households: HouseholdTable(), workers: 1)
            var r = request
            r.stdlib = ModulePaths.defaultStdlib()
            let chain = try Engine.evaluate(r).caps
            caps = HandCaps(perHousehold: chain.compactMap(\.perHousehold).min(),
                            perCategory: chain.reduce(into: [:]) { out, c in out.merge(c.perCategory) { min($0, $1) } },
                            source: policyPath)
        } else {
            warn(l.say("注意: 组织单位在本活动中还没有运行记录, 也没有给出 --policy; 补发只按预算和不重检查",
                       "Note: the organiser has no run in this campaign and no --policy was given; only the budget and 不重 are checked"))
        }
        let payout = Payout(householdID: h.id!, amount: money, kind: kind, category: category, reason: reason,
                            rule: l.say("补发", "added by hand"), goods: goods)
        let id = try CampaignLedger(storage: s).add(payout, campaignID: c.id!, unitCode: unitCode, caps: caps, source: source, by: actor.actor)
        print(l.say("已补发: #\(id) \(h.name) \(h.maskedIDNumber) \(category) \(money.yuanText) (已计划, 待审批)",
                    "Added by hand: #\(id) \(h.name) \(h.maskedIDNumber) \(category) \(money.yuanText) (planned, to be approved)"))
    }
}

struct LedgerCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-ledger", abstract: "The 不漏, 不重 and 不错 checks of a campaign's ledger.",
        discussion: """
            不漏: live households in scope with no active payout, each with its reason (cancelled on a date by someone; \
            what the policy decides for it now; never decided), and how many were not helped in the last N campaigns. \
            不重: households with more than one active payout (always 0: the store refuses it) and households with \
            payouts from two units. 不错: payouts whose amount is not their category's standard in the policy's caps, \
            payouts to files that are not live, payouts whose household changed after they were written, and the \
            totals per funding source. --csv writes every list to one CSV file (ID numbers masked).
            """)
    @OptionGroup var store: StoreOptions
    @Option(help: "The campaign's name.") var campaign: String
    @Option(help: "Check this unit's subtree (default: the campaign's organiser).") var unit: String?
    @Option(help: "The policy whose decisions and caps are checked against (default: the organiser's latest run's).") var policy: String?
    @Option(help: "Campaigns to look back over for households never helped.") var lookBack = 3
    @Option(help: "Rows to print per list (0: all).") var limit = 20
    @Option(help: ArgumentHelp("Write every list to this CSV file.", valueName: "FILE.csv")) var csv: String?

    func run() throws {
        let s = try store.open(readOnly: true)
        let l = store.lang
        let c = try s.campaign(named: campaign, lang: l)
        let scopeUnit = try unit.map { try s.unit(named: $0, lang: l) } ?? s.unit(named: c.unitCode, lang: l)
        let scope = try s.subtree(of: scopeUnit.code)
        let progress = TerminalProgress("warmth check-ledger")
        defer { progress?.clear() }
        // What the organiser's policy decides now, for the reasons of 不漏 and the standards of 不错.
        var decisions: [Int64: String] = [:]
        var standards: [String: Money] = [:]
        let runs = try s.runs(campaignID: c.id!)
        let lastRun = runs.last(where: { $0.unitCode == c.unitCode })
        if let path = policy ?? lastRun?.policyPath, FileManager.default.fileExists(atPath: path) {
            let table = try s.householdTable(units: scope)
            var request = RunRequest(policy: try PolicyFile(path: path), campaign: c, households: table, workers: Engine.defaultWorkers, keepGoing: true)
            request.stdlib = ModulePaths.defaultStdlib()
            request.traceLines = true
            request.vocabulary = try s.vocabulary(for: scopeUnit.code)
            if policy == nil, let params = lastRun?.params, let data = params.data(using: .utf8),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                request.overrides = object.compactMap { k, v in
                    if let n = v as? Int { return (k, Money(fen: Int64(n)).decimalText) }
                    if let t = v as? String { return (k, t) }
                    if let b = v as? Bool { return (k, b ? "true" : "false") }
                    return nil
                }
            }
            progress?.step(l.say("按 \(path) 重新考察 \(table.count) 户", "deciding \(table.count) households again with \(path)"))
            let plan = try Engine.evaluate(request)
            var pays: [Int: PlannedPayout] = [:]
            for p in plan.payouts { pays[p.household] = p }
            for e in plan.errors { decisions[table.ids[e.household]] = l.say("策略出错: \(e.error.message)", "the policy fails: \(e.error.message)") }
            for i in 0..<table.count where decisions[table.ids[i]] == nil {
                if let p = pays[i] {
                    decisions[table.ids[i]] = l.say("策略现在发放 \(p.amount.yuanText) (\(p.rule)), 台账中没有: \(plan.hasAllocate ? "被 allocate 压缩, 或" : "")运行后新增或变更的户",
                                                    "the policy pays \(p.amount.yuanText) now (\(p.rule)) but the ledger does not: \(plan.hasAllocate ? "cut by allocate, or " : "")added or changed after the run")
                } else {
                    let at = plan.nilLines[i].map { "\(path):\($0)" } ?? path
                    decisions[table.ids[i]] = l.say("策略不发放: decide 在 \(at) 结束, 未发放", "the policy pays nothing: decide ended at \(at) with no payout")
                }
            }
            for cap in plan.caps { standards.merge(cap.perCategory) { min($0, $1) } }
        }
        progress?.step(l.say("核对台账", "checking the ledger"))
        let check = try LedgerCheck.run(on: s, campaignID: c.id!, units: scope, standards: standards, standardsUnit: lastRun?.unitCode ?? c.unitCode, decisions: decisions, lookBack: lookBack)
        progress?.clear()
        print(l.say("活动: \(c.name)    范围: \(scopeUnit.code) \(scopeUnit.name)", "Campaign: \(c.name)    Scope: \(scopeUnit.code) \(scopeUnit.name)"))

        func reasonText(_ r: LedgerCheck.Reason) -> String {
            switch r {
            case .closed(let e):
                let why = Masking.maskNumbers(in: e.reason ?? "")
                return l.say("\(e.at.prefix(10)) 由 \(e.actor) \(e.status.chinese): \(why)", "\(e.status.rawValue) on \(e.at.prefix(10)) by \(e.actor): \(why)")
            case .decided(let d): return d.isEmpty ? l.say("已运行, 未发放", "run, not paid") : d
            case .neverDecided: return l.say("从未被任何运行考察 (其单位无运行)", "never decided (no run covered its unit)")
            }
        }
        print(l.say("\n不漏: 在档(正式/临时救助)而本活动未发放的 \(check.missed.count) 户", "\nNot missed (不漏): \(check.missed.count) live households with no active payout"))
        let grouped = Dictionary(grouping: check.missed, by: { reasonText($0.reason) }).sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }
        for (reason, rows) in grouped.prefix(limit > 0 ? limit : .max) { print("  " + padLeft("\(rows.count)", 7) + "  " + reason) }
        for m in check.missed.prefix(limit > 0 ? limit : .max) {
            print("    \(pad(m.household.name, 8)) \(m.household.maskedIDNumber)  \(pad(m.household.unitCode, 6)) \(reasonText(m.reason))")
        }
        print(l.say("  近 \(check.lookedBack) 次活动均未帮扶 (未帮扶): \(check.neverHelped) 户", "  Not helped in the last \(check.lookedBack) campaigns: \(check.neverHelped) households"))

        print(l.say("\n不重: 一户多笔有效发放 \(check.paidTwice) 户 (应为 0); 两个单位都有发放记录的 \(check.severalUnits.count) 户",
                    "\nNot twice (不重): \(check.paidTwice) households with more than one active payout (must be 0); \(check.severalUnits.count) with payouts from two units"))
        for (h, units) in check.severalUnits.prefix(limit > 0 ? limit : .max) {
            print("    \(try s.readLedger { try $0.maskedIDNumber(householdID: h) })  \(units.joined(separator: "、"))")
        }

        print(l.say("\n不错: 需复核的发放 \(check.doubts.count) 笔", "\nNot wrong (不错): \(check.doubts.count) payouts to look at"))
        func doubtText(_ d: LedgerCheck.Doubt) -> String {
            switch d.kind {
            case .notStandard: l.say("金额不是该类别标准 \(d.detail)", "not the category's standard of \(d.detail)")
            case .fileNotLive: l.say("档案已不在有效状态", "the household's file is not live")
            case .changedSinceRun: l.say("写入后该户登记信息有变更", "the household changed after the payout was written")
            }
        }
        let households = try s.households(ids: check.doubts.prefix(limit > 0 ? limit : .max).map(\.payout.payout.householdID))
        for d in check.doubts.prefix(limit > 0 ? limit : .max) {
            print(payoutLine(d.payout, household: households[d.payout.payout.householdID], lang: l) + "  " + doubtText(d))
        }
        print(l.say("  资金来源 (按比例分摊未指定来源的部分):", "  Funding sources (the unattributed part split in proportion):"))
        for line in check.sources {
            print("    " + pad(line.source, 10) + l.say("预算 ", "budgeted ") + padLeft(line.budgeted.yuanText, 16) + l.say("  已记 ", "  charged ")
                  + padLeft(line.charged.yuanText, 16) + (line.fits ? "" : l.say("  超出", "  over")))
        }
        print(check.fundsAddUp ? l.say("  各来源合计与预算、台账相符", "  The sources add up to the budget and the ledger")
                               : l.say("  各来源合计与预算或台账不符: 用 warmth campaign edit --fund 更正", "  The sources do not add up to the budget or the ledger: correct them with warmth campaign edit --fund"))

        if let csv {
            let out = try CSVOutput(path: csv)
            try out.write(["检查", "户号", "身份证号", "单位", "说明"])
            for m in check.missed { try out.write(["不漏", String(m.household.id), m.household.maskedIDNumber, m.household.unitCode, PlanCSV.cell(reasonText(m.reason))]) }
            for (h, units) in check.severalUnits { try out.write(["不重", String(h), try s.readLedger { try $0.maskedIDNumber(householdID: h) }, units.joined(separator: "、"), "两个单位都有发放记录"]) }
            for d in check.doubts {
                try out.write(["不错", String(d.payout.payout.householdID), try s.readLedger { try $0.maskedIDNumber(householdID: d.payout.payout.householdID) },
                           d.payout.unitCode, PlanCSV.cell(doubtText(d))])
            }
            try out.commit()
            print(l.say("清单已写入 \(csv)", "Lists written to \(csv)"))
        }
    }
}

struct VocabularyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocabulary", abstract: "Categories and causes an organiser adds to the national ones, for its own subtree.",
        subcommands: [VocabularyAdd.self, VocabularyList.self])
}

struct VocabularyAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a category or a hardship cause for a unit and the units below it.",
        discussion: "Example: warmth vocabulary add category 低收入 --unit S01 --by 张敏. Import, h:is and h:has then know it for households of that subtree.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "category or cause.") var kind: String
    @Argument(help: "The name.") var name: String
    @Option(help: "The unit that adds it (code or name).") var unit: String
    @OptionGroup var actor: OperatorOption

    func run() throws {
        let s = try store.open()
        let l = store.lang
        guard let k = VocabularyExtra.Kind(rawValue: kind) ?? (kind == "类别" ? .category : kind == "困难原因" ? .cause : nil) else {
            throw Failure(l.say("第一个参数为 category (类别) 或 cause (困难原因), 而不是 “\(kind)”", "the first argument is category or cause, not '\(kind)'"))
        }
        guard let who = actor.actor else { throw LedgerError.noOperator }
        let u = try s.unit(named: unit, lang: l)
        let extra = try s.addVocabulary(k, name: name, unitCode: u.code, actor: who.name)
        print(l.say("已添加\(k == .category ? "类别" : "困难原因") “\(extra.name)”, 适用于 \(u.code) \(u.name) 及其下级",
                    "Added the \(k.rawValue) “\(extra.name)” for \(u.code) \(u.name) and the units below it"))
    }
}

struct VocabularyList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The categories and causes a unit sees.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The unit (default: every unit's own additions).") var unit: String?

    func run() throws {
        let s = try store.open(readOnly: true)
        let l = store.lang
        if let unit {
            let view = try s.vocabulary(for: try s.unit(named: unit, lang: l).code)
            print(l.say("类别: ", "Categories: ") + view.categoryNames.joined(separator: "、"))
            print(l.say("困难原因: ", "Causes: ") + view.causeNames.joined(separator: "、"))
        } else {
            let extras = try s.vocabularyExtras()
            if extras.isEmpty { print(l.say("尚无单位自行添加的类别或困难原因", "No unit has added a category or cause")) }
            for e in extras { print("\(e.kind == .category ? l.say("类别", "category") : l.say("困难原因", "cause"))  \(e.name)  \(e.unitCode)") }
        }
    }
}
