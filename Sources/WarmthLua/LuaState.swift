internal import CLua
internal import CLuaBridge
import Foundation

/// One Lua 5.4 state, owned by one thread at a time.
///
/// The state uses the host's allocator, which counts every byte and refuses growth past
/// `memoryLimit` while Lua code runs. Every call into Lua is protected, and a Swift function
/// registered with `register(_:_:)` never lets a Lua error unwind through Swift frames (see
/// `Sources/CLuaBridge/include/bridge.h` for the rule and how it is kept).
///
/// ```swift
/// let lua = try LuaState(memoryLimit: 64 << 20)
/// let results = try lua.run("return 1 + 1", chunkName: "inline")
/// // results == [.integer(2)]
/// ```
public final class LuaState {
    let L: OpaquePointer
    let context: UnsafeMutablePointer<wl_context>
    private var functions: [(LuaCall) throws -> Int32] = []
    private var closed = false
    /// Chunk names the host loaded; used to recognise `chunk:line:` in messages.
    private(set) var chunkNames: Set<String> = []

    /// Strings already copied into Swift during the current `withTable`, by address.
    var stringCache: [UnsafeRawPointer: String] = [:]
    var readDepth = 0

    /// Maximum nesting when copying a Lua table into Swift; deeper (or cyclic) tables are refused.
    public var maxReadDepth = 64

    /// Create a state with no libraries opened.
    /// - Parameter memoryLimit: bytes the state may hold while Lua code runs; nil for no limit.
    public init(memoryLimit: Int? = nil) throws(LuaError) {
        context = .allocate(capacity: 1)
        context.initialize(to: wl_context())
        guard let state = wl_newstate(context) else {
            context.deallocate()
            throw LuaError(kind: .memory, message: "cannot create a Lua state")
        }
        L = state
        context.pointee.bytes_limit = memoryLimit.map { max(1, $0) } ?? 0
        context.pointee.host = Unmanaged.passUnretained(self).toOpaque()
        context.pointee.dispatch = { _, host, id in
            let state = Unmanaged<LuaState>.fromOpaque(host!).takeUnretainedValue()
            return state.dispatch(Int(id))
        }
    }

    deinit {
        if !closed { wl_close(L) }
        context.deallocate()
    }

    /// Close the state now; every object in it is freed. Using the state afterwards is a bug.
    public func close() {
        guard !closed else { return }
        closed = true
        wl_close(L)
    }

    // MARK: - Libraries

