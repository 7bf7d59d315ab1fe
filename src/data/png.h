#pragma once
// PNG decoding and encoding through libpng. Errors (missing file, not a PNG, truncated data) are
// InputErrors naming the file; libpng's longjmp-based error handling never escapes this module.
#include <cstdint>
#include <string>

#include <ATen/Tensor.h>

namespace loce::data {

struct PngInfo {
  int height = 0;
  int width = 0;
  int channels = 0;   // 1 (grey) or 3 (RGB) after decoding; alpha is dropped, palettes expanded
  int bit_depth = 0;  // 8 or 16
  bool palette = false;  // the file stores palette indices (expanded to RGB above)
};

// Reads only the header.
PngInfo read_png_info(const std::string& path);

// Decodes to [H, W, C]: uint8 for 8-bit images, int32 for 16-bit ones (e.g. instanceIds).
// Images with alpha are returned without it; grey+alpha -> grey; palette -> RGB.
at::Tensor read_png(const std::string& path, PngInfo* info = nullptr);

// Encodes a [H, W] or [H, W, C] (C = 1 or 3) tensor: uint8 -> 8-bit, int32/int16 -> 16-bit
// (values must fit 0..65535). Written atomically (temporary name, then rename).
void write_png(const std::string& path, const at::Tensor& pixels);

}  // namespace loce::data
