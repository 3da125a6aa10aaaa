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
# Markdown table cells: no pipes, no HTML.
cell() {
  local s="$1"
  s="${s//|/\\|}"
  s="${s//</&lt;}"
  s="${s//>/&gt;}"
  printf '%s' "$s"
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
    echo '```diff'
    # Cut to stay far below GitHub's comment limit; the run's log has all of it.
    head -c 30000 "$fmt_output" | sed 's/```/ˋˋˋ/g'
    echo '```'
    echo
    echo "</details>"
  fi
fi
if [ ${#rows[@]} -eq 0 ] && [ ! -s "$fmt_output" ]; then
  echo "The checks failed without a problem to show here; see the run's log."
fi
