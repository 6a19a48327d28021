#!/usr/bin/env bash
# The test command: install what is missing, build, and run every test (Swift and the Lua
# policy tests under scripts/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test
