#!/usr/bin/env bash
# Fails when a workflow or composite action uses a third-party action by a movable name (a tag
# or a branch such as @v4, @master, @main) instead of a full 40-hex commit SHA with its version
# in a comment:
#
#   uses: actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0
#
# A tag can be moved to other code by whoever controls the action's repository; a commit SHA
# cannot (GitHub's "Security hardening for GitHub Actions": "Pin actions to a full length commit
# SHA"). Local actions (`uses: ./.github/actions/...`) are ours, reviewed with the workflow, and
# a Docker image must be pinned by digest (`docker://IMAGE@sha256:...`).
#
#   bash .github/check-pinned-actions.sh [DIR]    # DIR defaults to .github
set -euo pipefail

dir="${1:-$(dirname "$0")}"
bad=0
while IFS= read -r -d '' file; do
  lineno=0
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    # `uses:` as a key, also as a list item (`- uses:`); comments are not code.
    [[ "$line" =~ ^[[:space:]]*(-[[:space:]]+)?uses:[[:space:]]*(.*)$ ]] || continue
    ref="${BASH_REMATCH[2]}"
    ref="${ref#\"}"
    ref="${ref#\'}"
    case "$ref" in
      ./*) continue ;;
    esac
    if [[ "$ref" =~ ^docker://[^[:space:]]+@sha256:[0-9a-f]{64}([[:space:]]|$) ]]; then
      continue
    fi
    if [[ "$ref" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}[\"\']?[[:space:]]+#[[:space:]]*[^[:space:]] ]]; then
      continue
    fi
    echo "$file:$lineno: not pinned to a full commit SHA with its version in a comment: $ref"
    bad=1
  done <"$file"
done < <(find "$dir" -type f \( -name '*.yml' -o -name '*.yaml' \) -print0 | sort -z)

if [ "$bad" != 0 ]; then
  echo "pin each action as \`uses: OWNER/REPO@<40-hex commit SHA> # vX.Y.Z\` (git ls-remote https://github.com/OWNER/REPO refs/tags/vX.Y.Z)" >&2
  exit 1
fi
echo "every third-party action is pinned to a commit SHA"
