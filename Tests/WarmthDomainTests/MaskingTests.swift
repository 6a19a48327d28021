@testable import WarmthDomain
import Testing

@Suite struct MaskingTests {
    @Test("ID-, card- and phone-shaped numbers are masked wherever they are in a text; short numbers are left alone",
          arguments: [
              ("ID 340503198001010014 again", "ID 340503********0014 again"),
              ("34050319800101001x", "340503********001x"),
              ("卡号6217000000000000012，", "卡号**** 0012，"),
              ("6217 0000 0000 0000 012", "**** 0012"),
              ("tel 13812345678.", "tel 138****5678."),
              ("138-1234-5678", "138****5678"),
              ("１３８１２３４５６７８", "138****5678"),
              ("row 12 of 2025-12-01: 1,200.00 yuan, 850 or 1234567890", "row 12 of 2025-12-01: 1,200.00 yuan, 850 or 1234567890"),
              ("34050319800101001", "**** 1001"),
              ("a 13812345678 and 340503198001010014", "a 138****5678 and 340503********0014"),
          ])
    func masks(_ text: String, _ masked: String) {
        #expect(Masking.maskNumbers(in: text) == masked)
        #expect(Masking.maskNumbers(in: masked) == masked, "masking twice changes nothing")
    }

    @Test("quote masks first, then cuts long cells to 40 characters and …")
    func quote() {
        #expect(Masking.quote(String(repeating: "张", count: 41)) == String(repeating: "张", count: 40) + "…")
        #expect(Masking.quote(String(repeating: "1", count: 100)) == "**** 1111")
        // An ID number across the cut is masked whole, not cut into a shorter, unmasked run.
        let q = Masking.quote(String(repeating: "x", count: 30) + "340503198001010014")
        #expect(q == String(repeating: "x", count: 30) + "340503****…")
    }
}

@Suite struct FastPathTests {
    /// Random short strings over an alphabet, from a fixed seed.
    func samples(_ alphabet: [String], count: Int, length: ClosedRange<Int>) -> [String] {
        var state: UInt64 = 99
        func next() -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) >> 1)
        }
        return (0..<count).map { _ in
            let n = length.lowerBound + next() % length.count
            return (0..<n).map { _ in alphabet[next() % alphabet.count] }.joined()
        }
    }

    @Test("the fast paths give the general code's answers")
    func sameAnswers() {
        let digits = (0...9).map(String.init)
        for id in samples(digits + ["X", "x", "a"], count: 20_000, length: 17...19) + (1...3000).map({ i in
            let f = "3405031980" + String(format: "%02d%02d", 1 + i % 13, 1 + i % 32) + String(format: "%03d", i % 1000)
            return f + String(IDNumber.checkCharacter(for: f).map { i % 7 == 0 ? "0" : String($0) } ?? "0")
        }) {
            #expect(IDNumber.problem(id, latestBirthYear: 2026) == IDNumber.problemByCharacters(id, latestBirthYear: 2026), "\(id)")
        }
        for card in samples(digits + ["a"], count: 20_000, length: 14...20) {
            #expect(BankCard.problem(card) == BankCard.problem(card + "-"), "\(card)")
        }
        for amount in samples(digits + [".", ",", "-"], count: 20_000, length: 0...8) {
            #expect(Money.parseYuan(amount) == Money.parseYuan(" " + amount), "'\(amount)'")
        }
        for day in samples(digits + ["-"], count: 20_000, length: 8...10) + ["2024-02-29", "2023-02-29", "2025-12-01", "2025-13-01"] {
            #expect(Day(day) == Day(" " + day), "'\(day)'")
        }
        for list in samples(["因病", "子女就学", "、", ",", "，", ";", "；", "|", "a", "é", " "], count: 20_000, length: 0...6) {
            #expect(Vocabulary.splitList(list) == Vocabulary.splitList(" \u{3000}" + list), "'\(list)'")
        }
    }
}
