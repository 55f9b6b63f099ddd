#!/bin/sh
# Build the test search engine (tests/engine: one OpenSearch node in a JVM, started by the tests).
# Needs Java 17 and Maven; the jars are downloaded from Maven Central once and cached in ~/.m2.
# Without Java or Maven it says so and does nothing (the engine's tests then skip with that
# reason), except under CI=true, where it fails: CI runs every engine test.
# Rebuilds only when tests/engine changed since the last build.
set -eu
cd "$(dirname "$0")/../tests/engine"
missing=""
command -v java >/dev/null 2>&1 || missing="java"
command -v mvn >/dev/null 2>&1 || missing="${missing:+$missing and }mvn"
if [ -n "$missing" ]; then
    echo "Test search engine not built: $missing not found (install Java 17 and Maven)" >&2
    [ "${CI:-}" = "true" ] && exit 1
    exit 0
fi
stamp=target/built  # written after a build that succeeded
if [ -f "$stamp" ] && [ -f target/classpath.txt ] && [ -z "$(find pom.xml src -newer "$stamp" -print -quit)" ]; then
    exit 0
fi
echo "Building the test search engine (tests/engine)"
mvn -q -B -Dstyle.color=never package
touch "$stamp"
