#!/usr/bin/python3
"""Figures from the C++ results (Debian's python3-matplotlib and python3-h5py).

    /usr/bin/python3 tools/plot_results.py RUN_OR_RESULTS... --out DIR [--projection umap|pca]

Each argument is a run folder (analysis.h5, optional train.h5 and eval.json) or a results file
written by `loce analyze`. Writes into DIR:
  fig1_<projection>.png  one panel per method: LoCEs in 2-D coloured by concept over the regions
                         of the GMM fitted in that plane (the paper's Fig. 1)
  loss_curves.png        pretext loss per step (/train/loss, /train/step of train.h5), if any run has it
  per_class_iou.png      per-class IoU bars (eval.json "per_class_iou": {class: iou}), if any run has it
"""
import argparse
import json
import os
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

# Cityscapes colours of the paper's concepts; other concepts take tab10 colours.
CITYSCAPES = {"road": (128, 64, 128), "building": (70, 70, 70), "vegetation": (107, 142, 35),
              "car": (0, 0, 142), "person": (220, 20, 60), "sidewalk": (244, 35, 232),
              "sky": (70, 130, 180), "truck": (0, 0, 70), "bus": (0, 60, 100)}


def colours(names):
    tab = plt.get_cmap("tab10")
    return [tuple(c / 255 for c in CITYSCAPES[n]) if n in CITYSCAPES else tab(i % 10)[:3]
            for i, n in enumerate(names)]


def as_text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def read_eval_json(path):
    """eval.json as a dict; a file that is not one valid JSON object ends the script with one line
    naming it (strict JSON, as `loce report` reads it: NaN and Infinity are not JSON)."""
    def no_constant(name):
        raise ValueError(f"{name} is not valid JSON")
    try:
        with open(path) as fh:
            value = json.load(fh, parse_constant=no_constant)
    except (OSError, ValueError) as e:  # json.JSONDecodeError is a ValueError
        sys.exit(f"plot_results: {path}: not valid JSON ({e})")
    if not isinstance(value, dict):
        sys.exit(f"plot_results: {path}: not a JSON object")
    return value


class Run:
    def __init__(self, path):
        self.dir = path if os.path.isdir(path) else None
        self.results = os.path.join(path, "analysis.h5") if self.dir else path
        if not os.path.isfile(self.results):
            sys.exit(f"plot_results: {path}: no analysis.h5 / results file")
        try:
            self.read_results()
        except (OSError, KeyError) as e:
            # h5py's "unable to open file" or a missing group/attribute: one line, no traceback.
            sys.exit(f"plot_results: {self.results}: not a results file of `loce analyze` ({e})")
        self.train = None
        self.eval = None
        # A `loce run` combination folder keeps them in its pretrain/ and finetune/ runs.
        train_h5 = self.find("train.h5", "pretrain")
        if train_h5:
            with h5py.File(train_h5, "r") as f:
                if "train/loss" in f:
                    loss = f["train/loss"][()]
                    step = f["train/step"][()] if "train/step" in f else np.arange(len(loss))
                    self.train = (step, loss)
        eval_json = self.find("eval.json", "finetune")
        if eval_json:
            self.eval = read_eval_json(eval_json)

    def read_results(self):
        with h5py.File(self.results, "r") as f:
            if "analysis" not in f or "analysis/metrics" not in f:
                raise KeyError("no /analysis/metrics")
            a = f["analysis"].attrs
            self.method = as_text(a.get("method", "")) or os.path.basename(path.rstrip("/"))
            self.concepts = [as_text(c) for c in a["concepts"]]
            self.proj = {}
            for name in ("umap", "pca"):
                if f"analysis/projection/{name}" in f and f"analysis/decision_grid/{name}" in f:
                    g = f[f"analysis/decision_grid/{name}"]
                    self.proj[name] = dict(points=f[f"analysis/projection/{name}"][()],
                                           x=g["x"][()], y=g["y"][()], concept=g["concept"][()])
            self.labels = f["analysis/projection/labels"][()]
            self.metrics = dict(f["analysis/metrics"].attrs)

    def find(self, name, subdir):
        """RUN/name, else RUN/subdir/name, else None."""
        if not self.dir:
            return None
        for p in (os.path.join(self.dir, name), os.path.join(self.dir, subdir, name)):
            if os.path.isfile(p):
                return p
        return None


def fig1(runs, projection, out):
    runs = [r for r in runs if projection in r.proj]
    if not runs:
        print(f"plot_results: no {projection} projection in the inputs; Fig. 1 skipped")
        return None
    fig, axes = plt.subplots(1, len(runs), figsize=(4.5 * len(runs), 4.5), squeeze=False)
    for ax, r in zip(axes[0], runs):
        p = r.proj[projection]
        cols = colours(r.concepts)
        region = np.ma.masked_less(p["concept"], 0)
        extent = [p["x"][0], p["x"][-1], p["y"][0], p["y"][-1]]
        ax.imshow(region, origin="lower", extent=extent, aspect="auto", alpha=0.25,
                  cmap=ListedColormap(cols), vmin=-0.5, vmax=len(cols) - 0.5, interpolation="nearest")
        ax.contour(p["x"], p["y"], p["concept"], levels=np.arange(-0.5, len(cols)), colors="k",
                   linewidths=0.5)
        for c, name in enumerate(r.concepts):
            m = r.labels == c
            ax.scatter(p["points"][m, 0], p["points"][m, 1], s=4, color=cols[c], label=name)
        sep = r.metrics.get("separability_ratio", float("nan"))
        ax.set_title(f"{r.method} (separability {sep:.2f})")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0][0].legend(loc="best", fontsize=7, markerscale=3)
    fig.tight_layout()
    path = os.path.join(out, f"fig1_{projection}.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def loss_curves(runs, out):
    runs = [r for r in runs if r.train is not None]
    if not runs:
        print("plot_results: no train.h5 with /train/loss; loss curves skipped")
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in runs:
        ax.plot(r.train[0], r.train[1], label=r.method)
    ax.set_xlabel("step")
    ax.set_ylabel("pretext loss")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(out, "loss_curves.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def iou_bars(runs, out):
    runs = [r for r in runs if r.eval and isinstance(r.eval.get("per_class_iou"), dict)]
    if not runs:
        print("plot_results: no eval.json with per_class_iou; IoU bars skipped")
        return None
    classes = list(runs[0].eval["per_class_iou"].keys())
    width = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(classes) * len(runs)), 4))
    for i, r in enumerate(runs):
        vals = [r.eval["per_class_iou"].get(c) for c in classes]
        vals = [np.nan if v is None else v for v in vals]
        ax.bar(np.arange(len(classes)) + i * width, vals, width, label=r.method)
    ax.set_xticks(np.arange(len(classes)) + 0.4 - width / 2)
    ax.set_xticklabels(classes, rotation=60, ha="right")
    ax.set_ylabel("IoU")
    ax.legend()
    fig.tight_layout()
    path = os.path.join(out, "per_class_iou.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--projection", choices=["umap", "pca"], default="umap")
    a = ap.parse_args()
    runs = [Run(p) for p in a.runs]
    os.makedirs(a.out, exist_ok=True)
    for path in (fig1(runs, a.projection, a.out), loss_curves(runs, a.out), iou_bars(runs, a.out)):
        if path:
            print("wrote", path)


if __name__ == "__main__":
    main()
