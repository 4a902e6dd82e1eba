#!/usr/bin/env bash
# Classification throughput on one core: the library (classify + personal data, no IO) and
# `onrecord classify --stdin` end to end (JSON in and out), over N generated messages.
#
# usage: bench/classify.sh [N]      (N defaults to 1000000)
# Builds release into $CARGO_TARGET_DIR (default target/).
set -euo pipefail
N=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d /tmp/onrecord-classify-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q -p onrecord
cargo build --release -q -p onrecord-classify --example bench

echo "== library: Classifier::classify_with + find_personal_data, one thread"
taskset -c 0 "$TARGET/release/examples/bench" "$N"

echo "== onrecord classify --stdin (JSON Lines in and out), one thread"
"$TARGET/release/examples/bench" --jsonl "$N" > "$WORK/in.jsonl"
echo "input: $(du -h "$WORK/in.jsonl" | cut -f1), $N lines"
start=$(date +%s.%N)
taskset -c 0 "$TARGET/release/onrecord" classify --stdin < "$WORK/in.jsonl" > "$WORK/out.jsonl"
end=$(date +%s.%N)
lines=$(wc -l < "$WORK/out.jsonl")
awk -v n="$lines" -v s="$start" -v e="$end" 'BEGIN { printf "classified %d messages in %.2f s: %.0f messages/s\n", n, e - s, n / (e - s) }'
