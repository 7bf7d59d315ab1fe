// loce embed: Local Concept Embeddings (src/loce). Thin: flags -> OptimizerSettings -> engine.
#include "app/command.h"
#include "core/error.h"
#include "dist/world.h"
#include "loce/from_activations.h"
#include "loce/settings.h"

namespace loce::app {
namespace {

struct EmbedOptions {
  std::string from_activations, out;
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
  sub->add_option("--from-activations", o->from_activations,
                  "HDF5 with /activations [P,C,h,w] and /masks [P,H,W] (one row per pair)")
      ->required()->check(CLI::ExistingFile);
  sub->add_option("--out", o->out, "Output LoCE HDF5 file")->required();
  sub->add_option("--mode", o->mode,
                  "reference: the published implementation (100x100 grid, pseudo-BCE); "
                  "native: the activation's own grid, balanced BCE with logits")
      ->check(CLI::IsMember({"reference", "native"}))->capture_default_str();
  sub->add_option("--iterations", s.iterations, "AdamW iterations")->capture_default_str();
  sub->add_option("--lr", s.lr, "AdamW learning rate")->capture_default_str();
  sub->add_option("--beta1", s.beta1, "AdamW beta1")->capture_default_str();
  sub->add_option("--beta2", s.beta2, "AdamW beta2")->capture_default_str();
  sub->add_option("--eps", s.eps, "AdamW eps")->capture_default_str();
  sub->add_option("--weight-decay", s.weight_decay, "AdamW decoupled weight decay")
      ->capture_default_str();
  sub->add_option("--grid", o->grid, "reference mode: side of the square optimisation grid")
      ->capture_default_str();
  sub->add_option("--reference-batch", s.reference_batch,
                  "reference mode: the reference's batch of pairs (enters through 1/B^2)")
      ->capture_default_str();
  sub->add_option("--mask-resize", o->mask_resize,
                  "native mode: masks to the activation grid as covered fraction or nearest")
      ->check(CLI::IsMember({"area", "nearest"}))->capture_default_str();
  sub->add_option("--min-area", s.min_area, "skip pairs whose mask covers less than this fraction")
      ->capture_default_str();
  sub->add_option("--memory-budget", o->memory_budget_mib,
                  "MiB of working memory per optimisation chunk")->capture_default_str();
  return [o](const Context& ctx) {
    embedding::OptimizerSettings s = o->settings;
    s.mode = embedding::parse_mode(o->mode);
    s.mask_resize = embedding::parse_mask_resize(o->mask_resize);
    s.grid_h = s.grid_w = o->grid;
    s.memory_budget_bytes = int64_t(o->memory_budget_mib * 1024 * 1024);
    auto comm = dist::cpu_communicator();
    embedding::embed_from_activations(o->from_activations, o->out, s, ctx.device, *comm);
    return 0;
  };
}

const CommandRegistration registration("embed", setup_embed);

}  // namespace
}  // namespace loce::app
