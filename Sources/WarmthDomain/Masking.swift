/// Masks the numbers that identify people wherever they appear inside free text: a message that
/// quotes a cell, a reason in a rejected-rows file. `IDNumber.mask`, `BankCard.mask` and
/// `Phone.mask` mask a value known to be one; this finds them by their shape.
public enum Masking {
    /// `text` with every run of digits shaped like a personal number masked:
    /// - 17 digits and a check character (a digit or X): an ID number, `340503********1234`;
    /// - 11 digits: a mobile phone number, `138****5678`;
    /// - any other run of 12 or more digits (a bank card, a mistyped ID or card): `**** 1234`.
    ///
    /// Digits written in groups (`6217 0000 0000 0000 001`, `138-1234-5678`) count as one run
    /// when one space or hyphen separates the groups. Shorter numbers (amounts, dates, row
    /// numbers) are left as they are.
    public static func maskNumbers(in text: String) -> String {
        // Fastest path, without allocating: count ASCII digits and fullwidth ones (EF BC 90–99).
        var bytes = 0, fullwidth = 0
        var previous: (UInt8, UInt8) = (0, 0)
        for b in text.utf8 {
            if b >= 0x30 && b <= 0x39 { bytes += 1 } else if b >= 0x90 && b <= 0x99, previous == (0xEF, 0xBC) { fullwidth += 1 }
            previous = (previous.1, b)
        }
        guard bytes + fullwidth >= 11 else { return text }
        let scalars = Array(text.unicodeScalars)
        // Fast path: fewer than 11 digits in all cannot hold anything to mask.
        var digitCount = 0
        for s in scalars where isDigit(s) { digitCount += 1 }
        guard digitCount >= 11 else { return text }

        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            guard isDigit(scalars[i]) else {
                out.append(scalars[i])
                i += 1
                continue
            }
            // A run: digit groups joined by single spaces or hyphens, optionally ending in X.
            var digits: [Unicode.Scalar] = []
            var j = i
            var end = i
            while j < scalars.count {
                if isDigit(scalars[j]) {
                    digits.append(scalars[j])
                    j += 1
                    end = j
                } else if (scalars[j] == " " || scalars[j] == "-"), j + 1 < scalars.count, isDigit(scalars[j + 1]) {
                    j += 1
                } else {
                    break
                }
            }
            var idShaped = digits.count == 18
            if digits.count == 17, end < scalars.count, scalars[end] == "X" || scalars[end] == "x" {
                digits.append(scalars[end])
                end += 1
                idShaped = true
            }
            let plain = String(String.UnicodeScalarView(digits.map(asciiDigit)))
            if idShaped {
                out.append(contentsOf: IDNumber.mask(plain).unicodeScalars)
            } else if digits.count == 11 {
                out.append(contentsOf: Phone.mask(plain).unicodeScalars)
            } else if digits.count >= 12 {
                out.append(contentsOf: ("**** " + String(plain.suffix(4))).unicodeScalars)
            } else {
                out.append(contentsOf: scalars[i..<end])
            }
            i = end
        }
        return String(out)
    }

    /// A cell as a message quotes it: its personal numbers masked, then cut to `limit`
    /// characters with "…" so that a huge cell does not flood the screen.
    public static func quote(_ cell: String, limit: Int = 40) -> String {
        let masked = maskNumbers(in: cell)
        guard masked.count > limit else { return masked }
        return String(masked.prefix(limit)) + "…"
    }

    /// ASCII digits and full-width digits (０–９), which Chinese input methods type.
    static func isDigit(_ s: Unicode.Scalar) -> Bool {
        (0x30...0x39).contains(s.value) || (0xFF10...0xFF19).contains(s.value)
    }

    static func asciiDigit(_ s: Unicode.Scalar) -> Unicode.Scalar {
        (0xFF10...0xFF19).contains(s.value) ? Unicode.Scalar(s.value - 0xFF10 + 0x30)! : s
    }
}
