#pragma once
// The LoCE file written by the loce stage (HDF5):
//   /loce/vectors float32 [P, C]   one LoCE per (image, concept) pair
//   /loce/concept int32 [P]        Cityscapes trainId of the concept (0..18), -1: unknown
//   /loce/image   int32 [P]        index into /images/name
//   /loce/iou, /loce/loss, /loce/area float32 [P]
//   /images/name  strings
//   attributes on /loce: layer, mode, iterations, lr, weight_decay, concepts (names), source
//   (model run), method, git_revision.
// For the analysis the concepts are renumbered 0..K-1 in the order of the `concepts` attribute
// (the paper's order), or of increasing trainId when it is absent. LoCEs of unknown concept
// (-1, named "unknown" in the attribute) are left out of the analysis with a warning that
// counts them.
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::analysis {

struct LoceSet {
  std::string path;
  at::Tensor vectors;                     // [P, C] float32
  at::Tensor concept_index;               // [P] int64 in [0, K)
  std::vector<int64_t> concept_train_ids; // [K]
  std::vector<std::string> concept_names; // [K]
  at::Tensor image, iou, loss, area;      // [P] (undefined when absent)
  std::vector<std::string> image_names;
  at::Tensor rows;               // [P] int64: the analysed rows of the file (all but unknown)
  int64_t unknown_left_out = 0;  // LoCEs of concept -1 left out
  std::string method, layer, source, git_revision;
  int64_t size() const { return vectors.size(0); }
  int64_t n_concepts() const { return int64_t(concept_names.size()); }
};

// Reads and validates a LoCE file. InputError (naming the file) for: a missing or non-HDF5
// file, missing datasets, mismatched lengths, concept ids that are not integers or neither a
// trainId 0..18 nor -1 (the first such row named), no LoCE at all or only LoCEs of unknown
// concept, vectors of no channels, NaN or Inf in a vector, fewer than two concepts, a concept
// with fewer than two LoCEs (its intra-class distance is undefined). A warning names each concept of the `concepts` attribute that is
// left out (no LoCE of it, or not a Cityscapes class).
LoceSet read_loce_set(const std::string& path);

// Writes a LoCE file in the schema above (used by tests and the benchmark), atomically.
void write_loce_set(const std::string& path, const at::Tensor& vectors, const at::Tensor& train_ids,
                    const std::vector<std::string>& concept_names, const std::string& method);

// What the LoCE files call concept -1.
inline const char* const kUnknownConcept = "unknown";

// Name of a Cityscapes trainId (0..18), "unknown" for -1, "class<id>" for others.
std::string train_id_name(int64_t train_id);
// trainId of a Cityscapes class name (spaces or underscores), -1 when unknown.
int64_t train_id_of(const std::string& name);

}  // namespace loce::analysis
