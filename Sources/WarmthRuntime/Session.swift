import Foundation
import WarmthDomain
import WarmthLua

/// What a policy declares, read once per session: its name, its params with their kinds, the
/// caps of the whole `within` chain, and whether it has an `allocate` step.
public struct PolicyDeclaration: Sendable {
    public var name: String
    /// By name.
    public var params: [ParamSpec]
    /// The policy's own caps first, then those of each policy up the `within` chain.
    public var caps: [Caps]
    public var within: String?
    public var hasAllocate: Bool

    public func spec(_ name: String) -> ParamSpec? { params.first { $0.name == name } }

    /// The params' values as the policy declares them.
    public var values: [String: ParamValue] { Dictionary(uniqueKeysWithValues: params.map { ($0.name, $0.value) }) }
}

/// One evaluation's inputs beyond the session's: params changed from the policy's own, a
/// what-if budget, and what the ledger already holds.
public struct Scenario: Sendable {
    /// Params changed from the policy's own values (checked against their kinds).
    public var params: [String: ParamValue]
    /// A budget to fit `allocate` to instead of the campaign's (the campaign is not changed).
    public var budget: Money?
    public var keepGoing = false
    public var maxErrors = 100
    /// Record which params the decisions read (for `warmth explain`).
    public var trackParams = false
    /// Record, for each household left unpaid, the policy line its decision ended on.
    public var traceLines = false
    /// Households (by store id) already paid in this campaign: not paid again (不重).
    public var alreadyPaid: Set<Int64> = []
    /// What the ledger already holds for the campaign: `allocate` fits the plan to what is left.
    public var committed: Money = .zero
    /// Called about ten times a second from another thread with (decided, total).
    public var progress: (@Sendable (Int, Int) -> Void)?

    public init(params: [String: ParamValue] = [:], budget: Money? = nil) {
        self.params = params
        self.budget = budget
    }
}

/// A policy kept warm over one set of households: the declaration is read and the households'
/// columns are built once, and the policy is evaluated as often as asked (one `warmth run`, one
/// test file, one REPL).
///
/// The session caches only what cannot depend on the script's state: the columns (immutable
/// data) and the declaration. Every evaluation runs in fresh sandboxes, so it gives exactly what
/// a fresh `warmth run` with the same params gives, and nothing a script leaves behind (a
/// global, a stash in a library table) reaches the next evaluation.
public final class PolicySession: @unchecked Sendable {
    public let policy: PolicyFile
    public let campaign: Campaign
    public let households: HouseholdTable
    public let limits: SandboxLimits
    public let stdlib: String
    public let workers: Int
    public let vocabulary: VocabularyView
    public let declaration: PolicyDeclaration
    /// A worker builds and decides at most this many households at a time.
    public var chunkSize = 500_000
    /// The columns every evaluation's households read (immutable, shared by the workers).
    let columns: LuaHouseholdColumns
    let paths: ModulePaths
    private let modules: [LoadedModule]
    private let loadingPrints: [String]

    public init(policy: PolicyFile, campaign: Campaign, households: HouseholdTable, limits: SandboxLimits = SandboxLimits(),
                stdlib: String = ModulePaths.defaultStdlib(), workers: Int = Engine.defaultWorkers,
                vocabulary: VocabularyView = .national) throws {
        self.policy = policy
        self.campaign = campaign
        self.households = households
        self.limits = limits
        self.stdlib = stdlib
        self.workers = workers
        self.vocabulary = vocabulary
        let paths = ModulePaths(stdlib: stdlib, unit: policy.folder)
        self.paths = paths
        struct Declared: Sendable {
            var name: String, params: [ParamSpec], caps: Caps?, within: String?, hasAllocate: Bool, modules: [LoadedModule], printed: [String]
        }
        let d = try Engine.runOnWorkers(1) { _ -> Declared in
            let e = try ShardEvaluator(policy: policy, table: HouseholdTable(), range: 0..<0, paths: paths, limits: limits, vocabulary: vocabulary)
            try e.loadPolicy()
            return Declared(name: e.policyName, params: e.paramSpecs, caps: e.caps, within: e.within, hasAllocate: e.hasAllocate,
                            modules: e.sandbox.loaded, printed: e.sandbox.printed)
        }[0]
        var caps: [Caps] = []
        if let own = d.caps, !own.isEmpty { caps.append(own) }
        if let within = d.within { caps += try Engine.parentCaps(within, from: policy, stdlib: stdlib, limits: limits) }
        declaration = PolicyDeclaration(name: d.name, params: d.params, caps: caps, within: d.within, hasAllocate: d.hasAllocate)
        modules = d.modules
        loadingPrints = d.printed
        columns = ShardEvaluator.columns(for: households, referenceDate: campaign.referenceDate)
    }