    /// Standard libraries a state may open. There is deliberately no "all".
    public struct Libraries: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let base = Libraries(rawValue: Int32(WL_LIB_BASE))
        public static let string = Libraries(rawValue: Int32(WL_LIB_STRING))
        public static let table = Libraries(rawValue: Int32(WL_LIB_TABLE))
        public static let math = Libraries(rawValue: Int32(WL_LIB_MATH))
        public static let utf8 = Libraries(rawValue: Int32(WL_LIB_UTF8))
        public static let coroutine = Libraries(rawValue: Int32(WL_LIB_COROUTINE))
        public static let os = Libraries(rawValue: Int32(WL_LIB_OS))
        public static let io = Libraries(rawValue: Int32(WL_LIB_IO))
        public static let package = Libraries(rawValue: Int32(WL_LIB_PACKAGE))
        public static let debug = Libraries(rawValue: Int32(WL_LIB_DEBUG))
        /// What pure computation needs: base, string, table, math, utf8.
        public static let computation: Libraries = [.base, .string, .table, .math, .utf8]
    }

    /// Open the chosen standard libraries (never all of them by default).
    public func open(_ libraries: Libraries) throws(LuaError) {
        let status = wl_openlibs(L, libraries.rawValue)
        guard status == LUA_OK else { throw popError(status: status) }
    }

    // MARK: - Memory and limits

    /// Bytes the state holds now (0 after `close()`).
    public var bytesInUse: Int { context.pointee.bytes_live }
    /// The most bytes the state has held at once.
    public var peakBytes: Int { context.pointee.bytes_peak }

    public var memoryLimit: Int? {
        get { context.pointee.bytes_limit == 0 ? nil : context.pointee.bytes_limit }
        set { context.pointee.bytes_limit = newValue.map { max(1, $0) } ?? 0 }
    }

    /// Instruction budgets, counted in steps of 1,000: per top-level call and per run (since
    /// `resetRun()`). Nil means no limit.
    public func setInstructionLimits(perCall: Int64?, perRun: Int64?) {
        wl_set_instruction_limits(L, perCall ?? 0, perRun ?? 0)
    }

    /// Stop any Lua code still running `seconds` from now; nil clears the deadline.
    public func setDeadline(after seconds: Double?) {
        guard let seconds else { return wl_set_deadline_after(L, 0) }
        wl_set_deadline_after(L, max(1, Int64(seconds * 1e9)))
    }

    /// Chunks whose names start with this (a library's folder) are not blamed for an error that
    /// carries no position of its own: the script frame that called into them is.
    public var libraryChunkPrefix: String = "" {
        didSet {
            withUnsafeMutableBytes(of: &context.pointee.lib_prefix) { raw in
                let bytes = Array(libraryChunkPrefix.utf8.prefix(raw.count - 1))
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
        }
    }

    /// Zero the run's instruction count and clear a tripped limit or an interrupt.
    public func resetRun() { wl_reset_run(L) }

    /// Instructions counted since `resetRun()`, to the nearest 1,000.
    public var instructionsThisRun: Int64 { context.pointee.instr_run }

    /// A handle another thread may use to stop this state's running script.
    public var interrupter: LuaInterrupter { LuaInterrupter(context: context) }

    // MARK: - Loading and calling

    /// Compile a text chunk (binary chunks are refused) into a function.
    /// - Parameter chunkName: the script's path; messages read `chunkName:line: ...`.
    public func load(_ source: String, chunkName: String) throws(LuaError) -> LuaFunction {
        var source = source
        let status = source.withUTF8 { buf in
            ("@" + chunkName).withCString { name in
                buf.withMemoryRebound(to: CChar.self) { chars in wl_load(L, chars.baseAddress, chars.count, name) }
            }
        }
        chunkNames.insert(chunkName)
        guard status == LUA_OK else {
            var error = popError(status: status)
            // "attempt to load a binary chunk" comes without a position: say which file it was.
            if error.chunk == nil, !error.message.hasPrefix(chunkName) { error.message = "\(chunkName): \(error.message)" }
            throw error
        }
        return LuaFunction(state: self, ref: popRef())
    }

    /// Compile and run a chunk; return what it returns.
    @discardableResult
    public func run(_ source: String, chunkName: String, arguments: [LuaValue] = []) throws(LuaError) -> [LuaValue] {
        try load(source, chunkName: chunkName).call(arguments)
    }

    /// Call the function on the stack below `args` (already pushed), protected.
    /// On success the results are on the stack; on failure nothing is and the error is thrown.
    func pcall(arguments: Int32, results: Int32) throws(LuaError) {
        let status = wl_pcall(L, arguments, results)
        guard status == LUA_OK else { throw popError(status: status) }
    }

    // MARK: - Globals

    /// Read a global without running any metamethod.
    public func global(_ name: String) throws(LuaError) -> LuaValue {
        lua_rawgeti(L, wl_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        push(string: name)
        lua_rawget(L, -2)
        defer { wl_pop(L, 2) }
        return try value(at: -1)
    }

    /// Set a global without running any metamethod.
    public func setGlobal(_ name: String, _ value: LuaValue) throws(LuaError) {
        lua_rawgeti(L, wl_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        push(string: name)
        try push(value)
        lua_rawset(L, -3)
        wl_pop(L, 1)
    }

    /// Set a global to a read-only view of a Swift object.
    public func setGlobal(_ name: String, readOnly object: some LuaReadOnlyObject) throws(LuaError) {
        lua_rawgeti(L, wl_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        push(string: name)
        try push(readOnly: object.luaFields, kind: object.luaKind)
        lua_rawset(L, -3)
        wl_pop(L, 1)
    }

    /// A global function, to call from Swift.
    public func function(_ name: String) throws(LuaError) -> LuaFunction {
        lua_rawgeti(L, wl_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        push(string: name)
        let type = lua_rawget(L, -2)
        guard type == LUA_TFUNCTION else {
            wl_pop(L, 2)
            throw LuaError(kind: .value, message: "global '\(name)' is not a function")
        }
        wl_remove(L, -2)
        return LuaFunction(state: self, ref: popRef())
    }

    // MARK: - Swift functions

    /// Make a Swift function callable from Lua as global `name`.
    ///
    /// The function reads its arguments from `LuaCall` and returns its results. To fail, it
    /// throws: the error becomes a Lua error at the calling script's line, which Lua code can
    /// catch with `pcall` and which otherwise reaches Swift as a `LuaError`.
    public func register(_ name: String, _ body: @escaping (LuaCall) throws -> [LuaValue]) throws(LuaError) {
        lua_rawgeti(L, wl_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        push(string: name)
        pushFunction(body)
        lua_rawset(L, -3)
        wl_pop(L, 1)
    }

    /// Make a Swift function callable from Lua as global `name` that returns one value held in
    /// the state (a module, an object), or nothing.
    public func register(_ name: String, returningReference body: @escaping (LuaCall) throws -> LuaReference?) throws(LuaError) {
        lua_rawgeti(L, wl_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        push(string: name)
        pushRawFunction { call in
            guard let result = try body(call) else { return 0 }
            call.state.pushRef(result.ref)
            return 1
        }
        lua_rawset(L, -3)
        wl_pop(L, 1)
    }

    /// Push a Swift function as a Lua value (see `register(_:_:)`).
    func pushFunction(_ body: @escaping (LuaCall) throws -> [LuaValue]) {
        pushRawFunction { call in
            let results = try body(call)
            for value in results { try call.state.push(value) }
            return Int32(results.count)
        }
    }

    /// Push a Swift function that pushes its own results and returns their count.
    func pushRawFunction(_ body: @escaping (LuaCall) throws -> Int32) {
        functions.append(body)
        wl_pushswift(L, Int64(functions.count - 1))
    }

    /// Called by the C trampoline. Never throws: a failure is a message on the stack and -1.
    private func dispatch(_ id: Int) -> Int32 {
        let top = lua_gettop(L)
        do {
            return try functions[id](LuaCall(state: self, count: top))
        } catch {
            lua_settop(L, top)
            let message = (error as? LuaError)?.message ?? String(describing: error)
            push(string: LuaError.clean(message))
            return -1
        }
    }

    // MARK: - Stack

    var top: Int32 { lua_gettop(L) }

    func push(string: String) {
        var s = string
        s.withUTF8 { buf in
            _ = lua_pushlstring(L, buf.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, buf.count)
        }
    }

    /// Push a value; tables are copied.
    public func push(_ value: LuaValue) throws(LuaError) {
        guard lua_checkstack(L, 4) != 0 else {
            throw LuaError(kind: .value, message: "Lua stack overflow while pushing a value")
        }
        switch value {
        case .nil: lua_pushnil(L)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .number(let d): lua_pushnumber(L, d)
        case .string(let s): push(string: s)
        case .bytes(let b):
            b.withUnsafeBufferPointer { buf in
                _ = lua_pushlstring(L, buf.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, buf.count)
            }
        case .table(let t): try push(table: t)
        case .opaque(let name):
            throw LuaError(kind: .value, message: "cannot push a \(name) value from Swift")
        }
    }

    private func push(table: LuaTable) throws(LuaError) {
        lua_createtable(L, Int32(clamping: table.array.count), Int32(clamping: table.hash.count))
        for (i, element) in table.array.enumerated() {
            try push(element)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        for (key, element) in table.hash {
            switch key {
            case .nil: throw LuaError(kind: .value, message: "a table key cannot be nil")
            case .number(let d) where d.isNaN: throw LuaError(kind: .value, message: "a table key cannot be NaN")
            default: break
            }
            try push(key)
            try push(element)
            lua_rawset(L, -3)
        }
    }

    /// Push a read-only view of `table`: nested tables are read-only too.
    public func push(readOnly table: LuaTable, kind: String) throws(LuaError) {
        guard lua_checkstack(L, 6) != 0 else {
            throw LuaError(kind: .value, message: "Lua stack overflow while pushing a value")
        }
        lua_createtable(L, Int32(clamping: table.array.count), Int32(clamping: table.hash.count))
        for (i, element) in table.array.enumerated() {
            try pushNestedReadOnly(element, kind: kind)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        for (key, element) in table.hash {
            if case .table = key { throw LuaError(kind: .value, message: "a read-only table key cannot be a table") }
            if case .nil = key { throw LuaError(kind: .value, message: "a table key cannot be nil") }
            if case .number(let d) = key, d.isNaN { throw LuaError(kind: .value, message: "a table key cannot be NaN") }
            try push(key)
            try pushNestedReadOnly(element, kind: kind)
            lua_rawset(L, -3)
        }
        kind.withCString { wl_readonly(L, $0) }
    }

    private func pushNestedReadOnly(_ value: LuaValue, kind: String) throws(LuaError) {
        if case .table(let t) = value { try push(readOnly: t, kind: kind) } else { try push(value) }
    }

    /// A nil, boolean, number or string at `index` (strings cut at `maxBytes`); nil for
    /// anything else. No metamethod runs; a number is not converted in place.
    func scalar(at index: Int32, maxBytes: Int = .max) -> LuaValue? {
        switch lua_type(L, index) {
        case LUA_TNIL, LUA_TNONE: return .nil
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER:
            if wl_isinteger(L, index) != 0 { return .integer(Int64(lua_tointegerx(L, index, nil))) }
            return .number(lua_tonumberx(L, index, nil))
        case LUA_TSTRING:
            var len = 0
            let ptr = wl_tolstring(L, index, &len)!
            let bytes = UnsafeRawBufferPointer(start: ptr, count: min(len, max(0, maxBytes)))
            if let s = String(validating: bytes, as: UTF8.self) { return .string(s) }
            return .bytes(Array(bytes))
        default:
            return nil
        }
    }

    /// The value at `index`, scalars only (see `LuaCall.preview`).
    func preview(at index: Int32, maxBytes: Int) -> LuaValue {
        scalar(at: index, maxBytes: maxBytes) ?? .opaque(String(cString: lua_typename(L, lua_type(L, index))))
    }

    /// Copy the value at `index` into Swift without running any metamethod.
    public func value(at index: Int32) throws(LuaError) -> LuaValue {
        try value(at: lua_absindex(L, index), depth: 0)
    }

    private func value(at index: Int32, depth: Int) throws(LuaError) -> LuaValue {
        if let v = scalar(at: index) { return v }
        switch lua_type(L, index) {
        case LUA_TTABLE:
            guard depth < maxReadDepth else {
                throw LuaError(kind: .value, message: "table nested deeper than \(maxReadDepth) levels (or cyclic)")
            }
            return .table(try table(at: index, depth: depth + 1))
        default:
            return .opaque(String(cString: lua_typename(L, lua_type(L, index))))
        }
    }

    private func table(at index: Int32, depth: Int) throws(LuaError) -> LuaTable {
        guard lua_checkstack(L, 4) != 0 else {
            throw LuaError(kind: .value, message: "Lua stack overflow while reading a table")
        }
        var hash: [LuaValue: LuaValue] = [:]
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            // stack: key, value. Copy the key before reading it: lua_tolstring converts numbers
            // in place, which would confuse lua_next.
            lua_pushvalue(L, -2)
            let key: LuaValue
            let element: LuaValue
            do {
                key = try value(at: lua_absindex(L, -1), depth: depth)
                element = try value(at: lua_absindex(L, -2), depth: depth)
            } catch {
                wl_pop(L, 3) // key, value, key copy
                throw error
            }
            wl_pop(L, 2)
            hash[key] = element
        }
        var array: [LuaValue] = []
        var i: Int64 = 1
        while let element = hash.removeValue(forKey: .integer(i)) {
            array.append(element)
            i += 1
        }
        return LuaTable(array: array, hash: hash)
    }

    /// Pop the value on top into a registry reference.
    private func popRef() -> Int32 {
        luaL_ref(L, wl_registryindex())
    }

    func unref(_ ref: Int32) {
        guard !closed else { return }
        luaL_unref(L, wl_registryindex(), ref)
    }

    func pushRef(_ ref: Int32) {
        lua_rawgeti(L, wl_registryindex(), lua_Integer(ref))
    }

    /// Pop the error left by a failed load or call and describe it.
    private func popError(status: Int32) -> LuaError {
        defer { wl_pop(L, 1) }
        var text = ""
        if lua_type(L, -1) == LUA_TSTRING {
            var len = 0
            let ptr = wl_tolstring(L, -1, &len)!
            text = String(decoding: UnsafeRawBufferPointer(start: ptr, count: len), as: UTF8.self)
        } else {
            text = "(error object is a \(String(cString: lua_typename(L, lua_type(L, -1)))) value)"
        }
        var message = text
        var traceback: String?
        if let range = text.range(of: "\nstack traceback:\n") {
            message = String(text[..<range.lowerBound])
            traceback = String(text[range.lowerBound...].dropFirst())
        } else if text.hasPrefix("stack traceback:\n") {
            message = ""
            traceback = text
        }
        let kind: LuaError.Kind
        switch status {
        case LUA_ERRSYNTAX: kind = .syntax
        case LUA_ERRMEM: kind = .memory
        case WL_STATUS_TRIPPED:
            switch context.pointee.tripped {
            case Int32(WL_TRIP_CALL_INSTRUCTIONS): kind = .limit(.instructionsPerCall)
            case Int32(WL_TRIP_RUN_INSTRUCTIONS): kind = .limit(.instructionsPerRun)
            case Int32(WL_TRIP_DEADLINE): kind = .limit(.time)
            default: kind = .limit(.interrupted)
            }
        default: kind = .runtime
        }
        if kind == .memory { message = "not enough memory: the script needs more than its memory limit" }
        return located(message, kind: kind, traceback: traceback, recorded: true)
    }

    /// A message a script raised (say, one a keep-going run collected with pcall) as an error that
    /// names the script's path and line: Lua's shortened "...tail" names are put back in full,
    /// and a position in the host's own chunks is dropped.
    public func scriptError(_ message: String) -> LuaError {
        located(message, kind: .runtime, traceback: nil, recorded: false)
    }

    /// Find the script position of `message`: the one it starts with when that names a script the
    /// host loaded, else (with `recorded`) the frame the message handler recorded.
    private func located(_ text: String, kind: LuaError.Kind, traceback: String?, recorded: Bool) -> LuaError {
        var message = text
        var chunk: String?
        var line: Int?
        // Lua shortens long chunk names to ".../tail"; put back the full name the host gave.
        if message.hasPrefix("...") {
            let rest = message.dropFirst(3)
            for name in chunkNames where name.count > 3 {
                if let tail = rest.split(separator: ":", maxSplits: 1).first, name.hasSuffix(tail) {
                    message = name + rest.dropFirst(tail.count)
                    break
                }
            }
        }
        // A position in one of the host's own chunks ("=warmth-driver:19: ") is where a script's
        // error(msg, 2) or a tail call pointed, never what the script's author should fix: drop it
        // and fall back to the script frame the message handler recorded.
        for name in chunkNames where name.hasPrefix("=") && message.hasPrefix(name + ":") {
            let rest = message.dropFirst(name.count + 1)
            let digits = rest.prefix { $0.isNumber }
            if !digits.isEmpty, rest.dropFirst(digits.count).hasPrefix(": ") {
                message = String(rest.dropFirst(digits.count + 2))
                break
            }
        }
        // Prefer the position in the message, when it names a script the host loaded.
        for name in chunkNames where !name.hasPrefix("=") && message.hasPrefix(name + ":") {
            let rest = message.dropFirst(name.count + 1)
            if let digits = Int(rest.prefix { $0.isNumber }), rest.dropFirst(String(digits).count).hasPrefix(":") {
                chunk = name
                line = digits
                break
            }
        }
        if chunk == nil, recorded, context.pointee.err_line > 0 {
            let source = withUnsafeBytes(of: context.pointee.err_source) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if chunkNames.contains(source) {
                chunk = source
                line = Int(context.pointee.err_line)
            }
        }
        return LuaError(kind: kind, message: message, chunk: chunk, line: line, traceback: traceback)
    }
}

/// A Lua value held by Swift in the state's registry, pushed back without copying.
/// Use it for objects passed to many calls (a read-only household, a policy's params).
public final class LuaReference {
    let state: LuaState
    let ref: Int32

    init(state: LuaState, ref: Int32) {
        self.state = state
        self.ref = ref
    }

    deinit { state.unref(ref) }
}

extension LuaState {
    /// Hold a read-only view of `object` in the state, to pass to many calls.
    public func reference(readOnly object: some LuaReadOnlyObject) throws(LuaError) -> LuaReference {
        try push(readOnly: object.luaFields, kind: object.luaKind)
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// Hold a copy of `value` in the state.
    public func reference(_ value: LuaValue) throws(LuaError) -> LuaReference {
        try push(value)
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }
}

/// A Lua function held by Swift.
public final class LuaFunction {
    let state: LuaState
    let ref: Int32

    init(state: LuaState, ref: Int32) {
        self.state = state
        self.ref = ref
    }

    deinit { state.unref(ref) }

    /// Call the function, protected; return all its results.
    @discardableResult
    public func call(_ arguments: [LuaValue] = []) throws(LuaError) -> [LuaValue] {
        let base = state.top
        state.pushRef(ref)
        for argument in arguments {
            do { try state.push(argument) } catch {
                lua_settop(state.L, base)
                throw error
            }
        }
        try state.pcall(arguments: Int32(arguments.count), results: LUA_MULTRET)
        defer { lua_settop(state.L, base) }
        var results: [LuaValue] = []
        let top = state.top
        if top > base {
            for i in (base + 1)...top { results.append(try state.value(at: i)) }
        }
        return results
    }

    @discardableResult
    public func call(_ arguments: LuaValue...) throws(LuaError) -> [LuaValue] {
        try call(arguments)
    }

    /// Call, and hold the first result, which must be a function (a chunk that returns one).
    public func callReturningFunction(_ arguments: [LuaValue] = []) throws(LuaError) -> LuaFunction {
        let base = state.top
        state.pushRef(ref)
        for argument in arguments {
            do { try state.push(argument) } catch {
                lua_settop(state.L, base)
                throw error
            }
        }
        try state.pcall(arguments: Int32(arguments.count), results: 1)
        guard lua_type(state.L, -1) == LUA_TFUNCTION else {
            let type = String(cString: lua_typename(state.L, lua_type(state.L, -1)))
            lua_settop(state.L, base)
            throw LuaError(kind: .value, message: "expected the chunk to return a function, got \(type)")
        }
        return LuaFunction(state: state, ref: luaL_ref(state.L, wl_registryindex()))
    }

    /// Call with one value held in the state; return the first result. The cheap path for
    /// calling one function many times: nothing is allocated unless the result is a table.
    public func call(_ argument: LuaReference) throws(LuaError) -> LuaValue {
        let base = state.top
        guard lua_checkstack(state.L, 2) != 0 else {
            throw LuaError(kind: .value, message: "Lua stack overflow while calling a function")
        }
        state.pushRef(ref)
        state.pushRef(argument.ref)
        try state.pcall(arguments: 1, results: 1)
        defer { lua_settop(state.L, base) }
        return try state.value(at: -1)
    }

    /// Call with values already held in the state; return the first result.
    public func call(_ arguments: LuaReference...) throws(LuaError) -> LuaValue {
        let base = state.top
        guard lua_checkstack(state.L, Int32(arguments.count) + 1) != 0 else {
            throw LuaError(kind: .value, message: "Lua stack overflow while calling a function")
        }
        state.pushRef(ref)
        for argument in arguments { state.pushRef(argument.ref) }
        try state.pcall(arguments: Int32(arguments.count), results: 1)
        defer { lua_settop(state.L, base) }
        return try state.value(at: -1)
    }
}

/// The arguments of a call from Lua into a Swift function.
public struct LuaCall {
    public let state: LuaState
    /// How many arguments Lua passed.
    public let count: Int32

    /// Argument `i` (1-based), copied into Swift; `.nil` past the end.
    public func argument(_ i: Int32) throws -> LuaValue {
        guard i >= 1, i <= count else { return .nil }
        return try state.value(at: i)
    }

    public var arguments: [LuaValue] {
        get throws { try (0..<count).map { try argument($0 + 1) } }
    }

    /// Argument `i` without copying anything large: a table, function or other object reads as
    /// `.opaque(type name)`, and a string is cut to its first `maxBytes` bytes. Use it for
    /// arguments from untrusted scripts: `argument(_:)` copies a whole table, and a table of 60
    /// levels that shares its children (a DAG, not a cycle) stands for 2^60 values.
    public func preview(_ i: Int32, maxBytes: Int) -> LuaValue {
        guard i >= 1, i <= count else { return .nil }
        return state.preview(at: i, maxBytes: maxBytes)
    }
}

/// Reads, from another thread, how far a driver loop has come: the index it last wrote into
/// its progress table, as the count hook saw it (every 1,000 instructions). Valid while the
/// state lives.
public struct LuaProgressProbe: @unchecked Sendable {
    let context: UnsafeMutablePointer<wl_context>
    public var index: Int64 { wl_progress(context) }
}

extension LuaState {
    public var progressProbe: LuaProgressProbe { LuaProgressProbe(context: context) }
}

/// Stops a state's running script from another thread (the REPL's Ctrl-C, a watchdog).
public struct LuaInterrupter: @unchecked Sendable {
    let context: UnsafeMutablePointer<wl_context>
    public func interrupt() { wl_interrupt(context) }
}

extension LuaState {
    /// "Lua 5.4.4", from the linked library.
    public static var luaVersion: String {
        "Lua \(LUA_VERSION_MAJOR).\(LUA_VERSION_MINOR).\(LUA_VERSION_RELEASE)"
    }
}
