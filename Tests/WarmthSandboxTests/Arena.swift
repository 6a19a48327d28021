import Foundation
import Testing
import WarmthData
import WarmthDomain
import WarmthLua
import WarmthRuntime
import WarmthStore

/// The repository's root, found from this file.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let stdlibFolder = repoRoot.appendingPathComponent("stdlib").path

/// Limits small enough to keep the suite fast; each hostile script hits one of them quickly.
func smallLimits() -> SandboxLimits {
    var l = SandboxLimits()
    l.instructionsPerDecision = 200_000
    l.instructionsPerRun = 20_000_000
    l.instructionsToLoad = 2_000_000
    l.instructionsForAllocate = 5_000_000
    l.memoryBytes = 16 << 20
    l.seconds = 2
    return l
}

/// A policy whose `decide` body starts on line 3 of the script.
func decide(_ body: String) -> String {
    """
    local w = require "warmth"
    return w.policy { name = "hostile", decide = function(h, p, c)
    \(body)
    end }
    """
}

/// One attack's world: a fixture store with a campaign, a temporary folder holding the unit's
/// script, and the checks made after every attack — the store is unchanged (same households,
/// empty ledger, no run recorded) and no file appeared in the folder or in the working folder.
final class Arena {
    let folder: URL
    let unitFolder: URL
    let store: Store
    let campaign: Campaign
    let households: [Household]

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("warmth-hostile-\(UUID().uuidString)")
        unitFolder = folder.appendingPathComponent("unit")
        try FileManager.default.createDirectory(at: unitFolder, withIntermediateDirectories: true)
        store = try Store.inMemory()
        let importer = Importer(store: store, latestBirthYear: 2026)
        _ = try importer.importUnits(file: repoRoot.appendingPathComponent("scripts/fixtures/units.csv").path)
        _ = try importer.importHouseholds(file: repoRoot.appendingPathComponent("scripts/fixtures/households.csv").path)
        campaign = try store.createCampaign(Campaign(name: "2026元旦春节送温暖", unitCode: "S000", start: Day("2025-12-20")!,
                                                     end: Day("2026-02-10")!, budget: Money(yuan: 20_000)))
        households = try store.households()
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// The first household decided, masked as every message names it.
    var first: String { households[0].maskedIDNumber }

    /// Write the unit's script (or one of its modules) into the unit's folder.
    @discardableResult
    func write(_ name: String, _ data: Data) -> String {
        let path = unitFolder.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: data)
        return path
    }

    func policy(_ source: String, name: String = "policy.lua") -> PolicyFile {
        try! PolicyFile(path: write(name, Data(source.utf8)))
    }

    /// Run a policy over the fixture as `warmth run` would (a dry run), then check that the
    /// attack left nothing behind.
    func run(_ policy: PolicyFile, limits: SandboxLimits = smallLimits(), keepGoing: Bool = false,
             households: [Household]? = nil, workers: Int = 2) -> Result<Plan, any Error> {
        let filesBefore = Arena.files(under: folder)
        let workingBefore = Arena.files(under: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), deep: false)
        let result = Result {
            try Engine.evaluate(RunRequest(policy: policy, campaign: campaign, households: HouseholdTable(households ?? self.households),
                                           limits: limits, stdlib: stdlibFolder, workers: workers, keepGoing: keepGoing))
        }
        #expect(Arena.files(under: folder) == filesBefore, "the script created a file in its folder")
        #expect(Arena.files(under: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), deep: false) == workingBefore,
                "the script created a file in the working folder")
        checkStore()
        return result
    }

    /// The store is as the fixture made it: same households, an empty ledger, no runs.
    func checkStore() {
        #expect((try? store.households()) == households, "the households changed")
        #expect((try? store.ledger(campaignID: campaign.id!))?.isEmpty == true, "the ledger is not empty")
        #expect((try? store.runs(campaignID: campaign.id!))?.isEmpty == true, "a run was recorded")
        #expect((try? store.paidHouseholds(campaignID: campaign.id!))?.isEmpty == true, "a household is marked paid")
    }

    /// Run a script that must fail; return the message a person reads.
    func failure(_ source: String, limits: SandboxLimits = smallLimits(), keepGoing: Bool = false,
                 sourceLocation: SourceLocation = #_sourceLocation) -> (message: String, policy: PolicyFile) {
        let p = policy(source)
        switch run(p, limits: limits, keepGoing: keepGoing) {
        case .success(let plan):
            Issue.record("the hostile script ran to the end (\(plan.eligible) payouts)", sourceLocation: sourceLocation)
            return ("", p)
        case .failure(let error):
            return (String(describing: error), p)
        }
    }

    /// Run a script that must succeed; return its plan.
    func plan(_ source: String, limits: SandboxLimits = smallLimits(), keepGoing: Bool = false,
              households: [Household]? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> Plan {
        try run(policy(source), limits: limits, keepGoing: keepGoing, households: households).get()
    }

    static func files(under url: URL, deep: Bool = true) -> Set<String> {
        let fm = FileManager.default
        if !deep { return Set((try? fm.contentsOfDirectory(atPath: url.path)) ?? []) }
        var out: Set<String> = []
        if let e = fm.enumerator(atPath: url.path) { while let p = e.nextObject() as? String { out.insert(p) } }
        return out
    }
}

/// Run `body` on a thread with a stack as deep as the engine's workers get (for a Sandbox used
/// directly: Lua's C recursion needs more than a test thread's stack).
final class ResultSlot<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
    init() {}
}

func onWorkerThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    let box = ResultSlot<T>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.result = Result { try body() }
        done.signal()
    }
    thread.stackSize = 64 << 20
    thread.start()
    done.wait()
    return try box.result!.get()
}