    /// The same policy over other households or another campaign, reusing this session's
    /// declaration (the script is not read again: for a test file's many small evaluations).
    public init(declaredBy other: PolicySession, campaign: Campaign, households: HouseholdTable, workers: Int? = nil) {
        policy = other.policy
        self.campaign = campaign
        self.households = households
        limits = other.limits
        stdlib = other.stdlib
        self.workers = workers ?? other.workers
        vocabulary = other.vocabulary
        paths = other.paths
        declaration = other.declaration
        modules = other.modules
        loadingPrints = []
        columns = ShardEvaluator.columns(for: households, referenceDate: campaign.referenceDate)
    }

    /// `--set NAME=VALUE` pairs as typed, parsed by each param's kind.
    public func parse(_ settings: [(String, String)]) throws -> [String: ParamValue] {
        var out: [String: ParamValue] = [:]
        for (name, text) in settings {
            guard let spec = declaration.spec(name) else { throw unknownParam(name, as: "--set \(name)") }
            out[name] = try spec.parse(text)
        }
        return out
    }

    func unknownParam(_ name: String, as what: String) -> ParamError {
        let names = declaration.params.map(\.name)
        let zhKnown = names.isEmpty ? "它没有声明参数" : "它的参数有: " + names.joined(separator: ", ")
        let enKnown = names.isEmpty ? "it declares none" : "it has: " + names.joined(separator: ", ")
        return ParamError(zh: "\(what): 策略 \(policy.path) 没有参数 “\(name)”; \(zhKnown)",
                          en: "\(what): the policy \(policy.path) has no param '\(name)'; \(enKnown)")
    }

    /// The params an evaluation uses: the policy's own, with the scenario's changes checked.
    public func params(for scenario: Scenario) throws -> [String: ParamValue] {
        var params = declaration.values
        for (name, value) in scenario.params {
            guard let spec = declaration.spec(name) else { throw unknownParam(name, as: "params") }
            try spec.check(value, as: "params")
            params[name] = value
        }
        return params
    }

