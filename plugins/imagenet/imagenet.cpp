// Dataset plugin `imagenet`: ImageNet-style class-folder JPEG trees, decoded with libjpeg-turbo
// (TurboJPEG API, tjDecompress2) on parallel workers (TBB, one image per task).
//
// Layout (see README.md next to this file): ROOT/train/<class>/*.JPEG and ROOT/val/<class>/*.JPEG
// (.jpeg and .jpg too, any case). Classes are the sorted folder names of train/; label k is the
// k-th; val/ (and test/) use the same index, and a folder there that train/ lacks is an error.
// Images are sorted by file name within a class, classes in label order: sample i of a split
// is always the same file.
//
// Splits: train = train/; validation = val/; test = test/ when ROOT/test exists, else val/ again
// (ImageNet's labelled test set is its validation set, as most papers report it).
// Probe batches of kTrain sample train/ (nas/dataset.h), with the eval view, never augmented.
//
// Views and augmentation. samples() must return images of one size, `resolution` (nas/dataset.h:
// (N, channels, size, size) with size = shape().size, also for an un-augmented read of the
// train split such as `nas eval --split train`), so:
// * eval view (validation, test, probe batches): resize the shorter side to `resize` (default
//   256; the longer side int(resize * long / short), as torchvision's Resize), then centre crop
//   `resolution` (default 224; offsets round((side - resolution) / 2)).
// * train view (train split samples): the centred square of side min(H, W), resized to
//   `resolution`.
// * augmentation() (train split, nas::EpochLoader, seeded per (master, epoch, index) through
//   the loader's per-sample seed): on the train view, in this order, all draws from one
//   nas::Rng(seed), a stage that is off drawing nothing:
//   1. a crop, one of
//      - resized_crop: RandomResizedCrop (torchvision's get_params: 10 attempts of area
//        fraction uniform in [scale_min, 1] and log-uniform aspect ratio in [3/4, 4/3], offsets
//        uniform, then the fallback to a centre crop clamped to the ratio range) resized back
//        to `resolution`;
//      - random_crop: the reference's Resize(resize) then RandomCrop(resolution): the view
//        resized to a shorter side of `resize` (resize x resize, as the view is square), then
//        the resolution x resolution window at row offset Rng::below(resize - resolution + 1),
//        then column offset the same way (torchvision's order; no draw when resize equals
//        resolution);
//   2. horizontal flip (p = 1/2: Rng::below(2) == 1);
//   3. colour jitter when a factor is > 0: a random order of the enabled adjustments
//      (Fisher-Yates over brightness, contrast, saturation, hue, in that listing), then their
//      factors in that listing: uniform in [max(0, 1 - f), 1 + f] for brightness, contrast and
//      saturation (torchvision's blends with black, the mean grey level and the grey image,
//      grey = 0.299 R + 0.587 G + 0.114 B, clamped to [0, 1]), a hue shift uniform in [-f, f]
//      (torchvision's tensor adjust_hue: RGB to HSV, hue + shift modulo 1, back to RGB);
//   4. lighting when > 0: AlexNet's PCA noise, alpha_k = lighting * N(0, 1) for k = 0, 1, 2
//      (Box-Muller, two uniforms each: sqrt(-2 ln(1 - u1)) cos(2 pi u2)), channel c gains
//      sum_k eigvec[c][k] * alpha_k * eigval[k] with the ImageNet eigenvalues (0.2175, 0.0188,
//      0.0045) and eigenvectors of fb.resnet.torch and the WRCor reference; clamped to [0, 1];
//   5. auto_augment: imagenet: AutoAugment's ImageNet policy, the ImageNetPolicy of Zen-NAS and
//      the WRCor reference (autoaugment.h: 25 sub-policies of two PIL operations each, computed
//      as PIL 9 does on 8-bit images): the image rounded to bytes (round(255 x)), one
//      sub-policy drawn uniformly (Rng::below(25)), each of its operations run when uniform()
//      < its probability, a sign below(2) drawn when a signed one runs; back to floats (/ 255)
//      when an operation ran, else the image untouched. The reference's place: after Lighting,
//      before ToTensor (and so before normalisation and erasing);
//   6. erasing when > 0: torchvision's RandomErasing(p = erasing, scale (0.02, 0.33), ratio
//      (0.3, 3.3), value 0): erase when uniform() < p; up to 10 attempts of an area fraction
//      uniform in the scale range and a log-uniform ratio, box height round(sqrt(area *
//      ratio)) and width round(sqrt(area / ratio)) (half to even, as Python), the first box
//      strictly smaller than the image placed at a uniform row then column offset; none fits:
//      no erasing. torchvision erases after normalisation with 0; here it runs before it and
//      fills with the mean (0 without `normalize`), which normalisation maps to exactly 0.
//   Then normalisation with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224,
//   0.225).
//   Deviations forced by the fixed-size contract: crops are taken from the train view (the
//   centred square at `resolution`), not from the full-resolution decoded image, since
//   augmentation only sees what samples() returned. So resized crops are upsampled from at most
//   resolution^2 pixels, and random_crop, which the reference cuts from the whole image at
//   shorter side `resize`, (a) holds only the detail of a square `resolution` wide, upsampled
//   by resize / resolution before the crop, and (b) never reaches the ends of the longer side
//   (its column or row offset along that side spans resize - resolution + 1 positions, not
//   int(resize * long / short) - resolution + 1). On a square image (b) vanishes.
//   The reference's Lighting runs on 8-bit PIL images with eigenvalues for [0, 1] pixels, so
//   there it moves a channel by a few hundredths of a grey level and the cast back to uint8
//   truncates that to 0 or -1; `lighting` is the intended noise on [0, 1] images.
//   ColorJitter's hue on PIL images quantises hue to 8 bits; here it is computed in floats. So
//   AutoAugment starts from the float image rounded to bytes, where the reference's image has
//   been 8-bit all along (after each colour jitter step and after Lighting's truncation).
// * Resizing, `interpolation`: bilinear (default; at::upsample_bilinear2d, align_corners false,
//   not antialiased, so large downscales alias where torchvision's PIL path would not), or
//   bicubic (at::_upsample_bicubic2d_aa: Keys' cubic with a = -0.5, widened by the scale factor
//   on downscales, which is PIL's BICUBIC filter on floats; clamped to [0, 1] as PIL's 8-bit
//   output is). The WRCor reference resizes with PIL's BICUBIC: its config uses bicubic.
// Greyscale JPEGs are expanded to RGB by libjpeg-turbo; CMYK JPEGs are refused (naming the
// file) since TurboJPEG cannot convert them to RGB.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <turbojpeg.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include <ATen/TensorOperators.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/_upsample_bicubic2d_aa.h>
#include <ATen/ops/amax.h>
#include <ATen/ops/amin.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/flip.h>
#include <ATen/ops/floor.h>
#include <ATen/ops/ones_like.h>
#include <ATen/ops/remainder.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/upsample_bilinear2d.h>
#include <ATen/ops/where.h>
#include <ATen/ops/zeros_like.h>

