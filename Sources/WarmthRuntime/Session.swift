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
        try run(scenario, previous: nil, record: false).plan
    }

    /// Evaluate, recording which params each decision read; given the decisions of an earlier
    /// evaluation, re-decide only the households whose decision read a param that changed since
    /// (a decision depends only on its household, the params and the campaign), then run the
    /// caps, 不重 and `allocate` over the whole updated plan. The plan is the one a full
    /// evaluation gives (`verify` checks it).
    public func evaluate(_ scenario: Scenario, after previous: Decisions?) throws -> Evaluation {
        try run(scenario, previous: previous, record: true)
    }

    /// The bit of a param in the read masks: one per param in name order; the 64th and later
    /// params share the last bit (a change to one of them re-decides the readers of all).
    public var paramBits: [String: Int] { Dictionary(uniqueKeysWithValues: declaration.params.enumerated().map { ($1.name, min($0, 63)) }) }

    /// The households whose decision read any of `names`, according to `decisions`.
    public func readers(of names: some Sequence<String>, in decisions: Decisions) -> [Int] {
        let bits = paramBits
        let mask = names.reduce(UInt64(0)) { m, name in m | (bits[name].map { UInt64(1) << UInt64($0) } ?? 0) }
        guard mask != 0 else { return [] }
        return decisions.masks.indices.filter { decisions.masks[$0] & mask != 0 }
    }

    /// One piece of a worker's share: a run of households, or listed ones.
    enum Segment: Sendable {
        case range(Range<Int>)
        case rows([Int])
        var count: Int { switch self { case .range(let r): r.count; case .rows(let r): r.count } }
    }

    private func run(_ scenario: Scenario, previous: Decisions?, record: Bool) throws -> Evaluation {
        let params = try params(for: scenario)
        let n = households.count
        // With earlier decisions, only the households that read a changed param are decided again.
        var redo: [Int]?
        if let previous, previous.masks.count == n, !scenario.keepGoing, !scenario.traceLines, !scenario.trackParams {
            let changed = declaration.params.map(\.name).filter { params[$0] != previous.params[$0] }
            redo = readers(of: changed, in: previous)
        }
        let masks = record ? MaskBuffer(copying: previous?.masks, count: n) : nil
        let decided = try decide(params: params, scenario: scenario, only: redo, masks: masks)

        var payouts = decided.payouts
        if let redo, let previous {
            // The earlier decisions of the households not re-decided, with the new ones, in household order.
            var again = [Bool](repeating: false, count: n)
            for i in redo { again[i] = true }
            var merged: [PlannedPayout] = []
            merged.reserveCapacity(previous.decided.count + decided.payouts.count)
            var fresh = decided.payouts.makeIterator()
            var next = fresh.next()
            for old in previous.decided where !again[old.household] {
                while let p = next, p.household < old.household { merged.append(p); next = fresh.next() }
                merged.append(old)
            }
            while let p = next { merged.append(p); next = fresh.next() }
            payouts = merged
        }
        let plan = try finish(decided: payouts, params: params, scenario: scenario, results: decided)
        let decisions = Decisions(params: params, decided: payouts, masks: masks?.array ?? [])
        return Evaluation(plan: plan, decisions: decisions, redecided: redo?.count ?? n)
    }

    struct Decided: Sendable {
        var payouts: [PlannedPayout] = []
        var errors: [DecisionError] = []
        var printed: [String] = []
        var paramsRead: [String] = []
        var nilLines: [Int: Int] = [:]
        var buildSeconds = 0.0
        var decideSeconds = 0.0
        var luaBytes = 0
        var workers = 0
    }

    /// Decide the households (all, or those listed in `only`, ascending) on the workers.
    private func decide(params: [String: ParamValue], scenario: Scenario, only: [Int]?, masks: MaskBuffer?) throws -> Decided {
        let count = only?.count ?? households.count
        let workers = max(1, min(self.workers, count / 2_000 + 1))
        let chunkSize = max(1, self.chunkSize)
        // Each worker gets a contiguous share, decided chunk by chunk to bound the Lua heap.
        let shareSize = (count + workers - 1) / max(workers, 1)
        let shares: [[Segment]] = (0..<workers).map { w in
            let lo = min(count, w * shareSize), hi = min(count, lo + shareSize)
            let pieces = stride(from: lo, to: max(hi, lo + 1), by: chunkSize).map { $0..<min(hi, $0 + chunkSize) }
            return pieces.map { piece in
                if let only { return .rows(Array(only[piece])) }
                return .range(piece)
            }
        }
        let shardSizes = shares.map { $0.reduce(0) { $0 + $1.count } }
        let shardRanges: [Range<Int>] = shardSizes.indices.map { w in
            let lo = shardSizes[..<w].reduce(0, +)
            return lo..<lo + shardSizes[w]
        }
        let households = self.households
        let (policy, paths, limits, vocabulary, columns, campaign) = (self.policy, self.paths, self.limits, self.vocabulary, self.columns, self.campaign)
        let declared = declaration.params
        let bits = masks == nil ? nil : paramBits
        let interrupts = self.interrupts
        let probes = ProbeBox(workers)
        let monitor = scenario.progress.map { report in ProgressMonitor(probes: probes, shards: shardRanges, report: report) }
        defer { monitor?.stop() }
        let results = try Engine.runOnWorkers(workers) { w -> Decided in
            let evaluator = try ShardEvaluator(policy: policy, table: households, range: 0..<0, paths: paths, limits: limits, vocabulary: vocabulary)
            probes.set(w, evaluator.lua.progressProbe)
            let stop = interrupts.add(evaluator.lua.interrupter)
            defer {
                interrupts.remove(stop)
                probes.set(w, nil)
                withExtendedLifetime(evaluator) {}
                withExtendedLifetime(columns) {}
            }
            try evaluator.loadPolicy()
            // The script runs afresh in each sandbox; its declaration must be the session's.
            guard evaluator.paramSpecs.map(\.name) == declared.map(\.name) else {
                throw RunFailure("\(policy.path): the policy declared other params than when the session began; reload it")
            }
            let clock = ContinuousClock()
            var build = Duration.zero, decide = Duration.zero
            var out = Decided()
            for (k, segment) in shares[w].enumerated() {
                let t0 = clock.now
                switch segment {
                case .range(let r): try evaluator.buildHouseholds(columns: columns, chunk: r)
                case .rows(let rows): try evaluator.buildHouseholds(columns: columns, rows: rows)
                }
                let t1 = clock.now
                // Masks land in the session's buffer: in place for a run of households, through
                // a scratch buffer for listed ones.
                var scratch: UnsafeMutableBufferPointer<UInt64>?
                var target: UnsafeMutableBufferPointer<UInt64>?
                if let masks {
                    switch segment {
                    case .range(let r): target = UnsafeMutableBufferPointer(rebasing: masks.buffer[r])
                    case .rows(let rows):
                        scratch = .allocate(capacity: max(rows.count, 1))
                        scratch!.initialize(repeating: 0)
                        target = UnsafeMutableBufferPointer(rebasing: scratch![0..<rows.count])
                    }
                }
                defer { scratch?.deallocate() }
                let part = try evaluator.decideAll(params: params, campaign: campaign, keepGoing: scenario.keepGoing,
                                                   maxErrors: scenario.maxErrors - out.errors.count,
                                                   trackParams: scenario.trackParams, traceLines: scenario.traceLines, continuing: k > 0,
                                                   paramBits: bits, masks: target)
                if let masks, case .rows(let rows) = segment, let scratch {
                    for (j, row) in rows.enumerated() { masks.buffer[row] = scratch[j] }
                }
                decide += clock.now - t1
                build += t1 - t0
                out.payouts += part.payouts
                out.errors += part.errors
                out.nilLines.merge(part.nilLines) { a, _ in a }
                out.paramsRead += part.paramsRead.filter { !out.paramsRead.contains($0) }
                if scenario.keepGoing, out.errors.count >= scenario.maxErrors { break }
            }
            // Every worker runs the script's top level; its prints are kept once (the session's).
            out.printed = Array(evaluator.sandbox.printed.dropFirst(evaluator.printedWhileLoading))
            out.buildSeconds = build.secondsValue
            out.decideSeconds = decide.secondsValue
            out.luaBytes = evaluator.lua.peakBytes
            return out
        }
        var all = Decided()
        all.payouts = results.flatMap(\.payouts)
        all.errors = Array(results.flatMap(\.errors).prefix(scenario.maxErrors))
        all.printed = results.flatMap(\.printed)
        for r in results { all.nilLines.merge(r.nilLines) { a, _ in a } }
        var seen = Set<String>()
        all.paramsRead = results.flatMap(\.paramsRead).filter { seen.insert($0).inserted }
        all.buildSeconds = results.map(\.buildSeconds).max() ?? 0
        all.decideSeconds = results.map(\.decideSeconds).max() ?? 0
        all.luaBytes = results.map(\.luaBytes).reduce(0, +)
        all.workers = results.count
        return all
    }

    /// The caps, 不重 and `allocate` over the decided payouts, and the plan.
    private func finish(decided: [PlannedPayout], params: [String: ParamValue], scenario: Scenario, results: Decided) throws -> Plan {
        var payouts = decided
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
            let (policy, paths, limits, vocabulary, households, campaign) = (self.policy, self.paths, self.limits, self.vocabulary, self.households, self.campaign)
            let interrupts = self.interrupts
            payouts = try Engine.runOnWorkers(1) { _ in
                let shard = try ShardEvaluator(policy: policy, table: households, range: 0..<0, paths: paths, limits: limits, vocabulary: vocabulary)
                let stop = interrupts.add(shard.lua.interrupter)
                defer { interrupts.remove(stop) }
                try shard.loadPolicy()
                return try shard.allocate(planned, campaign: campaign, budget: Money(fen: max(0, left.fen)))
            }[0]
            try Engine.checkCaps(payouts, caps: caps, households: households)
        }

        var plan = Plan(policyName: declaration.name, policy: policy, households: households, payouts: payouts, errors: results.errors,
                        params: params, modules: modules, caps: caps, printed: loadingPrints + results.printed)
        plan.paramSpecs = declaration.params
        plan.budget = budget
        plan.duplicates = duplicates
        plan.within = declaration.within
        plan.hasAllocate = declaration.hasAllocate
        plan.nilLines = results.nilLines
        plan.timings = Plan.Timings(build: results.buildSeconds, decide: results.decideSeconds, luaBytes: results.luaBytes, workers: results.workers)
        plan.paramsRead = results.paramsRead
        return plan
    }

    /// Stop the evaluation under way, from any thread (Ctrl-C in the REPL): it fails with an
    /// interrupted error, and the session can evaluate again.
    public func interrupt() { interrupts.interruptAll() }

    private let interrupts = Interrupts()
}

