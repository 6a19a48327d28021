import ArgumentParser
import Foundation
import WarmthData
import WarmthDomain
import WarmthStore

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the store (idempotent) and say where it is.")

    @OptionGroup var store: StoreOptions

    func run() throws {
        let existed = FileManager.default.fileExists(atPath: store.path)
        let opened = try Store(path: store.path)
        let migrations = try opened.appliedMigrations().count
        let full = URL(fileURLWithPath: store.path).standardizedFileURL.path
        print(store.lang.say(existed ? "仓库已存在: \(full) (\(migrations) 个迁移已应用)" : "已创建仓库: \(full)",
                             existed ? "Store already exists: \(full) (\(migrations) migrations applied)" : "Created the store: \(full)"))
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import units or households from CSV (UTF-8 with or without BOM, or GB18030).",
        subcommands: [ImportUnits.self, ImportHouseholds.self])
}

struct ImportUnits: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "units",
        abstract: "Import the union tree: columns 编码, 名称, 类型, 上级编码 (or code, name, kind, parent).",
        discussion: "Kinds: \(UnionUnit.Kind.allCases.map(\.rawValue).joined(separator: "、")). Parents come before their children or are stored already.")

    @OptionGroup var store: StoreOptions
    @Argument(help: "The CSV file.") var file: String

    func run() throws {
        let report = try Importer(store: try store.open()).importUnits(file: file)
        printImport(report, lang: store.lang, noun: store.lang.say("个单位", " units"))
    }
}

