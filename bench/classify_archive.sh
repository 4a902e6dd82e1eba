#!/usr/bin/env bash
# Classification over an archive and ingest with classification on/off (bench/classify_archive.py).
set -euo pipefail
cd "$(dirname "$0")"
exec python3 classify_archive.py "$@"
