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
// Views and augmentation. samples() must return images of one size (nas/dataset.h), so:
// * eval view (validation, test, probe batches): resize the shorter side to `resize` (default
//   256; the longer side int(resize * long / short), as torchvision's Resize), then centre crop
//   `resolution` (default 224; offsets round((side - resolution) / 2)).
// * train view (train split samples): the centred square of side min(H, W), resized to
//   `resolution`.
// * augmentation() (train split, nas::EpochLoader, seeded per (master, epoch, index) through
//   the loader's per-sample seed): on the train view, in this order, all draws from one
//   nas::Rng(seed): RandomResizedCrop (torchvision's get_params: 10 attempts of area fraction
//   uniform in [scale_min, 1] and log-uniform aspect ratio in [3/4, 4/3], offsets uniform, then
//   the fallback to a centre crop clamped to the ratio range) resized back to `resolution`;
//   horizontal flip (p = 1/2); colour jitter when a factor is > 0 (a random order of the
//   enabled adjustments, then factors uniform in [max(0, 1 - f), 1 + f] for brightness,
//   contrast and saturation, torchvision's blends, clamped to [0, 1]). Then normalisation
//   with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
//   Deviation from torchvision's RandomResizedCrop: the crop is taken from the train view (the
//   centred square at `resolution`), not from the full-resolution decoded image, because the
//   Transform contract hands augmentation a fixed-size batch; crops are therefore upsampled
//   from at most resolution^2 pixels and never reach the ends of the longer side.
// * Resizing is bilinear (at::upsample_bilinear2d, align_corners false) without antialiasing:
//   LibTorch 1.13's C++ API has no antialiased bilinear resize, so large downscales alias
//   (torchvision's PIL path antialiases).
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

#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/flip.h>
#include <ATen/ops/upsample_bilinear2d.h>

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

at::Tensor resize_to(const at::Tensor& x, std::int64_t h, std::int64_t w) {
  if (x.size(2) == h && x.size(3) == w) return x;
  return at::upsample_bilinear2d(x.contiguous(), {h, w}, /*align_corners=*/false);
}

// Shorter side to `resize`, then the centred `crop` x `crop` window.
at::Tensor eval_view(const at::Tensor& x, std::int64_t resize, std::int64_t crop) {
  const std::int64_t h = x.size(2), w = x.size(3);
  std::int64_t nh = resize, nw = resize;
  if (h <= w)
    nw = static_cast<std::int64_t>(static_cast<double>(resize) * w / h);
  else
    nh = static_cast<std::int64_t>(static_cast<double>(resize) * h / w);
  const at::Tensor r = resize_to(x, nh, nw);
  const auto top = static_cast<std::int64_t>(std::round((nh - crop) / 2.0));
  const auto left = static_cast<std::int64_t>(std::round((nw - crop) / 2.0));
  return r.narrow(2, top, crop).narrow(3, left, crop);
}

