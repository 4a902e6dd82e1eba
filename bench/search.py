"""Search benchmark: a 1,000,000-message archive (five 200,000-message exports from wa_corpus.py),
in one run: full ingest including indexing, index size on disk, search latency inside the engine for
20 fixed queries with and without filters, and the `onrecord search` command (process start included)
next to `rg -c -i` over the raw export files for the same terms.

Targets: ingest >= 100,000 messages/s; engine p50 <= 5 ms and p99 <= 50 ms; `onrecord search` at
least 10x faster than rg."""
import json
import os
import shutil
import statistics
import subprocess
import sys

from benchlib import BIN, ROOT, build, dir_size, env_for, fresh_dir, run, wa_export

N = int(os.environ.get("N", "200000"))
EXPORTS = int(os.environ.get("EXPORTS", "5"))
OUT = os.path.join(ROOT, "bench", "out")
TERMS = ["contract", "procurement", "vaccine", "briefing", "jose", "inquiry", "deadline", "lockdown", "cabinet", "supplier"]


def main():
    build()
    os.makedirs(OUT, exist_ok=True)
    styles = ["android-uk", "ios-uk", "android-us", "ios-de", "android-uk"]
    files = []
    for i in range(EXPORTS):
        path = os.path.join(OUT, f"WhatsApp Chat with Search bench {i + 1}.txt")
        files.append((path, wa_export(N, path, styles[i % len(styles)], seed=439 + i)))
    archive = os.path.join(OUT, "archive-search")
    shutil.rmtree(archive, ignore_errors=True)
    env = env_for(archive)
    run([BIN, "init", archive], env=env)
    total, secs_all = 0, 0.0
    for path, _ in files:
        secs, rss, out = run([BIN, "ingest", "--json", path], env=env)
        n = json.loads(out)["n_records"]
        total += n; secs_all += secs
        print(f"  ingest {os.path.basename(path)}: {n:,} records in {secs:.2f} s ({n/secs:,.0f}/s), peak RSS {rss:.0f} MiB")
    print(f"full ingest incl. indexing: {total:,} records in {secs_all:.2f} s = {total/secs_all:,.0f} records/s (target >= 100,000)")
    print(f"index size on disk: {dir_size(os.path.join(archive, 'index'))/1e6:.1f} MB; catalogue {os.path.getsize(os.path.join(archive, 'catalogue.sqlite'))/1e6:.1f} MB; "
          f"exports {sum(os.path.getsize(p) for p, _ in files)/1e6:.1f} MB")

    print("engine latency (20 queries, 20 runs each, after one warm-up):")
    _, _, out = run([BIN, "bench-queries", os.path.join(ROOT, "bench", "queries.jsonl"), "--repeat", "20"], env=env)
    sys.stdout.write(out.decode())

    rg = shutil.which("rg")
    print("onrecord search (process start included) vs rg -c -i over the raw exports, median of 5 runs:")
    ratios = []
    for term in TERMS:
        o = []
        for _ in range(5):
            s, _, _ = run([BIN, "search", term, "--limit", "20"], env=env, check=False)
            o.append(s)
        line = f"  {term:<12} onrecord {statistics.median(o)*1000:7.1f} ms"
        if rg:
            r = []
            for _ in range(5):
                s, _, _ = run([rg, "-c", "-i", term] + [p for p, _ in files], check=False)
                r.append(s)
            ratios.append(statistics.median(r) / statistics.median(o))
            line += f"   rg {statistics.median(r)*1000:7.1f} ms   {ratios[-1]:5.1f}x"
        print(line)
    if ratios:
        print(f"onrecord search is {statistics.median(ratios):.1f}x faster than rg -c -i (median over {len(ratios)} terms; target >= 10x)")
    else:
        print("rg not found: install ripgrep (apt-get install ripgrep) for the comparison")


if __name__ == "__main__":
    sys.exit(main())
