#!/usr/bin/env bash
# The pull-request comment when the library files do not pass `fmt --check` or `validate`: it
# replaces the previous push's plan (found by the same hidden marker), so the comment never
# shows a plan of files that are no longer there. Each problem links to its file and line.
#
#   bash .github/validation-comment.sh ANNOTATIONS FMT_OUTPUT BLOB_URL > comment.md
#
# ANNOTATIONS: what `mailform validate --format github` printed (`::error file=F,line=L,...::M`).
# FMT_OUTPUT:  what `mailform fmt --check` printed (a unified diff per file not in canonical form).
# BLOB_URL:    where the files are shown, e.g. https://github.com/OWNER/REPO/blob/SHA
set -euo pipefail
# `&` in a replacement is the text replaced (bash 5.2); here it is an `&`.
shopt -u patsub_replacement 2>/dev/null || true

annotations="${1:?annotations file}"
fmt_output="${2:?fmt output file}"
blob="${3:?blob url}"

# GitHub's workflow-command escapes, undone for display.
unescape() {
  local s="$1"
  s="${s//%0A/ }"
  s="${s//%0D/}"
  s="${s//%3A/:}"
  s="${s//%2C/,}"
  s="${s//%25/%}"
  printf '%s' "$s"
}
# Markdown table cells: the messages quote the library files, so nothing in them may become
# markup. As mailform's own escaping (src/text/markdown.rs): markup characters escaped, `|` so
# no cell ends early, `&`, `<` and `>` as entities, and a zero-width space after `@` and `#` and
# in `://` and `www.`, so GitHub makes no mention, reference or link of them.
cell() {
  local s="$1" z='&#8203;'
  s="${s//&/&amp;}"
  s="${s//\\/\\\\}"
  for c in '`' '*' '_' '[' ']' '~' '|' '$'; do
    s="${s//"$c"/\\$c}"
  done
  s="${s//</&lt;}"
  s="${s//>/&gt;}"
  # `#` first: the zero-width spaces inserted after it hold a `#` themselves.
  s="${s//#/\\#$z}"
  s="${s//@/\\@$z}"
  s="${s//:\/\//:$z//}"
  s="${s//www./www$z.}"
  s="${s//WWW./WWW$z.}"
  printf '%s' "$s"
}
# A code fence one backtick longer than the longest run in the file (at least three), so no line
# of it can close the block.
fence_for() {
  local run
  run="$({ grep -o '`\+' "$1" || true; } | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')"
  (( run < 3 )) && run=2
  printf '%*s' "$((run + 1))" '' | tr ' ' '`'
}

echo "<!-- mailform-plan -->"
echo "**mailform**: no plan for this push, the library files do not pass the checks below. Fix them and push again; the plan replaces this comment."
echo

rows=()
if [ -f "$annotations" ]; then
  while IFS= read -r line; do
    [[ "$line" =~ ^::(error|warning|notice)\ ([^:]*)::(.*)$ ]] || continue
    level="${BASH_REMATCH[1]}"
    props="${BASH_REMATCH[2]}"
    message="$(unescape "${BASH_REMATCH[3]}")"
    file=""; lineno=""; title=""
    IFS=',' read -ra kv <<<"$props"
    for pair in "${kv[@]}"; do
      case "$pair" in
        file=*) file="$(unescape "${pair#file=}")" ;;
        line=*) lineno="${pair#line=}" ;;
        title=*) title="$(unescape "${pair#title=}")" ;;
      esac
    done
    where="(no file)"
    if [ -n "$file" ]; then
      where="[$file${lineno:+:$lineno}]($blob/$file${lineno:+#L$lineno})"
    fi
    rows+=("| $level | $where | \`$(cell "$title")\` | $(cell "$message") |")
  done <"$annotations"
fi
if [ ${#rows[@]} -gt 0 ]; then
  echo "#### \`mailform validate\` (${#rows[@]})"
  echo
  echo "| | where | code | problem |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
fi

if [ -s "$fmt_output" ]; then
  mapfile -t files < <(sed -n 's|^+++ b/||p' "$fmt_output")
  if [ ${#files[@]} -gt 0 ]; then
    echo "#### \`mailform fmt --check\`: not in canonical form (${#files[@]}; run \`mailform fmt\`)"
    echo
    for file in "${files[@]}"; do
      first="$(awk -v f="+++ b/$file" '$0 == f { on = 1; next } on && /^@@/ { sub(/^@@ -[0-9]+,?[0-9]* \+/, ""); sub(/[^0-9].*/, ""); print; exit }' "$fmt_output")"
      echo "- [$file${first:+:$first}]($blob/$file${first:+#L$first})"
    done
    echo
    echo "<details><summary>the layout mailform fmt would write</summary>"
    echo
    # Cut to stay far below GitHub's comment limit; the run's log has all of it.
    shown="$(mktemp)"
    head -c 30000 "$fmt_output" >"$shown"
    fence="$(fence_for "$shown")"
    echo "${fence}diff"
    cat "$shown"
    [ -z "$(tail -c 1 "$shown")" ] || echo
    echo "$fence"
    rm -f "$shown"
    echo
    echo "</details>"
  fi
fi
if [ ${#rows[@]} -eq 0 ] && [ ! -s "$fmt_output" ]; then
  echo "The checks failed without a problem to show here; see the run's log."
fi
