#!/usr/bin/env bash
# End to end: `loce run jobs/ci.toml` under mpirun -np 2 runs every stage for the four methods;
# its HDF5 outputs open with h5py and hold what the schemas promise; a second run skips
# everything; the figures script draws non-blank PNGs.
# Usage: e2e_test.sh LOCE_BINARY SOURCE_DIR MPIRUN...
set -euo pipefail
LOCE=$(realpath "$1"); SRC=$(realpath "$2"); shift 2
MPIRUN=("$@")
OUT=$(mktemp -d /tmp/loce_e2e.XXXXXX)
trap 'rm -rf "$OUT" "$OUT-moved"' EXIT

"${MPIRUN[@]}" -np 2 "$LOCE" run "$SRC/jobs/ci.toml" --out "$OUT"
test -f "$OUT/manifest.tsv"
test "$(grep -c $'\tdone\t' "$OUT/manifest.tsv")" -ge 22

/usr/bin/python3 - "$OUT" <<'PY'
import sys, h5py, json, os
out = sys.argv[1]
with h5py.File(f"{out}/data/cache-32x64.h5") as f:
    assert f["train/images"].shape[1:] == (3, 32, 64), f["train/images"].shape
    assert f["val/labels"].shape[0] == 8
for m in ["baseline", "barlow", "dae", "rpl"]:
    run = f"{out}/32x64/{m}-s0"
    with h5py.File(f"{run}/loce.h5") as f:
        v = f["loce/vectors"]
        assert v.ndim == 2 and v.shape[0] > 0, v.shape
        for k in ["concept", "image", "iou", "loss", "area"]:
            assert f["loce/" + k].shape == (v.shape[0],), k
        assert len(f["images/name"]) > 0
    with h5py.File(f"{run}/analysis.h5") as f:
        assert "analysis/gmm/means" in f
    ev = json.load(open(f"{run}/finetune/eval.json"))
    assert 0.0 <= ev["pixel_acc"] <= 1.0, ev
assert os.path.exists(f"{out}/32x64/report-s0/table1.md")
print("e2e outputs ok")
PY

# Nothing changed: the second run skips every step.
"$LOCE" run "$SRC/jobs/ci.toml" --out "$OUT" > "$OUT/second.log" 2>&1
grep -q " 0 step(s) run" "$OUT/second.log" || { cat "$OUT/second.log"; exit 1; }

# The same paths spelled otherwise (relative, "..", a trailing slash) are the same steps, and so
# is the run folder moved elsewhere (mv keeps modification times).
(cd "$SRC/jobs" && "$LOCE" run ../jobs/./ci.toml --out "$(realpath --relative-to=. "$OUT")/" \
  > "$OUT/spelled.log" 2>&1) || { cat "$OUT/spelled.log"; exit 1; }
grep -q " 0 step(s) run" "$OUT/spelled.log" || { cat "$OUT/spelled.log"; echo "another spelling re-ran steps"; exit 1; }
mv "$OUT" "$OUT-moved"
"$LOCE" run "$SRC/jobs/ci.toml" --out "$OUT-moved" > "$OUT-moved/moved.log" 2>&1 || true
mv "$OUT-moved" "$OUT"
grep -q " 0 step(s) run" "$OUT/moved.log" || { cat "$OUT/moved.log"; echo "a moved run folder re-ran steps"; exit 1; }

# --force trains again: the finished dae runs are moved aside and trained from step 0 (resuming
# their last checkpoint would keep the old model under a step that says it ran).
"$LOCE" run "$SRC/jobs/ci.toml" --out "$OUT" --only dae --from pretrain --until evaluate --force \
  > "$OUT/force.log" 2>&1 || { cat "$OUT/force.log"; exit 1; }
if grep -q "resuming" "$OUT/force.log"; then cat "$OUT/force.log"; echo "a finished run was resumed"; exit 1; fi
test "$(grep -c "training from step 0" "$OUT/force.log")" -eq 2 || { cat "$OUT/force.log"; exit 1; }
ls -d "$OUT"/32x64/dae-s0/pretrain.replaced-* "$OUT"/32x64/dae-s0/finetune.replaced-* > /dev/null
# The report reads the new eval.json: it is due again.
"$LOCE" run "$SRC/jobs/ci.toml" --out "$OUT" --dry-run | grep -q "\[todo\] report/" \
  || { echo "the report does not depend on eval.json"; exit 1; }

# SIGUSR2 outside a training loop (SLURM's warning before a time limit): the step in progress
# ends, the runner exits 75 for a requeue, and running again completes the job.
"$LOCE" run "$SRC/jobs/ci.toml" --out "$OUT/sig" --only baseline > "$OUT/sig1.log" 2>&1 &
pid=$!
for _ in $(seq 300); do [ -f "$OUT/sig/manifest.tsv" ] && break; sleep 0.1; done
kill -USR2 $pid
rc=0; wait $pid || rc=$?
[ "$rc" -eq 75 ] || { cat "$OUT/sig1.log"; echo "loce run ended with $rc after SIGUSR2, not 75"; exit 1; }
grep -q "exiting for requeue" "$OUT/sig1.log" || { cat "$OUT/sig1.log"; exit 1; }
"$LOCE" run "$SRC/jobs/ci.toml" --out "$OUT/sig" --only baseline > "$OUT/sig2.log" 2>&1 \
  || { cat "$OUT/sig2.log"; exit 1; }

# Global options given to `loce run` reach its steps, over their config (ci.toml says warn).
"$LOCE" --log-level info run "$SRC/jobs/ci.toml" --out "$OUT/sig" --only baseline --from analyze \
  --until analyze --force > "$OUT/globals.log" 2>&1 || { cat "$OUT/globals.log"; exit 1; }
grep -q "GMM: " "$OUT/globals.log" || { cat "$OUT/globals.log"; echo "--log-level did not reach the step"; exit 1; }

# A second job writing into the same folder at once is refused (the lock names the holder).
echo "$(hostname) 1" > "$OUT/.lock"
if "$LOCE" run "$SRC/jobs/ci.toml" --out "$OUT" > "$OUT/locked.log" 2>&1; then
  echo "a locked run folder was not refused"; exit 1
fi
grep -q "is in use by pid 1" "$OUT/locked.log" || { cat "$OUT/locked.log"; exit 1; }
rm -f "$OUT/.lock"

if [ -f "$SRC/tools/plot_results.py" ]; then
  /usr/bin/python3 "$SRC/tools/plot_results.py" "$OUT/32x64"/{baseline,barlow,dae,rpl}-s0 --out "$OUT/figures"
  n=$(find "$OUT/figures" -name '*.png' -size +2k | wc -l)
  test "$n" -ge 1 || { echo "no figures"; exit 1; }
fi
echo "e2e passed"
