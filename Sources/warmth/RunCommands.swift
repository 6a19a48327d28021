import ArgumentParser
import Foundation
import WarmthData
import WarmthDomain
import WarmthLua
import WarmthRuntime
import WarmthLedger
import WarmthStore

/// Limits a user may raise, shared by run and explain.
struct LimitOptions: ParsableArguments {
    @Option(help: "VM instructions one household's decision may take.") var maxInstructions: Int64 = SandboxLimits().instructionsPerDecision
    @Option(help: "VM instructions the whole run may take, per worker.") var maxRunInstructions: Int64 = SandboxLimits().instructionsPerRun
    @Option(help: "Memory, in MiB, a script may use beyond the households loaded for it.") var maxMemory: Int = SandboxLimits().memoryBytes >> 20
    @Option(help: "Seconds the run may take.") var timeout: Double = SandboxLimits().seconds
    @Option(help: "Worker threads (default: one per core).") var workers: Int = Engine.defaultWorkers

    var limits: SandboxLimits {
        var l = SandboxLimits()
        l.instructionsPerDecision = maxInstructions
        l.instructionsPerRun = maxRunInstructions
        l.memoryBytes = maxMemory << 20
        l.seconds = timeout
        return l
    }
}

/// Resolve the campaign and the unit scope, and load the households in it.
struct RunContext {
    var store: Store
    var campaign: Campaign
    var unit: UnionUnit
    var households: HouseholdTable

    init(store: Store, campaignName: String, unitName: String?) throws {
        self.store = store
        guard let c = try store.campaign(named: campaignName) else {
            throw Failure("no campaign named '\(campaignName)': see 'warmth campaign list', or create it with 'warmth campaign create'")
        }
        campaign = c
        let unitKey = unitName ?? c.unitCode
        guard let u = try store.unit(named: unitKey) else { throw Failure("unknown unit '\(unitKey)': see 'warmth units list'") }
        // A unit runs a campaign only if the campaign's organiser is the unit or above it.
        guard try store.subtree(of: c.unitCode).contains(u.code) else {
            throw Failure("unit \(u.code) (\(u.name)) is not under the campaign's organiser \(c.unitCode): choose a unit in its subtree (see 'warmth units list')")
        }
        unit = u
        households = try store.householdTable(units: try store.subtree(of: u.code))
    }
}

