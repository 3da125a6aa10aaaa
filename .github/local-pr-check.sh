#!/usr/bin/env bash
# The pull-request job of .github/workflows/plan.yml, run locally against the in-process
# sandbox instead of AWS: build (with the sandbox), fmt --check, validate --format github, and
# the plan as the sticky comment's Markdown body plus the plan file (plan --out).
#
#   bash .github/local-pr-check.sh [OUT_DIR]      # OUT_DIR defaults to a new temporary directory
#
# The drift job's full snapshot is played by a `refresh --out live.json` of the same sandbox, so
# the plan runs scoped by it (`--baseline`), as a same-repository pull request's does.
#
# Exits non-zero when a step fails, as the job would (plan: 0, 2, 3 and 4 are fine, 1 fails).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-$(mktemp -d)}"
mkdir -p "$out"

step() { printf '\n--> %s\n' "$*"; }

# --all-features: the feature set the tests build with, so after them this build is a no-op.
step "build (debug, --all-features: the sandbox with the test build's artifacts)"
cargo build --locked --all-features --bin mailform
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
mailform="$target_dir/debug/mailform"

step "mailform fmt --check"
"$mailform" fmt --check libraries/

step "mailform validate --format github"
"$mailform" validate --format github libraries/

step "mailform refresh --out live.json (the drift job's snapshot)"
"$mailform" refresh --sandbox --sandbox-dir "$out/sandbox" --out "$out/live.json"

step "mailform plan --baseline live.json --format markdown --out"
set +e
"$mailform" plan --sandbox --sandbox-dir "$out/sandbox" --baseline "$out/live.json" \
  --out "$out/plan.bin" --format markdown --detailed-exitcode >"$out/body.md"
code=$?
set -e
if [ "$code" = 1 ]; then
  echo "mailform plan failed (exit 1)" >&2
  exit 1
fi
{
  echo "<!-- mailform-plan -->"
  echo "**mailform plan** for $(git rev-parse --short=12 HEAD 2>/dev/null || echo 'this tree'), against the local sandbox (exit $code)."
  echo
  cat "$out/body.md"
} >"$out/plan.md"
[ -s "$out/plan.bin" ] || { echo "plan wrote no plan file" >&2; exit 1; }

echo
echo "comment body: $out/plan.md"
echo "plan file:    $out/plan.bin"
