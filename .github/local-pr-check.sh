#!/usr/bin/env bash
# The pull-request job of .github/workflows/plan.yml, run locally against the in-process
# sandbox instead of AWS, with the workflow's trust split: mailform is built from THIS tree (the
# base branch's part), and the pull request is a separate tree read as data only. To prove that
# the code under review never sees a secret, the "pull request" here is hostile: beside a new
# library file it changes src/, build.rs, Cargo.toml and .github/ so that any of them, if run,
# would copy the (fake) secret out, and it points an existing library at another SMTP server,
# spelling its `password` node with an inline comment (which a grep would miss). The job runs
# with fake secrets in MAILFORM_SMTP_SECRETS, then checks that nothing of the pull request ran,
# that the redirected library's password was withheld, and that no secret is in what the job
# wrote. A second hostile tree adds a library file that is a symbolic link naming another
# library's variable: whatever mailform's reader makes of it, no password may be exported.
#
#   bash .github/local-pr-check.sh [OUT_DIR]      # OUT_DIR defaults to a new temporary directory
#
# Steps as in the workflow: changed files (.github/changed-library-files.sh), fmt --check and
# validate --format github (a failure becomes the comment, .github/validation-comment.sh), the
# SMTP passwords (.github/smtp-secrets-env.sh: `mailform secrets --base`, withholding every
# library whose parsed file changed), and the plan as the sticky comment's Markdown body
# (--changed-from: the pull request's libraries first)
# plus the plan file, shown again with `mailform show`. The drift job's full snapshot is played
# by a `refresh --out live.json` of the same sandbox, so the plan runs scoped by it.
#
# Exits non-zero when a step fails, as the job would (plan: 0, 2, 3 and 4 are fine, any other
# code fails),
# or when the secret could have reached the pull request's code.
set -euo pipefail
cd "$(dirname "$0")/.."
base="$PWD"

out="${1:-$(mktemp -d)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

step() { printf '\n--> %s\n' "$*"; }

# --all-features: the feature set the tests build with, so after them this build is a no-op.
step "trusted build: mailform from the base tree (debug, --all-features: the sandbox)"
cargo build --locked --all-features --bin mailform
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
mailform="$target_dir/debug/mailform"

step "the pull request's tree: a new library, and code that would steal the secret if run"
pr="$out/pr"
rm -rf "$pr"
mkdir -p "$pr/.github" "$pr/src"
cp -R libraries "$pr/libraries"
canary="$out/stolen"
rm -f "$canary"
fake_secret="fake-secret-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
steal="env >> '$canary' 2>/dev/null; echo ran >> '$canary'"
printf '#!/usr/bin/env bash\n%s\n' "$steal" >"$pr/.github/smtp-secrets-env.sh"
printf '#!/usr/bin/env bash\n%s\n' "$steal" >"$pr/.github/validation-comment.sh"
printf '#!/usr/bin/env bash\n%s\n' "$steal" >"$pr/.github/changed-library-files.sh"
printf 'fn main() { let _ = std::process::Command::new("sh").arg("-c").arg("%s").status(); }\n' \
  "$steal" | tee "$pr/build.rs" >"$pr/src/main.rs"
printf '[package]\nname = "mailform"\nversion = "0.0.0"\nedition = "2024"\nbuild = "build.rs"\n' \
  >"$pr/Cargo.toml"
# A new library, named by the comment first.
sed 's/springfield-public/maplewood/g; s/springfield/maplewood/g; s/Springfield/Maplewood/g' \
  libraries/springfield-public.kdl >"$pr/libraries/maplewood.kdl"
# A changed library pointed at another SMTP server, its own password variable spelled with an
# inline comment: that password must not be exported (its file changed).
sed -i 's/host "mail.northhaverbrook.example.org"/host "smtp.attacker.example.net"/;
        s|password env=|password /* as before */ env=|' "$pr/libraries/north-haverbrook.kdl"
grep -q 'smtp.attacker.example.net' "$pr/libraries/north-haverbrook.kdl"
grep -q 'password /\* as before \*/ env="MAILFORM_SMTP_PASSWORD_NORTH_HAVERBROOK"' \
  "$pr/libraries/north-haverbrook.kdl"

export MAILFORM_SMTP_SECRETS="{\"MAILFORM_SMTP_PASSWORD_CAPITAL_CITY\": \"capital-city-local-password\", \"MAILFORM_SMTP_PASSWORD_NORTH_HAVERBROOK\": \"$fake_secret\"}"
export GITHUB_ENV="$out/github_env" GITHUB_STEP_SUMMARY="$out/summary.md" MAILFORM="$mailform"
: >"$GITHUB_ENV"

step "the library files this pull request changes"
bash "$base/.github/changed-library-files.sh" "$base/libraries" "$pr/libraries" >"$out/changed.txt"
cat "$out/changed.txt"
grep -qx 'libraries/maplewood.kdl' "$out/changed.txt"

