#include "core/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace fs = std::filesystem;

namespace loce {

void ensure_parent_dir(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) bad_input("cannot create folder ", parent.string(), ": ", ec.message());
  if (access(parent.c_str(), W_OK) != 0)
    bad_input("folder ", parent.string(), " is not writable: ", std::strerror(errno));
}

AtomicFile::AtomicFile(std::string final_path) : final_(std::move(final_path)) {
  ensure_parent_dir(final_);
  fs::path p(final_);
  temp_ = (p.parent_path() / ("." + p.filename().string() + ".tmp." + std::to_string(getpid())))
              .string();
  std::remove(temp_.c_str());
}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::commit() {
  if (std::rename(temp_.c_str(), final_.c_str()) != 0)
    fail("cannot rename ", temp_, " to ", final_, ": ", std::strerror(errno));
  committed_ = true;
}

}  // namespace loce
