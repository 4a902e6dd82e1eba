#!/usr/bin/env bash
# The web application under load on loopback, bounded in time; see bench/web.py.
# Usage: bench/web.sh   (DURATION=120 SEARCHERS=50 N=200000 EXPORTS=5 by default)
set -euo pipefail
cd "$(dirname "$0")"
exec python3 web.py "$@"
