// AutoAugment's ImageNet policy (Cubuk et al., 2019) on 8-bit RGB images, as the ImageNetPolicy
// class that Zen-NAS and the WRCor reference train with (DeVries' port of the policy to PIL)
// computes it with PIL 9. Internal to the imagenet plugin; no torch. tests/test_autoaugment.cpp
// checks every operation against PIL itself (tests/oracle/autoaugment_oracle.py).
//
// Contract:
// * Image: height x width pixels, rows top to bottom, R, G, B interleaved (PIL's "RGB").
// * The 14 operations reproduce PIL 9.4's integer and floating-point steps, so their outputs
//   are PIL's byte for byte (the bicubic shears up to the rounding of fused multiply-adds,
//   see the test):
//   - shear_x / shear_y: Image.transform AFFINE (1, s, 0, 0, 1, 0) / (1, 0, 0, s, 1, 0), BICUBIC
//     (PIL's transform cubic, a = -1, edge rows and columns repeated), fill (128, 128, 128);
//   - translate_x / translate_y: AFFINE (1, 0, t, 0, 1, 0) / (1, 0, 0, 0, 1, t), NEAREST,
//     fill 128; t in pixels (positive moves the content left / up);
//   - rotate: Image.rotate(degrees) (counter-clockwise about (w/2, h/2), NEAREST, PIL's 16.16
//     fixed-point sampling) with the uncovered corners grey 128, which is what the reference's
//     RGBA rotate composited on a grey image yields;
//   - color / contrast / brightness / sharpness: ImageEnhance.*.enhance(factor), a blend of a
//     degenerate image and the image in single-precision floats, truncated (clipped when the
//     factor extrapolates): the grey image L = (19595 R + 38470 G + 7471 B + 2^15) >> 16, the
//     grey level int(mean(L) + 0.5), black, PIL's SMOOTH 3x3 filter ([[1,1,1],[1,5,1],[1,1,1]]
//     / 13, border pixels kept);
//   - posterize(bits), solarize(threshold: values >= it are inverted), autocontrast (each
//     channel's [min, max] stretched to [0, 255]), equalize (PIL's per-channel histogram
//     equalisation), invert.
// * magnitude(op, k), k in 0..9: the reference's tables: linspace(0, 0.3) for the shears,
//   linspace(0, 150/331) of the image side for the translations, linspace(0, 30) degrees,
//   linspace(0, 0.9) for the enhancers (factor 1 + sign * m), round(linspace(8, 4)) bits,
//   linspace(256, 0) for the solarize threshold (numpy's linspace arithmetic, 10 points).
// * Signs: shears, translations and the four enhancers draw a sign +-1 per application; rotate
//   does not: the reference (WRCor's foresight/autoaugment.py, Zen-NAS's copy) always turns
//   counter-clockwise; later versions of the port added a random sign there.
// * apply_imagenet_policy draws from `rng` in the reference's order of random calls: the
//   sub-policy, below(25); then for each of its two operations uniform() (the operation runs
//   when it is < p, so a p of 0 still draws) and, only when a signed operation runs, its sign,
//   below(2) (0: -1, 1: +1). It returns whether an operation ran.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace nas {
class Rng;
}

namespace nas::autoaugment {

struct Image {
  int height = 0;
  int width = 0;
  std::vector<std::uint8_t> rgb;  // height * width * 3

  Image() = default;
  Image(int h, int w, std::uint8_t fill = 0)
      : height(h), width(w), rgb(static_cast<std::size_t>(h) * w * 3, fill) {}
  std::uint8_t& at(int y, int x, int c) {
    return rgb[(static_cast<std::size_t>(y) * width + x) * 3 + c];
  }
  std::uint8_t at(int y, int x, int c) const {
    return rgb[(static_cast<std::size_t>(y) * width + x) * 3 + c];
  }
};

enum class Op {
  kShearX,
  kShearY,
  kTranslateX,
  kTranslateY,
  kRotate,
  kColor,
  kPosterize,
  kSolarize,
  kContrast,
  kSharpness,
  kBrightness,
  kAutoContrast,
  kEqualize,
  kInvert,
};
inline constexpr int kOpCount = 14;
inline constexpr int kMagnitudeLevels = 10;

// The reference's name of an operation ("shearX", "autocontrast", ...).
const char* op_name(Op op);
// Whether the operation draws a sign when it runs.
bool op_signed(Op op);
// The magnitude of level k (0..9); 0 for autocontrast, equalize and invert.
double magnitude(Op op, int level);

Image shear_x(const Image& image, double shear);
Image shear_y(const Image& image, double shear);
Image translate_x(const Image& image, double pixels);
Image translate_y(const Image& image, double pixels);
Image rotate(const Image& image, double degrees);
Image color(const Image& image, double factor);
Image contrast(const Image& image, double factor);
Image brightness(const Image& image, double factor);
Image sharpness(const Image& image, double factor);
Image posterize(const Image& image, int bits);
Image solarize(const Image& image, double threshold);
Image autocontrast(const Image& image);
Image equalize(const Image& image);
Image invert(const Image& image);

// One operation at magnitude level `level` with sign `sign` (+1 or -1; unsigned operations
// ignore it), as one step of a sub-policy applies it.
Image apply(const Image& image, Op op, int level, int sign);

struct SubPolicy {
  double p1;
  Op op1;
  int level1;
  double p2;
  Op op2;
  int level2;
};
// The reference's 25 ImageNet sub-policies, in its order.
const std::array<SubPolicy, 25>& imagenet_policy();

// One draw of the policy on `image` (see the contract); true when an operation ran.
bool apply_imagenet_policy(nas::Rng& rng, Image& image);

}  // namespace nas::autoaugment
