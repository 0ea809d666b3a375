#!/usr/bin/env bash
# Unit and integration tests (node:test through tsx), on one PostgreSQL for the run (scripts/test-server.ts: the
# server at DATABASE_URL, or an embedded one). Files are listed by the shell: `tsx --test` with no file runs nothing
# and still exits 0, so an empty list is an error here.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
files=(test/unit/*.test.ts test/integration/*.test.ts)
if [ "$#" -gt 0 ]; then files=("$@"); fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "no test files found" >&2
  exit 1
fi
exec npx tsx scripts/test-server.ts npx tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-force-exit "${files[@]}"
