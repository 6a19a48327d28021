import Foundation
import WarmthDomain
import WarmthLua

/// A failure that stops a run: the script, the line, the household, and what to do.
public struct RunFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
    public var error: LuaError?
    public init(_ description: String, error: LuaError? = nil) {
        self.description = description
        self.error = error
    }
}

extension Campaign: LuaReadOnlyObject {
    public var luaKind: String { "campaign" }
    public var luaFields: LuaTable {
        LuaTable(fields: [
            "name": .string(name), "unit": .string(unitCode), "start": .string(start.description),
            "finish": .string(end.description), "reference_date": .string(referenceDate.description),
            "budget": .integer(budget.fen), "phase": .string(phase.rawValue),
            "funds": .table(LuaTable(fields: Dictionary(funds.map { ($0.source, LuaValue.integer($0.amount.fen)) }, uniquingKeysWith: { a, _ in a }))),
        ])
    }
}

/// One worker's share of a run: a fresh sandbox, its households, the policy, the decisions.
final class ShardEvaluator {
    let sandbox: Sandbox
    let policy: PolicyFile
    /// All the run's households; this worker decides `range` of them (the current chunk of
    /// its share, when the share is decided in chunks).
    let table: HouseholdTable
    private(set) var range: Range<Int>
    /// When set, the households being decided are these rows (in this order), not `range`.
    private(set) var rows: [Int]?
    var lua: LuaState { sandbox.lua }
    private(set) var policyTable: LuaReference!
    private(set) var householdArray: LuaReference!
    private(set) var policyName = ""
    private(set) var declaredParams: [String: ParamValue] = [:]
    /// The params with their kinds, by name.
    private(set) var paramSpecs: [ParamSpec] = []
    private(set) var caps: Caps?
    private(set) var within: String?
    private(set) var hasAllocate = false

    init(policy: PolicyFile, table: HouseholdTable, range: Range<Int>, paths: ModulePaths, limits: SandboxLimits,
         vocabulary: VocabularyView = .national) throws {
        self.policy = policy
        self.table = table
        self.range = range
        sandbox = try Sandbox(paths: paths, limits: limits, vocabulary: vocabulary)
    }

    /// Phase one: run the script's top level under a small budget to declare its policy.
    /// How many lines the script printed while its top level ran.
    private(set) var printedWhileLoading = 0

    func loadPolicy() throws {
        defer { printedWhileLoading = sandbox.printed.count }
        let loaded: Result<LuaReference, LuaError> = Result { () throws(LuaError) -> LuaReference in
            let chunk = try lua.load(policy.source, chunkName: policy.path)
            return try lua.call(chunk.reference, [], results: 1)[0]
        }
        switch loaded {
        case .success(let table): policyTable = table
        case .failure(let error): throw failure(error, at: 0)
        }
        try lua.withTable(policyTable) { t in
            guard case .boolean(true) = t.field("__warmth_policy") else {
                throw RunFailure("\(policy.path): the script must end with `return w.policy { ... }` (it returned something else)")
            }
            guard case .string(let name) = t.field("name") else { throw RunFailure("\(policy.path): the policy has no name") }
            // The name is printed at the head of every report: one line of plain text.
            guard !name.isEmpty, name.count <= 100, !name.unicodeScalars.contains(where: ShardEvaluator.isControl) else {
                throw RunFailure("\(policy.path): the policy's name must be one line of plain text of at most 100 characters, without control characters")
            }
            policyName = name
            if case .string(let w) = t.field("within") { within = w }
            if case .other("function") = t.field("allocate") { hasAllocate = true }
            _ = try t.withField("params") { p in
                for key in p.stringKeys {
                    switch p.field(key) {
                    case .integer(let i): declaredParams[key] = .integer(i)
                    case .string(let s): declaredParams[key] = .string(s)
                    case .boolean(let b): declaredParams[key] = .boolean(b)
                    default: throw RunFailure("\(policy.path): param \(key) must be an integer (fen), a string or a boolean")
                    }
                }
            }
            let kinds = try t.withField("param_specs") { p in try ShardEvaluator.readParamSpecs(p, params: declaredParams, source: policy.path) } ?? [:]
            // A param without a spec (a policy table built by hand, not by w.policy): an
            // integer is money, as before params had kinds.
            paramSpecs = declaredParams.keys.sorted().map { name in
                kinds[name] ?? ParamSpec(name: name, kind: ShardEvaluator.inferredKind(declaredParams[name]!), value: declaredParams[name]!)
            }
            for spec in paramSpecs {
                do { try spec.check(spec.value, as: policy.path) } catch let e as ParamError { throw RunFailure(e.en) }
            }
            caps = try t.withField("caps") { c in try ShardEvaluator.readCaps(c, source: policy.path) }
            let funds = try t.withField("funds") { f -> [String: String] in
                var out: [String: String] = [:]
                for key in f.stringKeys {
                    guard case .string(let source) = f.field(key), Vocabulary.fundingSources.contains(source) else {
                        throw RunFailure("\(policy.path): funds[\"\(key)\"] must name a funding source: \(Vocabulary.fundingSources.joined(separator: "、"))")
                    }
                    out[key] = source
                }
                return out
            }
            if let funds, !funds.isEmpty {
                if caps == nil { caps = Caps(source: policy.path) }
                caps!.funds = funds
            }
        }
    }

