#include "dist/world.h"

#include <mpi.h>
#include <unistd.h>

#include <torch/cuda.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>

#include "core/error.h"
#include "core/log.h"
#include "dist/mpi_communicator.h"
#include "dist/self_communicator.h"
#include "dist/watchdog.h"
#ifdef LOCE_HAVE_CUDA
#include <c10/cuda/CUDAFunctions.h>

#include "dist/nccl_communicator.h"
#endif

namespace loce::dist {
namespace {

WorldInfo g_world;
bool g_initialised = false;
bool g_we_initialised_mpi = false;
std::mutex g_comm_mutex;
std::shared_ptr<Communicator> g_cpu_comm;
std::map<int, std::shared_ptr<Communicator>> g_device_comms;

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v && *v;
}

// True when a process manager started us as one rank of a job: mpirun/mpiexec (Open MPI, MPICH,
// Intel MPI) or srun with a PMI/PMIx plugin. A plain `loce ...` sets none of these, so it never
// initialises MPI and runs without any launcher installed. $LOCE_MPI=0/1 overrides.
bool launched_by_mpi() {
  if (const char* force = std::getenv("LOCE_MPI"); force && *force) return force[0] != '0';
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE",
                          "MPI_LOCALNRANKS", "HYDRA_CONTROL_FD"})
    if (env_set(var)) return true;
  // srun sets SLURM_STEP_NUM_TASKS only inside a job step (not in the batch script itself).
  if (const char* n = std::getenv("SLURM_STEP_NUM_TASKS"); n && std::atoi(n) > 1) return true;
  return false;
}

}  // namespace

int launcher_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char* v = std::getenv(var); v && *v) return std::atoi(v);
  if (env_set("SLURM_STEP_NUM_TASKS"))
    if (const char* v = std::getenv("SLURM_PROCID"); v && *v) return std::atoi(v);
  return 0;
}

namespace {

CollectiveSettings settings_from_env() {
  CollectiveSettings s;
#ifdef NDEBUG
  s.check_matching = false;
#else
  s.check_matching = true;
#endif
  if (const char* v = std::getenv("LOCE_DIST_CHECKS"); v && *v) s.check_matching = v[0] != '0';
  if (const char* v = std::getenv("LOCE_COLLECTIVE_TIMEOUT"); v && *v) {
    char* end = nullptr;
    double t = std::strtod(v, &end);
    if (end == v || *end != '\0' || t < 0)
      bad_input("LOCE_COLLECTIVE_TIMEOUT='", v, "': expected seconds (0 disables the watchdog)");
    s.timeout_seconds = t;
  }
  return s;
}

CollectiveSettings& settings() {
  static CollectiveSettings s = settings_from_env();
  return s;
}

}  // namespace

const CollectiveSettings& collective_settings() { return settings(); }
void set_collective_settings(const CollectiveSettings& s) { settings() = s; }

const WorldInfo& init_world(int* argc, char*** argv) {
  if (g_initialised) return g_world;
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  g_world.host = host;
  int already = 0;
  MPI_Initialized(&already);
  if (already || launched_by_mpi()) {
    if (!already) {
      // MULTIPLE: the collective watchdog may call MPI_Abort from its own thread, and CUDA
      // backward hooks may start collectives from autograd's device threads.
      int provided = 0;
      MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
      g_we_initialised_mpi = true;
      if (provided < MPI_THREAD_SERIALIZED)
        std::fprintf(stderr, "warning: the MPI library offers thread level %d only\n", provided);
    }
    g_world.mpi = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_world.size);
    // Ranks sharing memory are the ranks of this node, whatever launched them (mpirun, srun).
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_world.rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &g_world.local_rank);
    MPI_Comm_size(node, &g_world.local_size);
    MPI_Comm_free(&node);
  }
  log::set_rank(g_world.rank, g_world.size);
  g_initialised = true;
  return g_world;
}

const WorldInfo& world() { return g_world; }

void finalize_world() {
  {
    std::lock_guard<std::mutex> lock(g_comm_mutex);
    g_device_comms.clear();
    g_cpu_comm.reset();
  }
  Watchdog::shutdown();
  if (g_we_initialised_mpi) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
    g_we_initialised_mpi = false;
  }
}

void abort_world(int exit_code) {
  std::fflush(stdout);
  std::fflush(stderr);
  int initialised = 0, finalized = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalized);
  // MPI_Abort makes the launcher kill every rank, including those blocked in a collective
  // waiting for this one; a plain exit would leave them hanging.
  if (initialised && !finalized && g_world.size > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

c10::Device resolve_device(const std::string& name, const WorldInfo& w) {
  if (name == "cpu") return c10::Device(c10::kCPU);
  if (name != "cuda" && name != "auto")
    bad_input("--device '", name, "': expected cpu, cuda or auto");
  bool have_cuda = torch::cuda::is_available();
  if (!have_cuda) {
    if (name == "auto") return c10::Device(c10::kCPU);
    bad_input("--device cuda: no CUDA device is visible to rank ", w.rank, " on ", w.host,
              " (or LibTorch was built without CUDA)");
  }
  int visible = int(torch::cuda::device_count());
  // Under SLURM --gpus-per-task each task sees one device (index 0); under mpirun every rank of
  // a node sees all of them and takes its own by node-local rank.
  c10::Device device(c10::kCUDA, c10::DeviceIndex(w.local_rank % visible));
#ifdef LOCE_HAVE_CUDA
  c10::cuda::set_device(device.index());
#endif
  return device;
}

std::shared_ptr<Communicator> cpu_communicator() {
  std::lock_guard<std::mutex> lock(g_comm_mutex);
  if (!g_initialised) fail("dist: cpu_communicator() before init_world()");
  if (!g_cpu_comm) {
    if (g_world.size > 1) g_cpu_comm = std::make_shared<MpiCommunicator>(MPI_COMM_WORLD);
    else g_cpu_comm = std::make_shared<SelfCommunicator>();
  }
  return g_cpu_comm;
}

std::shared_ptr<Communicator> make_communicator(const c10::Device& device) {
  if (device.is_cpu() || g_world.size == 1) {
    if (!g_initialised) fail("dist: make_communicator() before init_world()");
    if (g_world.size == 1) return std::make_shared<SelfCommunicator>();
    return cpu_communicator();
  }
  if (!device.is_cuda()) fail("dist: no communicator for device ", device.str());
#ifdef LOCE_HAVE_CUDA
  std::lock_guard<std::mutex> lock(g_comm_mutex);
  auto& comm = g_device_comms[device.index()];
  if (!comm) comm = std::make_shared<NcclCommunicator>(MPI_COMM_WORLD, device.index());
  return comm;
#else
  fail("dist: device ", device.str(), " needs the NCCL backend, which this build lacks "
       "(configure with a CUDA LibTorch and NCCL: LOCE_CUDA=ON)");
#endif
}

std::shared_ptr<Communicator> make_nccl_communicator(const c10::Device& device) {
  if (!device.is_cuda()) fail("dist: the NCCL backend needs a CUDA device, not ", device.str());
  if (g_world.size > 1) return make_communicator(device);
#ifdef LOCE_HAVE_CUDA
  return std::make_shared<NcclCommunicator>(device.has_index() ? device.index() : 0);
#else
  fail("dist: the NCCL backend is not in this build "
       "(configure with a CUDA LibTorch and NCCL: LOCE_CUDA=ON)");
#endif
}

}  // namespace loce::dist