// The centred square of side min(H, W), resized to `side`.
at::Tensor train_view(const at::Tensor& x, std::int64_t side) {
  const std::int64_t h = x.size(2), w = x.size(3), s = std::min(h, w);
  return resize_to(x.narrow(2, (h - s) / 2, s).narrow(3, (w - s) / 2, s), side, side);
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

// The train-split augmentation; see the file comment for the order of the draws.
class ImagenetAugment final : public nas::Transform {
 public:
  ImagenetAugment(bool crop, bool flip, double scale_min, std::array<double, 3> jitter)
      : crop_(crop), flip_(flip), scale_min_(scale_min), jitter_(jitter) {}

  std::string name() const override {
    std::string text;
    auto add = [&](const std::string& s) { text += (text.empty() ? "" : " > ") + s; };
    if (crop_) add("resized_crop(" + trim(scale_min_) + ", 1)");
    if (flip_) add("flip");
    if (jittering()) {
      add("color_jitter(" + trim(jitter_[0]) + ", " + trim(jitter_[1]) + ", " + trim(jitter_[2]) +
          ")");
    }
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
    at::Tensor out = inputs.clone();
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      nas::Rng rng(seeds[i]);
      const auto n = static_cast<std::int64_t>(i);
      at::Tensor x = inputs.narrow(0, n, 1);
      if (crop_) {
        const CropBox b = random_resized_crop_box(rng, h, w, scale_min_, 1.0);
        x = resize_to(x.narrow(2, b.top, b.height).narrow(3, b.left, b.width), h, w);
      }
      if (flip_ && rng.below(2) == 1) x = at::flip(x, {3});
      if (jittering()) x = jitter(rng, x);
      out.narrow(0, n, 1).copy_(x);
    }
    return out;
  }

 private:
  bool jittering() const { return jitter_[0] > 0 || jitter_[1] > 0 || jitter_[2] > 0; }

  static std::string trim(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  // torchvision's ColorJitter without hue: the enabled adjustments in a random order, each
  // with a factor uniform in [max(0, 1 - f), 1 + f].
  at::Tensor jitter(nas::Rng& rng, at::Tensor x) const {
    std::vector<int> order;
    for (int k = 0; k < 3; ++k)
      if (jitter_[k] > 0) order.push_back(k);
    for (std::size_t k = order.size(); k > 1; --k)
      std::swap(order[k - 1],
                order[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(k)))]);
    std::array<double, 3> factor{1, 1, 1};
    for (int k = 0; k < 3; ++k) {
      if (jitter_[k] <= 0) continue;
      const double lo = std::max(0.0, 1 - jitter_[k]), hi = 1 + jitter_[k];
      factor[k] = lo + (hi - lo) * rng.uniform();
    }
    for (int k : order) {
      const double f = factor[k];
      if (k == 0) {  // brightness: blend with black
        x = x.mul(f).clamp(0, 1);
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

  bool crop_;
  bool flip_;
  double scale_min_;
  std::array<double, 3> jitter_;
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
        num_classes_(params.get_int("num_classes")) {
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
    bool crop = false, flip = false;
    std::vector<std::string> seen;
    for (const std::string& name : params.get_string_list("augment")) {
      if (std::find(seen.begin(), seen.end(), name) != seen.end())
        throw nas::UsageError(where + "augment names '" + name + "' twice");
      seen.push_back(name);
      if (name == "resized_crop")
        crop = true;
      else if (name == "flip")
        flip = true;
      else
        throw nas::UsageError(where + "augment: unknown augmentation '" + name +
                              "' (valid: resized_crop, flip)");
    }
    const std::array<double, 3> jitter = {params.get_double("brightness"),
                                          params.get_double("contrast"),
                                          params.get_double("saturation")};
    if (crop || flip || jitter[0] > 0 || jitter[1] > 0 || jitter[2] > 0) {
      augmentation_ =
          std::make_shared<ImagenetAugment>(crop, flip, params.get_double("scale_min"), jitter);
    }
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
          const at::Tensor view =
              train ? train_view(img, resolution_) : eval_view(img, resize_, resolution_);
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
                 "eval view: the shorter side is resized to this, then centre-cropped to "
                 "`resolution`; at least `resolution`",
                 nas::between(8, 8192));
  schema.add_bool("normalize", true,
                  "subtract the ImageNet mean (0.485, 0.456, 0.406) and divide by the std "
                  "(0.229, 0.224, 0.225)");
  schema.add_int("num_classes", 0,
                 "classes the networks are built for; 0: the number of class folders in train/ "
                 "(a folder beyond it is an error)",
                 nas::at_least(0));
  schema.add_string_list("augment", {"resized_crop", "flip"},
                         "training augmentation of the train split, in this order whatever the "
                         "listing: resized_crop (torchvision's RandomResizedCrop), flip "
                         "(horizontal, p = 1/2); empty: none");
  schema.add_double("scale_min", 0.08, "smallest area fraction of a random resized crop",
                    nas::between(0.001, 1));
  schema.add_double("brightness", 0, "colour jitter brightness factor (0: off)",
                    nas::between(0, 1));
  schema.add_double("contrast", 0, "colour jitter contrast factor (0: off)", nas::between(0, 1));
  schema.add_double("saturation", 0, "colour jitter saturation factor (0: off)",
                    nas::between(0, 1));
  registrar.add_dataset(
      kName,
      "ImageNet-style class-folder JPEG trees (train/, val/, optional test/), "
      "decoded with libjpeg-turbo; random-resized-crop training augmentation",
      schema, [](const nas::Params& params) { return std::make_shared<Imagenet>(params); });
}

}  // namespace

NAS_PLUGIN("imagenet", "1.0.0", register_imagenet)