    static func inferredKind(_ v: ParamValue) -> ParamKind {
        switch v {
        case .integer: .money
        case .boolean: .flag
        case .string: .text
        }
    }

    /// The kinds, labels, references and bounds `w.policy` records for its params, checked again
    /// here (a policy table may be built by hand).
    static func readParamSpecs(_ p: borrowing LuaState.TableReader, params: [String: ParamValue], source: String) throws -> [String: ParamSpec] {
        var out: [String: ParamSpec] = [:]
        for name in p.stringKeys {
            guard let value = params[name] else { continue }
            // The fields are read first: a nested function may not capture the borrowed reader.
            let fields = p.withField(name) { f in (f.field("kind"), f.field("label"), f.field("ref"), f.field("min"), f.field("max")) }
            guard let fields else { throw RunFailure("\(source): param \(name)'s spec is not a table") }
            guard case .string(let k) = fields.0, let kind = ParamKind(rawValue: k) else {
                throw RunFailure("\(source): param \(name) has no kind money, count, flag, percent or text")
            }
            func text(_ field: LuaState.TableReader.Field, _ key: String) throws -> String? {
                switch field {
                case .nil: return nil
                case .string(let s) where s.utf8.count <= 200 && !s.unicodeScalars.contains(where: isControl): return s
                default: throw RunFailure("\(source): param \(name)'s \(key) must be plain text of at most 200 bytes")
                }
            }
            func bound(_ field: LuaState.TableReader.Field, _ key: String) throws -> Int64? {
                switch field {
                case .nil: return nil
                case .integer(let i): return i
                default: throw RunFailure("\(source): param \(name)'s \(key) must be an integer")
                }
            }
            let spec: ParamSpec? = ParamSpec(name: name, kind: kind, value: value, label: try text(fields.1, "label"), reference: try text(fields.2, "ref"),
                                             min: try bound(fields.3, "min"), max: try bound(fields.4, "max"))
            if let spec { out[name] = spec }
        }
        return out
    }

    static func readCaps(_ c: borrowing LuaState.TableReader, source: String) throws -> Caps {
        var caps = Caps(source: source)
        switch c.field("per_household") {
        case .nil: break
        case .integer(let i) where i >= 0: caps.perHousehold = Money(fen: i)
        default: throw RunFailure("\(source): caps.per_household must be an amount in fen")
        }
        _ = try c.withField("categories") { cats in
            for key in cats.stringKeys {
                guard case .integer(let i) = cats.field(key), i >= 0 else {
                    throw RunFailure("\(source): the cap for \(key) must be an amount in fen")
                }
                caps.perCategory[key] = Money(fen: i)
            }
        }
        return caps
    }