#include "autoaugment.h"
#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/params.h"
#include "nas/plugin.h"
#include "nas/seed.h"
#include "nas/transform.h"

namespace {

namespace fs = std::filesystem;

constexpr const char* kName = "imagenet";
constexpr const char* kDirEnv = "NAS_IMAGENET_DIR";
const std::vector<double> kMean = {0.485, 0.456, 0.406};
const std::vector<double> kStd = {0.229, 0.224, 0.225};
constexpr double kPi = 3.14159265358979323846;

bool is_jpeg_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return ext == ".jpeg" || ext == ".jpg";
}

std::vector<unsigned char> read_file_bytes(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw nas::Error(path + ": is a directory, expected a JPEG");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw nas::Error(path + ": cannot open file");
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), {});
}

// Decodes a JPEG file into (1, 3, H, W) floats in [0, 1].
at::Tensor decode_jpeg(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file_bytes(path);
  if (bytes.empty()) throw nas::Error(path + ": empty file, expected a JPEG");
  struct Handle {
    tjhandle h = tjInitDecompress();
    ~Handle() {
      if (h) tjDestroy(h);
    }
  } handle;
  if (!handle.h) throw nas::Error(path + ": cannot start the JPEG decoder");
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  // TurboJPEG's API takes non-const buffers in 2.1.
  auto* data = const_cast<unsigned char*>(bytes.data());
  const auto size = static_cast<unsigned long>(bytes.size());
  if (tjDecompressHeader3(handle.h, data, size, &width, &height, &subsamp, &colorspace) != 0) {
    throw nas::Error(path + ": corrupt or truncated JPEG (" + tjGetErrorStr2(handle.h) + ")");
  }
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    throw nas::Error(path + ": CMYK JPEG, which cannot be decoded to RGB; convert it to RGB");
  }
  at::Tensor hwc = at::empty({height, width, 3}, at::kByte);
  // A warning (e.g. premature end of data) also returns -1: a damaged file is refused.
  if (tjDecompress2(handle.h, data, size, hwc.data_ptr<std::uint8_t>(), width, 0, height, TJPF_RGB,
                    TJFLAG_ACCURATEDCT) != 0) {
    throw nas::Error(path + ": corrupt or truncated JPEG (" + tjGetErrorStr2(handle.h) + ")");
  }
  return hwc.permute({2, 0, 1}).unsqueeze(0).to(at::kFloat).div_(255.0);
}

enum class Interp { kBilinear, kBicubic };

// Resizes (N, C, H, W) to h x w; see the file comment for the two filters.
at::Tensor resize_to(const at::Tensor& x, std::int64_t h, std::int64_t w, Interp interp) {
  if (x.size(2) == h && x.size(3) == w) return x;
  const std::array<std::int64_t, 2> size = {h, w};
  if (interp == Interp::kBicubic) {
    // The cubic kernel overshoots at edges; PIL's 8-bit output clips, so the floats are clamped.
    return at::_upsample_bicubic2d_aa(x.contiguous(), size, /*align_corners=*/false).clamp_(0, 1);
  }
  return at::upsample_bilinear2d(x.contiguous(), size, /*align_corners=*/false);
}

