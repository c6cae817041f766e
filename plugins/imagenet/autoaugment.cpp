// AutoAugment's ImageNet policy in PIL 9.4's arithmetic; see autoaugment.h. The comments name
// the PIL routine each step follows. Built with -ffp-contract=off (CMakeLists.txt): PIL's x86-64
// build evaluates a * b + c as two roundings, and a fused multiply-add would move results that
// sit on an integer boundary before truncation.
#include "autoaugment.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

#include "nas/seed.h"

namespace nas::autoaugment {
namespace {

constexpr std::uint8_t kFill = 128;
constexpr double kPi = 3.14159265358979323846;

using Lut = std::array<std::array<std::uint8_t, 256>, 3>;

Image apply_lut(const Image& image, const Lut& lut) {
  Image out = image;
  for (std::size_t i = 0; i < out.rgb.size(); ++i) out.rgb[i] = lut[i % 3][out.rgb[i]];
  return out;
}

Image same_lut(const Image& image, const std::array<std::uint8_t, 256>& one) {
  return apply_lut(image, Lut{one, one, one});
}

std::array<std::array<std::int64_t, 256>, 3> histograms(const Image& image) {
  std::array<std::array<std::int64_t, 256>, 3> h{};
  for (std::size_t i = 0; i < image.rgb.size(); ++i) ++h[i % 3][image.rgb[i]];
  return h;
}

// Convert.c's rgb2l: ITU-R 601-2 luma in 16.16 fixed point, rounded.
std::uint8_t luma(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  return static_cast<std::uint8_t>((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
}

// Blend.c's ImagingBlend(a, b, alpha): alpha arrives as a C float; inside [0, 1] the result
// truncates, outside it is clipped first.
Image blend(const Image& a, const Image& b, double factor) {
  const auto alpha = static_cast<float>(factor);
  if (alpha == 0.0f) return a;
  if (alpha == 1.0f) return b;
  Image out = a;
  const bool inside = alpha >= 0.0f && alpha <= 1.0f;
  for (std::size_t i = 0; i < out.rgb.size(); ++i) {
    const int v1 = a.rgb[i], v2 = b.rgb[i];
    const float v = static_cast<float>(v1) + alpha * static_cast<float>(v2 - v1);
    if (inside) {
      out.rgb[i] = static_cast<std::uint8_t>(v);
    } else {
      out.rgb[i] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : static_cast<std::uint8_t>(v);
    }
  }
  return out;
}

// Filter.c's ImagingFilter3x3 with ImageFilter.SMOOTH: the kernel divided by 13 in floats,
// rows summed from the one below to the one above (the order the C code adds them), + 0.5
// and truncated; the outermost rows and columns are copied. Images narrower or shorter than 3
// are returned unchanged, as PIL does.
Image smooth(const Image& image) {
  if (image.width < 3 || image.height < 3) return image;
  const float edge = 1.0f / 13.0f, centre = 5.0f / 13.0f;
  const std::array<float, 9> k = {edge, edge, edge, edge, centre, edge, edge, edge, edge};
  Image out = image;
  for (int y = 1; y < image.height - 1; ++y)
    for (int x = 1; x < image.width - 1; ++x)
      for (int c = 0; c < 3; ++c) {
        auto row = [&](int yy, int k0) {
          return static_cast<float>(image.at(yy, x - 1, c)) * k[k0] +
                 static_cast<float>(image.at(yy, x, c)) * k[k0 + 1] +
                 static_cast<float>(image.at(yy, x + 1, c)) * k[k0 + 2];
        };
        float s = 0.5f;
        s += row(y + 1, 0);
        s += row(y, 3);
        s += row(y - 1, 6);
        out.at(y, x, c) = s <= 0.0f ? 0 : s >= 255.0f ? 255 : static_cast<std::uint8_t>(s);
      }
  return out;
}

// Geometry.c's COORD and FLOOR.
int coord(double v) { return v < 0.0 ? -1 : static_cast<int>(v); }
int floor_int(double v) { return v < 0.0 ? static_cast<int>(std::floor(v)) : static_cast<int>(v); }

// Geometry.c's BICUBIC: the a = -1 cubic through v1..v4 at d in [0, 1). The differences are
// taken in T (int for the first pass over bytes, double for the second), as the macro does.
template <typename T>
double cubic(T v1, T v2, T v3, T v4, double d) {
  const double p1 = v2;
  const double p2 = -v1 + v3;
  const double p3 = 2 * (v1 - v2) + v3 - v4;
  const double p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

// ImagingGenericTransform with affine_transform and bicubic_filter32RGB: each output pixel's
// centre mapped through the matrix; outside the source it keeps the fill.
Image affine_bicubic(const Image& in, const std::array<double, 6>& a) {
  Image out(in.height, in.width, kFill);
  const int w = in.width, h = in.height;
  auto xclip = [w](int x) { return x < 0 ? 0 : x < w ? x : w - 1; };
  auto yclip = [h](int y) { return y < 0 ? 0 : y < h ? y : h - 1; };
  for (int oy = 0; oy < h; ++oy)
    for (int ox = 0; ox < w; ++ox) {
      const double px = ox + 0.5, py = oy + 0.5;
      double xin = a[0] * px + a[1] * py + a[2];
      double yin = a[3] * px + a[4] * py + a[5];
      if (xin < 0.0 || xin >= w || yin < 0.0 || yin >= h) continue;
      xin -= 0.5;
      yin -= 0.5;
      int x = floor_int(xin), y = floor_int(yin);
      const double dx = xin - x, dy = yin - y;
      --x;
      --y;
      const int x0 = xclip(x), x1 = xclip(x + 1), x2 = xclip(x + 2), x3 = xclip(x + 3);
      for (int c = 0; c < 3; ++c) {
        auto row = [&](int yy) {
          return cubic<int>(in.at(yy, x0, c), in.at(yy, x1, c), in.at(yy, x2, c), in.at(yy, x3, c),
                            dx);
        };
        // The first row is clamped into the image; a later row outside it repeats the one
        // before (the macro's asymmetry, kept).
        const double v1 = row(yclip(y));
        const double v2 = y + 1 >= 0 && y + 1 < h ? row(y + 1) : v1;
        const double v3 = y + 2 >= 0 && y + 2 < h ? row(y + 2) : v2;
        const double v4 = y + 3 >= 0 && y + 3 < h ? row(y + 3) : v3;
        const double v = cubic<double>(v1, v2, v3, v4, dy);
        out.at(oy, ox, c) = v <= 0.0 ? 0 : v >= 255.0 ? 255 : static_cast<std::uint8_t>(v);
      }
    }
  return out;
}

// ImagingScaleAffine (nearest, a pure translation here): the source column and row advance by
// repeated addition of 1.0 from t + 0.5, in doubles, as PIL does.
Image translate(const Image& in, double tx, double ty) {
  Image out(in.height, in.width, kFill);
  std::vector<int> xin(static_cast<std::size_t>(in.width));
  double xo = tx + 1.0 * 0.5;
  for (int x = 0; x < in.width; ++x, xo += 1.0) xin[static_cast<std::size_t>(x)] = coord(xo);
  double yo = ty + 1.0 * 0.5;
  for (int y = 0; y < in.height; ++y, yo += 1.0) {
    const int yi = coord(yo);
    if (yi < 0 || yi >= in.height) continue;
    for (int x = 0; x < in.width; ++x) {
      const int xi = xin[static_cast<std::size_t>(x)];
      if (xi < 0 || xi >= in.width) continue;
      for (int c = 0; c < 3; ++c) out.at(y, x, c) = in.at(yi, xi, c);
    }
  }
  return out;
}

// Python's round(v, 15): the decimal string correctly rounded to 15 places, read back.
double round15(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.15f", v);
  return std::strtod(text, nullptr);
}

// Python's float modulo (the result takes the divisor's sign).
double py_mod(double v, double m) {
  double r = std::fmod(v, m);
  if (r != 0.0 && ((m < 0) != (r < 0))) r += m;
  return r;
}

// Geometry.c's affine_fixed: nearest neighbour in 16.16 fixed point (PIL's path for any
// image under 32768 pixels a side).
Image affine_nearest_fixed(const Image& in, const std::array<double, 6>& a) {
  auto fix = [](double v) { return floor_int(v * 65536.0 + 0.5); };
  const int a0 = fix(a[0]), a1 = fix(a[1]), a3 = fix(a[3]), a4 = fix(a[4]);
  int a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5);
  int a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5);
  Image out(in.height, in.width, kFill);
  for (int y = 0; y < in.height; ++y) {
    int xx = a2, yy = a5;
    for (int x = 0; x < in.width; ++x, xx += a0, yy += a3) {
      const int xi = xx >> 16, yi = yy >> 16;
      if (xi < 0 || xi >= in.width || yi < 0 || yi >= in.height) continue;
      for (int c = 0; c < 3; ++c) out.at(y, x, c) = in.at(yi, xi, c);
    }
    a2 += a1;
    a5 += a4;
  }
  return out;
}

double linspace(double start, double stop, int k) {
  if (k == kMagnitudeLevels - 1) return stop;
  const double step = (stop - start) / (kMagnitudeLevels - 1);
  return k * step + start;
}

}  // namespace

const char* op_name(Op op) {
  switch (op) {
    case Op::kShearX:
      return "shearX";
    case Op::kShearY:
      return "shearY";
    case Op::kTranslateX:
      return "translateX";
    case Op::kTranslateY:
      return "translateY";
    case Op::kRotate:
      return "rotate";
    case Op::kColor:
      return "color";
    case Op::kPosterize:
      return "posterize";
    case Op::kSolarize:
      return "solarize";
    case Op::kContrast:
      return "contrast";
    case Op::kSharpness:
      return "sharpness";
    case Op::kBrightness:
      return "brightness";
    case Op::kAutoContrast:
      return "autocontrast";
    case Op::kEqualize:
      return "equalize";
    case Op::kInvert:
      return "invert";
  }
  return "?";
}

bool op_signed(Op op) {
  switch (op) {
    case Op::kShearX:
    case Op::kShearY:
    case Op::kTranslateX:
    case Op::kTranslateY:
    case Op::kColor:
    case Op::kContrast:
    case Op::kSharpness:
    case Op::kBrightness:
      return true;
    default:
      return false;
  }
}

double magnitude(Op op, int level) {
  if (level < 0 || level >= kMagnitudeLevels)
    throw std::out_of_range("autoaugment: magnitude level " + std::to_string(level));
  switch (op) {
    case Op::kShearX:
    case Op::kShearY:
      return linspace(0, 0.3, level);
    case Op::kTranslateX:
    case Op::kTranslateY:
      return linspace(0, 150.0 / 331.0, level);
    case Op::kRotate:
      return linspace(0, 30, level);
    case Op::kColor:
    case Op::kContrast:
    case Op::kSharpness:
    case Op::kBrightness:
      return linspace(0.0, 0.9, level);
    case Op::kPosterize:
      // numpy's round is half to even, as nearbyint in the default rounding mode.
      return std::nearbyint(linspace(8, 4, level));
    case Op::kSolarize:
      return linspace(256, 0, level);
    default:
      return 0;
  }
}

Image shear_x(const Image& image, double shear) {
  return affine_bicubic(image, {1, shear, 0, 0, 1, 0});
}

Image shear_y(const Image& image, double shear) {
  return affine_bicubic(image, {1, 0, 0, shear, 1, 0});
}

Image translate_x(const Image& image, double pixels) { return translate(image, pixels, 0); }

Image translate_y(const Image& image, double pixels) { return translate(image, 0, pixels); }

// Image.rotate without expand: the angle modulo 360, the exact quarter turns PIL transposes,
// otherwise the inverse rotation matrix about (w/2, h/2) with 15-decimal entries.
Image rotate(const Image& image, double degrees) {
  const double angle = py_mod(degrees, 360.0);
  const int w = image.width, h = image.height;
  if (angle == 0) return image;
  if (angle == 180 || ((angle == 90 || angle == 270) && w == h)) {
    Image out(h, w);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        int sx = w - 1 - x, sy = h - 1 - y;  // 180
        if (angle == 90) sx = w - 1 - y, sy = x;
        if (angle == 270) sx = y, sy = h - 1 - x;
        for (int c = 0; c < 3; ++c) out.at(y, x, c) = image.at(sy, sx, c);
      }
    return out;
  }
  const double rad = -(angle * (kPi / 180.0));
  std::array<double, 6> m = {round15(std::cos(rad)),  round15(std::sin(rad)), 0.0,
                             round15(-std::sin(rad)), round15(std::cos(rad)), 0.0};
  const double cx = w / 2.0, cy = h / 2.0;
  m[2] = m[0] * -cx + m[1] * -cy + m[2];
  m[5] = m[3] * -cx + m[4] * -cy + m[5];
  m[2] += cx;
  m[5] += cy;
  return affine_nearest_fixed(image, m);
}

// ImageEnhance.Color: blend with the grey image.
Image color(const Image& image, double factor) {
  Image grey = image;
  for (std::size_t i = 0; i < grey.rgb.size(); i += 3) {
    const std::uint8_t l = luma(image.rgb[i], image.rgb[i + 1], image.rgb[i + 2]);
    grey.rgb[i] = grey.rgb[i + 1] = grey.rgb[i + 2] = l;
  }
  return blend(grey, image, factor);
}

// ImageEnhance.Contrast: blend with the grey level int(mean(L) + 0.5), the mean taken from the
// histogram of L in doubles (ImageStat).
Image contrast(const Image& image, double factor) {
  std::array<std::int64_t, 256> hist{};
  for (std::size_t i = 0; i < image.rgb.size(); i += 3)
    ++hist[luma(image.rgb[i], image.rgb[i + 1], image.rgb[i + 2])];
  double sum = 0.0;
  std::int64_t count = 0;
  for (int j = 0; j < 256; ++j) {
    sum += j * static_cast<double>(hist[j]);
    count += hist[j];
  }
  const double mean = count > 0 ? sum / static_cast<double>(count) : 0.0;
  const Image grey(image.height, image.width, static_cast<std::uint8_t>(mean + 0.5));
  return blend(grey, image, factor);
}

Image brightness(const Image& image, double factor) {
  return blend(Image(image.height, image.width, 0), image, factor);
}

Image sharpness(const Image& image, double factor) { return blend(smooth(image), image, factor); }

// ImageOps.posterize: keep the top `bits` bits.
Image posterize(const Image& image, int bits) {
  const int mask = ~((1 << (8 - bits)) - 1);
  std::array<std::uint8_t, 256> lut{};
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<std::uint8_t>(i & mask);
  return same_lut(image, lut);
}

// ImageOps.solarize: values at or above the threshold inverted.
Image solarize(const Image& image, double threshold) {
  std::array<std::uint8_t, 256> lut{};
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<std::uint8_t>(i < threshold ? i : 255 - i);
  return same_lut(image, lut);
}

// ImageOps.autocontrast (no cutoff): per channel, [lo, hi] mapped by int(i * scale + offset)
// in doubles, truncated toward zero, clamped; a channel with one value is left alone.
Image autocontrast(const Image& image) {
  const auto h = histograms(image);
  Lut lut{};
  for (int c = 0; c < 3; ++c) {
    int lo = 0, hi = 255;
    while (lo < 255 && h[c][lo] == 0) ++lo;
    while (hi > 0 && h[c][hi] == 0) --hi;
    for (int i = 0; i < 256; ++i) {
      if (hi <= lo) {
        lut[c][i] = static_cast<std::uint8_t>(i);
        continue;
      }
      const double scale = 255.0 / (hi - lo);
      const double offset = -lo * scale;
      const double v = std::trunc(i * scale + offset);
      lut[c][i] = static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0));
    }
  }
  return apply_lut(image, lut);
}