    /// Build the read-only households this worker decides on (by default its whole share;
    /// a chunk of it when the share is decided chunk by chunk, to bound memory).
    func buildHouseholds(columns: LuaHouseholdColumns, chunk: Range<Int>? = nil) throws {
        rows = nil
        if let chunk {
            householdArray = nil
            lua.collectGarbage()
            range = chunk
        }
        householdArray = try ShardEvaluator.makeHouseholds(in: sandbox, columns: columns, range: range)
    }

    /// Build the households of the listed rows only (a what-if re-decides those whose decision
    /// read a changed param).
    func buildHouseholds(columns: LuaHouseholdColumns, rows: [Int]) throws {
        householdArray = nil
        lua.collectGarbage()
        self.rows = rows
        try sandbox.prepareHouseholdClass()
        householdArray = lua.makeHouseholds(columns, rows: rows)
    }

    /// Build households in a sandbox: an array of `range.count` read-only objects that read the
    /// run's columns in place (the fields are listed in `CLuaBridge/households.c` and in
    /// stdlib/README.md), with the methods `h:is`, `h:has`, `h:categories()`, `h:causes()`,
    /// `h:cause_count()`.
    static func makeHouseholds(in sandbox: Sandbox, columns: LuaHouseholdColumns, range: Range<Int>) throws -> LuaReference {
        try sandbox.prepareHouseholdClass()
        return sandbox.lua.makeHouseholds(columns, range: range)
    }

    /// The columns a run's households read, with ages at the reference date.
    static func columns(for t: HouseholdTable, referenceDate: Day) -> LuaHouseholdColumns {
        var age = [Int16](repeating: 0, count: t.count)
        var male = [UInt8](repeating: 0, count: t.count)
        for i in 0..<t.count {
            age[i] = Int16(clamping: t.age(at: i, on: referenceDate))
            male[i] = t.isMale(at: i) ? 1 : 0
        }
        return LuaHouseholdColumns(
            ids: t.ids, income: t.income, categories: t.categories, causes: t.causes, members: t.members,
            fileStatus: t.fileStatus, difficulty: t.difficulty, mainCause: t.mainCause, identity: t.identity, units: t.units, unitCodes: t.unitCodes,
            registeredOn: t.registeredOn, age: age, male: male, names: t.nameBytes, nameOffsets: t.nameOffsets,
            liveBelow: Vocabulary.liveFileStatuses.count)
    }

    /// The host's driver loop: decides every household inside one protected call. It writes
    /// the index of the household being decided into `progress[1]`, which both names the
    /// household when a decision fails and restarts the per-decision instruction budget.
    static let driverSource = """
        local pcall, type = ...
        return function(H, decide, params, campaign, progress, out_i, out_p, keep_going, max_errors, err_i, err_m, commit)
          local n, e = 0, 0
          if keep_going then
            for i = 1, #H do
              progress[1] = i
              local ok, p = pcall(decide, H[i], params, campaign)
              if commit then commit(i) end
              if ok then
                if p ~= nil then n = n + 1; out_i[n] = i; out_p[n] = p end
              else
                e = e + 1; err_i[e] = i
                err_m[e] = type(p) == "string" and p or "(error object is a " .. type(p) .. " value)"
                if e >= max_errors then break end
              end
            end
          elseif commit then
            for i = 1, #H do
              progress[1] = i
              local p = decide(H[i], params, campaign)
              commit(i)
              if p ~= nil then n = n + 1; out_i[n] = i; out_p[n] = p end
            end
          else
            for i = 1, #H do
              progress[1] = i
              local p = decide(H[i], params, campaign)
              if p ~= nil then n = n + 1; out_i[n] = i; out_p[n] = p end
            end
          end
          progress[1] = 0
          return n
        end
        """

