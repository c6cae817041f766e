// Dataset plugin `fashion_mnist`: Fashion-MNIST (Xiao et al. 2017) read from IDX files, as
// Debian's dataset-fashion-mnist package installs them (gzipped) under
// /usr/share/datasets/fashion-mnist. Plain or gzipped files both work (nas::read_binary_file
// inflates by magic number).
//
// Splits (see README.md next to this file):
// * test: the t10k files (10000 images).
// * validation: the last `validation_size` images of the training file (default 10000, so
//   images 50000..59999 of Debian's 60000), in file order. A fixed tail rather than a random
//   subset: it needs no seed, every tool that reads the file can name the same images, and the
//   training file is well mixed (the last 10000 hold 955 to 1050 images of each class, numpy
//   on Debian's file; tests/test_datasets.cpp checks the counts).
// * train: the images before them (0..49999 by default). validation_size ranges over
//   [0, N - 1] for N training images (N = 60000, or max_images when set), checked when the
//   training file is first read by size(), samples() or a validation batch; 0 gives an empty
//   validation split and trains on the whole file.
// * Probe batches, batch(n, seed, kTrain), sample the whole training file, as nas/dataset.h
//   says, so validation_size never changes a proxy's score.
//
// Behaviour:
// * Files are read on first use, not at construction, so a pipeline that only builds networks
//   never pays for them; loading is guarded by a mutex per file, so concurrent first calls
//   load once. The raw bytes (47 MB for the training file) stay in memory; conversion to float
//   happens per batch on the chosen images only.
// * batch(size, seed, split) picks `size` distinct images by a partial Fisher–Yates shuffle
//   driven by nas::Rng(seed) alone (platform-independent bounded draws; torch's global
//   generator is never touched), so the same seed gives the same batch in any thread.
// * Order of transforms: bytes / 255 -> resize -> normalise -> replicate channels. Padding
//   happens in pixel space, so the border is black (0), the colour of Fashion-MNIST's own
//   background, and normalisation maps it like any black pixel (to -mean/std). samples() stops
//   before normalising (replicating channels still), as nas/dataset.h asks; normalization()
//   is the same (x - 0.2860) / 0.3530 on every channel.
// * Training augmentation (nas::EpochLoader, train split only): `augment: [crop, flip]` gives
//   a random crop with `crop_padding` black pixels on each side (default 2, as Fashion-MNIST
//   recipes use at 28x28; 4 suits resize: 32) and a horizontal flip, on the resized image
//   before normalisation. Probe batches are never augmented.
// * Normalisation constants are the train set's pixel statistics over all 60000 images,
//   checked with numpy on the Debian files: mean 0.28604, population std 0.35302
//   (tests/test_datasets.cpp re-derives them through this plugin).
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/ops/constant_pad_nd.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/upsample_bilinear2d.h>

#include "nas/csv.h"
#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/params.h"
#include "nas/plugin.h"
#include "nas/seed.h"
#include "nas/transform.h"
#include "tail_split.h"

