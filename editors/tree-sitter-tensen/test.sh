#!/usr/bin/env bash
# Tests the tensen tree-sitter grammar:
#   1. tree-sitter generate   (src/parser.c etc. are generated, not committed)
#   2. tree-sitter test       (test/corpus/*.txt and test/highlight/*.tsn)
#   3. every valid rule file of the repository parses without ERROR/MISSING,
#      and every syntax-error fixture does produce one;
#   4. the Helix queries are in sync with queries/ (editors/helix/gen-queries.sh)
#      and every query file compiles against the grammar.
#
# Needs the tree-sitter CLI 0.25 or later and a C compiler (`cc`). CI installs
# the CLI with: cargo install tree-sitter-cli --locked --version 0.27.1
# Set TREE_SITTER to use a CLI that is not on PATH.
#
# Runs from anywhere; writes only under the grammar folder (generated files,
# ignored by git) and a temporary folder that is removed at exit.
set -euo pipefail

GRAMMAR_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$GRAMMAR_DIR/../.." && pwd)"

TS="${TREE_SITTER:-}"
if [[ -z "$TS" ]]; then
    if command -v tree-sitter >/dev/null 2>&1; then
        TS="$(command -v tree-sitter)"
    elif [[ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tree-sitter" ]]; then
        TS="${CARGO_HOME:-$HOME/.cargo}/bin/tree-sitter"
    else
        echo "error: the tree-sitter CLI was not found (not on PATH, no \$TREE_SITTER)." >&2
        echo "       install it with: cargo install tree-sitter-cli --locked --version 0.27.1" >&2
        exit 2
    fi
fi
if ! command -v cc >/dev/null 2>&1; then
    echo "error: no C compiler (cc) on PATH; tree-sitter needs one to build the parser." >&2
    exit 2
fi

# A private config and compile cache, so that nothing depends on (or writes
# to) ~/.config/tree-sitter or ~/.cache/tree-sitter.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/tree-sitter-tensen.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export TREE_SITTER_LIBDIR="$WORK/lib"
mkdir -p "$TREE_SITTER_LIBDIR"
CONFIG="$WORK/config.json"
mkdir -p "$WORK/parsers"
# The theme lists every capture name of queries/highlights.scm, so the
# highlight tests see each one exactly as written. The parser directory is
# empty: the CLI uses the grammar of the current folder.
cat >"$CONFIG" <<JSON
{
  "parser-directories": ["$WORK/parsers"],
  "theme": {
    "boolean": 1, "comment": 2, "comment.documentation": 3, "constant": 4,
    "constant.builtin": 5, "function": 6, "function.call": 7, "keyword": 8,
    "keyword.operator": 9, "label": 10, "number": 11, "number.float": 12,
    "operator": 13, "property": 14, "punctuation.bracket": 15,
    "punctuation.delimiter": 16, "punctuation.special": 17, "string": 18,
    "string.escape": 19, "string.special": 20, "string.special.path": 21,
    "type": 22, "type.builtin": 23, "variable": 24, "variable.member": 25,
    "variable.parameter": 26
  }
}
JSON

cd "$GRAMMAR_DIR"
SECONDS=0
failures=0

echo "== tree-sitter $("$TS" --version | awk '{print $2}') ($TS)"

echo "== generate"
"$TS" generate

echo "== test (corpus and highlight assertions)"
"$TS" test --config-path "$CONFIG"

# Valid rule files: every *.tsn under examples/ and tests/, except the
# fixtures whose point is a syntax error: `syntax_*.tsn` (code `syntax`) and
# `template_unclosed.tsn` (code `template-syntax`), in tests/check/ and their
# copies in the fuzz corpus.
is_error_fixture() {
    local base
    base="$(basename "$1")"
    [[ "$base" == syntax_*.tsn || "$base" == template_unclosed.tsn ]]
}

valid=()
broken=()
while IFS= read -r -d '' f; do
    if is_error_fixture "$f"; then broken+=("$f"); else valid+=("$f"); fi
done < <(find "$REPO_ROOT/examples" "$REPO_ROOT/tests" -name '*.tsn' -type f -print0 | sort -z)

# Prints the ERROR and MISSING nodes of one file as `path:row:col: NODE`
# (rows and columns from 1); prints nothing for a clean parse. A file the CLI
# could not parse at all counts as a problem too.
problems() {
    local out
    out="$("$TS" parse --config-path "$CONFIG" "$1" 2>&1)" || true
    if [[ "$out" != *"(source_file"* && "$out" != *"(ERROR"* ]]; then
        echo "$1: tree-sitter parse failed: $(printf '%s\n' "$out" | grep -m1 -i 'error' || true)"
        return
    fi
    printf '%s\n' "$out" |
        { grep -oE '\((ERROR|MISSING)[^[]*\[[0-9]+, [0-9]+\]' || true; } |
        sed -E 's/^\((ERROR|MISSING)([^[]*)\[([0-9]+), ([0-9]+)\]$/\3 \4 \1\2/' |
        while read -r row col what; do
            echo "$1:$((row + 1)):$((col + 1)): $what"
        done
}

# The ```tensen blocks of the documentation are valid rule files too.
mkdir -p "$WORK/docs"
while IFS= read -r -d '' md; do
    awk -v out="$WORK/docs/$(basename "$md" .md)" '
        /^```tensen[[:space:]]*$/ { n++; f = out "." n ".tsn"; inside = 1; next }
        /^```/ && inside { inside = 0; close(f); next }
        inside { print > f }
    ' "$md"
done < <(find "$REPO_ROOT/docs" "$REPO_ROOT" -maxdepth 1 -name '*.md' -type f -print0 2>/dev/null)
while IFS= read -r -d '' f; do valid+=("$f"); done < <(find "$WORK/docs" -name '*.tsn' -type f -print0 | sort -z)

echo "== parse ${#valid[@]} valid rule files (no ERROR or MISSING allowed)"
clean=0
for f in "${valid[@]}"; do
    p="$(problems "$f")"
    if [[ -n "$p" ]]; then
        echo "FAIL ${f#"$REPO_ROOT"/}"
        printf '%s\n' "$p" | sed -e "s|$REPO_ROOT/||" -e "s|$WORK/docs/|docs block |" | head -n 10 | sed 's/^/    /'
        failures=$((failures + 1))
    else
        clean=$((clean + 1))
    fi
done
echo "   $clean/${#valid[@]} parsed clean"

echo "== parse ${#broken[@]} syntax-error fixtures (an ERROR or MISSING is required)"
caught=0
for f in "${broken[@]}"; do
    if [[ -z "$(problems "$f")" ]]; then
        echo "FAIL ${f#"$REPO_ROOT"/} parsed clean, but tensen rejects its syntax"
        failures=$((failures + 1))
    else
        caught=$((caught + 1))
    fi
done
echo "   $caught/${#broken[@]} reported"

echo "== Helix queries in sync with queries/"
if ! "$REPO_ROOT/editors/helix/gen-queries.sh" --check; then
    echo "FAIL editors/helix/queries/tensen is stale: run editors/helix/gen-queries.sh"
    failures=$((failures + 1))
fi
echo "== every query compiles against the grammar"
for q in "$GRAMMAR_DIR"/queries/*.scm "$REPO_ROOT"/editors/helix/queries/tensen/*.scm; do
    if ! "$TS" query --config-path "$CONFIG" "$q" "$GRAMMAR_DIR/test/highlight/signal.tsn" >/dev/null 2>"$WORK/query.err"; then
        echo "FAIL ${q#"$REPO_ROOT"/} does not compile against the grammar:"
        sed 's/^/    /' "$WORK/query.err"
        failures=$((failures + 1))
    fi
done

echo "== done in ${SECONDS}s"
if ((failures > 0)); then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "all tests passed"
