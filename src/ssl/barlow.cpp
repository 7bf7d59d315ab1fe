// Barlow Twins: two views of every image with the official augmentations, the projector on the
// encoder's deepest features, and the cross-correlation loss over the global batch.
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/torch.h>

#include <algorithm>

#include "core/to_device.h"
#include "data/augment.h"
#include "ssl/barlow_loss.h"
#include "ssl/task.h"

namespace loce::ssl {

namespace {

// facebookresearch/barlowtwins' Transform: the two views differ only in how often they are
// blurred (1.0 vs 0.1) and solarised (0.0 vs 0.2).
struct ViewRecipe {
  double blur_p;
  double solarize_p;
};
constexpr ViewRecipe kFirstView{1.0, 0.0};
constexpr ViewRecipe kSecondView{0.1, 0.2};
// Blur sigma ~ U(0.1, 2.0) pixels as there; the kernel covers +-3 sigma of the largest sigma.
constexpr double kSigmaMin = 0.1, kSigmaMax = 2.0;
constexpr int64_t kBlurKernel = 13;

at::Tensor augmented_view(const at::Tensor& x, const ViewRecipe& recipe, at::Generator& gen) {
  const int64_t B = x.size(0), H = x.size(2), W = x.size(3);
  auto v = data::resized_crop(x, data::sample_crop_boxes(B, H, W, gen), H, W);
  v = data::hflip(v, data::sample_apply_mask(B, 0.5, gen));
  v = data::color_jitter(v, data::sample_color_jitter(B, 0.4, 0.4, 0.2, 0.1, 0.8, gen));
  v = data::grayscale(v, data::sample_apply_mask(B, 0.2, gen));
  auto sigma = data::sample_uniform(B, kSigmaMin, kSigmaMax, gen);
  v = data::gaussian_blur(v, sigma, data::sample_apply_mask(B, recipe.blur_p, gen), kBlurKernel);
  v = data::solarize(v, data::sample_apply_mask(B, recipe.solarize_p, gen));
  return data::normalize(v);
}

class BarlowTwins : public Task {
 public:
  explicit BarlowTwins(const TaskOptions& options) : lambda_(options.barlow_lambda) {}
  std::string name() const override { return "barlow"; }
  models::HeadSet heads() const override {
    models::HeadSet h;
    h.projector = true;
    return h;
  }

  TaskBatch make_batch(const data::Batch& batch, const c10::Device& device,
                       at::Generator& gen) const override {
    auto x = data::to_unit_float(to_device(batch.images, device));
    TaskBatch out;
    out.inputs = {augmented_view(x, kFirstView, gen), augmented_view(x, kSecondView, gen)};
    return out;
  }

  TaskLoss loss(models::NetworkImpl& net, const TaskBatch& batch,
                dist::Communicator& comm) const override {
    auto z1 = net.projector->forward(net.encoder->forward(batch.inputs[0]).back());
    auto z2 = net.projector->forward(net.encoder->forward(batch.inputs[1]).back());
    // The loss is taken in fp32 even under bf16 autocast: it sums D^2 squared correlations, and
    // autocast would otherwise run the D x D correlation product in bf16 (the guard lasts to
    // the end of this function; backward runs outside autocast anyway).
    c10::impl::ExcludeDispatchKeyGuard fp32_loss(c10::autocast_dispatch_keyset);
    return {barlow_twins_loss(z1.to(at::kFloat), z2.to(at::kFloat), lambda_, comm), {}};
  }

 private:
  double lambda_;
};

}  // namespace

std::unique_ptr<Task> make_barlow_task(const TaskOptions& options) {
  return std::make_unique<BarlowTwins>(options);
}

}  // namespace loce::ssl
