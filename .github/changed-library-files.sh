#!/usr/bin/env bash
# The library files a pull request adds, changes or removes, one a line, as paths in its tree
# (`libraries/<id>.kdl`): a comparison of two directories, so it needs no git history and runs
# nothing from either tree.
#
#   bash .github/changed-library-files.sh BASE_LIBRARIES PR_LIBRARIES
set -euo pipefail

base="${1:?base libraries directory}"
pr="${2:?pull request libraries directory}"

list() { (cd "$1" 2>/dev/null && find . -type f -name '*.kdl' | sed 's|^\./||' | sort) || true; }

{
  comm -3 <(list "$base") <(list "$pr") | tr -d '\t'
  comm -12 <(list "$base") <(list "$pr") | while IFS= read -r file; do
    cmp -s "$base/$file" "$pr/$file" || printf '%s\n' "$file"
  done
} | sort -u | sed 's|^|libraries/|'