// The shorter side to `side`, the longer int(side * long / short), as torchvision's Resize.
at::Tensor resize_shorter(const at::Tensor& x, std::int64_t side, Interp interp) {
  const std::int64_t h = x.size(2), w = x.size(3);
  std::int64_t nh = side, nw = side;
  if (h <= w)
    nw = static_cast<std::int64_t>(static_cast<double>(side) * w / h);
  else
    nh = static_cast<std::int64_t>(static_cast<double>(side) * h / w);
  return resize_to(x, nh, nw, interp);
}

// Shorter side to `resize`, then the centred `crop` x `crop` window.
at::Tensor eval_view(const at::Tensor& x, std::int64_t resize, std::int64_t crop, Interp interp) {
  const at::Tensor r = resize_shorter(x, resize, interp);
  const std::int64_t nh = r.size(2), nw = r.size(3);
  const auto top = static_cast<std::int64_t>(std::round((nh - crop) / 2.0));
  const auto left = static_cast<std::int64_t>(std::round((nw - crop) / 2.0));
  return r.narrow(2, top, crop).narrow(3, left, crop);
}

// The centred square of side min(H, W), resized to `side`.
at::Tensor train_view(const at::Tensor& x, std::int64_t side, Interp interp) {
  const std::int64_t h = x.size(2), w = x.size(3), s = std::min(h, w);
  return resize_to(x.narrow(2, (h - s) / 2, s).narrow(3, (w - s) / 2, s), side, side, interp);
}

struct CropBox {
  std::int64_t top, left, height, width;
};

