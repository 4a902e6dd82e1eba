#!/usr/bin/env bash
# The servers the PostgreSQL + S3 tests run against (issue 19): a private PostgreSQL cluster
# (Debian's package) and an S3-compatible server (s3s-fs from crates.io, served by
# tools/s3-server), both on loopback.
#
#   .ci/services.sh start > services.env && . services.env   # installs if missing, starts, prints the env
#   .ci/services.sh stop                                      # stops both, removes their data
#   .ci/services.sh restart-pg | kill-s3 | start-s3           # the fault tests' switches
#
# Why s3s-fs: one static Rust binary built by `cargo install` with the toolchain CI has anyway
# (no Python service stack), an S3 API over a plain folder, and enough of the protocol for
# object_store's client (PUT, GET with ranges, HEAD, DELETE, LIST v2, multipart uploads). It has
# one access key and no policies; tools/s3-server adds a read-only credential with a policy.
# tools/s3-server is s3s-fs's library behind the same arguments, with TCP_NODELAY on every
# connection: s3s-fs's own binary leaves Nagle on, and each GET through a keep-alive client then
# waited ~40 ms for a delayed ACK, an artifact no production S3 server has (its Cargo.toml).
#
# Nothing here is secret: the password and keys are throwaway values for loopback-only servers.
set -euo pipefail
state=${ONRECORD_SERVICES_DIR:-/tmp/onrecord-services}
pg_port=${ONRECORD_PG_PORT:-54329}
s3_port=${ONRECORD_S3_PORT:-8019}
pg_password=onrecord-ci
s3_key=onrecord-ci-key
s3_secret=onrecord-ci-secret
# A second S3 credential that may read anything and write only an archive's audit log (the
# read-only server of conformance_pg_s3.rs; tools/s3-server enforces it).
s3_ro_key=onrecord-ci-reader
s3_ro_secret=onrecord-ci-reader-secret
bucket=onrecord-test

pg_bin() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$d" ] && echo "$d"
}

as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
    if [ -z "$(pg_bin)" ]; then
        echo "installing PostgreSQL (Debian's package)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
    fi
    if ! command -v onrecord-s3-server >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/onrecord-s3-server" ]; then
        echo "installing tools/s3-server (s3s-fs 0.14.1; cargo install, a few minutes)" >&2
        cargo install --path "$(dirname "$0")/../tools/s3-server" --locked >&2
    fi
}

s3s() {
    # The binary `start` found, so that `start-s3` finds it again whatever the caller's PATH.
    if [ -f "$state/s3s-path" ]; then cat "$state/s3s-path"; return; fi
    if command -v onrecord-s3-server >/dev/null 2>&1; then command -v onrecord-s3-server; else echo "$HOME/.cargo/bin/onrecord-s3-server"; fi
}

start_pg() {
    local bin
    bin=$(pg_bin)
    if [ ! -f "$state/pg/PG_VERSION" ]; then
        mkdir -p "$state/pg"
        echo "$pg_password" > "$state/pwfile"
        if [ "$(id -u)" = 0 ]; then chown -R postgres "$state/pg" "$state/pwfile"; chmod 700 "$state/pg"; fi
        as_pg "$bin/initdb" -D "$state/pg" -U postgres --auth=scram-sha-256 --pwfile="$state/pwfile" >/dev/null
        rm -f "$state/pwfile"
    fi
    as_pg "$bin/pg_ctl" -D "$state/pg" -l "$state/pg.log" -w -o "-h 127.0.0.1 -p $pg_port -k /tmp -c max_connections=300 -c fsync=on" start >/dev/null
}

start_s3() {
    mkdir -p "$state/s3/$bucket"
    nohup "$(s3s)" --host 127.0.0.1 --port "$s3_port" --access-key "$s3_key" --secret-key "$s3_secret" \
        --read-only-key "$s3_ro_key" --read-only-secret "$s3_ro_secret" --read-only-writable '*/audit/*' --read-only-writable 'audit/*' \
        "$state/s3" >"$state/s3.log" 2>&1 &
    echo $! > "$state/s3.pid"
    for _ in $(seq 50); do
        if (exec 3<>/dev/tcp/127.0.0.1/"$s3_port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "the S3 server did not start; see $state/s3.log" >&2
    return 1
}

stop_s3() {
    if [ -f "$state/s3.pid" ]; then
        kill "$(cat "$state/s3.pid")" 2>/dev/null || true
        rm -f "$state/s3.pid"
    fi
}

stop_pg() {
    local bin
    bin=$(pg_bin)
    if [ -n "$bin" ] && [ -f "$state/pg/postmaster.pid" ]; then
        as_pg "$bin/pg_ctl" -D "$state/pg" -m fast -w stop >/dev/null || true
    fi
}

case "${1:-}" in
start)
    install
    mkdir -p "$state"
    if [ "$(id -u)" = 0 ]; then chown postgres "$state"; fi
    rm -f "$state/s3s-path"
    s3s_bin=$(s3s)
    echo "$s3s_bin" > "$state/s3s-path"
    start_pg
    start_s3
    cat <<ENV
export ONRECORD_TEST_PG_URL=postgres://postgres@127.0.0.1:$pg_port/
export PGPASSWORD=$pg_password
export AWS_ACCESS_KEY_ID=$s3_key
export AWS_SECRET_ACCESS_KEY=$s3_secret
export AWS_REGION=us-east-1
export ONRECORD_TEST_S3_READ_ONLY_KEY=$s3_ro_key
export ONRECORD_TEST_S3_READ_ONLY_SECRET=$s3_ro_secret
export AWS_ENDPOINT_URL=http://127.0.0.1:$s3_port
export ONRECORD_TEST_S3_BUCKET=$bucket
export ONRECORD_SERVICES_SCRIPT=$(realpath "$0")
ENV
    ;;
stop)
    stop_s3
    stop_pg
    rm -rf "$state"
    ;;
restart-pg)
    bin=$(pg_bin)
    as_pg "$bin/pg_ctl" -D "$state/pg" -l "$state/pg.log" -m fast -w restart -o "-h 127.0.0.1 -p $pg_port -k /tmp -c max_connections=300" >/dev/null
    ;;
stop-pg) stop_pg ;;
start-pg) start_pg ;;
kill-s3)
    if [ -f "$state/s3.pid" ]; then kill -9 "$(cat "$state/s3.pid")" 2>/dev/null || true; rm -f "$state/s3.pid"; fi
    ;;
start-s3) start_s3 ;;
*)
    echo "usage: $0 start|stop|restart-pg|stop-pg|start-pg|kill-s3|start-s3" >&2
    exit 2
    ;;
esac
