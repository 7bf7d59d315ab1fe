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
#include "train/sha256.h"

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

BOOST_CLASS_VERSION(loce::train::RunState, 2)  // == kCheckpointFormat
BOOST_CLASS_VERSION(loce::train::Curves, 1)

namespace loce::train {

std::string payload_digest(const RunState& s) {
  Sha256 h;
  auto bytes = [&](const std::string& v) {  // length-prefixed, so fields cannot run together
    const uint64_t n = v.size();
    h.update(&n, sizeof n);
    h.update(v);
  };
  auto number = [&](int64_t v) { h.update(&v, sizeof v); };
  auto floats = [&](const std::vector<float>& v) {
    number(int64_t(v.size()));
    h.update(v.data(), v.size() * sizeof(float));
  };
  bytes(s.magic);
  bytes(s.kind);
  bytes(s.method);
  number(int64_t(s.config.size()));
  for (const auto& [k, v] : s.config) {
    bytes(k);
    bytes(v);
  }
  bytes(s.config_hash);
  bytes(s.git_revision);
  for (int64_t v : {s.step, s.total_steps, s.epoch, s.batch_in_epoch, s.world_size}) number(v);
  bytes(s.cpu_rng_state);
  bytes(s.cuda_rng_state);
  number(int64_t(s.curves.step.size()));
  h.update(s.curves.step.data(), s.curves.step.size() * sizeof(int64_t));
  floats(s.curves.loss);
  floats(s.curves.lr);
  number(int64_t(s.curves.metrics.size()));
  for (const auto& [name, values] : s.curves.metrics) {
    bytes(name);
    floats(values);
  }
  bytes(s.model);
  bytes(s.optimizer);
  return h.hex_digest();
}

void write_checkpoint(const std::string& path, const RunState& state) {
  AtomicFile file(path);  // makes the folder
  {
    std::ofstream os(file.temp_path(), std::ios::binary);
    if (!os) fail("cannot write checkpoint ", file.temp_path());
    boost::archive::binary_oarchive ar(os);
    ar << state;
    const std::string digest = payload_digest(state);  // format 2: the checksum follows
    ar << digest;
    os.flush();
    if (!os) fail("writing checkpoint ", file.temp_path(), " failed (disk full?)");
  }
  file.commit();
}

RunState read_checkpoint(const std::string& path) {
  std::ifstream is(path, std::ios::binary);
  if (!is) bad_input("cannot open checkpoint ", path);
  {
    // Boost's archive header first: another file (a cache, an HDF5 result) is named as such
    // instead of failing deep inside the archive with an allocation error.
    std::string head(64, '\0');
    is.read(head.data(), std::streamsize(head.size()));
    head.resize(size_t(is.gcount()));
    if (head.find("serialization::archive") == std::string::npos)
      throw UnreadableCheckpoint(cat("checkpoint ", path, " is not a loce checkpoint",
                                     head.rfind("\x89HDF", 0) == 0 ? " (an HDF5 file)" : "",
                                     ": give a run folder or a file from its checkpoints/"));
    is.clear();
    is.seekg(0);
  }
  RunState state;
  try {
    boost::archive::binary_iarchive ar(is);
    ar >> state;
    if (state.magic == kCheckpointMagic && state.format_version >= 2 &&
        state.format_version <= kCheckpointFormat) {
      std::string stored;
      ar >> stored;
      const std::string computed = payload_digest(state);
      if (stored != computed)
        throw UnreadableCheckpoint(cat("checkpoint ", path, " is damaged: its contents do not match "
                                       "their SHA-256 checksum (stored ", stored.substr(0, 16),
                                       "..., computed ", computed.substr(0, 16), "...)"));
      state.checksum_verified = true;
    }
  } catch (const UnreadableCheckpoint&) {
    throw;
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
