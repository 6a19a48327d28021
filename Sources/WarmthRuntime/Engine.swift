import Foundation
import WarmthDomain
import WarmthLua

/// What to run, on what.
public struct RunRequest: Sendable {
    public var policy: PolicyFile
    public var campaign: Campaign
    /// The households in the run's unit scope, in a fixed order (by id).
    public var households: HouseholdTable
    /// `--set NAME=VALUE` overrides, as typed.
    public var overrides: [(String, String)]
    public var limits: SandboxLimits
    public var stdlib: String
    public var workers: Int
    public var keepGoing: Bool
    public var maxErrors: Int
    /// Record which params the decisions read (for `warmth explain`).
    public var trackParams = false
    /// The categories and causes the run's unit sees (its organisers' own added to the national ones).
    public var vocabulary: VocabularyView = .national
    /// Record, for each household left unpaid, the policy line its decision ended on (the 不漏
    /// check); decisions that fail are collected as with keep-going.
    public var traceLines = false
    /// Households (by store id) already paid in this campaign: they are not paid again (不重),
    /// and `allocate` sees the plan without them.
    public var alreadyPaid: Set<Int64> = []
    /// What the ledger already holds for the campaign: `allocate` fits the plan to the budget
    /// that is left.
    public var committed: Money = .zero
    /// A worker builds and decides at most this many households at a time, so the Lua heap
    /// stays bounded however large the dataset (about 1 KB per household).
    public var chunkSize = 500_000
    /// Called about ten times a second from another thread while households are decided, with
    /// (decided, total). For a progress bar.
    public var progress: (@Sendable (Int, Int) -> Void)?

    public init(policy: PolicyFile, campaign: Campaign, households: HouseholdTable, overrides: [(String, String)] = [],
                limits: SandboxLimits = SandboxLimits(), stdlib: String = ModulePaths.defaultStdlib(),
                workers: Int = Engine.defaultWorkers, keepGoing: Bool = false, maxErrors: Int = 100) {
        self.policy = policy
        self.campaign = campaign
        self.households = households
        self.overrides = overrides
        self.limits = limits
        self.stdlib = stdlib
        self.workers = workers
        self.keepGoing = keepGoing
        self.maxErrors = maxErrors
    }
}

/// Runs policies: one fresh sandbox per worker thread, each deciding its share of the
/// households, then caps, the optional allocate step, and the plan.
public enum Engine {
    /// One worker per core.
    public static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Lua needs deep C stacks for deep recursion: workers get their own threads with this much.
    static let workerStackBytes = 64 << 20

