import ArgumentParser
import Foundation
import WarmthData
import WarmthDomain
import WarmthLua
import WarmthRuntime
import WarmthStore

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Ask \"what if\" of a policy over a campaign's households: change a standard or the budget, see the cost, who gains and who loses.",
        discussion: """
            Loads the households once and evaluates the policy at its own params (the baseline), then reads commands \
            (:help lists them) and Lua lines over the plan (plan:by "category"). Nothing is written to the ledger; \
            :save keeps a scenario (its params and budget) in the store for another session. When standard input is not \
            a terminal, commands are read line by line without prompts: --echo echoes them, --bail stops at the first \
            error with exit status 2.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The policy script.") var policy: String
    @Option(help: "The campaign's name.") var campaign: String
    @Option(help: "Ask for this unit's subtree (code or name; default: the campaign's unit).") var unit: String?
    @Flag(help: "Echo each command read from a pipe.") var echo = false
    @Flag(help: "Stop at the first error, with exit status 2.") var bail = false
    @Option(help: ArgumentHelp("Keep the line history here (default: ~/.warmth_history).", valueName: "FILE")) var history: String?
    @OptionGroup var limitOptions: LimitOptions

    func run() throws {
        let s = try store.open()
        let context = try RunContext(store: s, campaignName: campaign, unitName: unit)
        let interactive = isatty(STDIN_FILENO) != 0
        let reader: LineReader
        if interactive {
            let path = history ?? ProcessInfo.processInfo.environment["WARMTH_HISTORY"]
                ?? ((ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path) + "/.warmth_history")
            reader = TerminalReader(historyPath: path)
        } else {
            reader = PipeReader()
        }
        defer { reader.close() }
        let repl = try Repl(store: s, context: context, policyPath: policy, limits: limitOptions.limits, workers: limitOptions.workers,
                            lang: store.lang, interactive: interactive)
        let status = repl.loop(reader: reader, echo: echo, bail: bail)
        if status != 0 { throw ExitCode(status) }
    }
}

/// A budget officer's what-if session: the baseline, the scenario's params and budget, and the
/// commands over them.
final class Repl {
    enum Mode: String { case table, csv, json }

    let store: Store
    let context: RunContext
    let policyPath: String
    let limits: SandboxLimits
    let workers: Int
    let l: Language
    let interactive: Bool

    private(set) var session: PolicySession
    private(set) var baseline: Evaluation
    private(set) var current: Evaluation
    /// The scenario: params changed from the policy's own, and a what-if budget.
    private(set) var overrides: [String: ParamValue] = [:]
    private(set) var budget: Money?
    private var undo: [(params: [String: ParamValue], budget: Money?)] = []
    /// The params and budget `current` was evaluated with (they differ from the scenario's after a
    /// :set with :auto off, until :run).
    private var evaluatedWith: (params: [String: ParamValue], budget: Money?) = ([:], nil)
    var auto = true
    var timer = true
    var mode = Mode.table
    private var lua: ReplLua?
    private var luaShows = -1
    private var version = 0
    private let alreadyPaid: Set<Int64>
    private let committed: Money

    init(store: Store, context: RunContext, policyPath: String, limits: SandboxLimits, workers: Int, lang: Language, interactive: Bool) throws {
        self.store = store
        self.context = context
        self.policyPath = policyPath
        self.limits = limits
        self.workers = workers
        l = lang
        self.interactive = interactive
        alreadyPaid = try store.paidHouseholds(campaignID: context.campaign.id!)
        committed = try store.committedTotal(campaignID: context.campaign.id!)
        session = try Repl.makeSession(store: store, context: context, policyPath: policyPath, limits: limits, workers: workers)
        let clock = ContinuousClock()
        let t0 = clock.now
        var first = Scenario()
        first.alreadyPaid = alreadyPaid
        first.committed = committed
        if interactive, context.households.count >= 20_000 { first.progress = ProgressBar.draw }
        baseline = try session.evaluate(first, after: nil)
        if interactive, context.households.count >= 20_000 { ProgressBar.clear() }
        current = baseline
        let seconds = (clock.now - t0).seconds
        say(l.say("\(session.declaration.name)  (\(policyPath))  活动: \(context.campaign.name)  单位: \(context.unit.code) \(context.unit.name)",
                  "\(session.declaration.name)  (\(policyPath))  campaign: \(context.campaign.name)  unit: \(context.unit.code) \(context.unit.name)"))
        say(l.say("已载入 \(context.households.count) 户; 基线 (策略自身参数): \(summary(current.plan))  [\(String(format: "%.3f", seconds)) 秒]",
                  "\(context.households.count) households loaded; baseline (the policy's own params): \(summary(current.plan))  [\(String(format: "%.3f", seconds)) s]"))
        say(l.say("输入 :help 查看命令, :quit 退出", "Type :help for the commands, :quit to leave"))
    }

    static func makeSession(store: Store, context: RunContext, policyPath: String, limits: SandboxLimits, workers: Int) throws -> PolicySession {
        try PolicySession(policy: try PolicyFile(path: policyPath), campaign: context.campaign, households: context.households,
                          limits: limits, workers: workers, vocabulary: try store.vocabulary(for: context.unit.code))
    }

    // MARK: - The loop

    /// Read and run lines until the end of input or :quit. Returns the exit status.
    func loop(reader: LineReader, echo: Bool, bail: Bool) -> Int32 {
        if interactive { reader.setCompletions(completions()) }
        var pending: [String] = []
        while true {
            let prompt = pending.isEmpty ? "warmth> " : "   ...> "
            // Whatever the last command printed is out before the next line is awaited: a program
            // driving the REPL through a pipe reads each answer before it sends the next command.
            fflush(nil)
            let line: String?
            do { line = try reader.read(prompt: interactive ? prompt : "") } catch {
                pending = []
                continue
            }
            guard let line else {
                if !pending.isEmpty { fail(l.say("输入在 Lua 代码块结束前终止", "the input ended inside an unfinished Lua chunk")); return bail ? 2 : 0 }
                return 0
            }
            if echo, !interactive { print(prompt + Masking.maskNumbers(in: line)) }  // an ID typed is echoed masked
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty, trimmed.isEmpty { continue }
            if pending.isEmpty, trimmed.hasPrefix(":") {
                reader.remember(trimmed)
                do {
                    if try !command(trimmed) { return 0 }
                } catch {
                    fail(message(of: error))
                    if bail { return 2 }
                }
                if interactive { reader.setCompletions(completions()) }
                continue
            }
            pending.append(line)
            let chunk = pending.joined(separator: "\n")
            do {
                if try luaLine(chunk) {
                    reader.remember(chunk)
                    pending = []
                }
            } catch {
                reader.remember(chunk)
                pending = []
                fail(message(of: error))
                if bail { return 2 }
            }
        }
    }

    func say(_ text: String) { print(text) }

    func fail(_ text: String) {
        fflush(nil)  // what was printed before the error comes before it
        FileHandle.standardError.write(Data((l.say("错误: ", "error: ") + Masking.maskNumbers(in: text) + "\n").utf8))
    }

    func message(of error: Error) -> String {
        if let e = error as? ParamError { return l.say(e.zh, e.en) }
        if let e = error as? BilingualError { return l == .en ? e.en : e.zh }
        if let f = error as? RunFailure, let e = f.error {
            // A policy's evaluation stopped: Ctrl-C is said plainly; the rest names the script's line.
            if case .limit(.interrupted) = e.kind { return l.say("已中断 (Ctrl-C)", "interrupted (Ctrl-C)") }
            return f.description
        }
        if let e = error as? LuaError {
            switch e.kind {
            case .limit(.instructionsPerCall), .limit(.instructionsPerRun):
                return l.say("这一行运行超过 \(ReplLua.instructionsPerLine / 100_000_000) 亿条指令, 已停止 (可能是死循环); 会话继续, 方案未变",
                             "the line ran more than \(ReplLua.instructionsPerLine) instructions and was stopped (an endless loop?); the session goes on, the plan is unchanged")
            case .limit(.time):
                return l.say("这一行运行超时, 已停止; 会话继续", "the line ran out of time and was stopped; the session goes on")
            case .limit(.interrupted):
                return l.say("已中断 (Ctrl-C); 会话继续", "interrupted (Ctrl-C); the session goes on")
            case .memory:
                return l.say("这一行用的内存超过上限, 已停止; 会话继续", "the line needed more memory than the limit and was stopped; the session goes on")
            default:
                return e.description
            }
        }
        return "\(error)"
    }

    /// What Tab completes: the commands, the params and the categories.
    func completions() -> [String] {
        Repl.commands.map { ":" + $0.name } + session.declaration.params.map(\.name)
            + Array(Set(baseline.plan.payouts.map(\.category))).sorted()
    }

    // MARK: - Commands

    struct Command {
        var name: String
        var zh: String
        var en: String
        var example: String
    }

    static let commands: [Command] = [
        Command(name: "params", zh: "各参数的类型、说明、基线值和当前值, 及读它的户数", en: "each param: kind, label, baseline and current value, and how many households read it", example: ":params"),
        Command(name: "set", zh: "改参数 (金额以元计), 随即重算", en: "change params (money in yuan), then re-evaluate", example: ":set registered=500 distressed=250"),
        Command(name: "unset", zh: "参数恢复为策略值", en: "put a param back to the policy's value", example: ":unset registered"),
        Command(name: "reset", zh: "清除全部改动 (参数和预算)", en: "drop every change (params and budget)", example: ":reset"),
        Command(name: "undo", zh: "撤销上一次改动", en: "undo the last change", example: ":undo"),
        Command(name: "budget", zh: "假设的预算 (元); off 恢复活动预算; 活动本身不改", en: "a what-if budget in yuan; off for the campaign's (the campaign is not changed)", example: ":budget 90000"),
        Command(name: "run", zh: "立即重算 (只重算读过改动参数的户)", en: "re-evaluate now (only households that read a changed param)", example: ":run"),
        Command(name: "auto", zh: "改参数后是否自动重算", en: "re-evaluate after each change, or not", example: ":auto off"),
        Command(name: "diff", zh: "方案与基线比较: 合计、预算、各类别、各单位、五档变化", en: "scenario against the baseline: totals, budget, categories, units, five bands", example: ":diff"),
        Command(name: "winners", zh: "增加最多的户 (默认 10 户)", en: "the households that gain most (10 by default)", example: ":winners 5"),
        Command(name: "losers", zh: "减少最多的户 (默认 10 户)", en: "the households that lose most (10 by default)", example: ":losers 5"),
        Command(name: "explain", zh: "一户在基线和方案中的决定、规则行和读过的参数", en: "one household's decision in the baseline and the scenario, its rule line and the params it read", example: ":explain 1024"),
        Command(name: "save", zh: "保存当前方案 (参数和预算) 到库中, 可附说明", en: "keep the scenario (params and budget) in the store, with a note", example: ":save 标准500 压缩到九万"),
        Command(name: "load", zh: "载入保存的方案", en: "load a saved scenario", example: ":load 标准500"),
        Command(name: "scenarios", zh: "列出保存的方案", en: "list the saved scenarios", example: ":scenarios"),
        Command(name: "compare", zh: "比较两个保存的方案 (base 为基线)", en: "compare two saved scenarios (base: the baseline)", example: ":compare base 标准500"),
        Command(name: "export", zh: "把当前方案逐户写入 CSV (身份证号脱敏)", en: "write the scenario's plan, row by row, to a CSV (IDs masked)", example: ":export 方案.csv"),
        Command(name: "reload", zh: "重新读取策略文件, 保留仍存在的参数改动", en: "re-read the policy file, keeping the changes to params it still has", example: ":reload"),
        Command(name: "verify", zh: "从头完整重算, 核对与增量结果一致", en: "re-evaluate from scratch and check the incremental plan is identical", example: ":verify"),
        Command(name: "mode", zh: "Lua 结果的输出格式: table、csv 或 json", en: "how Lua results print: table, csv or json", example: ":mode csv"),
        Command(name: "timer", zh: "是否显示用时", en: "show the time taken, or not", example: ":timer off"),
        Command(name: "help", zh: "本说明", en: "this list", example: ":help"),
        Command(name: "quit", zh: "退出 (或 Ctrl-D)", en: "leave (or Ctrl-D)", example: ":quit"),
    ]

    /// Run a command line; false to leave.
    func command(_ line: String) throws -> Bool {
        let body = String(line.dropFirst())
        let name = String(body.prefix { !$0.isWhitespace })
        let rest = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        let args = rest.split(whereSeparator: \.isWhitespace).map(String.init)
        switch name {
        case "quit", "q", "exit": return false
        case "help", "h", "?": help()
        case "params": showParams()
        case "set": try set(rest)
        case "unset":
            guard !args.isEmpty else { throw Failure(l.say(":unset 要写参数名, 如 :unset registered", ":unset takes a param name, e.g. :unset registered")) }
            for a in args where session.declaration.spec(a) == nil { throw unknownParam(a) }
            change { for a in args { overrides[a] = nil } }
            try afterChange()
        case "reset":
            if overrides.isEmpty, budget == nil {
                say(l.say("没有改动, 已是基线", "no changes: this is the baseline"))  // nothing for :undo to undo
            } else {
                change { overrides = [:]; budget = nil }
                try afterChange()
            }
        case "undo":
            guard let last = undo.popLast() else { throw Failure(l.say("没有可撤销的改动", "nothing to undo")) }
            overrides = last.params
            budget = last.budget
            say(l.say("已撤销; 当前改动: \(changesText())", "undone; changes now: \(changesText())"))
            try afterChange()
        case "budget": try setBudget(args)
        case "run": try evaluate()
        case "auto": auto = try onOff(args, ":auto")
        case "timer": timer = try onOff(args, ":timer")
        case "mode":
            guard let m = args.first.flatMap(Mode.init(rawValue:)) else { throw Failure(l.say(":mode 取 table、csv 或 json", ":mode takes table, csv or json")) }
            mode = m
        case "diff": try requireCurrent(); showDiff(baseline.plan, current.plan, title: nil)
        case "winners", "losers": try requireCurrent(); try showChanges(winners: name == "winners", args)
        case "explain": try explain(rest)
        case "save": try save(args)
        case "load": try load(args)
        case "scenarios": try listScenarios()
        case "compare": try compare(args)
        case "export": try export(args)
        case "reload": try reload()
        case "verify": try verify()
        default:
            throw Failure(l.say("没有命令 :\(name); 输入 :help 查看命令", "no command :\(name); type :help for the commands"))
        }
        return true
    }

    func help() {
        for c in Repl.commands {
            say("  " + pad(":" + c.name, 12) + pad(l.say(c.zh, c.en), 58) + "  " + c.example)
        }
        say(l.say("  其他输入按 Lua 执行, 可读 plan、baseline、params、campaign、w, 如  plan:by \"category\"",
                  "  Anything else runs as Lua over plan, baseline, params, campaign and w, e.g.  plan:by \"category\""))
        say(l.say("  plan:count()、plan:total() (分)、plan:where(function(p) return p.amount > w.yuan(500) end)、plan:top(10)",
                  "  plan:count(), plan:total() (fen), plan:where(function(p) return p.amount > w.yuan(500) end), plan:top(10)"))
    }

    func unknownParam(_ name: String) -> Failure {
        let names = session.declaration.params.map(\.name).joined(separator: ", ")
        return Failure(l.say("策略没有参数 “\(name)”; 它的参数有: \(names)", "the policy has no param '\(name)'; it has: \(names)"))
    }

    func onOff(_ args: [String], _ what: String) throws -> Bool {
        switch args.first {
        case "on": return true
        case "off": return false
        default: throw Failure(l.say("\(what) 取 on 或 off", "\(what) takes on or off"))
        }
    }

    private func change(_ body: () -> Void) {
        undo.append((overrides, budget))
        body()
    }

    private func afterChange() throws {
        if auto { try evaluate() } else { say(l.say("已记下; :run 重算", "noted; :run to re-evaluate")) }
    }

    func changesText() -> String {
        var parts = session.declaration.params.compactMap { spec in overrides[spec.name].map { "\(spec.name)=\(spec.show($0, english: l == .en))" } }
        if let budget { parts.append(l.say("预算=", "budget=") + budget.yuanText) }
        return parts.isEmpty ? l.say("无 (基线)", "none (the baseline)") : parts.joined(separator: " ")
    }

    /// `:set a=1 b = 2`: pairs NAME=VALUE, spaces around = allowed.
    func set(_ rest: String) throws {
        let text = rest.replacingOccurrences(of: #"\s*=\s*"#, with: "=", options: .regularExpression)
        let pairs = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !pairs.isEmpty else { throw Failure(l.say(":set 要写 名=值, 如 :set registered=500", ":set takes NAME=VALUE, e.g. :set registered=500")) }
        var parsed: [(String, String)] = []
        for p in pairs {
            let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw Failure(l.say("“\(p)” 应写作 名=值, 如 registered=500", "'\(p)' should read NAME=VALUE, e.g. registered=500")) }
            guard session.declaration.spec(parts[0]) != nil else { throw unknownParam(parts[0]) }
            parsed.append((parts[0], parts[1]))
        }
        let values = try session.parse(parsed)
        change {
            for (name, value) in values {
                overrides[name] = value == session.declaration.spec(name)?.value ? nil : value
            }
        }
        try afterChange()
    }

    func setBudget(_ args: [String]) throws {
        guard let a = args.first else {
            say(l.say("预算: \((budget ?? context.campaign.budget).yuanText)\(budget == nil ? " (活动预算)" : " (假设; 活动预算 \(context.campaign.budget.yuanText))")",
                      "budget: \((budget ?? context.campaign.budget).yuanText)\(budget == nil ? " (the campaign's)" : " (what-if; the campaign's is \(context.campaign.budget.yuanText))")"))
            return
        }
        if a == "off" {
            change { budget = nil }
        } else {
            guard let m = Money.parseYuan(a.replacingOccurrences(of: ",", with: "")), m.fen >= 0 else {
                throw Failure(l.say(":budget 要写元数, 如 :budget 90000 (或 off)", ":budget takes yuan, e.g. :budget 90000 (or off)"))
            }
            change { budget = m }
        }
        try afterChange()
    }

    func scenario(params: [String: ParamValue], budget: Money?) -> Scenario {
        var s = Scenario(params: params, budget: budget)
        s.alreadyPaid = alreadyPaid
        s.committed = committed
        return s
    }

    /// Re-evaluate the scenario from the current decisions; on failure (a limit, Ctrl-C, a cap)
    /// the previous plan stays and the change that led to it is undone.
    func evaluate() throws {
        let clock = ContinuousClock()
        let t0 = clock.now
        let session = self.session
        let wanted = scenario(params: overrides, budget: budget)
        let next: Evaluation
        do {
            next = try whileInterruptible({ session.interrupt() }) { try session.evaluate(wanted, after: current.decisions) }
        } catch {
            if let last = undo.popLast() {
                overrides = last.params
                budget = last.budget
            }
            throw Failure(message(of: error) + "\n" + l.say("保留上一个方案; 改动已撤回 (当前改动: \(changesText()))",
                                                            "the previous plan is kept; the change is withdrawn (changes now: \(changesText()))"))
        }
        let seconds = (clock.now - t0).seconds
        current = next
        evaluatedWith = (overrides, budget)
        version += 1
        let timing = timer ? l.say("  [重算 \(next.redecided) / \(context.households.count) 户, \(String(format: "%.3f", seconds)) 秒]",
                                   "  [re-decided \(next.redecided) of \(context.households.count), \(String(format: "%.3f", seconds)) s]") : ""
        say(l.say("方案: ", "scenario: ") + summary(next.plan) + timing)
    }

    func requireCurrent() throws {
        if evaluatedWith.params != overrides || evaluatedWith.budget != budget {
            say(l.say("(参数有改动尚未重算, 以下为上次结果; :run 重算)", "(changes not yet evaluated; this is the last result: :run to re-evaluate)"))
        }
    }

    /// "312 笔, ¥120,000.00 (基线 ¥130,000.00, -7.7%); 预算 ¥150,000.00, 结余 ¥30,000.00"
    func summary(_ plan: Plan) -> String {
        let total = plan.total
        let base = baselineTotal ?? total
        let budget = plan.budget - committed
        let left = budget - total
        var out = l.say("\(plan.payouts.count) 笔, 合计 \(total.yuanText)", "\(plan.payouts.count) payouts, \(total.yuanText)")
        if total != base {
            out += l.say(" (基线 \(base.yuanText), \(signedYuan(total - base)), \(percentText(total - base, of: base)))",
                         " (baseline \(base.yuanText), \(signedYuan(total - base)), \(percentText(total - base, of: base)))")
        }
        // The ledger's payouts in this campaign count against the budget (and are not paid again):
        // say so, as warmth run does, rather than show a budget less what is committed.
        let whole = committed.fen > 0 ? l.say("; 预算 \(plan.budget.yuanText), 已入账 \(committed.yuanText)", "; budget \(plan.budget.yuanText), \(committed.yuanText) committed")
            : l.say("; 预算 \(budget.yuanText)", "; budget \(budget.yuanText)")
        out += whole + (left.fen >= 0 ? l.say(", 结余 \(left.yuanText)", ", \(left.yuanText) left")
            : l.say(", 超支 \(Money(fen: -left.fen).yuanText)", ", over by \(Money(fen: -left.fen).yuanText)"))
        return out
    }

    private var baselineTotal: Money? { version == 0 && overrides.isEmpty && budget == nil ? nil : baseline.plan.total }

    // MARK: - Reading the plans

    func showParams() {
        let readers = session.declaration.params.map { session.readers(of: [$0.name], in: current.decisions).count }
        for (spec, count) in zip(session.declaration.params, readers) {
            let value = overrides[spec.name] ?? spec.value
            say("  " + ParamLine.text(name: spec.name, value: value, spec: spec, lang: l)
                + l.say("  读它的户: \(count)", "  read by \(count)"))
        }
        if let budget { say(l.say("  假设预算 \(budget.yuanText) (活动预算 \(context.campaign.budget.yuanText))", "  what-if budget \(budget.yuanText) (the campaign's is \(context.campaign.budget.yuanText))")) }
    }

    /// Units shown under the run unit's children (a city's districts).
    func grouping() throws -> (String) -> String {
        let parents = Dictionary(try store.units().map { ($0.code, $0.parentCode) }, uniquingKeysWith: { a, _ in a })
        let top = context.unit.code
        return { code in
            var c = code
            while let p = parents[c] ?? nil, p != top { c = p }
            return c
        }
    }

    func showDiff(_ a: Plan, _ b: Plan, title: String?) {
        let diff = PlanDiff(baseline: a, scenario: b)
        var report = DiffReport(diff: diff, baseline: session.declaration, scenario: b, budget: b.budget - committed, lang: l,
                                group: (try? grouping()) ?? { $0 })
        report.title = title
        print(report.text, terminator: "")
    }

    func showChanges(winners: Bool, _ args: [String]) throws {
        let n = try args.first.map { a -> Int in
            guard let n = Int(a), n > 0, n <= 10_000 else { throw Failure(l.say("户数要写 1 到 10000 的整数", "the count is a whole number from 1 to 10000")) }
            return n
        } ?? 10
        let diff = PlanDiff(baseline: baseline.plan, scenario: current.plan)
        let bands = PlanDiff.Band.allCases.map { b -> String in
            let v = diff.bands[b] ?? (0, .zero)
            return l.say("\(b.chinese) \(v.households) 户", "\(b.english) \(v.households)")
        }
        say(l.say("各户变化: ", "Households: ") + bands.joined(separator: ", "))
        let list = winners ? diff.winners(n) : diff.losers(n)
        guard !list.isEmpty else {
            say(winners ? l.say("没有增加的户", "nobody gains") : l.say("没有减少的户", "nobody loses"))
            return
        }
        let t = current.plan.households
        let rules = Dictionary(current.plan.payouts.map { ($0.household, $0.rule) }, uniquingKeysWith: { a, _ in a })
        let baseRules = Dictionary(baseline.plan.payouts.map { ($0.household, $0.rule) }, uniquingKeysWith: { a, _ in a })
        let header = [l.say("户号", "n"), l.say("身份证号", "ID"), l.say("单位", "unit"), l.say("原金额", "old"), l.say("新金额", "new"),
                      l.say("变化", "change"), l.say("规则", "rule")]
        let rows: [[String]] = list.map { c in
            [String(t.ids[c.household]), t.maskedIDNumber(at: c.household), t.unitCode(at: c.household), c.old.yuanText, c.new.yuanText,
             signedYuan(c.new - c.old), rules[c.household] ?? baseRules[c.household] ?? ""]
        }
        printTable(header, rows, rightAligned: [3, 4, 5])
    }

    func printTable(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) {
        switch mode {
        case .csv:
            say(header.map(csvCell).joined(separator: ","))
            for r in rows { say(r.map(csvCell).joined(separator: ",")) }
        case .json:
            let objects = rows.map { r in Dictionary(zip(header, r).map { ($0, $1) }, uniquingKeysWith: { a, _ in a }) }
            if let data = try? JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .withoutEscapingSlashes]) {
                say(String(decoding: data, as: UTF8.self))
            }
        case .table:
            let widths = header.indices.map { i in max(displayWidth(header[i]), rows.map { displayWidth($0[i]) }.max() ?? 0) }
            func line(_ cells: [String]) -> String {
                cells.indices.map { i in rightAligned.contains(i) ? padLeft(cells[i], widths[i]) : pad(cells[i], widths[i]) }
                    .joined(separator: "  ").replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression)
            }
            say("  " + line(header))
            for r in rows { say("  " + line(r)) }
        }
    }

    func csvCell(_ s: String) -> String {
        let safe = PlanCSV.cell(s)
        return safe.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : safe
    }

    /// The household by its number (as `warmth explain` takes it) or its 18-digit ID number.
    func household(_ key: String) throws -> Int {
        let t = context.households
        let k = key.trimmingCharacters(in: .whitespaces)
        if k.count == 18, let i = (0..<t.count).first(where: { t.idNumber(at: $0).uppercased() == k.uppercased() }) { return i }
        if let n = Int64(k), let i = t.ids.firstIndex(of: n) { return i }
        throw Failure(l.say("本次没有载入户 “\(k)”: 写户号 (如 plan:top(5) 的 n) 或 18 位身份证号",
                            "no household '\(k)' is loaded here: give its number (the n of plan:top(5)) or its 18-digit ID number"))
    }

    func explain(_ rest: String) throws {
        guard !rest.isEmpty else { throw Failure(l.say(":explain 要写户号或身份证号, 如 :explain 1024", ":explain takes a household's number or ID number, e.g. :explain 1024")) }
        let i = try household(rest)
        let t = context.households
        let h = t.household(at: i)
        say("\(h.name)  \(h.maskedIDNumber)  \(h.unitCode)  \(l.say("人口", "members")) \(h.members)  \(l.say("人均月收入", "income/person")) \(h.incomePerCapita.yuanText)")
        let bits = session.paramBits
        func describe(_ title: String, _ e: Evaluation) {
            let paid = e.plan.payouts.first { $0.household == i }
            let decided = e.decisions.decided.first { $0.household == i }
            var text = "  \(title): "
            if let paid {
                text += l.say("发放 \(paid.amount.yuanText) (\(paid.category)) — \(paid.reason)  [\(paid.rule)]",
                              "pay \(paid.amount.yuanText) (\(paid.category)) — \(paid.reason)  [\(paid.rule)]")
                if let decided, decided.amount != paid.amount {
                    text += l.say("  (decide 给 \(decided.amount.yuanText), allocate 调整后 \(paid.amount.yuanText))", "  (decide gave \(decided.amount.yuanText), allocate made it \(paid.amount.yuanText))")
                }
            } else if let decided {
                text += l.say("不发放 (decide 给 \(decided.amount.yuanText) [\(decided.rule)], 被不重或 allocate 去掉)",
                              "no payout (decide gave \(decided.amount.yuanText) [\(decided.rule)], dropped by 不重 or allocate)")
            } else {
                text += l.say("不发放 (decide 返回 nil)", "no payout (decide returned nil)")
            }
            say(text)
            let mask = i < e.decisions.masks.count ? e.decisions.masks[i] : 0
            let read = session.declaration.params.filter { bits[$0.name].map { mask & (UInt64(1) << UInt64($0)) != 0 } ?? false }
            if !read.isEmpty {
                say(l.say("    读过的参数: ", "    params read: ")
                    + read.map { "\($0.name)=\($0.show(e.decisions.params[$0.name] ?? $0.value, english: l == .en))" }.joined(separator: ", "))
            }
        }
        describe(l.say("基线", "baseline"), baseline)
        describe(l.say("方案", "scenario"), current)
        if session.declaration.hasAllocate {
            say(l.say("  注意: 该策略有 allocate 步骤, 金额按整个方案调整", "  note: this policy has an allocate step; amounts are fitted over the whole plan"))
        }
    }

    // MARK: - Saved scenarios

    /// A param's value in a saved scenario's JSON: a number (fen, a count, a percent), a
    /// boolean or a string.
    enum Stored: Codable {
        case integer(Int64), boolean(Bool), string(String)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .boolean(b) } else if let i = try? c.decode(Int64.self) { self = .integer(i) } else { self = .string(try c.decode(String.self)) }
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .integer(let i): try c.encode(i)
            case .boolean(let b): try c.encode(b)
            case .string(let s): try c.encode(s)
            }
        }
    }

    static func encode(_ params: [String: ParamValue]) -> String {
        let stored = params.mapValues { v -> Stored in
            switch v {
            case .integer(let i): .integer(i)
            case .boolean(let b): .boolean(b)
            case .string(let s): .string(s)
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(stored)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func decode(_ json: String) -> [String: ParamValue] {
        guard let stored = try? JSONDecoder().decode([String: Stored].self, from: Data(json.utf8)) else { return [:] }
        return stored.mapValues { s -> ParamValue in
            switch s {
            case .integer(let i): .integer(i)
            case .boolean(let b): .boolean(b)
            case .string(let t): .string(t)
            }
        }
    }

    func saved() throws -> [SavedScenario] {
        try store.scenarios(campaignID: context.campaign.id!, policyPath: session.policy.path)
    }

    func save(_ args: [String]) throws {
        guard let name = args.first else { throw Failure(l.say(":save 要写方案名, 如 :save 标准500", ":save takes a name, e.g. :save standard500")) }
        guard name != "base", name.count <= 64, name.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) }) else {
            throw Failure(l.say("方案名不能是 base, 最多 64 字", "a scenario's name cannot be 'base' and has at most 64 characters"))
        }
        let note = args.dropFirst().joined(separator: " ")
        let replaced = try store.saveScenario(SavedScenario(name: name, policyPath: session.policy.path, policySHA256: session.policy.sha256,
                                                            paramsJSON: Repl.encode(overrides), budget: budget, note: note,
                                                            savedBy: Operator(ProcessInfo.processInfo.environment["WARMTH_OPERATOR"])?.name ?? ""),
                                              campaignID: context.campaign.id!)
        say(l.say("已\(replaced ? "更新" : "保存")方案 “\(name)”: \(changesText())", "\(replaced ? "updated" : "saved") scenario '\(name)': \(changesText())"))
    }

    func find(_ name: String) throws -> SavedScenario {
        let all = try saved()
        guard let s = all.first(where: { $0.name == name }) else {
            let names = all.map(\.name).joined(separator: ", ")
            throw Failure(l.say("没有保存的方案 “\(name)”\(names.isEmpty ? "; 还没有保存任何方案 (:save 名称)" : "; 已有: \(names)")",
                                "no saved scenario '\(name)'\(names.isEmpty ? "; none is saved yet (:save NAME)" : "; there are: \(names)")"))
        }
        return s
    }

    /// A saved scenario's params that this policy still has, and the names it no longer has.
    func applicable(_ s: SavedScenario) -> ([String: ParamValue], [String]) {
        var kept: [String: ParamValue] = [:], dropped: [String] = []
        for (k, v) in Repl.decode(s.paramsJSON) {
            if let spec = session.declaration.spec(k), (try? spec.check(v, as: "scenario")) != nil { kept[k] = v } else { dropped.append(k) }
        }
        return (kept, dropped.sorted())
    }

    func load(_ args: [String]) throws {
        guard let name = args.first else { throw Failure(l.say(":load 要写方案名", ":load takes a scenario's name")) }
        let s = try find(name)
        let (params, dropped) = applicable(s)
        if !dropped.isEmpty { say(l.say("注意: 策略已没有参数 \(dropped.joined(separator: ", ")), 略去", "note: the policy no longer has \(dropped.joined(separator: ", ")); left out")) }
        if s.policySHA256 != session.policy.sha256 { say(l.say("注意: 策略文件在保存该方案后已改动", "note: the policy file changed after this scenario was saved")) }
        change { overrides = params; budget = s.budget }
        say(l.say("已载入方案 “\(name)”: \(changesText())", "loaded scenario '\(name)': \(changesText())"))
        try afterChange()
    }

    func listScenarios() throws {
        let all = try saved()
        guard !all.isEmpty else { return say(l.say("还没有保存的方案 (:save 名称)", "no scenario is saved yet (:save NAME)")) }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        let rows = all.map { s -> [String] in
            let params = Repl.decode(s.paramsJSON).sorted { $0.key < $1.key }.map { k, v in
                "\(k)=\(session.declaration.spec(k)?.show(v, english: l == .en) ?? v.description)"
            }
            return [s.name, (params + (s.budget.map { [l.say("预算=", "budget=") + $0.yuanText] } ?? [])).joined(separator: " "), s.note,
                    s.savedBy, formatter.string(from: s.savedAt)]
        }
        printTable([l.say("方案", "name"), l.say("改动", "changes"), l.say("说明", "note"), l.say("保存人", "by"), l.say("保存时间", "saved")], rows)
    }

    /// The plan of a saved scenario ("base": the baseline), from the baseline's decisions.
    func plan(of name: String) throws -> Plan {
        if name == "base" { return baseline.plan }
        let s = try find(name)
        let (params, _) = applicable(s)
        let session = self.session
        let wanted = scenario(params: params, budget: s.budget)
        let base = baseline.decisions
        return try whileInterruptible({ session.interrupt() }) { try session.evaluate(wanted, after: base).plan }
    }

    func compare(_ args: [String]) throws {
        guard args.count == 2 else { throw Failure(l.say(":compare 要写两个方案名, 如 :compare base 标准500", ":compare takes two names, e.g. :compare base standard500")) }
        let a = try plan(of: args[0]), b = try plan(of: args[1])
        showDiff(a, b, title: l.say("\n方案 “\(args[1])” 与 “\(args[0])” 比较:\n", "\nScenario '\(args[1])' against '\(args[0])':\n"))
    }

    func export(_ args: [String]) throws {
        guard let path = args.first, path.hasSuffix(".csv") else { throw Failure(l.say(":export 要写 .csv 文件名, 如 :export 方案.csv", ":export takes a .csv file name, e.g. :export plan.csv")) }
        try requireCurrent()
        try PlanCSV.write(current.plan, to: path)
        say(l.say("方案已写入 \(path) (\(current.plan.payouts.count) 行)", "plan written to \(path) (\(current.plan.payouts.count) rows)"))
    }

    func reload() throws {
        let clock = ContinuousClock()
        let t0 = clock.now
        let fresh = try Repl.makeSession(store: store, context: context, policyPath: policyPath, limits: limits, workers: workers)
        var kept: [String: ParamValue] = [:], dropped: [String] = []
        for (k, v) in overrides {
            if let spec = fresh.declaration.spec(k), (try? spec.check(v, as: "reload")) != nil { kept[k] = v } else { dropped.append(k) }
        }
        let first = try whileInterruptible({ fresh.interrupt() }) { try fresh.evaluate(scenario(params: [:], budget: nil), after: nil) }
        let next = try whileInterruptible({ fresh.interrupt() }) { try fresh.evaluate(scenario(params: kept, budget: budget), after: first.decisions) }
        session = fresh
        baseline = first
        current = next
        overrides = kept
        undo = []
        evaluatedWith = (kept, budget)
        version += 1
        if !dropped.isEmpty { say(l.say("策略已没有参数 \(dropped.sorted().joined(separator: ", ")) (或其值已不合要求), 改动略去", "the policy no longer has \(dropped.sorted().joined(separator: ", ")) (or the value no longer fits); dropped")) }
        say(l.say("已重新读取 \(policyPath); 基线: \(baseline.plan.payouts.count) 笔, 合计 \(baseline.plan.total.yuanText)",
                  "re-read \(policyPath); baseline: \(baseline.plan.payouts.count) payouts, \(baseline.plan.total.yuanText)")
            + (timer ? "  [\(String(format: "%.3f", (clock.now - t0).seconds)) \(l.say("秒", "s"))]" : ""))
        say(l.say("方案: ", "scenario: ") + summary(current.plan))
    }

    func verify() throws {
        try requireCurrent()
        let clock = ContinuousClock()
        let t0 = clock.now
        let session = self.session
        let wanted = scenario(params: evaluatedWith.params, budget: evaluatedWith.budget)
        let full = try whileInterruptible({ session.interrupt() }) { try session.evaluate(wanted) }
        let seconds = (clock.now - t0).seconds
        let timing = timer ? "  [\(String(format: "%.3f", seconds)) \(l.say("秒", "s"))]" : ""
        if full.payouts == current.plan.payouts {
            say(l.say("核对一致: 完整重算 \(context.households.count) 户, \(full.payouts.count) 笔, 合计 \(full.total.yuanText), 与增量结果逐笔相同",
                      "verified: a full re-evaluation of \(context.households.count) households gives the same \(full.payouts.count) payouts (\(full.total.yuanText)) as the incremental one") + timing)
        } else {
            let diff = PlanDiff(baseline: full, scenario: current.plan)
            throw Failure(l.say("核对不一致: 增量结果与完整重算有 \(diff.changes.count) 户不同 (完整 \(full.total.yuanText), 增量 \(current.plan.total.yuanText)); 策略的决定可能依赖户以外的状态 (如跨户计数)",
                                "verification failed: the incremental plan differs from a full re-evaluation for \(diff.changes.count) households (full \(full.total.yuanText), incremental \(current.plan.total.yuanText)); the policy's decisions may depend on state beyond the household (a count kept across households)"))
        }
    }

    // MARK: - Lua lines

    /// Run a Lua line (or chunk); false when it is not complete yet.
    func luaLine(_ source: String) throws -> Bool {
        if lua == nil { lua = try ReplLua(limits: limits, vocabulary: try store.vocabulary(for: context.unit.code)) }
        let lua = self.lua!
        if luaShows != version {
            try lua.show(current: current.plan, baseline: baseline.plan, params: current.decisions.params, campaign: context.campaign)
            luaShows = version
        }
        let clock = ContinuousClock()
        let t0 = clock.now
        let interrupter = lua.interrupter
        let outcome = try whileInterruptible({ interrupter.interrupt() }) { try lua.run(source) }
        guard case .values(let values, let printed) = outcome else { return false }
        for p in printed { say(p) }
        for v in values { show(v) }
        if timer, (clock.now - t0).seconds >= 0.1 { say(String(format: l.say("  [%.3f 秒]", "  [%.3f s]"), (clock.now - t0).seconds)) }
        return true
    }

    func show(_ v: ReplLua.Value) {
        if let text = v.text { return say(text) }
        if v.columns.isEmpty { return say(l.say("(空)", "(empty)")) }
        let amountColumns = Set(v.columns.indices.filter { v.columns[$0] == "amount" })
        let rows = v.rows.map { row in
            row.indices.map { i -> String in
                switch row[i] {
                case .integer(let n) where amountColumns.contains(i): Money(fen: n).yuanText
                case .integer(let n): String(n)
                case .string(let s): s
                default: "\(row[i])"
                }
            }
        }
        let header = v.columns.map { $0 == "amount" ? l.say("amount(元)", "amount") : $0 }
        let numeric = Set(v.columns.indices.filter { i in v.rows.allSatisfy { i < $0.count && $0[i].integerValue != nil } })
        printTable(header, rows, rightAligned: numeric)
        if mode == .table {
            var foot = v.total > v.rows.count ? l.say("  … 共 \(v.total) 行, 显示前 \(v.rows.count) 行", "  … \(v.total) rows, the first \(v.rows.count) shown")
                : l.say("  共 \(v.total) 行", "  \(v.total) rows")
            if let sum = v.sum { foot += l.say(", 合计 \(sum.yuanText)", ", \(sum.yuanText) in all") }
            say(foot)
        }
    }
}
