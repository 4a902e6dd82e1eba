#!/usr/bin/env bash
# Email benchmark: onrecord-email parse and `onrecord ingest` against notmuch, mu and Python's
# mailbox+email, on one generated 20,000-message mailbox (mbox and Maildir), in one run.
#
# usage: bench/email.sh [N]        (N defaults to 20000; seed 439 as published figures use)
# Prints messages/s, ratios against the peers and peak memory (max RSS from /usr/bin/time -v).
set -euo pipefail

N=${1:-20000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/onrecord-email-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
TIME=/usr/bin/time

echo "== generating $N messages (mbox + Maildir) in $WORK"
python3 "$ROOT/../shared/corpus/mail_corpus.py" "$N" "$WORK/out.mbox" --maildir "$WORK/maildir" >/dev/null 2>&1 \
  || python3 /work/shared/corpus/mail_corpus.py "$N" "$WORK/out.mbox" --maildir "$WORK/maildir" >/dev/null
echo "mbox: $(du -h "$WORK/out.mbox" | cut -f1)"

# run NAME COMMAND... : runs under /usr/bin/time -v, records seconds and max RSS (KB).
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

rate() { awk -v n="$N" -v s="$1" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "inf" }'; }

echo "== (a) onrecord-email parse (release example mail_parse)"
cargo build --quiet --release -p onrecord-email --example mail_parse --manifest-path "$ROOT/Cargo.toml"
EX="$ROOT/target/release/examples/mail_parse"
run parse_mbox "$EX" "$WORK/out.mbox"
run parse_maildir "$EX" "$WORK/maildir"
cat "$WORK/parse_mbox.out" "$WORK/parse_maildir.out" 2>/dev/null | sed 's/^/  /'

echo "== (b) full ingest with the onrecord CLI"
cargo build --quiet --release -p onrecord --manifest-path "$ROOT/Cargo.toml" 2>/dev/null || true
CLI=$(ls "$ROOT"/target/release/onrecord 2>/dev/null || true)
if [[ -n "$CLI" ]] && "$CLI" --help 2>/dev/null | grep -q ingest; then
  "$CLI" init "$WORK/A" >/dev/null 2>&1 || true
  ONRECORD_ARCHIVE="$WORK/A" run ingest env ONRECORD_ARCHIVE="$WORK/A" "$CLI" ingest "$WORK/out.mbox"
else
  echo "  skipped: no onrecord binary with an ingest command yet"
fi

echo "== (c) notmuch new and mu index on the Maildir"
if ! command -v notmuch >/dev/null || ! command -v mu >/dev/null; then
  (apt-get install -y notmuch maildir-utils >/dev/null 2>&1 || true)
fi
if command -v notmuch >/dev/null; then
  mkdir -p "$WORK/home-notmuch"
  printf '[database]\npath=%s\n[user]\nname=Bench\nprimary_email=bench@example.org\n[new]\ntags=inbox;\n' "$WORK/maildir" \
    >"$WORK/home-notmuch/.notmuch-config"
  HOME="$WORK/home-notmuch" run notmuch env HOME="$WORK/home-notmuch" NOTMUCH_CONFIG="$WORK/home-notmuch/.notmuch-config" notmuch new --quiet
else
  echo "  skipped: notmuch is not installed"
fi
if command -v mu >/dev/null; then
  mu init --muhome="$WORK/mu" --maildir="$WORK/maildir" >/dev/null 2>&1 || true
  run mu mu index --muhome="$WORK/mu" --quiet
else
  echo "  skipped: mu is not installed"
fi

echo "== (d) Python mailbox + email parse of the mbox"
cat >"$WORK/py_parse.py" <<'PY'
import email, email.policy, mailbox, sys
n = 0
for msg in mailbox.mbox(sys.argv[1], factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default)):
    body = msg.get_body(preferencelist=("plain", "html"))
    _ = body.get_content() if body is not None else ""
    _ = (msg["From"], msg["To"], msg["Subject"], msg["Date"], msg["Message-ID"])
    for part in msg.iter_attachments():
        _ = part.get_content()
    n += 1
print(n)
PY
run python python3 "$WORK/py_parse.py" "$WORK/out.mbox"

echo
echo "== results ($N messages)"
printf '%-16s %10s %12s %12s\n' tool seconds msg/s maxRSS_MB
for k in parse_mbox parse_maildir ingest notmuch mu python; do
  [[ -n "${SECS[$k]:-}" ]] || continue
  printf '%-16s %10s %12s %12.1f\n' "$k" "${SECS[$k]}" "$(rate "${SECS[$k]}")" "$(awk -v k="${RSS[$k]}" 'BEGIN{print k/1024}')"
done
ratio() { [[ -n "${SECS[$1]:-}" && -n "${SECS[$2]:-}" ]] && awk -v a="${SECS[$1]}" -v b="${SECS[$2]}" -v x="$1" -v y="$2" 'BEGIN { if (a > 0) printf "  %s is %.1fx %s\n", x, b / a, y }' || true; }
echo "== ratios (higher is faster)"
ratio parse_mbox notmuch; ratio parse_mbox mu; ratio parse_mbox python
ratio ingest notmuch; ratio ingest mu; ratio ingest python
echo "targets: ingest >= 15,000 msg/s, 10x notmuch, 4x mu; parse >= 50,000 msg/s; memory flat"
