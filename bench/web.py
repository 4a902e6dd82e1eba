"""The web application under load (issue 23), on loopback, bounded in time.

Builds a release binary, ingests EXPORTS generated WhatsApp exports of N messages each (the search
benchmark's inputs, cached under bench/out/), adds an account with an API token, starts `onrecord
serve` on a free port, then:

1. the page budget: the search page's server time (p50 of 50 requests, timed by the client on
   loopback) and its size, with and without its assets (CSS, JS and fonts are cached a day);
2. the load: SEARCHERS threads searching the API (the queries of bench/queries.jsonl, in turn)
   and one thread uploading fresh exports through the API, for DURATION seconds; every answer that
   is not 200 is an error. Prints the search latency p50 and p99 and the uploads done.

Environment: N (200000), EXPORTS (5), SEARCHERS (50), DURATION (120), UPLOAD_N (5000);
ONRECORD_BIN runs that binary instead of building the release one (a debug build's figures are
not the product's).
The client is Python threads with one keep-alive connection each: its own overhead is in the
figures (well under a millisecond a request on this machine)."""
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid

import benchlib
from benchlib import ROOT, build, new_archive, remove_archives, run, wa_export

OUT = os.path.join(ROOT, "bench", "out")
N = int(os.environ.get("N", "200000"))
EXPORTS = int(os.environ.get("EXPORTS", "5"))
SEARCHERS = int(os.environ.get("SEARCHERS", "50"))
DURATION = float(os.environ.get("DURATION", "120"))
UPLOAD_N = int(os.environ.get("UPLOAD_N", "5000"))


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def multipart(path):
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        data = f.read()
    name = os.path.basename(path)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n").encode() + data + \
        (f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"tz\"\r\n\r\nEurope/London\r\n--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


def main():
    if os.environ.get("ONRECORD_BIN"):
        benchlib.BIN = os.environ["ONRECORD_BIN"]
    else:
        build()
    BIN = benchlib.BIN
    os.makedirs(OUT, exist_ok=True)
    styles = ["android-uk", "ios-uk", "android-us", "ios-de", "android-uk"]
    files = []
    for i in range(EXPORTS):
        path = os.path.join(OUT, f"WhatsApp Chat with Search bench {i + 1}.txt")
        if N != 200000:
            path = os.path.join(OUT, f"WhatsApp Chat with Web bench {N} {i + 1}.txt")
        wa_export(N, path, styles[i % len(styles)], seed=439 + i)
        files.append(path)
    archive = os.path.join(OUT, "archive-web")
    env = new_archive(archive)
    secs, _, out = run([BIN, "ingest", "--json"] + files, env=env)
    total = sum(json.loads(line)["n_records"] for line in out.decode().splitlines())
    print(f"archive: {total:,} records ingested in {secs:.1f} s")
    pw = os.path.join(OUT, "web-bench-password")
    with open(pw, "w") as f:
        f.write("web bench password\n")
    run([BIN, "user", "add", "bench", "--role", "records-manager", "--password-file", pw], env=env)
    _, _, token = run([BIN, "user", "token", "bench"], env=env)
    token = token.decode().strip()
    auth = {"Authorization": f"Bearer {token}"}

    server_log = open(os.path.join(OUT, "web-server.log"), "wb")
    server = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0"], env=env,
                              stdout=subprocess.PIPE, stderr=server_log)
    try:
        line = server.stdout.readline().decode()
        host, port = line.rsplit("http://", 1)[1].strip().strip("/").split(":")
        port = int(port)

        # 1. The page budget.
        conn = http.client.HTTPConnection(host, port)
        times, size = [], 0
        for i in range(51):
            t = time.perf_counter()
            conn.request("GET", "/search?q=contract", headers={**auth, "Accept-Encoding": "gzip"})
            r = conn.getresponse()
            body = r.read()
            if i > 0:  # the first opens the index
                times.append(time.perf_counter() - t)
            size = len(body)
            assert r.status == 200, r.status
        assets = 0
        for a in ["/assets/govuk-frontend.min.css", "/assets/govuk-frontend.min.js", "/assets/app.js",
                  "/assets/app.css", "/assets/fonts/bold-b542beb274-v2.woff2", "/assets/fonts/light-94a07e06a1-v2.woff2"]:
            conn.request("GET", a, headers={"Accept-Encoding": "gzip"})
            r = conn.getresponse()
            assets += len(r.read())
        print(f"search page (GET /search?q=contract, 20 hits, facets): server time p50 {statistics.median(times)*1000:.1f} ms, "
              f"p99 {pct(times, 99)*1000:.1f} ms (target p50 < 100 ms); {size/1024:.1f} KiB, "
              f"{(size + assets)/1024:.1f} KiB with its assets on a first visit, gzip as browsers ask (target < 200 KB)")

        # 2. The load.
        queries = [json.loads(l)["text"] for l in open(os.path.join(ROOT, "bench", "queries.jsonl"))]
        from urllib.parse import quote
        lat, errors, lock = [], [], threading.Lock()
        stop = time.perf_counter() + DURATION

        def searcher(k):
            c = http.client.HTTPConnection(host, port, timeout=30)
            i = k
            mine, bad = [], []
            while time.perf_counter() < stop:
                q = queries[i % len(queries)]
                i += 1
                t = time.perf_counter()
                try:
                    c.request("GET", f"/api/v1/search?q={quote(q)}&limit=20", headers=auth)
                    r = c.getresponse()
                    r.read()
                    if r.status != 200:
                        bad.append(r.status)
                    else:
                        mine.append(time.perf_counter() - t)
                except Exception as e:  # noqa: BLE001 - every failure is an error here
                    bad.append(repr(e))
                    c = http.client.HTTPConnection(host, port, timeout=30)
            with lock:
                lat.extend(mine)
                errors.extend(bad)

        uploads, upload_times = [], []

        def uploader():
            c = http.client.HTTPConnection(host, port, timeout=600)
            n = 0
            while time.perf_counter() < stop:
                n += 1
                path = os.path.join(OUT, f"WhatsApp Chat with Web upload {n}.txt")
                wa_export(UPLOAD_N, path, "android-uk", seed=9000 + n)
                body, ctype = multipart(path)
                t = time.perf_counter()
                c.request("POST", "/api/v1/deposits", body=body, headers={**auth, "Content-Type": ctype})
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    with lock:
                        errors.append(f"upload {r.status}")
                else:
                    uploads.append(n)
                    upload_times.append(time.perf_counter() - t)

        threads = [threading.Thread(target=searcher, args=(k,)) for k in range(SEARCHERS)]
        threads.append(threading.Thread(target=uploader))
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        print(f"load: {SEARCHERS} searchers and one uploader for {wall:.0f} s: {len(lat):,} searches "
              f"({len(lat)/wall:,.0f}/s), search p50 {pct(lat, 50)*1000:.1f} ms, p99 {pct(lat, 99)*1000:.1f} ms "
              f"(target p99 < 200 ms); {len(uploads)} uploads of {UPLOAD_N:,} messages "
              f"(median {statistics.median(upload_times) if upload_times else float('nan'):.1f} s each); "
              f"errors: {len(errors)}{' ' + str(errors[:5]) if errors else ''}")
    finally:
        server.terminate()
        server.wait()
        server_log.close()
        remove_archives(archive)
    if errors:
        print(f"the server's log: {os.path.join(OUT, 'web-server.log')}")
        sys.exit(1)


if __name__ == "__main__":
    main()
