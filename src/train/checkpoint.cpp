#include "train/checkpoint.h"

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>

#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "train/run_dir.h"

namespace boost::serialization {

template <class Archive>
void serialize(Archive& ar, loce::train::Curves& c, const unsigned /*version*/) {
  ar & c.step & c.loss & c.lr & c.metrics;
}

template <class Archive>
void serialize(Archive& ar, loce::train::RunState& s, const unsigned version) {
  ar & s.magic;
  if (s.magic != loce::train::kCheckpointMagic) return;  // reported by read_checkpoint
  s.format_version = version;
  ar & s.kind & s.method & s.config & s.config_hash & s.git_revision;
  ar & s.step & s.total_steps & s.epoch & s.batch_in_epoch & s.world_size;
  ar & s.cpu_rng_state & s.cuda_rng_state & s.curves & s.model & s.optimizer;
}

}  // namespace boost::serialization

BOOST_CLASS_VERSION(loce::train::RunState, 1)  // == kCheckpointFormat
BOOST_CLASS_VERSION(loce::train::Curves, 1)

namespace loce::train {

void write_checkpoint(const std::string& path, const RunState& state) {
  ensure_parent_dir(path);
  AtomicFile file(path);
  {
    std::ofstream os(file.temp_path(), std::ios::binary);
    if (!os) fail("cannot write checkpoint ", file.temp_path());
    boost::archive::binary_oarchive ar(os);
    ar << state;
    os.flush();
    if (!os) fail("writing checkpoint ", file.temp_path(), " failed (disk full?)");
  }
  file.commit();
}

RunState read_checkpoint(const std::string& path) {
  std::ifstream is(path, std::ios::binary);
  if (!is) bad_input("cannot open checkpoint ", path);
  RunState state;
  try {
    boost::archive::binary_iarchive ar(is);
    ar >> state;
  } catch (const std::exception& e) {
    throw UnreadableCheckpoint(cat("checkpoint ", path, " is unreadable or from an incompatible build (",
                                   e.what(), ")"));
  }
  if (state.magic != kCheckpointMagic) throw UnreadableCheckpoint(cat(path, " is not a loce checkpoint"));
  if (state.format_version > kCheckpointFormat)
    bad_input("checkpoint ", path, " has format version ", state.format_version,
              ", newer than this build reads (", kCheckpointFormat, ")");
  return state;
}

void prune_checkpoints(const std::string& run_dir, int64_t keep) {
  auto all = list_checkpoints(run_dir);
  for (int64_t i = 0; i + keep < int64_t(all.size()); ++i) {
    std::error_code ec;
    std::filesystem::remove(all[i], ec);
  }
}

}  // namespace loce::train
