#!/usr/bin/env bash
# WhatsApp parse throughput against `wc -l` and the Python peers whatstk and chat-miner.
#
# usage: bench/whatsapp.sh            (N=200000 messages per export; PEER_N=20000 for chat-miner)
#
# Generates four exports (styles android-uk, ios-uk, android-us, ios-de) with
# shared/corpus/wa_corpus.py, checks that the parser reproduces the generator's counts, and times in
# one run, per export: `target/release/onrecord parse FILE` when the CLI exists, the crate's own
# example `wa_parse` (parser only, records counted and dropped), `wc -l`, whatstk and chat-miner (in
# a venv at bench/.venv, created on first use). A peer that fails to install or to parse is
# reported, not fatal. chat-miner is slow (about 8k msg/s), so it runs on the first PEER_N messages
# (lines) and its rate is computed over the messages those lines hold. Wall time and peak RSS come from /usr/bin/time -v; CPU time
# (user+sys) is printed too, because on a shared machine wall time includes waiting for a core.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-200000}
PEER_N=${PEER_N:-20000}
OUT=$ROOT/bench/out/whatsapp
VENV=$ROOT/bench/.venv
CORPUS=$ROOT/../shared/corpus/wa_corpus.py
mkdir -p "$OUT"

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time" >&2
    (apt-get update -qq && apt-get install -y -qq time) >/dev/null 2>&1 || { echo "need /usr/bin/time" >&2; exit 1; }
fi

cargo build --release -q -p onrecord-whatsapp --example wa_parse || exit 1
WA=$ROOT/target/release/examples/wa_parse
CLI=$ROOT/target/release/onrecord
cargo build --release -q -p onrecord >/dev/null 2>&1 || true

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q whatstk chat-miner >"$OUT/pip.log" 2>&1 \
        || echo "note: installing the Python peers failed (see $OUT/pip.log); they will be reported as failed" >&2
fi

cat >"$OUT/peer.py" <<'PY'
import sys, time
which, path = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if which == "whatstk":
    from whatstk import WhatsAppChat
    n = len(WhatsAppChat.from_source(filepath=path).df)
else:
    from chatminer.chatparsers import WhatsAppParser
    p = WhatsAppParser(path)
    p.parse_file()
    n = len(p.parsed_messages.get_df())
print(n, time.perf_counter() - t)
PY

# measure LABEL N_MSGS BYTES CMD...: runs CMD under /usr/bin/time -v and prints one row.
measure() {
    local label=$1 n=$2 bytes=$3
    shift 3
    local log=$OUT/time.log
    if /usr/bin/time -v "$@" >"$OUT/stdout" 2>"$log"; then
        python3 - "$label" "$n" "$bytes" "$log" <<'PY'
import re, sys
label, n, size, log = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), open(sys.argv[4]).read()
def field(name):
    m = re.search(re.escape(name) + r": (.*)", log)
    return m.group(1).strip() if m else "0"
wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
parts = [float(x) for x in wall.split(":")]
secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
rss = int(field("Maximum resident set size (kbytes)")) / 1024
secs = max(secs, 1e-3); cpu = max(cpu, 1e-3)
print(f"  {label:<22} {secs:8.3f}s wall {cpu:8.3f}s cpu {n / secs:12,.0f} msg/s {n / cpu:12,.0f} msg/s(cpu) {size / 1e6 / secs:8.1f} MB/s {rss:8.1f} MiB")
with open(sys.argv[4] + ".rate", "w") as f:
    f.write(f"{n / cpu}\n")
PY
    else
        echo "  $label: FAILED ($(tail -n 3 "$log" | head -n 1))"
        echo 0 >"$log.rate"
    fi
}

rate() { cat "$OUT/time.log.rate" 2>/dev/null || echo 0; }

for style in android-uk ios-uk android-us ios-de; do
    f=$OUT/wa_$style.txt
    python3 "$CORPUS" "$N" "$f" --style "$style" >"$f.expected.json" || exit 1
    bytes=$(stat -c %s "$f")
    lines=$(wc -l <"$f")
    echo "== $style: $N messages, $(python3 -c "print(f'{$bytes/1e6:.1f}')") MB, $lines lines"
    # The parser must reproduce the generator's counts.
    "$WA" "$f" >"$OUT/counts.json" 2>/dev/null
    python3 - "$f.expected.json" "$OUT/counts.json" <<'PY'
import json, sys
want, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = [k for k in ("messages", "system", "multiline", "media", "deleted", "authors") if want[k] != got.get(k)]
print("  counts: " + ("OK " + json.dumps({k: want[k] for k in ("messages", "system", "media", "deleted")}) if not bad else "MISMATCH " + ", ".join(f"{k}: want {want[k]} got {got.get(k)}" for k in bad)))
PY
    if [ -x "$CLI" ] && "$CLI" parse "$f" >/dev/null 2>&1; then
        measure "onrecord parse" "$N" "$bytes" "$CLI" parse "$f"
    else
        echo "  onrecord parse: (CLI not available yet)"
    fi
    measure "wa_parse (parser)" "$N" "$bytes" "$WA" "$f"
    ours=$(rate)
    measure "wc -l" "$N" "$bytes" wc -l "$f"
    measure "whatstk" "$N" "$bytes" "$VENV/bin/python" "$OUT/peer.py" whatstk "$f"
    whatstk=$(rate)
    # chat-miner on the first PEER_N messages' lines (a header line per message, plus continuations).
    head -n "$PEER_N" "$f" >"$OUT/slice.txt"
    slice_bytes=$(stat -c %s "$OUT/slice.txt")
    slice_n=$("$WA" "$OUT/slice.txt" 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['messages'] + d['system'])")
    measure "chat-miner (${slice_n} msgs)" "$slice_n" "$slice_bytes" "$VENV/bin/python" "$OUT/peer.py" chatminer "$OUT/slice.txt"
    chatminer=$(rate)
    python3 -c "
o, w, c = $ours, $whatstk, $chatminer
print('  ratio (cpu msg/s): onrecord/whatstk = ' + (f'{o / w:.1f}x' if w else 'n/a') + ', onrecord/chat-miner = ' + (f'{o / c:.1f}x' if c else 'n/a'))
"
done