// torchvision.transforms.RandomResizedCrop.get_params, drawing from `rng`.
CropBox random_resized_crop_box(nas::Rng& rng, std::int64_t height, std::int64_t width,
                                double scale_min, double scale_max) {
  const double area = static_cast<double>(height) * width;
  const double log_lo = std::log(3.0 / 4.0), log_hi = std::log(4.0 / 3.0);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * (scale_min + (scale_max - scale_min) * rng.uniform());
    const double ratio = std::exp(log_lo + (log_hi - log_lo) * rng.uniform());
    const auto w = static_cast<std::int64_t>(std::lround(std::sqrt(target * ratio)));
    const auto h = static_cast<std::int64_t>(std::lround(std::sqrt(target / ratio)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const std::int64_t top = rng.below(height - h + 1);
      const std::int64_t left = rng.below(width - w + 1);
      return {top, left, h, w};
    }
  }
  // Fallback: the centre crop, clamped to the ratio range.
  const double in_ratio = static_cast<double>(width) / height;
  std::int64_t w = width, h = height;
  if (in_ratio < 3.0 / 4.0) {
    h = static_cast<std::int64_t>(std::lround(w / (3.0 / 4.0)));
  } else if (in_ratio > 4.0 / 3.0) {
    w = static_cast<std::int64_t>(std::lround(h * (4.0 / 3.0)));
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

// AlexNet's PCA lighting: the eigenvalues and eigenvectors (columns) of the covariance of
// ImageNet's RGB pixels in [0, 1], as fb.resnet.torch and the WRCor reference list them.
constexpr std::array<double, 3> kEigval = {0.2175, 0.0188, 0.0045};
constexpr std::array<std::array<double, 3>, 3> kEigvec = {
    {{-0.5675, 0.7192, 0.4009}, {-0.5808, -0.0045, -0.8140}, {-0.5836, -0.6948, 0.4203}}};

// A standard normal by Box-Muller from two uniforms of `rng` (std::normal_distribution is not
// the same on every standard library).
double normal_draw(nas::Rng& rng) {
  const double u1 = rng.uniform(), u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * kPi * u2);
}

// Hue rotation of (1, 3, H, W) RGB in [0, 1]: RGB to HSV, hue + shift modulo 1, back to RGB.
at::Tensor shift_hue(const at::Tensor& x, double shift) {
  const at::Tensor r = x.select(1, 0), g = x.select(1, 1), b = x.select(1, 2);
  const at::Tensor maxc = at::amax(x, {1}), minc = at::amin(x, {1});
  const at::Tensor delta = maxc - minc;
  const at::Tensor grey = delta.eq(0);
  // Grey pixels have no hue and no saturation; the divisions there are guarded, not used.
  const at::Tensor s = at::where(grey, at::zeros_like(maxc), delta / at::where(grey, 1, maxc));
  const at::Tensor d = at::where(grey, at::ones_like(delta), delta);
  // Sector by the largest channel, red first, then green (torchvision's and colorsys' tie
  // order): (g - b) / d, 2 + (b - r) / d, 4 + (r - g) / d, in sixths of the circle.
  const at::Tensor is_r = maxc.eq(r), is_g = maxc.eq(g).logical_and(is_r.logical_not());
  at::Tensor h =
      at::where(is_r, (g - b) / d, at::where(is_g, 2.0 + (b - r) / d, 4.0 + (r - g) / d));
  h = at::where(grey, at::zeros_like(h), h);
  h = at::remainder(h / 6.0 + shift, 1.0);
  const at::Tensor& v = maxc;
  const at::Tensor h6 = h * 6.0;
  const at::Tensor sector = at::remainder(at::floor(h6), 6.0);
  const at::Tensor f = h6 - at::floor(h6);
  const at::Tensor p = (v * (1.0 - s)).clamp(0, 1);
  const at::Tensor q = (v * (1.0 - s * f)).clamp(0, 1);
  const at::Tensor t = (v * (1.0 - s * (1.0 - f))).clamp(0, 1);
  // Per sector 0..5: (R, G, B) = (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q).
  const std::array<std::array<const at::Tensor*, 3>, 6> table = {
      {{&v, &t, &p}, {&q, &v, &p}, {&p, &v, &t}, {&p, &q, &v}, {&t, &p, &v}, {&v, &p, &q}}};
  std::array<at::Tensor, 3> out;
  for (int c = 0; c < 3; ++c) {
    out[c] = *table[5][c];
    for (int k = 4; k >= 0; --k) out[c] = at::where(sector.eq(k), *table[k][c], out[c]);
  }
  return at::stack({out[0], out[1], out[2]}, 1);
}

// What the augmentation does; see the file comment.
struct AugmentOptions {
  enum class Crop { kNone, kResized, kRandom };
  Crop crop = Crop::kNone;
  double scale_min = 0.08;  // resized_crop
  std::int64_t resize = 0;  // random_crop: the shorter side before the crop
  bool flip = false;
  std::array<double, 4> jitter{};  // brightness, contrast, saturation, hue
  double lighting = 0;             // alphastd
  bool auto_augment = false;       // the ImageNet policy
  double erasing = 0;              // probability
  std::array<float, 3> erase_fill{};
  Interp interp = Interp::kBilinear;

  bool jittering() const {
    return jitter[0] > 0 || jitter[1] > 0 || jitter[2] > 0 || jitter[3] > 0;
  }
  bool any() const {
    return crop != Crop::kNone || flip || jittering() || lighting > 0 || auto_augment ||
           erasing > 0;
  }
};

// The train-split augmentation; see the file comment for the order of the draws.
class ImagenetAugment final : public nas::Transform {
 public:
  explicit ImagenetAugment(AugmentOptions o) : o_(o) {}

  std::string name() const override {
    std::string text;
    auto add = [&](const std::string& s) { text += (text.empty() ? "" : " > ") + s; };
    if (o_.crop == AugmentOptions::Crop::kResized)
      add("resized_crop(" + trim(o_.scale_min) + ", 1)");
    if (o_.crop == AugmentOptions::Crop::kRandom)
      add("random_crop(" + std::to_string(o_.resize) + ")");
    if (o_.flip) add("flip");
    if (o_.jittering()) {
      std::string f = trim(o_.jitter[0]) + ", " + trim(o_.jitter[1]) + ", " + trim(o_.jitter[2]);
      if (o_.jitter[3] > 0) f += ", " + trim(o_.jitter[3]);
      add("color_jitter(" + f + ")");
    }
    if (o_.lighting > 0) add("lighting(" + trim(o_.lighting) + ")");
    if (o_.auto_augment) add("auto_augment(imagenet)");
    if (o_.erasing > 0) add("erasing(" + trim(o_.erasing) + ")");
    return text.empty() ? "identity" : text;
  }

  at::Tensor apply(const at::Tensor& inputs,
                   const std::vector<std::uint64_t>& seeds) const override {
    if (!inputs.defined() || inputs.dim() != 4 || inputs.size(1) != 3) {
      throw nas::Error(name() + ": expects a batch of RGB images (N, 3, H, W)");
    }
    if (static_cast<std::int64_t>(seeds.size()) != inputs.size(0)) {
      throw nas::Error(name() + ": " + std::to_string(seeds.size()) + " seeds for a batch of " +
                       std::to_string(inputs.size(0)) + " samples");
    }
    const std::int64_t h = inputs.size(2), w = inputs.size(3);
    if (o_.crop == AugmentOptions::Crop::kRandom && o_.resize < std::min(h, w)) {
      throw nas::Error(name() + ": images of " + std::to_string(h) + "x" + std::to_string(w) +
                       " do not fit in a shorter side of " + std::to_string(o_.resize));
    }
    at::Tensor out = inputs.clone();
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      nas::Rng rng(seeds[i]);
      const auto n = static_cast<std::int64_t>(i);
      at::Tensor x = inputs.narrow(0, n, 1);
      if (o_.crop == AugmentOptions::Crop::kResized) {
        const CropBox b = random_resized_crop_box(rng, h, w, o_.scale_min, 1.0);
        x = resize_to(x.narrow(2, b.top, b.height).narrow(3, b.left, b.width), h, w, o_.interp);
      } else if (o_.crop == AugmentOptions::Crop::kRandom) {
        x = random_crop(rng, x, h, w);
      }
      if (o_.flip && rng.below(2) == 1) x = at::flip(x, {3});
      if (o_.jittering()) x = jitter(rng, x);
      if (o_.lighting > 0) x = light(rng, x);
      if (o_.auto_augment) x = auto_augment(rng, x);
      if (o_.erasing > 0) x = erase(rng, x);
      out.narrow(0, n, 1).copy_(x);
    }
    return out;
  }

 private:
  static std::string trim(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  // torchvision's RandomCrop on the image resized to a shorter side of `resize`: the row
  // offset, then the column offset, each uniform over every position that fits.
  at::Tensor random_crop(nas::Rng& rng, const at::Tensor& x, std::int64_t h, std::int64_t w) const {
    const at::Tensor big = resize_shorter(x, o_.resize, o_.interp);
    const std::int64_t top = big.size(2) == h ? 0 : rng.below(big.size(2) - h + 1);
    const std::int64_t left = big.size(3) == w ? 0 : rng.below(big.size(3) - w + 1);
    return big.narrow(2, top, h).narrow(3, left, w);
  }

  // torchvision's ColorJitter: the enabled adjustments in a random order, brightness, contrast
  // and saturation factors uniform in [max(0, 1 - f), 1 + f], the hue shift in [-f, f].
  at::Tensor jitter(nas::Rng& rng, at::Tensor x) const {
    std::vector<int> order;
    for (int k = 0; k < 4; ++k)
      if (o_.jitter[k] > 0) order.push_back(k);
    for (std::size_t k = order.size(); k > 1; --k)
      std::swap(order[k - 1],
                order[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(k)))]);
    std::array<double, 4> factor{1, 1, 1, 0};
    for (int k = 0; k < 4; ++k) {
      if (o_.jitter[k] <= 0) continue;
      const double lo = k == 3 ? -o_.jitter[k] : std::max(0.0, 1 - o_.jitter[k]);
      const double hi = k == 3 ? o_.jitter[k] : 1 + o_.jitter[k];
      factor[k] = lo + (hi - lo) * rng.uniform();
    }
    for (int k : order) {
      const double f = factor[k];
      if (k == 0) {  // brightness: blend with black
        x = x.mul(f).clamp(0, 1);
      } else if (k == 3) {
        x = shift_hue(x, f);
      } else {
        const at::Tensor gray = x.select(1, 0)
                                    .mul(0.299)
                                    .add(x.select(1, 1).mul(0.587))
                                    .add(x.select(1, 2).mul(0.114))
                                    .unsqueeze(1);
        // contrast: blend with the mean grey level; saturation: with the grey image.
        const at::Tensor other = k == 1 ? gray.mean() : gray;
        x = x.mul(f).add(other.mul(1 - f)).clamp(0, 1);
      }
    }
    return x;
  }

  // PCA lighting: alpha_k = lighting * N(0, 1) for k = 0, 1, 2; every pixel's channel c gains
  // sum_k eigvec[c][k] * alpha_k * eigval[k]; clamped to [0, 1].
  at::Tensor light(nas::Rng& rng, const at::Tensor& x) const {
    std::array<double, 3> alpha{};
    for (double& a : alpha) a = o_.lighting * normal_draw(rng);
    at::Tensor y = x.clone();
    for (int c = 0; c < 3; ++c) {
      double shift = 0;
      for (int k = 0; k < 3; ++k) shift += kEigvec[c][k] * alpha[k] * kEigval[k];
      y.select(1, c).add_(shift);
    }
    return y.clamp_(0, 1);
  }

  // AutoAugment's ImageNet policy (autoaugment.h) on the image rounded to 8 bits, as PIL
  // holds it; back to floats only when an operation ran, so a draw that runs none leaves the
  // image as it was.
  static at::Tensor auto_augment(nas::Rng& rng, const at::Tensor& x) {
    const at::Tensor bytes =
        x.select(0, 0).permute({1, 2, 0}).mul(255).round().clamp(0, 255).to(at::kByte).contiguous();
    nas::autoaugment::Image image(static_cast<int>(bytes.size(0)), static_cast<int>(bytes.size(1)));
    std::copy_n(bytes.data_ptr<std::uint8_t>(), image.rgb.size(), image.rgb.begin());
    if (!nas::autoaugment::apply_imagenet_policy(rng, image)) return x;
    at::Tensor hwc = at::empty({image.height, image.width, 3}, at::kByte);
    std::copy(image.rgb.begin(), image.rgb.end(), hwc.data_ptr<std::uint8_t>());
    return hwc.permute({2, 0, 1}).unsqueeze(0).to(at::kFloat).div_(255.0);
  }

  // torchvision's RandomErasing with its defaults (scale 0.02..0.33, ratio 0.3..3.3): with
  // probability `erasing`, up to 10 attempts of an area and a log-uniform ratio; the first
  // box strictly inside the image (height round(sqrt(area * ratio)), width
  // round(sqrt(area / ratio)), Python's half-even rounding), at a uniform row then column
  // offset, is filled with the value that normalisation maps to 0.
  at::Tensor erase(nas::Rng& rng, const at::Tensor& x) const {
    if (rng.uniform() >= o_.erasing) return x;
    const std::int64_t h = x.size(2), w = x.size(3);
    const double area = static_cast<double>(h) * w;
    const double log_lo = std::log(0.3), log_hi = std::log(3.3);
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double target = area * (0.02 + (0.33 - 0.02) * rng.uniform());
      const double ratio = std::exp(log_lo + (log_hi - log_lo) * rng.uniform());
      const auto eh = static_cast<std::int64_t>(std::nearbyint(std::sqrt(target * ratio)));
      const auto ew = static_cast<std::int64_t>(std::nearbyint(std::sqrt(target / ratio)));
      if (!(eh < h && ew < w)) continue;
      const std::int64_t top = rng.below(h - eh + 1);
      const std::int64_t left = rng.below(w - ew + 1);
      at::Tensor y = x.clone();
      for (int c = 0; c < 3; ++c)
        y.select(1, c).narrow(1, top, eh).narrow(2, left, ew).fill_(o_.erase_fill[c]);
      return y;
    }
    return x;
  }

  AugmentOptions o_;
};

