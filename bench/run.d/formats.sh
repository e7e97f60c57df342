#!/usr/bin/env bash
# bench/run.sh hook: LMDB and cdb through liblmdb/libcdb and chasefs's
# engines (bench_formats, see bpf/FORMATS.md); writes results/formats.jsonl.
set -e
bin=$BUILD/bench/bench_formats
[ -x "$bin" ] || { echo "bench_formats not built in $BUILD" >&2; exit 1; }
# Two sessions, one per core: the shape the daemon has.
exec "$bin" --data "$DATA/formats" --seconds "$SECONDS_PER_RUN" --runs "${REPS:-3}" --threads 2 \
    --out "$RESULTS/formats.jsonl"
