#!/usr/bin/env bash
# Prints, last, what each failed test said (its messages without stack frames), so that the end of
# a long CI log names every failure even when only its tail is kept.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
shopt -s nullglob
echo "=== failed tests, their messages without stack frames ==="
for report in target/surefire-reports/*.txt target/failsafe-reports/*.txt; do
  grep -qE '<<< (FAILURE|ERROR)!' "$report" || continue
  echo "--- $(basename "$report" .txt)"
  grep -vE $'^\t(at |\\.\\.\\. [0-9]+ more)|^-+$|^Test set:' "$report" | head -n 40
done
