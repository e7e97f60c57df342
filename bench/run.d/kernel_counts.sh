#!/usr/bin/env bash
# bench/run.sh hook: the kernel tier's counts per lookup (user-kernel
# crossings, filesystem read paths, device commands; kernel engine vs the
# pread baseline, per disk and depth) as results/kernel_counts.jsonl.  Under
# emulation these counts, not times, are the kernel path's numbers.  Run
# kernel/run-tier.sh first; its counts.txt is read from the build-kernel tree.
set -e
here=$(cd "$(dirname "$0")/../.." && pwd)
counts=${CHASE_VM_BUILD:-$here/build-kernel/vm}/counts.txt
[ -s "$counts" ] || { echo "no $counts: run kernel/run-tier.sh first" >&2; exit 1; }
python3 - "$counts" > "$RESULTS/kernel_counts.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    if not line.startswith("CHASE-COUNT"):
        continue
    kv = dict(f.split("=", 1) for f in line.split()[1:])
    cfg = {k: kv.pop(k) for k in ("engine", "disk", "depth")}
    cfg["depth"] = int(cfg["depth"])
    print(json.dumps({"bench": "kernel_counts", "config": cfg,
                      "metrics": {k: float(v) for k, v in kv.items()}}))
PY