struct ImportHouseholds: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "households",
        abstract: "Import households, validating every row; nothing is written while any row is wrong.",
        discussion: """
            Columns (Chinese or English): 姓名/name, 身份证号/id_number, 所属单位/unit (code or name), 家庭人口/members, \
            人均月收入/income (yuan), and optionally 类别/categories, 困难原因/causes (separated by 、 , ; or |), \
            银行卡号/bank_card, 联系电话/phone, 家庭住址/address, 困难类别, 主要致困原因, 次要致困原因, 身份, 档案状态, 建档日期.
            Every problem is reported as FILE:ROW:COLUMN: message. Importing the same file again changes nothing.
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The CSV file.") var file: String
    @Flag(help: "Update households already stored (matched by ID number) instead of refusing changed rows.")
    var update = false
    @Flag(help: "Import the good rows; write the rejected ones with their reasons to NAME.rejected.csv beside the file.")
    var skipInvalid = false

    func run() throws {
        let l = store.lang
        let bar = TerminalProgress(l.say("导入", "Importing"))
        defer { bar?.clear() }
        let report = try Importer(store: try store.open()).importHouseholds(
            file: file, update: update, skipInvalid: skipInvalid,
            progress: bar.map { bar in { done, total in bar.update(done, total, note: "\(done >> 20)/\(total >> 20) MiB") } })
        bar?.clear()
        printImport(report, lang: l, noun: l.say("户", " households"))
        if ProcessInfo.processInfo.environment["WARMTH_TIMING"] != nil {
            warn(String(format: "timing: read and check %.3f s, write %.3f s, commit %.3f s",
                        report.timings.check, report.timings.write, report.timings.commit))
        }
        for column in report.defaulted {
            print(l.say("文件没有 \(column) 列: 全部按 正式 (在档) 导入", "The file has no \(column) column: every household is taken as 正式 (live)"))
        }
        if let rejected = report.rejectedFile {
            for p in report.rejected.prefix(20) { warn(p.description) }
            if report.problemCount > 20 { warn("…") }
            warn(l.say("\(report.problemCount) 个问题; 被拒的行及原因已写入 \(rejected)",
                       "\(report.problemCount) problem(s); the rejected rows and their reasons are in \(rejected)"))
        }
    }
}

func printImport(_ report: ImportReport, lang: Language, noun: String) {
    let c = report.counts
    print(lang.say("读取 \(report.rows) 行 (\(report.encoding.rawValue)): 新增 \(c.inserted)\(noun), 更新 \(c.updated), 未变 \(c.unchanged)",
                   "Read \(report.rows) rows (\(report.encoding.rawValue)): \(c.inserted)\(noun) added, \(c.updated) updated, \(c.unchanged) unchanged"))
    if !report.ignoredColumns.isEmpty {
        print(lang.say("忽略的列: ", "Ignored columns: ") + report.ignoredColumns.joined(separator: ", "))
    }
}

struct Units: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the union tree.", subcommands: [UnitsList.self], defaultSubcommand: UnitsList.self)
}

struct UnitsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List units as a tree.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let units = try store.open(readOnly: true).units()
        let children = Dictionary(grouping: units, by: { $0.parentCode ?? "" })
        func show(_ parent: String, depth: Int) {
            for u in children[parent, default: []] {
                print(String(repeating: "  ", count: depth) + "\(u.code)  \(u.name)  (\(u.kind.rawValue))")
                show(u.code, depth: depth + 1)
            }
        }
        show("", depth: 0)
    }
}

struct Households: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and show households. ID, card and phone numbers are masked.",
        subcommands: [HouseholdsList.self, HouseholdsShow.self])
}

struct HouseholdsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List households, optionally of one unit's subtree or one category.")
    @OptionGroup var store: StoreOptions
    @Option(help: "A unit code or name: its households and those of the units below it.") var unit: String?
    @Option(help: "Only households in this category (类别).") var category: String?
    @Option(help: "Show at most this many.") var limit = 50

    func run() throws {
        let s = try store.open(readOnly: true)
        var codes: [String]?
        if let unit {
            guard let u = try s.unit(named: unit) else { throw Failure("unknown unit '\(unit)': see 'warmth units list'") }
            codes = try s.subtree(of: u.code)
        }
        let list = try s.households(units: codes, category: category, limit: limit)
        let l = store.lang
        print([pad(l.say("编号", "No."), 8), pad(l.say("姓名", "Name"), 8), pad(l.say("身份证号", "ID number"), 20), pad(l.say("单位", "Unit"), 8),
               padLeft(l.say("人口", "Size"), 4), padLeft(l.say("人均月收入", "Income/person"), 14), "  " + l.say("类别", "Categories")].joined(separator: " "))
        for h in list {
            print([pad("\(h.id ?? 0)", 8), pad(h.name, 8), pad(h.maskedIDNumber, 20), pad(h.unitCode, 8), padLeft("\(h.members)", 4),
                   padLeft(h.incomePerCapita.yuanText, 14), "  " + h.categoryNames.joined(separator: "、")].joined(separator: " "))
        }
        if list.count == limit { print(l.say("(只显示前 \(limit) 户; 用 --limit 显示更多)", "(first \(limit) shown; use --limit for more)")) }
    }
}

struct HouseholdsShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one household by its number or its ID number.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The household's number (from list) or its 18-digit ID number.") var id: String

    func run() throws {
        let s = try store.open(readOnly: true)
        let h = try store.household(id, in: s)
        let l = store.lang
        let names = try s.vocabulary(for: h.unitCode)
        let unit = try s.unit(code: h.unitCode)
        let rows: [(String, String)] = [
            (l.say("编号", "No."), "\(h.id ?? 0)"),
            (l.say("姓名", "Name"), h.name),
            (l.say("身份证号", "ID number"), h.maskedIDNumber),
            (l.say("所属单位", "Unit"), "\(h.unitCode) \(unit?.name ?? "")"),
            (l.say("家庭人口", "Members"), "\(h.members)"),
            (l.say("人均月收入", "Income per person"), h.incomePerCapita.yuanText),
            (l.say("类别", "Categories"), h.categories.names(in: names.categories).joined(separator: "、")),
            (l.say("困难原因", "Hardship causes"), h.causes.names(in: names.causes).joined(separator: "、")),
            (l.say("困难类别", "Difficulty type"), h.difficultyType ?? ""),
            (l.say("主要致困原因", "Main cause"), h.mainCause ?? ""),
            (l.say("次要致困原因", "Secondary causes"), h.secondaryCauses.joined(separator: "、")),
            (l.say("身份", "Status at work"), h.identity ?? ""),
            (l.say("档案状态", "File status"), h.fileStatus + (h.isLive ? "" : l.say(" (非在档)", " (not live)"))),
            (l.say("银行卡号", "Bank card"), h.maskedBankCard ?? ""),
            (l.say("联系电话", "Phone"), h.phone.map(Phone.mask) ?? ""),
            (l.say("家庭住址", "Address"), h.address ?? ""),
            (l.say("建档日期", "Registered on"), h.registeredOn?.description ?? ""),
        ]
        for (k, v) in rows { print(pad(k, 14) + v) }
    }
}

struct DemoData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-data",
        abstract: "Build a deterministic synthetic city: units and households with valid ID and card numbers.",
        discussion: "The same --households and --seed always give the same city.")

    @OptionGroup var store: StoreOptions
    @Option(help: "How many households.") var households = 2_000
    @Option(help: "The random seed.") var seed: UInt64 = 2026
    @Flag(help: "Replace the households already in the store (refused once a campaign exists).") var replace = false
    @Option(help: ArgumentHelp("Write units.csv and households.csv to this folder instead of the store.", valueName: "folder"))
    var csv: String?

    func validate() throws {
        guard households >= 0, households <= 50_000_000 else { throw ValidationError("--households must be from 0 to 50,000,000") }
    }

    func run() throws {
        let city = DemoCity(households: households, seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        let bar = TerminalProgress(store.lang.say("示范城市", "Demo city"))
        defer { bar?.clear() }
        let progress = bar.map { bar in { (done: Int, total: Int) in bar.update(done, total, note: "\(done)/\(total)") } }
        if let csv {
            let files = try city.writeCSV(folder: csv, progress: progress)
            bar?.clear()
            print(store.lang.say("已写入 \(files.units) 和 \(files.households) (\(households) 户)",
                                 "Wrote \(files.units) and \(files.households) (\(households) households)"))
            return
        }
        let s = try Store(path: store.path)
        let n = try city.write(to: s, replace: replace, progress: progress)
        bar?.clear()
        let seconds = (clock.now - start).seconds
        print(store.lang.say("示范城市: \(city.units().count) 个单位, \(n) 户, 用时 \(String(format: "%.1f", seconds)) 秒 → \(store.path)",
                             "Demo city: \(city.units().count) units, \(n) households in \(String(format: "%.1f", seconds)) s → \(store.path)"))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
