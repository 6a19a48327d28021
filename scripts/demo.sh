#!/usr/bin/env bash
# The main job: install what is missing, build Warmth, and run the demo campaign.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product warmth
bin=.build/release/warmth
"$bin" version
"$bin" check scripts/city/policy.lua
