import Foundation
import WarmthDomain
import WarmthLua

/// The Lua side of the what-if REPL: one sandbox, kept for the whole session, where a budget
/// officer's lines run (lua.c's rules: `return <line>` first, then the line as a statement; a
/// chunk that is not complete yet waits for more lines). `plan` and `baseline` are the current
/// scenario's plan and the policy's own, built afresh for every line from what the host holds;
/// `params` and `campaign` are read-only; `w` is the stdlib. The sandbox's limits apply to every
/// line, and a line that trips one (an endless loop) fails alone: the session goes on.
public final class ReplLua {
    /// What a line gave back, one entry per value returned.
    public struct Value: Sendable, Equatable {
        /// A value shown as one line of text (a number, a string, a boolean).
        public var text: String?
        /// A value shown as a table: column names, rows of cells (at most the row limit), and
        /// how many rows the value has in all.
        public var columns: [String] = []
        public var rows: [[LuaValue]] = []
        public var total = 0
        /// For a plan: the sum of its payouts.
        public var sum: Money?
    }

    public enum Outcome: Sendable, Equatable {
        /// The line is not a complete chunk yet: read another and call again with both.
        case incomplete
        case values([Value], printed: [String])
    }

    let sandbox: Sandbox
    let limits: SandboxLimits
    private let module: LuaReference
    private var columns: (current: LuaReference, baseline: LuaReference)?
    /// Rows shown per value.
    public var rowLimit = 20

    /// Instructions one line may take (an endless loop typed at the prompt stops after about a
    /// second), and seconds.
    public static let instructionsPerLine: Int64 = 200_000_000

    public init(stdlib: String = ModulePaths.defaultStdlib(), limits: SandboxLimits = SandboxLimits(), vocabulary: VocabularyView = .national) throws {
        // Only the stdlib resolves here: a unit's folder cannot stand in for the REPL's module.
        sandbox = try Sandbox(paths: ModulePaths(stdlib: stdlib, unit: nil), limits: limits, vocabulary: vocabulary)
        self.limits = limits
        module = try sandbox.rawModule("warmth.repl")
        sandbox.lua.setGlobal("w", reference: try sandbox.require("warmth"))
    }

    /// Hand the REPL the plans its lines see (when they change). `params` are the scenario's.
    public func show(current: Plan, baseline: Plan, params: [String: ParamValue], campaign: Campaign) throws {
        let lua = sandbox.lua
        // The plans' columns are the host's data, as large as the plans: built outside the
        // memory budget the lines typed get (run sets it for each line).
        lua.memoryLimit = nil
        columns = (try ReplLua.columns(of: current, in: lua), try ReplLua.columns(of: baseline, in: lua))
        let p = try lua.readOnlyView(of: try lua.reference(.table(LuaTable(fields: params.mapValues(\.lua)))), kind: "params")
        lua.setGlobal("params", reference: p)
        lua.setGlobal("campaign", reference: try lua.reference(readOnly: campaign))
    }

    static func columns(of plan: Plan, in lua: LuaState) throws -> LuaReference {
        let t = plan.households
        let ps = plan.payouts
        var c = LuaTable()
        c["n"] = .table(LuaTable(array: ps.map { .integer(t.ids[$0.household]) }))
        c["id"] = .table(LuaTable(array: ps.map { .string(t.maskedIDNumber(at: $0.household)) }))
        c["name"] = .table(LuaTable(array: ps.map { .string(t.name(at: $0.household)) }))
        c["unit"] = .table(LuaTable(array: ps.map { .string(t.unitCode(at: $0.household)) }))
        c["category"] = .table(LuaTable(array: ps.map { .string($0.category) }))
        c["amount"] = .table(LuaTable(array: ps.map { .integer($0.amount.fen) }))
        c["kind"] = .table(LuaTable(array: ps.map { .string($0.kind.chinese) }))
        c["reason"] = .table(LuaTable(array: ps.map { .string(Masking.maskNumbers(in: $0.reason)) }))
        c["rule"] = .table(LuaTable(array: ps.map { .string($0.rule) }))
        return try lua.reference(.table(c))
    }

    /// Run one line (or the lines typed so far of a chunk).
    public func run(_ source: String) throws -> Outcome {
        let lua = sandbox.lua
        let chunk: LuaFunction
        if let asExpression = try? lua.load("return " + source, chunkName: "=stdin") {
            chunk = asExpression
        } else {
            switch Result(catching: { () throws(LuaError) -> LuaFunction in try lua.load(source, chunkName: "=stdin") }) {
            case .success(let f): chunk = f
            case .failure(let e):
                if e.kind == .syntax, e.message.hasSuffix("<eof>") { return .incomplete }
                throw e
            }
        }
        let printedBefore = sandbox.printed.count
        lua.resetRun()
        lua.setInstructionLimits(perCall: ReplLua.instructionsPerLine, perRun: nil)
        lua.setDeadline(after: limits.seconds > 0 ? min(limits.seconds, 60) : 60)
        defer {
            lua.setDeadline(after: nil)
            lua.setInstructionLimits(perCall: limits.instructionsToLoad > 0 ? limits.instructionsToLoad : nil, perRun: nil)
        }
        if let columns {
            // The line gets the plans afresh (what a line changes in them is gone by the next),
            // built by the host outside the line's memory budget: at a million households a plan
            // of 300,000 payouts is larger than the budget itself. Only the plans the line names
            // are built (each takes about a third of a second at that size); the other reads nil.
            lua.memoryLimit = nil
            let make = lua.fieldReference(module, "plan")
            for (name, built) in [("plan", columns.current), ("baseline", columns.baseline)] {
                if source.contains(name) {
                    lua.setGlobal(name, reference: try lua.call(make, [built], results: 1)[0])
                } else {
                    try lua.setGlobal(name, .nil)
                }
            }
        }
        lua.memoryLimit = lua.bytesInUse + limits.memoryBytes
        let shown = try lua.call(lua.fieldReference(module, "show"), [chunk.reference, try lua.reference(.integer(Int64(rowLimit)))], results: 1)[0]
        var values: [Value] = []
        for item in try lua.value(of: shown).tableValue?.array ?? [] {
            guard let t = item.tableValue else { continue }
            var v = Value()
            if let text = t["text"].stringValue { v.text = Masking.maskNumbers(in: LuaErrorText.clean(text)) }
            v.columns = t["columns"].tableValue?.array.compactMap(\.stringValue) ?? []
            v.rows = (t["rows"].tableValue?.array ?? []).map { row in
                (row.tableValue?.array ?? []).map { cell in
                    if case .string(let s) = cell { return .string(Masking.maskNumbers(in: LuaErrorText.clean(s))) }
                    return cell
                }
            }
            v.total = Int(t["total"].integerValue ?? Int64(v.rows.count))
            v.sum = t["sum"].integerValue.map { Money(fen: $0) }
            values.append(v)
        }
        return .values(values, printed: sandbox.printed.dropFirst(printedBefore).map { Masking.maskNumbers(in: LuaErrorText.clean($0)) })
    }

    /// Stop the line running now, from another thread (Ctrl-C).
    public var interrupter: LuaInterrupter { sandbox.lua.interrupter }
}

