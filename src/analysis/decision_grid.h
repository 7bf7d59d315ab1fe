#pragma once
// The figure's decision regions (the paper's Fig. 1): a GMM with one full-covariance component
// per concept fitted in the 2-D projection, evaluated on a regular grid covering the points
// (plus a margin); each grid cell gets its most probable component and, through the Hungarian
// matching of components to concepts, a concept.
#include <cstdint>
#include <vector>

#include <ATen/Tensor.h>

namespace loce::analysis {

struct DecisionGrid {
  at::Tensor x, y;          // [G] float64 cell centres along each axis
  at::Tensor component;     // [G, G] int32, row = y index, column = x index
  at::Tensor concept_index; // [G, G] int32, -1 where the component matches no concept
  at::Tensor weights, means, covariances;  // the 2-D GMM, float64
  std::vector<int64_t> component_to_concept;
};

DecisionGrid decision_grid(const at::Tensor& points_2d, const at::Tensor& labels,
                           int64_t n_concepts, int64_t resolution = 200, uint64_t seed = 0,
                           double margin = 0.05);

}  // namespace loce::analysis
