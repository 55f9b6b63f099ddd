#!/bin/sh
# Fetch the built GraphiQL page assets from the npm registry into static/vendor/graphiql/, so that
# /graphql/ needs no CDN. The versions are the ones graphene-django (requirements.txt) loads from
# its CDN; tests/core/test_graphiql_page.py checks the files against the hashes it declares.
# Needs npm, and only to change the files: the site serves the committed copies.
#   sh scripts/vendor_graphiql.sh
set -eu
cd "$(dirname "$0")/.."
out=static/vendor/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Unpack one package@version into $work/<name> and print that folder.
unpack() {
    tarball=$(cd "$work" && npm pack --silent "$1")
    folder="$work/$(basename "$tarball" .tgz)"
    mkdir -p "$folder"
    tar -xzf "$work/$tarball" -C "$folder" --strip-components=1
    echo "$folder"
}

rm -rf "$out/licenses"
mkdir -p "$out/licenses"

react=$(unpack react@17.0.2)
cp "$react/umd/react.production.min.js" "$out/"
cp "$react/LICENSE" "$out/licenses/react.txt"

react_dom=$(unpack react-dom@17.0.2)
cp "$react_dom/umd/react-dom.production.min.js" "$out/"
cp "$react_dom/LICENSE" "$out/licenses/react-dom.txt"

graphiql=$(unpack graphiql@2.4.7)
cp "$graphiql/graphiql.min.js" "$graphiql/graphiql.min.css" "$out/"
cp "$graphiql/LICENSE" "$out/licenses/graphiql.txt"

graphql_ws=$(unpack graphql-ws@5.13.1)
cp "$graphql_ws/umd/graphql-ws.min.js" "$out/"
cp "$graphql_ws/LICENSE.md" "$out/licenses/graphql-ws.txt"

# The explorer plugin's package declares MIT but ships no license text (see the README there).
explorer=$(unpack @graphiql/plugin-explorer@0.1.15)
cp "$explorer/dist/graphiql-plugin-explorer.umd.js" "$out/"
cp "$explorer/dist/style.css" "$out/graphiql-plugin-explorer.css"

ls -l "$out" "$out/licenses"
