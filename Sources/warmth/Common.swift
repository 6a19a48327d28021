import ArgumentParser
import Foundation
import WarmthDomain
import WarmthStore

/// Options every command that reads the store takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store file (default: $WARMTH_DB, else ./warmth.sqlite).", valueName: "path"))
    var db: String?

    @Option(name: .long, help: "Language of output for people: zh (default) or en (default: $WARMTH_LANG).")
    var lang: Language = ProcessInfo.processInfo.environment["WARMTH_LANG"].flatMap(Language.init(rawValue:)) ?? .zh

    var path: String { db ?? ProcessInfo.processInfo.environment["WARMTH_DB"] ?? "warmth.sqlite" }

    /// Open the store, which must exist already (see `warmth init`). A command that only
    /// reads opens it read-only: it works on an archived, read-only file, and never migrates.
    func open(readOnly: Bool = false) throws -> Store {
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure(lang.say("没有找到库 \(path): 先运行 'warmth init', 或用 --db 路径 指明", "no store at \(path): run 'warmth init' first, or pass --db PATH"))
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if (attributes?[.size] as? Int) == 0 {
            throw Failure(lang.say("\(path) 是空文件, 不是 Warmth 的库: 用 'warmth init --db 新路径' 新建, 或指明正确的 --db",
                                   "\(path) is an empty file, not a Warmth store: create one with 'warmth init --db NEW' or give the right --db"))
        }
        return try Store(path: path, readOnly: readOnly)
    }
}

enum Language: String, ExpressibleByArgument, Sendable {
    case zh, en

    /// The language asked for on the command line (`--lang en`) or by `$WARMTH_LANG`, for the
    /// messages printed before or after a command's options are parsed.
    static var current: Language {
        let args = CommandLine.arguments
        if let i = args.firstIndex(of: "--lang"), i + 1 < args.count, let l = Language(rawValue: args[i + 1]) { return l }
        if let l = args.lazy.compactMap({ $0.hasPrefix("--lang=") ? Language(rawValue: String($0.dropFirst(7))) : nil }).first { return l }
        return ProcessInfo.processInfo.environment["WARMTH_LANG"].flatMap(Language.init(rawValue:)) ?? .zh
    }
}

extension Language {
    func say(_ zh: String, _ en: String) -> String { self == .zh ? zh : en }
}

/// An error a user can fix: printed as it is, exit status 2.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Print to standard error.
func warn(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Pad `text` to `width` terminal columns (CJK characters take two).
func pad(_ text: String, _ width: Int) -> String {
    let w = displayWidth(text)
    return w >= width ? text : text + String(repeating: " ", count: width - w)
}

func padLeft(_ text: String, _ width: Int) -> String {
    let w = displayWidth(text)
    return w >= width ? text : String(repeating: " ", count: width - w) + text
}

func displayWidth(_ text: String) -> Int {
    text.unicodeScalars.reduce(0) { n, s in
        let v = s.value
        let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
        return n + (wide ? 2 : 1)
    }
}

/// The per-category table the summaries print: 类别, 人次, 金额(元), 万元, and the total.
func categoryTable(_ rows: [CategoryTotal], lang l: Language, indent: String = "") -> String {
    let total = (persons: rows.reduce(0) { $0 + $1.personTimes }, amount: rows.reduce(Money.zero) { $0 + $1.amount })
    // Every column is as wide as its widest cell (by display width: a CJK character takes two)
    // plus two spaces, so no figure runs into the next however large.
    let width = max(12, rows.map { displayWidth($0.category) }.max() ?? 0) + 2
    let persons = max(8, displayWidth("\(total.persons)") + 2)
    let yuan = max(18, displayWidth(total.amount.yuanText) + 2)
    let wan = max(14, displayWidth(total.amount.wanText) + 2)
    func line(_ name: String, _ count: Int, _ amount: Money) -> String {
        indent + pad(name, width) + padLeft("\(count)", persons) + padLeft(amount.yuanText, yuan) + padLeft(amount.wanText, wan) + "\n"
    }
    var out = indent + pad(l.say("类别", "Category"), width) + padLeft(l.say("人次", "Persons"), persons)
        + padLeft(l.say("金额(元)", "Amount (yuan)"), yuan) + padLeft(l.say("万元", "10k yuan"), wan) + "\n"
    for r in rows { out += line(r.category, r.personTimes, r.amount) }
    out += line(l.say("合计", "Total"), total.persons, total.amount)
    return out
}

extension StoreOptions {
    /// A household by its number in the store or its 18-digit ID number; the error masks it.
    func household(_ key: String, in s: Store) throws -> Household {
        let found = try (key.count == 18 ? s.household(idNumber: key) : Int64(key).flatMap { try s.household(id: $0) })
        guard let h = found else {
            // Whatever was typed is masked and cut: a mistyped ID, card or phone number is still personal.
            let shown = Masking.quote(key.count == 18 ? IDNumber.mask(key) : key)
            throw Failure(lang.say("库中没有户 “\(shown)”: 用 warmth households list 查找其编号, 或给出 18 位身份证号",
                                   "no household '\(shown)' in the store: find its number with warmth households list, or give its 18-digit ID number"))
        }
        return h
    }
}
