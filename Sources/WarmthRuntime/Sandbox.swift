import Foundation
import WarmthDomain
import WarmthLua

/// Limits on a unit's script, each with a safe default and each ending the script with a clear
/// error naming the limit and how to raise it.
public struct SandboxLimits: Sendable, Equatable {
    /// VM instructions one household decision may take (counted in steps of 1,000).
    public var instructionsPerDecision: Int64 = 5_000_000
    /// VM instructions a whole run (one worker's share) may take.
    public var instructionsPerRun: Int64 = 50_000_000_000
    /// Instructions loading the policy script (its top level) may take.
    public var instructionsToLoad: Int64 = 20_000_000
    /// Instructions `allocate` may take, once over the whole plan: its own budget, not the
    /// whole run's (an endless allocate stopped after 170 s on the run's budget).
    public var instructionsForAllocate: Int64 = 2_000_000_000
    /// Wall-clock seconds `allocate` may take (and never more than `seconds`).
    public var secondsForAllocate: Double = 60
    /// Instructions one policy test (an `it` or a case) may take in its own Lua, and seconds.
    public var instructionsPerTest: Int64 = 200_000_000
    public var secondsPerTest: Double = 60
    /// Memory a script may use beyond the households loaded for it, in bytes.
    public var memoryBytes: Int = 256 << 20
    /// Wall-clock seconds a run may take.
    public var seconds: Double = 300
    /// The longest string `string.rep` may build, in bytes.
    public var maxStringBytes: Int = 1 << 20
    /// The longest subject the pattern functions (find, match, gmatch, gsub) accept, in bytes.
    public var maxPatternSubject: Int = 512

    public init() {}

    /// No limits at all but memory: for measuring what the limits cost.
    public static var off: SandboxLimits {
        var l = SandboxLimits()
        l.instructionsPerDecision = 0
        l.instructionsPerRun = 0
        l.instructionsToLoad = 0
        l.instructionsForAllocate = 0
        l.seconds = 0
        l.secondsForAllocate = 0
        l.instructionsPerTest = 0
        l.secondsPerTest = 0
        return l
    }
}

/// Where a sandbox finds the modules `require` may load.
public struct ModulePaths: Sendable {
    /// The folder of the stdlib modules the host ships.
    public var stdlib: String
    /// The folder of the unit's script, whose own modules it may require.
    public var unit: String?

    public init(stdlib: String, unit: String?) {
        self.stdlib = stdlib
        self.unit = unit
    }

    /// The stdlib beside the executable, or in the working folder, or $WARMTH_STDLIB.
    public static func defaultStdlib() -> String {
        if let env = ProcessInfo.processInfo.environment["WARMTH_STDLIB"] { return env }
        var candidates = ["stdlib"]
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var dir = exe
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("stdlib").path)
            dir.deleteLastPathComponent()
        }
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(here.appendingPathComponent("stdlib").path)
        return candidates.first { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("warmth.lua")) } ?? "stdlib"
    }
}

/// A module a script loaded, for the run record.
public struct LoadedModule: Sendable, Equatable {
    public var name: String
    public var path: String
    public var sha256: String
}

/// A fresh, minimal Lua environment for one unit's script: no io, os, package, debug,
/// coroutine, no load of any chunk the host did not read itself, no clock, no randomness, no
/// garbage-collector control; reading an undefined global is an error that names it.
public final class Sandbox {
    public let lua: LuaState
    public let limits: SandboxLimits
    let paths: ModulePaths
    private var modules: [String: LuaReference] = [:]
    /// Modules as their chunks returned them, before the read-only view scripts get.
    private var rawModules: [String: LuaReference] = [:]
    private var loading: Set<String> = []
    public private(set) var loaded: [LoadedModule] = []
    /// Lines the script printed (at most 1,000 are kept).
    public private(set) var printed: [String] = []
    private let hostHelpers: LuaReference
    /// The base library's pcall and type, held before any script runs (a script may replace the
    /// globals; the host's driver loop must not use its replacements).
    let pristine: (pcall: LuaReference, type: LuaReference)

    /// The categories and causes `h:is` and `h:has` know: the national ones and the run's unit's own.
    public let vocabulary: VocabularyView

