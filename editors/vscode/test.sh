#!/usr/bin/env bash
# Builds and tests the VS Code extension from a fresh checkout: installs the
# locked npm dependencies, typechecks, runs the grammar and unit tests,
# bundles, packages tensen.vsix and checks what it holds. Runnable from any
# folder; exits non-zero on the first failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
bin=./node_modules/.bin

step() { printf '\n== %s\n' "$*"; }

step "npm ci"
npm ci --quiet --no-audit --no-fund

step "typecheck"
"$bin/tsc" --noEmit -p .

step "grammar tests"
# The assertion parser of vscode-tmgrammar-test can backtrack for a very long
# time on a malformed assertion line; a stuck run fails instead of hanging.
timeout 120 "$bin/vscode-tmgrammar-test" --compact "test/grammar/*.test.tsn" </dev/null

step "unit tests"
node test/run-unit.mjs

step "bundle"
rm -rf dist
npm run --silent bundle

step "package"
rm -f tensen.vsix
"$bin/vsce" package --no-dependencies --out tensen.vsix </dev/null

step "check tensen.vsix"
test -s tensen.vsix
listing=$(unzip -Z1 tensen.vsix)
for f in extension/package.json extension/dist/extension.js \
         extension/syntaxes/tensen.tmLanguage.json extension/language-configuration.json \
         extension/readme.md extension/LICENSE.txt; do
    if ! grep -qixF "$f" <<<"$listing"; then
        echo "tensen.vsix lacks $f; it holds:" >&2
        echo "$listing" >&2
        exit 1
    fi
done
if grep -E '^extension/(src|test|node_modules)/' <<<"$listing"; then
    echo "tensen.vsix ships files it should not (above)" >&2
    exit 1
fi
echo "tensen.vsix: $(wc -c <tensen.vsix) bytes, $(grep -c . <<<"$listing") files"
