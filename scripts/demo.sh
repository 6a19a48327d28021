#!/usr/bin/env bash
# The main job: install what is missing, build Warmth, and run a demo campaign end to end on a
# synthetic city, in SQLite (out/demo/warmth.sqlite):
#   the city's units and 20,000 households → a campaign → the policy tests → the city
#   federation's policy, dry run → a what-if (registered needy 500 instead of 600) → the same
#   what-if in the REPL (warmth repl, commands from the script: diff, losers, a saved scenario) → a district
#   union's run within the city's caps, committed → the city's run, committed: households the
#   district already paid are not paid again (不重) → the explanation of one decision → the
#   campaign's summary from the ledger; then the campaign's life after the plan: the funding
#   phase, approvals and bank payments, the visits (signatures, a cancellation on the spot, a
#   补发 for a household the plans missed), the 不漏/不重/不错 checks and the summary again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product warmth
warmth() { .build/release/warmth "$@"; }

export WARMTH_DB=out/demo/warmth.sqlite
rm -rf out/demo
mkdir -p out/demo
campaign="2026年元旦春节送温暖"
step() { printf '\n== %s\n' "$*"; }

step "warmth version"
warmth version
step "a synthetic city: warmth init; warmth demo-data --households 20000"
warmth init
warmth demo-data --households 20000
warmth units list | head -8
step "the campaign"
warmth campaign create "$campaign" --unit C00 --from 2025-12-20 --to 2026-02-10 --budget 6000000 \
  --fund 上级拨付=2000000 --fund 本级筹集=1000000 --fund 财政拨付=3000000
step "the policy tests (warmth test scripts)"
warmth test scripts | tail -1
step "the city federation's policy, dry run"
warmth run scripts/city/policy.lua --campaign "$campaign"
step "what if registered needy households got 500 yuan instead of 600?"
warmth run scripts/city/policy.lua --campaign "$campaign" --set registered=500 | sed -n '4,12p'
step "the budget officer's what-if session (warmth repl), here fed from a script instead of typed"
warmth repl scripts/city/policy.lua --campaign "$campaign" --echo <<'COMMANDS'
:set registered=500 frontline=150
:diff
:losers 3
plan:where(function(p) return p.amount >= w.yuan(500) end):count()
:save 标准下调 特困500一线150
:verify
COMMANDS
step "a district union (D01) runs its own policy, within the city's caps, and commits it"
warmth run scripts/district/policy.lua --campaign "$campaign" --unit D01 --commit
step "the city commits: households the district already paid are not paid again (不重); the plan goes to out/demo/plan.csv"
warmth run scripts/city/policy.lua --campaign "$campaign" --commit --out out/demo/plan.csv | tail -5
step "why one household gets what it gets"
first=$(sed -n 2p out/demo/plan.csv | cut -d, -f1)
warmth explain "$first" --policy scripts/city/policy.lua --campaign "$campaign"
step "the campaign's summary, from the ledger"
warmth campaign show "$campaign"

export WARMTH_OPERATOR=张敏
step "资金筹备发放: the funds are raised; the district's and the city's plans are approved and paid by bank card"
warmth campaign phase "$campaign" 资金筹备发放 --reason "资金已到位"
warmth payouts approve --campaign "$campaign" --all --status planned --yes
warmth payouts pay --campaign "$campaign" --all --unit D01 --status approved --method bank --yes
step "走访慰问: the visits; one household is cancelled on the spot, one missed household is added (补发)"
warmth campaign phase "$campaign" 走访慰问
warmth payouts list --campaign "$campaign" --status approved --limit 3
cancel=$(warmth payouts list --campaign "$campaign" --status approved --unit C00 --limit 1 | awk 'NR == 1 { print $2 }')
warmth payouts cancel "$cancel" --campaign "$campaign" --reason "当场取消: 实际情况与上报不符" --yes
missed=$(warmth check-ledger --campaign "$campaign" --csv out/demo/check.csv >/dev/null; sed -n 2p out/demo/check.csv | cut -d, -f2)
warmth payouts add "$missed" --campaign "$campaign" --amount 500 --category 非建档困难职工 --reason "走访发现漏报, 社区核实"
goods=$(awk -F, 'NR > 2 && $1 == "不漏" { print $2; exit }' out/demo/check.csv)
warmth payouts add "$goods" --campaign "$campaign" --amount 140 --kind goods --goods "大米10kg、食用油5L" --category 非建档困难职工 --reason "走访发现漏报, 送米送油"
warmth payouts show "$missed"
warmth payouts approve --campaign "$campaign" --all --status planned --yes
warmth payouts pay --campaign "$campaign" --all --status approved --method cash --yes
warmth payouts sign --campaign "$campaign" --all --unit D01 --yes
step "检查总结: the 不漏/不重/不错 checks, and the summary with cash and goods apart"
warmth campaign phase "$campaign" 检查总结
warmth check-ledger --campaign "$campaign" --limit 5
warmth campaign show "$campaign"
