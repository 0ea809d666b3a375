#!/usr/bin/env bash
# `npm test`: type-check, unit and integration tests, the browser tests in Debian's Chromium, then the formatting.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== type-check"
npx tsc --noEmit

echo "== unit and integration tests"
bash scripts/test-node.sh

echo "== browser tests"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Chromium not found: installing Debian's chromium package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "Chromium is needed for the browser tests and was not found at $CHROMIUM." >&2
    echo "Install it with:  sudo apt-get install -y chromium   (or set CHROMIUM_PATH)" >&2
    exit 1
  fi
fi
npm run -s build # the browser tests run the server as `npm start` does
npx playwright test

echo "== formatting (npm run format fixes it)"
npm run -s format:check
