#!/usr/bin/env bash
# bench/run.sh hook: the filesystem face (bench_fs through a real mount),
# on the same data directory and build; writes results/fs.jsonl.
exec "$(dirname "$0")/../run_fs.sh" --data "$DATA" --build "$BUILD" --reps "$REPS"
