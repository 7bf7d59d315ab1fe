#!/usr/bin/env python3
"""The training-step baseline in PyTorch (Python) for `loce pretrain --method barlow|dae|rpl`:
the same networks as src/models builds (U-Net encoder of DoubleConv = [3x3 conv without bias,
BatchNorm, ReLU] x 2 and 2x2 max-pools; for dae the decoder of 2x2 transposed convs, skip
concatenation and a 1x1 head; for barlow the projector, global average pool then
[Linear without bias, BatchNorm1d, ReLU] per hidden size and a last Linear without bias; for rpl
the classifier, pool, Linear without bias, BatchNorm1d, ReLU, Linear to 9), the same losses
(dae: Gaussian noise sigma 0.1, MSE against the clean image; barlow: two views through the
encoder one after the other, cross-correlation of the batch-normalised projections, lambda
0.0051; rpl: a patch at the input size, 9-way cross-entropy) and the same optimiser (AdamW, lr
1e-3, weight decay 1e-4). Images are random tensors already on the device and the views and
patches are cheap stand-ins for the augmentations, so this measures the step alone (ours also
reads and augments its batches).

Training FLOPs per image are counted from the network itself (forward hooks on every
convolution and linear layer during one step, backward taken as twice the forward), so
model FLOP/s and MFU (with --peak-tflops) follow from the measured img/s.

    tools/bench/train_torch.py [--method dae] [--height 128] [--width 256] [--batch 64]
                               [--steps 20] [--base-width 64] [--depth 4] [--bf16]
                               [--channels-last] [--device cuda] [--threads N]
                               [--peak-tflops T] [--count-only]
Prints img/s and a RESULT line (with params, gflop_per_img, tflop_per_s, mfu).
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class DoubleConv(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def widths(base, depth):
    return [base * 2 ** l for l in range(depth + 1)]


class Encoder(nn.Module):
    """Returns every level's features, deepest last."""

    def __init__(self, base, depth, cin=3):
        super().__init__()
        w = widths(base, depth)
        self.down = nn.ModuleList([DoubleConv(cin, w[0])] +
                                  [DoubleConv(w[l - 1], w[l]) for l in range(1, depth + 1)])

    def forward(self, x):
        feats = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            feats.append(x)
        return feats


class Decoder(nn.Module):
    def __init__(self, base, depth, cout):
        super().__init__()
        w = widths(base, depth)
        self.up = nn.ModuleList([nn.ConvTranspose2d(w[l], w[l - 1], 2, stride=2) for l in range(depth, 0, -1)])
        self.fuse = nn.ModuleList([DoubleConv(2 * w[l - 1], w[l - 1]) for l in range(depth, 0, -1)])
        self.head = nn.Conv2d(w[0], cout, 1)

    def forward(self, feats):
        h = feats[-1]
        for i, (up, fuse) in enumerate(zip(self.up, self.fuse)):
            h = fuse(torch.cat([up(h), feats[-2 - i]], 1))
        return self.head(h)


def mlp_head(cin, hidden, cout, last_bias):
    layers = []
    for h in hidden:
        layers += [nn.Linear(cin, h, bias=False), nn.BatchNorm1d(h), nn.ReLU(inplace=True)]
        cin = h
    return nn.Sequential(*layers, nn.Linear(cin, cout, bias=last_bias))


