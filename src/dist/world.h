#pragma once
// Process start-up: who am I, how many are we, which device is mine.
//
// Launched by mpirun or srun (detected from the launcher's environment), MPI is initialised
// with MPI_Init_thread; a plain `loce ...` is a world of one and never touches MPI.
#include <memory>
#include <string>

#include <c10/core/Device.h>

#include "dist/communicator.h"

namespace loce::dist {

struct WorldInfo {
  int rank = 0;
  int size = 1;
  int local_rank = 0;  // rank among the processes on this node (MPI_COMM_TYPE_SHARED)
  int local_size = 1;
  bool mpi = false;    // MPI was initialised
  std::string host;
};

// This process's rank as the launcher announced it in the environment (Open MPI, PMIx, PMI,
// srun), before MPI is initialised; 0 without a launcher. For messages printed before
// init_world(), such as command-line errors, that only rank 0 should print.
int launcher_rank();

// Idempotent. Also sets the logger's rank.
const WorldInfo& init_world(int* argc, char*** argv);
const WorldInfo& world();
void finalize_world();

// Prints nothing; ends every rank of the job now (MPI_Abort when the world is larger than one).
[[noreturn]] void abort_world(int exit_code);

// "cpu" | "cuda" | "auto": cuda device = local_rank % visible devices; auto picks cuda when
// LibTorch sees a GPU. Asking for cuda without one is an InputError.
c10::Device resolve_device(const std::string& name, const WorldInfo& w);

// The communicator for tensors on `device`: self for a world of one, NCCL for CUDA, MPI for CPU.
std::shared_ptr<Communicator> make_communicator(const c10::Device& device);

// The NCCL communicator for `device` even in a world of one, where make_communicator gives
// the self communicator: for measuring NCCL itself (bench allreduce). Needs a CUDA build.
std::shared_ptr<Communicator> make_nccl_communicator(const c10::Device& device);

// A CPU (MPI or self) communicator for control messages, whatever the compute device.
std::shared_ptr<Communicator> cpu_communicator();

// Guards against the two ways multi-rank jobs most often go wrong: ranks that disagree on which
// collective comes next (or on its size), and a rank that never arrives.
struct CollectiveSettings {
  // Before each collective, ranks exchange (call number, kind, dtype, element count, root) and
  // every rank throws a loce::Error naming the disagreement. Costs one tiny all-gather per call.
  // Default: $LOCE_DIST_CHECKS (0/1), else on in builds without NDEBUG.
  bool check_matching = false;
  // A collective not finished after this many seconds prints which one on which rank and ends
  // the job (MPI_Abort). 0 disables. Default: $LOCE_COLLECTIVE_TIMEOUT, else 1800.
  double timeout_seconds = 1800;
};
const CollectiveSettings& collective_settings();
// Applies to communicators' subsequent calls, existing ones included.
void set_collective_settings(const CollectiveSettings& s);

}  // namespace loce::dist
