import Testing
import WarmthDomain

@Suite struct MoneyTests {
    @Test("yuan are 100 fen") func yuan() {
        #expect(Money(yuan: 600).fen == 60_000)
    }

    @Test("amounts read as officers write them", arguments: [
        (Int64(123_456), "¥1,234.56", "0.12万元"),
        (Int64(90_140_000), "¥901,400.00", "90.14万元"),
        (Int64(5), "¥0.05", "0.00万元"),
        (Int64(-1_500), "-¥15.00", "-0.00万元"),
    ])
    func formatting(fen: Int64, yuan: String, wan: String) {
        #expect(Money(fen: fen).yuanText == yuan)
        #expect(Money(fen: fen).wanText == wan)
    }

    @Test("parsing takes what spreadsheets write and refuses the rest", arguments: [
        ("600", Int64?.some(60_000)), ("600.5", 60_050), ("1,234.56", 123_456), ("¥600", 60_000),
        ("600元", 60_000), ("0.01", 1), ("600.555", nil), ("abc", nil), ("", nil), ("1e3", nil), ("-20", -2_000),
    ])
    func parsing(text: String, fen: Int64?) {
        #expect(Money.parseYuan(text)?.fen == fen)
    }
}
