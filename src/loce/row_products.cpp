#include "loce/row_products.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>

#include "core/cpu_clones.h"
#include "core/error.h"
#include "core/flush_subnormals.h"
#include "core/parallel.h"

// Lanes is passed only between always-inline functions; GCC's note that its ABI depends on
// AVX-512 concerns calls that never happen.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace loce::embedding {
namespace {

// 16 floats: one AVX-512 register, two AVX2 registers, four SSE registers (GCC vector extension,
// so one source serves every clone).
typedef float Lanes __attribute__((vector_size(64)));
constexpr int64_t kLanes = 16;

LOCE_ALWAYS_INLINE Lanes load(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
LOCE_ALWAYS_INLINE void store(float* p, Lanes v) { std::memcpy(p, &v, sizeof v); }

// Work items: project splits each row's columns into chunks whose K outputs stay in L1;
// back-project splits each row's channels into blocks. Every output element is summed in the
// same order however the columns are chunked (chunks start at multiples of the vector width, so
// the scalar tail is always the row's last hw % 16 columns), hence whatever the thread count.
constexpr int64_t kColumnChunk = 1024;  // at most; see column_chunk
constexpr int64_t kChannelBlock = 64;
constexpr int kProjectRows = 8;      // rows of A folded into the outputs per pass over a chunk
constexpr int kBackRows = 4;         // rows of A whose dot products share each load of R
constexpr int kMaxProjectConcepts = 8;
constexpr int kMaxBackConcepts = 6;  // 6 x 4 accumulators + 5 operands fit 32 registers

struct Operands {
  const float* a;  // [n, C, hw]
  const float* x;  // project: V [n, K, C]; back-project: R [n, K, hw]
  float* out;      // project: Z [n, K, hw]; back-project: G [n, K, C]
  int64_t K, C, hw;
};

// z[k, j0:j1] += sum_{c in [cb, ce)} v[k, c] a[c, j0:j1] for KB concepts (v rows C apart,
// z rows hw apart).
template <int KB>
LOCE_ALWAYS_INLINE void project_chunk(const float* a, const float* v, float* z, int64_t C,
                                      int64_t hw, int64_t j0, int64_t j1, int64_t cb,
                                      int64_t ce) {
  constexpr int RB = kProjectRows;
  const int64_t jv = j0 + (j1 - j0) / kLanes * kLanes;
  int64_t c0 = cb;
  for (; c0 + RB <= ce; c0 += RB) {
    float w[KB][RB];
    for (int k = 0; k < KB; ++k)
      for (int c = 0; c < RB; ++c) w[k][c] = v[k * C + c0 + c];
    const float* ac = a + c0 * hw;
    for (int64_t j = j0; j < jv; j += kLanes) {
      Lanes x[RB];
      for (int c = 0; c < RB; ++c) x[c] = load(ac + c * hw + j);
      for (int k = 0; k < KB; ++k) {
        Lanes s = load(z + k * hw + j);
        for (int c = 0; c < RB; ++c) s += w[k][c] * x[c];
        store(z + k * hw + j, s);
      }
    }
    for (int64_t j = jv; j < j1; ++j)
      for (int k = 0; k < KB; ++k) {
        float s = z[k * hw + j];
        for (int c = 0; c < RB; ++c) s += w[k][c] * ac[c * hw + j];
        z[k * hw + j] = s;
      }
  }
  for (; c0 < ce; ++c0)
    for (int k = 0; k < KB; ++k) {
      const float w = v[k * C + c0];
      for (int64_t j = j0; j < j1; ++j) z[k * hw + j] += w * a[c0 * hw + j];
    }
}

// g[k, c] = sum_j r[k, j] a[c, j] for KB concepts and channels [c0, c1) (g rows C apart).
template <int KB>
LOCE_ALWAYS_INLINE void back_project_block(const float* a, const float* r, float* g, int64_t C,
                                           int64_t hw, int64_t c0, int64_t c1) {
  constexpr int RB = kBackRows;
  const int64_t jv = hw / kLanes * kLanes;
  for (int64_t cb = c0; cb < c1; cb += RB) {
    const int nc = int(std::min<int64_t>(RB, c1 - cb));
    const float* ac = a + cb * hw;
    Lanes acc[KB][RB];
    for (int k = 0; k < KB; ++k)
      for (int c = 0; c < RB; ++c) acc[k][c] = Lanes{};
    if (nc == RB) {
      for (int64_t j = 0; j < jv; j += kLanes) {
        Lanes x[RB];
        for (int c = 0; c < RB; ++c) x[c] = load(ac + c * hw + j);
        for (int k = 0; k < KB; ++k) {
          const Lanes y = load(r + k * hw + j);
          for (int c = 0; c < RB; ++c) acc[k][c] += y * x[c];
        }
      }
    } else {
      for (int c = 0; c < nc; ++c)
        for (int64_t j = 0; j < jv; j += kLanes) {
          const Lanes x = load(ac + c * hw + j);
          for (int k = 0; k < KB; ++k) acc[k][c] += load(r + k * hw + j) * x;
        }
    }
    for (int k = 0; k < KB; ++k)
      for (int c = 0; c < nc; ++c) {
        float s = 0.0f;
        for (int l = 0; l < kLanes; ++l) s += acc[k][c][l];
        for (int64_t j = jv; j < hw; ++j) s += r[k * hw + j] * ac[c * hw + j];
        g[k * C + cb + c] = s;
      }
  }
}

// Calls block.run<KB>(k0) for a row's concepts in blocks [k0, k0 + KB) of at most Max, KB a
// compile-time constant so that each block's accumulators live in registers. Each block is one
// pass over the row's activations.
template <int KB, typename Block>
LOCE_ALWAYS_INLINE void run_block(int64_t kb, int64_t k0, const Block& block) {
  if constexpr (KB == 1) {
    block.template run<1>(k0);
  } else if (kb == KB) {
    block.template run<KB>(k0);
  } else {
    run_block<KB - 1>(kb, k0, block);
  }
}

template <int Max, typename Block>
LOCE_ALWAYS_INLINE void for_concept_blocks(int64_t K, const Block& block) {
  for (int64_t k0 = 0; k0 < K; k0 += Max) run_block<Max>(std::min<int64_t>(Max, K - k0), k0, block);
}

// Columns [j0, j1) of one row's projections, summed over channels [c0, c1) into z (rows hw
// apart, K of them).
struct ProjectBlock {
  const Operands& o;
  int64_t row, j0, j1, c0, c1;
  float* z;
  template <int KB>
  LOCE_ALWAYS_INLINE void run(int64_t k0) const {
    project_chunk<KB>(o.a + row * o.C * o.hw, o.x + (row * o.K + k0) * o.C, z + k0 * o.hw, o.C,
                      o.hw, j0, j1, c0, c1);
  }
};

// Channels [c0, c1) of one row's back-projections.
struct BackProjectBlock {
  const Operands& o;
  int64_t row, c0, c1;
  template <int KB>
  LOCE_ALWAYS_INLINE void run(int64_t k0) const {
    back_project_block<KB>(o.a + row * o.C * o.hw, o.x + (row * o.K + k0) * o.hw,
                           o.out + (row * o.K + k0) * o.C, o.C, o.hw, c0, c1);
  }
};

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Columns per project work item. A CPU chunk is often one full-resolution row (6400 columns:
// 7 chunks of 1024, split 4 + 3 over two threads, one of them a 256-column stub: 20% slower),
// so a row is cut into as many equal chunks as let the items divide evenly among the threads.
int64_t column_chunk(int64_t n, int64_t hw) {
  const int64_t threads = std::max(1, at::get_num_threads());
  const int64_t fewest = ceil_div(hw, kColumnChunk);
  for (int64_t per_row = fewest; per_row <= 2 * fewest; ++per_row)
    if ((n * per_row) % threads == 0) return ceil_div(ceil_div(hw, per_row), kLanes) * kLanes;
  return kColumnChunk;
}

LOCE_CPU_CLONES void project_items(const Operands& o, int64_t width, int64_t first,
                                   int64_t last) {
  FlushSubnormals flush;
  const int64_t chunks = ceil_div(o.hw, width);
  for (int64_t item = first; item < last; ++item) {
    const int64_t row = item / chunks, j0 = (item % chunks) * width;
    const int64_t j1 = std::min(j0 + width, o.hw);
    float* z = o.out + row * o.K * o.hw;
    for (int64_t k = 0; k < o.K; ++k) std::memset(z + k * o.hw + j0, 0, sizeof(float) * (j1 - j0));
    for_concept_blocks<kMaxProjectConcepts>(o.K, ProjectBlock{o, row, j0, j1, 0, o.C, z});
  }
}

LOCE_CPU_CLONES void back_project_items(const Operands& o, int64_t first, int64_t last) {
  FlushSubnormals flush;
  const int64_t blocks = ceil_div(o.C, kChannelBlock);
  for (int64_t item = first; item < last; ++item) {
    const int64_t row = item / blocks, c0 = (item % blocks) * kChannelBlock;
    for_concept_blocks<kMaxBackConcepts>(
        o.K, BackProjectBlock{o, row, c0, std::min(c0 + kChannelBlock, o.C)});
  }
}

// The fused iteration. Each row's channels are cut into kFusedParts parts of whole blocks of
// kFusedBlock channels; a work item is one part of one row and sums its channels' share of Z
// into a partial sum of its own. The blocks' order inside a part, the parts and their final sum
// are fixed by the shapes, so Z does not depend on the thread count.
constexpr int64_t kFusedBlock = 16;  // channels whose activations (400 KB at 64x100) stay in L2
constexpr int64_t kFusedParts = 8;

struct FusedOperands {
  Operands back;     // A, R, G
  Operands project;  // A, V (x), partial sums (out: [n, parts, K, hw])
  int64_t parts;
  const ChannelBlockUpdate* update;
};

LOCE_CPU_CLONES void fused_items(const FusedOperands& f, int64_t first, int64_t last) {
  FlushSubnormals flush;
  const int64_t K = f.back.K, C = f.back.C, hw = f.back.hw;
  const int64_t blocks = ceil_div(C, kFusedBlock);
  for (int64_t item = first; item < last; ++item) {
    const int64_t row = item / f.parts, part = item % f.parts;
    float* z = f.project.out + item * K * hw;
    std::memset(z, 0, sizeof(float) * K * hw);
    for (int64_t b = part * blocks / f.parts; b < (part + 1) * blocks / f.parts; ++b) {
      const int64_t c0 = b * kFusedBlock, c1 = std::min(c0 + kFusedBlock, C);
      for_concept_blocks<kMaxBackConcepts>(K, BackProjectBlock{f.back, row, c0, c1});
      (*f.update)(row, c0, c1, f.back.out + row * K * C);
      for (int64_t j0 = 0; j0 < hw; j0 += kColumnChunk)
        for_concept_blocks<kMaxProjectConcepts>(
            K, ProjectBlock{f.project, row, j0, std::min(j0 + kColumnChunk, hw), c0, c1, z});
    }
  }
}

bool use_stream(RowProductKernel kernel, const at::Tensor& a) {
  const bool float32_cpu = cpu_loops_take(a);
  if (kernel == RowProductKernel::StreamCpu)
    LOCE_CHECK(float32_cpu, "row products: the streaming kernels take float32 CPU tensors, got ",
               a.scalar_type(), " on ", a.device().str());
  return kernel != RowProductKernel::Bmm && float32_cpu;
}

void check_shapes(const at::Tensor& a, const at::Tensor& x, int64_t x_last, const char* what) {
  LOCE_CHECK(a.dim() == 3 && x.dim() == 3 && x.size(0) == a.size(0) && x.size(2) == x_last,
             "row products: ", what, " ", x.sizes(), " does not fit activations ", a.sizes());
}

}  // namespace

at::Tensor project_rows(const at::Tensor& activations, const at::Tensor& vectors,
                        RowProductKernel kernel) {
  check_shapes(activations, vectors, activations.size(1), "vectors");
  if (!use_stream(kernel, activations)) return torch::bmm(vectors, activations);
  const at::Tensor a = activations.contiguous(), v = vectors.contiguous().to(at::kFloat);
  const int64_t n = a.size(0), C = a.size(1), hw = a.size(2), K = v.size(1);
  at::Tensor z = torch::empty({n, K, hw}, a.options());
  const Operands o{a.data_ptr<float>(), v.data_ptr<float>(), z.data_ptr<float>(), K, C, hw};
  const int64_t width = column_chunk(n, hw);
  parallel_ranges(n * ceil_div(hw, width),
                  [&](int64_t first, int64_t last) { project_items(o, width, first, last); });
  return z;
}

at::Tensor back_project_rows(const at::Tensor& activations, const at::Tensor& grid_gradients,
                             RowProductKernel kernel) {
  check_shapes(activations, grid_gradients, activations.size(2), "gradients");
  if (!use_stream(kernel, activations)) return torch::bmm(grid_gradients, activations.transpose(1, 2));
  const at::Tensor a = activations.contiguous(), r = grid_gradients.contiguous().to(at::kFloat);
  const int64_t n = a.size(0), C = a.size(1), hw = a.size(2), K = r.size(1);
  at::Tensor g = torch::empty({n, K, C}, a.options());
  const Operands o{a.data_ptr<float>(), r.data_ptr<float>(), g.data_ptr<float>(), K, C, hw};
  parallel_ranges(n * ceil_div(C, kChannelBlock),
                  [&](int64_t first, int64_t last) { back_project_items(o, first, last); });
  return g;
}

at::Tensor back_project_update_project(const at::Tensor& activations,
                                      const at::Tensor& grid_gradients, const at::Tensor& vectors,
                                      const ChannelBlockUpdate& update) {
  check_shapes(activations, grid_gradients, activations.size(2), "gradients");
  check_shapes(activations, vectors, activations.size(1), "vectors");
  use_stream(RowProductKernel::StreamCpu, activations);  // float32 CPU only
  LOCE_CHECK(vectors.is_contiguous() && cpu_loops_take(vectors) &&
                 vectors.size(1) == grid_gradients.size(1),
             "row products: the fused iteration updates contiguous float32 CPU vectors, got ",
             vectors.sizes(), " ", vectors.scalar_type(), " for gradients ", grid_gradients.sizes());
  const at::Tensor a = activations.contiguous(), r = grid_gradients.contiguous().to(at::kFloat);
  const int64_t n = a.size(0), C = a.size(1), hw = a.size(2), K = r.size(1);
  const int64_t parts = std::min(kFusedParts, ceil_div(C, kFusedBlock));
  at::Tensor g = torch::empty({n, K, C}, a.options());
  at::Tensor partial = torch::empty({n, parts, K, hw}, a.options());
  const float* ap = a.data_ptr<float>();
  const FusedOperands f{{ap, r.data_ptr<float>(), g.data_ptr<float>(), K, C, hw},
                        {ap, vectors.data_ptr<float>(), partial.data_ptr<float>(), K, C, hw},
                        parts,
                        &update};
  parallel_ranges(n * parts, [&](int64_t first, int64_t last) { fused_items(f, first, last); });
  // Z = the parts' partial sums added in part order.
  at::Tensor z = torch::empty({n, K, hw}, a.options());
  const float* p = partial.data_ptr<float>();
  float* zp = z.data_ptr<float>();
  const int64_t per_row = K * hw;
  parallel_ranges(n * per_row, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      const float* src = p + (i / per_row) * parts * per_row + i % per_row;
      float sum = src[0];
      for (int64_t q = 1; q < parts; ++q) sum += src[q * per_row];
      zp[i] = sum;
    }
  }, int64_t(1) << 15);
  return z;
}

}  // namespace loce::embedding
