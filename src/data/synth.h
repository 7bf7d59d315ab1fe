#pragma once
// A procedurally generated street-scene dataset in the official Cityscapes layout and label
// encoding, so that every stage (pretraining, fine-tuning, LoCE, analysis) runs without a
// download. Each scene is a small 3-D street (ground plane, facades, an end wall, back rows of
// trees) ray-cast from a camera at driver height, with cars, persons, trees, poles and signs
// painted back to front over it, then lit, hazed and given camera noise.
//
// Written tree (as cityscapesScripts leaves it, plus labelTrainIds as in prepared copies):
//   <out>/leftImg8bit/<split>/<city>/<city>_<seq:06d>_<frame:06d>_leftImg8bit.png   RGB 8-bit
//   <out>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png        grey 8-bit
//   <out>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelTrainIds.png   grey 8-bit
//   <out>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_instanceIds.png     grey 16-bit
//
// Every image is a pure function of (seed, split, index): generating image i never depends on
// images < i, so generation is restartable and parallel, and the same seed gives byte-identical
// files.
#include <cstdint>
#include <string>
#include <vector>

namespace loce::data {

struct SynthOptions {
  std::string out;        // dataset root to create
  int64_t train = 200;    // images in the train split
  int64_t val = 50;       // images in the val split
  int height = 128;
  int width = 256;
  uint64_t seed = 0;
  bool force = false;     // replace an existing non-empty `out`
  int threads = 0;        // worker threads; 0 = hardware concurrency
};

// Throws InputError naming the offending option (sizes, counts, an existing non-empty `out`
// without `force`).
void validate_synth_options(const SynthOptions& options);

// Generates the whole dataset into a temporary sibling of `out` and renames it into place at
// the end, so an interrupted run never leaves a half-written dataset where a reader would
// trust it.
void generate_synthetic_cityscapes(const SynthOptions& options);

// One rendered scene, row-major [height][width] (rgb: [height][width][3]).
struct SynthScene {
  int height = 0;
  int width = 0;
  std::vector<uint8_t> rgb;
  std::vector<uint8_t> label_ids;      // Cityscapes labelIds (not trainIds)
  std::vector<int32_t> instance_ids;   // labelId * 1000 + k for instance classes, else labelId
};

// Renders one scene; deterministic in (scene_seed, height, width).
SynthScene render_synthetic_scene(uint64_t scene_seed, int height, int width);

// The seed of image `index` of `split` ("train" | "val") under the dataset seed.
uint64_t synth_scene_seed(uint64_t seed, const std::string& split, int64_t index);

// Where image `index` of `split` lives: city and "<city>_<seq:06d>_<frame:06d>" stem. Depends
// only on (split, index), never on how many images are generated.
struct SynthFrameName {
  std::string city;
  std::string stem;
};
SynthFrameName synth_frame_name(const std::string& split, int64_t index);

// The fake city names used for a split (train: several cities, val: others).
const std::vector<std::string>& synth_cities(const std::string& split);

}  // namespace loce::data
