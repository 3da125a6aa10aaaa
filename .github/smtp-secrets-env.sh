#!/usr/bin/env bash
# Maps the SMTP passwords of method-2 libraries into the environment of the following steps
# of a GitHub Actions job. The repository (or environment) secret MAILFORM_SMTP_SECRETS holds
# one JSON object, {"VARIABLE": "password", ...}, keyed by the variable names the library
# files give in `password env="VARIABLE"`. Only the names a library file under libraries/
# references are exported, each value is masked in the job's log first, and nothing is printed
# but the variable names.
set -euo pipefail

: "${GITHUB_ENV:?run this inside a GitHub Actions job}"
secrets_json="${MAILFORM_SMTP_SECRETS:-}"
libraries="${1:-libraries}"

if [ -z "$secrets_json" ]; then
  echo "MAILFORM_SMTP_SECRETS is not set: method-2 libraries are planned without an SMTP probe"
  exit 0
fi
if ! jq -e 'type == "object" and all(.[]; type == "string")' >/dev/null <<<"$secrets_json"; then
  echo "::error::MAILFORM_SMTP_SECRETS must be a JSON object of strings, {\"VARIABLE\": \"password\"}"
  exit 1
fi

# The variable names the library files reference, e.g. SPRINGFIELD_SMTP_PASSWORD.
mapfile -t wanted < <(grep -rhoE 'password[[:space:]]+env="[A-Za-z_][A-Za-z0-9_]*"' \
  --include='*.kdl' "$libraries" | sed -E 's/.*env="([^"]*)"/\1/' | sort -u)

exported=()
for name in "${wanted[@]}"; do
  if ! jq -e --arg n "$name" 'has($n)' >/dev/null <<<"$secrets_json"; then
    echo "::warning::MAILFORM_SMTP_SECRETS has no $name: that library is planned without an SMTP probe"
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
done
echo "SMTP password variables set: ${exported[*]:-none}"