// The images of one split folder, in sample order.
struct Tree {
  std::string folder;
  std::vector<std::string> files;
  std::vector<std::int64_t> labels;
};

class Imagenet final : public nas::Dataset {
 public:
  explicit Imagenet(const nas::Params& params)
      : root_(params.get_string("root")),
        resolution_(params.get_int("resolution")),
        resize_(params.get_int("resize")),
        normalize_(params.get_bool("normalize")),
        num_classes_(params.get_int("num_classes")),
        interp_(params.get_string("interpolation") == "bicubic" ? Interp::kBicubic
                                                                : Interp::kBilinear) {
    const std::string where = std::string(kName) + ": params.";
    if (root_.empty()) {
      const char* env = std::getenv(kDirEnv);
      if (env) root_ = env;
    }
    if (resize_ < resolution_) {
      throw nas::UsageError(where + "resize " + std::to_string(resize_) +
                            " is smaller than resolution " + std::to_string(resolution_) +
                            ": the centre crop must fit in the resized image");
    }
    AugmentOptions o;
    o.interp = interp_;
    std::vector<std::string> seen;
    for (const std::string& name : params.get_string_list("augment")) {
      if (std::find(seen.begin(), seen.end(), name) != seen.end())
        throw nas::UsageError(where + "augment names '" + name + "' twice");
      seen.push_back(name);
      if (name == "resized_crop" || name == "random_crop") {
        if (o.crop != AugmentOptions::Crop::kNone) {
          throw nas::UsageError(where +
                                "augment: resized_crop and random_crop are two ways to crop; "
                                "name one of them");
        }
        o.crop =
            name == "resized_crop" ? AugmentOptions::Crop::kResized : AugmentOptions::Crop::kRandom;
      } else if (name == "flip") {
        o.flip = true;
      } else {
        throw nas::UsageError(where + "augment: unknown augmentation '" + name +
                              "' (valid: resized_crop, random_crop, flip; AutoAugment is the "
                              "auto_augment parameter)");
      }
    }
    o.scale_min = params.get_double("scale_min");
    o.resize = resize_;
    o.jitter = {params.get_double("brightness"), params.get_double("contrast"),
                params.get_double("saturation"), params.get_double("hue")};
    o.lighting = params.get_double("lighting");
    o.auto_augment = params.get_string("auto_augment") == "imagenet";
    o.erasing = params.get_double("erasing");
    // Erased pixels end up 0 after normalisation (torchvision erases normalised tensors with
    // value 0): before it, that is the mean, in the float the normalisation subtracts.
    for (int c = 0; c < 3; ++c) o.erase_fill[c] = normalize_ ? static_cast<float>(kMean[c]) : 0.0f;
    if (o.any()) augmentation_ = std::make_shared<ImagenetAugment>(o);
    if (normalize_) normalization_ = std::make_shared<nas::Normalize>(kMean, kStd);
  }

