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

    /// Evaluate a policy over the households: a dry run. Nothing is written anywhere. A
    /// one-shot over a `PolicySession`: keep a session to evaluate the same policy again.
    public static func evaluate(_ request: RunRequest) throws -> Plan {
        let session = try PolicySession(policy: request.policy, campaign: request.campaign, households: request.households,
                                        limits: request.limits, stdlib: request.stdlib, workers: request.workers,
                                        vocabulary: request.vocabulary)
        session.chunkSize = request.chunkSize
        var scenario = Scenario(params: try session.parse(request.overrides))
        scenario.keepGoing = request.keepGoing
        scenario.maxErrors = request.maxErrors
        scenario.trackParams = request.trackParams
        scenario.traceLines = request.traceLines
        scenario.alreadyPaid = request.alreadyPaid
        scenario.committed = request.committed
        scenario.progress = request.progress
        return try session.evaluate(scenario)
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
