// The scene painter of the synthetic Cityscapes stand-in.
//
// A scene is a straight street seen from a camera at driver height: a ground plane (road with
// lane markings, sidewalks, grass verges), a facade plane on each side (buildings with window
// grids, or gaps with hedges that open onto a back row of trees and houses), an end wall of
// buildings across the street and a tree line beyond it, under a sky with clouds. This static
// part is ray-cast per pixel, which gives exact perspective and occlusion for free. Cars,
// persons, trees, poles, signs and traffic lights are then painted far to near (painter's
// algorithm), each projected from its 3-D position, so near objects are large and low in the
// image and hide what is behind them. Lighting (sun side, exposure, white balance, haze with
// distance) and camera noise vary per scene.
//
// All lengths are metres in a camera frame: X to the right, Y up from the ground, Z forward.
// Image positions are in image heights, so a scene looks the same at every resolution.
#include "data/synth.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "core/error.h"
#include "data/labels.h"
#include "data/synth_paint.h"

namespace loce::data {
namespace {

using namespace synth;

constexpr double kInf = std::numeric_limits<double>::infinity();

// The labelIds the painter uses, looked up by name in the official table once.
struct Ids {
  int ego, road, sidewalk, building, pole, traffic_light, traffic_sign, vegetation, terrain, sky,
      person, car;
};
const Ids& ids() {
  static const Ids v = [] {
    auto id = [](const char* name) {
      for (const auto& l : cityscapes_labels())
        if (l.name == name) return l.id;
      fail("synth: label '", name, "' is missing from the Cityscapes label table");
    };
    return Ids{id("ego vehicle"), id("road"),         id("sidewalk"),   id("building"),
               id("pole"),        id("traffic light"), id("traffic sign"), id("vegetation"),
               id("terrain"),     id("sky"),          id("person"),     id("car")};
  }();
  return v;
}

// ------------------------------------------------------------------ scene description

struct Camera {
  double H = 0, W = 0;    // image size in pixels
  double f = 2;           // focal length in image heights
  double horizon = 0.42;  // horizon row, image heights from the top
  double vx = 0;          // vanishing point column, image heights from the centre
  double height = 1.3;    // metres above the ground