  nas::DataShape shape() const override {
    nas::DataShape s;
    s.channels = 3;
    s.size = static_cast<int>(resolution_);
    s.num_classes = static_cast<int>(num_classes_ > 0 ? num_classes_ : classes().size());
    return s;
  }

  nas::Batch batch(std::int64_t size, std::uint64_t seed, nas::Split split) const override {
    const Tree& t = tree(split);
    const auto count = static_cast<std::int64_t>(t.files.size());
    if (size <= 0 || size > count) {
      throw nas::Error(std::string(kName) + ": cannot draw a batch of " + std::to_string(size) +
                       " from the " + std::to_string(count) + " images of " + t.folder);
    }
    nas::Rng rng(seed);
    std::vector<std::int64_t> order(static_cast<std::size_t>(count));
    std::iota(order.begin(), order.end(), 0);
    for (std::int64_t i = 0; i < size; ++i) std::swap(order[i], order[i + rng.below(count - i)]);
    order.resize(static_cast<std::size_t>(size));
    nas::Batch out = load_images(t, order, /*train=*/false);
    if (normalization_)
      out.inputs = normalization_->apply(out.inputs, std::vector<std::uint64_t>(order.size(), 0));
    return out;
  }

  std::int64_t size(nas::Split split) const override {
    return static_cast<std::int64_t>(tree(split).files.size());
  }

