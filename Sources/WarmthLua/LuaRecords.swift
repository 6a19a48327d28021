internal import CLua
internal import CLuaBridge

/// Values held in the state, and fast raw reading of many small records (the payouts a policy
/// returns). Everything here uses raw access only (no metamethod can run), and only API calls
/// that cannot raise while Swift is on the stack.
extension LuaState {
    /// Make a read-only view of a Lua value held in the state (a table; nested tables stay as
    /// they are, so give it flat tables).
    public func readOnlyView(of table: LuaReference, kind: String) throws(LuaError) -> LuaReference {
        pushRef(table.ref)
        guard lua_type(L, -1) == LUA_TTABLE else {
            wl_pop(L, 1)
            throw LuaError(kind: .value, message: "expected a table to make read-only")
        }
        kind.withCString { wl_readonly(L, $0) }
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// A read-only params view of a held flat table that records which params a decision reads:
    /// reading param `k` sets bit `bits[k]` (0...63) of the decision's mask; `pairs` and `#` set
    /// every bit. The masks land where `recordMasks` says, through the `commit_mask` helper.
    public func trackingParams(of table: LuaReference, bits: [String: Int]) throws(LuaError) -> LuaReference {
        pushRef(table.ref)
        guard lua_type(L, -1) == LUA_TTABLE else {
            wl_pop(L, 1)
            throw LuaError(kind: .value, message: "expected a table to make read-only")
        }
        lua_createtable(L, 0, Int32(bits.count))
        for (key, bit) in bits {
            push(string: key)
            lua_pushinteger(L, lua_Integer(bit & 63))
            lua_rawset(L, -3)
        }
        wl_tracking_params(L)
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// Where `commit_mask(i)` stores the read mask of household i's decision (`masks[i - 1]`,
    /// i in 1...count), or nil to stop recording. The buffer must outlive the recording.
    public func recordMasks(_ masks: UnsafeMutablePointer<UInt64>?, count: Int) {
        wl_record_masks(context, masks, Int64(count))
    }

    /// Set global `name` to a value held in the state, raw.
    public func setGlobal(_ name: String, reference: LuaReference) {
        lua_rawgeti(L, wl_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        push(string: name)
        pushRef(reference.ref)
        lua_rawset(L, -3)
        wl_pop(L, 1)
    }

    /// Hold the value of global `name`, read raw.
    public func globalReference(_ name: String) -> LuaReference {
        lua_rawgeti(L, wl_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        push(string: name)
        lua_rawget(L, -2)
        wl_remove(L, -2)
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// Hold field `key` of a held table, read raw.
    public func fieldReference(_ table: LuaReference, _ key: String) -> LuaReference {
        pushRef(table.ref)
        if lua_type(L, -1) == LUA_TTABLE {
            push(string: key)
            lua_rawget(L, -2)
        } else {
            lua_pushnil(L)
        }
        wl_remove(L, -2)
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// Hold item `i` (1-based) of a held table, read raw.
    public func itemReference(_ table: LuaReference, _ i: Int) -> LuaReference {
        pushRef(table.ref)
        if lua_type(L, -1) == LUA_TTABLE {
            lua_rawgeti(L, -1, lua_Integer(i))
        } else {
            lua_pushnil(L)
        }
        wl_remove(L, -2)
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// Set field `key` of a held table to a held value, raw.
    public func setField(_ table: LuaReference, _ key: String, _ value: LuaReference) {
        pushRef(table.ref)
        guard lua_type(L, -1) == LUA_TTABLE else { return wl_pop(L, 1) }
        push(string: key)
        pushRef(value.ref)
        lua_rawset(L, -3)
        wl_pop(L, 1)
    }

    /// A Swift function as a Lua value held in the state (see `register(_:_:)` for the rules).
    public func makeFunction(_ body: @escaping (LuaCall) throws -> [LuaValue]) -> LuaReference {
        pushFunction(body)
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// A Swift function returning one value held in the state, as a Lua value held in the state.
    public func makeFunction(returningReference body: @escaping (LuaCall) throws -> LuaReference?) -> LuaReference {
        pushRawFunction { call in
            guard let result = try body(call) else { return 0 }
            call.state.pushRef(result.ref)
            return 1
        }
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// Run a full garbage collection (no finalizer can run: the sandbox refuses __gc).
    public func collectGarbage() {
        wl_gccollect(L)
    }

    /// A new empty table held in the state.
    public func newTable() -> LuaReference {
        lua_createtable(L, 0, 0)
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// Let the count hook restart the per-call instruction count whenever `progress[1]` changes.
    public func useProgressTable(_ progress: LuaReference?) {
        context.pointee.progress_ref = progress?.ref ?? 0
        wl_reset_progress(context)
    }

    /// Record the last line run in the chunk loaded as `chunkName` (the 不漏 check reads it
    /// between decisions through the `last_line` helper), or stop (nil).
    public func traceLines(in chunkName: String?) {
        guard let chunkName else { return wl_trace_lines(L, nil) }
        ("@" + chunkName).withCString { wl_trace_lines(L, $0) }
    }

    /// Push one of the host's C helpers for the stdlib (`caller_line`).
    public func helper(_ name: String) -> LuaReference {
        name.withCString { wl_pushhelper(L, $0) }
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// Read a held table raw (no metamethod runs): its fields, its array items, and nested tables.
    /// Strings read while it runs are copied into Swift once each (a plan's thousands of equal
    /// categories are one Lua string, and one Swift string).
    public func withTable<R>(_ table: LuaReference, _ body: (borrowing TableReader) throws -> R) throws -> R {
        let base = lua_gettop(L)
        readDepth += 1
        defer {
            lua_settop(L, base)
            readDepth -= 1
            // The cache is keyed by the strings' addresses, valid only while the table keeps them.
            if readDepth == 0 { stringCache.removeAll(keepingCapacity: true) }
        }
        guard lua_checkstack(L, 16) != 0 else {
            throw LuaError(kind: .value, message: "Lua stack overflow while reading a table")
        }
        pushRef(table.ref)
        guard lua_type(L, -1) == LUA_TTABLE else {
            throw LuaError(kind: .value, message: "expected a table, got \(String(cString: lua_typename(L, lua_type(L, -1))))")
        }
        return try body(TableReader(state: self, index: lua_gettop(L)))
    }

    /// A table on the stack, read raw.
    public struct TableReader: ~Copyable {
        let state: LuaState
        let index: Int32

        var L: OpaquePointer { state.L }

        /// The raw length (border) of the array part.
        public var count: Int { Int(lua_rawlen(L, index)) }

        /// What one field holds, without copying tables.
        public enum Field: Equatable, Sendable {
            case `nil`, boolean(Bool), integer(Int64), number(Double), string(String), bytes([UInt8]), table, other(String)
        }

        /// Field `key`, read raw.
        public func field(_ key: String) -> Field {
            state.push(string: key)
            lua_rawget(L, index)
            defer { wl_pop(L, 1) }
            return state.read(-1)
        }

        /// Item `i` (1-based), read raw.
        public func item(_ i: Int) -> Field {
            lua_rawgeti(L, index, lua_Integer(i))
            defer { wl_pop(L, 1) }
            return state.read(-1)
        }

        /// Read the table at item `i` (or nil when it is not a table).
        public func withItem<R>(_ i: Int, _ body: (borrowing TableReader) throws -> R) rethrows -> R? {
            lua_rawgeti(L, index, lua_Integer(i))
            defer { wl_pop(L, 1) }
            guard lua_type(L, -1) == LUA_TTABLE else { return nil }
            return try body(TableReader(state: state, index: lua_gettop(L)))
        }

        /// Read the table in field `key` (or nil when it is not a table).
        public func withField<R>(_ key: String, _ body: (borrowing TableReader) throws -> R) rethrows -> R? {
            state.push(string: key)
            lua_rawget(L, index)
            defer { wl_pop(L, 1) }
            guard lua_type(L, -1) == LUA_TTABLE else { return nil }
            return try body(TableReader(state: state, index: lua_gettop(L)))
        }

        /// The line the host's `with_line` wrapper recorded when its function returned this
        /// table, or nil for a table it never returned (one a script built by hand).
        public var recordedLine: Int64? {
            let line = wl_recorded_line(L, index)
            return line >= 0 ? Int64(line) : nil
        }

        /// Every key of the table, raw, as strings where they are strings.
        public var stringKeys: [String] {
            var keys: [String] = []
            lua_pushnil(L)
            while lua_next(L, index) != 0 {
                if lua_type(L, -2) == LUA_TSTRING, case .string(let s) = state.read(-2) { keys.append(s) }
                wl_pop(L, 1)
            }
            return keys
        }

    }

    /// Call a held function with held arguments; hold its results (up to `results`).
    public func call(_ function: LuaReference, _ arguments: [LuaReference], results: Int) throws(LuaError) -> [LuaReference] {
        let base = lua_gettop(L)
        guard lua_checkstack(L, Int32(arguments.count + results + 2)) != 0 else {
            throw LuaError(kind: .value, message: "Lua stack overflow while calling a function")
        }
        pushRef(function.ref)
        for a in arguments { pushRef(a.ref) }
        try pcall(arguments: Int32(arguments.count), results: Int32(results))
        var out: [LuaReference] = []
        for i in 0..<results {
            lua_pushvalue(L, base + 1 + Int32(i))
            out.append(LuaReference(state: self, ref: luaL_ref(L, wl_registryindex())))
        }
        lua_settop(L, base)
        return out
    }

    /// The Lua type of a held value ("table", "function", ...).
    public func typeName(of value: LuaReference) -> String {
        pushRef(value.ref)
        defer { wl_pop(L, 1) }
        return String(cString: lua_typename(L, lua_type(L, -1)))
    }

    /// Copy a held value into Swift.
    public func value(of reference: LuaReference) throws(LuaError) -> LuaValue {
        pushRef(reference.ref)
        defer { wl_pop(L, 1) }
        return try value(at: -1)
    }
}

extension LuaState {
    /// Read the value at `i` without running any metamethod; strings go through the cache.
    func read(_ i: Int32) -> TableReader.Field {
        switch lua_type(L, i) {
        case LUA_TSTRING:
            var len = 0
            let p = wl_tolstring(L, i, &len)!
            let key = UnsafeRawPointer(p)
            if readDepth > 0, let cached = stringCache[key] { return .string(cached) }
            let raw = UnsafeRawBufferPointer(start: p, count: len)
            guard let s = String(validating: raw, as: UTF8.self) else { return .bytes(Array(raw)) }
            if readDepth > 0 { stringCache[key] = s }
            return .string(s)
        case LUA_TTABLE: return .table
        default:
            switch scalar(at: i) {
            case .nil?: return .nil
            case .boolean(let b)?: return .boolean(b)
            case .integer(let n)?: return .integer(n)
            case .number(let d)?: return .number(d)
            default: return .other(String(cString: lua_typename(L, lua_type(L, i))))
            }
        }
    }
}

extension LuaFunction {
    /// Hold this function as a reference, to pass to `call(_:_:results:)`.
    public var reference: LuaReference {
        state.pushRef(ref)
        return LuaReference(state: state, ref: luaL_ref(state.L, wl_registryindex()))
    }
}
