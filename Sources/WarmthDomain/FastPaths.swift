/// Byte-level fast paths for the checks an import runs on every row, for the plain ASCII text
/// nearly every cell is. Each gives exactly the answer of the general code it stands in front
/// of, or nil to hand over to it; a city's million rows then check in a second or two instead of
/// most of a minute (Character-level work costs microseconds a cell).
enum FastPath {
    /// Printable ASCII only (no spaces): one byte is one Character.
    @inline(__always)
    static func printableASCII(_ bytes: String.UTF8View) -> Bool {
        bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// `IDNumber.problem` for 18 printable ASCII characters.
    static func idProblem(_ text: String, latestBirthYear: Int) -> String?? {
        let u = text.utf8
        guard u.count == 18, printableASCII(u) else { return nil }
        var b = [UInt8](repeating: 0, count: 18)
        for (i, byte) in u.enumerated() { b[i] = byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte }
        guard b[..<17].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return .some("the first 17 characters of an ID number are digits")
        }
        func n(_ r: Range<Int>) -> Int { r.reduce(0) { $0 * 10 + Int(b[$1] - 0x30) } }
        guard IDNumber.provinces.contains(String(decoding: b[0..<2], as: UTF8.self)) else {
            return .some("region code \(String(decoding: b[0..<6], as: UTF8.self)) does not exist")
        }
        let year = n(6..<10), month = n(10..<12), day = n(12..<14)
        guard year >= 1900, year <= latestBirthYear, (1...12).contains(month),
              (1...IDNumber.daysIn(month: month, year: year)).contains(day)
        else { return .some("the birth date in it is not a real date") }
        var sum = 0
        for i in 0..<17 { sum += Int(b[i] - 0x30) * IDNumber.weights[i] }
        let expected = IDNumber.checkCharacters[sum % 11]
        let actual = Character(Unicode.Scalar(b[17]))
        guard actual == expected else {
            return .some("check digit is \(actual) but should be \(expected): a digit was mistyped")
        }
        return .some(nil)
    }

    /// `IDNumber.normalise` for text that is digits and an upper-case X only.
    static func idNormalise(_ text: String) -> String? {
        text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x58 }) ? text : nil
    }

    /// `BankCard.problem` for printable ASCII with no separators (which `normalise` drops).
    static func cardProblem(_ text: String) -> String?? {
        let u = text.utf8
        guard printableASCII(u), !u.contains(0x2D) else { return nil }
        guard u.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .some("a card number has digits only") }
        guard (16...19).contains(u.count) else {
            return .some("a card number has 16 to 19 digits, this one has \(u.count)")
        }
        var sum = 0
        for (i, byte) in u.reversed().enumerated() {
            var d = Int(byte - 0x30)
            if i % 2 == 1 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        return sum % 10 == 0 ? .some(nil) : .some("the card number fails its check digit (Luhn): a digit was mistyped")
    }

    /// `Money.parseYuan` for digits, commas, one leading minus and a point.
    static func yuan(_ text: String) -> Money?? {
        let u = text.utf8
        guard !u.isEmpty, u.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2C || $0 == 0x2E || $0 == 0x2D }) else { return nil }
        var bytes = u.filter { $0 != 0x2C }
        var negative = false
        if bytes.first == 0x2D { negative = true; bytes.removeFirst() }
        if bytes.contains(0x2D) { return .some(nil) }
        let parts = bytes.split(separator: 0x2E, omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 15 else { return .some(nil) }
        var fen = whole.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) } * 100
        if parts.count == 2 {
            let frac = parts[1]
            guard !frac.isEmpty, frac.count <= 2 else { return .some(nil) }
            fen += frac.count == 1 ? Int64(frac.first! - 0x30) * 10 : Int64(frac.first! - 0x30) * 10 + Int64(frac.last! - 0x30)
        }
        return .some(Money(fen: negative ? -fen : fen))
    }

    /// `Day(text)` for YYYY-MM-DD.
    static func day(_ text: String) -> Day?? {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == 0x2D, u[7] == 0x2D,
              [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy({ u[$0] >= 0x30 && u[$0] <= 0x39 }) else { return nil }
        func n(_ r: [Int]) -> Int { r.reduce(0) { $0 * 10 + Int(u[$1] - 0x30) } }
        return .some(Day(year: n([0, 1, 2, 3]), month: n([5, 6]), day: n([8, 9])))
    }

    /// `Vocabulary.splitList` for a cell whose pieces have no spaces around them.
    static func splitList(_ cell: String) -> [String]? {
        let u = Array(cell.utf8)
        if u.isEmpty { return [] }
        var pieces: [String] = []
        var start = 0
        var i = 0
        func piece(_ lo: Int, _ hi: Int) -> Bool {
            guard lo < hi else { return true }
            // Spaces at a piece's edge need the general trimming.
            for k in [lo, hi - 1] where u[k] == 0x20 || u[k] == 0x09 || u[k] >= 0x80 && !isCJK(u, k, lo, hi) { return false }
            pieces.append(String(decoding: u[lo..<hi], as: UTF8.self))
            return true
        }
        while i < u.count {
            let b = u[i]
            var width = 0
            if b == 0x2C || b == 0x3B || b == 0x7C { width = 1 }
            else if i + 2 < u.count, b == 0xE3, u[i + 1] == 0x80, u[i + 2] == 0x81 { width = 3 } // 、
            else if i + 2 < u.count, b == 0xEF, u[i + 1] == 0xBC, u[i + 2] == 0x8C || u[i + 2] == 0x9B { width = 3 } // ，；
            if width > 0 {
                guard piece(start, i) else { return nil }
                i += width
                start = i
            } else {
                i += 1
            }
        }
        guard piece(start, u.count) else { return nil }
        return pieces
    }

    /// Whether the byte at `k` belongs to a character of the CJK Unified Ideographs block
    /// (U+4E00–U+9FFF: lead bytes E4–E9), which is never a space.
    private static func isCJK(_ u: [UInt8], _ k: Int, _ lo: Int, _ hi: Int) -> Bool {
        // The last byte of a piece: find its character's lead byte.
        var j = k
        while j > lo, u[j] & 0xC0 == 0x80 { j -= 1 }
        return u[j] >= 0xE4 && u[j] <= 0xE9
    }
}
