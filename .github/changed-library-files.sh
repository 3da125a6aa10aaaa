#!/usr/bin/env bash
# The library files a pull request adds, changes or removes, one a line, as paths in its tree
# (`libraries/<id>.kdl`): a comparison of two directories, so it needs no git history and runs
# nothing from either tree. The plan puts these libraries first in its comment
# (`mailform plan --changed-from`); which passwords a job gets is decided by `mailform secrets`,
# not by this list.
#
# Every entry counts, not only regular files: a symbolic link (or anything else that is not a
# regular file) on either side is listed as changed whatever it points at.
#
#   bash .github/changed-library-files.sh BASE_LIBRARIES PR_LIBRARIES
set -euo pipefail

base="${1:?base libraries directory}"
pr="${2:?pull request libraries directory}"

list() { (cd "$1" 2>/dev/null && find . ! -type d -name '*.kdl' | sed 's|^\./||' | LC_ALL=C sort) || true; }

{
  LC_ALL=C comm -3 <(list "$base") <(list "$pr") | tr -d '\t'
  LC_ALL=C comm -12 <(list "$base") <(list "$pr") | while IFS= read -r file; do
    if [ -L "$base/$file" ] || [ -L "$pr/$file" ] || [ ! -f "$base/$file" ] || [ ! -f "$pr/$file" ] \
      || ! cmp -s "$base/$file" "$pr/$file"; then
      printf '%s\n' "$file"
    fi
  done
} | LC_ALL=C sort -u | sed 's|^|libraries/|'
