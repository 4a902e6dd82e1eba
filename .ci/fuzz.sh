#!/usr/bin/env bash
# CI fuzzing: builds every fuzz target in fuzz/ once, runs each for FUZZ_SECONDS, and fails if any
# finds a crash, a timeout, a leak or an allocation over the memory limit, printing the input that
# did it and what to do next (docs/fuzzing.md). Called from .ci/run; runs on its own too.
#
#   FUZZ_SECONDS=60 .ci/fuzz.sh              # longer runs
#   FUZZ_TARGETS="email archive" .ci/fuzz.sh # some targets only
#
# Corpora grow in fuzz/corpus/<target>/ (not committed): each run starts from the seeds each
# target writes from the repository's test data (and ../shared/samples when present), the
# committed seeds in fuzz/seeds/<target>/ (past crashes among them), and whatever earlier runs on
# this machine found. Findings go to fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# Each target also spends a few seconds loading its seeds (about 8 s on a busy 2-core machine), so
# 12 s x 22 targets is about 7 minutes after the build. The build from nothing is the other big
# part: every dependency (tantivy and SQLite among them) under AddressSanitizer, one codegen unit
# each (cargo-fuzz's default).
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
# CI builds without a sanitizer (FUZZ_SANITIZER=address for the deeper local run): the
# AddressSanitizer build of every dependency took ten of CI's 45 minutes, which the PostgreSQL,
# S3 and browser tests now need. What the sanitizer adds is checks on C code (SQLite, zstd),
# which their own projects fuzz continuously under it; the Rust parsers are memory-safe, and every
# panic, timeout and allocation over the limit still fails the run.
FUZZ_SANITIZER=${FUZZ_SANITIZER:-none}
CARGO_FUZZ_VERSION=0.13.2
export CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0
# cargo-fuzz needs nightly-only flags (-Zsanitizer, -Cpasses=sancov-module); the stable
# toolchain accepts them with RUSTC_BOOTSTRAP=1.
export RUSTC_BOOTSTRAP=1
started=$(date +%s)

if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
    # 0.13.2 builds with Rust 1.95 from its own lock file.
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# fuzz/Cargo.lock is committed: refuse to build with other versions than it names.
cargo fetch --locked --manifest-path fuzz/Cargo.toml
# Optimised, with debug assertions and overflow checks, with or without AddressSanitizer.
cargo fuzz build --sanitizer "$FUZZ_SANITIZER"
build_done=$(date +%s)
echo "fuzz: built in $((build_done - started)) s"

bin_dir=fuzz/target/x86_64-unknown-linux-gnu/release
targets=${FUZZ_TARGETS:-$(cargo fuzz list)}
# Targets run in a scratch folder of their own: whatever an input makes a parser write lands
# there, never in the repository.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()

for t in $targets; do
    corpus=$root/fuzz/corpus/$t
    artifacts=$root/fuzz/artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    if [ -d "fuzz/seeds/$t" ]; then
        cp -f fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
    fi
    log=$scratch/$t.log
    before=$(ls "$artifacts" | sort)
    set +e
    (cd "$scratch" && ONRECORD_FUZZ_SEEDS=$corpus "$root/$bin_dir/$t" \
        -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus") >"$log" 2>&1
    status=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "fuzz: $t: exit $status, ${runs:-?} runs in ${FUZZ_SECONDS} s, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) inputs"
    if [ "$status" -ne 0 ]; then
        failed+=("$t")
        echo "---- fuzz: $t FAILED; libFuzzer's report:"
        grep -v -e '^#[0-9]' -e '^INFO:' "$log" | tail -60 || true
        found=$(comm -13 <(echo "$before") <(ls "$artifacts" | sort))
        for a in $found; do
            file=fuzz/artifacts/$t/$a
            echo "---- input: $file ($(wc -c <"$file") bytes), base64:"
            head -c 4096 "$file" | base64 -w 100
        done
        cat <<EOF
---- what to do (docs/fuzzing.md):
  reproduce:  RUSTC_BOOTSTRAP=1 cargo fuzz run $t ${found:+fuzz/artifacts/$t/$(echo "$found" | head -1)}
  minimise:   RUSTC_BOOTSTRAP=1 cargo fuzz tmin $t <that file>
  then fix the parser, add a regression test in its crate that feeds the minimised bytes (built
  in the test, or under the crate's testdata/ when it is our own hand-made input), and copy the
  minimised input to fuzz/seeds/$t/ so every fuzz run replays it first.
EOF
    fi
done

echo "fuzz: whole script $(( $(date +%s) - started )) s (build $((build_done - started)) s, ${FUZZ_SECONDS} s per target)"
if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzz: no crash in $(echo $targets | wc -w) targets"
