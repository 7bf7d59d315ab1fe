#!/usr/bin/python3
"""Writes reference_iou.h5: the IoU the LoCE reference reports for the published vectors of
loce_ref_case_{a,b}.h5, computed as its LoCEOptimizer._wrap_loce_storages does
(loce_optimizer.py): activations bilinearly resized to the 100x100 target grid, the projection
sigmoid(clip(A.v, -10, 10)) stored as uint8 (loce_utils.get_projection), resized back to the
mask's own shape with scikit-image's resize, thresholded at 0.5, and
sklearn.metrics.jaccard_score against the binary mask.
Run offline with Debian's python3-torch, python3-skimage and python3-sklearn; the tests read
only the committed HDF5 file:  tests/loce/data/make_reference_iou.py tests/loce/data"""
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from skimage.transform import resize
from sklearn import metrics

folder = sys.argv[1] if len(sys.argv) > 1 else "tests/loce/data"
with h5py.File(f"{folder}/reference_iou.h5", "w") as out:
    for case in ["a", "b"]:
        with h5py.File(f"{folder}/loce_ref_case_{case}.h5") as f:
            acts = torch.from_numpy(f["acts"][()]).float()
            loces, masks = f["loce"][()], f["masks"][()]
            grid = [int(v) for v in f.attrs["target_shape"]]
        acts = F.interpolate(acts, size=grid, mode="bilinear").numpy()
        iou = []
        for a, v, m in zip(acts, loces, masks):
            z = np.clip((a * v[:, None, None]).sum(0), -10.0, 10.0)
            proj = (1 / (1 + np.exp(-z)) * 255).astype(np.uint8)
            pred = resize(proj, m.shape) > 0.5
            iou.append(metrics.jaccard_score(m.astype(bool).flatten(), pred.flatten()))
        out[f"case_{case}/iou"] = np.array(iou)
print(f"wrote {folder}/reference_iou.h5")
