#include "data/png.h"

#include <png.h>
#include <torch/torch.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"

namespace loce::data {
namespace {

// libpng reports errors by longjmp; we record the message and turn it into an exception
// once we are back in C++ frames that own no libpng state.
struct ErrorSink {
  char message[256] = "";
};

void on_error(png_structp png, png_const_charp msg) {
  auto* sink = static_cast<ErrorSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof sink->message, "%s", msg);
  png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}

struct FileCloser {
  void operator()(std::FILE* f) const { if (f) std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

FilePtr open_png(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) bad_input(path, ": cannot open (", std::strerror(errno), ")");
  unsigned char sig[8];
  if (std::fread(sig, 1, 8, f.get()) != 8 || png_sig_cmp(sig, 0, 8) != 0)
    bad_input(path, ": not a PNG file");
  return f;
}

// Decodes (or, with pixels == nullptr, only inspects) a PNG. Returns false on a libpng error,
// leaving the message in sink. No C++ object with a destructor lives in this frame across
// setjmp, as longjmp would skip it.
bool decode(std::FILE* f, PngInfo* info, std::vector<uint8_t>* pixels, ErrorSink* sink) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, sink, on_error, on_warning);
  if (!png) return false;
  png_infop pinfo = png_create_info_struct(png);
  png_bytep* rows = nullptr;
  if (setjmp(png_jmpbuf(png))) {
    delete[] rows;
    png_destroy_read_struct(&png, &pinfo, nullptr);
    return false;
  }
  png_init_io(png, f);
  png_set_sig_bytes(png, 8);
  png_read_info(png, pinfo);
  int color = png_get_color_type(png, pinfo);
  int depth = png_get_bit_depth(png, pinfo);
  // Normalise to 8- or 16-bit grey or RGB without alpha.
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, pinfo, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  if (color & PNG_COLOR_MASK_ALPHA || png_get_valid(png, pinfo, PNG_INFO_tRNS))
    png_set_strip_alpha(png);
  if (depth == 16) png_set_swap(png);  // PNG is big-endian; we read native uint16
  png_read_update_info(png, pinfo);
  info->width = int(png_get_image_width(png, pinfo));
  info->height = int(png_get_image_height(png, pinfo));
  info->channels = int(png_get_channels(png, pinfo));
  info->bit_depth = int(png_get_bit_depth(png, pinfo));
  info->palette = color == PNG_COLOR_TYPE_PALETTE;
  if (pixels) {
    size_t stride = png_get_rowbytes(png, pinfo);
    pixels->resize(stride * info->height);
    rows = new png_bytep[info->height];
    for (int y = 0; y < info->height; ++y) rows[y] = pixels->data() + y * stride;
    png_read_image(png, rows);
    png_read_end(png, nullptr);
  }
  delete[] rows;
  png_destroy_read_struct(&png, &pinfo, nullptr);
  return true;
}

bool encode(std::FILE* f, const uint8_t* data, int height, int width, int channels, int depth,
            ErrorSink* sink) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, on_error, on_warning);
  if (!png) return false;
  png_infop pinfo = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &pinfo);
    return false;
  }
  png_init_io(png, f);
  png_set_IHDR(png, pinfo, width, height, depth,
               channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 3);  // fast: these files are written once, read once
  png_write_info(png, pinfo);
  if (depth == 16) png_set_swap(png);
  size_t stride = size_t(width) * channels * (depth / 8);
  for (int y = 0; y < height; ++y) png_write_row(png, const_cast<uint8_t*>(data + y * stride));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &pinfo);
  return true;
}

}  // namespace

PngInfo read_png_info(const std::string& path) {
  FilePtr f = open_png(path);
  PngInfo info;
  ErrorSink sink;
  if (!decode(f.get(), &info, nullptr, &sink)) bad_input(path, ": corrupt PNG (", sink.message, ")");
  return info;
}

at::Tensor read_png(const std::string& path, PngInfo* info_out) {
  FilePtr f = open_png(path);
  PngInfo info;
  std::vector<uint8_t> pixels;
  ErrorSink sink;
  if (!decode(f.get(), &info, &pixels, &sink))
    bad_input(path, ": corrupt or truncated PNG (", sink.message, ")");
  if (info_out) *info_out = info;
  auto sizes = std::vector<int64_t>{info.height, info.width, info.channels};
  if (info.bit_depth == 16) {
    auto u16 = torch::from_blob(pixels.data(), sizes, torch::kShort);  // reinterpret
    return u16.to(torch::kInt).bitwise_and(0xFFFF);
  }
  return torch::from_blob(pixels.data(), sizes, torch::kByte).clone();
}

void write_png(const std::string& path, const at::Tensor& pixels) {
  at::Tensor t = pixels.cpu();
  if (t.dim() == 2) t = t.unsqueeze(2);
  LOCE_CHECK(t.dim() == 3 && (t.size(2) == 1 || t.size(2) == 3), path,
             ": write_png needs [H, W] or [H, W, 1|3], got ", t.sizes());
  int depth = 8;
  if (t.scalar_type() == torch::kByte) {
    t = t.contiguous();
  } else if (t.scalar_type() == torch::kInt || t.scalar_type() == torch::kShort ||
             t.scalar_type() == torch::kLong) {
    LOCE_CHECK(t.numel() == 0 || (t.min().item<int64_t>() >= 0 && t.max().item<int64_t>() <= 65535),
               path, ": 16-bit PNG values must be in 0..65535");
    t = t.to(torch::kInt).to(torch::kShort).contiguous();  // low 16 bits = the uint16 value
    depth = 16;
  } else {
    fail(path, ": write_png supports uint8 and integer tensors, not ", t.scalar_type());
  }
  // No search for stale temporaries: synth writes thousands of PNGs per folder, all inside its
  // own temporary folder (which is what it cleans up, src/data/synth.cpp).
  AtomicFile out(path, /*clean_stale=*/false);
  FilePtr f(std::fopen(out.temp_path().c_str(), "wb"));
  if (!f) bad_input(path, ": cannot write (", std::strerror(errno), ")");
  ErrorSink sink;
  errno = 0;
  bool ok = encode(f.get(), static_cast<const uint8_t*>(t.data_ptr()), int(t.size(0)),
                   int(t.size(1)), int(t.size(2)), depth, &sink);
  ok = std::fflush(f.get()) == 0 && ok;
  ok = std::fclose(f.release()) == 0 && ok;
  // A full disk fails in fwrite/fflush/fclose: errno says so, libpng's message may be empty.
  if (!ok)
    fail(path, ": cannot write PNG (", sink.message, sink.message[0] ? "; " : "",
         errno ? std::strerror(errno) : "unknown error", ")");
  out.commit();
}

}  // namespace loce::data
