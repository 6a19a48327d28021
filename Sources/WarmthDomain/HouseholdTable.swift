/// Households as a policy run reads them, column by column: compact (about 60 bytes a
/// household), cheap to load from the store and to hand to worker threads, and read by index.
///
/// Only what a script may see is here, plus the ID number for messages (always masked when
/// shown) — no bank card, phone or address.
public struct HouseholdTable: Sendable, Equatable {
    public private(set) var count = 0
    public private(set) var ids: [Int64] = []
    /// 18 bytes per household, back to back.
    public private(set) var idNumberBytes: [UInt8] = []
    /// Every name's UTF-8, back to back; name i is `nameBytes[nameOffsets[i] ..< nameOffsets[i + 1]]`.
    public private(set) var nameBytes: [UInt8] = []
    public private(set) var nameOffsets: [UInt32] = [0]
    /// Index into `unitCodes`.
    public private(set) var units: [UInt32] = []
    public private(set) var unitCodes: [String] = []
    private var unitIndex: [String: UInt32] = [:]
    public private(set) var members: [UInt8] = []
    public private(set) var income: [Int64] = []
    public private(set) var categories: [Int64] = []
    public private(set) var causes: [Int64] = []
    /// Index into `Vocabulary.fileStatuses`.
    public private(set) var fileStatus: [UInt8] = []
    /// Index + 1 into `Vocabulary.difficultyTypes`, `.fileCauses`, `.identities`; 0 for none.
    public private(set) var difficulty: [UInt8] = []
    public private(set) var mainCause: [UInt8] = []
    public private(set) var identity: [UInt8] = []
    /// yyyymmdd, or 0.
    public private(set) var registeredOn: [Int32] = []

    public init() {}

    public init(_ households: [Household]) {
        reserve(households.count)
        for h in households { append(h) }
    }

    public mutating func reserve(_ n: Int) {
        ids.reserveCapacity(n); idNumberBytes.reserveCapacity(n * 18); nameBytes.reserveCapacity(n * 9)
        nameOffsets.reserveCapacity(n + 1); units.reserveCapacity(n)
        members.reserveCapacity(n); income.reserveCapacity(n); categories.reserveCapacity(n); causes.reserveCapacity(n)
        fileStatus.reserveCapacity(n); difficulty.reserveCapacity(n); mainCause.reserveCapacity(n); identity.reserveCapacity(n)
        registeredOn.reserveCapacity(n)
    }

    public mutating func append(_ h: Household) {
        append(id: h.id ?? Int64(count + 1), idNumber: Array(h.idNumber.utf8), name: Array(h.name.utf8), unitCode: h.unitCode,
               members: h.members, income: h.incomePerCapita.fen, categories: h.categories.bits, causes: h.causes.bits,
               fileStatus: UInt8(Vocabulary.fileStatuses.firstIndex(of: h.fileStatus) ?? 0),
               difficulty: HouseholdTable.code(h.difficultyType, in: Vocabulary.difficultyTypes),
               mainCause: HouseholdTable.code(h.mainCause, in: Vocabulary.fileCauses),
               identity: HouseholdTable.code(h.identity, in: Vocabulary.identities),
               registeredOn: h.registeredOn.map { Int32($0.year * 10_000 + $0.month * 100 + $0.day) } ?? 0)
    }

    /// Set the unit codes up front, so that rows can be appended by unit index (the store's
    /// fast path); the table must still be empty of units.
    public mutating func defineUnits(_ codes: [String]) {
        precondition(unitCodes.isEmpty, "units are defined once, before any row")
        unitCodes = codes
        for (i, c) in codes.enumerated() { unitIndex[c] = UInt32(i) }
    }

