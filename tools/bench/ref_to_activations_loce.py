#!/usr/bin/env python3
"""Bridges shared/bench/ref_loce_bench.py and `loce embed --from-activations`.

  ref_to_activations_loce.py convert REF_OUT.h5 ACTS.h5   # harness output -> --from-activations input
  ref_to_activations_loce.py compare REF_OUT.h5 LOCE.h5   # the reference's vectors vs ours

compare prints the relative L2 error per vector (median, 99th percentile, max), the share of
vectors below 1e-3 and the sign agreement, and exits non-zero when fewer than 99% are below 1e-3.
Needs numpy and h5py only."""
import sys

import h5py
import numpy as np


def convert(ref, out):
    with h5py.File(ref, "r") as f, h5py.File(out, "w") as g:
        if "acts" not in f:
            sys.exit(f"{ref}: no 'acts' dataset (run the harness without --no-save-acts)")
        g.create_dataset("activations", data=f["acts"][()].astype(np.float32))
        g.create_dataset("masks", data=f["masks"][()].astype(np.uint8))
        g.attrs["layer"] = "ref_loce_bench"
        g.attrs["method"] = "synthetic"
        g.attrs["model_run"] = ref


def compare(ref, ours):
    with h5py.File(ref, "r") as f, h5py.File(ours, "r") as g:
        a = f["loce"][()].astype(np.float64)
        b = g["loce/vectors"][()].astype(np.float64)
        image = g["loce/image"][()]
    if len(image) != len(a):
        print(f"note: {len(a) - len(image)} pair(s) skipped by loce; comparing the rest")
        a = a[image]
    rel = np.linalg.norm(b - a, axis=1) / np.maximum(np.linalg.norm(a, axis=1), 1e-30)
    signs = np.mean(np.sign(a) == np.sign(b))
    good = np.mean(rel < 1e-3)
    print(f"COMPARE n={len(a)} rel_l2 median={np.median(rel):.2e} p99={np.percentile(rel, 99):.2e} "
          f"max={rel.max():.2e} below_1e-3={100 * good:.1f}% sign_agreement={100 * signs:.3f}%")
    return 0 if good >= 0.99 else 1


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("convert", "compare"):
        sys.exit(__doc__)
    sys.exit(convert(*sys.argv[2:]) if sys.argv[1] == "convert" else compare(*sys.argv[2:]))
