#pragma once
// Work that only rank 0 does (writing a shared file, checking an output path, taking a lock)
// but whose failure every rank must see: otherwise the others would wait in their next
// collective while rank 0 exits.
#include <exception>
#include <string>

#include "core/error.h"
#include "dist/communicator.h"

namespace loce::dist {

// Runs `work` on rank 0 only; an exception there is broadcast and rethrown on every rank as a
// CollectiveInputError, so all ranks stop together (and rank 0 cleans up on the way out).
template <class Fn>
void on_root_collectively(Communicator& comm, Fn&& work) {
  std::string error;
  if (comm.is_root()) {
    try {
      work();
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  comm.broadcast_bytes(error, 0);
  if (!error.empty()) throw CollectiveInputError(error);
}

}  // namespace loce::dist
