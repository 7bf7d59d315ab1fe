#!/usr/bin/env python3
"""Data-parallel scaling of `loce pretrain`, and the LoCE stage's wall time, predicted on paper
(docs/scaling.md). Parameters and FLOPs are counted from the model as src/models builds it; the
step time comes from this project's measured GPU figure when given (--step-ms-128x256 /
--step-ms-full) and otherwise from throughputs of comparable models measured on the same H100
(../shared/DEVICE.md), and says which.

    tools/scaling_model.py [--step-ms-128x256 MS] [--step-ms-full MS] [--loce-per-s-full R]

Communication: ring all-reduce moves 2 (N-1)/N of the gradient bytes over the slowest link; the
bus bandwidths are published NCCL all_reduce_perf figures (assumptions, see the doc). Overlap:
buckets all-reduced from gradient hooks hide communication behind the rest of backward; the
exposed part is max(0, T_comm - f * T_backward) with f the fraction of backward still to run
when the first bucket is ready (about 0.9: the first bucket is 1 MB of the last layers).
"""
import argparse

# ---- the model, as src/models builds it (paper: base width 64, depth 4, 2048-2048-2048 projector)
def widths(base, depth):
    return [base * 2 ** l for l in range(depth + 1)]

def encoder(base, depth, in_ch=3):
    """(parameters, forward MACs per input pixel) of the U-Net encoder."""
    w = widths(base, depth)
    params, macs, cin = 0, 0.0, in_ch
    for l, c in enumerate(w):
        p = 9 * (cin * c + c * c) + 4 * c          # two 3x3 convs (no bias) + two BatchNorms
        params += p
        macs += 9 * (cin * c + c * c) / 4 ** l     # level l runs at 1/4^l of the pixels
        cin = c
    return params, macs

def decoder(base, depth, out_ch):
    w = widths(base, depth)
    params, macs = 0, 0.0
    for l in range(depth, 0, -1):
        cin, c = w[l], w[l - 1]
        up = 4 * cin * c + c                        # 2x2 transposed conv, stride 2, bias
        fuse = 9 * (2 * c * c + c * c) + 4 * c      # DoubleConv(2c -> c)
        params += up + fuse
        macs += (4 * cin * c) / 4 ** l + 9 * (2 * c * c + c * c) / 4 ** (l - 1)
    params += w[0] * out_ch + out_ch
    macs += w[0] * out_ch
    return params, macs

def projector(in_f, sizes=(2048, 2048, 2048)):
    p, cin = 0, in_f
    for s in sizes[:-1]:
        p += cin * s + 2 * s
        cin = s
    return p + cin * sizes[-1]

def method(name, base=64, depth=4):
    """(parameters with gradients, training FLOPs per pixel of one network input)."""
    pe, me = encoder(base, depth)
    deepest = widths(base, depth)[-1]
    if name == "barlow":   # two views per image; the projector's FLOPs are per image, negligible
        return pe + projector(deepest), 2 * 3 * 2 * me
    if name == "dae":
        pd, md = decoder(base, depth, 3)
        return pe + pd, 3 * 2 * (me + md)
    if name == "rpl":      # one patch per image, resized to the input size
        return pe + deepest * 512 + 2 * 512 + 512 * 9 + 9, 3 * 2 * me
    raise ValueError(name)

