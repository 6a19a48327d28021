import Foundation
import WarmthDomain
import WarmthStore

/// A deterministic synthetic city: a federation, its district unions, grassroots unions of the
/// kinds the seed documents mention, and households whose category mix is plausible for them.
/// Names are synthetic; ID numbers carry valid check digits and bank cards pass Luhn.
public struct DemoCity: Sendable {
    public var households: Int
    public var seed: UInt64

    public init(households: Int, seed: UInt64 = 2026) {
        self.households = households
        self.seed = seed
    }

    /// SplitMix64: small, fast, and the same on every machine.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.count))
        }
        /// True with probability `permille`/1000.
        mutating func chance(_ permille: Int) -> Bool { Int(next() % 1000) < permille }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    }

    static let districts: [(code: String, region: String, name: String)] = [
        ("D01", "340503", "花山区总工会"), ("D02", "340504", "雨山区总工会"), ("D03", "340506", "博望区总工会"),
        ("D04", "340521", "当涂县总工会"), ("D05", "340522", "含山县总工会"), ("D06", "340523", "和县总工会"),
    ]

    static let grassroots: [(suffix: String, kind: UnionUnit.Kind)] = [
        ("钢铁集团工会", .enterprise), ("化工有限公司工会", .enterprise), ("机械制造厂工会", .enterprise),
        ("公交公司工会", .enterprise), ("环卫处工会", .enterprise), ("第一中学工会", .school),
        ("实验小学工会", .school), ("人民医院工会", .hospital), ("教育局机关工会", .bureau),
        ("城管局机关工会", .bureau), ("街道工会", .street),
    ]

    /// The units: the federation, six district unions, and grassroots unions under each.
    public func units() -> [UnionUnit] {
        var units = [UnionUnit(code: "C00", name: "示范市总工会", kind: .federation, parentCode: nil)]
        for d in DemoCity.districts {
            units.append(UnionUnit(code: d.code, name: d.name, kind: .district, parentCode: "C00"))
            let place = String(d.name.dropLast(3))
            for (i, g) in DemoCity.grassroots.enumerated() {
                // Not every district has every kind: skip a deterministic few.
                if (i + Int(d.code.suffix(1))!) % 5 == 0 { continue }
                units.append(UnionUnit(code: "\(d.code)-\(digits(i + 1, 2))", name: place + g.suffix, kind: g.kind, parentCode: d.code))
            }
        }
        return units
    }

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    static let givenChars = Array("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬建国志强文斌海燕春梅建华立新国庆永红德华振华晓东小红")
    static let streets = ["湖东路", "湖北路", "解放路", "红旗路", "九华路", "雨山路", "采石路", "太白大道", "江东大道", "佳山路"]

    /// Every household, generated on demand in a fixed order: the same seed gives the same city.
    public func makeHouseholds() -> some Sequence<Household> {
        let units = self.units().filter { $0.parentCode != nil && $0.kind != .district }
        let regionOf = Dictionary(uniqueKeysWithValues: DemoCity.districts.map { ($0.code, $0.region) })
        var rng = Random(state: seed)
        var serial = 0
        let total = households
        return AnyIterator<Household> {
            guard serial < total else { return nil }
            serial += 1
            let unit = units[rng.int(0...(units.count - 1))]
            let district = unit.parentCode!
            return DemoCity.household(serial: serial, unit: unit, region: regionOf[district]!, rng: &rng)
        }.lazy
    }

    static func household(serial: Int, unit: UnionUnit, region: String, rng: inout Random) -> Household {
        // ID number: region, birth date, sequence, check character. The serial fixes the date and
        // sequence through a permutation of 16,425 days (45 years), so no two households share one.
        let dayIndex = (serial / 1000) * 7_919 % 16_425
        let year = 1958 + dayIndex / 365
        var dayOfYear = dayIndex % 365
        var month = 1
        for length in [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
            if dayOfYear < length { break }
            dayOfYear -= length
            month += 1
        }
        let id17 = region + digits(year, 4) + digits(month, 2) + digits(dayOfYear + 1, 2) + digits(serial % 1000, 3)
        let idNumber = id17 + String(IDNumber.checkCharacter(for: id17)!)

        var name = String(rng.pick(surnames))
        name.append(rng.pick(givenChars))
        if rng.chance(600) { name.append(rng.pick(givenChars)) }

        var categories: [String] = []
        var causes: [String] = []
        var difficulty: String?
        var mainCause: String?
        var identity: String? = "在岗"
        var status = "正式"
        var members = [1, 2, 2, 3, 3, 3, 3, 4, 4, 5, 6][rng.int(0...10)]
        var incomeYuan = rng.int(1_800...6_000)

        let roll = rng.int(0...999)
        switch roll {
        case 0..<110:
            categories.append("在档困难职工")
            incomeYuan = rng.int(300...1_200)
            difficulty = rng.pick(Vocabulary.difficultyTypes)
            mainCause = rng.pick(Vocabulary.fileCauses)
            causes.append(rng.pick(["因病", "因残", "因灾", "子女就学", "单亲", "下岗失业", "大病"]))
            if rng.chance(400) { causes.append(rng.pick(["子女就学", "因病", "单亲"])) }
            if difficulty == "低保户" { categories.append("低保") }
            identity = rng.pick(["在岗", "下岗", "失业", "病休", "内退"])
            status = rng.chance(60) ? "临时救助" : (rng.chance(30) ? "脱困" : "正式")
        case 110..<170:
            categories.append("困难企业职工")
            incomeYuan = rng.int(900...1_900)
            causes.append(rng.pick(["下岗失业", "因病", "意外事故"]))
        case 170..<250:
            categories.append("一线坚守职工")
        case 250..<300:
            categories.append("返乡农民工")
            categories.append("农民工")
            identity = "农民工"
            incomeYuan = rng.int(1_500...3_500)
        case 300..<330:
            categories.append("社区核实困难")
            incomeYuan = rng.int(600...1_500)
            causes.append(rng.pick(["因病", "因残", "因灾", "子女就学", "单亲"]))
            if rng.chance(500) { causes.append(rng.pick(["大病", "工伤", "其他"])) }
            if rng.chance(250) { causes.append("意外事故") }
        case 330..<345: categories.append("劳动模范")
        case 345..<375:
            categories.append(rng.chance(100) ? "离休干部" : "退休干部")
            identity = "退休"
            members = rng.int(1...2)
        case 375..<420:
            categories.append("离退休人员")
            identity = "退休"
            members = rng.int(1...2)
        case 420..<430: categories.append("军烈属")
        case 430..<445: categories.append("退役军人")
        case 445..<455:
            categories.append("单亲女职工")
            causes.append("单亲")
            members = rng.int(2...3)
        default: break
        }
        if unit.kind == .school, rng.chance(20) { categories.append("特级教师") }
        if rng.chance(15) { categories.append("困难党员") }
        if rng.chance(20), !categories.contains("残疾") { categories.append("残疾"); causes.append("因残") }

        var card = "6217" + digits(rng.int(0...9_999_999), 7) + digits(rng.int(0...9_999_999), 7)
        card.append(String(BankCard.luhnDigit(for: card)))
        let phone = "1" + String(rng.int(3...9)) + digits(rng.int(0...999_999_999), 9)
        let address = rng.pick(streets) + "\(rng.int(1...300))号\(rng.int(1...30))栋\(rng.int(101...1_802))室"

        return Household(
            idNumber: idNumber, name: name, unitCode: unit.code, members: members,
            incomePerCapita: Money(yuan: Int64(incomeYuan)),
            categories: (try? NameSet(categories, in: Vocabulary.categoryBit)) ?? NameSet(),
            causes: (try? NameSet(causes, in: Vocabulary.causeBit)) ?? NameSet(),
            difficultyType: difficulty, mainCause: mainCause, identity: identity, fileStatus: status,
            bankCard: card, phone: phone, address: address,
            registeredOn: Day(year: rng.int(2019...2025), month: rng.int(1...12), day: rng.int(1...28)))
    }

    /// Write the city into `store` (which must hold no campaign when `replace` is set).
    public func write(to store: Store, replace: Bool, progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> Int {
        if try store.householdCount() > 0 {
            guard replace else {
                throw StoreError("the store at \(store.path) already holds households: pass --replace to rebuild it, or use another --db")
            }
            try store.clearRegistry()
        }
        try store.upsertUnits(units())
        guard let progress else { return try store.bulkInsert(makeHouseholds()) }
        var done = 0
        let total = households
        return try store.bulkInsert(makeHouseholds().lazy.map { h -> Household in
            done += 1
            if done % 10_000 == 0 || done == total { progress(done, total) }
            return h
        })
    }

    /// Write the city as the CSV files units keep: `units.csv` and `households.csv` in `folder`.
    /// Each file appears under its name only once it is whole; `progress` is called now and
    /// then with the households written so far.
    public func writeCSV(folder: String, progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> (units: String, households: String) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw TextFile.Failure(description: "\(folder): cannot make the folder: check the path and that you may write there")
        }
        let unitsPath = (folder as NSString).appendingPathComponent("units.csv")
        let householdsPath = (folder as NSString).appendingPathComponent("households.csv")
        let unitsOut = try CSVOutput(path: unitsPath)
        try unitsOut.write(["编码", "名称", "类型", "上级编码"])
        for u in units() { try unitsOut.write([u.code, u.name, u.kind.rawValue, u.parentCode ?? ""]) }

        let out = try CSVOutput(path: householdsPath)
        try out.write(["姓名", "身份证号", "所属单位", "家庭人口", "人均月收入", "类别", "困难原因", "银行卡号",
                       "联系电话", "家庭住址", "困难类别", "主要致困原因", "身份", "档案状态", "建档日期"])
        var done = 0
        for h in makeHouseholds() {
            try out.write([h.name, h.idNumber, h.unitCode, String(h.members), h.incomePerCapita.decimalText,
                           h.categoryNames.joined(separator: "、"), h.causeNames.joined(separator: "、"),
                           h.bankCard ?? "", h.phone ?? "", h.address ?? "", h.difficultyType ?? "",
                           h.mainCause ?? "", h.identity ?? "", h.fileStatus, h.registeredOn?.description ?? ""])
            done += 1
            if done % 10_000 == 0 { progress?(done, households) }
        }
        try unitsOut.commit()
        try out.commit()
        progress?(done, households)
        return (unitsPath, householdsPath)
    }
}

/// `n` in decimal, zero-padded to `width` digits.
func digits(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