/// What an evaluation decided, kept so that a what-if re-decides only the households whose
/// decision read a param that changed.
public struct Decisions: Sendable {
    /// The params the decisions were made with.
    public internal(set) var params: [String: ParamValue]
    /// The payouts `decide` returned, before caps, 不重 and `allocate`, in household order.
    public internal(set) var decided: [PlannedPayout]
    /// Per household, the params its decision read: bit `PolicySession.paramBits[name]`.
    public internal(set) var masks: [UInt64]
}

/// A plan with the decisions behind it, and how many households were decided for it.
public struct Evaluation: Sendable {
    public var plan: Plan
    public var decisions: Decisions
    public var redecided: Int
}

/// The read masks of one evaluation, written by the workers in disjoint places.
final class MaskBuffer: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<UInt64>
    /// The masks, one per household.
    let buffer: UnsafeMutableBufferPointer<UInt64>
    init(copying old: [UInt64]?, count: Int) {
        storage = .allocate(capacity: max(count, 1))
        storage.initialize(repeating: 0)
        buffer = UnsafeMutableBufferPointer(rebasing: storage[0..<count])
        if let old, old.count == count { _ = buffer.update(fromContentsOf: old) }
    }
    var array: [UInt64] { Array(buffer) }
    deinit { storage.deallocate() }
}

/// The Lua states evaluating now, so that one call can interrupt them all.
final class Interrupts: @unchecked Sendable {
    private let lock = NSLock()
    private var live: [Int: LuaInterrupter] = [:]
    private var next = 0

    func add(_ i: LuaInterrupter) -> Int {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        live[next] = i
        return next
    }

    func remove(_ k: Int) {
        lock.lock()
        live[k] = nil
        lock.unlock()
    }

    func interruptAll() {
        lock.lock()
        for i in live.values { i.interrupt() }
        lock.unlock()
    }
}
