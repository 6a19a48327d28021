/// A Lua value copied into Swift, or to be copied into Lua.
///
/// Integers and floats stay distinct, as in Lua 5.4: `.integer(Int64.max)` round-trips exactly,
/// and `.number(2.0)` comes back as a float. Strings are byte strings in Lua; one that is valid
/// UTF-8 reads back as `.string`, any other as `.bytes`, so nothing is lost either way.
public enum LuaValue: Sendable, Hashable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case bytes([UInt8])
    case table(LuaTable)
    /// A value Swift does not copy (function, userdata, thread); the payload is its Lua type name.
    case opaque(String)

    /// The Lua type name, as `type()` would say it.
    public var typeName: String {
        switch self {
        case .nil: "nil"
        case .boolean: "boolean"
        case .integer, .number: "number"
        case .string, .bytes: "string"
        case .table: "table"
        case .opaque(let name): name
        }
    }

    public var isNil: Bool { if case .nil = self { true } else { false } }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }

    public var integerValue: Int64? { if case .integer(let i) = self { i } else { nil } }

    public var tableValue: LuaTable? { if case .table(let t) = self { t } else { nil } }
}

extension LuaValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral
{
    public init(nilLiteral: ()) { self = .nil }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
}

/// A Lua table copied into Swift: its sequence `1...n` in `array`, every other entry in `hash`.
public struct LuaTable: Sendable, Hashable {
    public var array: [LuaValue]
    public var hash: [LuaValue: LuaValue]

    public init(array: [LuaValue] = [], hash: [LuaValue: LuaValue] = [:]) {
        self.array = array
        self.hash = hash
    }

    /// A table with string keys only.
    public init(fields: [String: LuaValue]) {
        self.array = []
        self.hash = Dictionary(uniqueKeysWithValues: fields.map { (LuaValue.string($0.key), $0.value) })
    }

    public subscript(key: String) -> LuaValue {
        get { hash[.string(key)] ?? .nil }
        set { hash[.string(key)] = newValue.isNil ? nil : newValue }
    }

    public var isEmpty: Bool { array.isEmpty && hash.isEmpty }
}

/// A Swift value that Lua sees as a read-only object: fields can be read, writing one is an
/// error that names the field and the script line.
public protocol LuaReadOnlyObject {
    /// What the object is called in error messages: "household", "campaign".
    var luaKind: String { get }
    /// The fields Lua reads. Nested tables are read-only too.
    var luaFields: LuaTable { get }
}
