#!/usr/bin/env bash
# Usage: coverage.sh STRICT HEADER SOURCE...
#
# Every function HEADER declares must be called by the C tests: a call is the
# name followed by `(` (spaces allowed) in code. Comments and string and
# character literals are removed first, so a name that only appears in a comment
# or a message (e.g. "xoxe_auth_test(rotated token)") does not count.
# Prints one `--- coverage:` line; exits 1 when a function is not called, unless
# STRICT is 0 (then it only reports).
set -euo pipefail
strict=$1 header=$2
shift 2

# The declared functions (no pipeline: a reader that stops early under pipefail
# can fail the writer).
funcs=$(sed -n 's/^[a-z_].*[ *]\(xoxe_[a-z0-9_]*\)(.*/\1/p' "$header")
read -r -d '' -a names <<<"$funcs" || true
if [ "${#names[@]}" -eq 0 ]; then
  echo "--- coverage: found no function declarations in $header"
  exit 1
fi

# The test code without comments and literals (a left-to-right scan, so a quote
# inside a comment or a comment marker inside a string is handled).
code=$(perl -0777 -pe '
  s{ /\*.*?\*/ | //[^\n]* | "(?:\\.|[^"\\\n])*" | \x27(?:\\.|[^\x27\\\n])*\x27 }
   { substr($&, 0, 1) eq "/" ? " " : "\"\"" }gsex' "$@")

missing=
for f in "${names[@]}"; do
  re="(^|[^A-Za-z0-9_])${f}[[:space:]]*\\("
  [[ $code =~ $re ]] || missing="$missing $f"
done
if [ -n "$missing" ]; then
  echo "--- coverage: declared in include/xoxe.h but never called by the C tests:$missing"
  [ "$strict" = 0 ] || exit 1
else
  echo "--- coverage: all ${#names[@]} functions in include/xoxe.h are called by the C tests"
fi
