#pragma once
// The LoCE file written by the loce stage (HDF5):
//   /loce/vectors float32 [P, C]   one LoCE per (image, concept) pair
//   /loce/concept int32 [P]        Cityscapes trainId of the concept
//   /loce/image   int32 [P]        index into /images/name
//   /loce/iou, /loce/loss, /loce/area float32 [P]
//   /images/name  strings
//   attributes on /loce: layer, mode, iterations, lr, weight_decay, concepts (names), source
//   (model run), method, git_revision.
// For the analysis the concepts are renumbered 0..K-1 in the order of the `concepts` attribute
// (the paper's order), or of increasing trainId when it is absent.
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
  std::string method, layer, source, git_revision;
  int64_t size() const { return vectors.size(0); }
  int64_t n_concepts() const { return int64_t(concept_names.size()); }
};

// Reads and validates a LoCE file. InputError (naming the file) for: a missing or non-HDF5
// file, missing datasets, mismatched lengths, no LoCE at all, vectors of no channels, NaN or Inf
// in a vector, fewer than two concepts, a concept with fewer than two LoCEs (its intra-class
// distance is undefined). A warning names each concept of the `concepts` attribute that is
// left out (no LoCE of it, or not a Cityscapes class).
LoceSet read_loce_set(const std::string& path);

// Writes a LoCE file in the schema above (used by tests and the benchmark), atomically.
void write_loce_set(const std::string& path, const at::Tensor& vectors, const at::Tensor& train_ids,
                    const std::vector<std::string>& concept_names, const std::string& method);

// Name of a Cityscapes trainId (0..18), "class<id>" for others.
std::string train_id_name(int64_t train_id);
// trainId of a Cityscapes class name (spaces or underscores), -1 when unknown.
int64_t train_id_of(const std::string& name);

}  // namespace loce::analysis
