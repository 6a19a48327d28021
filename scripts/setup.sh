#!/usr/bin/env bash
# Installs what Warmth needs to build, if it is missing: Lua 5.4 (liblua5.4-dev), pkg-config,
# SQLite (libsqlite3-dev), OpenSSL's libcrypto for SHA-256 (libssl-dev), libedit (libedit-dev) for the REPL and, with --bench, the plain lua5.4 interpreter for comparisons.
# Uses apt-get (after apt-get update), through sudo only when not root. Sourced by demo.sh and
# test.sh; safe to run again.
set -euo pipefail

want=(liblua5.4-dev pkg-config libsqlite3-dev libssl-dev sqlite3 libedit-dev)
if [ "${1:-}" = "--bench" ]; then want+=(lua5.4); fi

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "warmth setup: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "warmth setup: no 'swift' on PATH. Install Swift 6.1 or newer (swift.org) and run again." >&2
  exit 1
fi
