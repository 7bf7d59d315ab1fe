#!/usr/bin/python3
"""CTest: tools/plot_results.py on tiny outputs. Writes two small LoCE files (h5py, the LoCE
schema), analyses them with `loce analyze`, adds a train.h5 and an eval.json to one run, plots,
and checks that every PNG exists and is not blank.

    plot_results_check.py LOCE_BINARY PLOT_SCRIPT
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import matplotlib.image
import numpy as np

loce, script = sys.argv[1], sys.argv[2]
names = ["road", "building", "vegetation", "car", "person"]
ids = [0, 2, 8, 13, 11]
with tempfile.TemporaryDirectory() as tmp:
    runs = []
    for m, (method, sep) in enumerate([("barlow", 1.0), ("dae", 4.0)]):
        rng = np.random.default_rng(m)
        centres = rng.normal(0, sep, (5, 8))
        lab = np.repeat(np.arange(5), 24)
        vec = (centres[lab] + rng.normal(0, 0.5, (len(lab), 8))).astype(np.float32)
        run = os.path.join(tmp, method)
        os.makedirs(run)
        loce_file = os.path.join(tmp, f"{method}_loce.h5")
        with h5py.File(loce_file, "w") as f:
            f["loce/vectors"] = vec
            f["loce/concept"] = np.array(ids, np.int32)[lab]
            f["loce/image"] = np.arange(len(lab), dtype=np.int32)
            for k in ("iou", "loss", "area"):
                f[f"loce/{k}"] = np.ones(len(lab), np.float32)
            f["loce"].attrs["concepts"] = names
            f["loce"].attrs["method"] = method
        subprocess.run([loce, "--threads", "1", "--log-level", "warn", "analyze", "--in", loce_file,
                        "--out", os.path.join(run, "analysis.h5"), "--umap-epochs", "30",
                        "--grid", "40"], check=True, stdout=subprocess.DEVNULL)
        runs.append(run)
    with h5py.File(os.path.join(runs[0], "train.h5"), "w") as f:
        f["train/loss"] = np.exp(-np.linspace(0, 3, 50)).astype(np.float32)
        f["train/step"] = np.arange(50, dtype=np.int64)
    with open(os.path.join(runs[0], "eval.json"), "w") as fh:
        json.dump({"miou": 0.4, "pixel_acc": 0.8, "per_class_iou": {n: 0.1 * (i + 1) for i, n in enumerate(names)}}, fh)
    out = os.path.join(tmp, "figures")
    subprocess.run([sys.executable, script, *runs, "--out", out], check=True)
    for png in ("fig1_umap.png", "loss_curves.png", "per_class_iou.png"):
        path = os.path.join(out, png)
        assert os.path.isfile(path), f"{png} missing"
        img = matplotlib.image.imread(path)
        assert img.std() > 0.01, f"{png} looks blank (std {img.std():.4f})"
        print("ok", png, img.shape)

    # Inputs that are not results: one line naming the file, no traceback.
    def expect_one_line_error(args, fragment):
        r = subprocess.run([sys.executable, script, *args, "--out", out], capture_output=True, text=True)
        assert r.returncode != 0, f"{args}: exit code 0"
        assert fragment in r.stderr, f"{args}: {r.stderr!r}"
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        print("ok error", fragment)

    expect_one_line_error([loce_file], "not a results file")  # the last LoCE file written
    bad = os.path.join(tmp, "bad_eval")
    os.makedirs(bad)
    shutil.copy(os.path.join(runs[1], "analysis.h5"), os.path.join(bad, "analysis.h5"))
    with open(os.path.join(bad, "eval.json"), "w") as fh:
        fh.write('{"miou": "abc", garbage')
    expect_one_line_error([runs[0], bad], "eval.json: not valid JSON")
    with open(os.path.join(bad, "eval.json"), "w") as fh:
        fh.write('{"miou": NaN}')
    expect_one_line_error([bad], "eval.json: not valid JSON")
