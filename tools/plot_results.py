#!/usr/bin/python3
"""Figures from the C++ results (Debian's python3-matplotlib and python3-h5py).

    /usr/bin/python3 tools/plot_results.py RUN_OR_RESULTS... --out DIR [--projection umap|pca]

Each argument is a run folder (analysis.h5, optional train.h5 and eval.json) or a results file
written by `loce analyze`. Writes into DIR:
  fig1_<projection>.png  one panel per method: LoCEs in 2-D coloured by concept over the regions
                         of the GMM fitted in that plane (the paper's Fig. 1)
  loss_curves.png        pretext loss per step (/train/loss, /train/step of train.h5), if any run has it
  per_class_iou.png      per-class IoU bars (eval.json "per_class_iou": {class: iou}), if any run has it

All figures are drawn into temporary files in DIR first and renamed into place only when every
one of them succeeded; figures of this tool (the names above) that a run does not produce are
then removed from DIR, so DIR never mixes two runs. An input that cannot be read or has the
wrong shape, or a DIR that cannot be written, ends the script with one line on stderr naming
the file and a non-zero exit, leaving DIR as it was.
"""
import argparse
import json
import os
import sys
import tempfile

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

PROG = "plot_results.py"
# Every figure this tool can write (removed from --out when a run does not produce it).
KNOWN_FIGURES = ("fig1_umap.png", "fig1_pca.png", "loss_curves.png", "per_class_iou.png")
# What reading a malformed HDF5 / JSON file can raise (h5py maps HDF5 errors onto several).
READ_ERRORS = (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError,
               NotImplementedError)
# What matplotlib can raise on data it cannot draw (sizes, mathtext in names, ...).
DRAW_ERRORS = (ValueError, TypeError, KeyError, IndexError, RuntimeError, ArithmeticError)

# Cityscapes colours of the paper's concepts; other concepts take tab10 colours.
CITYSCAPES = {"road": (128, 64, 128), "building": (70, 70, 70), "vegetation": (107, 142, 35),
              "car": (0, 0, 142), "person": (220, 20, 60), "sidewalk": (244, 35, 232),
              "sky": (70, 130, 180), "truck": (0, 0, 70), "bus": (0, 60, 100)}


class Fail(Exception):
    """Bad input or an unwritable output: main() prints it as one line and exits 1."""


class Bad(Exception):
    """A problem inside one input file; the reader adds the file's name (-> Fail)."""