  nas::Batch samples(nas::Split split, const std::vector<std::int64_t>& indices) const override {
    const Tree& t = tree(split);
    for (std::int64_t i : indices) {
      if (i < 0 || i >= static_cast<std::int64_t>(t.files.size())) {
        throw nas::Error(std::string(kName) + ": sample index " + std::to_string(i) +
                         " is outside the " + std::to_string(t.files.size()) + " images of the " +
                         nas::to_string(split) + " split (" + t.folder + ")");
      }
    }
    return load_images(t, indices, split == nas::Split::kTrain);
  }

  std::shared_ptr<const nas::Transform> normalization() const override { return normalization_; }
  std::shared_ptr<const nas::Transform> augmentation() const override { return augmentation_; }

 private:
  // Decodes images `rows` of `t` in parallel, each into its slot of the batch.
  nas::Batch load_images(const Tree& t, const std::vector<std::int64_t>& rows, bool train) const {
    const auto n = static_cast<std::int64_t>(rows.size());
    at::Tensor inputs = at::empty({n, 3, resolution_, resolution_}, at::kFloat);
    at::Tensor labels = at::empty({n}, at::kLong);
    std::int64_t* label_out = labels.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i) label_out[i] = t.labels[static_cast<std::size_t>(rows[i])];
    std::mutex error_mutex;
    std::exception_ptr error;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n), [&](const auto& range) {
      for (std::int64_t i = range.begin(); i != range.end(); ++i) {
        try {
          const at::Tensor img = decode_jpeg(t.files[static_cast<std::size_t>(rows[i])]);
          const at::Tensor view = train ? train_view(img, resolution_, interp_)
                                        : eval_view(img, resize_, resolution_, interp_);
          inputs.narrow(0, i, 1).copy_(view);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
        }
      }
    });
    if (error) std::rethrow_exception(error);
    return {inputs, labels};
  }

  fs::path root() const {
    if (root_.empty()) {
      throw nas::Error(std::string(kName) + ": no ImageNet root: set params.root or $" + kDirEnv +
                       " to the folder holding train/<class>/*.JPEG and val/<class>/*.JPEG");
    }
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) {
      throw nas::Error(std::string(kName) + ": ImageNet root " + root_ +
                       " does not exist or is not a folder (expected train/ and val/ in it)");
    }
    return root_;
  }

  // Sorted class folder names of train/.
  const std::vector<std::string>& classes() const {
    std::lock_guard<std::mutex> lock(classes_mutex_);
    if (!classes_) {
      const fs::path train = root() / "train";
      std::error_code ec;
      if (!fs::is_directory(train, ec)) {
        throw nas::Error(std::string(kName) + ": missing folder " + train.string() +
                         " (expected train/<class>/*.JPEG)");
      }
      std::vector<std::string> names;
      for (const auto& e : fs::directory_iterator(train))
        if (e.is_directory()) names.push_back(e.path().filename().string());
      std::sort(names.begin(), names.end());
      if (names.empty())
        throw nas::Error(std::string(kName) + ": " + train.string() + " holds no class folders");
      if (num_classes_ > 0 && static_cast<std::int64_t>(names.size()) > num_classes_) {
        throw nas::Error(std::string(kName) + ": label " + std::to_string(num_classes_) +
                         " of class folder " + (train / names[num_classes_]).string() +
                         " is outside [0, " + std::to_string(num_classes_) +
                         ") (params.num_classes; " + std::to_string(names.size()) +
                         " class folders)");
      }
      classes_ = std::make_unique<const std::vector<std::string>>(std::move(names));
    }
    return *classes_;
  }

  Tree scan(const fs::path& folder) const {
    const std::vector<std::string>& names = classes();
    std::map<std::string, std::int64_t> index;
    for (std::size_t k = 0; k < names.size(); ++k) index[names[k]] = static_cast<std::int64_t>(k);
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) {
      throw nas::Error(std::string(kName) + ": missing folder " + folder.string() +
                       " (expected <class>/*.JPEG in it)");
    }
    std::vector<std::string> subs;
    for (const auto& e : fs::directory_iterator(folder))
      if (e.is_directory()) subs.push_back(e.path().filename().string());
    std::sort(subs.begin(), subs.end());
    Tree t;
    t.folder = folder.string();
    for (const std::string& sub : subs) {
      const auto it = index.find(sub);
      if (it == index.end()) {
        throw nas::Error(std::string(kName) + ": class folder " + (folder / sub).string() +
                         " has no counterpart in " + (root() / "train").string());
      }
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(folder / sub))
        if (!e.is_directory() && is_jpeg_name(e.path())) files.push_back(e.path().string());
      if (files.empty()) {
        throw nas::Error(std::string(kName) + ": class folder " + (folder / sub).string() +
                         " holds no JPEG images (*.JPEG, *.jpeg, *.jpg)");
      }
      std::sort(files.begin(), files.end());
      for (std::string& f : files) {
        t.files.push_back(std::move(f));
        t.labels.push_back(it->second);
      }
    }
    if (t.files.empty())
      throw nas::Error(std::string(kName) + ": " + folder.string() + " holds no class folders");
    return t;
  }

  const Tree& tree(nas::Split split) const {
    const auto s = static_cast<std::size_t>(split);
    std::lock_guard<std::mutex> lock(tree_mutex_[s]);
    if (!trees_[s]) {
      const fs::path r = root();
      std::string folder = "train";
      if (split == nas::Split::kValidation) folder = "val";
      if (split == nas::Split::kTest) {
        std::error_code ec;
        folder = fs::is_directory(r / "test", ec) ? "test" : "val";
      }
      trees_[s] = std::make_unique<const Tree>(scan(r / folder));
    }
    return *trees_[s];
  }

  std::string root_;
  std::int64_t resolution_;
  std::int64_t resize_;
  bool normalize_;
  std::int64_t num_classes_;
  Interp interp_;
  std::shared_ptr<const nas::Transform> augmentation_;
  std::shared_ptr<const nas::Transform> normalization_;
  mutable std::mutex classes_mutex_;
  mutable std::unique_ptr<const std::vector<std::string>> classes_;
  mutable std::array<std::mutex, 3> tree_mutex_;
  mutable std::array<std::unique_ptr<const Tree>, 3> trees_;
};

