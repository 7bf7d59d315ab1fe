#pragma once
// The denoising autoencoder's loss, exposed for tests: mean squared error between the
// reconstruction and the clean image.
#include <ATen/Tensor.h>

namespace loce::ssl {

at::Tensor denoising_loss(const at::Tensor& reconstruction, const at::Tensor& clean);

}  // namespace loce::ssl
