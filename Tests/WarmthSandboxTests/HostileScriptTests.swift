import Foundation
import Testing
import WarmthData
import WarmthDomain
import WarmthLua
import WarmthRuntime
import WarmthStore

/// Hostile policy scripts: every one ends with a clear error (the words, the script's path and
/// line, the household where there is one), the process survives, the store is unchanged and no
/// file is created (the Arena checks those after every run).
@Suite struct HostileScriptTests {
    // MARK: - Escapes through the libraries

    @Test("a library or loader that reaches the system is absent in decide: reading it names it at the script's line",
          arguments: ["io", "os", "package", "debug", "coroutine", "load", "loadfile", "dofile", "loadstring",
                      "collectgarbage", "module", "setfenv", "getfenv", "newproxy", "jit", "ffi"])
    func absentInDecide(_ name: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  return \(name)(\"/etc/passwd\")"))
        #expect(message.contains("\(p.path):3: undefined global '\(name)' (a typo, or a missing local?)"), "\(message)")
        #expect(message.hasSuffix("(household \(arena.first))"), "\(message)")
    }

    @Test("an escape attempted at the script's top level fails while loading, at its line", arguments: [
        ("io.open('pwned', 'w'):write('x')", "io"),
        ("os.execute('touch pwned')", "os"),
        ("package.loadlib('libc.so.6', 'system')", "package"),
        ("debug.sethook()", "debug"),
        ("load('return 1')()", "load"),
        ("load(function() return nil end)", "load"),
        ("dofile('/etc/passwd')", "dofile"),
        ("loadfile('/etc/passwd')", "loadfile"),
        ("collectgarbage('stop')", "collectgarbage"),
    ])
    func absentAtTopLevel(_ code: String, _ name: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure("local w = require 'warmth'\n\(code)\nreturn w.policy { name = 'x', decide = function() end }")
        #expect(message.contains("\(p.path):2: undefined global '\(name)'"), "\(message)")
    }

    @Test("string.dump, math.random and math.randomseed are gone", arguments: [
        ("string.dump(function() end)", "attempt to call a nil value (field 'dump')"),
        ("(\"\").dump(print)", "attempt to call a nil value (field 'dump')"),
        ("math.random(6)", "attempt to call a nil value (field 'random')"),
        ("math.randomseed(42)", "attempt to call a nil value (field 'randomseed')"),
    ])
    func goneFunctions(_ code: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  \(code)"))
        #expect(message.contains("\(p.path):3: \(words)"), "\(message)")
        #expect(message.hasSuffix("(household \(arena.first))"))
    }

    @Test("require refuses anything that is not a module name: no paths, no parent folders", arguments: [
        "../etc/passwd", "/etc/passwd", "../../secret", "..", "a/b", "", ".hidden", "x..y", "warmth/../../etc/passwd",
        "C:\\\\evil", "evil.", "evil\\0",
    ])
    func requirePaths(_ name: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  return require \"\(name)\""))
        #expect(message.contains("\(p.path):3: require: '"), "\(message)")
        #expect(message.contains("is not a module name (letters, digits, _ and .)"), "\(message)")
        #expect(message.hasSuffix("(household \(arena.first))"))
    }

    @Test("require finds no system library under its own name", arguments: ["os", "io", "debug", "package", "coroutine", "ffi", "socket", "lfs"])
    func requireSystemLibraries(_ name: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  return require \"\(name)\""))
        #expect(message.contains("\(p.path):3: require: no module '\(name)' in the unit's folder or the stdlib"), "\(message)")
    }

    @Test("require takes only a string name", arguments: ["nil", "42", "{}", "function() end", "h", "require"])
    func requireNonString(_ argument: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  return require(\(argument))"))
        #expect(message.contains("\(p.path):3: require takes a module name such as \"warmth\""), "\(message)")
    }

    @Test("a module beside the unit's folder cannot be reached with ../ or by its bare name, and never runs")
    func requireParentFolder() throws {
        let arena = try Arena()
        _ = FileManager.default.createFile(atPath: arena.folder.appendingPathComponent("evil.lua").path,
                                       contents: Data("error('the evil module ran')".utf8))
        for (name, words) in [("../evil", "is not a module name"), ("..evil", "is not a module name"), ("evil", "no module 'evil'")] {
            let (message, _) = arena.failure(decide("  return require \"\(name)\""))
            #expect(message.contains(words), "\(message)")
            #expect(!message.contains("the evil module ran"))
        }
    }

    @Test("nothing reachable from a script's globals, its household, params or campaign is a loader or reaches the system")
    func reachableFunctions() throws {
        let arena = try Arena()
        let plan = try arena.plan(#"""
            local w = require "warmth"
            local bad = { load = 1, loadfile = 1, dofile = 1, loadstring = 1, dump = 1, open = 1, popen = 1, execute = 1,
              getenv = 1, rename = 1, tmpname = 1, exit = 1, loadlib = 1, searchpath = 1, getupvalue = 1,
              setupvalue = 1, sethook = 1, getregistry = 1, getinfo = 1, getlocal = 1, upvalueid = 1, collectgarbage = 1,
              random = 1, randomseed = 1, clock = 1, time = 1, date = 1, create = 1, wrap = 1, resume = 1, yield = 1,
              setcstacklimit = 1, io = 1, os = 1, package = 1, debug = 1, coroutine = 1 }
            local found, seen = {}, {}
            local function walk(v, path, depth)
              if depth > 6 or seen[v] then return end
              local t = type(v)
              if t ~= "table" then return end
              seen[v] = true
              for k, x in pairs(v) do
                if bad[k] then found[#found + 1] = path .. "." .. tostring(k) end
                walk(x, path .. "." .. tostring(k), depth + 1)
              end
              local mt = getmetatable(v)
              if type(mt) == "table" then walk(mt, path .. ".<mt>", depth + 1) end
            end
            walk(_G, "_G", 0)
            walk(w, "w", 0)
            local mt = getmetatable("")
            if mt then walk(mt, "<string mt>", 0) end
            return w.policy { name = "walk", decide = function(h, p, c)
              walk(h, "h", 0) walk(p, "p", 0) walk(c, "c", 0)
              return w.pay(1, #found == 0 and "clean" or table.concat(found, ","):sub(1, 90), "walk")
            end }
            """#)
        #expect(Set(plan.payouts.map(\.category)) == ["clean"])
    }

    // MARK: - Metatable tampering

    @Test("the string metatable cannot be reached or changed", arguments: [
        ("getmetatable('').__index = {}", "attempt to index a boolean value"),
        ("getmetatable('').__index.rep = nil", "attempt to index a boolean value"),
        ("setmetatable('', {})", "cannot change a protected metatable"),
        ("rawset(getmetatable(''), '__index', {})", "rawset: the first argument must be a table"),
        ("if getmetatable('') ~= false then return end error('still hidden')", "still hidden"),
    ])
    func stringMetatable(_ code: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  \(code)"))
        #expect(message.contains("\(p.path):3: \(words)"), "\(message)")
    }

    @Test("writing to a household, the params, the campaign or the warmth module is an error naming the field", arguments: [
        ("h.income = 0", "attempt to write field 'income' of a read-only household"),
        ("h._categories = -1", "attempt to write field '_categories' of a read-only household"),
        ("h[1] = 1", "attempt to write index 1 of a read-only household"),
        ("h[true] = 1", "attempt to write a boolean key of a read-only household"),
        ("p.rate = 1", "attempt to write field 'rate' of a read-only params"),
        ("c.budget = 10 ^ 12", "attempt to write field 'budget' of a read-only campaign"),
        ("c.funds.extra = 1", "attempt to write field 'extra' of a read-only campaign"),
        ("w.pay = function() end", "attempt to write field 'pay' of a read-only module 'warmth'"),
        ("w.yuan = nil", "attempt to write field 'yuan' of a read-only module 'warmth'"),
    ])
    func readOnlyWrites(_ code: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  \(code)"))
        #expect(message.contains("\(p.path):3: \(words)"), "\(message)")
        #expect(message.hasSuffix("(household \(arena.first))"))
    }

    @Test("next, pairs and the pairs iterator never hand out a household's data or anything writable")
    func nextAndPairs() throws {
        let arena = try Arena()
        let plan = try arena.plan(decide(#"""
              local out = {}
              out[#out + 1] = pcall(next, h) and "next:data" or "next:refused"
              local iter, state = pairs(h)
              out[#out + 1] = rawequal(state, h) and "pairs:proxy" or "pairs:other"
              local n, tables = 0, 0
              for k, v in pairs(h) do n = n + 1; if type(v) == "table" or type(v) == "userdata" then tables = tables + 1 end end
              out[#out + 1] = "fields:" .. n .. ":tables:" .. tables
              -- the iterator walks households only, never a table of the script's own
              local mine = setmetatable({}, { __index = { x = 1 } })
              out[#out + 1] = pcall(iter, mine, nil) and "own:read" or "own:refused"
              out[#out + 1] = pcall(function() return #h end) and "len:ok" or "len:refused"
              return w.pay(1, table.concat(out, " "), "probe")
            """#))
        let category = try #require(plan.payouts.first?.category)
        #expect(category.hasPrefix("next:refused pairs:proxy fields:"), "\(category)")
        #expect(category.hasSuffix(":tables:0 own:refused len:refused"), "\(category)")
    }

    @Test("the warmth module's methods and category list, tampered with in one run, are pristine in the next")
    func moduleTamperingDoesNotLeak() throws {
        let arena = try Arena()
        let honest = decide(#"""
              return w.pay(1, (h:is "在档困难职工") and "registered" or "other", w.categories[1] .. "," .. w.categories[2])
            """#)
        let before = try arena.plan(honest)
        let tampered = try arena.plan(decide(#"""
              w._household_methods.is = function() return true end
              w.categories[1] = "tampered"
              return w.pay(1, (h:is "在档困难职工") and "registered" or "other", w.categories[1] .. "," .. w.categories[2])
            """#))
        // Households' methods are the host's own (in C): changing the module's table of methods
        // changes nothing, even in the same run.
        #expect(tampered.payouts.map(\.category) == before.payouts.map(\.category), "h:is is not the module's to replace")
        #expect(tampered.payouts.first?.reason.hasPrefix("tampered") == true)
        let after = try arena.plan(honest)
        #expect(after.payouts == before.payouts, "the next run has fresh states")
        #expect(Set(after.payouts.map(\.category)) == ["registered", "other"])
    }

    // MARK: - Resource bombs

    @Test("an endless decision stops at the per-decision budget, naming the line, the household and the option")
    func endlessDecision() throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  while true do end"))
        #expect(message.contains("\(p.path):3: instruction limit per call exceeded (household \(arena.first))"), "\(message)")
        #expect(message.contains("ran more than 200000 instructions"))
        #expect(message.contains("--max-instructions"))
    }

    @Test("many decisions each under budget stop at the per-run budget")
    func perRunBudget() throws {
        let arena = try Arena()
        var limits = smallLimits()
        limits.instructionsPerRun = 1_000_000
        let (message, p) = arena.failure(decide("  for i = 1, 100000 do end\n  return w.pay(1, 'x')"), limits: limits)
        #expect(message.contains("\(p.path):3: instruction limit per run exceeded (household "), "\(message)")
        #expect(message.contains("--max-run-instructions"))
    }

    @Test("a script that runs too long without many instructions' worth of limit stops at the wall-clock limit")
    func wallClock() throws {
        let arena = try Arena()
        var limits = smallLimits()
        limits.instructionsPerDecision = 0
        limits.instructionsPerRun = 0
        limits.seconds = 1
        let (message, p) = arena.failure(decide("  while true do end"), limits: limits)
        #expect(message.contains("\(p.path):3: time limit exceeded (household \(arena.first))"), "\(message)")
        #expect(message.contains("--timeout"))
    }

    @Test("memory bombs end with the memory limit's clear error, never a crash", arguments: [
        "local s = string.rep('x', 1 << 20)\n  while true do s = s .. s end",
        "local s, t = string.rep('x', 1 << 20), {}\n  for i = 1, 64 do t[i] = s .. i end",
        "local s, t = string.rep('x', 1 << 20), {}\n  for i = 1, 64 do t[i] = s end\n  return table.concat(t)",
        "local s = string.rep('x', 1 << 20)\n  return table.concat({ s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s }, s)",
        "local s, t = string.rep('x', 1 << 20), {}\n  for i = 1, 40 do t[i] = s end\n  return string.format(string.rep('%s', 40), table.unpack(t))",
        "local t = {}\n  for i = 1, 1e8 do t[i] = i end",
        "local t = {}\n  for i = 1, 1e8 do t[i] = {} end",
        "local s = string.rep('x', 1 << 20)\n  return s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s .. s",
    ])
    func memoryBombs(_ body: String) throws {
        let arena = try Arena()
        var limits = smallLimits()
        limits.instructionsPerDecision = 50_000_000
        let (message, _) = arena.failure(decide("  \(body)"), limits: limits)
        #expect(message.contains("not enough memory: the script needs more than its memory limit"), "\(message)")
        #expect(message.contains("(household \(arena.first))"), "\(message)")
        #expect(message.contains("needed more than 16 MiB: raise the limit with --max-memory"), "\(message)")
    }

    @Test("deep recursion in Lua ends with a stack overflow error at the script's line")
    func deepLuaRecursion() throws {
        let arena = try Arena()
        var limits = smallLimits()
        limits.instructionsPerDecision = 50_000_000
        limits.memoryBytes = 64 << 20
        let (message, p) = arena.failure(decide("  local function f(n) return 1 + f(n + 1) end\n  return f(1)"), limits: limits)
        #expect(message.contains("\(p.path):3: stack overflow"), "\(message)")
        #expect(message.contains("(household \(arena.first))"))
    }

    @Test("string.format refuses widths and precisions past two digits", arguments: [
        ("%100d", "invalid conversion specification: '%100d'"), ("%.100f", "invalid conversion specification: '%.100f'"),
        ("%0999999999s", "invalid conversion"), ("%-99999999999999999999d", "invalid format (too long)"),
    ])
    func formatWidths(_ format: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  return string.format('\(format)', 1)"))
        #expect(message.contains("\(p.path):3: "), "\(message)")
        #expect(message.contains(words), "\(message)")
    }

    // MARK: - The three Lua 5.4.4 facts

    @Test("coroutines are absent: no coroutine library, no way to yield across the host")
    func coroutineAbsent() throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  local co = coroutine.wrap(function() end)"))
        #expect(message.contains("\(p.path):3: undefined global 'coroutine'"), "\(message)")
    }

    @Test("a __gc added to a metatable afterwards never runs, however much garbage the script makes")
    func gcAddedLaterNeverRuns() throws {
        let arena = try Arena()
        let plan = try arena.plan(decide(#"""
              local ran = false
              local mt = {}
              local t = setmetatable({}, mt)
              mt.__gc = function() ran = true end
              t = nil
              for i = 1, 300 do local junk = string.rep("x", 10000) .. i end
              return w.pay(1, ran and "finalizer ran" or "never ran")
            """#))
        #expect(Set(plan.payouts.map(\.category)) == ["never ran"])
    }

    // MARK: - Error objects

    @Test("an error object with metamethods is described by its type; no metamethod runs", arguments: [
        "error(setmetatable({}, { __tostring = function() while true do end end }))",
        "error(setmetatable({}, { __index = function() while true do end end, __tostring = function() return 'fake' end }))",
        "error(setmetatable({}, { __concat = function() while true do end end, __len = function() while true do end end }))",
    ])
    func errorTables(_ code: String) throws {
        let arena = try Arena()
        for keepGoing in [false, true] {
            let limits = smallLimits()
            if keepGoing {
                let p = arena.policy(decide("  \(code)"))
                let plan = try arena.run(p, limits: limits, keepGoing: true).get()
                #expect(plan.errors.count == min(arena.households.count, 100))
                #expect(plan.errors.allSatisfy { $0.error.message == "\(p.path): (error object is a table value)" }, "\(plan.errors.first!)")
            } else {
                let (message, p) = arena.failure(decide("  \(code)"), limits: limits)
                #expect(message.contains("\(p.path):3: (error object is a table value) (household \(arena.first))"), "\(message)")
                #expect(!message.contains("fake") && !message.contains("instruction limit"), "\(message)")
            }
        }
    }

    @Test("error(nil) and error with a number or boolean still name the script's line and the household", arguments: [
        ("error(nil)", "(error object is a nil value)"),
        ("error()", "(error object is a nil value)"),
        ("error(42)", "42"),
        ("error(true)", "(error object is a boolean value)"),
        ("error(print)", "(error object is a function value)"),
    ])
    func errorScalars(_ code: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  \(code)"))
        #expect(message.contains("\(p.path):3: \(words) (household \(arena.first))"), "\(message)")
    }

    @Test("a huge error message is cut short")
    func hugeMessage() throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  error(string.rep('A', 1 << 20))"))
        #expect(message.contains("\(p.path):3: AAAA"), "\(message.prefix(200))")
        #expect(message.contains("…(truncated)"))
        #expect(message.count < 2_300, "\(message.count) characters")
        #expect(message.hasSuffix("(household \(arena.first))"))
    }

    @Test("control characters and terminal escapes in a message are neutralised", arguments: [
        "\\27[2J\\27[31mALL PAID\\27[0m", "line\\rOVERWRITTEN", "bell\\7\\8\\8\\8", "\\u{202E}reversed", "nul\\0byte",
        "\\xff\\xfe not UTF-8", "\\u{85}next line",
    ])
    func controlCharacters(_ text: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  error(\"\(text)\")"))
        #expect(message.contains("\(p.path):3: "), "\(message)")
        let bad = message.unicodeScalars.filter {
            ($0.value < 0x20 && $0.value != 0x0A && $0.value != 0x09) || (0x7F...0x9F).contains($0.value) || (0x202A...0x202E).contains($0.value)
        }
        #expect(bad.isEmpty, "\(message.debugDescription)")
        #expect(message.hasSuffix("(household \(arena.first))"))
    }

    // MARK: - Bad return values

    @Test("decide's return value is checked raw by the host; every bad one is refused with the household", arguments: [
        ("setmetatable({}, { __index = function() while true do end end })", "the payout amount is nil: amounts are integer fen"),
        ("setmetatable({ category = 'x' }, { __index = { amount = 100 } })", "the payout amount is nil"),
        ("function() end", "decide returned a function; return nil or w.pay(amount, category, reason)"),
        ("h", "decide returned a userdata"),
        ("c", "the payout amount is nil"),
        ("w", "the payout amount is nil"),
        ("string.gmatch('', '')", "decide returned a function"),
        ("true", "decide returned the boolean true"),
        ("60000", "decide returned the number 60000"),
        ("'60000'", "decide returned the string \"60000\""),
        ("{ amount = 0/0, category = 'x' }", "the payout amount is NaN"),
        ("{ amount = 1/0, category = 'x' }", "the payout amount inf is a float"),
        ("{ amount = -1/0, category = 'x' }", "the payout amount -inf is a float"),
        ("{ amount = 1e300, category = 'x' }", "the payout amount 1e+300 is a float"),
        ("{ amount = 600.0, category = 'x' }", "the payout amount 600.0 is a float"),
        ("{ amount = '600', category = 'x' }", "the payout amount is the string \"600\": amounts are integer fen"),
        ("{ amount = -1, category = 'x' }", "the payout amount is negative (-1 fen)"),
        ("{ amount = math.mininteger, category = 'x' }", "the payout amount is negative"),
        ("{ amount = {}, category = 'x' }", "the payout amount is a table"),
        ("{ amount = 100 }", "the payout's category is nil; it must be a non-empty string"),
        ("{ amount = 100, category = '' }", "the payout's category is the string \"\"; it must be a non-empty string"),
        ("{ amount = 100, category = 7 }", "the payout's category is the number 7"),
        ("{ amount = 100, category = string.rep('x', 101) }", "the payout's category is longer than 100 bytes"),
        ("{ amount = 100, category = 'x', reason = string.rep('y', 501) }", "the payout's reason is longer than 500 bytes"),
        ("{ amount = 100, category = 'x', reason = {} }", "the payout's reason is a table"),
        ("{ amount = 100, category = 'x', kind = 'bitcoin' }", "the payout's kind is \"bitcoin\"; it must be cash, goods or ticket"),
        ("{ amount = 100, category = 'x', kind = 'cash-and-more' }", "the payout's kind is longer than 10 bytes"),
        ("{ amount = 100, category = 'x', goods = print }", "the payout's goods is a function"),
    ])
    func badReturns(_ value: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  return \(value)"))
        #expect(message.contains("\(p.path): \(words)"), "\(message)")
        #expect(message.contains("(household \(arena.first))"), "\(message)")
    }

    // MARK: - State between runs and between units

    @Test("a global set in one run is gone in the next, and so is a change to the string library")
    func globalsDoNotCarry() throws {
        let arena = try Arena()
        let probe = decide(#"""
              local ok, v = pcall(function() return secret end)
              return w.pay(1, (ok and tostring(v) or "fresh") .. "/" .. ("abc"):upper())
            """#)
        let first = try arena.plan(probe)
        _ = try arena.plan(decide(#"""
              secret = "left by run one"
              string.upper = function() return "TAMPERED" end
              return w.pay(1, secret .. "/" .. ("abc"):upper())
            """#))
        let second = try arena.plan(probe)
        #expect(Set(first.payouts.map(\.category)) == ["fresh/ABC"])
        #expect(second.payouts == first.payouts)
    }

    @Test("each worker has its own state: globals never cross between shards of one run")
    func shardsAreIsolated() throws {
        let arena = try Arena()
        let many = Array(DemoCity(households: 4_100, seed: 3).makeHouseholds()).enumerated().map { i, h in
            var h = h
            h.id = Int64(i + 1)
            return h
        }
        let plan = try arena.plan(#"""
            local w = require "warmth"
            local mine
            return w.policy { name = "shards", decide = function(h)
              mine = mine or h.id
              return w.pay(1, "first seen " .. mine)
            end }
            """#, households: many)
        #expect(Set(plan.payouts.map(\.category)).count == 2, "two workers, two states, two first households")
        #expect(plan.payouts.count == many.count)
    }

    @Test("a unit's script sees only its own households and its own params")
    func unitScope() throws {
        let arena = try Arena()
        let s100 = try arena.store.households(units: try arena.store.subtree(of: "S100"))
        let plan = try arena.plan(#"""
            local w = require "warmth"
            return w.policy { name = "scope", params = { mine = w.yuan(1), label = "S100" }, decide = function(h, p)
              local keys = {}
              for k in pairs(p) do keys[#keys + 1] = k end
              table.sort(keys)
              return w.pay(1, h.unit, table.concat(keys, ","))
            end }
            """#, households: s100)
        #expect(Set(plan.payouts.map(\.category)).isSubset(of: ["S100", "S110", "S120", "S130"]))
        #expect(plan.payouts.count == s100.count)
        #expect(Set(plan.payouts.map(\.reason)) == ["label,mine"])
    }

    @Test("two sandboxes made in one process share nothing")
    func sandboxesShareNothing() throws {
        let result = try onWorkerThread { () -> [String] in
            let paths = ModulePaths(stdlib: stdlibFolder, unit: nil)
            let a = try Sandbox(paths: paths, limits: smallLimits())
            try a.lua.run("leaked = 'from a'; string.upper = nil; require('warmth')", chunkName: "a.lua")
            let b = try Sandbox(paths: paths, limits: smallLimits())
            let r = try b.lua.run("local ok = pcall(function() return leaked end) return tostring(ok), ('x'):upper()", chunkName: "b.lua")
            return r.map { $0.stringValue ?? "?" }
        }
        #expect(result == ["false", "X"])
    }
}
