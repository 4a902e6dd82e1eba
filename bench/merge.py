"""Merging two exports of one group (issue 21): the same 200,000-message group as an Android
phone and an iPhone export it (`wa_corpus.py` at one seed in the `android-uk` and `ios-uk`
styles), each ingested (`--no-classify --defer-index`), then timed: `merge --suggest` (finding
the pair by content), `merge A B` (the entry), `findings` (the alignment of both and every
finding) and `show A --json` (the merged transcript, each message once with its holders).
Target: merging under 2 s beyond the ingest. Then the same two with the automatic merge at
ingest, for what it adds to the second ingest.

Usage: bench/merge.sh  (N=200000 RUNS=3)"""
import json
import os
import resource

from benchlib import BIN, ROOT, build, new_archive, remove_archives, run, wa_export

N = int(os.environ.get("N", "200000"))
RUNS = int(os.environ.get("RUNS", "3"))
OUT = os.path.join(ROOT, "bench", "out")


def user_s():
    """CPU time (user) of the children waited for so far: the machine is shared, so wall times
    vary with the load and user time is the steadier figure."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime


def main():
    build()
    os.makedirs(OUT, exist_ok=True)
    files = []
    for style in ["android-uk", "ios-uk"]:
        # One group's name on both phones: each export in a folder of its own.
        d = os.path.join(OUT, f"merge-{style}")
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, "WhatsApp Chat with Cabinet Strategy.txt")
        wa_export(N, p, style=style, seed=439)
        files.append(p)
    archive = os.path.join(OUT, "archive-merge")
    rows = []
    for i in range(RUNS):
        env = new_archive(archive)
        ingest = 0.0
        for p, who in zip(files, ["Minister's Office", "Special Adviser"]):
            secs, _, _ = run([BIN, "ingest", "--json", "--no-classify", "--defer-index", "--no-merge",
                              "--depositor", who, p], env=env)
            ingest += secs
        _, _, out = run([BIN, "show", "--list", "--json"], env=env)
        ids = [json.loads(l)["id"] for l in out.splitlines()]
        assert len(ids) == 2, ids
        u0 = user_s()
        t_suggest, _, out = run([BIN, "merge", "--suggest", "--json"], env=env)
        u1 = user_s()
        groups = json.loads(out)
        assert len(groups) == 1, groups
        t_merge, _, _ = run([BIN, "merge", ids[0], ids[1], "--reason", "one group, two phones"], env=env)
        u2 = user_s()
        t_findings, rss, out = run([BIN, "findings", "--json"], env=env)
        u3 = user_s()
        n_findings = len(out.splitlines())
        t_show, _, out = run([BIN, "show", ids[0], "--json"], env=env)
        u4 = user_s()
        n_shown = len(out.splitlines())
        total = t_suggest + t_merge + t_findings
        print(f"  run {i + 1}: ingest {ingest:6.2f} s | merge --suggest {t_suggest:5.2f} s, merge {t_merge:5.2f} s, "
              f"findings {t_findings:5.2f} s ({n_findings} findings, peak RSS {rss:.0f} MiB) = {total:5.2f} s | "
              f"show merged {t_show:5.2f} s ({n_shown:,} messages)")
        print(f"         user CPU: merge --suggest {u1 - u0:5.2f} s, merge {u2 - u1:5.2f} s, findings {u3 - u2:5.2f} s "
              f"= {u3 - u0:5.2f} s | show merged {u4 - u3:5.2f} s")
        rows.append(total)
        # The same two exports with the automatic merge at ingest: what the second ingest costs
        # more than without it.
        env = new_archive(archive)
        auto = []
        for p, who in zip(files, ["Minister's Office", "Special Adviser"]):
            secs, _, out = run([BIN, "ingest", "--json", "--no-classify", "--defer-index",
                                "--depositor", who, p], env=env)
            auto.append((secs, json.loads(out).get("merged", [])))
        assert len(auto[1][1]) == 1, auto[1][1]
        print(f"         automatic: second ingest {auto[1][0]:6.2f} s, merged at ingest with confidence "
              f"{auto[1][1][0]['confidence']} ({auto[1][1][0]['shared']:,} in common)")
    remove_archives(archive)
    rows.sort()
    print(f"  => suggest + merge + findings, best {rows[0]:.2f} s, median {rows[len(rows) // 2]:.2f} s "
          f"(target < 2 s beyond the ingest)")


if __name__ == "__main__":
    main()