    public init(paths: ModulePaths, limits: SandboxLimits = SandboxLimits(), vocabulary: VocabularyView = .national) throws(LuaError) {
        self.vocabulary = vocabulary
        self.paths = paths
        self.limits = limits
        // The memory limit holds from the first chunk on: the script's top level runs under it too
        // (decide gets a fresh allowance on top of the households once they are loaded).
        lua = try LuaState(memoryLimit: limits.memoryBytes)
        lua.libraryChunkPrefix = Sandbox.display(paths.stdlib).hasSuffix("/") ? Sandbox.display(paths.stdlib) : Sandbox.display(paths.stdlib) + "/"
        // The hook is installed by LuaState before any chunk loads; set its budgets now.
        lua.setInstructionLimits(perCall: limits.instructionsToLoad > 0 ? limits.instructionsToLoad : nil, perRun: nil)
        try lua.open([.base, .string, .table, .math, .utf8])
        pristine = (lua.globalReference("pcall"), lua.globalReference("type"))
        try lua.run(Sandbox.prelude, chunkName: "=warmth-sandbox",
                    arguments: [.integer(Int64(limits.maxStringBytes)), .integer(Int64(limits.maxPatternSubject))])

        var helpers = LuaTable()
        helpers["categories"] = .table(LuaTable(array: vocabulary.categoryNames.map { .string($0) }))
        helpers["causes"] = .table(LuaTable(array: vocabulary.causeNames.map { .string($0) }))
        helpers["category_bit"] = .table(LuaTable(fields: vocabulary.categoryBit.mapValues { LuaValue.integer(1 << Int64($0)) }))
        helpers["cause_bit"] = .table(LuaTable(fields: vocabulary.causeBit.mapValues { LuaValue.integer(1 << Int64($0)) }))
        let table = try lua.reference(.table(helpers))
        lua.setField(table, "caller_line", lua.helper("caller_line"))
        lua.setField(table, "caller_where", lua.helper("caller_where"))
        lua.setField(table, "with_line", lua.helper("with_line"))
        hostHelpers = table

        try lua.register("require", returningReference: { [unowned self] call in
            // Never call.argument: it would copy a table argument whole, however large.
            guard case .string(let name) = call.preview(1, maxBytes: 201) else {
                throw SandboxError("require takes a module name such as \"warmth\"")
            }
            guard name.utf8.count <= 200 else { throw SandboxError("require: a module name is at most 200 bytes") }
            return try self.require(name)
        })
        try lua.register("print") { [unowned self] call in
            // Read at most 2,000 bytes of what is printed, and never copy a table: print(t) of a
            // table whose children are shared 60 levels deep would copy 2^60 values.
            guard self.printed.count < 1_000 else { return [] }
            var line = ""
            for i in 0..<call.count {
                if i > 0 { line += "\t" }
                line += Sandbox.show(call.preview(i + 1, maxBytes: 2_000))
                if line.utf8.count >= 2_000 { break }
            }
            self.printed.append(String(line.prefix(2_000)))
            return []
        }
        // From here on, globals the script reads must exist.
        try activate()
    }

    static func show(_ value: LuaValue) -> String {
        switch value {
        case .nil: "nil"
        case .boolean(let b): b ? "true" : "false"
        case .integer(let i): String(i)
        case .number(let d): String(d)
        case .string(let s): s
        case .bytes(let b): String(decoding: b, as: UTF8.self)
        case .table: "table"
        case .opaque(let name): name
        }
    }

    /// Load a module by name: a module the stdlib ships always from the stdlib, then the unit's
    /// own folder. The names `warmth` and `warmth.*` belong to the stdlib: a unit folder that
    /// ships its own `warmth/test.lua` cannot stand in for the test module (and fake results).
    /// Loaded once per sandbox, as text, named by its path, run under the sandbox's limits.
    public func require(_ name: String) throws -> LuaReference {
        if let module = modules[name] { return module }
        guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$", options: .regularExpression) != nil else {
            throw SandboxError("require: '\(name)' is not a module name (letters, digits, _ and .)")
        }
        guard !loading.contains(name) else { throw SandboxError("require: module '\(name)' requires itself") }
        let relative = name.replacingOccurrences(of: ".", with: "/") + ".lua"
        let reserved = name == "warmth" || name.hasPrefix("warmth.")
        var candidates: [(String, Bool)] = [((paths.stdlib as NSString).appendingPathComponent(relative), true)]
        if let unit = paths.unit, !reserved { candidates.append(((unit as NSString).appendingPathComponent(relative), false)) }
        guard let (path, isStdlib) = candidates.first(where: { FileManager.default.fileExists(atPath: $0.0) }) else {
            if reserved { throw SandboxError("require: no module '\(name)' in the stdlib (\(paths.stdlib)); the names warmth.* belong to the stdlib: name the unit's own modules otherwise") }
            throw SandboxError("require: no module '\(name)' in the unit's folder or the stdlib (\(paths.stdlib))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SandboxError("require: cannot read \(path)")
        }
        loading.insert(name)
        defer { loading.remove(name) }
        if !isStdlib { try armDeclaring() }
        let chunk = try lua.load(String(decoding: data, as: UTF8.self), chunkName: Sandbox.display(path))
        let nameRef = try lua.reference(.string(name))
        let results = try lua.call(chunk.reference, isStdlib ? [nameRef, hostHelpers] : [nameRef], results: 1)
        var module = results[0]
        rawModules[name] = module
        if lua.typeName(of: module) == "table" {
            module = try lua.readOnlyView(of: module, kind: "module '\(name)'")
        }
        modules[name] = module
        loaded.append(LoadedModule(name: name, path: Sandbox.display(path), sha256: SHA256.hex(data)))
        return module
    }

