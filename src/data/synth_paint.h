#pragma once
// Painting toolkit of the synthetic street-scene generator (src/data/synth_scene.cpp): colours,
// a platform-stable random stream, hash-based value noise, and a canvas that receives colour,
// labelId and instance id together so that pixels and labels can never disagree.
//
// Everything here is deterministic and independent of the standard library's distribution
// implementations (std::uniform_real_distribution differs between library versions), so a
// seed means the same scene wherever it is built.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace loce::data::synth {

struct Rgb {
  float r = 0, g = 0, b = 0;
};
inline Rgb operator*(Rgb c, float k) { return {c.r * k, c.g * k, c.b * k}; }
inline Rgb operator*(Rgb a, Rgb b) { return {a.r * b.r, a.g * b.g, a.b * b.b}; }
inline Rgb operator+(Rgb a, Rgb b) { return {a.r + b.r, a.g + b.g, a.b + b.b}; }
inline Rgb mix(Rgb a, Rgb b, float t) { return a * (1 - t) + b * t; }
inline Rgb rgb255(int r, int g, int b) { return {r / 255.f, g / 255.f, b / 255.f}; }

inline float clamp01(float v) { return std::min(1.f, std::max(0.f, v)); }
inline float smoothstep(float e0, float e1, float v) {
  float t = clamp01((v - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
}

// SplitMix64 finaliser: the one hash behind both the random stream and the noise lattice.
inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A counter-based random stream: the k-th draw is mix64(seed + k), reproducible everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(mix64(seed)) {}
  uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int integer(int lo, int hi) { return lo + int(next() % uint64_t(hi - lo + 1)); }  // [lo, hi]
  bool chance(double p) { return uniform() < p; }
  double normal() {  // Box-Muller; one value per call keeps the stream order simple
    double u1 = std::max(uniform(), 1e-300), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[next() % v.size()]; }
  // A child seed, so that one part of a scene can draw more without shifting the others.
  uint64_t fork() { return next(); }

 private:
  uint64_t state_;
};

// Uniform in [0, 1) from a lattice point: the basis of value noise and per-element variation
// (one window, one tile).
inline float hash01(uint64_t seed, int64_t x, int64_t y) {
  uint64_t h = mix64(seed ^ mix64(uint64_t(x) * 0x9E3779B97F4A7C15ULL + uint64_t(y)));
  return float(h >> 40) * (1.0f / 16777216.0f);
}

// Smoothly interpolated lattice noise in [0, 1).
inline float value_noise(uint64_t seed, float x, float y) {
  float fx = std::floor(x), fy = std::floor(y);
  int64_t ix = int64_t(fx), iy = int64_t(fy);
  float tx = x - fx, ty = y - fy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  float a = hash01(seed, ix, iy), b = hash01(seed, ix + 1, iy);
  float c = hash01(seed, ix, iy + 1), d = hash01(seed, ix + 1, iy + 1);
  return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty;
}

// Fractal sum of `octaves` value-noise layers, normalised to [0, 1).
inline float fbm(uint64_t seed, float x, float y, int octaves) {
  float sum = 0, amp = 1, norm = 0;
  for (int o = 0; o < octaves; ++o) {
    sum += amp * value_noise(seed + uint64_t(o) * 7919, x, y);
    norm += amp;
    amp *= 0.5f;
    x *= 2.03f;
    y *= 2.03f;
  }
  return sum / norm;
}

// Colour, labelId and instance id per pixel; painting always sets all three.
struct Canvas {
  int height = 0, width = 0;
  std::vector<Rgb> color;
  std::vector<uint8_t> label;
  std::vector<int32_t> instance;

  Canvas(int h, int w) : height(h), width(w), color(size_t(h) * w), label(size_t(h) * w, 0),
                         instance(size_t(h) * w, 0) {}
  void set(int x, int y, Rgb c, int label_id, int instance_id) {
    size_t i = size_t(y) * width + x;
    color[i] = c;
    label[i] = uint8_t(label_id);
    instance[i] = instance_id;
  }
  // Changes the colour only (shadows, reflections): the label stays what is there.
  void tint(int x, int y, float k) { color[size_t(y) * width + x] = color[size_t(y) * width + x] * k; }
};

struct Point {
  double x = 0, y = 0;  // pixel coordinates; pixel (i, j) has its centre at (i, j)
};

// Calls fn(x, y) for every pixel whose centre lies inside the convex polygon `p` (any winding).
template <class Fn>
void fill_convex(const Canvas& canvas, const std::vector<Point>& p, Fn&& fn) {
  if (p.size() < 3) return;
  double area = 0, x0 = 1e30, x1 = -1e30, y0 = 1e30, y1 = -1e30;
  for (size_t i = 0; i < p.size(); ++i) {
    const Point& a = p[i];
    const Point& b = p[(i + 1) % p.size()];
    area += a.x * b.y - b.x * a.y;
    x0 = std::min(x0, a.x); x1 = std::max(x1, a.x);
    y0 = std::min(y0, a.y); y1 = std::max(y1, a.y);
  }
  if (area == 0) return;
  double sign = area > 0 ? 1 : -1;
  int ix0 = std::max(0, int(std::ceil(x0))), ix1 = std::min(canvas.width - 1, int(std::floor(x1)));
  int iy0 = std::max(0, int(std::ceil(y0))), iy1 = std::min(canvas.height - 1, int(std::floor(y1)));
  for (int y = iy0; y <= iy1; ++y) {
    for (int x = ix0; x <= ix1; ++x) {
      bool inside = true;
      for (size_t i = 0; i < p.size() && inside; ++i) {
        const Point& a = p[i];
        const Point& b = p[(i + 1) % p.size()];
        inside = sign * ((b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x)) >= 0;
      }
      if (inside) fn(x, y);
    }
  }
}

// Calls fn(x, y, u, v) for every pixel centre inside the ellipse, with (u, v) the position in
// the ellipse's unit disc.
template <class Fn>
void fill_ellipse(const Canvas& canvas, double cx, double cy, double rx, double ry, Fn&& fn) {
  if (rx <= 0 || ry <= 0) return;
  int ix0 = std::max(0, int(std::ceil(cx - rx))), ix1 = std::min(canvas.width - 1, int(std::floor(cx + rx)));
  int iy0 = std::max(0, int(std::ceil(cy - ry))), iy1 = std::min(canvas.height - 1, int(std::floor(cy + ry)));
  for (int y = iy0; y <= iy1; ++y) {
    for (int x = ix0; x <= ix1; ++x) {
      double u = (x - cx) / rx, v = (y - cy) / ry;
      if (u * u + v * v <= 1.0) fn(x, y, u, v);
    }
  }
}

}  // namespace loce::data::synth
