// Denoising autoencoder: the clean image in [0, 1] plus Gaussian noise (sigma 0.1) goes through
// the full U-Net (encoder and reconstruction decoder), which must give back the clean image; MSE.
#include <torch/torch.h>

#include "core/to_device.h"
#include "data/augment.h"
#include "ssl/dae.h"
#include "ssl/task.h"

namespace loce::ssl {

at::Tensor denoising_loss(const at::Tensor& reconstruction, const at::Tensor& clean) {
  return at::mse_loss(reconstruction.to(at::kFloat), clean.to(at::kFloat));
}

namespace {

class DenoisingAutoencoder : public Task {
 public:
  explicit DenoisingAutoencoder(const TaskOptions& options) : sigma_(options.dae_sigma) {}
  std::string name() const override { return "dae"; }
  models::HeadSet heads() const override {
    models::HeadSet h;
    h.reconstruction = true;
    return h;
  }

  TaskBatch make_batch(const data::Batch& batch, const c10::Device& device,
                       at::Generator& gen) const override {
    auto clean = data::to_unit_float(to_device(batch.images, device));
    TaskBatch out;
    out.inputs = {data::normalize(data::gaussian_noise(clean, sigma_, gen))};
    out.target = clean;
    return out;
  }

  TaskLoss loss(models::NetworkImpl& net, const TaskBatch& batch,
                dist::Communicator&) const override {
    auto reconstruction = net.reconstruction->forward(net.encoder->forward(batch.inputs[0]));
    return {denoising_loss(reconstruction, batch.target), {}};
  }

 private:
  double sigma_;
};

}  // namespace

std::unique_ptr<Task> make_dae_task(const TaskOptions& options) {
  return std::make_unique<DenoisingAutoencoder>(options);
}

}  // namespace loce::ssl