namespace {

constexpr const char* kName = "fashion_mnist";
constexpr const char* kDebianDir = "/usr/share/datasets/fashion-mnist";
constexpr const char* kDirEnv = "NAS_FASHION_MNIST_DIR";
constexpr double kMean = 0.2860;
constexpr double kStd = 0.3530;
constexpr std::int64_t kSide = 28;
constexpr std::int64_t kPixels = kSide * kSide;
constexpr int kClasses = 10;
constexpr std::uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, 3 dimensions
constexpr std::uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, 1 dimension

// One IDX image file and its label file, as read.
struct FileData {
  std::int64_t count = 0;
  std::vector<std::uint8_t> pixels;  // count * 28 * 28, row-major
  std::vector<std::uint8_t> labels;  // count
};

std::string hex32(std::uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", static_cast<unsigned>(v));
  return text;
}

std::uint32_t big_endian32(const std::vector<unsigned char>& bytes, std::size_t offset) {
  return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
         (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
}

std::string find_idx_file(const std::string& dir, const std::string& name) {
  const std::string plain = (std::filesystem::path(dir) / name).string();
  for (const std::string& candidate : {plain, plain + ".gz"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
  }
  throw nas::Error(std::string(kName) + ": missing file " + plain + " (also tried " + plain +
                   ".gz); set the dataset's `dir` parameter or $" + kDirEnv +
                   ", or install Debian's dataset-fashion-mnist package");
}

// Reads an IDX file with `header_size` bytes of header (magic, counts) and `item_size` bytes
// per item, checking the magic number and that the size matches the header exactly.
// Returns the bytes with the header still in front; `count` receives the item count.
std::vector<unsigned char> read_idx(const std::string& path, std::uint32_t magic,
                                    std::size_t header_size, std::int64_t& count) {
  std::vector<unsigned char> bytes = nas::read_binary_file(path);
  if (bytes.size() < header_size) {
    throw nas::Error(path + ": truncated IDX file: " + std::to_string(bytes.size()) +
                     " bytes, but its header alone needs " + std::to_string(header_size));
  }
  const std::uint32_t found = big_endian32(bytes, 0);
  if (found != magic) {
    throw nas::Error(path + ": wrong magic number " + hex32(found) + ", expected " + hex32(magic) +
                     " (" + (magic == kImagesMagic ? "IDX images" : "IDX labels") + ")");
  }
  count = big_endian32(bytes, 4);
  std::int64_t item_size = 1;
  if (magic == kImagesMagic) {
    const std::uint32_t rows = big_endian32(bytes, 8);
    const std::uint32_t cols = big_endian32(bytes, 12);
    if (rows != kSide || cols != kSide) {
      throw nas::Error(path + ": images are " + std::to_string(rows) + "x" + std::to_string(cols) +
                       ", expected 28x28");
    }
    item_size = kPixels;
  }
  const std::uint64_t expected = header_size + static_cast<std::uint64_t>(count) * item_size;
  if (bytes.size() < expected) {
    throw nas::Error(path + ": truncated IDX file: its header announces " + std::to_string(count) +
                     " items (" + std::to_string(expected) + " bytes) but it has " +
                     std::to_string(bytes.size()) + " bytes");
  }
  if (bytes.size() > expected) {
    throw nas::Error(path + ": " + std::to_string(bytes.size() - expected) +
                     " unexpected bytes after the " + std::to_string(count) +
                     " items its header announces");
  }
  return bytes;
}

FileData load_file(const std::string& dir, bool test_file, std::int64_t max_images) {
  const std::string prefix = test_file ? "t10k" : "train";
  const std::string images_path = find_idx_file(dir, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_idx_file(dir, prefix + "-labels-idx1-ubyte");

  std::int64_t image_count = 0, label_count = 0;
  const std::vector<unsigned char> images = read_idx(images_path, kImagesMagic, 16, image_count);
  const std::vector<unsigned char> labels = read_idx(labels_path, kLabelsMagic, 8, label_count);
  if (image_count != label_count) {
    throw nas::Error(std::string(kName) + ": " + images_path + " holds " +
                     std::to_string(image_count) + " images but " + labels_path + " holds " +
                     std::to_string(label_count) + " labels");
  }
  for (std::int64_t i = 0; i < label_count; ++i) {
    if (labels[8 + i] >= kClasses) {
      throw nas::Error(labels_path + ": label " + std::to_string(labels[8 + i]) + " of item " +
                       std::to_string(i) + " is outside [0, " + std::to_string(kClasses) + ")");
    }
  }

  FileData data;
  data.count = max_images > 0 ? std::min(max_images, image_count) : image_count;
  data.pixels.assign(images.begin() + 16, images.begin() + 16 + data.count * kPixels);
  data.labels.assign(labels.begin() + 8, labels.begin() + 8 + data.count);
  return data;
}

std::string default_dir() {
  const char* env = std::getenv(kDirEnv);
  return env && *env ? std::string(env) : std::string(kDebianDir);
}

class FashionMnist final : public nas::Dataset {
 public:
  explicit FashionMnist(const nas::Params& params)
      : dir_(params.get_string("dir")),
        resize_(params.get_int("resize")),
        bilinear_(params.get_string("resize_mode") == "bilinear"),
        channels_(params.get_int("channels")),
        normalize_(params.get_bool("normalize")),
        max_images_(params.get_int("max_images")),
        validation_size_(params.get_int("validation_size")),
        splits_({std::string(kName), "training file", max_images_ > 0}, validation_size_,
                [this](bool test_file) { return load(test_file); }) {
    const std::string where = std::string(kName) + ": params.";
    if (dir_.empty()) dir_ = default_dir();
    if (resize_ == 0) resize_ = kSide;
    if (!bilinear_ && (resize_ < kSide || (resize_ - kSide) % 2 != 0)) {
      throw nas::UsageError(where + "resize " + std::to_string(resize_) +
                            " cannot be reached by padding 28x28 equally on each side; use an "
                            "even size >= 28 or resize_mode: bilinear");
    }
    if (channels_ != 1 && channels_ != 3) {
      throw nas::UsageError(where + "channels must be 1 or 3, got " + std::to_string(channels_));
    }
    augmentation_ = nas::make_augmentation(params, resize_, kName);
    if (normalize_)
      normalization_ =
          std::make_shared<nas::Normalize>(std::vector<double>{kMean}, std::vector<double>{kStd});
  }

  nas::DataShape shape() const override {
    nas::DataShape s;
    s.channels = static_cast<int>(channels_);
    s.size = static_cast<int>(resize_);
    s.num_classes = kClasses;
    return s;
  }

  nas::Batch batch(std::int64_t size, std::uint64_t seed, nas::Split split) const override {
    const auto [file, rows] = splits_.batch_rows(size, seed, split);
    nas::Batch out = gather(*file, rows);
    if (normalize_) out.inputs.sub_(kMean).div_(kStd);
    out.inputs = replicate(out.inputs);
    return out;
  }

  std::int64_t size(nas::Split split) const override { return splits_.pool(split).count; }

  nas::Batch samples(nas::Split split, const std::vector<std::int64_t>& indices) const override {
    const auto [file, rows] = splits_.sample_rows(split, indices);
    nas::Batch out = gather(*file, rows);
    out.inputs = replicate(out.inputs);
    return out;
  }

  std::shared_ptr<const nas::Transform> normalization() const override { return normalization_; }
  std::shared_ptr<const nas::Transform> augmentation() const override { return augmentation_; }

 private:
  // Images `rows` of `file` as floats in [0, 1] (N, 1, side, side), resized, and their labels.
  nas::Batch gather(const FileData& file, const std::vector<std::int64_t>& rows) const {
    const auto n = static_cast<std::int64_t>(rows.size());
    at::Tensor raw = at::empty({n, 1, kSide, kSide}, at::kByte);
    at::Tensor labels = at::empty({n}, at::kLong);
    std::uint8_t* raw_out = raw.data_ptr<std::uint8_t>();
    std::int64_t* label_out = labels.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i) {
      std::memcpy(raw_out + i * kPixels, file.pixels.data() + rows[i] * kPixels, kPixels);
      label_out[i] = file.labels[rows[i]];
    }
    at::Tensor x = raw.to(at::kFloat).div_(255.0);
    if (resize_ != kSide) {
      if (bilinear_) {
        x = at::upsample_bilinear2d(x, {resize_, resize_}, /*align_corners=*/false);
      } else {
        const std::int64_t pad = (resize_ - kSide) / 2;
        x = at::constant_pad_nd(x, {pad, pad, pad, pad}, 0.0);
      }
    }
    return {x, labels};
  }

  at::Tensor replicate(const at::Tensor& x) const {
    if (channels_ == 1) return x;
    return x.expand({x.size(0), 3, resize_, resize_}).contiguous();
  }

  std::shared_ptr<const FileData> load(bool test_file) const {
    const std::size_t s = test_file ? 1 : 0;
    std::lock_guard<std::mutex> lock(mutex_[s]);
    // A failed load leaves the slot empty, so a later call retries and reports again.
    if (!data_[s])
      data_[s] = std::make_shared<const FileData>(load_file(dir_, test_file, max_images_));
    return data_[s];
  }

  std::string dir_;
  std::int64_t resize_;
  bool bilinear_;
  std::int64_t channels_;
  bool normalize_;
  std::int64_t max_images_;
  std::int64_t validation_size_;
  nas_splits::TailSplits<FileData> splits_;
  std::shared_ptr<const nas::Transform> augmentation_;
  std::shared_ptr<const nas::Transform> normalization_;
  mutable std::array<std::mutex, 2> mutex_;
  mutable std::array<std::shared_ptr<const FileData>, 2> data_;
};

void register_fashion_mnist(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_string("dir", "",
                    std::string("folder of the IDX files (gzipped or not); empty: $") + kDirEnv +
                        " if set, else " + kDebianDir + " (Debian's dataset-fashion-mnist)");
  schema.add_int("resize", 0,
                 "side of the images returned: 0 keeps 28; e.g. 32 for CIFAR-sized "
                 "networks",
                 nas::between(0, 4096));
  schema.add_string("resize_mode", "pad",
                    "how 28 becomes `resize`: pad (black border, 2 px each side for 32) or "
                    "bilinear",
                    {"pad", "bilinear"});
  schema.add_int("channels", 1, "1, or 3 to repeat the grey channel for RGB networks");
  schema.add_bool("normalize", true,
                  "subtract 0.2860 and divide by 0.3530 (train-set pixel mean and std)");
  schema.add_int("max_images", 0, "use only the first N images of each file (0: all)",
                 nas::at_least(0));
  schema.add_int("validation_size", 10000,
                 "the last N images of the training file form the validation split, the rest "
                 "the train split; at most training images - 1, checked when the file is read "
                 "(probe batches ignore it)",
                 nas::at_least(0));
  nas::add_augmentation_params(schema, 2);
  registrar.add_dataset(
      kName,
      "Fashion-MNIST (10 classes, 28x28 grey; 50000 train / 10000 validation from the "
      "training file, 10000 test) from IDX files",
      schema, [](const nas::Params& params) { return std::make_shared<FashionMnist>(params); });
}

}  // namespace

NAS_PLUGIN("fashion_mnist", "1.0.0", register_fashion_mnist)
