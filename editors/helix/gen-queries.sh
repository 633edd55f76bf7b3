#!/usr/bin/env bash
# Writes queries/tensen/{highlights,injections,locals}.scm for Helix from the
# grammar's queries (editors/tree-sitter-tensen/queries), renaming the
# nvim-treesitter capture names to Helix's theme scopes. indents.scm is
# written by hand (Helix's indent captures differ from Neovim's).
# Capture names Helix spells the same (@variable.parameter, @keyword, ...)
# are left as they are.
#
#   gen-queries.sh           regenerate
#   gen-queries.sh --check   exit 1 if the files are out of date
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/../tree-sitter-tensen/queries"
DST="$HERE/queries/tensen"

helix_names() {
    sed -E \
        -e 's/Capture names follow nvim-treesitter;/Capture names are Helix scopes;/' \
        -e 's/@number\.float\b/@constant.numeric.float/g' \
        -e 's/@number\b/@constant.numeric.integer/g' \
        -e 's/@boolean\b/@constant.builtin.boolean/g' \
        -e 's/@variable\.member\b/@variable.other.member/g' \
        -e 's/@property\b/@variable.other.member/g' \
        -e 's/@string\.escape\b/@constant.character.escape/g' \
        -e 's/@comment\.documentation\b/@comment.block.documentation/g' \
        -e 's/@function\.call\b/@function/g' \
        -e 's/@local\.definition\.field\b/@local.definition.variable.other.member/g' \
        -e 's/@local\.definition\.parameter\b/@local.definition.variable.parameter/g' \
        -e 's|editors/helix/queries/tensen/highlights.scm is generated from this file|this file is generated from editors/tree-sitter-tensen/queries|' \
        -e 's|; with Helix.s names \(see editors/helix/gen-queries.sh\).|; by editors/helix/gen-queries.sh: do not edit it by hand.|' \
        "$1"
}

check=false
[[ "${1:-}" == "--check" ]] && check=true

status=0
for q in highlights injections locals; do
    want="$(helix_names "$SRC/$q.scm")"
    if $check; then
        if [[ "$want" != "$(cat "$DST/$q.scm" 2>/dev/null)" ]]; then
            echo "stale: $DST/$q.scm" >&2
            status=1
        fi
    else
        mkdir -p "$DST"
        printf '%s\n' "$want" >"$DST/$q.scm"
    fi
done
exit $status