    /// The driver for the 不漏 check: as with keep-going, and for each household decide left
    /// unpaid, the last line of the policy it ran.
    static let tracingDriverSource = """
        local pcall, type = ...
        return function(H, decide, params, campaign, progress, out_i, out_p, max_errors, err_i, err_m, last_line, nil_i, nil_l)
          local n, e, m = 0, 0, 0
          for i = 1, #H do
            progress[1] = i
            last_line()
            local ok, p = pcall(decide, H[i], params, campaign)
            local line = last_line()
            if ok then
              if p ~= nil then n = n + 1; out_i[n] = i; out_p[n] = p else m = m + 1; nil_i[m] = i; nil_l[m] = line end
            else
              e = e + 1; err_i[e] = i
              err_m[e] = type(p) == "string" and p or "(error object is a " .. type(p) .. " value)"
              if e >= max_errors then break end
            end
          end
          progress[1] = 0
          return n
        end
        """

    struct Outcome {
        var payouts: [PlannedPayout]
        var errors: [DecisionError]
        /// With `traceLines`: household index → the policy line its decision ended on (nil).
        var nilLines: [Int: Int] = [:]
        /// With `trackParams`: the params the decisions read, in first-read order.
        var paramsRead: [String] = []
    }

    /// A params view that records which params are read (for `warmth explain`).
    static let trackingParamsSource = """
        local data, used = ...
        local seen = {}
        return setmetatable({}, {
          __index = function(_, k)
            if not seen[k] then seen[k] = true; used[#used + 1] = k end
            return data[k]
          end,
          __newindex = function(_, k) error("attempt to write field '" .. tostring(k) .. "' of a read-only params", 2) end,
          __metatable = "params",
        })
        """

