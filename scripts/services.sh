#!/usr/bin/env bash
# PostgreSQL and Redis on 127.0.0.1 for the tests, the benchmarks and the full stack without Docker.
# Installs Debian's packages when they are missing, lets the `postgres` role in from the loopback
# address without a password, starts both and waits until they answer. Safe to run again: what is
# installed, configured or running is left as it is.
#   bash scripts/services.sh            then e.g.
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 sh scripts/test.sh
# Stop them with `bash scripts/services.sh stop`.
set -euo pipefail

PG_PORT=5432
REDIS_PORT=6379
REDIS_DIR=${SHANHUO_REDIS_DIR:-/tmp/shanhuo-redis}
MARK="# shanhuo: loopback trust for the postgres role (scripts/services.sh)"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

wait_for() {  # wait_for NAME COMMAND...
    local name=$1; shift
    for _ in $(seq 1 60); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    echo "$name did not answer within 30 s" >&2
    return 1
}

pg_version() {  # the newest server installed
    ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1
}

install_missing() {
    local packages=()
    if [ -z "$(pg_version)" ] || [ ! -x "/usr/lib/postgresql/$(pg_version)/bin/postgres" ]; then
        packages+=(postgresql postgresql-contrib)
    fi
    command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
    [ ${#packages[@]} -eq 0 ] && return 0
    local started=$SECONDS
    echo "Installing ${packages[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    echo "Installed ${packages[*]} in $((SECONDS - started)) s"
}

start_postgres() {
    local version
    version=$(pg_version)
    if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main "; then
        as_root pg_createcluster "$version" main --port "$PG_PORT" >/dev/null
    fi
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    if ! as_root grep -qF "$MARK" "$hba"; then
        # First match wins in pg_hba.conf, so these lines go on top.
        as_root sed -i "1i $MARK\nhost all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust" "$hba"
        if pg_isready -h 127.0.0.1 -p "$PG_PORT" -q; then
            as_root pg_ctlcluster "$version" main reload
        fi
    fi
    # A development and test cluster: room for the concurrency tests' clients on two test workers at
    # once, no waiting on the disk at each commit (a crash may lose the last commits, which a test
    # database never needs), and shared buffers that hold the search index of the 100,000-product
    # benchmark (with Debian's 128 MB a search of a common word read its rows through the kernel's
    # cache: service p95 84 ms against 59 ms). Locking and isolation are unchanged. Production is
    # docker-compose.
    local tuning="/etc/postgresql/$version/main/conf.d/shanhuo-tests.conf"
    local wanted=$'max_connections = 300\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 1GB'
    if [ "$(as_root cat "$tuning" 2>/dev/null)" != "$wanted" ]; then
        printf '%s\n' "$wanted" | as_root tee "$tuning" >/dev/null
        if pg_isready -h 127.0.0.1 -p "$PG_PORT" -q; then
            echo "Restarting PostgreSQL $version with $tuning"
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" main restart
        fi
    fi
    if ! pg_isready -h 127.0.0.1 -p "$PG_PORT" -q; then
        echo "Starting PostgreSQL $version"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    fi
    wait_for PostgreSQL psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atqc "SELECT 1"
}

start_redis() {
    if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then return 0; fi
    echo "Starting Redis"
    mkdir -p "$REDIS_DIR"
    # Kept in memory only: the tests and the budget counters rebuild what they need.
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
        --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" --pidfile "$REDIS_DIR/redis.pid"
    wait_for Redis redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
}

stop_all() {
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    local version
    version=$(pg_version)
    [ -n "$version" ] && as_root pg_ctlcluster --skip-systemctl-redirect "$version" main stop 2>/dev/null || true
}

case "${1:-start}" in
    start)
        install_missing
        start_postgres
        start_redis
        echo "PostgreSQL: postgres://postgres@127.0.0.1:$PG_PORT/postgres"
        echo "Redis:      redis://127.0.0.1:$REDIS_PORT/0"
        ;;
    stop) stop_all ;;
    *) echo "usage: bash scripts/services.sh [start|stop]" >&2; exit 2 ;;
esac