# ---- communication assumptions (GB/s of NCCL all-reduce bus bandwidth per GPU)
LINKS = {
    "8 GPUs, one node (NVLink 4 / NVSwitch)": (8, 450.0),
    "32 GPUs, 4 nodes, 400 Gb/s InfiniBand per GPU": (32, 45.0),
    "128 GPUs, 16 nodes, 400 Gb/s InfiniBand per GPU": (128, 42.0),
    "32 GPUs, 4 nodes, 200 Gb/s InfiniBand per GPU": (32, 22.0),
    "128 GPUs, 16 nodes, 200 Gb/s InfiniBand per GPU": (128, 21.0),
}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # Throughputs measured on the lent H100 by the environment's maintainers (../shared/DEVICE.md),
    # for comparable models, not by this project's trainer: LibTorch U-Net encoder (base 64,
    # bf16) forward+backward, and a PyTorch full U-Net step (bf16 + channels-last).
    ap.add_argument("--encoder-img-s", type=float, default=1990, help="encoder, 128x256, batch 64")
    ap.add_argument("--encoder-img-s-full", type=float, default=32, help="encoder, 1024x2048, batch 8")
    ap.add_argument("--unet-img-s", type=float, default=1717, help="full U-Net step, 128x256")
    ap.add_argument("--unet-img-s-full", type=float, default=28.4, help="full U-Net step, 1024x2048")
    ap.add_argument("--step-ms-128x256", type=float, help="measured step time, batch 64 per GPU")
    ap.add_argument("--step-ms-full", type=float, help="measured step time, batch 8 per GPU")
    ap.add_argument("--backward-share", type=float, default=2 / 3, help="backward / step time")
    ap.add_argument("--hidden", type=float, default=0.9,
                    help="share of backward left when the first bucket is ready")
    ap.add_argument("--hbm-tbs", type=float, default=3.35, help="H100 SXM HBM3 bandwidth, TB/s")
    ap.add_argument("--hbm-share", type=float, default=0.5, help="assumed share of it the LoCE loop gets")
    ap.add_argument("--loce-per-s-full", type=float, default=None,
                    help="measured LoCEs/s per GPU at full resolution (reference mode)")
    a = ap.parse_args()

    print("| method | parameters | gradient MB (fp32) | training GFLOP per image, 128x256 | at 1024x2048 |")
    print("|---|---|---|---|---|")
    for m in ["barlow", "dae", "rpl"]:
        p, f = method(m)
        print(f"| {m} | {p / 1e6:.1f} M | {4 * p / 1e6:.0f} | {f * 128 * 256 / 1e9:.0f} | {f * 1024 * 2048 / 1e12 * 1e3:.0f} |")
    print()
    for res, px, batch, measured in [("128x256", 128 * 256, 64, a.step_ms_128x256),
                                     ("1024x2048", 1024 * 2048, 8, a.step_ms_full)]:
        print(f"### {res}, batch {batch} per GPU\n")
        print("| method | step ms (source) | " + " | ".join(LINKS) + " |")
        print("|---|---|" + "---|" * len(LINKS))
        for m in ["barlow", "dae", "rpl"]:
            p, f = method(m)
            if measured:
                step, src = measured, "measured"
            else:  # images/s of comparable models on an H100, from ../shared/DEVICE.md
                full = res != "128x256"
                rate = (a.unet_img_s_full if full else a.unet_img_s) if m == "dae" else \
                       (a.encoder_img_s_full if full else a.encoder_img_s)
                views = 2 if m == "barlow" else 1
                step, src = views * batch / rate * 1e3, f"{rate:g} img/s, DEVICE.md"
            cells = []
            for n, bw in LINKS.values():
                comm = 2 * (n - 1) / n * 4 * p / (bw * 1e9) * 1e3
                exposed = max(0.0, comm - a.hidden * a.backward_share * step)
                cells.append(f"{step / (step + exposed):.0%} / {step / (step + comm):.0%} ({comm:.1f} ms)")
            print(f"| {m} | {step:.1f} ({src}) | " + " | ".join(cells) + " |")
        print()
    # LoCE stage: memory-bound (each of 50 iterations reads an image's activations twice,
    # forward and backward, for all its concepts at once) plus the encoder's forward pass.
    images, concepts, C, h, w, iters = 3475, 5, 1024, 64, 128, 50
    pairs = images * concepts
    _, me = encoder(64, 4)
    if a.loce_per_s_full:
        rate, src = a.loce_per_s_full, "measured"
    else:
        seconds_per_image = 2 * iters * C * h * w * 4 / (a.hbm_share * a.hbm_tbs * 1e12)
        rate, src = concepts / seconds_per_image, f"assumed {a.hbm_share:.0%} of {a.hbm_tbs} TB/s HBM"
    encode = images / (3 * a.encoder_img_s_full)  # forward only: about a third of forward+backward
    print(f"### LoCE stage at full resolution: {images} images x {concepts} concepts = {pairs} pairs\n")
    print(f"{rate:.0f} LoCEs/s per GPU ({src}); encoder forward {encode:.0f} GPU-s in all "
          f"(a third of DEVICE.md's forward+backward time)\n")
    for g in [8, 64]:
        print(f"- {g} GPUs: {pairs / (rate * g):.1f} s of optimisation + {encode / g:.1f} s of encoding per GPU")


if __name__ == "__main__":
    main()