    /// Phase two: decide every household.
    /// With `masks` (and `paramBits`, a bit per param), each decision's read mask is stored at
    /// `masks[k]` for the k-th household decided (0-based, in this chunk's order).
    func decideAll(params: [String: ParamValue], campaign: Campaign, keepGoing: Bool, maxErrors: Int,
                   trackParams: Bool = false, traceLines: Bool = false, continuing: Bool = false,
                   paramBits: [String: Int]? = nil, masks: UnsafeMutableBufferPointer<UInt64>? = nil) throws -> Outcome {
        let keepGoing = keepGoing || traceLines
        let limits = sandbox.limits
        let paramsTable = try lua.reference(.table(LuaTable(fields: params.mapValues(\.lua))))
        let recording = masks != nil && paramBits != nil && !traceLines
        let paramsData = recording ? try lua.trackingParams(of: paramsTable, bits: paramBits!) : try lua.readOnlyView(of: paramsTable, kind: "params")
        var paramsRef = paramsData
        let used = lua.newTable()
        if trackParams {
            paramsRef = try lua.call(try lua.load(ShardEvaluator.trackingParamsSource, chunkName: "=warmth-explain").reference,
                                     [paramsData, used], results: 1)[0]
        }
        let campaignRef = try lua.reference(readOnly: campaign)
        let decide = lua.fieldReference(policyTable, "decide")
        // The driver gets the pcall and type the sandbox started with, not the globals the
        // script's top level may have replaced.
        let driver = try lua.call(try lua.load(traceLines ? ShardEvaluator.tracingDriverSource : ShardEvaluator.driverSource, chunkName: "=warmth-driver").reference,
                                  [sandbox.pristine.pcall, sandbox.pristine.type], results: 1)[0]
        let nilI = lua.newTable(), nilL = lua.newTable()
        if traceLines { lua.traceLines(in: policy.path) }
        defer { if traceLines { lua.traceLines(in: nil) } }
        let progress = lua.newTable(), outI = lua.newTable(), outP = lua.newTable(), errI = lua.newTable(), errM = lua.newTable()

        lua.memoryLimit = lua.bytesInUse + limits.memoryBytes
        // The per-run budget spans every chunk of this worker's share.
        if !continuing { lua.resetRun() }
        lua.setInstructionLimits(perCall: limits.instructionsPerDecision > 0 ? limits.instructionsPerDecision : nil,
                                 perRun: limits.instructionsPerRun > 0 ? limits.instructionsPerRun : nil)
        lua.setDeadline(after: limits.seconds > 0 ? limits.seconds : nil)
        lua.useProgressTable(progress)
        if recording { lua.recordMasks(masks!.baseAddress, count: masks!.count) }
        defer {
            lua.useProgressTable(nil)
            lua.setDeadline(after: nil)
            if recording { lua.recordMasks(nil, count: 0) }
        }
        let count: Int
        do {
            let households: LuaReference = householdArray
            let maxRef = try lua.reference(.integer(Int64(maxErrors)))
            let args: [LuaReference]
            if traceLines {
                args = [households, decide, paramsRef, campaignRef, progress, outI, outP, maxRef, errI, errM, lua.helper("last_line"), nilI, nilL]
            } else {
                args = [households, decide, paramsRef, campaignRef, progress, outI, outP, try lua.reference(.boolean(keepGoing)), maxRef, errI, errM]
                    + (recording ? [lua.helper("commit_mask")] : [])
            }
            let r = try lua.call(driver, args, results: 1)
            guard case .integer(let n) = try lua.value(of: r[0]) else { throw RunFailure("the driver returned no count") }
            count = Int(n)
        } catch let error as LuaError {
            let index = try lua.withTable(progress) { t -> Int in
                if case .integer(let i) = t.item(1) { return Int(i) }
                return 0
            }
            throw failure(error, at: index)
        }

        var payouts: [PlannedPayout] = []
        payouts.reserveCapacity(count)
        var strings: [String: String] = [:]  // interning: most categories and reasons repeat
        func keep(_ s: String) -> String {
            if let k = strings[s] { return k }
            strings[s] = s
            return s
        }
        let rows = self.rows, lower = range.lowerBound
        // The household (an index into the run's table) at a 0-based position of this chunk.
        func row(_ k: Int) -> Int { rows?[k] ?? lower + k }
        try lua.withTable(outI) { indices in
            try lua.withTable(outP) { pays in
                for k in 1...max(count, 1) where count > 0 {
                    guard case .integer(let i) = indices.item(k) else { continue }
                    let index = Int(i) - 1
                    let payout = try pays.withItem(k) { p in
                        try validate(p, household: row(index), intern: keep)
                    }
                    guard let payout else {
                        let what = pays.item(k)
                        throw failure(LuaError(kind: .value, message: "\(policy.path): decide returned \(ShardEvaluator.describe(what)); return nil or w.pay(amount, category, reason)"), at: index + 1)
                    }
                    payouts.append(payout)
                }
            }
        }
        var errors: [DecisionError] = []
        if keepGoing {
            try lua.withTable(errI) { ei in
                try lua.withTable(errM) { em in
                    for k in 0..<ei.count {
                        guard case .integer(let i) = ei.item(k + 1) else { continue }
                        var message = "(no message)"
                        if case .string(let m) = em.item(k + 1) { message = m }
                        var error = lua.scriptError(message)
                        if error.chunk == nil, !error.message.hasPrefix(policy.path) { error.message = "\(policy.path): \(error.message)" }
                        errors.append(DecisionError(household: row(Int(i) - 1), maskedIDNumber: table.maskedIDNumber(at: row(Int(i) - 1)),
                                                    error: error))
                    }
                }
            }
        }
        var read: [String] = []
        if trackParams {
            try lua.withTable(used) { t in
                for k in 0..<t.count { if case .string(let s) = t.item(k + 1) { read.append(s) } }
            }
        }
        var nilLines: [Int: Int] = [:]
        if traceLines {
            try lua.withTable(nilI) { ni in
                try lua.withTable(nilL) { nl in
                    for k in 0..<ni.count {
                        if case .integer(let i) = ni.item(k + 1), case .integer(let line) = nl.item(k + 1) { nilLines[row(Int(i) - 1)] = Int(line) }
                    }
                }
            }
        }
        return Outcome(payouts: payouts, errors: errors, nilLines: nilLines, paramsRead: read)
    }

    static func describe(_ f: LuaState.TableReader.Field) -> String {
        switch f {
        case .nil: "nil"
        case .boolean(let b): "the boolean \(b)"
        case .integer(let i): "the number \(i)"
        case .number(let d): "the number \(d)"
        case .string(let s): "the string \"\(s.prefix(40))\""
        case .bytes: "a string"
        case .table: "a table"
        case .other(let t): "a \(t)"
        }
    }

