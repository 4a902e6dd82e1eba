#!/usr/bin/env bash
# Merging two 200,000-message exports of one group; see bench/merge.py. Usage: bench/merge.sh
set -euo pipefail
cd "$(dirname "$0")"
exec python3 merge.py "$@"
