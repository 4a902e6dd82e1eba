"""PostgreSQL + S3 against the embedded default (issue 19), in one run, both servers on this
machine (.ci/services.sh: PostgreSQL 15, s3s-fs):

1. WhatsApp ingest of one N-message export (wa_corpus.py, seed 439; N=200,000) into a fresh
   archive, embedded vs PostgreSQL + S3 (target: within 3x).
2. Four `onrecord ingest` processes at once, each its own N/4-message export, on one PostgreSQL +
   S3 archive (four attached folders), against one process ingesting one such export (target:
   >= 1.5x the throughput).
3. `onrecord search` latency (process start included, median of RUNS per query) on the archive of
   step 1, embedded vs PostgreSQL-backed (target: within 20%); then (3b) the same queries through
   a running `onrecord serve` on each, as people and scripts meet it.
4. Bytes per message on each backend: catalogue (SQLite file; PostgreSQL database size), blobs and
   tiles (store/ folder; the bucket's folder under s3s-fs), object count.

Both ingests use --no-classify --defer-index (stored, logged, checkpointed); the index is built by
the first search, timed apart."""
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import quote

from benchlib import ROOT, dir_size, remove_archives, run, wa_export

N = int(os.environ.get("N", "200000"))
RUNS = int(os.environ.get("RUNS", "7"))
OUT = os.path.join(ROOT, "bench", "out")
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "onrecord")
PG = os.environ["ONRECORD_TEST_PG_URL"].rstrip("/") + "/"
BUCKET = os.environ["ONRECORD_TEST_S3_BUCKET"]
S3_DIR = os.path.join(os.environ.get("ONRECORD_SERVICES_DIR", "/tmp/onrecord-services"), "s3", BUCKET)
QUERIES = ["contract", "procurement decision", "\"legal advice\"", "minister", "budget -lunch", "supplier*"]
FLAGS = ["--no-classify", "--defer-index", "--json"]


def env_for(archive, **extra):
    e = dict(os.environ)
    e["ONRECORD_ARCHIVE"] = archive
    e["ONRECORD_TZ"] = "Europe/London"
    e.update(extra)
    return e


def init(archive, shared=None):
    subprocess.run(["rm", "-rf", archive], check=True)
    args = [BIN, "init", archive]
    if shared:
        args += ["--catalogue", PG + shared, "--blobs", f"s3://{BUCKET}/{shared}"]
    run(args, env=env_for(archive))
    return env_for(archive)


def ingest(env, path):
    secs, rss, out = run([BIN, "ingest", *FLAGS, path], env=env)
    return secs, json.loads(out)["n_records"]


def psql(sql):
    return subprocess.run(["psql", PG + "postgres", "-Atc", sql], check=True, capture_output=True, text=True).stdout.strip()


def search_latency(env):
    run([BIN, "search", "--limit", "1", "contract"], env=env)  # builds the index, timed apart
    per_query = []
    for q in QUERIES:
        times = []
        for _ in range(RUNS):
            secs, _, _ = run([BIN, "search", "--limit", "20", *q.split(" ")], env=env, check=False)
            times.append(secs)
        per_query.append(statistics.median(times))
    return statistics.median(per_query), per_query


SERVER_RUNS = int(os.environ.get("SERVER_RUNS", "21"))


def server_latency(env, archive):
    """Search latency through `onrecord serve` on the archive: what a person or a script waits
    for once the server is up (every search still audited: on PostgreSQL + S3 its audit append
    is an advisory lock, a GET and two PUTs)."""
    pw = os.path.join(archive, "bench-password")
    with open(pw, "w") as f:
        f.write("pg s3 bench password\n")
    run([BIN, "user", "add", "bench", "--role", "records-manager", "--password-file", pw], env=env)
    _, _, token = run([BIN, "user", "token", "bench"], env=env)
    auth = {"Authorization": f"Bearer {token.decode().strip()}"}
    server = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = server.stdout.readline().decode()
        host, port = line.rsplit("http://", 1)[1].strip().strip("/").split(":")
        conn = http.client.HTTPConnection(host, int(port))

        def get(q):
            conn.request("GET", f"/api/v1/search?q={quote(q)}&limit=20", headers=auth)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                raise SystemExit(f"search {q!r}: HTTP {r.status}")

        for q in QUERIES:  # warm: the index opened, the first audit append made
            get(q)
        per_query = []
        for q in QUERIES:
            times = []
            for _ in range(SERVER_RUNS):
                t = time.perf_counter()
                get(q)
                times.append(time.perf_counter() - t)
            per_query.append(statistics.median(times))
        return statistics.median(per_query), per_query
    finally:
        server.terminate()
        server.wait()