    /// Name the household (masked) and the limit, and say how to raise it.
    func failure(_ error: LuaError, at index: Int) -> RunFailure {
        var text = error.description
        // No script line is known (a memory error, or a tail call hid the frame): name the script.
        if error.chunk == nil, !text.hasPrefix(policy.path) { text = "\(policy.path): \(text)" }
        if index > 0 {
            text += " (household \(table.maskedIDNumber(at: rows?[index - 1] ?? range.lowerBound + index - 1)))"
        }
        switch error.kind {
        case .limit(.instructionsPerCall) where index == 0:
            text += "\nLoading the script (its top level, outside decide) ran more than \(sandbox.limits.instructionsToLoad) instructions: look for an endless loop at the top level."
        case .limit(.instructionsPerCall):
            text += "\nThe decision for one household ran more than \(sandbox.limits.instructionsPerDecision) instructions: look for an endless loop, or raise the limit with --max-instructions."
        case .limit(.instructionsPerRun):
            text += "\nThe run took more than \(sandbox.limits.instructionsPerRun) instructions in all: raise the limit with --max-run-instructions."
        case .limit(.time):
            text += "\nThe run took longer than \(Int(sandbox.limits.seconds)) s: raise the limit with --timeout."
        case .limit(.interrupted):
            text += "\nInterrupted (Ctrl-C)."
        case .memory:
            text += "\nThe script needed more than \(sandbox.limits.memoryBytes >> 20) MiB: raise the limit with --max-memory."
        default: break
        }
        return RunFailure(text, error: error)
    }

    /// The most one payout may be: far above any relief standard, and low enough that no sum of
    /// payouts in a run can overflow (an Int64 of fen would trap on overflow and end the process).
    static let maxPayout = Money(yuan: 1_000_000)

