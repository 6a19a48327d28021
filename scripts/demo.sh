#!/usr/bin/env bash
# The main job: install what is missing, build Warmth, and run a demo campaign end to end on a
# synthetic city, in SQLite (out/demo/warmth.sqlite):
#   the city's units and 20,000 households → a campaign → the policy tests → the city
#   federation's policy, dry run → a what-if (registered needy 500 instead of 600) → a district
#   union's run within the city's caps, committed → the city's run, committed: households the
#   district already paid are not paid again (不重) → the explanation of one decision → the
#   campaign's summary from the ledger.
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
step "a district union (D01) runs its own policy, within the city's caps, and commits it"
warmth run scripts/district/policy.lua --campaign "$campaign" --unit D01 --commit
step "the city commits: households the district already paid are not paid again (不重); the plan goes to out/demo/plan.csv"
warmth run scripts/city/policy.lua --campaign "$campaign" --commit --out out/demo/plan.csv | tail -5
step "why one household gets what it gets"
first=$(sed -n 2p out/demo/plan.csv | cut -d, -f1)
warmth explain "$first" --policy scripts/city/policy.lua --campaign "$campaign"
step "the campaign's summary, from the ledger"
warmth campaign show "$campaign"
