#!/usr/bin/env bash
# Archive ingest and verify throughput; see bench/archive.py. Usage: bench/archive.sh  (N=200000)
set -euo pipefail
cd "$(dirname "$0")"
exec python3 archive.py "$@"
