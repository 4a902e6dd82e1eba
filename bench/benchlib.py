"""Helpers shared by the benchmark scripts: run a command and measure its wall time and peak memory."""
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
# $ONRECORD_BIN: a binary built already (another commit's, say, to compare); no build then.
BIN = os.environ.get("ONRECORD_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "onrecord")


def build():
    if os.environ.get("ONRECORD_BIN"):
        return
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "onrecord"], cwd=ROOT, check=True)


def run(cmd, env=None, stdout=subprocess.PIPE, check=True):
    """Runs cmd; returns (seconds, peak RSS in MiB, stdout bytes)."""
    secs, rss, out, _, _ = run_cpu(cmd, env=env, stdout=stdout, check=check)
    return secs, rss, out


def run_cpu(cmd, env=None, stdout=subprocess.PIPE, check=True):
    """Runs cmd; returns (seconds, peak RSS in MiB, stdout bytes, user CPU seconds, system CPU
    seconds). On a shared machine the wall time swings with the load; the CPU time much less."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    out = b""
    if stdout == subprocess.PIPE:
        out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if check and p.returncode not in (0,):
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{err.decode(errors='replace')}")
    return secs, ru.ru_maxrss / 1024.0, out, ru.ru_utime, ru.ru_stime


def wa_export(n, path, style="android-uk", seed=439):
    """Generates a WhatsApp export with the shared corpus generator (cached) and returns its summary."""
    summary = path + ".summary.json"
    if not (os.path.exists(path) and os.path.exists(summary)):
        out = subprocess.run([sys.executable, os.path.join(CORPUS, "wa_corpus.py"), str(n), path, "--style", style, "--seed", str(seed)],
                             check=True, capture_output=True).stdout
        with open(summary, "wb") as f:
            f.write(out)
    with open(summary) as f:
        return json.load(f)


def new_archive(path):
    """Makes an empty archive at path (removing what a previous run left there) and returns its env.

    Scripts remove their archives at the end with `remove_archives`, not here at the start: on
    ext4 without a journal, creating a file scans past every inode deleted in the last minute or
    so, and an archive holds thousands of tile files, so deleting one right before an ingest
    slowed the ingest's tile writing several times over. That is the file system's cost of the
    deletion, not onrecord's of the ingest."""
    shutil.rmtree(path, ignore_errors=True)
    env = env_for(path)
    run([BIN, "init", path], env=env)
    return env


def remove_archives(*paths):
    for p in paths:
        shutil.rmtree(p, ignore_errors=True)


def dir_size(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(d, f))
    return total


def env_for(archive):
    e = dict(os.environ)
    e["ONRECORD_ARCHIVE"] = archive
    e["ONRECORD_TZ"] = "Europe/London"
    return e
