// loce embed: Local Concept Embeddings (src/loce). Thin: flags -> OptimizerSettings -> engine.
#include <torch/torch.h>

#include "app/command.h"
#include "core/error.h"
#include "data/augment.h"
#include "data/cache.h"
#include "dist/world.h"
#include "loce/extraction.h"
#include "loce/from_activations.h"
#include "loce/loce_file.h"
#include "loce/settings.h"
#include "train/run_dir.h"

namespace loce::app {
namespace {

struct EmbedOptions {
  std::string from_activations, out;
  std::string model, data, split = "val";
  std::vector<std::string> concepts;
  int level = -1;
  int64_t batch_size = 8;
  std::string mode = "reference", mask_resize = "area";
  embedding::OptimizerSettings settings;
  int64_t grid = 100;
  double memory_budget_mib = 2048;
};

RunFn setup_embed(CLI::App& cli) {
  auto o = std::make_shared<EmbedOptions>();
  auto& s = o->settings;
  auto* sub = cli.add_subcommand(
      "embed", "Optimise one LoCE per (image, concept) pair; mpirun -np N shards the pairs");
  auto* from = sub->add_option("--from-activations", o->from_activations,
                               "HDF5 with /activations [P,C,h,w] and /masks [P,H,W] (one row per pair)")
                    ->check(CLI::ExistingFile);
  auto* model = sub->add_option("--model", o->model, "Pretrained run folder (or checkpoint) whose encoder is probed");
  from->excludes(model);
  sub->add_option("--data", o->data, "Dataset cache (with --model)");
  sub->add_option("--split", o->split, "Cache split (with --model)")->capture_default_str();
  sub->add_option("--concepts", o->concepts,
                  "Concepts by class name (default: road, building, vegetation, car, person)")
      ->delimiter(',');
  sub->add_option("--level", o->level, "Encoder level to probe (-1: the deepest)")->capture_default_str();
  sub->add_option("--batch-size", o->batch_size, "Images per encoder forward pass")->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--out", o->out, "Output LoCE HDF5 file")->required();
  sub->add_option("--mode", o->mode,
                  "reference: the published implementation (100x100 grid, pseudo-BCE); "
                  "native: the activation's own grid, balanced BCE with logits")
      ->check(CLI::IsMember({"reference", "native"}))->capture_default_str();
  sub->add_option("--iterations", s.iterations, "AdamW iterations")->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--lr", s.lr, "AdamW learning rate")->capture_default_str();
  sub->add_option("--beta1", s.beta1, "AdamW beta1")->capture_default_str();
  sub->add_option("--beta2", s.beta2, "AdamW beta2")->capture_default_str();
  sub->add_option("--eps", s.eps, "AdamW eps")->capture_default_str();
  sub->add_option("--weight-decay", s.weight_decay, "AdamW decoupled weight decay")
      ->capture_default_str();
  sub->add_option("--grid", o->grid, "reference mode: side of the square optimisation grid")
      ->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--reference-batch", s.reference_batch,
                  "reference mode: the reference's batch of pairs (enters through 1/B^2)")
      ->capture_default_str()
      ->check(at_least_one());
  sub->add_option("--mask-resize", o->mask_resize,
                  "native mode: masks to the activation grid as covered fraction or nearest")
      ->check(CLI::IsMember({"area", "nearest"}))->capture_default_str();
  sub->add_option("--min-area", s.min_area, "skip pairs whose mask covers less than this fraction")
      ->capture_default_str();
  sub->add_option("--memory-budget", o->memory_budget_mib,
                  "MiB of working memory per optimisation chunk")->capture_default_str()
      ->check(finite_in(1, 1 << 30));  // before its cast to bytes: NaN would not survive it
  return [o](const Context& ctx) {
    embedding::OptimizerSettings s = o->settings;
    s.mode = embedding::parse_mode(o->mode);
    s.mask_resize = embedding::parse_mask_resize(o->mask_resize);
    s.grid_h = s.grid_w = o->grid;
    s.memory_budget_bytes = int64_t(o->memory_budget_mib * 1024 * 1024);
    auto comm = dist::cpu_communicator();
    if (!o->from_activations.empty()) {
      embedding::embed_from_activations(o->from_activations, o->out, s, ctx.device, *comm);
      return 0;
    }
    if (o->model.empty() || o->data.empty())
      bad_input("embed: give --from-activations FILE, or --model RUN_DIR with --data CACHE");
    // Before the model is loaded: --out must not be the cache it reads (nor a folder...).
    embedding::check_output_path(o->out, *comm, o->data);
    // The encoder of a run over a split of the cache; images are fed as in training.
    // The checkpoint is read once: the run's encoder, method and depth all come from it.
    const train::LoadedRun run = train::load_run(o->model, {}, ctx.device);
    train::check_cache_matches_run(run, o->data);
    auto cache = std::make_shared<data::Cache>(o->data);
    auto encoder = run.network->encoder;
    embedding::EncoderSplit split;
    split.images = cache->size(o->split);
    split.image_names = cache->names(o->split);
    split.model_run = o->model;
    split.method = run.method;
    // Levels 0..depth; -1 names the deepest, recorded by its number.
    const int64_t levels = run.config.depth + 1;
    split.layer = "encoder level " + std::to_string(o->level < 0 ? levels + o->level : o->level) +
                  " of " + std::to_string(levels);
    const std::string split_name = o->split;
    const int level = o->level;
    const c10::Device device = ctx.device;
    // One forward pass per --batch-size window of the split, whichever rows a rank or chunk
    // asks for (aligned_batches): the vectors must not depend on the rank count or the budget.
    split.activations = embedding::aligned_batches(
        split.images, o->batch_size,
        [cache, encoder, split_name, level, device](int64_t first, int64_t count) mutable {
          torch::NoGradGuard no_grad;
          at::Tensor x = data::normalize(
              data::to_unit_float(cache->read_range(split_name, first, count).images));
          return embedding::select_level(encoder->forward(x.to(device)), level);
        });
    split.labels = [cache, split_name](int64_t first, int64_t count) {
      return cache->read_range(split_name, first, count).labels;
    };
    embedding::embed_encoder(split, embedding::parse_concepts(o->concepts), o->out, s, ctx.device, *comm);
    return 0;
  };
}

const CommandRegistration register_embed("embed", setup_embed);

}  // namespace
}  // namespace loce::app
