#include "data/prepare.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/atomic_file.h"
#include "core/hdf5.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/version.h"
#include "data/cache.h"
#include "data/cityscapes.h"
#include "dist/on_root.h"

namespace fs = std::filesystem;

namespace loce::data {
namespace {

std::string human_bytes(double b) {
  const char* unit[] = {"B", "KB", "MB", "GB", "TB"};
  int i = 0;
  while (b >= 1000 && i < 4) b /= 1000, ++i;
  std::ostringstream os;
  os.precision(3);
  os << b << " " << unit[i];
  return os.str();
}

// The frame list travels from rank 0 to the others as bytes: per frame, its five fields
// (split, city, name, image path, label path), each as a uint32 length and the bytes. File
// names may hold any byte but '/' and NUL, TAB and newline included.
void append_field(std::string& out, const std::string& field) {
  const uint32_t n = uint32_t(field.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out += field;
}

std::string encode_frames(const std::vector<Frame>& frames) {
  std::string s;
  for (const auto& f : frames)
    for (const std::string* field : {&f.split, &f.city, &f.name, &f.image_path, &f.label_path})
      append_field(s, *field);
  return s;
}

std::vector<Frame> decode_frames(const std::string& s) {
  std::vector<Frame> frames;
  size_t pos = 0;
  auto field = [&](std::string& to) {
    uint32_t n = 0;
    LOCE_CHECK(pos + sizeof n <= s.size(), "prepare: frame list truncated in transit");
    std::memcpy(&n, s.data() + pos, sizeof n);
    pos += sizeof n;
    LOCE_CHECK(pos + n <= s.size(), "prepare: frame list truncated in transit");
    to.assign(s, pos, n);
    pos += n;
  };
  while (pos < s.size()) {
    Frame f;
    for (std::string* to : {&f.split, &f.city, &f.name, &f.image_path, &f.label_path}) field(*to);
    frames.push_back(std::move(f));
  }
  return frames;
}

// One decoded frame on the wire: 'K' + image bytes + label bytes, or 'E' + error message.
void append_frame(std::string& out, const Frame& frame, int height, int width) {
  try {
    DecodedFrame d = load_frame(frame, height, width);
    out += 'K';
    out.append(static_cast<const char*>(d.image.data_ptr()), d.image.numel());
    out.append(static_cast<const char*>(d.labels.data_ptr()), d.labels.numel());
  } catch (const std::exception& e) {
    std::string msg = e.what();
    out += 'E';
    uint32_t n = uint32_t(msg.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out += msg;
  }
}

}  // namespace

double raw_cache_bytes(int64_t n, int height, int width) {
  return double(n) * 4.0 * height * width;  // 3 image channels + 1 label byte per pixel
}

void prepare_cache(const PrepareOptions& o, dist::Communicator& comm) {
  if (o.height <= 0 || o.width <= 0)
    bad_input("--height and --width must be positive, got ", o.height, "x", o.width);
  if (o.splits.empty()) bad_input("--splits is empty");
  for (size_t i = 0; i < o.splits.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (o.splits[i] == o.splits[j]) bad_input("--splits names '", o.splits[i], "' twice");
  // HDF5 stores each image as one chunk, and a chunk must stay under 4 GiB.
  if (3.0 * o.height * o.width >= 4294967295.0)
    bad_input("--height ", o.height, " --width ", o.width, ": one image would be ",
              human_bytes(3.0 * o.height * o.width), ", over HDF5's 4 GiB limit on a chunk");
  // The output path, before anything is decoded: a folder, a device or a read-only file there
  // would otherwise be found only at the final rename, hours later on full Cityscapes.
  dist::on_root_collectively(comm, [&] { check_output_file(o.out, "--out"); });

  // Rank 0 scans (errors there end the job through main's abort), the others receive the list.
  std::string listing;
  dist::on_root_collectively(comm, [&] {
    std::vector<Frame> all;
    for (const auto& split : o.splits) {
      auto frames = scan_cityscapes(o.cityscapes, split);
      all.insert(all.end(), frames.begin(), frames.end());
    }
    listing = encode_frames(all);
  });
  comm.broadcast_bytes(listing, 0);
  std::vector<Frame> frames = decode_frames(listing);

  const int64_t image_bytes = 3LL * o.height * o.width, label_bytes = int64_t(o.height) * o.width;
  const int64_t frame_bytes = image_bytes + label_bytes;
  dist::on_root_collectively(comm, [&] {
    double raw = raw_cache_bytes(int64_t(frames.size()), o.height, o.width);
    std::string counts;
    for (const auto& s : o.splits) {
      auto n = std::count_if(frames.begin(), frames.end(), [&](const Frame& f) { return f.split == s; });
      counts += (counts.empty() ? "" : ", ") + s + " " + std::to_string(n);
    }
    log::info("prepare: ", frames.size(), " frames (", counts, ") at ", o.height, "x", o.width,
              " from ", o.cityscapes, " on ", comm.size(), " rank(s)");
    log::info("prepare: cache size estimate ", human_bytes(raw), " uncompressed, about ",
              human_bytes(raw * 0.5), " compressed");
    fs::path parent = fs::absolute(o.out).parent_path();
    std::error_code ec;
    auto space = fs::space(parent, ec);
    if (ec) bad_input("--out ", o.out, ": cannot query the free space under ", parent.string(), ": ",
                      ec.message());
    if (double(space.available) < raw * 0.5)
      bad_input("not enough free disk under ", parent.string(), ": ", human_bytes(space.available),
                " free, the cache needs about ", human_bytes(raw * 0.5));
  });

  // Rounds of `per_rank` frames per rank keep rank 0's receive buffer near 256 MB.
  const int world = comm.size();
  const int64_t per_rank = o.frames_per_rank_round > 0
                               ? o.frames_per_rank_round
                               : std::max<int64_t>(1, (256LL << 20) / (frame_bytes * world));

  std::unique_ptr<AtomicFile> out;
  std::unique_ptr<h5::File> file;
  dist::on_root_collectively(comm, [&] {
    out = std::make_unique<AtomicFile>(o.out);
    file = std::make_unique<h5::File>(h5::File::create(out->temp_path()));
  });
  Progress progress("prepare", int64_t(frames.size()), "img");
  for (const auto& split : o.splits) {
    std::vector<Frame> sf;
    for (const auto& f : frames)
      if (f.split == split) sf.push_back(f);
    const int64_t n = int64_t(sf.size());
    std::unique_ptr<h5::Writer> images, labels;
    dist::on_root_collectively(comm, [&] {
      images = std::make_unique<h5::Writer>(*file, "/" + split + "/images", at::kByte,
                                            std::vector<int64_t>{n, 3, o.height, o.width}, 1,
                                            o.gzip_level);
      labels = std::make_unique<h5::Writer>(*file, "/" + split + "/labels", at::kByte,
                                            std::vector<int64_t>{n, o.height, o.width}, 1,
                                            o.gzip_level);
    });
    const int64_t round_size = per_rank * world;
    for (int64_t start = 0; start < n; start += round_size) {
      // Rank r decodes frames [start + r*per_rank, start + (r+1)*per_rank) of this split.
      std::string mine;
      int64_t my_first = start + comm.rank() * per_rank;
      for (int64_t i = my_first; i < std::min(n, my_first + per_rank); ++i)
        append_frame(mine, sf[i], o.height, o.width);
      auto parts = comm.gather_bytes(mine, 0);
      dist::on_root_collectively(comm, [&] {
        int64_t row = start;
        for (const auto& part : parts) {
          for (size_t pos = 0; pos < part.size(); pos += 1 + frame_bytes, ++row) {
            if (part[pos] == 'E') {  // a decode error on some rank, with its file's name
              uint32_t len;
              std::memcpy(&len, part.data() + pos + 1, sizeof len);
              bad_input(part.substr(pos + 1 + sizeof len, len));
            }
            char* bytes = const_cast<char*>(part.data() + pos + 1);
            images->write_rows(row, torch::from_blob(bytes, {1, 3, o.height, o.width}, torch::kByte));
            labels->write_rows(row, torch::from_blob(bytes + image_bytes, {1, o.height, o.width},
                                                     torch::kByte));
            progress.advance();
          }
        }
      });
    }
    dist::on_root_collectively(comm, [&] {
      images->finish();
      labels->finish();
      std::vector<std::string> names, cities;
      for (const auto& f : sf) names.push_back(f.name), cities.push_back(f.city);
      h5::write_strings(*file, "/" + split + "/names", names);
      h5::write_strings(*file, "/" + split + "/cities", cities);
    });
  }
  progress.finish();
  dist::on_root_collectively(comm, [&] {
    h5::set_attr(*file, "/", "format", std::string(kCacheFormat));
    h5::set_attr(*file, "/", "format_version", kCacheFormatVersion);
    h5::set_attr(*file, "/", "height", int64_t(o.height));
    h5::set_attr(*file, "/", "width", int64_t(o.width));
    // One spelling per folder ("ds", "./ds/", "$PWD/ds" alike): the same dataset, the same bytes.
    std::string source = fs::absolute(o.cityscapes).lexically_normal().string();
    while (source.size() > 1 && source.back() == '/') source.pop_back();
    h5::set_attr(*file, "/", "source", source);
    h5::set_attr(*file, "/", "splits", o.splits);
    h5::set_attr(*file, "/", "git_revision", std::string(loce::git_revision()));
    file->close();
    out->commit();
    log::info("prepare: wrote ", o.out, " (", human_bytes(double(fs::file_size(o.out))), ")");
  });
}

}  // namespace loce::data
