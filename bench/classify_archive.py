"""Classification over an archive: `onrecord classify` over N records already in the archive
(ingested with --no-classify), and ingest with classification on against ingest with it off, in
one run. Both ingests defer indexing, so the comparison is of what classification adds to
storing, logging and checkpointing.

Targets (issue 22): classification of a 1M-message archive at >= 100,000 messages/s; ingest with
classification on at >= 80% of its speed without it.

usage: python3 bench/classify_archive.py   (N=1000000 by default: four exports of N/4 messages;
RUNS=3 fresh runs by default)"""
import json
import os
import statistics

from benchlib import BIN, ROOT, build, new_archive, remove_archives, run_cpu, wa_export

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
        secs_total, user_total, n = 0.0, 0.0, 0
        for path in files:
            secs, rss, out, user, _ = run_cpu([BIN, "ingest", "--json", "--defer-index", *flags, path], env=env)
            n += json.loads(out)["n_records"]
            secs_total += secs
            user_total += user
        return env, n, secs_total, user_total

    # Wall times on a shared 2-core machine swing between runs: RUNS fresh pairs of archives,
    # every run printed, then the best and the median of each figure.
    runs = int(os.environ.get("RUNS", "3"))
    rates, ratios = [], []
    off = os.path.join(OUT, "archive-classify-off")
    on = os.path.join(OUT, "archive-classify-on")
    for i in range(runs):
        print(f"run {i + 1} of {runs}")
        env, n, t_off, u_off = ingest_all(off, ["--no-classify"])
        print(f"  ingest --no-classify: {n:,} records in {t_off:.2f} s: {n / t_off:,.0f} records/s "
              f"(user CPU {u_off:.2f} s)")
        secs, rss, out, user, _ = run_cpu([BIN, "classify", "--json"], env=env)
        o = json.loads(out)
        assert o["labelled"] == n, (o["labelled"], n)
        rates.append(n / secs)
        print(f"  onrecord classify over the archive: {n:,} records in {secs:.2f} s: "
              f"{n / secs:,.0f} records/s, user CPU {user:.2f} s, peak RSS {rss:.0f} MiB "
              f"({o['significant']:,} significant, {o['uncertain']:,} uncertain)")
        _, n2, t_on, u_on = ingest_all(on, [])
        assert n2 == n
        ratios.append(t_off / t_on)
        print(f"  ingest (classification on): {n:,} records in {t_on:.2f} s: {n / t_on:,.0f} records/s "
              f"= {100 * t_off / t_on:.0f}% of the speed without it (user CPU {u_on:.2f} s, "
              f"{u_on - u_off:+.2f} s against without)")
    print(f"=> classify: best {max(rates):,.0f} records/s, median {statistics.median(rates):,.0f} "
          f"(target >= 100,000)")
    print(f"=> ingest with classification: best {100 * max(ratios):.0f}%, median "
          f"{100 * statistics.median(ratios):.0f}% of the speed without it (target >= 80%)")
    remove_archives(off, on)


if __name__ == "__main__":
    main()
