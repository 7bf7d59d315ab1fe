#!/usr/bin/env python3
"""The training rows of the GPU check's table, from its logs (tools/gpu/check.sh):
train_ours_<method>_<resolution>_<variant>.log (`loce pretrain`) beside
train_torch_<method>_<resolution>_<variant>.log (tools/bench/train_torch.py, whose RESULT line
also gives the parameters and the training FLOPs per image it counted from the network).

    tools/gpu/train_table.py OUT_DIR [--peak-tflops 989]

Ours is the img/s of the last log window of the run (after cuDNN's autotuning), the script's
is after 3 warm-up steps. Model TFLOP/s = img/s x GFLOP per image; MFU is that over the peak,
printed for the bf16 runs only (dense bf16 tensor-core peak: 989 TFLOP/s on H100/H200 SXM).
"""
import argparse
import pathlib
import re

IMG_S = re.compile(r"([0-9.]+) img/s")


def ours_img_s(path):
    """img/s of the last training log line (`<method> step i/n ... X img/s`)."""
    rate = None
    for line in path.read_text(errors="replace").splitlines():
        m = IMG_S.search(line)
        if m and " step " in line:
            rate = float(m.group(1))
    return rate


def torch_result(path):
    """The key=value fields of the script's RESULT line, or {}."""
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("RESULT "):
            return dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    return {}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--peak-tflops", type=float, default=989.0)
    a = ap.parse_args()

    rows = []
    for ours in sorted(a.out.glob("train_ours_*.log")):
        key = ours.name[len("train_ours_"):-len(".log")]
        method, res, variant = key.split("_", 2)
        theirs = ours.with_name(f"train_torch_{key}.log")
        r = torch_result(theirs) if theirs.exists() else {}
        mine = ours_img_s(ours)
        torch_ips = float(r["img_per_s"]) if "img_per_s" in r else None
        gflop = float(r["gflop_per_img"]) if "gflop_per_img" in r else None
        rows.append((method, res, variant, mine, torch_ips, gflop))
    def pixels(res):
        h, _, w = res.partition("x")
        return int(h) * int(w) if h.isdigit() and w.isdigit() else 0

    order = {"fp32": 0, "bf16": 1, "bf16-cl": 2}
    rows.sort(key=lambda r: (pixels(r[1]), r[0], order.get(r[2], 3)))

    def fmt(x, spec):
        return format(x, spec) if x is not None else "-"

    header = ["method", "input", "precision", "ours img/s", "PyTorch img/s", "ours/PyTorch",
              "GFLOP/img", "ours TFLOP/s", f"ours MFU (bf16 peak {a.peak_tflops:g})"]
    table = [header]
    for method, res, variant, mine, theirs, gflop in rows:
        ratio = mine / theirs if mine and theirs else None
        tflops = mine * gflop / 1e3 if mine and gflop else None
        mfu = tflops / a.peak_tflops if tflops and variant.startswith("bf16") else None
        table.append([method, res, variant, fmt(mine, ".1f"), fmt(theirs, ".1f"),
                      fmt(ratio, ".2f") + ("x" if ratio else ""), fmt(gflop, ".0f"),
                      fmt(tflops, ".1f"), fmt(mfu, ".1%")])
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("   " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if len(table) == 1:
        print("   (no training logs in", a.out, ")")


if __name__ == "__main__":
    main()
