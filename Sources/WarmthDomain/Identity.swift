/// Checks and masks for the numbers that identify people: the 18-digit resident ID number
/// (GB 11643-1999) and bank card numbers (Luhn).
public enum IDNumber {
    /// Province-level region codes (the first two digits).
    static let provinces: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
        "65", "71", "81", "82", "91",
    ]
    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// The check character for the first 17 digits.
    public static func checkCharacter(for first17: String) -> Character? {
        var sum = 0
        var count = 0
        for byte in first17.utf8 {
            guard byte >= 0x30, byte <= 0x39, count < 17 else { return nil }
            sum += Int(byte - 0x30) * weights[count]
            count += 1
        }
        return count == 17 ? checkCharacters[sum % 11] : nil
    }

    /// The check character for the first 17 digits.
    public static func checkCharacter(for first17: some Collection<Character>) -> Character? {
        guard first17.count == 17 else { return nil }
        var sum = 0
        for (digit, weight) in zip(first17, weights) {
            guard let d = digit.wholeNumberValue, digit.isASCII else { return nil }
            sum += d * weight
        }
        return checkCharacters[sum % 11]
    }

    /// Why `text` is not a valid ID number, or nil when it is.
    /// - Parameter latestBirthYear: a birth year after this is refused (the host passes the
    ///   current year; nothing here reads a clock).
    public static func problem(_ text: String, latestBirthYear: Int = 9999) -> String? {
        if let fast = FastPath.idProblem(text, latestBirthYear: latestBirthYear) { return fast }
        return problemByCharacters(text, latestBirthYear: latestBirthYear)
    }

    /// `problem` on Characters, for any text.
    static func problemByCharacters(_ text: String, latestBirthYear: Int) -> String? {
        let chars = Array(text.uppercased())
        guard chars.count == 18 else { return "an ID number has 18 characters, this one has \(chars.count)" }
        guard chars[..<17].allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return "the first 17 characters of an ID number are digits"
        }
        guard provinces.contains(String(chars[0..<2])) else {
            return "region code \(String(chars[0..<6])) does not exist"
        }
        let year = Int(String(chars[6..<10]))!, month = Int(String(chars[10..<12]))!, day = Int(String(chars[12..<14]))!
        guard year >= 1900, year <= latestBirthYear, (1...12).contains(month),
              (1...daysIn(month: month, year: year)).contains(day)
        else { return "the birth date in it is not a real date" }
        let expected = checkCharacter(for: chars[..<17])!
        guard chars[17] == expected else {
            return "check digit is \(chars[17]) but should be \(expected): a digit was mistyped"
        }
        return nil
    }

    public static func isValid(_ text: String) -> Bool { problem(text) == nil }

    /// "340503********1234": region and the last four, never the birth date.
    public static func mask(_ text: String) -> String {
        let chars = Array(text)
        guard chars.count >= 10 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(6)) + String(repeating: "*", count: chars.count - 10) + String(chars.suffix(4))
    }

    /// The canonical form: upper-case X, no spaces.
    public static func normalise(_ text: String) -> String {
        if let fast = FastPath.idNormalise(text) { return fast }
        return text.filter { !$0.isWhitespace }.uppercased()
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

public enum BankCard {
    /// Why `text` is not a valid card number, or nil when it is. Spaces are allowed.
    public static func problem(_ text: String) -> String? {
        if let fast = FastPath.cardProblem(text) { return fast }
        let digits = normalise(text)
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return "a card number has digits only" }
        guard (16...19).contains(digits.count) else {
            return "a card number has 16 to 19 digits, this one has \(digits.count)"
        }
        guard luhnValid(digits) else { return "the card number fails its check digit (Luhn): a digit was mistyped" }
        return nil
    }

    public static func normalise(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 == 0x20 || $0 == 0x2D }) { return text }
        return text.filter { $0 != " " && $0 != "-" }
    }

    public static func luhnValid(_ digits: String) -> Bool {
        var sum = 0
        for (i, ch) in digits.reversed().enumerated() {
            guard var d = ch.wholeNumberValue else { return false }
            if i % 2 == 1 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        return sum % 10 == 0
    }

    /// The digit that makes `partial` + digit pass Luhn.
    public static func luhnDigit(for partial: String) -> Int {
        for d in 0...9 where luhnValid(partial + String(d)) { return d }
        return 0
    }

    /// "**** 1234".
    public static func mask(_ text: String) -> String {
        let digits = normalise(text)
        return digits.count <= 4 ? "****" : "**** " + String(digits.suffix(4))
    }
}

public enum Phone {
    /// "138****5678".
    public static func mask(_ text: String) -> String {
        let chars = Array(text)
        guard chars.count >= 7 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(3)) + String(repeating: "*", count: chars.count - 7) + String(chars.suffix(4))
    }
}