func parseSettings(_ settings: [String]) throws -> [(String, String)] {
    try settings.map { text in
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--set '\(text)' should read NAME=VALUE, e.g. registered=500") }
        return (parts[0], parts[1])
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a policy over a campaign's households: a dry run by default, --commit to write the ledger.",
        discussion: """
            Prints households considered and eligible, the total against the budget, and per category the \
            person-times (人次) and amount (元 and 万元). Params are set by their kind: money in yuan (--set registered=500), \
            a count as a whole number, a percent as 85 or 85%, a flag as true/false. With --set, the run is compared with the \
            policy's own params (the baseline): totals, per category and unit, and how many households gain or lose. \
            A household already paid in this campaign, by any unit, is reported as a duplicate and not paid again (不重). \
            A commit that would take the campaign over its budget is refused; a unit below the campaign's organiser \
            must run within the organiser's policy (within = "…") to commit.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The policy script.") var policy: String
    @Option(help: "The campaign's name.") var campaign: String
    @Option(help: "Run for this unit's subtree (code or name; default: the campaign's unit).") var unit: String?
    @Option(name: .customLong("set"), help: ArgumentHelp("Change a param for this run: NAME=VALUE (money in yuan, a count as a whole number); prints the diff against the baseline.", valueName: "NAME=VALUE"))
    var settings: [String] = []
    @Option(help: ArgumentHelp("Write the plan, row by row, to this CSV file.", valueName: "plan.csv")) var out: String?
    @Flag(help: "Write the run and its payouts to the ledger, in one transaction.") var commit = false
    @Option(name: .customLong("by"), help: ArgumentHelp("Who commits (default: $WARMTH_OPERATOR).", valueName: "NAME")) var by: String?
    var operatorName: String? { by ?? ProcessInfo.processInfo.environment["WARMTH_OPERATOR"] }
    @Flag(help: "Collect every failing household (up to --max-errors) instead of stopping at the first.") var keepGoing = false
    @Option(help: "With --keep-going, stop after this many failures.") var maxErrors = 100
    @OptionGroup var limitOptions: LimitOptions

    func validate() throws {
        _ = try parseSettings(settings)
        guard maxErrors > 0 else { throw ValidationError("--max-errors must be at least 1") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let s = try store.open(readOnly: !commit)
        let context = try RunContext(store: s, campaignName: campaign, unitName: unit)
        let loaded = clock.now
        let policyFile = try PolicyFile(path: policy)
        let session = try PolicySession(policy: policyFile, campaign: context.campaign, households: context.households,
                                        limits: limitOptions.limits, workers: limitOptions.workers,
                                        vocabulary: try s.vocabulary(for: context.unit.code))
        var scenario = Scenario(params: try session.parse(try parseSettings(settings)))
        scenario.keepGoing = keepGoing
        scenario.maxErrors = maxErrors
        // 不重: households already paid in this campaign, by any unit, are not paid again; and
        // allocate fits the plan to what the ledger has left of the budget.
        scenario.alreadyPaid = try s.paidHouseholds(campaignID: context.campaign.id!)
        let committed = try s.committedTotal(campaignID: context.campaign.id!)
        scenario.committed = committed
        if isatty(STDERR_FILENO) != 0, context.households.count >= 20_000 {
            scenario.progress = ProgressBar.draw
        }
        let plan = try session.evaluate(scenario)
        // With --set, the same households at the policy's own params: the baseline to compare with.
        var diff: PlanDiff?
        if !scenario.params.isEmpty {
            var base = scenario
            base.params = [:]
            diff = PlanDiff(baseline: try session.evaluate(base), scenario: plan)
        }
        if scenario.progress != nil { ProgressBar.clear() }
        let evaluated = clock.now

        // What the script printed, on standard error, every line marked as the script's.
        for text in plan.printed.prefix(50) {
            for line in LuaError(kind: .runtime, message: text).message.split(separator: "\n", omittingEmptySubsequences: false).prefix(20) {
                warn("print: " + Masking.maskNumbers(in: String(line)))
            }
        }
        let report = SummaryReport(plan: plan, campaign: context.campaign, unit: context.unit, lang: store.lang,
                                   duplicates: plan.duplicates, committed: committed)
        print(report.text, terminator: "")
        if let diff {
            // Units are shown under the run unit's children (a city's districts), not leaf by leaf.
            let parents = Dictionary(try s.units().map { ($0.code, $0.parentCode) }, uniquingKeysWith: { a, _ in a })
            let top = context.unit.code
            func child(_ code: String) -> String {
                var c = code
                while let p = parents[c] ?? nil, p != top { c = p }
                return c
            }
            print(DiffReport(diff: diff, baseline: session.declaration, scenario: plan, budget: plan.budget - committed, lang: store.lang,
                             group: child).text, terminator: "")
        }

        // A unit below the organiser runs within the organiser's limits: its policy must say so.
        let underOrganiser = context.unit.code != context.campaign.unitCode
        if underOrganiser, plan.within == nil {
            let message = store.lang.say(
                "\(plan.policy.path): 单位 \(context.unit.code) 不是活动的组织单位 \(context.campaign.unitCode); 策略须用 within = \"…\" 指明上级单位的策略, 以受其上限约束",
                "\(plan.policy.path): unit \(context.unit.code) is not the campaign's organiser (\(context.campaign.unitCode)); its policy must name the organiser's policy with within = \"…\" so that its caps bind")
            if !commit { warn(message) }
        }

        if !plan.errors.isEmpty {
            for e in plan.errors { warn(Masking.maskNumbers(in: e.description)) }
            warn(store.lang.say("\(plan.errors.count) 户决策出错; 未写入任何内容", "\(plan.errors.count) household(s) failed; nothing was written"))
            throw ExitCode(2)
        }
        if let out {
            try PlanCSV.write(plan, to: out)
            print(store.lang.say("方案已写入 \(out)", "Plan written to \(out)"))
        }
        if commit {
            let record = RunRecord(
                campaignID: context.campaign.id!, unitCode: context.unit.code, policyPath: plan.policy.path,
                policySHA256: plan.policy.sha256,
                modules: plan.modules.map { "\($0.name) \($0.sha256) \($0.path)" }.sorted().joined(separator: "\n"),
                params: plan.paramsJSON, dataFingerprint: plan.dataFingerprint, householdsConsidered: plan.households.count,
                total: plan.total, createdAt: Date())
            let payouts = plan.payouts.map { p in
                Payout(householdID: context.households.ids[p.household], amount: p.amount, kind: p.kind, category: p.category,
                       reason: p.reason, rule: p.rule, goods: p.goods ?? p.items.flatMap { i in i.contains { $0.kind == .goods } ? i.compactMap(\.description).joined(separator: "、") : nil }, items: p.items)
            }
            // Every rule of a commit (scope, within, budget, 不重 against the ledger as it is now)
            // is checked by the ledger core inside the write transaction.
            let writing = payouts.count >= 20_000 ? TerminalProgress("warmth run") : nil
            writing?.step(store.lang.say("正在写入台账 (\(payouts.count) 笔, 一个事务)", "writing \(payouts.count) payouts to the ledger in one transaction"))
            defer { writing?.clear() }
            let receipt = try CampaignLedger(storage: s).commit(
                CommitProposal(run: record, payouts: payouts, within: plan.within, fundingByCategory: plan.fundingByCategory, actor: Operator(operatorName)?.name ?? ""))
            if let runID = receipt.runID {
                print(store.lang.say("已写入台账: 运行 #\(runID), \(receipt.count) 笔, 合计 \(receipt.total.yuanText); 预算结余 \(receipt.budgetLeft.yuanText)",
                                     "Committed to the ledger: run #\(runID), \(receipt.count) payouts, \(receipt.total.yuanText) in all; \(receipt.budgetLeft.yuanText) of the budget left"))
            } else {
                print(store.lang.say("方案没有发放, 未写入台账 (不记运行)", "The plan pays nobody: nothing was written (no run is recorded)"))
            }
        } else {
            print(store.lang.say("试运行: 未写入台账 (加 --commit 写入)", "Dry run: nothing written (add --commit to write the ledger)"))
        }
        let done = clock.now
        if ProcessInfo.processInfo.environment["WARMTH_TIMING"] != nil {
            warn(String(format: "timing: load %.3f s, evaluate %.3f s (build %.3f, decide %.3f, %d workers), report %.3f s, total %.3f s",
                        (loaded - started).seconds, (evaluated - loaded).seconds, plan.timings.build, plan.timings.decide,
                        plan.timings.workers, (done - evaluated).seconds, (done - started).seconds))
        }
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain the decision for one household: the amount, the category, the reason, the rule and the params it used.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The household's number or 18-digit ID number.") var household: String
    @Option(help: "The policy script.") var policy: String
    @Option(help: "The campaign's name.") var campaign: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Change a param: NAME=VALUE (money in yuan, a count as a whole number).", valueName: "NAME=VALUE"))
    var settings: [String] = []
    @OptionGroup var limitOptions: LimitOptions

    func run() throws {
        let s = try store.open(readOnly: true)
        guard let c = try s.campaign(named: campaign) else { throw Failure("no campaign named '\(campaign)': see 'warmth campaign list'") }
        let h = try store.household(household, in: s)
        let session = try PolicySession(policy: try PolicyFile(path: policy), campaign: c, households: HouseholdTable([h]),
                                        limits: limitOptions.limits, workers: 1, vocabulary: try s.vocabulary(for: h.unitCode))
        var scenario = Scenario(params: try session.parse(try parseSettings(settings)))
        scenario.trackParams = true
        let plan = try session.evaluate(scenario)
        let l = store.lang
        print("\(h.name)  \(h.maskedIDNumber)  \(h.unitCode)  \(l.say("人口", "members")) \(h.members)  \(l.say("人均月收入", "income/person")) \(h.incomePerCapita.yuanText)")
        let names = try s.vocabulary(for: h.unitCode)
        print(l.say("类别: ", "Categories: ") + h.categories.names(in: names.categories).joined(separator: "、") + "   "
              + l.say("困难原因: ", "Causes: ") + h.causes.names(in: names.causes).joined(separator: "、"))
        if let p = plan.payouts.first {
            print(l.say("结果: 发放 \(p.amount.yuanText) (\(p.kind.chinese)\(p.goods.map { ": " + $0 } ?? ""))",
                        "Decision: pay \(p.amount.yuanText) (\(p.kind.rawValue)\(p.goods.map { ": " + $0 } ?? ""))"))
            print(l.say("类别: \(p.category)", "Category: \(p.category)"))
            print(l.say("原因: \(p.reason)", "Reason: \(p.reason)"))
            print(l.say("规则: \(p.rule)", "Rule: \(p.rule)"))
        } else {
            print(l.say("结果: 不发放 (decide 返回 nil)", "Decision: no payout (decide returned nil)"))
        }
        if !plan.paramsRead.isEmpty {
            print(l.say("用到的参数:", "Params used:"))
            for name in plan.paramsRead {
                guard let value = plan.params[name] else {
                    print(l.say("  \(name) = nil (策略没有这个参数)", "  \(name) = nil (the policy has no such param)"))
                    continue
                }
                print("  " + ParamLine.text(name: name, value: value, spec: plan.paramSpecs.first { $0.name == name }, lang: l))
            }
        }
        if plan.hasAllocate {
            print(l.say("注意: 该策略有 allocate 步骤, 此处未按全体方案压缩; 实际金额以 warmth run 为准",
                        "Note: this policy has an allocate step, not applied to a single household here; warmth run gives the final amount"))
        }
        if try s.paidHouseholds(campaignID: c.id!).contains(h.id!) {
            print(l.say("注意: 该户在本活动中已发放过, 不会重复发放 (不重)", "Note: this household is already paid in this campaign and will not be paid again"))
        }
    }
}

/// The dry-run summary, in the style of the seeds' summaries.
struct SummaryReport {
    var plan: Plan
    var campaign: Campaign
    var unit: UnionUnit
    var lang: Language
    var duplicates: Int
    /// What the ledger already holds for this campaign, from earlier runs.
    var committed: Money = .zero

    var text: String {
        let l = lang
        var out = ""
        out += "\(LuaError(kind: .runtime, message: plan.policyName).message)  (\(plan.policy.path))\n"
        out += l.say("活动: \(campaign.name)    单位: \(unit.code) \(unit.name)\n", "Campaign: \(campaign.name)    Unit: \(unit.code) \(unit.name)\n")
        out += l.say("考察 \(plan.households.count) 户, 符合条件 \(plan.eligible) 户\n",
                     "\(plan.households.count) households considered, \(plan.eligible) eligible\n")
        out += categoryTable(plan.byCategory, lang: l)
        let left = campaign.budget - committed - plan.total
        let already = committed.fen > 0 ? l.say(", 已入账 \(committed.yuanText)", ", \(committed.yuanText) already committed") : ""
        if left.fen >= 0 {
            out += l.say("预算 \(campaign.budget.yuanText)\(already), 结余 \(left.yuanText)\n", "Budget \(campaign.budget.yuanText)\(already), \(left.yuanText) left\n")
        } else {
            out += l.say("预算 \(campaign.budget.yuanText)\(already), 超支 \(Money(fen: -left.fen).yuanText)\n",
                         "Budget \(campaign.budget.yuanText)\(already), over by \(Money(fen: -left.fen).yuanText)\n")
        }
        if duplicates > 0 {
            out += l.say("已在本活动中发放过, 不重复发放 (不重): \(duplicates) 户\n", "Already paid in this campaign, not paid again: \(duplicates) households\n")
        }
        return out
    }
}

/// The plan, row by row, for people to check (ID numbers masked).
enum PlanCSV {
    /// Text a spreadsheet would run as a formula gets a leading apostrophe.
    static func cell(_ s: String) -> String {
        guard let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return s }
        return "'" + s
    }

    static func write(_ plan: Plan, to path: String) throws {
        let out = try CSVOutput(path: path)
        try out.write(["序号", "姓名", "身份证号", "单位", "类别", "金额(元)", "金额(分)", "方式", "物品", "原因", "规则"])
        for (i, p) in plan.payouts.enumerated() {
            let t = plan.households
            try out.write([String(i + 1), cell(t.name(at: p.household)), t.maskedIDNumber(at: p.household), t.unitCode(at: p.household),
                       cell(p.category), p.amount.decimalText, String(p.amount.fen), p.kind.chinese, cell(p.goods ?? ""), cell(p.reason), cell(p.rule)])
        }
        try out.commit()
    }
}

/// A progress bar on standard error, for long runs on a terminal.
enum ProgressBar {
    @Sendable static func draw(_ done: Int, _ total: Int) {
        guard total > 0 else { return }
        let width = 30
        let filled = done * width / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(bar) \(done * 100 / total)%  \(done)/\(total)".utf8))
    }

    static func clear() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
