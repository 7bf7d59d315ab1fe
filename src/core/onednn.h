#pragma once
// Whether LibTorch's CPU operators may use oneDNN (MKL-DNN): convolutions, transposed
// convolutions, and our own float32 products (core/matmul.h).
//
// With LibTorch 1.13 (Debian 12, oneDNN 2.6) they are right and fast, and stay on. With LibTorch
// 2.6 (Debian 13, oneDNN 3.7) on the AMD Zen 5 VMs here they were wrong: the pretraining's
// transposed convolutions gave NaN gradients at the first step (the U-Net's loss finite; the
// same run with oneDNN off, or with the bilinear decoder, trains), and a [7, 33] x [33, 41]
// inner product was off by 17 (also from Python, with Debian 13's python3-torch). The NaN did
// not reproduce outside the pretraining, so no quick check at start-up can tell a good oneDNN
// from a bad one: with LibTorch 2.x, oneDNN is off on the CPU unless
// LOCE_ONEDNN=1 asks for it (LOCE_ONEDNN=0 turns it off with 1.x too). The GPU build's CPU work
// is small (its training and analysis run on the GPU), so it loses little.
#include <string>

namespace loce {

// Applies the rule above to LibTorch's global context; returns a line for the log.
std::string configure_onednn();

}  // namespace loce