    /// Evaluate a policy over the households: a dry run. Nothing is written anywhere.
    public static func evaluate(_ request: RunRequest) throws -> Plan {
        let households = request.households
        let workers = max(1, min(request.workers, households.count / 2_000 + 1))
        let shardSize = (households.count + workers - 1) / max(workers, 1)
        let shards: [Range<Int>] = (0..<workers).map { w in
            let lo = min(households.count, w * shardSize)
            return lo..<min(households.count, lo + shardSize)
        }
        let paths = ModulePaths(stdlib: request.stdlib, unit: request.policy.folder)

        struct ShardResult: Sendable {
            var payouts: [PlannedPayout] = []
            var errors: [DecisionError] = []
            var name = ""
            var params: [String: ParamValue] = [:]
            var caps: Caps?
            var within: String?
            var hasAllocate = false
            var modules: [LoadedModule] = []
            var printed: [String] = []
            var paramsRead: [String] = []
            var nilLines: [Int: Int] = [:]
            var buildSeconds = 0.0
            var decideSeconds = 0.0
            var luaBytes = 0
        }

        // The columns every worker's households read, shared (they are immutable).
        let columns = ShardEvaluator.columns(for: households, referenceDate: request.campaign.referenceDate)
        let probes = ProbeBox(shards.count)
        let monitor = request.progress.map { report in ProgressMonitor(probes: probes, shards: shards, report: report) }
        defer { monitor?.stop() }
        let results = try runOnWorkers(shards.count) { w -> ShardResult in
            let evaluator = try ShardEvaluator(policy: request.policy, table: households, range: shards[w], paths: paths, limits: request.limits, vocabulary: request.vocabulary)
            probes.set(w, evaluator.lua.progressProbe)
            defer {
                probes.set(w, nil)
                withExtendedLifetime(evaluator) {}
                withExtendedLifetime(columns) {}
            }
            try evaluator.loadPolicy()
            var params = evaluator.declaredParams
            for (name, text) in request.overrides {
                guard let current = params[name] else {
                    let known = params.isEmpty ? "it declares none" : "it has: " + params.keys.sorted().joined(separator: ", ")
                    throw RunFailure("--set \(name): the policy has no param '\(name)'; \(known)")
                }
                params[name] = try ParamValue.parse(text, like: current, name: name)
            }
            // A large share is built and decided in chunks, so the Lua heap stays bounded.
            let share = shards[w]
            let chunks = stride(from: share.lowerBound, to: max(share.upperBound, share.lowerBound + 1), by: request.chunkSize).map {
                $0..<min(share.upperBound, $0 + request.chunkSize)
            }
            let clock = ContinuousClock()
            var build = Duration.zero, decide = Duration.zero
            var outcome = ShardEvaluator.Outcome(payouts: [], errors: [])
            for (k, chunk) in chunks.enumerated() {
                let t0 = clock.now
                try evaluator.buildHouseholds(columns: columns, chunk: chunks.count > 1 ? chunk : nil)
                let t1 = clock.now
                let part = try evaluator.decideAll(params: params, campaign: request.campaign, keepGoing: request.keepGoing,
                                                   maxErrors: request.maxErrors - outcome.errors.count,
                                                   trackParams: request.trackParams, traceLines: request.traceLines, continuing: k > 0)
                decide += clock.now - t1
                build += t1 - t0
                outcome.payouts += part.payouts
                outcome.errors += part.errors
                outcome.nilLines.merge(part.nilLines) { a, _ in a }
                outcome.paramsRead += part.paramsRead.filter { !outcome.paramsRead.contains($0) }
                if request.keepGoing, outcome.errors.count >= request.maxErrors { break }
            }
            return ShardResult(payouts: outcome.payouts, errors: outcome.errors, name: evaluator.policyName, params: params,
                               caps: evaluator.caps, within: evaluator.within, hasAllocate: evaluator.hasAllocate,
                               modules: evaluator.sandbox.loaded,
                               // Every worker runs the script's top level; keep its prints once.
                               printed: w == 0 ? evaluator.sandbox.printed : Array(evaluator.sandbox.printed.dropFirst(evaluator.printedWhileLoading)),
                               paramsRead: outcome.paramsRead, nilLines: outcome.nilLines, buildSeconds: build.secondsValue,
                               decideSeconds: decide.secondsValue, luaBytes: evaluator.lua.peakBytes)
        }

        let first = results[0]
        var payouts = results.flatMap(\.payouts)
        let errors = Array(results.flatMap(\.errors).prefix(request.maxErrors))

        // Caps: the policy's own, and those of the parent policy it runs within.
        var caps: [Caps] = []
        if let own = first.caps, !own.isEmpty { caps.append(own) }
        if let within = first.within {
            caps += try parentCaps(within, from: request.policy, stdlib: request.stdlib, limits: request.limits)
        }
        try checkCaps(payouts, caps: caps, households: households)

        // 不重: households already paid in this campaign, by any unit, are not paid again.
        var duplicates = 0
        if !request.alreadyPaid.isEmpty {
            let before = payouts.count
            payouts.removeAll { request.alreadyPaid.contains(households.ids[$0.household]) }
            duplicates = before - payouts.count
        }

        if first.hasAllocate, !payouts.isEmpty {
            let planned = payouts
            let left = request.campaign.budget - request.committed
            payouts = try runOnWorkers(1) { _ in
                let shard = try ShardEvaluator(policy: request.policy, table: households, range: 0..<0, paths: paths, limits: request.limits, vocabulary: request.vocabulary)
                try shard.loadPolicy()
                return try shard.allocate(planned, campaign: request.campaign, budget: Money(fen: max(0, left.fen)))
            }[0]
            try checkCaps(payouts, caps: caps, households: households)
        }

        var plan = Plan(policyName: first.name, policy: request.policy, households: households, payouts: payouts, errors: errors,
                        params: first.params, modules: first.modules, caps: caps, printed: results.flatMap(\.printed))
        plan.duplicates = duplicates
        plan.within = first.within
        plan.hasAllocate = first.hasAllocate
        for r in results { plan.nilLines.merge(r.nilLines) { a, _ in a } }
        plan.timings = Plan.Timings(build: results.map(\.buildSeconds).max() ?? 0, decide: results.map(\.decideSeconds).max() ?? 0,
                                    luaBytes: results.map(\.luaBytes).reduce(0, +), workers: results.count)
        var seen = Set<String>()
        plan.paramsRead = results.flatMap(\.paramsRead).filter { seen.insert($0).inserted }
        return plan
    }