    /// Control characters, line and paragraph separators, and the invisible format characters
    /// (Unicode Cf: zero-width spaces and joiners, bidirectional controls, the BOM, soft hyphens):
    /// "特困职工家庭" followed by a zero-width space must not pass for a category of its own.
    static func isControl(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x20 || (0x7F...0x9F).contains(v) { return true }
        if v < 0xAD || (0x3000..<0xFEFF).contains(v) { return false }  // ASCII, Latin-1, CJK: at once
        switch c.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator, .control: return true
        default: return false
        }
    }

    /// Check one returned payout raw, exactly as the host accepts it.
    func validate(_ p: borrowing LuaState.TableReader, household: Int, intern: (String) -> String) throws -> PlannedPayout {
        func bad(_ message: String) -> RunFailure {
            RunFailure("\(policy.path): \(message) (household \(table.maskedIDNumber(at: household)))")
        }
        let amount: Int64
        switch p.field("amount") {
        case .integer(let i) where i > ShardEvaluator.maxPayout.fen:
            throw bad("the payout amount \(Money(fen: i).yuanText) is more than one payout may be (\(ShardEvaluator.maxPayout.yuanText))")
        case .integer(let i) where i >= 0: amount = i
        case .integer(let i): throw bad("the payout amount is negative (\(i) fen)")
        case .number(let d) where d.isNaN: throw bad("the payout amount is NaN: amounts are integer fen")
        case .number(let d): throw bad("the payout amount \(d) is a float: amounts are integer fen (w.yuan(600) is 60000); round explicitly with w.round_yuan")
        case let other: throw bad("the payout amount is \(ShardEvaluator.describe(other)): amounts are integer fen")
        }
        func text(_ key: String, max: Int, required: Bool) throws -> String? {
            switch p.field(key) {
            case .nil where !required: return nil
            case .string(let s) where s.utf8.count > max: throw bad("the payout's \(key) is longer than \(max) bytes")
            case .string(let s) where !s.isEmpty:
                // Text goes into reports, receipt sheets and terminals: no control characters,
                // no line or paragraph separators, no bidirectional overrides.
                if let c = s.unicodeScalars.first(where: ShardEvaluator.isControl) {
                    throw bad("the payout's \(key) contains the control character U+\(String(format: "%04X", c.value)); it must be plain text")
                }
                return intern(s)
            case .bytes: throw bad("the payout's \(key) is not valid UTF-8 text")
            case let other: throw bad("the payout's \(key) is \(ShardEvaluator.describe(other)); it must be a non-empty string")
            }
        }
        let category = try text("category", max: 100, required: true)!
        // An ID, card or phone number written into a reason or a goods description is masked here,
        // once, so that no plan, ledger row, explanation or report shows it whole.
        let reason = (try text("reason", max: 500, required: false)).map { Masking.maskNumbers(in: $0) } ?? category
        let goods = (try text("goods", max: 200, required: false)).map { Masking.maskNumbers(in: $0) }
        let kindText = try text("kind", max: 10, required: false) ?? "cash"
        guard let kind = Payout.Kind(rawValue: kindText) else { throw bad("the payout's kind is \"\(kindText)\"; it must be cash, goods or ticket") }
        var rule = "\(policy.path)"
        // The line comes from the host's record of what w.pay returned, never from a `line`
        // field a script could write: a payout built by hand names the script alone.
        if let line = p.recordedLine, line > 0 { rule += ":\(line)" }
        if let named = try text("rule", max: 200, required: false) { rule = named + " (" + rule + ")" }
        var score: Int64?
        if case .integer(let s) = p.field("score") { score = s }
        var items: [PayoutItem]?
        switch p.field("items") {
        case .nil: break
        case .table:
            items = try p.withField("items") { list -> [PayoutItem] in
                guard (1...20).contains(list.count) else { throw bad("the payout's items hold \(list.count) entries; give 1 to 20 items") }
                var out: [PayoutItem] = []
                var sum: Int64 = 0
                for k in 1...list.count {
                    let item = try list.withItem(k) { e -> PayoutItem in
                        try ShardEvaluator.item(kind: e.field("kind"), value: e.field("value"), description: e.field("description"),
                                                quantity: e.field("quantity"), number: k, intern: intern, bad: bad)
                    }
                    guard let item else { throw bad("item \(k) of the payout's items is not an item: make items with w.cash, w.goods or w.ticket") }
                    sum += item.value.fen
                    out.append(item)
                }
                guard sum == amount else {
                    throw bad("the payout's items add up to \(Money(fen: sum).yuanText), not its amount \(Money(fen: amount).yuanText)")
                }
                return out
            }
        case let other: throw bad("the payout's items are \(ShardEvaluator.describe(other)); give a list of w.cash, w.goods or w.ticket")
        }
        return PlannedPayout(household: household, amount: Money(fen: amount), kind: kind, category: category,
                             reason: reason, goods: goods, rule: intern(rule), score: score, items: items)
    }

    /// One item of a payout's `items`, from its raw fields.
    static func item(kind: LuaState.TableReader.Field, value: LuaState.TableReader.Field, description: LuaState.TableReader.Field,
                     quantity: LuaState.TableReader.Field, number k: Int, intern: (String) -> String,
                     bad: (String) -> RunFailure) throws -> PayoutItem {
        func text(_ f: LuaState.TableReader.Field, _ key: String, max: Int) throws -> String? {
            switch f {
            case .nil: return nil
            case .string(let s) where !s.isEmpty && s.utf8.count <= max && !s.unicodeScalars.contains(where: isControl): return intern(s)
            case let other: throw bad("item \(k)'s \(key) is \(describe(other)); it must be plain text of at most \(max) bytes")
            }
        }
        guard case .string(let kindText) = kind, let kind = Payout.Kind(rawValue: kindText) else {
            throw bad("item \(k) has no kind cash, goods or ticket: make items with w.cash, w.goods or w.ticket")
        }
        guard case .integer(let fen) = value, fen >= 0, fen <= maxPayout.fen else {
            throw bad("item \(k)'s value is \(describe(value)); it must be integer fen, not negative")
        }
        let d = try text(description, "description", max: 100)
        if kind == .goods, d == nil { throw bad("item \(k) is goods without a description (w.goods(\"大米\", \"10kg\", w.yuan(60)))") }
        return PayoutItem(kind: kind, description: d, quantity: try text(quantity, "quantity", max: 50), value: Money(fen: fen))
    }

    /// Run the policy's allocate step over the whole plan, in this worker's sandbox.
    /// Amounts may only go down (to 0 to drop a payout).
    func allocate(_ payouts: [PlannedPayout], campaign: Campaign, budget left: Money) throws -> [PlannedPayout] {
        let t = table
        var entries: [LuaValue] = []
        entries.reserveCapacity(payouts.count)
        for p in payouts {
            let i = p.household
            var e = LuaTable(fields: [
                "amount": .integer(p.amount.fen), "category": .string(p.category), "kind": .string(p.kind.rawValue),
                "reason": .string(p.reason), "income": .integer(t.income[i]), "members": .integer(Int64(t.members[i])),
                "unit": .string(t.unitCode(at: i)), "cause_count": .integer(Int64(t.causes[i].nonzeroBitCount)),
            ])
            if let s = p.score { e["score"] = .integer(s) }
            entries.append(.table(e))
        }
        let plan = try lua.reference(.table(LuaTable(array: entries)))
        let allocateFn = lua.fieldReference(policyTable, "allocate")
        lua.memoryLimit = lua.bytesInUse + sandbox.limits.memoryBytes
        lua.resetRun()
        // allocate has budgets of its own, not the whole run's.
        let limits = sandbox.limits
        let instructions = [limits.instructionsForAllocate, limits.instructionsPerRun].filter { $0 > 0 }.min()
        let seconds = [limits.secondsForAllocate, limits.seconds].filter { $0 > 0 }.min()
        lua.setInstructionLimits(perCall: instructions, perRun: nil)
        let budget = try lua.reference(.integer(left.fen))
        lua.setDeadline(after: seconds)
        defer { lua.setDeadline(after: nil) }
        let campaignRef = try lua.reference(readOnly: campaign)
        let failed: LuaError?
        do {
            _ = try lua.call(allocateFn, [plan, budget, campaignRef], results: 0)
            failed = nil
        } catch {
            failed = error
        }
        if let failed {
            var text = "\(failed.description) (in allocate)"
            switch failed.kind {
            case .limit(.instructionsPerCall):
                text += "\nallocate ran more than \(instructions ?? 0) instructions: look for an endless loop in allocate."
            case .limit(.time):
                text += "\nallocate took longer than \(Int(seconds ?? 0)) s: look for an endless loop in allocate."
            default: break
            }
            throw RunFailure(text, error: failed)
        }
        var out: [PlannedPayout] = []
        try lua.withTable(plan) { t in
            for (k, var p) in payouts.enumerated() {
                let amount = try t.withItem(k + 1) { e -> Int64 in
                    switch e.field("amount") {
                    case .integer(let i) where i >= 0: return i
                    case let other:
                        throw RunFailure("\(policy.path): allocate set an amount to \(ShardEvaluator.describe(other)) (household \(table.maskedIDNumber(at: p.household))); amounts are integer fen, not negative")
                    }
                }
                guard let amount else { throw RunFailure("\(policy.path): allocate removed an entry from the plan; set its amount to 0 instead") }
                guard amount <= p.amount.fen else {
                    throw RunFailure("\(policy.path): allocate raised a payout from \(p.amount.yuanText) to \(Money(fen: amount).yuanText) (household \(table.maskedIDNumber(at: p.household))); allocate may only lower amounts")
                }
                if amount > 0, amount != p.amount.fen, let items = p.items, items.count > 1 || items[0].kind == .goods {
                    throw RunFailure("\(policy.path): allocate changed a payout of goods or of several items (household \(table.maskedIDNumber(at: p.household))); goods cannot be scaled: lower such a payout to 0 or leave it")
                }
                if amount > 0 {
                    if amount != p.amount.fen, let items = p.items { p.items = [PayoutItem(kind: items[0].kind, value: Money(fen: amount))] }
                    p.amount = Money(fen: amount)
                    out.append(p)
                }
            }
        }
        return out
    }
}
