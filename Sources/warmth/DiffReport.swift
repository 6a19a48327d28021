import WarmthDomain
import WarmthRuntime

/// A param as people read it: its value by its kind, and what the policy says about it.
enum ParamLine {
    static func text(name: String, value: ParamValue, spec: ParamSpec?, lang l: Language) -> String {
        guard let spec else { return "\(name) = \(value)" }
        var out = "\(name) = \(spec.show(value, english: l == .en))"
        if spec.kind == .money, case .integer(let fen) = value { out += " (\(fen) \(l.say("分", "fen")))" }
        var about = [l == .en ? spec.kind.rawValue : spec.kind.chinese]
        if let label = spec.label { about.append(label) }
        if let r = spec.reference { about.append(l.say("依据 ", "per ") + r) }
        if value != spec.value { about.append(l.say("策略值 ", "policy's value ") + spec.show(spec.value, english: l == .en)) }
        return out + "  [" + about.joined(separator: " · ") + "]"
    }
}

/// "-3.2%": a change against a base, to one decimal, in integer arithmetic.
func percentText(_ change: Money, of base: Money) -> String {
    guard base.fen != 0 else { return change.fen == 0 ? "0%" : "—" }
    let tenths = (change.fen * 1000 + (change.fen >= 0 ? base.fen / 2 : -base.fen / 2)) / base.fen
    let sign = tenths > 0 ? "+" : tenths < 0 ? "-" : ""
    let a = abs(tenths)
    return "\(sign)\(a / 10).\(a % 10)%"
}

func signedYuan(_ m: Money) -> String { m.fen > 0 ? "+" + m.yuanText : m.yuanText }

/// What `warmth run --set …` prints after the summary: the scenario against the policy's own params.
struct DiffReport {
    var diff: PlanDiff
    var baseline: PolicyDeclaration
    var scenario: Plan
    /// What is left of the budget for this run (the budget less what the ledger holds).
    var budget: Money
    var lang: Language
    /// A unit code → the unit it is shown under (the run unit's child on its path).
    var group: (String) -> String = { $0 }
    /// The heading, when the comparison is not against the policy's own params.
    var title: String?

    var text: String {
        let l = lang
        var out = title ?? l.say("\n与基线 (策略自身的参数) 比较:\n", "\nAgainst the baseline (the policy's own params):\n")
        for spec in baseline.params {
            guard let now = scenario.params[spec.name], now != spec.value else { continue }
            out += l.say("  参数 ", "  param ") + "\(spec.name): \(spec.show(spec.value, english: l == .en)) → \(spec.show(now, english: l == .en))\n"
        }
        let change = diff.total - diff.baseTotal
        out += l.say("  合计 \(diff.baseTotal.yuanText) → \(diff.total.yuanText), 变化 \(signedYuan(change)) (\(percentText(change, of: diff.baseTotal))); 人次 \(diff.baseCount) → \(diff.count)\n",
                     "  Total \(diff.baseTotal.yuanText) → \(diff.total.yuanText), change \(signedYuan(change)) (\(percentText(change, of: diff.baseTotal))); person-times \(diff.baseCount) → \(diff.count)\n")
        let left = budget - diff.total
        out += left.fen >= 0 ? l.say("  预算结余 \(left.yuanText) (基线 \((budget - diff.baseTotal).yuanText))\n", "  Budget left \(left.yuanText) (baseline \((budget - diff.baseTotal).yuanText))\n")
            : l.say("  超出预算 \(Money(fen: -left.fen).yuanText)\n", "  Over the budget by \(Money(fen: -left.fen).yuanText)\n")
        out += table(l.say("类别", "Category"), diff.byCategory)
        let units = diff.byUnit(groupedBy: group)
        if units.count > 1 { out += table(l.say("单位", "Unit"), units) }
        let bands = PlanDiff.Band.allCases.map { b -> String in
            let v = diff.bands[b] ?? (0, .zero)
            let amount = b == .same || v.households == 0 ? "" : " (\(signedYuan(v.change)))"
            return l.say("\(b.chinese) \(v.households) 户\(amount)", "\(b.english) \(v.households)\(amount)")
        }
        out += l.say("  各户变化: ", "  Households: ") + bands.joined(separator: l.say(", ", ", ")) + "\n"
        out += l.say("  新增发放 \(diff.started) 户, 停发 \(diff.stopped) 户\n", "  \(diff.started) start being paid, \(diff.stopped) stop\n")
        return out
    }

    func table(_ title: String, _ lines: [PlanDiff.Line]) -> String {
        let l = lang
        let width = max(12, lines.map { displayWidth($0.key) }.max() ?? 0) + 2
        let money = max(16, lines.map { max(displayWidth($0.amount.yuanText), displayWidth($0.baseAmount.yuanText), displayWidth(signedYuan($0.change))) }.max() ?? 0) + 2
        var out = "  " + pad(title, width) + padLeft(l.say("基线人次", "Base"), 10) + padLeft(l.say("基线金额", "Base amount"), money)
            + padLeft(l.say("人次", "Persons"), 8) + padLeft(l.say("金额", "Amount"), money) + padLeft(l.say("变化", "Change"), money)
            + padLeft(l.say("变化(万元)", "Change (10k)"), 14) + "\n"
        for r in lines {
            out += "  " + pad(r.key, width) + padLeft("\(r.baseCount)", 10) + padLeft(r.baseAmount.yuanText, money) + padLeft("\(r.count)", 8)
                + padLeft(r.amount.yuanText, money) + padLeft(signedYuan(r.change), money) + padLeft(r.change.wanText, 14) + "\n"
        }
        return out
    }
}
