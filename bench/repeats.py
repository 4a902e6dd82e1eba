"""Repeated-content benchmark (issue 17): ingest of N identical WhatsApp lines (`ok` from one
person in one minute, each a record of its own) against N distinct lines of the same size, each
into a fresh archive, `--defer-index`, in one run. Target: identical at most 2x distinct (before
the fix the writer walked every earlier occurrence for each repeat: quadratic).

Usage: bench/repeats.sh  (N=300000 RUNS=3)"""
import json
import os

from benchlib import BIN, ROOT, build, new_archive, remove_archives, run

N = int(os.environ.get("N", "300000"))
RUNS = int(os.environ.get("RUNS", "3"))
OUT = os.path.join(ROOT, "bench", "out")


def export(path, identical):
    with open(path, "w") as f:
        for i in range(N):
            tail = "0000000" if identical else f"{i:07d}"
            f.write(f"01/03/2021, 09:00 - Tom: ok {tail}\n")


def main():
    build()
    os.makedirs(OUT, exist_ok=True)
    files = {}
    for kind in ["distinct", "identical"]:
        p = os.path.join(OUT, f"WhatsApp Chat with Repeats {kind}.txt")
        export(p, kind == "identical")
        files[kind] = p
    assert os.path.getsize(files["distinct"]) == os.path.getsize(files["identical"])
    best = {}
    archive = os.path.join(OUT, "archive-repeats")
    for i in range(RUNS):
        for kind, path in files.items():
            env = new_archive(archive)
            secs, rss, out = run([BIN, "ingest", "--json", "--defer-index", path], env=env)
            r = json.loads(out)
            assert r["n_records"] == N and r["n_new"] == N, r
            print(f"  run {i + 1} {kind:<9} {N:,} lines  {secs:6.2f} s  {N / secs:>10,.0f} records/s  peak RSS {rss:6.1f} MiB")
            best[kind] = min(best.get(kind, secs), secs)
    remove_archives(archive)
    ratio = best["identical"] / best["distinct"]
    print(f"  => best of {RUNS}: identical {best['identical']:.2f} s, distinct {best['distinct']:.2f} s: "
          f"{ratio:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
