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

from benchlib import BIN, ROOT, build, dir_size, new_archive, remove_archives, run, wa_export

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
    # One command for the five exports, as a records officer captures a batch: each deposit is
    # committed on its own, then the command indexes them all in one pass. Wall times on a shared
    # 2-core machine swing by a quarter, so the load runs RUNS times into fresh archives (the best
    # is the figure, the median is printed too); the last archive serves the queries.
    runs = int(os.environ.get("RUNS", "3"))
    rates, earlier = [], []
    for i in range(runs):
        archive = os.path.join(OUT, f"archive-search-{i + 1}")
        env = new_archive(archive)
        secs_all, rss, out = run([BIN, "ingest", "--json"] + [p for p, _ in files], env=env)
        total = sum(json.loads(line)["n_records"] for line in out.decode().splitlines())
        rates.append(total / secs_all)
        print(f"  run {i + 1}: {total:,} records in {secs_all:.2f} s = {total/secs_all:,.0f} records/s, peak RSS {rss:.0f} MiB")
        if i + 1 < runs:
            earlier.append(archive)
    print(f"full ingest incl. indexing (`onrecord ingest` of the {len(files)} exports, one command): "
          f"best of {runs} runs {max(rates):,.0f} records/s, median {statistics.median(rates):,.0f} (target >= 100,000)")
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
    remove_archives(archive, *earlier)


if __name__ == "__main__":
    sys.exit(main())