    /// A unit's script is about to run its top level: amounts it makes with `w.yuan` are money
    /// params again (the stdlib infers a bare integer param's kind from them).
    func armDeclaring() throws {
        guard let w = rawModules["warmth"] else { return }
        _ = try lua.call(lua.fieldReference(w, "_declaring"), [], results: 0)
    }

    /// Every module loaded so far, by its path, with the value `require` gave the script.
    func requiredModules() -> [(path: String, module: LuaReference)] {
        loaded.compactMap { m in modules[m.name].map { (m.path, $0) } }
    }

    /// Give the stdlib modules one more host function (`host.NAME` in their code).
    public func addHostFunction(_ name: String, returningReference body: @escaping (LuaCall) throws -> LuaReference?) {
        lua.setField(hostHelpers, name, lua.makeFunction(returningReference: body))
    }

    private var householdClassReady = false

    /// Create the household class in this sandbox's state (once).
    func prepareHouseholdClass() throws {
        guard !householdClassReady else { return }
        let w = try rawModule("warmth")
        let methods = lua.fieldReference(w, "_household_methods")
        func list(_ names: [String]) -> LuaValue { .table(LuaTable(array: names.map { .string($0) })) }
        func bits(_ index: [String: Int]) -> LuaTable {
            LuaTable(fields: index.mapValues { LuaValue.integer(1 << Int64($0)) })
        }
        var strings = LuaTable()
        strings["statuses"] = list(Vocabulary.fileStatuses)
        strings["difficulty"] = list(Vocabulary.difficultyTypes)
        strings["main_cause"] = list(Vocabulary.fileCauses)
        strings["identity"] = list(Vocabulary.identities)
        strings["sex"] = list(["女", "男"])
        strings["categories"] = .string(vocabulary.categoryNames.joined(separator: "、"))
        strings["causes"] = .string(vocabulary.causeNames.joined(separator: "、"))
        try lua.makeHouseholdClass(strings: strings, categoryBits: bits(vocabulary.categoryBit), causeBits: bits(vocabulary.causeBit),
                                   methods: methods)
        householdClassReady = true
    }

    /// A stdlib module as its chunk returned it (the host reads its private fields).
    public func rawModule(_ name: String) throws -> LuaReference {
        _ = try require(name)
        return rawModules[name]!
    }

    /// A path as people read it: relative to the working folder when it is inside it.
    static func display(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        let full = URL(fileURLWithPath: path).standardizedFileURL.path
        return full.hasPrefix(cwd) ? String(full.dropFirst(cwd.count)) : path
    }

    /// Set up the environment. Runs once per state, before any script, with the full base
    /// library; what it does not keep is gone for every script after it.
    static let prelude = #"""
        local max_rep, max_subject = ...
        local G = _G
        local error, type, tostring, select = error, type, tostring, select
        local getmetatable, setmetatable, rawget, rawset = getmetatable, setmetatable, rawget, rawset
        local string, math = string, math

        -- Gone: loading code, files, the collector, and the libraries that reach the system.
        for _, name in ipairs { "dofile", "loadfile", "load", "collectgarbage", "require", "module" } do
          G[name] = nil
        end
        string.dump = nil
        math.random, math.randomseed = nil, nil

        -- The string metatable cannot be reached or changed.
        local smt = getmetatable("")
        smt.__metatable = false

