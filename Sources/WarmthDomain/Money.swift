/// An amount of money in fen (分), the only unit Warmth computes in. Never a floating-point value.
///
/// `Money(yuan: 600)` is 60,000 fen. Formatting for people: `Money(fen: 123456).yuanText`
/// is "¥1,234.56"; `wanText` is "12.35万元" style, as the campaign summaries write it.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var fen: Int64

    public init(fen: Int64) { self.fen = fen }

    /// Whole yuan. Traps on overflow, like any Int64 arithmetic.
    public init(yuan: Int64) { self.fen = yuan * 100 }

    public static let zero = Money(fen: 0)

    public static func < (a: Money, b: Money) -> Bool { a.fen < b.fen }
    public static func + (a: Money, b: Money) -> Money { Money(fen: a.fen + b.fen) }
    public static func - (a: Money, b: Money) -> Money { Money(fen: a.fen - b.fen) }
    public static func += (a: inout Money, b: Money) { a.fen += b.fen }

    /// "¥1,234.00"; a negative amount reads "-¥12.00".
    public var yuanText: String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        let whole = magnitude / 100
        let cents = magnitude % 100
        return "\(sign)¥\(Money.grouped(whole)).\(cents < 10 ? "0" : "")\(cents)"
    }

    /// "1,234.00" without the currency sign, for tables.
    public var plainYuanText: String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        return "\(sign)\(Money.grouped(magnitude / 100)).\(magnitude % 100 < 10 ? "0" : "")\(magnitude % 100)"
    }

    /// Ten-thousands of yuan with two decimals, rounded half up: 901,400.00 yuan is "90.14万元".
    public var wanText: String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        // 1 万元 = 1,000,000 fen; two decimals = units of 10,000 fen.
        let hundredths = (magnitude + 5_000) / 10_000
        let frac = hundredths % 100
        return "\(sign)\(Money.grouped(hundredths / 100)).\(frac < 10 ? "0" : "")\(frac)万元"
    }

    /// Machine form: yuan with two decimals, no grouping ("1234.50"), for CSV and JSON.
    public var decimalText: String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        return "\(sign)\(magnitude / 100).\(magnitude % 100 < 10 ? "0" : "")\(magnitude % 100)"
    }

    public var description: String { yuanText }

    static func grouped(_ n: UInt64) -> String {
        let digits = String(n)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }

    /// Parse an amount a person typed or a spreadsheet wrote: "600", "600.5", "1,234.56",
    /// "¥600", "600元". At most two decimals; anything else is nil (never rounded).
    public static func parseYuan(_ text: String) -> Money? {
        if let fast = FastPath.yuan(text) { return fast }
        var s = text.trimmingCharacters(in: .whitespaces)
        if s.hasPrefix("¥") || s.hasPrefix("￥") { s.removeFirst() }
        if s.hasSuffix("元") { s.removeLast() }
        s = s.replacingOccurrences(of: ",", with: "")
        var negative = false
        if s.hasPrefix("-") { negative = true; s.removeFirst() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let wholePart = parts.first, !wholePart.isEmpty,
              wholePart.allSatisfy({ $0.isASCII && $0.isNumber }), wholePart.count <= 15
        else { return nil }
        var fen = Int64(wholePart)! * 100
        if parts.count == 2 {
            let frac = parts[1]
            guard !frac.isEmpty, frac.count <= 2, frac.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            fen += Int64(frac.count == 1 ? String(frac) + "0" : String(frac))!
        }
        return Money(fen: negative ? -fen : fen)
    }
}

import Foundation
