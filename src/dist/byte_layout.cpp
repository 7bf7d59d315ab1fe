#include "dist/byte_layout.h"

#include <climits>

#include "core/error.h"

namespace loce::dist {

ByteLayout byte_layout(const std::vector<int64_t>& sizes, const char* where) {
  ByteLayout l;
  for (size_t r = 0; r < sizes.size(); ++r) {
    if (sizes[r] < 0) fail(where, ": rank ", r, " reports a negative size ", sizes[r]);
    if (sizes[r] > INT_MAX || l.total + sizes[r] > INT_MAX)
      fail(where, ": rank ", r, " sends ", sizes[r], " bytes after ", l.total,
           " from lower ranks; MPI counts are 32-bit, so one gather carries less than 2 GiB "
           "in all: gather smaller objects or in several rounds");
    l.counts.push_back(int(sizes[r]));
    l.displs.push_back(int(l.total));
    l.total += sizes[r];
  }
  return l;
}

}  // namespace loce::dist