        -- A metatable with __gc runs code later, outside every limit: refused.
        G.setmetatable = function(t, mt)
          local old = getmetatable(t)
          if old ~= nil and type(old) ~= "table" then error("cannot change a protected metatable", 2) end
          if type(t) ~= "table" then error("setmetatable: the first argument must be a table", 2) end
          if mt ~= nil and type(mt) ~= "table" then error("setmetatable: the metatable must be a table or nil", 2) end
          if mt ~= nil and rawget(mt, "__gc") ~= nil then
            error("setmetatable: __gc (finalizers) is not allowed in Warmth scripts", 2)
          end
          return setmetatable(t, mt)
        end

        -- xpcall's handler runs after the failed call has unwound, as an ordinary call. Lua runs a
        -- message handler before unwinding, with hooks switched off when the error came from the
        -- host's count hook (a tripped limit): a handler that loops would run for ever, unseen.
        local pcall = pcall
        G.xpcall = function(f, handler, ...)
          local function finish(ok, ...)
            if ok then return true, ... end
            local _, r = pcall(handler, (...))
            return false, r
          end
          return finish(pcall(f, ...))
        end

        -- rawget and rawset work on the script's own tables, not on the host's protected objects.
        local function own(t, fn)
          local mt = getmetatable(t)
          if mt ~= nil and type(mt) ~= "table" then
            error(fn .. ": cannot bypass a read-only " .. tostring(mt), 3)
          end
          if type(t) ~= "table" then error(fn .. ": the first argument must be a table", 3) end
        end
        G.rawset = function(t, k, v) own(t, "rawset") return rawset(t, k, v) end
        G.rawget = function(t, k) own(t, "rawget") return rawget(t, k) end

        -- table.move runs its whole loop in C, where neither the instruction hook nor the deadline
        -- can stop it: bound how many elements one call may move.
        local move, tointeger = table.move, math.tointeger
        table.move = function(a1, f, e, t, a2)
          f, e = tointeger(f), tointeger(e)
          if f and e and e >= f and e - f >= max_rep then
            error(("table.move of %.0f elements; one call moves at most %d"):format(e - f + 1.0, max_rep), 2)
          end
          return move(a1, f, e, t, a2)
        end

        -- table.sort compares in C with the default order: the hook does not run between two
        -- comparisons, and comparing two long strings costs their length (100,000 references to
        -- one 1 MiB string took 30 s). Bound the work before it starts: about n·log2(n)
        -- comparisons, each up to the longest string's length. A comparison function (or __lt)
        -- runs as Lua, under the hook, and is not bounded here.
        local sort, log = table.sort, math.log
        local max_sort_bytes = 5e8
        table.sort = function(t, comp)
          if comp == nil and type(t) == "table" then
            local n = #t
            if n > 1 then
              local longest = 0
              for i = 1, n do
                local v = t[i]
                if type(v) == "string" and #v > longest then longest = #v end
              end
              local work = n * (log(n, 2) + 1) * (longest + 1.0)
              if work > max_sort_bytes then
                error(("table.sort of %d strings of up to %d bytes would compare about %.3g bytes; the limit is %.0f: sort shorter keys, or pass a comparison function"):format(n, longest, work, max_sort_bytes), 2)
              end
            end
          end
          return sort(t, comp)
        end

