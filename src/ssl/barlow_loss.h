#pragma once
// The Barlow Twins loss (Zbontar et al. 2021), over the *global* batch as in the official
// implementation (facebookresearch/barlowtwins, main.py): the projections are batch-normalised
// with statistics of the whole global batch (SyncBatchNorm there), their cross-correlation is
// summed over ranks, and
//     L = sum_i (1 - c_ii)^2 + lambda * sum_{i != j} c_ij^2.
// Given the projections, N ranks with batch b give exactly the loss of one rank with batch N*b.
// The network before it is not synchronised: the projector's hidden BatchNorm layers (and the
// U-Net's) normalise over each rank's own batch, as DESIGN.md chose (the official code converts
// every BatchNorm to SyncBatchNorm), so runs on different rank counts differ slightly there.
//
// Gradients: the all-reduces are differentiable (their backward all-reduces the incoming
// gradient, as torch.distributed.nn.all_reduce). Every rank holds the same loss, so each rank's
// gradient is N times its share of the global gradient, and the data-parallel average of the
// parameter gradients over N ranks is exactly the one-rank global-batch gradient.
#include <ATen/Tensor.h>

#include "dist/communicator.h"

namespace loce::ssl {

// Sum over ranks with a backward that sums the gradients over ranks.
at::Tensor all_reduce_sum(const at::Tensor& t, dist::Communicator& comm);

// BatchNorm1d(affine=False) in training mode over the global batch: (z - mean) / sqrt(var + eps)
// with the biased variance, both over every rank's rows.
at::Tensor global_batch_norm(const at::Tensor& z, dist::Communicator& comm, double eps = 1e-5);

// c = bn(z1)^T bn(z2) / global batch size, summed over ranks: [D, D].
at::Tensor cross_correlation(const at::Tensor& z1, const at::Tensor& z2, dist::Communicator& comm);

at::Tensor barlow_twins_loss(const at::Tensor& z1, const at::Tensor& z2, double lambda,
                             dist::Communicator& comm);

}  // namespace loce::ssl
