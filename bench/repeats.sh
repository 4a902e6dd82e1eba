#!/usr/bin/env bash
# Ingest of N identical lines against N distinct ones; see bench/repeats.py. Usage: bench/repeats.sh
set -euo pipefail
cd "$(dirname "$0")"
exec python3 repeats.py "$@"