    /// Caps declared by the policy at `path` (relative to the working folder, or to the child's
    /// folder), and by the policy that one runs within, up the tree.
    static func parentCaps(_ path: String, from child: PolicyFile, stdlib: String, limits: SandboxLimits) throws -> [Caps] {
        var found: [Caps] = []
        var next: String? = path
        var base = child
        var seen: Set<String> = [child.path]
        while let p = next {
            let candidates = [p, (base.folder as NSString).appendingPathComponent(p)]
            guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw RunFailure("\(base.path): within = \"\(p)\": no such policy file")
            }
            let parent = try PolicyFile(path: file)
            guard !seen.contains(parent.path) else { throw RunFailure("\(parent.path): the `within` chain loops back on itself") }
            seen.insert(parent.path)
            let result = try runOnWorkers(1) { _ -> (Caps?, String?) in
                let shard = try ShardEvaluator(policy: parent, table: HouseholdTable(), range: 0..<0, paths: ModulePaths(stdlib: stdlib, unit: parent.folder), limits: limits)
                try shard.loadPolicy()
                return (shard.caps, shard.within)
            }[0]
            if let c = result.0, !c.isEmpty { found.append(c) }
            next = result.1
            base = parent
        }
        return found
    }

    static func checkCaps(_ payouts: [PlannedPayout], caps: [Caps], households: HouseholdTable) throws {
        guard !caps.isEmpty else { return }
        var perHousehold: [Int: Money] = [:]
        for p in payouts {
            perHousehold[p.household, default: .zero] += p.amount
            for c in caps {
                if let limit = c.perCategory[p.category], p.amount > limit {
                    throw RunFailure("\(p.rule): household \(households.maskedIDNumber(at: p.household)) would get \(p.amount.yuanText) as \(p.category), over the cap of \(limit.yuanText) set by \(c.source)")
                }
                if let limit = c.perHousehold, perHousehold[p.household]! > limit {
                    throw RunFailure("\(p.rule): household \(households.maskedIDNumber(at: p.household)) would get \(perHousehold[p.household]!.yuanText) in all, over the cap of \(limit.yuanText) per household set by \(c.source)")
                }
            }
        }
    }

    /// Run `body(w)` for w in 0..<count, each on a new thread with an ample stack; rethrow the
    /// first failure (by worker order, so errors are deterministic).
    static func runOnWorkers<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
        let box = ResultBox<T>(count)
        let group = DispatchGroup()
        for w in 0..<count {
            group.enter()
            let thread = Thread {
                let r = Result { try body(w) }
                box.lock.lock()
                box.results[w] = r
                box.lock.unlock()
                group.leave()
            }
            thread.stackSize = workerStackBytes
            thread.start()
        }
        group.wait()
        return try box.results.map { try $0!.get() }
    }
}


/// Results from worker threads, guarded by a lock.
final class ResultBox<T: Sendable>: @unchecked Sendable {
    var results: [Result<T, Error>?]
    let lock = NSLock()
    init(_ n: Int) { results = Array(repeating: nil, count: n) }
}

extension Duration {
    var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The workers' progress probes, for the monitor thread.
final class ProbeBox: @unchecked Sendable {
    private var probes: [LuaProgressProbe?]
    private var finished: [Bool]
    private let lock = NSLock()
    init(_ n: Int) {
        probes = Array(repeating: nil, count: n)
        finished = Array(repeating: false, count: n)
    }
    func set(_ k: Int, _ p: LuaProgressProbe?) {
        lock.lock()
        probes[k] = p
        if p == nil { finished[k] = true }
        lock.unlock()
    }
    /// Households decided so far in shard k (its probe is read under the lock, so the state
    /// cannot close while it is read).
    func decided(_ k: Int, size: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        if finished[k] { return size }
        guard let p = probes[k] else { return 0 }
        return max(0, min(size, Int(p.index)))
    }
}

/// Reports progress about ten times a second until stopped.
final class ProgressMonitor: @unchecked Sendable {
    private let thread: Thread

    init(probes: ProbeBox, shards: [Range<Int>], report: @escaping @Sendable (Int, Int) -> Void) {
        let total = shards.reduce(0) { $0 + $1.count }
        let box = StopBox()
        thread = Thread {
            while !box.isStopped {
                let done = shards.indices.reduce(0) { $0 + probes.decided($1, size: shards[$1].count) }
                report(done, total)
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        self.box = box
        thread.start()
    }

    private let box: StopBox

    func stop() { box.stop() }
}

final class StopBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
    func stop() { lock.lock(); stopped = true; lock.unlock() }
}