    /// Append one household whose unit is given by index into the defined units. The byte
    /// buffers are concrete (not generic) so that this hot path is compiled for them.
    public mutating func append(id: Int64, idNumber: UnsafeBufferPointer<UInt8>, name: UnsafeBufferPointer<UInt8>, unitIndex u: UInt32,
                                members: Int, income: Int64, categories: Int64, causes: Int64, fileStatus: UInt8,
                                difficulty: UInt8, mainCause: UInt8, identity: UInt8, registeredOn: Int32) {
        ids.append(id)
        let before = idNumberBytes.count
        idNumberBytes.append(contentsOf: idNumber.prefix(18))
        if idNumberBytes.count - before < 18 {
            idNumberBytes.append(contentsOf: repeatElement(0x30, count: 18 - (idNumberBytes.count - before)))
        }
        nameBytes.append(contentsOf: name)
        nameOffsets.append(UInt32(nameBytes.count))
        units.append(u)
        self.members.append(UInt8(clamping: members))
        self.income.append(income)
        self.categories.append(categories)
        self.causes.append(causes)
        self.fileStatus.append(fileStatus)
        self.difficulty.append(difficulty)
        self.mainCause.append(mainCause)
        self.identity.append(identity)
        self.registeredOn.append(registeredOn)
        count += 1
    }

    /// Append one household from already-coded columns, its unit given by code.
    public mutating func append(id: Int64, idNumber: [UInt8], name: [UInt8], unitCode: String, members: Int,
                                income: Int64, categories: Int64, causes: Int64, fileStatus: UInt8, difficulty: UInt8,
                                mainCause: UInt8, identity: UInt8, registeredOn: Int32) {
        let u: UInt32
        if let known = unitIndex[unitCode] {
            u = known
        } else {
            u = UInt32(unitCodes.count)
            unitCodes.append(unitCode)
            unitIndex[unitCode] = u
        }
        idNumber.withUnsafeBufferPointer { id18 in
            name.withUnsafeBufferPointer { nameBytes in
                append(id: id, idNumber: id18, name: nameBytes, unitIndex: u, members: members, income: income, categories: categories,
                       causes: causes, fileStatus: fileStatus, difficulty: difficulty, mainCause: mainCause, identity: identity,
                       registeredOn: registeredOn)
            }
        }
    }

    /// Append another table's rows (shards loaded in parallel).
    public mutating func append(contentsOf other: HouseholdTable) {
        // Map the other table's unit indices onto ours, then append column by column.
        let map: [UInt32] = other.unitCodes.map { code in
            if let u = unitIndex[code] { return u }
            let u = UInt32(unitCodes.count)
            unitCodes.append(code)
            unitIndex[code] = u
            return u
        }
        ids += other.ids
        idNumberBytes += other.idNumberBytes
        let base = UInt32(nameBytes.count)
        nameBytes += other.nameBytes
        nameOffsets += other.nameOffsets.dropFirst().map { $0 + base }
        units += other.units.map { map[Int($0)] }
        members += other.members
        income += other.income
        categories += other.categories
        causes += other.causes
        fileStatus += other.fileStatus
        difficulty += other.difficulty
        mainCause += other.mainCause
        identity += other.identity
        registeredOn += other.registeredOn
        count += other.count
    }

    static func code(_ value: String?, in vocabulary: [String]) -> UInt8 {
        guard let value, let i = vocabulary.firstIndex(of: value) else { return 0 }
        return UInt8(i + 1)
    }

    public static func == (a: HouseholdTable, b: HouseholdTable) -> Bool {
        a.ids == b.ids && a.idNumberBytes == b.idNumberBytes && a.nameBytes == b.nameBytes && a.nameOffsets == b.nameOffsets
            && (0..<a.count).allSatisfy { a.unitCode(at: $0) == b.unitCode(at: $0) } && a.members == b.members
            && a.income == b.income && a.categories == b.categories && a.causes == b.causes && a.fileStatus == b.fileStatus
            && a.difficulty == b.difficulty && a.mainCause == b.mainCause && a.identity == b.identity
            && a.registeredOn == b.registeredOn
    }

    // MARK: Reading one household