// ImageOps.equalize: per channel, step = (pixels - count of the last used value) // 255;
// value i maps to (step // 2 + pixels below i) // step, clipped to 255 (PIL clips LUTs).
// A channel with at most one used value, or step 0, is left alone.
Image equalize(const Image& image) {
  const auto h = histograms(image);
  Lut lut{};
  for (int c = 0; c < 3; ++c) {
    std::int64_t total = 0, last = 0;
    int used = 0;
    for (int i = 0; i < 256; ++i)
      if (h[c][i] > 0) total += h[c][i], last = h[c][i], ++used;
    const std::int64_t step = used <= 1 ? 0 : (total - last) / 255;
    std::int64_t n = step / 2;
    for (int i = 0; i < 256; ++i) {
      lut[c][i] = step == 0 ? static_cast<std::uint8_t>(i)
                            : static_cast<std::uint8_t>(std::min<std::int64_t>(n / step, 255));
      n += h[c][i];
    }
  }
  return apply_lut(image, lut);
}

Image invert(const Image& image) {
  std::array<std::uint8_t, 256> lut{};
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<std::uint8_t>(255 - i);
  return same_lut(image, lut);
}

Image apply(const Image& image, Op op, int level, int sign) {
  const double m = magnitude(op, level);
  const double s = sign < 0 ? -1.0 : 1.0;
  switch (op) {
    case Op::kShearX:
      return shear_x(image, m * s);
    case Op::kShearY:
      return shear_y(image, m * s);
    case Op::kTranslateX:
      return translate_x(image, m * image.width * s);
    case Op::kTranslateY:
      return translate_y(image, m * image.height * s);
    case Op::kRotate:
      return rotate(image, m);
    case Op::kColor:
      return color(image, 1 + m * s);
    case Op::kPosterize:
      return posterize(image, static_cast<int>(m));
    case Op::kSolarize:
      return solarize(image, m);
    case Op::kContrast:
      return contrast(image, 1 + m * s);
    case Op::kSharpness:
      return sharpness(image, 1 + m * s);
    case Op::kBrightness:
      return brightness(image, 1 + m * s);
    case Op::kAutoContrast:
      return autocontrast(image);
    case Op::kEqualize:
      return equalize(image);
    case Op::kInvert:
      return invert(image);
  }
  return image;
}

