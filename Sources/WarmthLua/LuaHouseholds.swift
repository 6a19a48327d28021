internal import CLua
internal import CLuaBridge

/// Column arrays that back household objects in Lua (see `CLuaBridge/include/households.h`).
///
/// This is the one binding the host layer keeps for a particular kind of record: a run may
/// decide a million households, and userdata that read these columns in place cost a few bytes
/// each instead of a Lua table per household. The arrays are copied once into memory this
/// object owns; keep it alive as long as any state holds households made from it.
public final class LuaHouseholdColumns: @unchecked Sendable {
    public let count: Int
    private let buffers: [UnsafeMutableRawPointer]

    /// - Parameters: one entry per household, except `names` (all names' UTF-8, back to back)
    ///   and `nameOffsets` (count + 1 offsets into it). Vocabulary columns are indices: file
    ///   status 0-based (live when below `liveBelow`), the others 1-based with 0 for none.
    public init(ids: [Int64], income: [Int64], categories: [Int64], causes: [Int64], members: [UInt8],
                fileStatus: [UInt8], difficulty: [UInt8], mainCause: [UInt8], identity: [UInt8], units: [UInt32], unitCodes: [String],
                registeredOn: [Int32], age: [Int16], male: [UInt8], names: [UInt8], nameOffsets: [UInt32], liveBelow: Int) {
        count = ids.count
        var owned: [UnsafeMutableRawPointer] = []
        func copy<T>(_ a: [T]) -> UnsafePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(a.count, 1))
            a.withUnsafeBufferPointer { if let b = $0.baseAddress { p.initialize(from: b, count: a.count) } }
            owned.append(UnsafeMutableRawPointer(p))
            return UnsafePointer(p)
        }
        var columns = wl_columns()
        columns.count = Int64(count)
        columns.ids = copy(ids)
        columns.income = copy(income)
        columns.categories = copy(categories)
        columns.causes = copy(causes)
        columns.members = copy(members)
        columns.file_status = copy(fileStatus)
        columns.difficulty = copy(difficulty)
        columns.main_cause = copy(mainCause)
        columns.identity = copy(identity)
        columns.units = copy(units)
        var codeBytes: [UInt8] = []
        var codeOffsets: [UInt32] = [0]
        for code in unitCodes {
            codeBytes += code.utf8
            codeOffsets.append(UInt32(codeBytes.count))
        }
        columns.unit_codes = copy(codeBytes)
        columns.unit_offsets = copy(codeOffsets)
        columns.registered_on = copy(registeredOn)
        columns.age = copy(age)
        columns.male = copy(male)
        columns.names = copy(names)
        columns.name_offsets = copy(nameOffsets)
        columns.live_below = Int32(liveBelow)
        buffers = owned
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: columns)
    }

    let pointer: UnsafeMutablePointer<wl_columns>

    deinit {
        pointer.deallocate()
        for b in buffers { b.deallocate() }
    }
}

extension LuaState {
    /// Create the household class in this state. `strings` holds the lists the columns index
    /// (`statuses`, `difficulty`, `main_cause`, `identity`, `sex`) and the known
    /// `categories` and `causes` as text for messages; the bit tables map names to bits; `methods`
    /// holds the Lua methods (`categories`, `causes`, `cause_count`); `is` and `has` are added.
    public func makeHouseholdClass(strings: LuaTable, categoryBits: LuaTable, causeBits: LuaTable,
                                   methods: LuaReference) throws(LuaError) {
        try push(.table(strings))
        try push(.table(categoryBits))
        try push(.table(causeBits))
        pushRef(methods.ref)
        guard lua_type(L, -1) == LUA_TTABLE else {
            wl_pop(L, 4)
            throw LuaError(kind: .value, message: "the household methods must be a table")
        }
        wl_households_class(L)
    }

    /// An array of households for rows `range` of `columns` (the class must exist).
    public func makeHouseholds(_ columns: LuaHouseholdColumns, range: Range<Int>) -> LuaReference {
        wl_push_households(L, columns.pointer, Int64(range.lowerBound), Int64(range.count))
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }

    /// The same for the listed rows, in their order (the households a what-if re-decides).
    public func makeHouseholds(_ columns: LuaHouseholdColumns, rows: [Int]) -> LuaReference {
        let rows64 = rows.map(Int64.init)
        rows64.withUnsafeBufferPointer { wl_push_households_at(L, columns.pointer, $0.baseAddress, Int64(rows.count)) }
        return LuaReference(state: self, ref: luaL_ref(L, wl_registryindex()))
    }
}

extension LuaHouseholdColumns {
    /// What households made from these columns carry, to find their columns again
    /// (`LuaCall.households(_:)`).
    public var address: UnsafeRawPointer { UnsafeRawPointer(pointer) }
}

extension LuaCall {
    /// The households of the list at argument `i`: for each, the address of the columns it reads
    /// (`LuaHouseholdColumns.address`) and its row. `notHousehold` is the 1-based position of the
    /// first item that is not a household (or 0 when argument `i` is not a list).
    public func households(_ i: Int32, max: Int = 1_000_000) -> (rows: [(columns: UnsafeRawPointer, row: Int)], notHousehold: Int?) {
        guard i >= 1, i <= count, lua_type(state.L, i) == LUA_TTABLE else { return ([], 0) }
        let size = Swift.min(Int(lua_rawlen(state.L, i)), max)
        var cols = [UnsafePointer<wl_columns>?](repeating: nil, count: Swift.max(size, 1))
        var rows = [Int64](repeating: 0, count: Swift.max(size, 1))
        let n = cols.withUnsafeMutableBufferPointer { c in
            rows.withUnsafeMutableBufferPointer { r in wl_household_rows(state.L, i, c.baseAddress, r.baseAddress, Int64(size)) }
        }
        if n < 0 { return ([], Int(-n)) }
        return ((0..<size).map { (UnsafeRawPointer(cols[$0]!), Int(rows[$0])) }, Int(n) > size ? size + 1 : nil)
    }

    /// Whether argument `i` is the very value `reference` holds (raw equality: no metamethod runs).
    public func isSame(_ i: Int32, as reference: LuaReference) -> Bool {
        guard i >= 1, i <= count, lua_checkstack(state.L, 1) != 0 else { return false }
        state.pushRef(reference.ref)
        defer { wl_pop(state.L, 1) }
        return lua_rawequal(state.L, i, -1) != 0
    }
}