cd "$pr"
step "mailform fmt --check and validate --format github (in the pull request's tree)"
set +e
"$mailform" fmt --check libraries/ >"$out/fmt.txt"
fmt=$?
"$mailform" validate --format github libraries/ >"$out/annotations.txt"
validate=$?
set -e
cat "$out/fmt.txt" "$out/annotations.txt"
if [ "$fmt" != 0 ] || [ "$validate" != 0 ]; then
  bash "$base/.github/validation-comment.sh" "$out/annotations.txt" "$out/fmt.txt" \
    "file://$pr" >"$out/plan.md"
  echo "the checks failed; the comment is $out/plan.md" >&2
  exit 1
fi

step "SMTP passwords for the probes (the base's script; libraries whose parsed file changed withheld)"
bash "$base/.github/smtp-secrets-env.sh" libraries "$base/libraries" | tee "$out/secrets.log"
grep -q 'MAILFORM_SMTP_PASSWORD_NORTH_HAVERBROOK (north-haverbrook) is withheld (changed)' \
  "$out/secrets.log" || { echo "the redirected library's password was not withheld" >&2; exit 1; }
grep -q '^MAILFORM_SMTP_PASSWORD_CAPITAL_CITY<<' "$GITHUB_ENV" \
  || { echo "an unchanged library's password was not exported" >&2; exit 1; }

step "mailform refresh --out live.json (the drift job's snapshot)"
"$mailform" refresh --sandbox --sandbox-dir "$out/sandbox" --out "$out/live.json"

step "mailform plan --baseline live.json --format markdown --changed-from changed.txt --out"
plan_file="$out/mailform-plan-local.json"
set +e
"$mailform" plan --sandbox --sandbox-dir "$out/sandbox" --baseline "$out/live.json" \
  --out "$plan_file" --format markdown --changed-from "$out/changed.txt" \
  --detailed-exitcode >"$out/body.md"
code=$?
set -e
case "$code" in
  0|2|3|4) ;;
  *) echo "mailform plan failed (exit $code)" >&2; exit 1 ;;
esac
{
  echo "<!-- mailform-plan -->"
  echo "**mailform plan** for the local pull request tree (mailform built from $(git -C "$base" rev-parse --short=12 HEAD 2>/dev/null || echo 'this tree')), against the local sandbox (exit $code)."
  echo
  cat "$out/body.md"
} >"$out/plan.md"
[ -s "$plan_file" ] || { echo "plan wrote no plan file" >&2; exit 1; }
grep -q '<details open><summary><code>maplewood</code>' "$out/plan.md" \
  || { echo "the pull request's new library is not first in the comment" >&2; exit 1; }
"$mailform" show "$plan_file" --format markdown --changed-from - <"$out/changed.txt" \
  | cmp -s - "$out/body.md" \
  || { echo "mailform show does not render the saved plan as plan printed it" >&2; exit 1; }
cd "$base"

step "a library file that is a symbolic link, naming another library's variable: nothing exported"
linked="$out/pr-linked"
rm -rf "$linked"
mkdir -p "$linked"
cp -R libraries "$linked/libraries"
sed 's/north-haverbrook/mallory/g; s/mail.northhaverbrook.example.org/smtp.attacker.example.net/;
     s/MAILFORM_SMTP_PASSWORD_NORTH_HAVERBROOK/MAILFORM_SMTP_PASSWORD_CAPITAL_CITY/' \
  libraries/north-haverbrook.kdl >"$linked/libraries/mallory.txt"
ln -s mallory.txt "$linked/libraries/mallory.kdl"
: >"$out/github_env_linked"
(cd "$linked" && GITHUB_ENV="$out/github_env_linked" \
  bash "$base/.github/smtp-secrets-env.sh" libraries "$base/libraries" >"$out/secrets-linked.log" 2>&1) || true
cat "$out/secrets-linked.log"
if [ -s "$out/github_env_linked" ]; then
  echo "a password was exported for a tree with a linked library file" >&2
  exit 1
fi

step "the secret never reached the pull request's code"
if [ -e "$canary" ]; then
  echo "code from the pull request's tree ran during the job" >&2
  exit 1
fi
if grep -rqF "$fake_secret" "$out" --exclude=github_env --exclude=github_env_linked; then
  echo "the fake secret is in what the job wrote: $(grep -rlF "$fake_secret" "$out" --exclude=github_env)" >&2
  exit 1
fi
if grep -qF "$fake_secret" "$GITHUB_ENV"; then
  echo "the withheld password was exported" >&2
  exit 1
fi
echo "nothing of the pull request's src/, build.rs, Cargo.toml or .github/ ran; the withheld password was not exported"

echo
echo "comment body: $out/plan.md"
echo "plan file:    $plan_file"