const std::array<SubPolicy, 25>& imagenet_policy() {
  using O = Op;
  static const std::array<SubPolicy, 25> policy = {{
      {0.4, O::kPosterize, 8, 0.6, O::kRotate, 9},
      {0.6, O::kSolarize, 5, 0.6, O::kAutoContrast, 5},
      {0.8, O::kEqualize, 8, 0.6, O::kEqualize, 3},
      {0.6, O::kPosterize, 7, 0.6, O::kPosterize, 6},
      {0.4, O::kEqualize, 7, 0.2, O::kSolarize, 4},
      {0.4, O::kEqualize, 4, 0.8, O::kRotate, 8},
      {0.6, O::kSolarize, 3, 0.6, O::kEqualize, 7},
      {0.8, O::kPosterize, 5, 1.0, O::kEqualize, 2},
      {0.2, O::kRotate, 3, 0.6, O::kSolarize, 8},
      {0.6, O::kEqualize, 8, 0.4, O::kPosterize, 6},
      {0.8, O::kRotate, 8, 0.4, O::kColor, 0},
      {0.4, O::kRotate, 9, 0.6, O::kEqualize, 2},
      {0.0, O::kEqualize, 7, 0.8, O::kEqualize, 8},
      {0.6, O::kInvert, 4, 1.0, O::kEqualize, 8},
      {0.6, O::kColor, 4, 1.0, O::kContrast, 8},
      {0.8, O::kRotate, 8, 1.0, O::kColor, 2},
      {0.8, O::kColor, 8, 0.8, O::kSolarize, 7},
      {0.4, O::kSharpness, 7, 0.6, O::kInvert, 8},
      {0.6, O::kShearX, 5, 1.0, O::kEqualize, 9},
      {0.4, O::kColor, 0, 0.6, O::kEqualize, 3},
      {0.4, O::kEqualize, 7, 0.2, O::kSolarize, 4},
      {0.6, O::kSolarize, 5, 0.6, O::kAutoContrast, 5},
      {0.6, O::kInvert, 4, 1.0, O::kEqualize, 8},
      {0.6, O::kColor, 4, 1.0, O::kContrast, 8},
      {0.8, O::kEqualize, 8, 0.6, O::kEqualize, 3},
  }};
  return policy;
}

bool apply_imagenet_policy(nas::Rng& rng, Image& image) {
  const auto& policy = imagenet_policy();
  const SubPolicy& sub =
      policy[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(policy.size())))];
  bool ran = false;
  const std::array<std::pair<double, std::pair<Op, int>>, 2> steps = {
      {{sub.p1, {sub.op1, sub.level1}}, {sub.p2, {sub.op2, sub.level2}}}};
  for (const auto& [p, step] : steps) {
    if (rng.uniform() >= p) continue;
    const int sign = op_signed(step.first) ? (rng.below(2) == 0 ? -1 : 1) : 1;
    image = apply(image, step.first, step.second, sign);
    ran = true;
  }
  return ran;
}

}  // namespace nas::autoaugment