    public func idNumber(at i: Int) -> String {
        String(decoding: idNumberBytes[(i * 18)..<(i * 18 + 18)], as: UTF8.self)
    }

    /// "340503********1234".
    public func maskedIDNumber(at i: Int) -> String { IDNumber.mask(idNumber(at: i)) }

    public func unitCode(at i: Int) -> String { unitCodes[Int(units[i])] }

    public func name(at i: Int) -> String {
        String(decoding: nameBytes[Int(nameOffsets[i])..<Int(nameOffsets[i + 1])], as: UTF8.self)
    }

    public func isLive(at i: Int) -> Bool { fileStatus[i] < 2 }

    public func fileStatusName(at i: Int) -> String { Vocabulary.fileStatuses[Int(fileStatus[i])] }

    /// Age in whole years on `day`, and whether the ID number says male (an odd 17th digit).
    public func ageAndSex(at i: Int, on day: Day) -> (age: Int, male: Bool) {
        (age(at: i, on: day), isMale(at: i))
    }

    /// Age in whole years on `day`, from the ID number's birth date.
    @inlinable public func age(at i: Int, on day: Day) -> Int {
        let base = i * 18
        let b = idNumberBytes
        let y = Int(b[base + 6] &- 0x30) * 1000 + Int(b[base + 7] &- 0x30) * 100 + Int(b[base + 8] &- 0x30) * 10 + Int(b[base + 9] &- 0x30)
        let md = (Int(b[base + 10] &- 0x30) * 10 + Int(b[base + 11] &- 0x30)) * 100 + Int(b[base + 12] &- 0x30) * 10 + Int(b[base + 13] &- 0x30)
        let age = day.year - y - (day.month * 100 + day.day < md ? 1 : 0)
        return age < 0 ? 0 : age
    }

    /// Whether the ID number says male (an odd 17th digit).
    @inlinable public func isMale(at i: Int) -> Bool { (idNumberBytes[i * 18 + 16] &- 0x30) % 2 == 1 }

    /// The household as the domain type (for one household: explain, tests).
    public func household(at i: Int) -> Household {
        let r = registeredOn[i]
        return Household(
            id: ids[i], idNumber: idNumber(at: i), name: name(at: i), unitCode: unitCode(at: i), members: Int(members[i]),
            incomePerCapita: Money(fen: income[i]), categories: NameSet(bits: categories[i]), causes: NameSet(bits: causes[i]),
            difficultyType: difficulty[i] == 0 ? nil : Vocabulary.difficultyTypes[Int(difficulty[i]) - 1],
            mainCause: mainCause[i] == 0 ? nil : Vocabulary.fileCauses[Int(mainCause[i]) - 1],
            identity: identity[i] == 0 ? nil : Vocabulary.identities[Int(identity[i]) - 1],
            fileStatus: fileStatusName(at: i),
            registeredOn: r == 0 ? nil : Day(year: Int(r) / 10_000, month: Int(r) / 100 % 100, day: Int(r) % 100))
    }

    /// A digest of everything a script sees (FNV-1a, in order): the same fingerprint means the
    /// same input, so a rerun gives identical payouts.
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func byte(_ b: UInt8) { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        func int(_ v: Int64) { var x = UInt64(bitPattern: v); for _ in 0..<8 { byte(UInt8(x & 0xFF)); x >>= 8 } }
        for i in 0..<count {
            int(ids[i])
            for b in idNumberBytes[(i * 18)..<(i * 18 + 18)] { byte(b) }
            for b in nameBytes[Int(nameOffsets[i])..<Int(nameOffsets[i + 1])] { byte(b) }
            byte(0)
            for b in unitCode(at: i).utf8 { byte(b) }
            byte(0)
            byte(members[i]); int(income[i]); int(categories[i]); int(causes[i])
            byte(fileStatus[i]); byte(difficulty[i]); byte(mainCause[i]); byte(identity[i]); int(Int64(registeredOn[i]))
        }
        return "fnv1a64:\(String(hash, radix: 16)):\(count)"
    }
}