def one_line(text):
    """Control characters (newlines in paths or in HDF5 error stacks) escaped: one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def reason(e):
    """An exception as a short text for the one-line error."""
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    if isinstance(e, KeyError) and e.args:
        return str(e.args[0])
    return str(e) or type(e).__name__


def colours(names):
    tab = plt.get_cmap("tab10")
    return [tuple(c / 255 for c in CITYSCAPES[n]) if n in CITYSCAPES else tab(i % 10)[:3]
            for i, n in enumerate(names)]


def as_text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def is_real(a):
    """A numpy array of real numbers (booleans, integers, floats; not strings or compounds)."""
    return a.dtype.kind in "biuf"


def dataset(f, name, ndim=None):
    """f[name] as a numpy array of real numbers with ndim dimensions, else Bad."""
    obj = f.get(name)
    if obj is None:
        raise Bad(f"no /{name}")
    if not isinstance(obj, h5py.Dataset):
        raise Bad(f"/{name} is not a dataset")
    value = np.asarray(obj[()])
    if not is_real(value):
        raise Bad(f"/{name} is not numeric (dtype {value.dtype})")
    if ndim is not None and value.ndim != ndim:
        raise Bad(f"/{name} has shape {value.shape}, expected {ndim} dimension(s)")
    return value


def read_eval_json(path):
    """eval.json as a dict; a file that is not one valid JSON object ends the script with one line
    naming it (strict JSON, as `loce report` reads it: NaN and Infinity are not JSON). A
    per_class_iou, if present, must map class names to numbers or null (a class without pixels)."""
    def no_constant(name):
        raise ValueError(f"{name} is not valid JSON")
    try:
        with open(path, encoding="utf-8") as fh:
            value = json.load(fh, parse_constant=no_constant)
    except (OSError, ValueError, RecursionError) as e:  # json.JSONDecodeError is a ValueError
        raise Fail(f"{path}: not valid JSON ({reason(e)})")
    if not isinstance(value, dict):
        raise Fail(f"{path}: not a JSON object")
    iou = value.get("per_class_iou")
    if iou is not None:
        if not isinstance(iou, dict):
            raise Fail(f"{path}: per_class_iou is not an object of class: IoU")
        for c, v in iou.items():
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise Fail(f"{path}: per_class_iou[{json.dumps(c)}] is {json.dumps(v)[:40]}, "
                           f"not a number or null")
    return value


def read_train_h5(path):
    """(step, loss) from /train/loss and /train/step (default 0, 1, ...), or None without a loss."""
    try:
        f = h5py.File(path, "r")
    except READ_ERRORS as e:
        raise Fail(f"{path}: not an HDF5 file ({reason(e)})")
    try:
        with f:
            train = f.get("train")
            if not isinstance(train, h5py.Group) or "loss" not in train:
                return None
            loss = dataset(f, "train/loss", ndim=1)
            if "step" in train:
                step = dataset(f, "train/step", ndim=1)
                if len(step) != len(loss):
                    raise Bad(f"/train/step has {len(step)} entries, /train/loss {len(loss)}")
            else:
                step = np.arange(len(loss))
            return step, loss
    except Bad as e:
        raise Fail(f"{path}: {e}")
    except READ_ERRORS as e:
        raise Fail(f"{path}: not a readable train.h5 ({reason(e)})")


class Run:
    def __init__(self, path):
        self.arg = path
        self.dir = path if os.path.isdir(path) else None
        self.results = os.path.join(path, "analysis.h5") if self.dir else path
        if not os.path.isfile(self.results):
            raise Fail(f"{path}: no analysis.h5 / results file")
        try:
            self.read_results()
        except Bad as e:
            raise Fail(f"{self.results}: not a results file of `loce analyze` ({e})")
        except READ_ERRORS as e:
            # h5py's "unable to open file" or a missing group/attribute: one line, no traceback.
            raise Fail(f"{self.results}: not a results file of `loce analyze` ({reason(e)})")
        self.train = None
        self.eval = None
        # A `loce run` combination folder keeps them in its pretrain/ and finetune/ runs.
        train_h5 = self.find("train.h5", "pretrain")
        if train_h5:
            self.train = read_train_h5(train_h5)
        eval_json = self.find("eval.json", "finetune")
        if eval_json:
            self.eval = read_eval_json(eval_json)

    def read_results(self):
        with h5py.File(self.results, "r") as f:
            if not isinstance(f.get("analysis"), h5py.Group) or "metrics" not in f["analysis"]:
                raise Bad("no /analysis/metrics")
            a = f["analysis"].attrs
            self.method = as_text(a.get("method", "")) or os.path.basename(self.arg.rstrip("/"))
            if "concepts" not in a:
                raise Bad("no attribute concepts of /analysis")
            concepts = np.asarray(a["concepts"])
            if concepts.ndim != 1 or len(concepts) == 0 or \
                    not all(isinstance(c, (str, bytes)) for c in concepts):
                raise Bad("attribute concepts of /analysis is not a list of names")
            self.concepts = [as_text(c) for c in concepts]
            self.labels = dataset(f, "analysis/projection/labels", ndim=1)
            self.proj = {}
            for name in ("umap", "pca"):
                if f"analysis/projection/{name}" in f and f"analysis/decision_grid/{name}" in f:
                    g = f"analysis/decision_grid/{name}"
                    p = dict(points=dataset(f, f"analysis/projection/{name}", ndim=2),
                             x=dataset(f, f"{g}/x", ndim=1), y=dataset(f, f"{g}/y", ndim=1),
                             concept=dataset(f, f"{g}/concept", ndim=2))
                    if p["points"].shape != (len(self.labels), 2):
                        raise Bad(f"/analysis/projection/{name} has shape {p['points'].shape}, "
                                  f"expected ({len(self.labels)}, 2) for {len(self.labels)} labels")
                    if len(p["x"]) < 2 or len(p["y"]) < 2 or \
                            p["concept"].shape != (len(p["y"]), len(p["x"])):
                        raise Bad(f"/{g}: concept has shape {p['concept'].shape}, x {len(p['x'])} "
                                  f"and y {len(p['y'])} entries (expected concept (y, x), at least 2x2)")
                    if not (np.all(np.isfinite(p["x"])) and np.all(np.isfinite(p["y"]))):
                        raise Bad(f"/{g}: x or y is not finite")
                    self.proj[name] = p
            metrics = f["analysis/metrics"]
            self.metrics = dict(metrics.attrs)
            sep = np.asarray(self.metrics.get("separability_ratio", float("nan")))
            if sep.ndim != 0 or not is_real(sep):
                raise Bad("attribute separability_ratio of /analysis/metrics is not a number")
            self.metrics["separability_ratio"] = float(sep)

    def find(self, name, subdir):
        """RUN/name, else RUN/subdir/name, else None."""
        if not self.dir:
            return None
        for p in (os.path.join(self.dir, name), os.path.join(self.dir, subdir, name)):
            if os.path.isfile(p):
                return p
        return None


def fig1(runs, projection, log):
    runs = [r for r in runs if projection in r.proj]
    if not runs:
        log.append(f"plot_results: no {projection} projection in the inputs; Fig. 1 skipped")
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
    return fig


def loss_curves(runs, log):
    runs = [r for r in runs if r.train is not None]
    if not runs:
        log.append("plot_results: no train.h5 with /train/loss; loss curves skipped")
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in runs:
        ax.plot(r.train[0], r.train[1], label=r.method)
    ax.set_xlabel("step")
    ax.set_ylabel("pretext loss")
    ax.legend()
    fig.tight_layout()
    return fig


def iou_bars(runs, log):
    runs = [r for r in runs if r.eval and isinstance(r.eval.get("per_class_iou"), dict)]
    if not runs:
        log.append("plot_results: no eval.json with per_class_iou; IoU bars skipped")
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
    return fig


class Output:
    """--out: checked (and created) up front; figures go to temporaries in it and are renamed
    into place together by commit(); cleanup() removes what a failed run left (temporaries, and
    the folders it created if they are still empty)."""

    def __init__(self, out):
        self.out = out
        self.created = []  # folders made here, deepest last
        self.pending = []  # (temporary, final name)
        if not out:
            raise Fail("--out: empty path")
        if os.path.exists(out) and not os.path.isdir(out):
            raise Fail(f"{out}: --out exists and is not a folder")
        missing, p = [], os.path.abspath(out)
        while not os.path.exists(p):
            missing.append(p)
            p = os.path.dirname(p)
        try:
            os.makedirs(out, exist_ok=True)
        except OSError as e:
            self.created = [m for m in reversed(missing) if os.path.isdir(m)]
            self.cleanup()
            raise Fail(f"{out}: cannot create the --out folder ({reason(e)})")
        self.created = [m for m in reversed(missing) if os.path.isdir(m)]
        mask = os.umask(0)
        os.umask(mask)
        self.mode = 0o666 & ~mask  # what a plain open() would give the PNGs
        try:  # writable: a probe file, removed at once
            fd, probe = tempfile.mkstemp(dir=out, prefix=".plot_results-probe-")
            os.close(fd)
            os.remove(probe)
        except OSError as e:
            self.cleanup()
            raise Fail(f"{out}: cannot write into the --out folder ({reason(e)})")

    def save(self, fig, name):
        """fig drawn into a temporary next to out/name (renamed by commit())."""
        final = os.path.join(self.out, name)
        try:
            fd, tmp = tempfile.mkstemp(dir=self.out, prefix=f".{name}.", suffix=".tmp")
        except OSError as e:
            plt.close(fig)
            raise Fail(f"{final}: cannot write ({reason(e)})")
        self.pending.append((tmp, final))
        try:
            with os.fdopen(fd, "wb") as fh:
                fig.savefig(fh, format="png", dpi=120)
            os.chmod(tmp, self.mode)
        except OSError as e:
            raise Fail(f"{final}: cannot write ({reason(e)})")
        except DRAW_ERRORS as e:
            raise Fail(f"{final}: cannot draw this figure from the inputs ({one_line(reason(e))})")
        finally:
            plt.close(fig)

    def commit(self):
        """Every temporary renamed into place, then this tool's figures not written now removed."""
        for _, final in self.pending:
            if os.path.isdir(final):
                raise Fail(f"{final}: a folder is in the way of the figure")
        written = []
        for tmp, final in self.pending:
            try:
                os.replace(tmp, final)
            except OSError as e:
                raise Fail(f"{final}: cannot write ({reason(e)})")
            written.append(final)
        self.pending = []
        self.created = []
        for name in KNOWN_FIGURES:
            stale = os.path.join(self.out, name)
            if stale not in written and os.path.lexists(stale) and not os.path.isdir(stale):
                try:
                    os.remove(stale)
                except OSError as e:
                    raise Fail(f"{stale}: cannot remove the previous run's figure ({reason(e)})")
        return written

    def cleanup(self):
        for tmp, _ in self.pending:
            try:
                os.remove(tmp)
            except OSError:
                pass
        self.pending = []
        for d in reversed(self.created):
            try:
                os.rmdir(d)  # only if still empty
            except OSError:
                pass
        self.created = []


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--projection", choices=["umap", "pca"], default="umap")
    a = ap.parse_args()
    sys.stdout.reconfigure(errors="backslashreplace")  # paths that are not UTF-8
    out = None
    try:
        out = Output(a.out)
        runs = [Run(p) for p in a.runs]
        log = []  # skip messages and "wrote" lines, printed in order once all succeeded
        for draw, name in ((lambda: fig1(runs, a.projection, log), f"fig1_{a.projection}.png"),
                           (lambda: loss_curves(runs, log), "loss_curves.png"),
                           (lambda: iou_bars(runs, log), "per_class_iou.png")):
            try:
                fig = draw()
            except DRAW_ERRORS as e:
                plt.close("all")
                raise Fail(f"{os.path.join(a.out, name)}: cannot draw this figure from the inputs "
                           f"({one_line(reason(e))})")
            if fig is not None:
                out.save(fig, name)
                log.append(f"wrote {os.path.join(a.out, name)}")
        out.commit()
        for line in log:
            print(line)
    except Fail as e:
        if out is not None:
            out.cleanup()
        sys.exit(one_line(f"{PROG}: error: {e}"))
    except KeyboardInterrupt:
        if out is not None:
            out.cleanup()
        sys.exit(130)


if __name__ == "__main__":
    main()