void register_imagenet(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_string("root", "",
                    std::string("folder holding train/<class>/*.JPEG and val/<class>/*.JPEG "
                                "(test/ optional); empty: $") +
                        kDirEnv);
  schema.add_int("resolution", 224, "side of the images returned (the crop)",
                 nas::between(8, 4096));
  schema.add_int("resize", 256,
                 "the shorter side before the eval view's centre crop and the train view's "
                 "random_crop; at least `resolution`",
                 nas::between(8, 8192));
  schema.add_string("interpolation", "bilinear",
                    "resampling of every resize: bilinear (not antialiased) or bicubic "
                    "(antialiased, as PIL's BICUBIC)",
                    {"bilinear", "bicubic"});
  schema.add_bool("normalize", true,
                  "subtract the ImageNet mean (0.485, 0.456, 0.406) and divide by the std "
                  "(0.229, 0.224, 0.225)");
  schema.add_int("num_classes", 0,
                 "classes the networks are built for; 0: the number of class folders in train/ "
                 "(a folder beyond it is an error)",
                 nas::at_least(0));
  schema.add_string_list("augment", {"resized_crop", "flip"},
                         "training augmentation of the train split, in this order whatever the "
                         "listing: resized_crop (torchvision's RandomResizedCrop) or random_crop "
                         "(resize the shorter side to `resize`, then torchvision's RandomCrop), "
                         "flip (horizontal, p = 1/2); empty: none");
  schema.add_double("scale_min", 0.08, "smallest area fraction of a random resized crop",
                    nas::between(0.001, 1));
  schema.add_double("brightness", 0, "colour jitter brightness factor (0: off)",
                    nas::between(0, 1));
  schema.add_double("contrast", 0, "colour jitter contrast factor (0: off)", nas::between(0, 1));
  schema.add_double("saturation", 0, "colour jitter saturation factor (0: off)",
                    nas::between(0, 1));
  schema.add_double("hue", 0, "colour jitter hue shift, a fraction of the hue circle (0: off)",
                    nas::between(0, 0.5));
  schema.add_double("lighting", 0,
                    "standard deviation of AlexNet's PCA lighting noise (0: off; the WRCor "
                    "recipe: 0.1)",
                    nas::between(0, 1));
  schema.add_string("auto_augment", "none",
                    "AutoAugment policy after lighting: none, or imagenet (the ImageNetPolicy of "
                    "Zen-NAS and the WRCor recipe, PIL's operations on 8-bit images)",
                    {"none", "imagenet"});
  schema.add_double("erasing", 0,
                    "probability of torchvision's RandomErasing (0: off; the WRCor recipe: 0.5)",
                    nas::between(0, 1));
  registrar.add_dataset(
      kName,
      "ImageNet-style class-folder JPEG trees (train/, val/, optional test/), "
      "decoded with libjpeg-turbo; random-resized-crop training augmentation",
      schema, [](const nas::Params& params) { return std::make_shared<Imagenet>(params); });
}

}  // namespace

NAS_PLUGIN("imagenet", "1.0.0", register_imagenet)
