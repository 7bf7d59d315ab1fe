#pragma once
// Where each rank's bytes land in a gatherv: MPI takes counts and displacements as 32-bit ints,
// so a gather of 2 GiB or more in all cannot be expressed and is refused with a clear error
// (on every rank alike, since every rank computes the layout from the same sizes).
#include <cstdint>
#include <vector>

namespace loce::dist {

struct ByteLayout {
  std::vector<int> counts, displs;
  int64_t total = 0;
};

// Throws loce::Error naming the first rank whose bytes do not fit. `where` prefixes the message.
ByteLayout byte_layout(const std::vector<int64_t>& sizes, const char* where);

}  // namespace loce::dist
