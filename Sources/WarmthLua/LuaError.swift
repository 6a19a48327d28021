/// A failure inside Lua, or at the boundary, in a form a person can act on.
///
/// `description` reads `scripts/x.lua:12: attempt to index a nil value (field 'y')`: the chunk
/// name is the script's path as the host loaded it, never a name the script chose.
public struct LuaError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The chunk did not compile.
        case syntax
        /// The script raised an error, or a Swift function it called failed.
        case runtime
        /// The script needed more memory than its limit allows.
        case memory
        /// A host limit stopped the script.
        case limit(Limit)

        /// Whether a host limit stopped the script.
        public var isLimit: Bool { if case .limit = self { true } else { false } }
        /// A value crossing the boundary was not what the host accepts.
        case value
    }

    public enum Limit: Sendable, Equatable {
        case instructionsPerCall, instructionsPerRun, time, interrupted
    }

    public var kind: Kind
    /// The message, with the `chunk:line:` prefix Lua gave it when it has one.
    public var message: String
    /// The script's path (the chunk name the host loaded it under).
    public var chunk: String?
    public var line: Int?
    public var traceback: String?

    public init(kind: Kind, message: String, chunk: String? = nil, line: Int? = nil, traceback: String? = nil) {
        self.kind = kind
        self.message = LuaError.clean(message)
        self.chunk = chunk
        self.line = line
        self.traceback = traceback.map { LuaError.clean($0, limit: 8_000) }
    }

    public var description: String {
        if let chunk, let line, !message.hasPrefix("\(chunk):") {
            return "\(chunk):\(line): \(message)"
        }
        return message
    }

    /// The message without its `chunk:line:` prefix.
    public var bareMessage: String {
        guard let chunk, let line else { return message }
        let prefix = "\(chunk):\(line): "
        return message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
    }

    /// Messages come from scripts: keep them short and free of control characters, so a
    /// hostile script cannot flood a terminal or rewrite what an officer reads.
    static func clean(_ text: String, limit: Int = 2_000) -> String {
        var out = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out.append(contentsOf: "…(truncated)".unicodeScalars)
                break
            }
            let v = scalar.value
            if v == 0x0A || v == 0x09 {
                out.append(scalar)
            } else if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || v == 0x2028 || v == 0x2029
                || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            {
                out.append("\u{FFFD}")
            } else {
                out.append(scalar)
            }
            count += 1
        }
        return String(out)
    }
}
