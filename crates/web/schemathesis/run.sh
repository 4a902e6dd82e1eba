#!/usr/bin/env bash
# schemathesis (PyPI) against onrecord's JSON API: builds the demo archive, adds an account for
# each role it fuzzes with an API token, serves it on a free port and runs schemathesis with every
# check. Fails on any server error or any response that breaks the OpenAPI document.
#
#   crates/web/schemathesis/run.sh [path/to/onrecord] [max-examples]
#
# Needs python3 with venv; schemathesis is installed into a venv under target/ the first time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="${1:-$target/debug/onrecord}"
examples="${2:-30}"
venv="$target/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
work="$(mktemp -d)"
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$bin" demo "$work/demo" > /dev/null
archive="$work/demo/archive"
printf 'schemathesis password\n' > "$work/pw"
status=0
# The records manager reaches every endpoint but the audit log and accounts; the auditor and
# the admin reach those.
for role in records-manager auditor admin; do
    "$bin" --archive "$archive" user add "st-$role" --role "$role" --password-file "$work/pw" > /dev/null
done
"$bin" --archive "$archive" serve --listen 127.0.0.1:0 > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q 'serving' "$work/serve.log" && break; sleep 0.1; done
url="$(sed -n 's/.* on \(http[^ ]*\)\/$/\1/p' "$work/serve.log")"
for role in records-manager auditor admin; do
    token="$("$bin" --archive "$archive" user token "st-$role" 2>/dev/null)"
    echo "== schemathesis as $role against $url"
    (cd "$here" && "$venv/bin/schemathesis" run "$url/api/v1/openapi.json" \
        -H "Authorization: Bearer $token" --checks all -n "$examples" --seed 1) || status=1
done
exit $status