        -- Strings a script builds are bounded; patterns run on bounded subjects.
        local rep, len = string.rep, string.len
        string.rep = function(s, n, sep)
          s = tostring(s)
          -- string.rep converts a count given as text ("50000000") itself: check it the same way
          if type(n) == "string" then n = tonumber(n) or n end
          if type(n) == "number" and n > 0 then
            -- in floats: integer sizes wrap around (4 * (2^62 + 1) is 4), and %d refuses 1e300
            local size = len(s) * (n + 0.0) + (sep and len(tostring(sep)) * (n - 1.0) or 0)
            if size > max_rep then
              local shown = size < 1e15 and ("%.0f"):format(size) or ("%.3g"):format(size)
              error(("string.rep would build %s bytes; the limit is %d (SandboxLimits.maxStringBytes)"):format(shown, max_rep), 2)
            end
          end
          return rep(s, n, sep)
        end
        -- Lua's matcher backtracks in C, where neither the instruction budget nor the deadline is
        -- checked: string.rep("a?", 30) .. string.rep("a", 30) on 30 a's takes 2^30 steps. Before
        -- a pattern runs, bound its backtracking: each *, +, - item can try as many lengths as the
        -- longest run of its class in the subject (plus one), each ? item two, and an unanchored
        -- pattern is tried at every position. The product of those, times the work per attempt,
        -- is an upper bound on the steps; patterns over max_steps are refused before they start.
        local max_steps = 2e8
        local sub, gmatch_raw, gsub_raw, byte = string.sub, string.gmatch, string.gsub, string.byte
        local function set_end(p, i, m) -- p[i] is "[": the index of its closing "]", or nil
          local k = i + 1
          if sub(p, k, k) == "^" then k = k + 1 end
          repeat
            if k > m then return nil end
            if sub(p, k, k) == "%" then k = k + 1 end
            k = k + 1
          until sub(p, k, k) == "]"
          return k
        end
        local function steps(s, p)
          local n, m = len(s), len(p)
          local i, product = 1, n + 1
          if sub(p, 1, 1) == "^" then i, product = 2, 1 end
          while i <= m do
            local c = sub(p, i, i)
            local j
            if c == "(" or c == ")" then
              i = i + 1
            elseif c == "%" and sub(p, i + 1, i + 1) == "b" then
              i = i + 4
            elseif c == "%" and (byte(p, i + 1) or 0) >= 48 and (byte(p, i + 1) or 0) <= 57 then
              i = i + 2 -- a back-reference takes no quantifier
            elseif c == "%" and sub(p, i + 1, i + 1) == "f" then
              j = set_end(p, i + 2, m)
              if not j then return 0 end -- malformed: the matcher itself says so
              i = j + 1
            else
              if c == "%" then j = i + 1 elseif c == "[" then j = set_end(p, i, m) else j = i end
              if not j then return 0 end
              local q = sub(p, j + 1, j + 1)
              if q == "*" or q == "+" or q == "-" or q == "?" then
                local class, run = sub(p, i, j), 0
                if class == "." then run = n
                else for r in gmatch_raw(s, class .. "+") do if len(r) > run then run = len(r) end end end
                local tries = (q == "?" and run > 0) and 2 or run + 1
                -- Only the lengths after which the next item matches go on: when that item is a
                -- single class that must match (a literal such as 区's first byte), at most as
                -- many tries survive as the subject has places where it matches.
                local k = j + 2
                while sub(p, k, k) == "(" or sub(p, k, k) == ")" do k = k + 1 end
                local nc = sub(p, k, k)
                if nc ~= "" and nc ~= "[" and nc ~= "%" and nc ~= "." and not (nc == "$" and k == m) then
                  local nq = sub(p, k + 1, k + 1)
                  if nq ~= "*" and nq ~= "-" and nq ~= "?" then
                    local places = select(2, gsub_raw(s, nc, ""))
                    if places + 1 < tries then tries = places + 1 end
                  end
                end
                product = product * tries
                if product > max_steps then return product end
                j = j + 1
              end
              i = j + 1
            end
          end
          return product * (n + m)
        end
        for _, name in ipairs { "find", "match", "gmatch", "gsub" } do
          local f = string[name]
          string[name] = function(s, pattern, ...)
            if type(s) == "string" and len(s) > max_subject then
              error(("string.%s on a %d-byte string; patterns take at most %d bytes (SandboxLimits.maxPatternSubject)"):format(name, len(s), max_subject), 2)
            end
            local ts, tp = type(s), type(pattern)
            if (ts == "string" or ts == "number") and (tp == "string" or tp == "number")
               and not (name == "find" and select(2, ...)) then
              local str, pat = tostring(s), tostring(pattern)
              if len(pat) > max_subject then
                error(("string.%s with a %d-byte pattern; patterns are at most %d bytes"):format(name, len(pat), max_subject), 2)
              end
              local cost = steps(str, pat)
              if cost > max_steps then
                error(("string.%s: this pattern could backtrack for too long on a %d-byte string (up to %.3g steps; the limit is %.3g): use fewer *, +, - and ? items, or a shorter string"):format(name, len(str), cost, max_steps), 2)
              end
            end
            return f(s, pattern, ...)
          end
        end

        -- Reading an undefined global is an error that names it (it catches typos).
        local env_mt = {
          __index = function(_, k)
            error("undefined global '" .. tostring(k) .. "' (a typo, or a missing local?)", 2)
          end,
          __metatable = "globals",
        }
        _G.__warmth_env_mt = env_mt
        """#
}

extension Sandbox {
    /// The prelude leaves the environment's metatable aside until the host has registered its
    /// functions; `activate` fixes it in place.
    func activate() throws(LuaError) {
        try lua.run("local mt = __warmth_env_mt; __warmth_env_mt = nil; setmetatable(_G, mt)", chunkName: "=warmth-sandbox")
    }
}

public struct SandboxError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
