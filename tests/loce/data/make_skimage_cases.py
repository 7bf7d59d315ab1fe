#!/usr/bin/python3
"""Writes skimage_resize_cases.h5: expected outputs of scikit-image's transform.resize (defaults:
order 1, mode 'reflect', anti-aliasing when shrinking, clip) for the mask-resize unit test.
Run offline with Debian's python3-skimage; the tests read only the committed HDF5 file.
Each case /case_<i> holds `input` float64 [H, W] and `expected` float64 [h, w]."""
import sys
import h5py
import numpy as np
import skimage
from skimage.transform import resize

CASES = [  # (input shape, output shape, kind)
    ((128, 256), (100, 100), "binary"),   # the paper's label resolution -> reference grid
    ((64, 300), (100, 100), "binary"),    # one axis grows, one shrinks
    ((37, 23), (10, 7), "binary"),        # odd factors
    ((7, 9), (1, 2), "binary"),           # Gaussian support wider than the input (mirror wraps)
    ((8, 16), (100, 100), "binary"),      # pure enlargement (no pre-filter)
    ((50, 60), (20, 100), "soft"),        # soft mask in [0.2, 0.7]: clipping to the input range
]

def main(out):
    rng = np.random.default_rng(5)
    with h5py.File(out, "w") as f:
        f.attrs["skimage_version"] = skimage.__version__
        for i, (shape_in, shape_out, kind) in enumerate(CASES):
            if kind == "binary":
                x = (rng.random(shape_in) < 0.35).astype(np.float64)
            else:
                x = 0.2 + 0.5 * rng.random(shape_in)
            g = f.create_group(f"case_{i}")
            g.create_dataset("input", data=x, compression="gzip", shuffle=True)
            g.create_dataset("expected", data=resize(x, shape_out), compression="gzip", shuffle=True)

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "skimage_resize_cases.h5")
