import Foundation
import Testing
import WarmthDomain
import WarmthLua
import WarmthRuntime

/// A payout's items cross into the ledger's cash/goods split, receipt sheets and sums: the host
/// reads them raw and refuses any that do not add up or are not what w.cash / w.goods make.
extension HostileScriptTests {
    @Test("hand-built items that lie about their sum or their kind are refused raw, naming the household", arguments: [
        ("{ amount = 100, category = 'x', items = { { kind = 'cash', value = 60 } } }", "the payout's items add up to ¥0.60, not its amount ¥1.00"),
        ("{ amount = 100, category = 'x', items = { { kind = 'cash', value = 100.0 } } }", "item 1's value is"),
        ("{ amount = 100, category = 'x', items = { { kind = 'gift', value = 100 } } }", "item 1 has no kind cash, goods or ticket"),
        ("{ amount = 100, category = 'x', items = { { kind = 'goods', value = 100 } } }", "item 1 is goods without a description"),
        ("{ amount = 100, category = 'x', items = { { kind = 'goods', description = '米\\n已入账', value = 100 } } }", "item 1's description is"),
        ("{ amount = 100, category = 'x', items = { { kind = 'cash', value = -5 }, { kind = 'cash', value = 105 } } }", "item 1's value is"),
        ("{ amount = 100, category = 'x', items = 'rice' }", "the payout's items are"),
        ("{ amount = 100, category = 'x', items = {} }", "give 1 to 20 items"),
        ("{ amount = 100, category = 'x', items = { 'cash' } }", "item 1 of the payout's items is not an item"),
    ])
    func badItems(_ payout: String, _ words: String) throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  return \(payout)"))
        #expect(message.hasPrefix(p.path), "\(message)")
        #expect(message.contains(words), "\(message)")
        #expect(message.hasSuffix("(household \(arena.first))"), "\(message)")
    }

    @Test("w.pay refuses items that do not add up to the amount, at the script's line")
    func payChecksItems() throws {
        let arena = try Arena()
        let (message, p) = arena.failure(decide("  return w.pay(w.yuan(500), 'x', 'r', { items = { w.cash(w.yuan(300)), w.goods('大米', '10kg', w.yuan(100)) } })"))
        #expect(message.contains("\(p.path):3:"), "\(message)")
        #expect(message.contains("the items add up to 40000 fen, not the payout amount 50000 fen"), "\(message)")
    }

    @Test("items made with w.cash and w.goods reach the plan as they were made")
    func goodItems() throws {
        let arena = try Arena()
        let plan = try arena.plan(decide("  return w.pay(w.yuan(500), '劳动模范', '节日慰问', { items = { w.cash(w.yuan(300)), w.goods('年货礼包', '1份', w.yuan(200)) } })"))
        let p = try #require(plan.payouts.first)
        #expect(p.items == [PayoutItem(kind: .cash, value: Money(yuan: 300)), PayoutItem(kind: .goods, description: "年货礼包", quantity: "1份", value: Money(yuan: 200))])
        #expect(p.kind == .cash && p.amount == Money(yuan: 500))
    }

    @Test("funds must name a funding source the campaigns know")
    func fundsNameASource() throws {
        let arena = try Arena()
        let (message, p) = arena.failure("""
            local w = require "warmth"
            return w.policy { name = "hostile", funds = { x = "我的小金库" }, decide = function(h) return nil end }
            """)
        #expect(message.contains("\(p.path): funds[\"x\"] must name a funding source"), "\(message)")
    }
}
