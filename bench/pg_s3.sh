#!/usr/bin/env bash
# PostgreSQL + S3 against the embedded default, in one run (issue 19); see bench/pg_s3.py.
# Starts the servers with .ci/services.sh unless ONRECORD_TEST_PG_URL is set already.
#   bench/pg_s3.sh                # N=200000 messages, 4 parallel processes of N/4 each
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ONRECORD_TEST_PG_URL:-}" ]; then
    env_file=$(mktemp)
    trap '.ci/services.sh stop || true; rm -f "$env_file"' EXIT
    .ci/services.sh start > "$env_file"
    # shellcheck disable=SC1090
    . "$env_file"
fi
python3 bench/pg_s3.py "$@"
