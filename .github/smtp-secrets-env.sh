#!/usr/bin/env bash
# Maps the SMTP passwords of method-2 libraries (and the notice relay's) into the environment of
# the following steps of a GitHub Actions job. The repository (or environment) secret
# MAILFORM_SMTP_SECRETS holds one JSON object, {"VARIABLE": "password", ...}.
#
# Which variables, and which may be exported, is mailform's answer (`mailform secrets --format
# json`), never a reading of the files here: mailform parses them with its KDL parser, derives
# each library's variable from its id (the platform's prefix and the id in capitals), and, given
# the base branch's files, withholds the password of every library whose file the pull request
# changes (compared as parsed files, not as text or paths), is new, or is a symbolic link, and
# everything when the platform file changes. Such libraries are planned without an SMTP probe:
# the probe would send the password to the server the changed file names.
#
# Each value is masked in the job's log first, and nothing is printed but the variable names.
# Fails closed: if mailform does not answer with exit 0 and a version-1 report, nothing is
# exported and the step fails.
#
#   MAILFORM=/path/to/mailform bash .github/smtp-secrets-env.sh LIBRARIES_DIR [BASE_LIBRARIES_DIR]
set -euo pipefail

: "${GITHUB_ENV:?run this inside a GitHub Actions job}"
: "${MAILFORM:?set MAILFORM to the mailform binary built from the base branch}"
secrets_json="${MAILFORM_SMTP_SECRETS:-}"
libraries="${1:-libraries}"
base="${2:-}"

if [ -z "$secrets_json" ]; then
  echo "MAILFORM_SMTP_SECRETS is not set: method-2 libraries are planned without an SMTP probe"
  exit 0
fi
if ! jq -e 'type == "object" and all(.[]; type == "string")' >/dev/null <<<"$secrets_json"; then
  echo "::error::MAILFORM_SMTP_SECRETS must be a JSON object of strings, {\"VARIABLE\": \"password\"}"
  exit 1
fi

args=(secrets --format json --libraries "$libraries")
[ -z "$base" ] || args+=(--base "$base")
set +e
report="$("$MAILFORM" "${args[@]}")"
code=$?
set -e
case "$code" in
  0) ;;
  *)
    echo "::error::mailform secrets failed (exit $code): no SMTP password is exported"
    exit 1
    ;;
esac
if ! jq -e '.version == 1 and (.variables | type == "array")' >/dev/null <<<"$report"; then
  echo "::error::mailform secrets gave no version-1 report: no SMTP password is exported"
  exit 1
fi
if [ "$(jq -r '.platform_unchanged' <<<"$report")" != true ]; then
  echo "::warning::this pull request changes the platform file: no SMTP password is exported, every library is planned without a probe"
fi

exported=()
while IFS=$'\t' read -r name who export reason; do
  if [ "$export" != true ]; then
    echo "::warning::$name ($who) is withheld ($reason): planned without an SMTP probe"
    continue
  fi
  # mailform only lists variables it accepts; a name that could steer the job is refused anyway.
  if ! [[ "$name" =~ ^[A-Z_][A-Z0-9_]*$ ]] || [ "$name" = MAILFORM_SMTP_SECRETS ]; then
    echo "::error::mailform listed $name, which is not a password variable: not exported"
    continue
  fi
  if ! jq -e --arg n "$name" 'has($n)' >/dev/null <<<"$secrets_json"; then
    echo "::warning::MAILFORM_SMTP_SECRETS has no $name ($who): planned without an SMTP probe"
    continue
  fi
  value="$(jq -r --arg n "$name" '.[$n]' <<<"$secrets_json")"
  # Mask every line of the value before anything could print it.
  while IFS= read -r line; do
    [ -z "$line" ] || echo "::add-mask::$line"
  done <<<"$value"
  delimiter="mailform_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s<<%s\n%s\n%s\n' "$name" "$delimiter" "$value" "$delimiter" >>"$GITHUB_ENV"
  exported+=("$name")
done < <(jq -r '.variables[] | [.variable, (.library // "the notice relay"), (.export | tostring), .reason] | @tsv' <<<"$report")
echo "SMTP password variables set: ${exported[*]:-none}"
