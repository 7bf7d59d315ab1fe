#pragma once
// `loce prepare`: decode a Cityscapes tree once into the HDF5 cache (see cache.h).
// Under mpirun every rank decodes a share of the frames and rank 0 writes them in order; a
// decode error on any rank travels to rank 0 with the file's name, and the output is never left
// half-written (temporary name, renamed at the end).
#include <string>
#include <vector>

#include "dist/communicator.h"

namespace loce::data {

struct PrepareOptions {
  std::string cityscapes;  // root of the official layout
  // Cache file. An existing regular file there is replaced (atomically, when the new cache is
  // complete: re-running prepare into the same path is the normal way to rebuild a cache);
  // anything else (a folder, a device, a link, a read-only file) is refused before any work.
  std::string out;
  int height = 128;
  int width = 256;
  std::vector<std::string> splits{"train", "val"};
  int gzip_level = 4;
  // Frames each rank decodes per round before rank 0 writes them (0: keep a round near 256 MB).
  int64_t frames_per_rank_round = 0;
};

// Bytes a cache of n images at height x width needs before compression.
double raw_cache_bytes(int64_t n, int height, int width);

void prepare_cache(const PrepareOptions& options, dist::Communicator& comm);

}  // namespace loce::data