    /// Evaluate the policy over the session's households: a dry run, nothing written anywhere.
    public func evaluate(_ scenario: Scenario = Scenario()) throws -> Plan {
        let params = try params(for: scenario)
        let households = self.households
        let workers = max(1, min(self.workers, households.count / 2_000 + 1))
        let shardSize = (households.count + workers - 1) / max(workers, 1)
        let shards: [Range<Int>] = (0..<workers).map { w in
            let lo = min(households.count, w * shardSize)
            return lo..<min(households.count, lo + shardSize)
        }
        struct ShardResult: Sendable {
            var payouts: [PlannedPayout] = []
            var errors: [DecisionError] = []
            var printed: [String] = []
            var paramsRead: [String] = []
            var nilLines: [Int: Int] = [:]
            var buildSeconds = 0.0
            var decideSeconds = 0.0
            var luaBytes = 0
        }
        let (policy, paths, limits, vocabulary, columns, campaign, chunkSize) = (self.policy, self.paths, self.limits, self.vocabulary, self.columns, self.campaign, self.chunkSize)
        let declared = declaration.params
        let probes = ProbeBox(shards.count)
        let monitor = scenario.progress.map { report in ProgressMonitor(probes: probes, shards: shards, report: report) }
        defer { monitor?.stop() }
        let results = try Engine.runOnWorkers(shards.count) { w -> ShardResult in
            let evaluator = try ShardEvaluator(policy: policy, table: households, range: shards[w], paths: paths, limits: limits, vocabulary: vocabulary)
            probes.set(w, evaluator.lua.progressProbe)
            defer {
                probes.set(w, nil)
                withExtendedLifetime(evaluator) {}
                withExtendedLifetime(columns) {}
            }
            try evaluator.loadPolicy()
            // The script runs afresh in each sandbox; its declaration must be the session's.
            guard evaluator.paramSpecs.map(\.name) == declared.map(\.name) else {
                throw RunFailure("\(policy.path): the policy declared other params than when the session began; reload it")
            }
            let share = shards[w]
            let chunks = stride(from: share.lowerBound, to: max(share.upperBound, share.lowerBound + 1), by: chunkSize).map {
                $0..<min(share.upperBound, $0 + chunkSize)
            }
            let clock = ContinuousClock()
            var build = Duration.zero, decide = Duration.zero
            var outcome = ShardEvaluator.Outcome(payouts: [], errors: [])
            for (k, chunk) in chunks.enumerated() {
                let t0 = clock.now
                try evaluator.buildHouseholds(columns: columns, chunk: chunks.count > 1 ? chunk : nil)
                let t1 = clock.now
                let part = try evaluator.decideAll(params: params, campaign: campaign, keepGoing: scenario.keepGoing,
                                                   maxErrors: scenario.maxErrors - outcome.errors.count,
                                                   trackParams: scenario.trackParams, traceLines: scenario.traceLines, continuing: k > 0)
                decide += clock.now - t1
                build += t1 - t0
                outcome.payouts += part.payouts
                outcome.errors += part.errors
                outcome.nilLines.merge(part.nilLines) { a, _ in a }
                outcome.paramsRead += part.paramsRead.filter { !outcome.paramsRead.contains($0) }
                if scenario.keepGoing, outcome.errors.count >= scenario.maxErrors { break }
            }
            return ShardResult(payouts: outcome.payouts, errors: outcome.errors,
                               // Every worker runs the script's top level; its prints are kept once (the session's).
                               printed: Array(evaluator.sandbox.printed.dropFirst(evaluator.printedWhileLoading)),
                               paramsRead: outcome.paramsRead, nilLines: outcome.nilLines, buildSeconds: build.secondsValue,
                               decideSeconds: decide.secondsValue, luaBytes: evaluator.lua.peakBytes)
        }

        var payouts = results.flatMap(\.payouts)
        let errors = Array(results.flatMap(\.errors).prefix(scenario.maxErrors))
        let caps = declaration.caps
        try Engine.checkCaps(payouts, caps: caps, households: households)

        // 不重: households already paid in this campaign, by any unit, are not paid again.
        var duplicates = 0
        if !scenario.alreadyPaid.isEmpty {
            let before = payouts.count
            payouts.removeAll { scenario.alreadyPaid.contains(households.ids[$0.household]) }
            duplicates = before - payouts.count
        }

        let budget = scenario.budget ?? campaign.budget
        if declaration.hasAllocate, !payouts.isEmpty {
            let planned = payouts
            let left = budget - scenario.committed
            payouts = try Engine.runOnWorkers(1) { _ in
                let shard = try ShardEvaluator(policy: policy, table: households, range: 0..<0, paths: paths, limits: limits, vocabulary: vocabulary)
                try shard.loadPolicy()
                return try shard.allocate(planned, campaign: campaign, budget: Money(fen: max(0, left.fen)))
            }[0]
            try Engine.checkCaps(payouts, caps: caps, households: households)
        }

        var plan = Plan(policyName: declaration.name, policy: policy, households: households, payouts: payouts, errors: errors,
                        params: params, modules: modules, caps: caps, printed: loadingPrints + results.flatMap(\.printed))
        plan.paramSpecs = declaration.params
        plan.budget = budget
        plan.duplicates = duplicates
        plan.within = declaration.within
        plan.hasAllocate = declaration.hasAllocate
        for r in results { plan.nilLines.merge(r.nilLines) { a, _ in a } }
        plan.timings = Plan.Timings(build: results.map(\.buildSeconds).max() ?? 0, decide: results.map(\.decideSeconds).max() ?? 0,
                                    luaBytes: results.map(\.luaBytes).reduce(0, +), workers: results.count)
        var seen = Set<String>()
        plan.paramsRead = results.flatMap(\.paramsRead).filter { seen.insert($0).inserted }
        return plan
    }
}
