#!/usr/bin/env bash
# Maps the SMTP passwords of method-2 libraries into the environment of the following steps
# of a GitHub Actions job. The repository (or environment) secret MAILFORM_SMTP_SECRETS holds
# one JSON object, {"VARIABLE": "password", ...}, keyed by the variable names the library
# files give in `password env="VARIABLE"`. Only the names a library file under libraries/
# references and that start with the platform's `smtp-password-env-prefix` (default
# MAILFORM_SMTP_PASSWORD_) are exported, never one of another system's credentials (AWS_,
# GITHUB_, ACTIONS_, RUNNER_, ...), each value is masked in the job's log first, and nothing is
# printed but the variable names. mailform itself refuses the same files before reading any
# variable; this script must not export one either, since it would reach every later step.
#
#   bash .github/smtp-secrets-env.sh [LIBRARIES_DIR] [CHANGED_FILES]
#
# CHANGED_FILES (a pull request's plan) lists, one a line, the library files the pull request
# adds, changes or removes. A password is exported only when no changed file names its variable:
# a pull request that points a library (new or existing) at its own SMTP server, naming another
# library's password variable, would otherwise have mailform's probe hand that password to it.
# Such libraries are planned without a probe. A changed platform file exports nothing (it sets
# the prefix).
set -euo pipefail

: "${GITHUB_ENV:?run this inside a GitHub Actions job}"
secrets_json="${MAILFORM_SMTP_SECRETS:-}"
libraries="${1:-libraries}"
changed_list="${2:-}"

if [ -z "$secrets_json" ]; then
  echo "MAILFORM_SMTP_SECRETS is not set: method-2 libraries are planned without an SMTP probe"
  exit 0
fi
if ! jq -e 'type == "object" and all(.[]; type == "string")' >/dev/null <<<"$secrets_json"; then
  echo "::error::MAILFORM_SMTP_SECRETS must be a JSON object of strings, {\"VARIABLE\": \"password\"}"
  exit 1
fi

# The platform's prefix of password variables, as mailform reads it.
prefix="MAILFORM_SMTP_PASSWORD_"
platform="$libraries/_platform.kdl"
if [ -f "$platform" ]; then
  set_prefix="$(sed -nE 's/^[[:space:]]*smtp-password-env-prefix[[:space:]]+"([A-Za-z0-9_]*)".*/\1/p' "$platform" | head -n 1)"
  if [ -n "$set_prefix" ]; then
    prefix="$set_prefix"
  fi
fi
# Variables no library may name, whatever the prefix (the short form of mailform's list in
# src/secret.rs, which also refuses such a prefix).
refused='^(AWS_|AMAZON_|GITHUB_|GH_|ACTIONS_|RUNNER_|CI_|GITLAB_|AZURE_|ARM_|GOOGLE_|GCP_|GCLOUD_|CLOUDSDK_|SSH_|GPG_|GNUPG|CARGO_|NPM_|NODE_AUTH_TOKEN$|DOCKER_|VAULT_|TF_|LD_|DYLD_|HOME$|PATH$|MAILFORM_SMTP_SECRETS$)'
if [[ "$prefix" =~ $refused || ! "$prefix" =~ ^[A-Z_][A-Z0-9_]*$ ]]; then
  echo "::error::smtp-password-env-prefix \"$prefix\" is not allowed (mailform validate says why): no SMTP password is exported"
  exit 1
fi

# The variable names the library files reference, e.g. MAILFORM_SMTP_PASSWORD_SPRINGFIELD.
names_in() {
  grep -rhoE 'password[[:space:]]+env="[A-Za-z_][A-Za-z0-9_]*"' --include='*.kdl' "$@" \
    | sed -E 's/.*env="([^"]*)"/\1/' | sort -u
}
mapfile -t wanted < <(names_in "$libraries")

# The names a changed file references are withheld; a changed platform file withholds all.
withheld=()
if [ -n "$changed_list" ]; then
  mapfile -t changed < <(grep -v '^[[:space:]]*$' "$changed_list" || true)
  present=()
  for file in "${changed[@]}"; do
    if [ "$(basename "$file")" = _platform.kdl ]; then
      echo "::warning::this pull request changes $file: no SMTP password is exported, every library is planned without a probe"
      echo "SMTP password variables set: none"
      exit 0
    fi
    [ ! -f "$file" ] || present+=("$file")
  done
  if [ ${#present[@]} -gt 0 ]; then
    mapfile -t withheld < <(names_in "${present[@]}")
  fi
fi

exported=()
for name in "${wanted[@]}"; do
  if [[ "$name" != "$prefix"?* || "$name" =~ $refused ]]; then
    echo "::warning::$name is not an SMTP password variable (it must start with $prefix): not exported; mailform refuses the file"
    continue
  fi
  if [[ " ${withheld[*]} " == *" $name "* ]]; then
    echo "::warning::$name is named by a library file this pull request changes: not exported; that library is planned without an SMTP probe"
    continue
  fi
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