def main():
    if not os.environ.get("NO_BUILD"):
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "onrecord"], cwd=ROOT, check=True)
    os.makedirs(OUT, exist_ok=True)
    stamp = str(int(time.time()))
    big = os.path.join(OUT, "WhatsApp Chat with Bench android-uk.txt" if N == 200000
                       else f"WhatsApp Chat with Bench {N} android-uk.txt")
    wa_export(N, big, "android-uk")
    quarters = []
    for i in range(4):
        p = os.path.join(OUT, f"WhatsApp Chat with PG quarter {i}.txt" if N == 200000
                         else f"WhatsApp Chat with PG {N} quarter {i}.txt")
        wa_export(N // 4, p, ["android-uk", "ios-uk", "android-us", "ios-de"][i], seed=500 + i)
        quarters.append(p)

    print(f"1. ingest of one {N:,}-message WhatsApp export (--no-classify --defer-index)")
    emb = os.path.join(OUT, "archive-embedded")
    e_env = init(emb)
    e_secs, n = ingest(e_env, big)
    print(f"   embedded (SQLite + local folder): {e_secs:7.2f} s  {n / e_secs:>9,.0f} records/s")
    shared = f"bench{stamp}"
    pg = os.path.join(OUT, "archive-pg-s3")
    p_env = init(pg, shared)
    before = psql("SELECT sum(xact_commit) FROM pg_stat_database")
    p_secs, n2 = ingest(p_env, big)
    assert n2 == n
    ratio = p_secs / e_secs
    print(f"   PostgreSQL + S3:                  {p_secs:7.2f} s  {n / p_secs:>9,.0f} records/s  = {ratio:.2f}x the embedded time (target <= 3x: {'met' if ratio <= 3 else 'NOT met'})")

    print("4. bytes per message")
    cat_e = sum(os.path.getsize(os.path.join(emb, f)) for f in os.listdir(emb) if f.startswith("catalogue.sqlite"))
    store_e = dir_size(os.path.join(emb, "store"))
    db_bytes = int(psql(f"SELECT pg_database_size('{shared}')"))
    s3_bytes = dir_size(os.path.join(S3_DIR, shared)) if os.path.isdir(S3_DIR) else 0
    objects = sum(len(fs) for _, _, fs in os.walk(os.path.join(S3_DIR, shared))) if os.path.isdir(S3_DIR) else 0
    print(f"   embedded: catalogue {cat_e / n:6.0f} B/message, store {store_e / n:6.0f} B/message")
    print(f"   PG + S3:  catalogue {db_bytes / n:6.0f} B/message (database size), bucket {s3_bytes / n:6.0f} B/message, {objects:,} objects = {objects / n * 1000:.1f} per 1,000 messages")

    print(f"3. search latency (median over {len(QUERIES)} queries of the median of {RUNS} runs, process start included)")
    e_lat, e_per = search_latency(e_env)
    p_lat, p_per = search_latency(p_env)
    d = p_lat / e_lat - 1
    print(f"   embedded:        {e_lat * 1000:6.1f} ms  ({', '.join(f'{t * 1000:.0f}' for t in e_per)})")
    print(f"   PostgreSQL + S3: {p_lat * 1000:6.1f} ms  ({', '.join(f'{t * 1000:.0f}' for t in p_per)})  = {d * 100:+.0f}% (target within 20%: {'met' if abs(d) <= 0.2 else 'NOT met'}; archive of {n:,} messages)")
    print(f"3b. search latency in a running server (`onrecord serve`, GET /api/v1/search?limit=20 on a kept-alive connection; median over {len(QUERIES)} queries of the median of {SERVER_RUNS} requests)")
    e_srv, e_sper = server_latency(e_env, emb)
    p_srv, p_sper = server_latency(p_env, pg)
    d = p_srv / e_srv - 1
    print(f"   embedded:        {e_srv * 1000:6.2f} ms  ({', '.join(f'{t * 1000:.1f}' for t in e_sper)})")
    print(f"   PostgreSQL + S3: {p_srv * 1000:6.2f} ms  ({', '.join(f'{t * 1000:.1f}' for t in p_sper)})  = {d * 100:+.0f}% (target within 20%: {'met' if abs(d) <= 0.2 else 'NOT met'}; archive of {n:,} messages)")

    fresh = os.path.join(OUT, "archive-pg-fresh")
    subprocess.run(["rm", "-rf", fresh], check=True)
    run([BIN, "init", fresh, "--attach", "--catalogue", PG + shared, "--blobs", f"s3://{BUCKET}/{shared}"], env=env_for(fresh))
    f_env = env_for(fresh, ONRECORD_AUDIT_KEY_FILE=os.path.join(pg, "keys", "audit.key"))
    secs, _, _ = run([BIN, "search", "--limit", "1", "contract"], env=f_env)
    idx = dir_size(os.path.join(fresh, "index"))
    print(f"   a fresh server's first search builds its index from the PostgreSQL catalogue: {secs:.2f} s for {n:,} messages = {secs * 1e6 / n:.1f} s per million; index {idx / n:.0f} B/message")
    remove_archives(fresh)

    print(f"2. four ingest processes at once on one PostgreSQL + S3 archive, {N // 4:,} messages each")
    one = os.path.join(OUT, "archive-pg-one")
    o_env = init(one, shared + "one")
    o_secs, o_n = ingest(o_env, quarters[0])
    print(f"   one process:    {o_secs:7.2f} s  {o_n / o_secs:>9,.0f} records/s")
    par = os.path.join(OUT, "archive-pg-par")
    par_env = init(par, shared + "par")
    key = os.path.join(par, "keys", "log.key")
    dirs = [par]
    for i in range(1, 4):
        d = os.path.join(OUT, f"archive-pg-par-{i}")
        subprocess.run(["rm", "-rf", d], check=True)
        run([BIN, "init", d, "--attach", "--catalogue", PG + shared + "par", "--blobs", f"s3://{BUCKET}/{shared}par"], env=env_for(d))
        dirs.append(d)
    t = time.perf_counter()
    procs = [subprocess.Popen([BIN, "ingest", *FLAGS, q], env=env_for(d, ONRECORD_KEY_FILE=key),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for d, q in zip(dirs, quarters)]
    total = 0
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, err.decode()
        total += json.loads(out)["n_records"]
    w = time.perf_counter() - t
    speedup = (total / w) / (o_n / o_secs)
    print(f"   four processes: {w:7.2f} s  {total / w:>9,.0f} records/s  = {speedup:.2f}x one process (target >= 1.5x: {'met' if speedup >= 1.5 else 'NOT met'})")
    secs, _, out = run([BIN, "verify", "--json"], env=par_env)
    v = json.loads(out)
    assert not v["problems"], v["problems"]
    print(f"   verify after: {v['checkpoints_checked']} checkpoints, {v['records_checked']:,} records, no problem ({secs:.1f} s)")
    remove_archives(emb, pg, one, *dirs)
    for db in [shared, shared + "one", shared + "par"]:
        psql(f'DROP DATABASE IF EXISTS "{db}"')
    if os.path.isdir(S3_DIR):
        for s in [shared, shared + "one", shared + "par"]:
            subprocess.run(["rm", "-rf", os.path.join(S3_DIR, s)], check=True)


if __name__ == "__main__":
    sys.exit(main())
