#!/usr/bin/env python3
"""The training-step baseline in PyTorch (Python) for `loce pretrain --method dae`: the same
U-Net (DoubleConv = [3x3 conv without bias, BatchNorm, ReLU] x 2, 2x2 max-pool, 2x2 transposed
conv up, skip concatenation, 1x1 head), the same loss (Gaussian noise sigma 0.1 on [0, 1]
images, MSE against the clean image) and AdamW. Images are random tensors already on the
device, so this measures the step alone (ours also reads and augments its batches).

    tools/bench/train_torch.py [--height 128] [--width 256] [--batch 64] [--steps 20]
                               [--base-width 64] [--depth 4] [--bf16] [--channels-last]
                               [--device cuda] [--threads N]
Prints img/s and a RESULT line.
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


class UNet(nn.Module):
    def __init__(self, base=64, depth=4, cin=3, cout=3):
        super().__init__()
        w = [base * 2 ** l for l in range(depth + 1)]
        self.down = nn.ModuleList([DoubleConv(cin, w[0])] + [DoubleConv(w[l - 1], w[l]) for l in range(1, depth + 1)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(w[l], w[l - 1], 2, stride=2) for l in range(depth, 0, -1)])
        self.fuse = nn.ModuleList([DoubleConv(2 * w[l - 1], w[l - 1]) for l in range(depth, 0, -1)])
        self.head = nn.Conv2d(w[0], cout, 1)

    def forward(self, x):
        feats = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            feats.append(x)
        h = feats[-1]
        for i, (up, fuse) in enumerate(zip(self.up, self.fuse)):
            h = fuse(torch.cat([up(h), feats[-2 - i]], 1))
        return self.head(h)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    net = UNet(a.base_width, a.depth).to(dev).to(memory_format=fmt)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    clean = torch.rand(a.batch, 3, a.height, a.width, device=dev).to(memory_format=fmt)

    def step():
        noisy = clean + 0.1 * torch.randn_like(clean)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.bf16 and dev.type == "cuda"):
            loss = F.mse_loss(net(noisy).float(), clean)
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
    print(f"PyTorch U-Net dae step {a.height}x{a.width} batch {a.batch}: {ips:.1f} img/s")
    print(f"RESULT impl=pytorch task=dae height={a.height} width={a.width} batch={a.batch} "
          f"bf16={int(a.bf16)} channels_last={int(a.channels_last)} img_per_s={ips:.2f}")


if __name__ == "__main__":
    main()
