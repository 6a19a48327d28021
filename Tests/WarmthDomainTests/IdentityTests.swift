import Testing
import WarmthDomain

@Suite struct IdentityTests {
    @Test("a GB 11643 number with a right check digit is valid; one digit changed is not")
    func checkDigit() {
        let first17 = "11010519491231002"
        let valid = first17 + String(IDNumber.checkCharacter(for: Array(first17))!)
        #expect(valid == "11010519491231002X", "the standard's own example")
        #expect(IDNumber.problem(valid) == nil)
        #expect(IDNumber.problem("110105194912310021")?.contains("check digit") == true)
        #expect(IDNumber.problem("11010519491231002x") == nil, "a lower-case x is the same number")
    }

    @Test("ID numbers are masked to region and last four")
    func masking() {
        #expect(IDNumber.mask("340503198001010014") == "340503********0014")
        #expect(BankCard.mask("6217 0000 0000 0001 234") == "**** 1234")
        #expect(Phone.mask("13812345678") == "138****5678")
    }

    @Test("Luhn accepts real card numbers and refuses a changed digit")
    func luhn() {
        #expect(BankCard.problem("4111111111111111") == nil)
        #expect(BankCard.problem("4111111111111112")?.contains("Luhn") == true)
        let partial = "621700000000000012"
        #expect(BankCard.problem(partial + String(BankCard.luhnDigit(for: partial))) == nil)
    }

    @Test("lists split on every separator spreadsheets use")
    func lists() {
        #expect(Vocabulary.splitList("在档困难职工、低保,残疾;单亲女职工|军烈属，劳动模范；x") ==
            ["在档困难职工", "低保", "残疾", "单亲女职工", "军烈属", "劳动模范", "x"])
    }
}
