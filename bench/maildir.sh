#!/usr/bin/env bash
# Maildir benchmark: full `onrecord ingest` of a 20,000-message Maildir folder against
# `notmuch new` and `mu index` on the same folder, in one run; and how many objects the blob
# store holds afterwards (the log's tiles and checkpoints aside), which packs keep small.
#
# usage: bench/maildir.sh [N]      (N defaults to 20000; seed as ../shared/corpus/mail_corpus.py)
# Targets (issue: the archive core): ingest >= 10x notmuch new, >= 4x mu index; < 100 objects.
set -euo pipefail

N=${1:-20000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/onrecord-maildir-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
TIME=/usr/bin/time

echo "== generating $N messages as a Maildir in $WORK"
python3 "$ROOT/../shared/corpus/mail_corpus.py" "$N" "$WORK/out.mbox" --maildir "$WORK/maildir" >/dev/null 2>&1
echo "Maildir: $(find "$WORK/maildir" -type f | wc -l) files, $(du -sh "$WORK/maildir" | cut -f1)"

declare -A SECS RSS
run() {
  local name=$1; shift
  local log="$WORK/$name.time"
  if "$TIME" -v "$@" >"$WORK/$name.out" 2>"$log"; then
    SECS[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
    RSS[$name]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  else
    echo "  $name failed:"; tail -5 "$log" | sed 's/^/    /'
  fi
}

cargo build --quiet --release -p onrecord --manifest-path "$ROOT/Cargo.toml"
CLI="${CARGO_TARGET_DIR:-$ROOT/target}/release/onrecord"

# Warm the page cache the same way for every tool: each reads the folder once beforehand.
cat "$WORK"/maildir/*/* >/dev/null

echo "== onrecord ingest (indexed, as a depositor runs it)"
"$CLI" init "$WORK/A" >/dev/null
run ingest "$CLI" ingest --archive "$WORK/A" --depositor "Private Office" "$WORK/maildir"
OBJECTS=$(find "$WORK/A/store" -type f -not -path '*/log/*' -not -path '*/checkpoints/*' | wc -l)
PACKS=$(find "$WORK/A/store" -type f -name '*.pack' | wc -l)
"$CLI" verify --archive "$WORK/A" | tail -1

echo "== notmuch new"
if command -v notmuch >/dev/null; then
  mkdir -p "$WORK/home-notmuch"
  printf '[database]\npath=%s\n[user]\nname=Bench\nprimary_email=bench@example.org\n[new]\ntags=inbox;\n' "$WORK/maildir" \
    >"$WORK/home-notmuch/.notmuch-config"
  run notmuch env HOME="$WORK/home-notmuch" NOTMUCH_CONFIG="$WORK/home-notmuch/.notmuch-config" notmuch new --quiet
else
  echo "  skipped: notmuch is not installed (apt-get install notmuch)"
fi

echo "== mu index"
if command -v mu >/dev/null; then
  mu init --muhome="$WORK/mu" --maildir="$WORK/maildir" >/dev/null 2>&1
  run mu mu index --muhome="$WORK/mu" --quiet
else
  echo "  skipped: mu is not installed (apt-get install maildir-utils)"
fi

echo
echo "== results ($N messages)"
printf '%-10s %10s %12s %12s\n' tool seconds msg/s maxRSS_MB
for k in ingest notmuch mu; do
  [[ -n "${SECS[$k]:-}" ]] || continue
  printf '%-10s %10s %12.0f %12.1f\n' "$k" "${SECS[$k]}" \
    "$(awk -v n="$N" -v s="${SECS[$k]}" 'BEGIN { print (s > 0) ? n / s : 0 }')" \
    "$(awk -v k="${RSS[$k]}" 'BEGIN { print k / 1024 }')"
done
echo "blob store: $OBJECTS objects ($PACKS packs) for $N messages (log tiles and checkpoints aside)"
for peer in notmuch mu; do
  [[ -n "${SECS[$peer]:-}" && -n "${SECS[ingest]:-}" ]] || continue
  awk -v a="${SECS[ingest]}" -v b="${SECS[$peer]}" -v p="$peer" \
    'BEGIN { if (a > 0) printf "onrecord ingest is %.1fx %s\n", b / a, p }'
done
echo "targets: >= 10x notmuch new, >= 4x mu index, < 100 objects"
