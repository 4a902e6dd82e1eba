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
# (lines) and its rate is computed over the messages those lines hold. Peak RSS and CPU time
# (user+sys, to 10 ms) come from /usr/bin/time -v, wall time from a monotonic clock (it includes
# process start-up). CPU-based rates are printed too, because on a shared machine wall time
# includes waiting for a core; the ratios compare CPU-based rates.
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

# measure LABEL N_MSGS BYTES CMD...: runs CMD under /usr/bin/time -v (peak RSS, user+sys CPU) and
# times it with a monotonic clock (time -v prints wall time only to 10 ms), and prints one row.
measure() {
    python3 - "$OUT/time.log" "$@" <<'PY'
import re, subprocess, sys, time
log, label, n, size, cmd = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
t = time.perf_counter()
with open(log, "w") as err:
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL, stderr=err)
secs = max(time.perf_counter() - t, 1e-6)
text = open(log).read()
rate = 0.0
if p.returncode != 0:
    tail = [l for l in text.splitlines() if l.strip() and not l.startswith("\t")][-1:] or ["?"]
    print(f"  {label}: FAILED (exit {p.returncode}: {tail[0][:160]})")
else:
    def field(name):
        m = re.search(re.escape(name) + r": (.*)", text)
        return m.group(1).strip() if m else "0"
    cpu = max(float(field("User time (seconds)")) + float(field("System time (seconds)")), 0.01)
    rss = int(field("Maximum resident set size (kbytes)")) / 1024
    rate = n / cpu
    print(f"  {label:<24} {secs:8.3f}s wall {cpu:6.2f}s cpu {n / secs:12,.0f} msg/s {rate:12,.0f} msg/s(cpu) {size / 1e6 / secs:8.1f} MB/s {rss:7.1f} MiB peak")
open(log + ".rate", "w").write(f"{rate}\n")
PY
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
