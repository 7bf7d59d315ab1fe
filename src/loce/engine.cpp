#include "loce/engine.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "loce/optimizer.h"
#include "loce/pair_plan.h"

namespace loce::embedding {
namespace {

struct Plan {
  at::Tensor skip;   // uint8 [rows, K]
  at::Tensor area;   // float32 [rows, K]
  at::Tensor batch;  // float32 [rows, K]: reference batch size, 0 = not optimised
};

// Every rank evaluates every mask (cheap next to the optimisation) so that the plan, and hence
// the reference batching and the sharding, are identical everywhere without communication.
// For the same reason a bad mask is found by every rank at once: a CollectiveInputError.
Plan make_plan(const RowSource& src, const OptimizerSettings& s, const c10::Device& device) try {
  const int64_t per_row = std::max<int64_t>(1, src.slots * src.mask_h * src.mask_w * 8 * 3);
  const int64_t rows_per_chunk = std::max<int64_t>(1, s.memory_budget_bytes / per_row);
  Plan plan;
  std::vector<at::Tensor> skips, areas;
  for (int64_t first = 0; first < src.rows; first += rows_per_chunk) {
    const int64_t count = std::min(rows_per_chunk, src.rows - first);
    Targets t = make_targets(src.masks(first, count).to(device), src.act_h, src.act_w, s);
    skips.push_back(t.skip);
    areas.push_back(t.area);
  }
  plan.skip = torch::cat(skips);
  plan.area = torch::cat(areas);
  plan.batch = reference_batch_sizes(plan.skip, s.reference_batch);
  return plan;
} catch (const CollectiveInputError&) {
  throw;
} catch (const InputError& e) {
  throw CollectiveInputError(e.what());
}

// One rank's kept pairs, flattened for the byte gather.
struct Part {
  std::vector<int64_t> row, slot;
  std::vector<float> iou, loss, area, vectors;
  int64_t non_finite = 0;
};

template <class T>
void put(std::string& out, const std::vector<T>& v) {
  const int64_t n = int64_t(v.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <class T>
std::vector<T> take(const std::string& in, size_t& pos) {
  int64_t n = 0;
  LOCE_CHECK(pos + sizeof n <= in.size(), "LoCE gather: truncated message");
  std::memcpy(&n, in.data() + pos, sizeof n);
  pos += sizeof n;
  LOCE_CHECK(n >= 0 && pos + size_t(n) * sizeof(T) <= in.size(), "LoCE gather: truncated message");
  std::vector<T> v(n);
  std::memcpy(v.data(), in.data() + pos, size_t(n) * sizeof(T));
  pos += size_t(n) * sizeof(T);
  return v;
}

std::string pack(const Part& p) {
  std::string out;
  put(out, std::vector<int64_t>{p.non_finite});
  put(out, p.row);
  put(out, p.slot);
  put(out, p.iou);
  put(out, p.loss);
  put(out, p.area);
  put(out, p.vectors);
  return out;
}

Part unpack(const std::string& bytes) {
  Part p;
  size_t pos = 0;
  p.non_finite = take<int64_t>(bytes, pos).at(0);
  p.row = take<int64_t>(bytes, pos);
  p.slot = take<int64_t>(bytes, pos);
  p.iou = take<float>(bytes, pos);
  p.loss = take<float>(bytes, pos);
  p.area = take<float>(bytes, pos);
  p.vectors = take<float>(bytes, pos);
  return p;
}

// `read` over ascending rows that need not be consecutive: one call per run of consecutive rows
// (rows with no kept pair are left out, and nothing is read for them), concatenated.
at::Tensor read_rows(const std::function<at::Tensor(int64_t, int64_t)>& read,
                     const std::vector<int64_t>& rows) {
  std::vector<at::Tensor> runs;
  for (size_t i = 0; i < rows.size();) {
    size_t j = i + 1;
    while (j < rows.size() && rows[j] == rows[j - 1] + 1) ++j;
    runs.push_back(read(rows[i], int64_t(j - i)));
    i = j;
  }
  return runs.size() == 1 ? runs[0] : torch::cat(runs);
}

// Optimises `rows` (ascending, each with a kept pair) and appends their kept pairs to `part`.
int64_t optimise_chunk(const RowSource& src, const OptimizerSettings& s, const Plan& plan,
                       const c10::Device& device, const std::vector<int64_t>& rows, Part& part) {
  const int64_t count = int64_t(rows.size());
  at::Tensor acts = read_rows(src.activations, rows).to(device, torch::kFloat32).contiguous();
  LOCE_CHECK(acts.dim() == 4 && acts.size(0) == count && acts.size(1) == src.channels &&
                 acts.size(2) == src.act_h && acts.size(3) == src.act_w,
             "LoCE: activations of rows ", rows.front(), "..", rows.back(), " have shape ",
             acts.sizes(), ", expected [", count, ", ", src.channels, ", ", src.act_h, ", ",
             src.act_w, "]");
  at::Tensor masks = read_rows(src.masks, rows).to(device);
  Targets t = make_targets(masks, src.act_h, src.act_w, s);
  at::Tensor batch = plan.batch.index_select(0, torch::tensor(rows, torch::kInt64));
  Solution sol = optimize({acts, t.target, t.positive_weight, batch.to(device)}, s);

  at::Tensor vectors = sol.vectors.cpu().contiguous();
  at::Tensor iou = mask_iou(sol.logits, masks, s.mode).contiguous();
  at::Tensor loss = sol.loss.cpu().contiguous();
  at::Tensor finite = sol.finite.cpu();
  auto b = batch.accessor<float, 2>();
  auto a = plan.area.accessor<float, 2>();
  auto fin = finite.accessor<bool, 2>();
  auto io = iou.accessor<float, 2>();
  auto lo = loss.accessor<float, 2>();
  const int64_t K = src.slots, C = src.channels;
  const float* vec = vectors.data_ptr<float>();
  int64_t kept = 0;
  for (int64_t r = 0; r < count; ++r) {
    for (int64_t k = 0; k < K; ++k) {
      if (b[r][k] <= 0) continue;
      ++kept;
      if (!fin[r][k]) {
        ++part.non_finite;
        continue;
      }
      part.row.push_back(rows[r]);
      part.slot.push_back(k);
      part.iou.push_back(io[r][k]);
      part.loss.push_back(lo[r][k]);
      part.area.push_back(a[rows[r]][k]);
      const float* v = vec + (r * K + k) * C;
      part.vectors.insert(part.vectors.end(), v, v + C);
    }
  }
  return kept;
}

}  // namespace

EmbedResult run_embedding(const RowSource& src, const OptimizerSettings& s,
                          const c10::Device& device, dist::Communicator& comm) {
  try {
    s.validate();
  } catch (const InputError& e) {
    throw CollectiveInputError(e.what());  // the same flags on every rank
  }
  LOCE_CHECK(src.rows >= 0 && src.slots >= 1 && src.channels >= 1 && src.act_h >= 1 &&
                 src.act_w >= 1 && src.mask_h >= 1 && src.mask_w >= 1,
             "LoCE: row source has empty dimensions");
  EmbedResult result;
  result.considered = src.rows * src.slots;
  if (src.rows == 0) bad_input("LoCE: no rows to embed");

  Plan plan = make_plan(src, s, device);
  for (int code = 1; code < kNumSkipReasons; ++code)
    result.skipped[code] = (plan.skip == code).sum().item<int64_t>();
  const int64_t total = (plan.batch > 0).sum().item<int64_t>();

  // Every rank knows every rank's rows and chunks, so all take part in the same number of
  // progress reductions.
  const int world = comm.size(), rank = comm.rank();
  const std::vector<std::vector<int64_t>> shards = shard_kept_rows(plan.batch, world);
  const int64_t row_bytes = bytes_per_row(src.channels, src.act_h, src.act_w, src.slots,
                                          src.mask_h, src.mask_w, s);
  const int64_t chunk_bytes = device.is_cpu() ? std::min(s.memory_budget_bytes, s.cpu_chunk_bytes)
                                               : s.memory_budget_bytes;
  const int64_t rows_per_chunk = std::max<int64_t>(1, chunk_bytes / row_bytes);
  size_t steps = 0;
  int64_t rows_optimised = 0;
  for (const std::vector<int64_t>& shard : shards) {
    steps = std::max(steps, chunk_rows(0, int64_t(shard.size()), rows_per_chunk).size() - 1);
    rows_optimised += int64_t(shard.size());
  }
  const std::vector<int64_t>& my_rows = shards[rank];
  const std::vector<int64_t> mine = chunk_rows(0, int64_t(my_rows.size()), rows_per_chunk);
  log::info("LoCE ", to_string(s.mode), ": ", total, " pairs of ", result.considered, " (",
            src.rows, " rows x ", src.slots, " concepts; ", rows_optimised,
            " rows with a kept pair), ", world, " rank(s), chunks of ", rows_per_chunk,
            " rows, device ", device.str());

  Progress progress("LoCE", total, "pairs");
  Part part;
  for (size_t step = 0; step < steps; ++step) {
    int64_t done = 0;
    if (step + 1 < mine.size()) {
      const std::vector<int64_t> rows(my_rows.begin() + mine[step],
                                      my_rows.begin() + mine[step + 1]);
      done = optimise_chunk(src, s, plan, device, rows, part);
    }
    if (world > 1) {
      at::Tensor t = torch::tensor({done}, torch::kInt64);
      comm.all_reduce(t, dist::ReduceOp::Sum);
      done = t.item<int64_t>();
    }
    progress.advance(done);
  }
  progress.finish();

  std::vector<Part> parts;
  if (world > 1) {
    for (const std::string& bytes : comm.gather_bytes(pack(part), 0)) parts.push_back(unpack(bytes));
  } else {
    parts.push_back(std::move(part));
  }
  if (rank != 0) return result;

  Part all;
  for (Part& p : parts) {
    all.non_finite += p.non_finite;
    all.row.insert(all.row.end(), p.row.begin(), p.row.end());
    all.slot.insert(all.slot.end(), p.slot.begin(), p.slot.end());
    all.iou.insert(all.iou.end(), p.iou.begin(), p.iou.end());
    all.loss.insert(all.loss.end(), p.loss.begin(), p.loss.end());
    all.area.insert(all.area.end(), p.area.begin(), p.area.end());
    all.vectors.insert(all.vectors.end(), p.vectors.begin(), p.vectors.end());
  }
  result.skipped[int(Skip::NonFinite)] = all.non_finite;
  for (int code = 1; code < kNumSkipReasons; ++code)
    if (result.skipped[code] > 0)
      log::info("skipped ", result.skipped[code], " pair(s): ", to_string(Skip(code)));
  const int64_t P = int64_t(all.row.size());
  auto f32 = [](std::vector<float>& v) { return torch::tensor(v, torch::kFloat32); };
  result.row = torch::tensor(all.row, torch::kInt64);
  result.slot = torch::tensor(all.slot, torch::kInt64);
  result.iou = f32(all.iou);
  result.loss = f32(all.loss);
  result.area = f32(all.area);
  result.vectors = f32(all.vectors).reshape({P, src.channels});
  result.iou_zero = (result.iou == 0).sum().item<int64_t>();
  if (result.iou_zero > 0)
    log::info(result.iou_zero, " of ", P, " LoCE(s) have IoU 0 (the reference reports them as ",
              "not converged)");
  return result;
}

}  // namespace loce::embedding
