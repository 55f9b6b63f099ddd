#!/bin/sh
# Fetch axe-core (Deque's accessibility rules engine) from the npm registry into tests/e2e/vendor/,
# for the browser tests' accessibility checks (tests/e2e/accessibility.py injects it into pages).
# Tests only: the site never serves it. Needs npm, and only to change the files: the tests use the
# committed copy.
#   sh scripts/vendor_axe.sh
set -eu
cd "$(dirname "$0")/.."
out=tests/e2e/vendor
version=4.14.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(cd "$work" && npm pack --silent "axe-core@$version")
mkdir -p "$work/axe-core" "$out"
tar -xzf "$work/$tarball" -C "$work/axe-core" --strip-components=1
cp "$work/axe-core/axe.min.js" "$out/axe.min.js"
cp "$work/axe-core/LICENSE" "$out/axe-core-LICENSE.txt"
echo "axe-core $version (MPL-2.0, see axe-core-LICENSE.txt), from npm: sh scripts/vendor_axe.sh" > "$out/README"

ls -l "$out"
