#!/usr/bin/env bash
# Search benchmark on a 1,000,000-message archive; see bench/search.py. Usage: bench/search.sh
set -euo pipefail
cd "$(dirname "$0")"
command -v rg >/dev/null || { apt-get install -y -q ripgrep >/dev/null 2>&1 || echo "(ripgrep not installed; rg comparison skipped)"; }
exec python3 search.py "$@"
