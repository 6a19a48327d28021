import Foundation
import Testing
import WarmthDomain
import WarmthLua
import WarmthRuntime

/// What decide returns crosses into reports, bank files and sums in Swift: the host refuses
/// what could crash the process (an overflowing total) or deceive a reader (control characters).
extension HostileScriptTests {
    @Test("huge integer amounts are refused before any total is summed (an Int64 overflow would end the process)", arguments: [
        "math.maxinteger", "math.maxinteger // 2", "(1 << 62)", "10000000001",
    ])
    func hugeAmounts(_ amount: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  return { amount = \(amount), category = 'x' }"))
        #expect(message.contains("\(p.path): the payout amount ¥"), "\(message)")
        #expect(message.contains("is more than one payout may be (¥1,000,000.00) (household \(arena.first))"), "\(message)")
    }

    @Test("the largest payout allowed is summed over every household without overflow")
    func largestPayout() throws {
        let arena = try Arena()
        let plan = try arena.plan(decide("  return { amount = 100000000, category = 'x' }"))
        #expect(plan.total == Money(fen: 100_000_000 * Int64(arena.households.count)))
    }

    @Test("a category, reason, goods or rule that is not valid UTF-8 is refused in so many words", arguments: [
        "category", "reason", "goods", "rule",
    ])
    func invalidUTF8(_ key: String) throws {
        let arena = try Arena()
        let value = key == "category" ? "'\\xff\\xfe'" : "'ok'"
        let extra = key == "category" ? "" : ", \(key) = '\\xe5\\x8c'"
        let (message, p) = arena.failure(decide("  return { amount = 1, category = \(value)\(extra) }"))
        #expect(message.contains("\(p.path): the payout's \(key) is not valid UTF-8 text (household \(arena.first))"), "\(message)")
    }

    @Test("control characters, separators, bidi overrides and invisible format characters in payout text are refused", arguments: [
        ("category", "\\27[31mPAID", "U+001B"), ("category", "a\\nb", "U+000A"), ("reason", "x\\ry", "U+000D"),
        ("reason", "\\u{202E}evil", "U+202E"), ("goods", "rice\\0oil", "U+0000"), ("rule", "r\\u{2028}", "U+2028"),
        ("category", "tab\\there", "U+0009"),
        // invisible format characters (Unicode Cf): a category that looks like the city's must not
        // pass for one of its own and escape the city's cap for it
        ("category", "特困职工家庭\\u{200B}", "U+200B"), ("category", "特困\\u{200D}职工家庭", "U+200D"),
        ("category", "\\u{FEFF}特困职工家庭", "U+FEFF"), ("reason", "soft\\u{00AD}hyphen", "U+00AD"),
        ("goods", "大米\\u{2060}", "U+2060"),
    ])
    func controlInPayoutText(_ key: String, _ text: String, _ code: String) throws {
        let arena = try Arena()
        let fields = key == "category" ? "category = \"\(text)\"" : "category = 'x', \(key) = \"\(text)\""
        let (message, p) = arena.failure(decide("  return { amount = 1, \(fields) }"))
        #expect(message.contains("\(p.path): the payout's \(key) contains the control character \(code); it must be plain text"), "\(message)")
        #expect(message.hasSuffix("(household \(arena.first))"), "\(message)")
    }
    @Test("an ID, card or phone number written into a reason or goods is masked in the plan itself")
    func numbersInPayoutText() throws {
        let arena = try Arena()
        let plan = try arena.plan(decide("""
              return { amount = 100, category = "x", reason = "核实人 340503199001011234, 电话 13812345678",
                       goods = "卡 6222 0212 3456 7890 123" }
            """))
        let p = try #require(plan.payouts.first)
        #expect(p.reason == "核实人 340503********1234, 电话 138****5678", "\(p.reason)")
        let goods = try #require(p.goods)
        #expect(goods.hasPrefix("卡 ") && goods.hasSuffix("0123") && !goods.contains("3456"), "\(goods)")
        #expect(plan.payouts.allSatisfy { !$0.reason.contains("19900101") })
    }
    @Test("a payout's rule line comes from the host's record of w.pay, never from a line field a script writes")
    func forgedRuleLine() throws {
        let arena = try Arena()
        let handBuilt = try arena.plan(decide("  return { amount = 100, category = \"x\", line = 31 }"))
        #expect(handBuilt.payouts.allSatisfy { $0.rule == handBuilt.policy.path }, "\(handBuilt.payouts.first?.rule ?? "")")
        let rewritten = try arena.plan(decide("""
              local p = w.pay(100, "x")
              p.line = 31
              return p
            """))
        #expect(rewritten.payouts.allSatisfy { $0.rule == "\(rewritten.policy.path):3" }, "\(rewritten.payouts.first?.rule ?? "")")
        let copied = try arena.plan(decide("""
              local p = w.pay(100, "x")
              return { amount = p.amount, category = p.category, line = p.line }
            """))
        #expect(copied.payouts.allSatisfy { $0.rule == copied.policy.path }, "a copy is a table w.pay never returned")
    }
    @Test("messages never run a script's __tostring and never show a heap address", arguments: [
        #"return w.pay(setmetatable({}, { __tostring = function() return "600 yuan, checked" end }), "x")"#,
        #"return w.pay(setmetatable({}, { __tostring = function() while true do end end }), "x")"#,
        #"return w.pay(100, setmetatable({}, { __tostring = function() return "特困职工家庭" end }))"#,
        #"return w.pay(print, "x")"#,
    ])
    func noScriptToString(_ body: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  \(body)"))
        #expect(message.contains("\(p.path):3:"), "\(message)")
        #expect(message.contains("a table") || message.contains("a function"), "\(message)")
        #expect(!message.contains("checked") && !message.contains("特困职工家庭") && !message.contains("instruction limit"), "\(message)")
        #expect(message.range(of: "0x[0-9a-f]{6,}", options: .regularExpression) == nil, "\(message)")
    }
}