  Point project(double X, double Y, double Z) const {
    return {(vx + f * X / Z) * H + W / 2 - 0.5, (horizon + f * (height - Y) / Z) * H - 0.5};
  }
  double scale(double Z) const { return f * H / Z; }  // pixels per metre at depth Z
};

// A stretch of facade: a building (window grid) or, when !building, a gap with a hedge of
// `height` metres (0: none). `s0..s1` runs along the facade (Z on the sides, X on the end wall).
struct Facade {
  double s0 = 0, s1 = 0;
  bool building = true;
  double height = 0;
  Rgb wall, glass, trim;
  double floor_h = 3, col_w = 2.5, win_w = 0.5, win_h = 0.5, ground_h = 4;
  bool shop = false;
  uint64_t seed = 0;
};

// The row behind a side's gaps: trees or houses.
struct BackItem {
  double s0 = 0, s1 = 0;
  bool building = false;
  double height = 0;
  Rgb color;
  uint64_t seed = 0;
};

struct Side {
  double plane_x = 0;  // facade plane (negative on the left)
  double back_x = 0;   // back row plane
  float light = 1;     // sun shading of this side's facades
  std::vector<Facade> facades;
  std::vector<BackItem> back;
};

struct Street {
  double left = 5, right = 5;          // road edges at X = -left and X = right
  double walk_l = 2, walk_r = 2;       // sidewalk widths
  double verge_l = 0, verge_r = 0;     // grass between sidewalk and facade
  double parking_l = 0, parking_r = 0; // parking strips on the road's edges
  double lane_w = 3.2;
  std::vector<double> dashed, solid;   // X of lane lines
  double dash_len = 3, dash_period = 9, dash_phase = 0;
  double crossing_z = -1;              // zebra crossing start (< 0: none)
  Rgb asphalt, paving, curb, grass, marking;
  double tile = 0.4;
  uint64_t seed = 0;
};

struct Sky {
  Rgb zenith, horizon, cloud;
  double cover = 0.5;  // cloud amount
  uint64_t seed = 0;
};

struct Look {
  float gain = 1;
  Rgb balance{1, 1, 1};
  float gamma = 1;
  float saturation = 1;
  float vignette = 0.2f;
  float noise = 2;     // camera noise sigma in 8-bit levels
  Rgb haze;
  double haze_dist = 200;
  float sun = 1;       // +1: sun from the left, -1: from the right (shading of round things)
  uint64_t seed = 0;
};

struct Scene {
  Camera cam;
  Street street;
  Side left, right;
  double end_z = 100;
  std::vector<Facade> end_wall;
  double treeline = 0;  // height of the distant tree line beyond the end wall
  Sky sky;
  Look look;
  double ego_h = 0.06, ego_curve = 0.3;
  Rgb ego_color;
};

// ------------------------------------------------------------------ palettes

Rgb jitter(Rng& rng, Rgb c, double amount) {
  auto j = [&](float v) { return clamp01(float(v * (1 + amount * (rng.uniform() * 2 - 1)))); };
  return {j(c.r), j(c.g), j(c.b)};
}

Rgb wall_color(Rng& rng) {
  static const std::vector<Rgb> palette = {
      rgb255(214, 205, 186), rgb255(196, 190, 182), rgb255(230, 226, 214), rgb255(170, 96, 76),
      rgb255(150, 140, 130), rgb255(222, 196, 140), rgb255(190, 170, 150), rgb255(120, 118, 118),
      rgb255(205, 180, 170), rgb255(176, 190, 196), rgb255(226, 214, 180), rgb255(140, 80, 64)};
  Rgb c = jitter(rng, rng.pick(palette), 0.12);
  return c * float(rng.uniform(0.75, 1.05));
}

Rgb car_color(Rng& rng) {
  static const std::vector<Rgb> palette = {
      rgb255(230, 230, 232), rgb255(25, 25, 28),  rgb255(160, 162, 168), rgb255(100, 102, 108),
      rgb255(150, 20, 25),   rgb255(30, 50, 120), rgb255(20, 60, 40),    rgb255(200, 200, 205),
      rgb255(60, 60, 66),    rgb255(190, 150, 40), rgb255(90, 30, 30),   rgb255(60, 90, 150)};
  return jitter(rng, rng.pick(palette), 0.08);
}

Rgb cloth_color(Rng& rng) {
  static const std::vector<Rgb> palette = {
      rgb255(30, 30, 35),   rgb255(40, 50, 80),  rgb255(200, 200, 200), rgb255(120, 30, 30),
      rgb255(60, 80, 50),   rgb255(150, 120, 90), rgb255(90, 90, 95),   rgb255(180, 60, 40),
      rgb255(40, 70, 130),  rgb255(220, 200, 150), rgb255(110, 60, 100), rgb255(20, 20, 20)};
  return jitter(rng, rng.pick(palette), 0.15);
}

Rgb skin_color(Rng& rng) {
  static const std::vector<Rgb> palette = {rgb255(235, 200, 175), rgb255(200, 160, 130),
                                           rgb255(150, 105, 80), rgb255(95, 65, 50)};
  return jitter(rng, rng.pick(palette), 0.06);
}

Rgb leaf_color(Rng& rng) {
  static const std::vector<Rgb> palette = {rgb255(70, 100, 40), rgb255(55, 85, 35),
                                           rgb255(90, 115, 50), rgb255(60, 90, 55),
                                           rgb255(100, 110, 45)};
  return jitter(rng, rng.pick(palette), 0.12);
}

// ------------------------------------------------------------------ scene layout

Facade make_building(Rng& rng, double s0, double s1) {
  Facade b;
  b.s0 = s0;
  b.s1 = s1;
  b.building = true;
  b.height = rng.chance(0.15) ? rng.uniform(7, 12) : rng.uniform(16, 34);
  b.wall = wall_color(rng);
  b.glass = jitter(rng, rgb255(60, 70, 82), 0.2) * float(rng.uniform(0.6, 1.2));
  b.trim = rng.chance(0.5) ? b.wall * 0.7f : jitter(rng, rgb255(225, 225, 220), 0.1);
  b.floor_h = rng.uniform(2.8, 3.6);
  b.col_w = rng.uniform(1.8, 3.6);
  b.win_w = rng.uniform(0.35, 0.65);
  b.win_h = rng.uniform(0.4, 0.65);
  b.ground_h = rng.uniform(3.2, 4.5);
  b.shop = rng.chance(0.5);
  b.seed = rng.fork();
  return b;
}

// Facades along one side (or across the end) from s0 to s1: mostly buildings, sometimes gaps.
std::vector<Facade> make_facades(Rng& rng, double s0, double s1, double gap_p) {
  std::vector<Facade> out;
  double s = s0;
  while (s < s1) {
    double len = rng.uniform(7, 24);
    double e = std::min(s1, s + len);
    if (rng.chance(gap_p)) {
      Facade g;
      g.s0 = s;
      g.s1 = e;
      g.building = false;
      g.height = rng.chance(0.6) ? rng.uniform(0.8, 2.0) : 0.0;
      g.wall = leaf_color(rng);
      g.seed = rng.fork();
      out.push_back(g);
    } else {
      out.push_back(make_building(rng, s, e));
    }
    s = e;
  }
  return out;
}

std::vector<BackItem> make_back_row(Rng& rng, double s0, double s1) {
  std::vector<BackItem> out;
  double s = s0;
  while (s < s1) {
    BackItem b;
    b.s0 = s;
    b.s1 = std::min(s1, s + rng.uniform(6, 20));
    b.building = rng.chance(0.35);
    b.height = b.building ? rng.uniform(8, 22) : rng.uniform(6, 16);
    b.color = b.building ? wall_color(rng) * 0.9f : leaf_color(rng);
    b.seed = rng.fork();
    out.push_back(b);
    s = b.s1;
  }
  return out;
}

template <class T>
const T* find_span(const std::vector<T>& items, double s) {
  auto it = std::upper_bound(items.begin(), items.end(), s,
                             [](double v, const T& item) { return v < item.s1; });
  if (it == items.end() || s < it->s0) return nullptr;
  return &*it;
}

Scene make_scene(Rng& rng, int height, int width) {
  Scene sc;
  Camera& cam = sc.cam;
  cam.H = height;
  cam.W = width;
  cam.f = rng.uniform(1.7, 2.3);
  cam.horizon = rng.uniform(0.38, 0.47);
  cam.vx = rng.uniform(-0.12, 0.12);
  cam.height = rng.uniform(1.2, 1.5);

  Street& st = sc.street;
  st.seed = rng.fork();
  st.lane_w = rng.uniform(2.9, 3.5);
  int lanes = rng.pick(std::vector<int>{2, 2, 2, 3, 4});
  st.parking_l = rng.chance(0.5) ? 2.3 : 0.0;
  st.parking_r = rng.chance(0.6) ? 2.3 : 0.0;
  // Driving on the right: the camera is in one of the right-hand lanes.
  int cam_lane = std::max(lanes / 2, rng.integer(0, lanes - 1));
  double offset = rng.uniform(-0.4, 0.4);
  st.left = st.parking_l + (cam_lane + 0.5) * st.lane_w + offset;
  st.right = lanes * st.lane_w + st.parking_l + st.parking_r - st.left;
  for (int k = 1; k < lanes; ++k) {
    double x = -st.left + st.parking_l + k * st.lane_w;
    (k == lanes / 2 && lanes > 2 ? st.solid : st.dashed).push_back(x);
  }
  if (rng.chance(0.5)) {
    st.solid.push_back(-st.left + st.parking_l + 0.2);
    st.solid.push_back(st.right - st.parking_r - 0.2);
  }
  st.dash_len = rng.uniform(2, 4);
  st.dash_period = st.dash_len * rng.uniform(2, 3.5);
  st.dash_phase = rng.uniform(0, st.dash_period);
  st.crossing_z = rng.chance(0.3) ? rng.uniform(10, 35) : -1;
  st.walk_l = rng.uniform(2.5, 5.5);
  st.walk_r = rng.uniform(2.5, 5.5);
  st.verge_l = rng.chance(0.3) ? rng.uniform(1, 4) : 0.0;
  st.verge_r = rng.chance(0.3) ? rng.uniform(1, 4) : 0.0;
  float a = float(rng.uniform(0.25, 0.45));
  st.asphalt = jitter(rng, Rgb{a, a * 0.98f, a * 1.03f}, 0.05);
  st.paving = rng.chance(0.3) ? jitter(rng, rgb255(170, 130, 120), 0.1)
                              : jitter(rng, rgb255(165, 160, 155), 0.12);
  st.curb = jitter(rng, rgb255(185, 185, 180), 0.06);
  st.grass = jitter(rng, rgb255(95, 125, 55), 0.15);
  st.marking = jitter(rng, rgb255(225, 225, 220), 0.05);
  st.tile = rng.uniform(0.3, 0.6);

  sc.end_z = rng.uniform(60, 180);
  sc.left.plane_x = -(st.left + st.walk_l + st.verge_l);
  sc.right.plane_x = st.right + st.walk_r + st.verge_r;
  sc.left.back_x = sc.left.plane_x - rng.uniform(10, 30);
  sc.right.back_x = sc.right.plane_x + rng.uniform(10, 30);
  // Some streets are parks on one side: mostly vegetation behind hedges.
  double gap_l = rng.chance(0.15) ? 0.85 : 0.2, gap_r = rng.chance(0.15) ? 0.85 : 0.2;
  sc.left.facades = make_facades(rng, 0, sc.end_z, gap_l);
  sc.right.facades = make_facades(rng, 0, sc.end_z, gap_r);
  sc.left.back = make_back_row(rng, 0, sc.end_z);
  sc.right.back = make_back_row(rng, 0, sc.end_z);
  // The end wall spans everything the camera can see at end_z.
  double span = sc.end_z / cam.f * 1.6 + 20;
  sc.end_wall = make_facades(rng, -span, span, 0.15);
  sc.treeline = rng.chance(0.7) ? rng.uniform(8, 25) : 0.0;

  Sky& sky = sc.sky;
  sky.seed = rng.fork();
  sky.cover = rng.uniform(0, 1);
  sky.zenith = jitter(rng, rgb255(70, 120, 190), 0.15);
  sky.horizon = jitter(rng, rgb255(190, 210, 230), 0.08);
  if (rng.chance(0.3)) {  // overcast
    sky.zenith = jitter(rng, rgb255(170, 175, 185), 0.08);
    sky.horizon = jitter(rng, rgb255(215, 218, 222), 0.05);
    sky.cover = rng.uniform(0.6, 1);
  }
  sky.cloud = jitter(rng, rgb255(240, 240, 242), 0.05);

  Look& look = sc.look;
  look.seed = rng.fork();
  look.gain = float(rng.uniform(0.7, 1.2));
  look.balance = {float(rng.uniform(0.9, 1.1)), float(rng.uniform(0.95, 1.05)),
                  float(rng.uniform(0.88, 1.1))};
  look.gamma = float(rng.uniform(0.85, 1.2));
  look.saturation = float(rng.uniform(0.7, 1.15));
  look.vignette = float(rng.uniform(0.05, 0.35));
  look.noise = float(rng.uniform(1, 5));
  look.haze = mix(sky.horizon, Rgb{0.8f, 0.82f, 0.85f}, 0.5f);
  look.haze_dist = rng.uniform(120, 500);
  look.sun = rng.chance(0.5) ? 1.f : -1.f;
  float lit = float(rng.uniform(1.0, 1.15)), shaded = float(rng.uniform(0.6, 0.85));
  sc.left.light = look.sun > 0 ? shaded : lit;  // sun from the left lights right-hand facades
  sc.right.light = look.sun > 0 ? lit : shaded;

  sc.ego_h = rng.uniform(0.04, 0.075);
  sc.ego_curve = rng.uniform(0.2, 0.45);
  sc.ego_color = jitter(rng, rgb255(40, 45, 55), 0.3);
  return sc;
}

// ------------------------------------------------------------------ surfaces

Rgb haze(const Scene& sc, Rgb c, double z) {
  float t = float(1 - std::exp(-z / sc.look.haze_dist));
  return mix(c, sc.look.haze, t);
}

// Fraction of a pixel footprint [d - fp/2, d + fp/2] inside the stripe |d| <= half_w: a box
// filter, so thin markings fade with distance instead of flickering.
float coverage(double d, double half_w, double fp) {
  fp = std::max(fp, 1e-6);
  double lo = std::max(d - fp / 2, -half_w), hi = std::min(d + fp / 2, half_w);
  return clamp01(float((hi - lo) / fp));
}

// Distance from v to the nearest multiple of period (after phase).
double periodic_distance(double v, double period) {
  double m = std::fmod(v, period);
  if (m < 0) m += period;
  return std::min(m, period - m);
}

Rgb leafy(uint64_t seed, double u, double v, Rgb base) {
  float n1 = fbm(seed, float(u * 1.6), float(v * 1.6), 3);
  float n2 = value_noise(seed + 5, float(u * 5.5), float(v * 5.5));
  float k = 0.45f + 0.9f * n1 * (0.55f + 0.45f * n2);
  Rgb c = base * k;
  return mix(c, Rgb{c.r * 1.25f, c.g * 1.15f, c.b * 0.7f}, smoothstep(0.55f, 0.8f, n1));
}

// Ground inside the street corridor (or anywhere, given X): road, sidewalk or grass.
Rgb ground(const Scene& sc, double X, double Z, double fp_x, double fp_z, int* label) {
  const Street& st = sc.street;
  const Ids& id = ids();
  if (X >= -st.left && X <= st.right) {
    *label = id.road;
    Rgb c = st.asphalt * (0.85f + 0.3f * fbm(st.seed, float(X * 0.35), float(Z * 0.12), 3));
    // Darker wheel tracks in the middle of lanes; patches of repair.
    float cov = 0;
    for (double x : st.dashed) {
      float along = coverage(periodic_distance(Z + st.dash_phase - st.dash_len / 2, st.dash_period),
                             st.dash_len / 2, fp_z);
      cov = std::max(cov, coverage(X - x, 0.07, fp_x) * along);
    }
    for (double x : st.solid) cov = std::max(cov, coverage(X - x, 0.07, fp_x));
    if (st.crossing_z > 0 && Z > st.crossing_z && Z < st.crossing_z + 4)
      cov = std::max(cov, coverage(periodic_distance(X, 1.0), 0.25, fp_x));
    return mix(c, st.marking, cov * 0.9f);
  }
  double out = X < 0 ? -X - st.left : X - st.right;  // metres beyond the road edge
  double walk = X < 0 ? st.walk_l : st.walk_r;
  if (out <= walk) {
    *label = id.sidewalk;
    if (out < 0.25) return st.curb * (0.9f + 0.15f * hash01(st.seed, int64_t(Z * 2), 7));
    int64_t tx = int64_t(std::floor(X / st.tile)), tz = int64_t(std::floor(Z / st.tile));
    Rgb c = st.paving * (0.88f + 0.2f * hash01(st.seed + 1, tx, tz));
    float joint = std::max(coverage(periodic_distance(X, st.tile), 0.02, fp_x),
                           coverage(periodic_distance(Z, st.tile), 0.02, fp_z));
    return c * (1 - 0.35f * joint);
  }
  *label = id.terrain;
  return st.grass * (0.7f + 0.55f * fbm(st.seed + 2, float(X * 1.3), float(Z * 1.3), 3));
}

// A facade point at (s along, h up), seen with `fp` metres per pixel.
Rgb facade(const Facade& b, double s, double h, double fp) {
  double ls = s - b.s0, len = b.s1 - b.s0;
  Rgb wall = b.wall * (0.85f + 0.3f * fbm(b.seed, float(s * 0.3), float(h * 0.3), 3));
  wall = wall * (0.93f + 0.1f * value_noise(b.seed + 1, float(s * 3), float(h * 0.08)));
  if (h > b.height - 0.6) return b.trim * 0.9f;            // cornice
  if (ls < 0.25 || len - ls < 0.25) return wall * 0.75f;   // edge between houses
  Rgb pattern = wall;
  double area;  // glass fraction, for the distant average
  if (h < b.ground_h) {
    double cw = b.col_w * 2;
    double fx = ls / cw - std::floor(ls / cw);
    area = b.shop ? 0.8 * (b.ground_h - 1.2) / b.ground_h : 0.1;
    bool glass = b.shop ? (fx > 0.1 && fx < 0.9 && h > 0.6 && h < b.ground_h - 0.6)
                        : (fx > 0.4 && fx < 0.6 && h < 2.2);  // a door
    if (glass) {
      int64_t k = int64_t(std::floor(ls / cw));
      pattern = b.glass * (0.5f + 0.7f * hash01(b.seed, k, -1));
    } else if (h < 0.4) {
      pattern = wall * 0.7f;  // plinth
    }
  } else {
    double fy_all = (h - b.ground_h) / b.floor_h;
    int64_t floor_i = int64_t(std::floor(fy_all));
    double fy = fy_all - floor_i;
    double fx_all = ls / b.col_w;
    int64_t col = int64_t(std::floor(fx_all));
    double fx = fx_all - col;
    area = b.win_w * b.win_h;
    double dx = std::abs(fx - 0.5) - b.win_w / 2, dy = std::abs(fy - 0.55) - b.win_h / 2;
    bool in_window = dx < 0 && dy < 0 && ls > 0.8 && len - ls > 0.8 && h < b.height - 1.2;
    if (in_window) {
      float r = hash01(b.seed, col, floor_i);
      pattern = r > 0.93f ? Rgb{0.85f, 0.75f, 0.5f} : b.glass * (0.45f + 0.9f * r);
      double frame = 0.07;  // metres
      if (-dx * b.col_w < frame || -dy * b.floor_h < frame) pattern = b.trim;
    } else if (dy < 0 && dy > -0.12 && fy < 0.55 && std::abs(fx - 0.5) < b.win_w / 2 + 0.05) {
      pattern = wall * 0.8f;  // shadow under the sill
    }
  }
  // Far away the grid is smaller than a pixel: fade to its average colour.
  float m = smoothstep(0.3f, 0.8f, float(fp / std::min(b.col_w * b.win_w, b.floor_h * b.win_h)));
  return mix(pattern, mix(wall, b.glass * 0.9f, float(area)), m);
}

Rgb sky_color(const Scene& sc, double px, double py) {
  const Sky& sky = sc.sky;
  float t = clamp01(float(py / std::max(sc.cam.horizon, 1e-3)));
  Rgb c = mix(sky.zenith, sky.horizon, std::pow(t, 1.6f));
  // Clouds stretched horizontally, thinner towards the horizon.
  float n = fbm(sky.seed, float(px * 2.5), float(py * 7), 5);
  float cloud = smoothstep(float(0.75 - 0.35 * sky.cover), float(0.9 - 0.3 * sky.cover), n);
  float shade = 0.8f + 0.25f * fbm(sky.seed + 3, float(px * 6), float(py * 14), 3);
  return mix(c, sky.cloud * shade, cloud * 0.95f);
}

// The static scene, ray-cast per pixel.
void paint_background(Canvas& cv, const Scene& sc) {
  const Camera& cam = sc.cam;
  const Ids& id = ids();
  const double f = cam.f, ch = cam.height;
  for (int y = 0; y < cv.height; ++y) {
    double py = (y + 0.5) / cam.H;
    double e = py - cam.horizon;
    double zg = e > 0 ? f * ch / e : kInf;
    for (int x = 0; x < cv.width; ++x) {
      double px = (x + 0.5 - cam.W / 2) / cam.H;
      double d = px - cam.vx;
      const Side& side = d < 0 ? sc.left : sc.right;
      double zs = d != 0 ? f * side.plane_x / d : kInf;
      int label = id.sky;
      Rgb c;
      double depth = 0;
      auto at_ground = [&](double z) {
        double fp_x = z / (f * cam.H), fp_z = z * z / (f * ch * cam.H);
        c = ground(sc, d * z / f, z, fp_x, fp_z, &label);
        depth = z;
      };
      auto at_sky = [&] {
        label = id.sky;
        c = sky_color(sc, px, py);
        depth = 0;
      };
      if (zg <= zs && zg <= sc.end_z) {
        at_ground(zg);
      } else if (zs < sc.end_z) {
        double h = ch - e * zs / f;
        const Facade* b = find_span(side.facades, zs);
        if (b && b->building && h <= b->height) {
          label = id.building;
          c = facade(*b, zs, h, zs / (f * cam.H)) * side.light;
          depth = zs;
        } else if (b && !b->building && h <= b->height) {
          label = id.vegetation;
          c = leafy(b->seed, zs, h, b->wall) * side.light;
          depth = zs;
        } else {
          double zb = f * side.back_x / d;
          const BackItem* back = find_span(side.back, zb);
          double hb = ch - e * zb / f;
          if (zg < zb) {
            at_ground(zg);
            if (label != id.terrain) label = id.terrain, c = sc.street.grass;
          } else if (back && hb <= back->height * (back->building ? 1.0 : 0.8 + 0.4 * value_noise(back->seed, float(zb * 0.3), 0))) {
            label = back->building ? id.building : id.vegetation;
            c = back->building ? back->color * (0.9f + 0.1f * fbm(back->seed, float(zb * 0.4), float(hb * 0.4), 2))
                               : leafy(back->seed, zb, hb, back->color);
            depth = zb;
          } else {
            at_sky();
          }
        }
      } else {
        double X = d * sc.end_z / f, h = ch - e * sc.end_z / f;
        const Facade* b = find_span(sc.end_wall, X);
        if (b && h <= b->height) {
          label = b->building ? id.building : id.vegetation;
          c = b->building ? facade(*b, X, h, sc.end_z / (f * cam.H)) * 0.9f
                          : leafy(b->seed, X, h, b->wall);
          depth = sc.end_z;
        } else if (e > 0) {
          at_ground(zg);
        } else {
          double zt = sc.end_z * 2 + 80;
          double xt = d * zt / f, ht = ch - e * zt / f;
          double line = sc.treeline * (0.4 + 0.8 * fbm(sc.sky.seed + 9, float(xt * 0.05), 0, 3));
          if (ht <= line) {
            label = id.vegetation;
            c = leafy(sc.sky.seed + 10, xt, ht, rgb255(70, 95, 50));
            depth = zt;
          } else {
            at_sky();
          }
        }
      }
      if (depth > 0) c = haze(sc, c, depth);
      cv.set(x, y, c, label, label);
    }
  }
}

// ------------------------------------------------------------------ objects

struct Drawable {
  double z;  // painted far to near
  std::function<void(Canvas&)> paint;
};

struct Car {
  double x = 0, z = 0;  // centre across, near end along
  double length = 4.4, width = 1.8, height = 1.45;
  bool front = false;   // facing the camera (oncoming)
  Rgb color;
  int instance = 0;
};

void paint_car(Canvas& cv, const Scene& sc, const Car& car) {
  const Camera& cam = sc.cam;
  const int label = ids().car, inst = ids().car * 1000 + car.instance;
  const double x0 = car.x - car.width / 2, x1 = car.x + car.width / 2;
  const double z0 = car.z, z1 = car.z + car.length;
  const double belt = car.height * 0.6, base = 0.2;
  const float light = sc.look.sun * car.x < 0 ? 1.0f : 0.9f;
  auto quad = [&](std::vector<std::array<double, 3>> pts, Rgb col) {
    std::vector<Point> p;
    for (auto& q : pts) p.push_back(cam.project(q[0], q[1], q[2]));
    Rgb c = haze(sc, col, z0);
    fill_convex(cv, p, [&](int x, int y) { cv.set(x, y, c, label, inst); });
  };
  // Shadow on the ground first (colour only).
  {
    std::vector<Point> p = {cam.project(x0 - 0.1, 0, z0 - 0.2), cam.project(x1 + 0.1, 0, z0 - 0.2),
                            cam.project(x1 + 0.1, 0, z1), cam.project(x0 - 0.1, 0, z1)};
    fill_convex(cv, p, [&](int x, int y) { cv.tint(x, y, 0.55f); });
  }
  const bool see_left = x0 > 0, see_right = x1 < 0, see_top = car.height < cam.height;
  const double sx = see_left ? x0 : x1;  // the visible side's plane
  const double cx0 = x0 + 0.12, cx1 = x1 - 0.12;
  const double cz0 = z0 + (car.front ? 1.2 : 0.9), cz1 = z1 - (car.front ? 0.8 : 1.1);
  const double csx = see_left ? cx0 : cx1;
  Rgb body = car.color * light, dark = car.color * (0.6f * light);
  Rgb glass = rgb255(35, 42, 52) * (light * 1.1f);
  // Far parts first: the body's top (the cabin stands on it), the cabin, then the body's side
  // and near faces.
  if (belt < cam.height) quad({{x0, belt, z0}, {x1, belt, z0}, {x1, belt, z1}, {x0, belt, z1}}, body * 1.05f);
  if (see_left || see_right) {
    quad({{csx, belt, cz0 - 0.4}, {csx, car.height, cz0}, {csx, car.height, cz1}, {csx, belt, cz1 + 0.3}},
         glass);
    quad({{csx, belt, (cz0 + cz1) / 2 - 0.05}, {csx, car.height, (cz0 + cz1) / 2 - 0.05},
          {csx, car.height, (cz0 + cz1) / 2 + 0.05}, {csx, belt, (cz0 + cz1) / 2 + 0.05}},
         dark);
  }
  if (see_top) {
    quad({{cx0, car.height, cz0}, {cx1, car.height, cz0}, {cx1, car.height, cz1}, {cx0, car.height, cz1}},
         body * 1.1f);
  }
  quad({{cx0, belt, z0 + (cz0 - z0) * 0.3}, {cx1, belt, z0 + (cz0 - z0) * 0.3}, {cx1, car.height, cz0},
        {cx0, car.height, cz0}}, glass * 0.9f);  // rear or front window
  if (see_left || see_right) {
    quad({{sx, base, z0}, {sx, belt, z0}, {sx, belt, z1}, {sx, base, z1}}, body * 0.85f);
    quad({{sx, base + 0.35, z0 + 0.3}, {sx, base + 0.4, z0 + 0.3}, {sx, base + 0.4, z1 - 0.3},
          {sx, base + 0.35, z1 - 0.3}}, dark);  // side trim line
    for (double wz : {z0 + 0.8, z1 - 0.8}) {   // wheels
      Point c = cam.project(sx, 0.33, wz);
      double ry = cam.scale(wz) * 0.33;
      double rx = std::abs(cam.f * cam.H * sx / (wz * wz)) * 0.33;  // d(image x)/dZ * radius
      Rgb tyre = haze(sc, rgb255(20, 20, 22), wz), rim = haze(sc, rgb255(120, 120, 125), wz);
      fill_ellipse(cv, c.x, c.y, rx, ry, [&](int x, int y, double u, double v) {
        cv.set(x, y, u * u + v * v < 0.3 ? rim : tyre, label, inst);
      });
    }
  }
  // The body's near face: bumper, wheels below it, lamps, plate.
  quad({{x0, 0.05, z0}, {x1, 0.05, z0}, {x1, belt, z0}, {x0, belt, z0}}, body);
  quad({{x0 + 0.1, 0.0, z0}, {x0 + 0.35, 0.0, z0}, {x0 + 0.35, base, z0}, {x0 + 0.1, base, z0}},
       rgb255(20, 20, 22));
  quad({{x1 - 0.35, 0.0, z0}, {x1 - 0.1, 0.0, z0}, {x1 - 0.1, base, z0}, {x1 - 0.35, base, z0}},
       rgb255(20, 20, 22));
  quad({{x0, base, z0}, {x1, base, z0}, {x1, base + 0.15, z0}, {x0, base + 0.15, z0}}, dark);  // bumper
  Rgb lamp = car.front ? rgb255(235, 235, 215) : rgb255(200, 30, 30);
  double ly0 = belt - 0.22, ly1 = belt - 0.07;
  quad({{x0 + 0.05, ly0, z0}, {x0 + 0.35, ly0, z0}, {x0 + 0.35, ly1, z0}, {x0 + 0.05, ly1, z0}}, lamp);
  quad({{x1 - 0.35, ly0, z0}, {x1 - 0.05, ly0, z0}, {x1 - 0.05, ly1, z0}, {x1 - 0.35, ly1, z0}}, lamp);
  // The plate is labelled car, as cityscapesScripts stores "license plate" in labelIds.
  quad({{car.x - 0.26, base + 0.2, z0}, {car.x + 0.26, base + 0.2, z0}, {car.x + 0.26, base + 0.32, z0},
        {car.x - 0.26, base + 0.32, z0}}, rgb255(220, 220, 215));
}

struct Person {
  double x = 0, z = 0, height = 1.75, stride = 0.1, swing = 0.05;
  Rgb shirt, trousers, skin, hair;
  bool coat = false;
  int instance = 0;
};

void paint_person(Canvas& cv, const Scene& sc, const Person& p) {
  const Camera& cam = sc.cam;
  const int label = ids().person, inst = ids().person * 1000 + p.instance;
  const Point feet = cam.project(p.x, 0, p.z);
  const double s = cam.scale(p.z), k = p.height / 1.75;
  auto P = [&](double dx, double dy) { return Point{feet.x + s * dx * k, feet.y - s * dy * k}; };
  auto part = [&](std::vector<Point> pts, Rgb col) {
    // Shading across the body: the side towards the sun is brighter.
    double half = std::max(1.0, s * 0.22 * k);
    fill_convex(cv, pts, [&](int x, int y) {
      float shade = 1.0f + 0.18f * sc.look.sun * float(std::clamp((feet.x - x) / half, -1.0, 1.0));
      cv.set(x, y, haze(sc, col * shade, p.z), label, inst);
    });
  };
  for (int side : {-1, 1}) {
    double hx = side * 0.08, fx = side * 0.08 + side * p.stride;
    part({P(hx - 0.075, 0.92), P(hx + 0.075, 0.92), P(fx + 0.06, 0.05), P(fx - 0.06, 0.05)}, p.trousers);
    part({P(fx - 0.07, 0.0), P(fx + 0.09 * side + 0.05, 0.0), P(fx + 0.06, 0.08), P(fx - 0.06, 0.08)},
         rgb255(30, 28, 28));
  }
  double bottom = p.coat ? 0.55 : 0.88;
  part({P(-0.17, bottom), P(0.17, bottom), P(0.2, 1.45), P(-0.2, 1.45)}, p.shirt);
  for (int side : {-1, 1}) {
    double sx = side * 0.21, hx = side * 0.25 + side * p.swing;
    part({P(sx - 0.045, 1.43), P(sx + 0.045, 1.43), P(hx + 0.04, 0.95), P(hx - 0.04, 0.95)}, p.shirt * 0.9f);
    part({P(hx - 0.035, 0.95), P(hx + 0.035, 0.95), P(hx + 0.03, 0.82), P(hx - 0.03, 0.82)}, p.skin);
  }
  part({P(-0.05, 1.43), P(0.05, 1.43), P(0.05, 1.52), P(-0.05, 1.52)}, p.skin);
  Point head = P(0, 1.63);
  Rgb skin = haze(sc, p.skin, p.z), hair = haze(sc, p.hair, p.z);
  fill_ellipse(cv, head.x, head.y, s * 0.095 * k, s * 0.12 * k, [&](int x, int y, double u, double v) {
    cv.set(x, y, v < -0.25 ? hair : skin, label, inst);
  });
}

struct Tree {
  double x = 0, z = 0, trunk_h = 3, radius = 2.5;
  Rgb leaves, bark;
  uint64_t seed = 0;
};

void paint_tree(Canvas& cv, const Scene& sc, const Tree& t) {
  const Camera& cam = sc.cam;
  const int label = ids().vegetation;  // Cityscapes labels trunks as vegetation too
  const Point foot = cam.project(t.x, 0, t.z);
  const double s = cam.scale(t.z);
  const double tw = std::max(0.5, s * 0.14);
  Rgb bark = haze(sc, t.bark, t.z);
  fill_convex(cv, {{foot.x - tw, foot.y}, {foot.x + tw, foot.y}, {foot.x + tw * 0.8, foot.y - s * (t.trunk_h + 0.5)},
                   {foot.x - tw * 0.8, foot.y - s * (t.trunk_h + 0.5)}},
              [&](int x, int y) { cv.set(x, y, bark, label, label); });
  const double cy = t.trunk_h + t.radius * 0.85, r = t.radius;
  const Point c = cam.project(t.x, cy, t.z);
  fill_ellipse(cv, c.x, c.y, s * r * 1.3, s * r * 1.2, [&](int x, int y, double, double) {
    double u = (x - c.x) / s, v = (c.y - y) / s;  // metres from the canopy centre, v up
    double rho = std::sqrt(u * u + v * v * 1.2) / r;
    double edge = 0.75 + 0.45 * fbm(t.seed, float(u * 1.2), float(v * 1.2), 3);
    if (rho > edge) return;
    float light = 1.0f + 0.25f * float((sc.look.sun * -u + v) / r) - 0.2f * float(rho);
    cv.set(x, y, haze(sc, leafy(t.seed + 1, u, v, t.leaves) * light, t.z), label, label);
  });
}

// A vertical pole of at least one pixel width (thin things should not break into dots).
void paint_pole(Canvas& cv, const Scene& sc, double X, double Z, double h, double w, Rgb col) {
  const Camera& cam = sc.cam;
  const int label = ids().pole;
  Point b = cam.project(X, 0, Z), t = cam.project(X, h, Z);
  double hw = std::max(0.5, cam.scale(Z) * w / 2);
  Rgb c = haze(sc, col, Z);
  fill_convex(cv, {{b.x - hw, b.y}, {b.x + hw, b.y}, {t.x + hw, t.y}, {t.x - hw, t.y}},
              [&](int x, int y) { cv.set(x, y, c, label, label); });
}

struct Lamp {
  double x = 0, z = 0, height = 7, arm = 1.5;
  int dir = 1;  // arm towards the road: +1 to the right
  Rgb color;
};

void paint_lamp(Canvas& cv, const Scene& sc, const Lamp& l) {
  const Camera& cam = sc.cam;
  const int label = ids().pole;
  paint_pole(cv, sc, l.x, l.z, l.height, 0.16, l.color);
  Point a = cam.project(l.x, l.height - 0.1, l.z), b = cam.project(l.x + l.dir * l.arm, l.height, l.z);
  double th = std::max(0.5, cam.scale(l.z) * 0.06);
  Rgb c = haze(sc, l.color, l.z);
  fill_convex(cv, {{a.x, a.y - th}, {b.x, b.y - th}, {b.x, b.y + th}, {a.x, a.y + th}},
              [&](int x, int y) { cv.set(x, y, c, label, label); });
  Point h0 = cam.project(l.x + l.dir * (l.arm - 0.4), l.height + 0.05, l.z);
  Point h1 = cam.project(l.x + l.dir * (l.arm + 0.2), l.height - 0.2, l.z);
  fill_convex(cv, {{h0.x, h0.y}, {h1.x, h0.y}, {h1.x, h1.y}, {h0.x, h1.y}},
              [&](int x, int y) { cv.set(x, y, c * 0.8f, label, label); });
}

struct Sign {
  double x = 0, z = 0, height = 2.5;
  int shape = 0;  // 0: round prohibition, 1: round blue, 2: triangle, 3: rectangle
  Rgb pole;
};

void paint_sign(Canvas& cv, const Scene& sc, const Sign& g) {
  const Camera& cam = sc.cam;
  const int label = ids().traffic_sign;
  paint_pole(cv, sc, g.x, g.z, g.height, 0.08, g.pole);
  const Point c = cam.project(g.x, g.height + 0.1, g.z);
  const double r = std::max(1.0, cam.scale(g.z) * 0.32);
  auto put = [&](int x, int y, Rgb col) { cv.set(x, y, haze(sc, col, g.z), label, label); };
  const Rgb red = rgb255(190, 30, 35), white = rgb255(235, 235, 235), blue = rgb255(30, 70, 160),
            yellow = rgb255(240, 190, 30);
  if (g.shape <= 1) {
    fill_ellipse(cv, c.x, c.y, r, r, [&](int x, int y, double u, double v) {
      double q = u * u + v * v;
      if (g.shape == 0) put(x, y, q > 0.55 ? red : white);
      else put(x, y, (std::abs(v) < 0.15 && std::abs(u) < 0.6) ? white : blue);
    });
  } else if (g.shape == 2) {
    std::vector<Point> tri = {{c.x, c.y - r}, {c.x + r, c.y + r * 0.75}, {c.x - r, c.y + r * 0.75}};
    fill_convex(cv, tri, [&](int x, int y) {
      double inner = (y - (c.y - r * 0.45)) - 1.75 * std::abs(x - c.x);
      put(x, y, inner > 0 && y < c.y + r * 0.45 ? white : red);
    });
  } else {
    std::vector<Point> rect = {{c.x - r, c.y - r * 0.7}, {c.x + r, c.y - r * 0.7},
                               {c.x + r, c.y + r * 0.7}, {c.x - r, c.y + r * 0.7}};
    Rgb face = (g.x > 0) ? yellow : blue;
    fill_convex(cv, rect, [&](int x, int y) {
      bool border = std::abs(x - c.x) > r * 0.85 || std::abs(y - c.y) > r * 0.55;
      put(x, y, border ? white : face);
    });
  }
}

struct TrafficLight {
  double x = 0, z = 0, height = 3.5;
  int lit = 0;  // 0 red, 1 amber, 2 green
};

void paint_traffic_light(Canvas& cv, const Scene& sc, const TrafficLight& t) {
  const Camera& cam = sc.cam;
  const int label = ids().traffic_light;
  paint_pole(cv, sc, t.x, t.z, t.height, 0.12, rgb255(70, 72, 70));
  const double s = cam.scale(t.z);
  const Point top = cam.project(t.x, t.height + 0.95, t.z);
  const double hw = std::max(0.75, s * 0.17), hh = s * 0.47;
  Rgb box = haze(sc, rgb255(25, 27, 25), t.z);
  fill_convex(cv, {{top.x - hw, top.y}, {top.x + hw, top.y}, {top.x + hw, top.y + 2 * hh},
                   {top.x - hw, top.y + 2 * hh}},
              [&](int x, int y) { cv.set(x, y, box, label, label); });
  const Rgb on[3] = {rgb255(250, 40, 30), rgb255(250, 180, 30), rgb255(60, 230, 110)};
  for (int i = 0; i < 3; ++i) {
    Rgb c = haze(sc, i == t.lit ? on[i] : on[i] * 0.25f, t.z);
    fill_ellipse(cv, top.x, top.y + hh * (0.36 + 0.64 * i), hw * 0.65, hw * 0.65,
                 [&](int x, int y, double, double) { cv.set(x, y, c, label, label); });
  }
}

// Positions of everything that stands in the street, each with its painter.
std::vector<Drawable> place_objects(Rng& rng, const Scene& sc) {
  std::vector<Drawable> out;
  const Street& st = sc.street;
  const double f = sc.cam.f;
  int cars = 0, persons = 0;
  // Smallest depth at which lateral position X is inside the image (plus a margin).
  auto min_visible_z = [&](double X) { return std::max(3.0, std::abs(X) * f * 0.8); };

  auto add_car = [&](double x, double z, bool front) {
    Car c;
    c.x = x;
    c.z = z;
    c.length = rng.uniform(3.9, 4.9);
    c.width = rng.uniform(1.7, 1.95);
    c.height = rng.chance(0.2) ? rng.uniform(1.6, 1.9) : rng.uniform(1.35, 1.55);
    c.front = front;
    c.color = car_color(rng);
    c.instance = cars++;
    out.push_back({z, [c, &sc](Canvas& cv) { paint_car(cv, sc, c); }});
    return c.length;
  };
  // Parked cars fill the parking strips in rows with occasional free slots.
  for (int side : {-1, 1}) {
    double strip = side < 0 ? st.parking_l : st.parking_r;
    if (strip <= 0) continue;
    double x = side < 0 ? -st.left + 1.15 : st.right - 1.15;
    double z = rng.uniform(5, 14);
    while (z < std::min(90.0, sc.end_z - 6)) {
      if (st.crossing_z > 0 && z > st.crossing_z - 5.5 && z < st.crossing_z + 5) {
        z = st.crossing_z + 5;  // nobody parks on the zebra crossing
        continue;
      }
      if (rng.chance(0.55)) z += add_car(x + rng.uniform(-0.15, 0.15), z, false);
      else z += rng.uniform(3, 6);
      z += rng.uniform(0.6, 2.5);
    }
  }
  // Traffic in the lanes: oncoming on the left half of the road.
  int moving = rng.integer(0, 3);
  double road_center = -st.left + st.parking_l + (st.left + st.right - st.parking_l - st.parking_r) / 2;
  for (int i = 0; i < moving; ++i) {
    int lanes = int(std::round((st.left + st.right - st.parking_l - st.parking_r) / st.lane_w));
    int lane = rng.integer(0, std::max(0, lanes - 1));
    double x = -st.left + st.parking_l + (lane + 0.5) * st.lane_w + rng.uniform(-0.3, 0.3);
    double z = rng.uniform(std::abs(x) < 1.5 ? 10 : 5, 60);
    add_car(x, z, x < road_center);
  }

  // Persons on the sidewalks, a few crossing.
  auto add_person = [&](double x, double z) {
    Person p;
    p.x = x;
    p.z = z;
    p.height = rng.chance(0.12) ? rng.uniform(1.0, 1.45) : rng.uniform(1.55, 1.95);
    p.stride = rng.uniform(-0.05, 0.2);
    p.swing = rng.uniform(-0.08, 0.1);
    p.shirt = cloth_color(rng);
    p.trousers = cloth_color(rng);
    p.skin = skin_color(rng);
    p.hair = rng.chance(0.3) ? rgb255(150, 110, 60) : rgb255(30, 25, 20);
    p.coat = rng.chance(0.25);
    p.instance = persons++;
    out.push_back({z, [p, &sc](Canvas& cv) { paint_person(cv, sc, p); }});
  };
  int walkers = rng.integer(2, 8);
  for (int i = 0; i < walkers; ++i) {
    int side = rng.chance(0.5) ? -1 : 1;
    double walk = side < 0 ? st.walk_l : st.walk_r;
    double x = side < 0 ? -st.left - rng.uniform(0.5, walk - 0.3) : st.right + rng.uniform(0.5, walk - 0.3);
    double z = rng.uniform(min_visible_z(x), std::max(min_visible_z(x) + 5, 35.0));
    add_person(x, z);
    if (rng.chance(0.3)) add_person(x + rng.uniform(-0.7, 0.7), z + rng.uniform(-1, 1.5));  // groups
  }
  if (st.crossing_z > 0 && rng.chance(0.7)) {
    int n = rng.integer(1, 3);
    for (int i = 0; i < n; ++i)
      add_person(rng.uniform(-st.left + 0.5, st.right - 0.5), st.crossing_z + rng.uniform(0.5, 3.5));
  }

  // Street trees along the sidewalks' outer half (or the verge).
  for (int side : {-1, 1}) {
    if (!rng.chance(0.65)) continue;
    double walk = side < 0 ? st.walk_l : st.walk_r, verge = side < 0 ? st.verge_l : st.verge_r;
    double edge = side < 0 ? st.left : st.right;
    double off = verge > 0 ? walk + verge / 2 : walk * 0.75;
    double spacing = rng.uniform(7, 14);
    Rgb leaves = leaf_color(rng);
    for (double z = rng.uniform(4, 10); z < std::min(sc.end_z - 5, 110.0); z += spacing * rng.uniform(0.8, 1.2)) {
      Tree t;
      t.x = side * (edge + off);
      t.z = z;
      t.trunk_h = rng.uniform(2.0, 3.5);
      t.radius = rng.uniform(1.8, 3.6);
      t.leaves = jitter(rng, leaves, 0.08);
      t.bark = jitter(rng, rgb255(80, 65, 50), 0.15);
      t.seed = rng.fork();
      out.push_back({z, [t, &sc](Canvas& cv) { paint_tree(cv, sc, t); }});
    }
  }

  // Street lamps at the curb, signs and traffic lights.
  for (int side : {-1, 1}) {
    if (!rng.chance(0.7)) continue;
    double edge = side < 0 ? st.left : st.right;
    double spacing = rng.uniform(18, 32);
    Rgb col = jitter(rng, rgb255(110, 112, 110), 0.2);
    double h = rng.uniform(5.5, 9), arm = rng.uniform(0.8, 2.0);
    for (double z = rng.uniform(5, 20); z < std::min(sc.end_z - 5, 120.0); z += spacing) {
      Lamp l;
      l.x = side * (edge + 0.5);
      l.z = z;
      l.height = h;
      l.arm = arm;
      l.dir = -side;
      l.color = col;
      out.push_back({z, [l, &sc](Canvas& cv) { paint_lamp(cv, sc, l); }});
    }
  }
  int signs = rng.integer(0, 3);
  for (int i = 0; i < signs; ++i) {
    Sign g;
    int side = rng.chance(0.6) ? 1 : -1;
    g.x = side * ((side < 0 ? st.left : st.right) + rng.uniform(0.3, 0.8));
    g.z = rng.uniform(min_visible_z(g.x), 40);
    g.height = rng.uniform(2.1, 2.8);
    g.shape = rng.integer(0, 3);
    g.pole = jitter(rng, rgb255(130, 132, 130), 0.15);
    out.push_back({g.z, [g, &sc](Canvas& cv) { paint_sign(cv, sc, g); }});
  }
  if (rng.chance(0.35)) {
    double z = st.crossing_z > 0 ? st.crossing_z - 1 : rng.uniform(15, 45);
    for (int side : {-1, 1}) {
      TrafficLight t;
      t.x = side * ((side < 0 ? st.left : st.right) + 0.4);
      t.z = std::max(z, min_visible_z(t.x));
      t.height = rng.uniform(2.8, 3.6);
      t.lit = rng.integer(0, 2);
      out.push_back({t.z, [t, &sc](Canvas& cv) { paint_traffic_light(cv, sc, t); }});
    }
  }
  return out;
}

// The hood of the recording car at the bottom, as in every Cityscapes frame (labelId
// "ego vehicle", ignored in evaluation). It mirrors a dim copy of the road above it.
void paint_ego_vehicle(Canvas& cv, const Scene& sc) {
  const int label = ids().ego;
  for (int x = 0; x < cv.width; ++x) {
    double u = (x + 0.5) / cv.width * 2 - 1;
    double top = cv.height * (1 - sc.ego_h * (1 - sc.ego_curve * u * u));
    for (int y = std::max(0, int(std::ceil(top))); y < cv.height; ++y) {
      int mirror = std::clamp(int(2 * top - y), 0, cv.height - 1);
      Rgb reflected = cv.color[size_t(mirror) * cv.width + x];
      cv.set(x, y, mix(sc.ego_color, reflected, 0.3f), label, label);
    }
  }
}

// Exposure, white balance, saturation, vignetting and camera noise, into 8-bit RGB.
void develop(const Canvas& cv, const Scene& sc, std::vector<uint8_t>& rgb) {
  const Look& lk = sc.look;
  rgb.resize(size_t(cv.height) * cv.width * 3);
  const float sigma = lk.noise / 255.f * 1.7320508f;  // Irwin-Hall(4) - 2 has variance 1/3
  for (int y = 0; y < cv.height; ++y) {
    for (int x = 0; x < cv.width; ++x) {
      size_t i = size_t(y) * cv.width + x;
      Rgb c = cv.color[i] * lk.balance * lk.gain;
      float grey = 0.299f * c.r + 0.587f * c.g + 0.114f * c.b;
      c = mix(Rgb{grey, grey, grey}, c, lk.saturation);
      double u = (x + 0.5) / cv.width - 0.5, v = (y + 0.5) / cv.height - 0.5;
      c = c * float(1 - lk.vignette * (u * u + v * v) * 2);
      float n_lum = hash01(lk.seed, int64_t(i), 0) + hash01(lk.seed, int64_t(i), 1) +
                    hash01(lk.seed, int64_t(i), 2) + hash01(lk.seed, int64_t(i), 3) - 2;
      float ch[3] = {c.r, c.g, c.b};
      for (int k = 0; k < 3; ++k) {
        float chroma = hash01(lk.seed + 1 + k, int64_t(i), 0) - 0.5f;
        float v8 = std::pow(clamp01(ch[k]), lk.gamma) + sigma * (n_lum + 0.5f * chroma);
        rgb[i * 3 + k] = uint8_t(std::lround(clamp01(v8) * 255.f));
      }
    }
  }
}

}  // namespace

SynthScene render_synthetic_scene(uint64_t scene_seed, int height, int width) {
  if (height <= 0 || width <= 0)
    bad_input("synth: image size must be positive, got ", height, "x", width);
  Rng rng(scene_seed);
  Scene sc = make_scene(rng, height, width);
  Canvas cv(height, width);
  paint_background(cv, sc);
  Rng object_rng(rng.fork());
  std::vector<Drawable> objects = place_objects(object_rng, sc);
  std::stable_sort(objects.begin(), objects.end(),
                   [](const Drawable& a, const Drawable& b) { return a.z > b.z; });
  for (const Drawable& d : objects) d.paint(cv);
  paint_ego_vehicle(cv, sc);

  SynthScene out;
  out.height = height;
  out.width = width;
  develop(cv, sc, out.rgb);
  out.label_ids = std::move(cv.label);
  out.instance_ids = std::move(cv.instance);
  return out;
}

}  // namespace loce::data
