"""Classification over an archive: `onrecord classify` over N records already in the archive
(ingested with --no-classify), and ingest with classification on against ingest with it off, in
one run. Both ingests defer indexing, so the comparison is of what classification adds to
storing, logging and checkpointing.

Targets (issue 22): classification of a 1M-message archive at >= 100,000 messages/s; ingest with
classification on at >= 80% of its speed without it.

usage: python3 bench/classify_archive.py   (N=1000000 by default: four exports of N/4 messages)"""
import json
import os

from benchlib import BIN, ROOT, build, new_archive, remove_archives, run, wa_export

N = int(os.environ.get("N", "1000000"))
OUT = os.path.join(ROOT, "bench", "out")


def main():
    build()
    os.makedirs(OUT, exist_ok=True)
    files = []
    for style in ["android-uk", "ios-uk", "android-us", "ios-de"]:
        path = os.path.join(OUT, f"WhatsApp Chat with Classify {style}.txt")
        wa_export(N // 4, path, style, seed=11)
        files.append(path)

    def ingest_all(archive, flags):
        env = new_archive(archive)
        secs_total, n = 0.0, 0
        for path in files:
            secs, rss, out = run([BIN, "ingest", "--json", "--defer-index", *flags, path], env=env)
            n += json.loads(out)["n_records"]
            secs_total += secs
        return env, n, secs_total

    off = os.path.join(OUT, "archive-classify-off")
    on = os.path.join(OUT, "archive-classify-on")
    env, n, t_off = ingest_all(off, ["--no-classify"])
    print(f"ingest --no-classify: {n:,} records in {t_off:.2f} s: {n / t_off:,.0f} records/s")
    secs, rss, out = run([BIN, "classify", "--json"], env=env)
    o = json.loads(out)
    assert o["labelled"] == n, (o["labelled"], n)
    print(f"onrecord classify over the archive: {n:,} records in {secs:.2f} s: "
          f"{n / secs:,.0f} records/s, peak RSS {rss:.0f} MiB "
          f"({o['significant']:,} significant, {o['uncertain']:,} uncertain; target >= 100,000/s)")
    _, n2, t_on = ingest_all(on, [])
    assert n2 == n
    print(f"ingest (classification on): {n:,} records in {t_on:.2f} s: {n / t_on:,.0f} records/s "
          f"= {100 * t_off / t_on:.0f}% of the speed without it (target >= 80%)")
    remove_archives(off, on)


if __name__ == "__main__":
    main()
