// Relative patch location as the paper sets it up: the image is cut into a 3x3 grid, one cell is
// drawn at random, resized to the network's input size, randomly grayscaled and mirrored (which
// keeps the cell's position well defined), and the network predicts the cell's absolute index
// (row-major, 0..8) from the encoder's deepest features: 9-way cross-entropy.
#include <torch/torch.h>

#include "core/error.h"
#include "core/to_device.h"
#include "data/augment.h"
#include "ssl/rpl.h"
#include "ssl/task.h"

namespace loce::ssl {

at::Tensor grid_cell_boxes(const at::Tensor& cell, int64_t grid, int64_t height, int64_t width) {
  const double ch = double(height) / double(grid), cw = double(width) / double(grid);
  auto row = at::floor_divide(cell, grid).to(at::kFloat);
  auto col = at::remainder(cell, grid).to(at::kFloat);
  const int64_t B = cell.size(0);
  return at::stack({row * ch, col * cw, at::full({B}, ch), at::full({B}, cw)}, 1);
}

PatchLocationLoss patch_location_loss(const at::Tensor& logits, const at::Tensor& cell) {
  auto l = logits.to(at::kFloat);
  return {at::cross_entropy_loss(l, cell),
          (l.argmax(1) == cell).to(at::kFloat).mean().detach()};
}

namespace {

class RelativePatchLocation : public Task {
 public:
  explicit RelativePatchLocation(const TaskOptions& o)
      : grid_(o.rpl_grid), grayscale_p_(o.rpl_grayscale_p), flip_p_(o.rpl_flip_p) {
    if (grid_ < 2) bad_input("rpl: the grid needs at least 2x2 cells, got ", grid_);
  }
  std::string name() const override { return "rpl"; }
  models::HeadSet heads() const override {
    models::HeadSet h;
    h.classifier = true;
    return h;
  }

  TaskBatch make_batch(const data::Batch& batch, const c10::Device& device,
                       at::Generator& gen) const override {
    auto x = data::to_unit_float(to_device(batch.images, device));
    const int64_t B = x.size(0), H = x.size(2), W = x.size(3);
    auto cell = at::randint(0, grid_ * grid_, {B}, gen, at::kLong);
    auto patch = data::resized_crop(x, grid_cell_boxes(cell, grid_, H, W), H, W);
    patch = data::grayscale(patch, data::sample_apply_mask(B, grayscale_p_, gen));
    patch = data::hflip(patch, data::sample_apply_mask(B, flip_p_, gen));
    TaskBatch out;
    out.inputs = {data::normalize(patch)};
    out.target = to_device(cell, device);
    return out;
  }

  TaskLoss loss(models::NetworkImpl& net, const TaskBatch& batch,
                dist::Communicator&) const override {
    auto logits = net.classifier->forward(net.encoder->forward(batch.inputs[0]).back());
    auto result = patch_location_loss(logits, batch.target);
    return {result.loss, {{"accuracy", result.accuracy}}};
  }

 private:
  int64_t grid_;
  double grayscale_p_, flip_p_;
};

}  // namespace

std::unique_ptr<Task> make_rpl_task(const TaskOptions& options) {
  return std::make_unique<RelativePatchLocation>(options);
}

}  // namespace loce::ssl