class Task(nn.Module):
    """One pretext task's network and loss: loss(images) for a batch of clean images in [0, 1]."""

    def __init__(self, method, base, depth, projector=(2048, 2048, 2048), rpl_hidden=512, rpl_grid=3):
        super().__init__()
        self.method = method
        self.encoder = Encoder(base, depth)
        deepest = widths(base, depth)[-1]
        if method == "dae":
            self.decoder = Decoder(base, depth, 3)
        elif method == "barlow":
            self.head = mlp_head(deepest, projector[:-1], projector[-1], last_bias=False)
        elif method == "rpl":
            self.head = mlp_head(deepest, [rpl_hidden], rpl_grid * rpl_grid, last_bias=True)
            self.classes = rpl_grid * rpl_grid
        else:
            raise ValueError(f"unknown method {method}")

    def pooled_head(self, x):
        return self.head(self.encoder(x)[-1].mean((2, 3)))

    def loss(self, images):
        if self.method == "dae":
            noisy = images + 0.1 * torch.randn_like(images)
            return F.mse_loss(self.decoder(self.encoder(noisy)).float(), images)
        if self.method == "barlow":
            z1 = self.pooled_head(images).float()
            z2 = self.pooled_head(images.flip(3)).float()
            with torch.autocast(images.device.type, enabled=False):  # the loss in fp32, as ours
                return self.barlow_loss(z1, z2)
        cells = torch.randint(0, self.classes, (images.shape[0],), device=images.device)
        return F.cross_entropy(self.pooled_head(images.flip(2)).float(), cells)

    @staticmethod
    def barlow_loss(z1, z2):
        n1 = (z1 - z1.mean(0)) / torch.sqrt(z1.var(0, unbiased=False) + 1e-5)
        n2 = (z2 - z2.mean(0)) / torch.sqrt(z2.var(0, unbiased=False) + 1e-5)
        c = n1.t() @ n2 / z1.shape[0]
        on = (torch.diagonal(c) - 1).pow(2).sum()
        return on + 0.0051 * (c.pow(2).sum() - torch.diagonal(c).pow(2).sum())


def count_training_flops(task, images):
    """Training FLOPs of one step on `images`: 2 x multiply-adds of every convolution and linear
    layer in the forward pass, times 3 (backward computes gradients of inputs and weights)."""
    macs = [0]

    def hook(module, inputs, output):
        if isinstance(module, nn.Linear):
            macs[0] += output.numel() * module.in_features
        elif isinstance(module, nn.ConvTranspose2d):  # every input pixel meets every kernel tap
            k = module.kernel_size[0] * module.kernel_size[1]
            macs[0] += inputs[0].numel() * module.out_channels * k // module.groups
        elif isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            macs[0] += output.numel() * module.in_channels * k // module.groups

    handles = [m.register_forward_hook(hook) for m in task.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    with torch.no_grad():
        task.loss(images)
    for h in handles:
        h.remove()
    return 3 * 2 * macs[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", default="dae", choices=["barlow", "dae", "rpl"])
    ap.add_argument("--height", type=int, default=128)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--base-width", type=int, default=64)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--peak-tflops", type=float, default=0,
                    help="the device's peak for the run's precision; MFU = model FLOP/s / peak")
    ap.add_argument("--count-only", action="store_true",
                    help="print parameters and FLOPs per image (at batch 2, on the CPU), no timing")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device("cpu" if a.count_only else a.device)
    torch.backends.cudnn.benchmark = True  # as `loce` does by default (--cudnn-benchmark)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    task = Task(a.method, a.base_width, a.depth).to(dev).to(memory_format=fmt)
    params = sum(p.numel() for p in task.parameters() if p.requires_grad)
    batch = 2 if a.count_only else a.batch
    images = torch.rand(batch, 3, a.height, a.width, device=dev).to(memory_format=fmt)
    flops = count_training_flops(task, images) / batch
    if a.count_only:
        print(f"RESULT impl=pytorch task={a.method} height={a.height} width={a.width} "
              f"params={params} gflop_per_img={flops / 1e9:.3f}")
        return
    opt = torch.optim.AdamW(task.parameters(), lr=1e-3, weight_decay=1e-4)

    def step():
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.bf16 and dev.type == "cuda"):
            loss = task.loss(images)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    for _ in range(a.warmup):
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    sync()
    s = time.perf_counter() - t0
    ips = a.steps * a.batch / s
    tflops = ips * flops / 1e12
    mfu = tflops / a.peak_tflops if a.peak_tflops > 0 else float("nan")
    print(f"PyTorch {a.method} step {a.height}x{a.width} batch {a.batch}: {ips:.1f} img/s, "
          f"{flops / 1e9:.1f} GFLOP/img, {tflops:.2f} TFLOP/s" +
          (f", MFU {mfu:.1%} of {a.peak_tflops:g}" if a.peak_tflops > 0 else ""))
    print(f"RESULT impl=pytorch task={a.method} height={a.height} width={a.width} batch={a.batch} "
          f"bf16={int(a.bf16)} channels_last={int(a.channels_last)} img_per_s={ips:.2f} "
          f"params={params} gflop_per_img={flops / 1e9:.3f} tflop_per_s={tflops:.3f} mfu={mfu:.4f}")


if __name__ == "__main__":
    main()
