// Dataset plugin `cifar`: CIFAR-10 and CIFAR-100 (Krizhevsky 2009, "Learning Multiple Layers of
// Features from Tiny Images"), datasets `cifar10` and `cifar100`, read from the official
// *binary* versions (https://www.cs.toronto.edu/~kriz/cifar.html):
// * CIFAR-10: data_batch_1.bin .. data_batch_5.bin (10000 records each, read in that order)
//   and test_batch.bin; a record is 1 label byte + 3072 pixel bytes.
// * CIFAR-100: train.bin (50000 records) and test.bin (10000); a record is 1 coarse label
//   byte, 1 fine label byte + 3072 pixel bytes. `label: fine` (100 classes, the default) or
//   `coarse` (20 superclasses).
// The 3072 pixel bytes are the red plane, then green, then blue, each 32x32 row-major: exactly
// the (C, H, W) layout of a network input, so a record is copied as is. There is no download
// (no network in CI): `dir` names the folder holding the files, or the folder the archive was
// unpacked into (its cifar-10-batches-bin / cifar-100-binary subfolder is tried next).
//
// Splits (see README.md next to this file):
// * test: the test file (10000 images).
// * validation: the last `validation_size` training images (default 5000: images 45000..49999,
//   i.e. the second half of data_batch_5.bin for CIFAR-10), in file order; a fixed tail, as
//   fashion_mnist does, so no seed is needed and any tool can name the same images.
// * train: the images before them. validation_size ranges over [0, N - 1] for N training
//   images (50000, or max_images), checked when the training files are first read.
// * Probe batches, batch(n, seed, kTrain), sample the whole training set (nas/dataset.h).
//
// Behaviour:
// * Files are read on first use under a mutex per file set (train, test), so a pipeline that
//   only builds networks never pays for them and concurrent first calls load once; a failed
//   load is retried (and reported) again. The raw bytes stay in memory (150 MB for the
//   training set); conversion to float happens per batch on the chosen images only.
// * batch(size, seed, split): `size` distinct images by a partial Fisher–Yates shuffle driven
//   by nas::Rng(seed) alone, normalised, never augmented.
// * samples() returns bytes / 255 in [0, 1] (before normalisation), as nas/dataset.h asks;
//   normalization() is Normalize(mean, std) with the commonly used per-channel training-set
//   statistics (CIFAR-10: mean 0.4914, 0.4822, 0.4465, std 0.2470, 0.2435, 0.2616; CIFAR-100:
//   mean 0.5071, 0.4865, 0.4409, std 0.2673, 0.2564, 0.2762; population std over all 50000
//   training images, as the PyTorch CIFAR recipes quote them).
// * augmentation() (train split, nas::EpochLoader): `augment` (default [crop, flip]: random
//   crop of the image zero-padded by `crop_padding` = 4, then a horizontal flip), then, when
//   `cutout` > 0, Cutout (DeVries & Taylor 2017) as DARTS applies it: a cutout x cutout square
//   whose centre is drawn uniformly over the image (row, then column), clipped at the borders.
//   DARTS zeroes the square *after* normalisation; augmentation here runs before
//   normalisation (nas/epoch_loader.h), so the square is filled with the per-channel mean,
//   which normalisation maps to exactly 0 (0 itself when normalize is false). The result is the
//   same as DARTS's order: crop > flip > normalise > cutout.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>

#include "nas/csv.h"
#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/params.h"
#include "nas/plugin.h"
#include "nas/seed.h"
#include "nas/transform.h"
#include "tail_split.h"

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kSide = 32;
constexpr std::int64_t kPixels = 3 * kSide * kSide;  // 3072 bytes per image

// What tells CIFAR-10 and CIFAR-100 apart.
struct Variant {
  const char* name;       // the dataset's name
  const char* title;      // "CIFAR-10"
  const char* subfolder;  // what the official archive unpacks to
  const char* url;        // where the binary version is downloaded from
  const char* dir_env;    // environment variable for the default `dir`
  std::vector<std::string> train_files;
  std::string test_file;
  int label_bytes;  // 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine)
  std::array<double, 3> mean;
  std::array<double, 3> std;
};

const Variant& cifar10() {
  static const Variant v{"cifar10",
                         "CIFAR-10",
                         "cifar-10-batches-bin",
                         "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                         "NAS_CIFAR10_DIR",
                         {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                          "data_batch_4.bin", "data_batch_5.bin"},
                         "test_batch.bin",
                         1,
                         {0.4914, 0.4822, 0.4465},
                         {0.2470, 0.2435, 0.2616}};
  return v;
}

const Variant& cifar100() {
  static const Variant v{"cifar100",
                         "CIFAR-100",
                         "cifar-100-binary",
                         "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
                         "NAS_CIFAR100_DIR",
                         {"train.bin"},
                         "test.bin",
                         2,
                         {0.5071, 0.4865, 0.4409},
                         {0.2673, 0.2564, 0.2762}};
  return v;
}

// The images and labels of a file set (the training files, or the test file), as read.
struct FileData {
  std::int64_t count = 0;
  std::vector<std::uint8_t> pixels;  // count * 3072: R, G, B planes per image
  std::vector<std::uint8_t> labels;  // count: the label asked for (fine or coarse)
};

// Cutout (DeVries & Taylor 2017) as DARTS's utils.Cutout draws it: centre row
// cy = Rng::below(H), then column cx = Rng::below(W); rows [cy - L/2, cy - L/2 + L) and columns
// likewise, clipped to the image, are set to `fill[c]` on channel c (the mean, so that
// normalisation maps them to 0; for even L exactly DARTS's square).
class Cutout final : public nas::Transform {
 public:
  Cutout(std::int64_t side, std::vector<double> fill) : side_(side), fill_(std::move(fill)) {}
  std::string name() const override { return "cutout(" + std::to_string(side_) + ")"; }
  at::Tensor apply(const at::Tensor& inputs,
                   const std::vector<std::uint64_t>& seeds) const override {
    if (!inputs.defined() || inputs.dim() != 4) {
      throw nas::Error(
          name() + ": expects a batch of images (N, C, H, W), got " +
          (inputs.defined() ? std::to_string(inputs.dim()) + " dimensions" : "no tensor"));
    }
    if (static_cast<std::int64_t>(seeds.size()) != inputs.size(0)) {
      throw nas::Error(name() + ": " + std::to_string(seeds.size()) + " seeds for a batch of " +
                       std::to_string(inputs.size(0)) + " samples");
    }
    const std::int64_t channels = inputs.size(1), h = inputs.size(2), w = inputs.size(3);
    if (static_cast<std::int64_t>(fill_.size()) != channels) {
      throw nas::Error(name() + ": has " + std::to_string(fill_.size()) +
                       " fill values for images of " + std::to_string(channels) + " channels");
    }
    at::Tensor out = inputs.clone();
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      nas::Rng rng(seeds[i]);
      const std::int64_t cy = rng.below(h);
      const std::int64_t cx = rng.below(w);
      const std::int64_t y0 = std::max<std::int64_t>(0, cy - side_ / 2);
      const std::int64_t y1 = std::min<std::int64_t>(h, cy - side_ / 2 + side_);
      const std::int64_t x0 = std::max<std::int64_t>(0, cx - side_ / 2);
      const std::int64_t x1 = std::min<std::int64_t>(w, cx - side_ / 2 + side_);
      if (y1 <= y0 || x1 <= x0) continue;
      const at::Tensor image = out[static_cast<std::int64_t>(i)];
      for (std::int64_t c = 0; c < channels; ++c) {
        image[c].narrow(0, y0, y1 - y0).narrow(1, x0, x1 - x0).fill_(fill_[c]);
      }
    }
    return out;
  }

 private:
  std::int64_t side_;
  std::vector<double> fill_;
};

std::string where_to_get(const Variant& v) {
  return std::string("download the binary version of ") + v.title + " from " + v.url +
         " and unpack it, then set the dataset's `dir` parameter (or $" + v.dir_env +
         ") to the folder holding the files";
}

// The folder that holds the variant's files: `dir` itself, or its official subfolder.
fs::path resolve_dir(const Variant& v, const std::string& dir) {
  if (dir.empty()) {
    throw nas::Error(std::string(v.name) + ": no data folder: set params.dir or $" + v.dir_env +
                     "; " + where_to_get(v));
  }
  const std::string probe = v.train_files.front();
  std::error_code ec;
  if (fs::exists(fs::path(dir) / probe, ec)) return dir;
  if (fs::exists(fs::path(dir) / v.subfolder / probe, ec)) return fs::path(dir) / v.subfolder;
  if (!fs::exists(dir, ec)) {
    throw nas::Error(std::string(v.name) + ": data folder " + dir + " does not exist; " +
                     where_to_get(v));
  }
  return dir;  // the missing file is reported by name when it is read
}

// Reads one binary batch file and appends its records to `data`.
void read_batch_file(const Variant& v, const fs::path& path, const std::string& label,
                     FileData& data) {
  const std::string file = path.string();
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw nas::Error(file + ": is a directory, expected the " + v.title + " binary file " +
                     path.filename().string());
  }
  if (!fs::exists(path, ec)) {
    throw nas::Error(std::string(v.name) + ": missing file " + file + "; " + where_to_get(v));
  }
  const std::vector<unsigned char> bytes = nas::read_binary_file(file);
  const auto record = static_cast<std::size_t>(v.label_bytes + kPixels);
  if (bytes.empty() || bytes.size() % record != 0) {
    throw nas::Error(file + ": " + std::to_string(bytes.size()) +
                     " bytes is not a positive multiple of the " + std::to_string(record) +
                     "-byte " + v.title + " record (truncated, or not a " + v.title +
                     " binary batch file)");
  }
  const std::size_t count = bytes.size() / record;
  // CIFAR-100 records hold the coarse label first, then the fine one.
  const std::size_t label_at = v.label_bytes == 2 && label == "fine" ? 1 : 0;
  data.pixels.reserve(data.pixels.size() + count * kPixels);
  for (std::size_t i = 0; i < count; ++i) {
    const unsigned char* rec = bytes.data() + i * record;
    // Every label byte is checked, the one not used too: a bad byte means a damaged file.
    for (int k = 0; k < v.label_bytes; ++k) {
      const int limit = v.label_bytes == 1 ? 10 : (k == 0 ? 20 : 100);
      if (rec[k] >= limit) {
        const std::string kind =
            v.label_bytes == 1 ? "label" : (k == 0 ? "coarse label" : "fine label");
        throw nas::Error(file + ": " + kind + " " + std::to_string(rec[k]) + " of record " +
                         std::to_string(i) + " is outside [0, " + std::to_string(limit) + ")");
      }
    }
    data.labels.push_back(rec[label_at]);
    data.pixels.insert(data.pixels.end(), rec + v.label_bytes, rec + record);
  }
  data.count += static_cast<std::int64_t>(count);
}

class Cifar final : public nas::Dataset {
 public:
  Cifar(const Variant& variant, const nas::Params& params)
      : v_(variant),
        dir_(params.get_string("dir")),
        label_(variant.label_bytes == 2 ? params.get_string("label") : "fine"),
        normalize_(params.get_bool("normalize")),
        max_images_(params.get_int("max_images")),
        validation_size_(params.get_int("validation_size")),
        splits_({std::string(v_.name), "training set", max_images_ > 0}, validation_size_,
                [this](bool test_file) { return load(test_file); }) {
    if (dir_.empty()) {
      const char* env = std::getenv(v_.dir_env);
      if (env) dir_ = env;
    }
    const std::vector<double> mean(v_.mean.begin(), v_.mean.end());
    const std::vector<double> std(v_.std.begin(), v_.std.end());
    if (normalize_) normalization_ = std::make_shared<nas::Normalize>(mean, std);

    std::vector<std::shared_ptr<const nas::Transform>> stages;
    if (auto basic = nas::make_augmentation(params, kSide, v_.name)) {
      const auto* chain = dynamic_cast<const nas::Compose*>(basic.get());
      if (chain)
        stages = chain->stages();
      else
        stages.push_back(basic);
    }
    const std::int64_t cutout = params.get_int("cutout");
    if (cutout > 0) {
      stages.push_back(
          std::make_shared<Cutout>(cutout, normalize_ ? mean : std::vector<double>(3, 0.0)));
    }
    if (!stages.empty()) augmentation_ = std::make_shared<nas::Compose>(std::move(stages));
  }

  nas::DataShape shape() const override {
    nas::DataShape s;
    s.channels = 3;
    s.size = static_cast<int>(kSide);
    s.num_classes = v_.label_bytes == 1 ? 10 : (label_ == "fine" ? 100 : 20);
    return s;
  }

  nas::Batch batch(std::int64_t size, std::uint64_t seed, nas::Split split) const override {
    const auto [file, rows] = splits_.batch_rows(size, seed, split);
    nas::Batch out = gather(*file, rows);
    if (normalize_) {
      for (std::int64_t c = 0; c < 3; ++c) out.inputs.select(1, c).sub_(v_.mean[c]).div_(v_.std[c]);
    }
    return out;
  }

  std::int64_t size(nas::Split split) const override { return splits_.pool(split).count; }

  nas::Batch samples(nas::Split split, const std::vector<std::int64_t>& indices) const override {
    const auto [file, rows] = splits_.sample_rows(split, indices);
    return gather(*file, rows);
  }

  std::shared_ptr<const nas::Transform> normalization() const override { return normalization_; }
  std::shared_ptr<const nas::Transform> augmentation() const override { return augmentation_; }

 private:
  // Images `rows` as floats in [0, 1] (N, 3, 32, 32), and their labels.
  static nas::Batch gather(const FileData& file, const std::vector<std::int64_t>& rows) {
    const auto n = static_cast<std::int64_t>(rows.size());
    at::Tensor raw = at::empty({n, 3, kSide, kSide}, at::kByte);
    at::Tensor labels = at::empty({n}, at::kLong);
    std::uint8_t* raw_out = raw.data_ptr<std::uint8_t>();
    std::int64_t* label_out = labels.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i) {
      std::memcpy(raw_out + i * kPixels, file.pixels.data() + rows[i] * kPixels, kPixels);
      label_out[i] = file.labels[static_cast<std::size_t>(rows[i])];
    }
    return {raw.to(at::kFloat).div_(255.0), labels};
  }

  std::shared_ptr<const FileData> load(bool test_file) const {
    const std::size_t s = test_file ? 1 : 0;
    std::lock_guard<std::mutex> lock(mutex_[s]);
    if (!data_[s]) {
      const fs::path dir = resolve_dir(v_, dir_);
      auto data = std::make_shared<FileData>();
      const std::vector<std::string> names =
          test_file ? std::vector<std::string>{v_.test_file} : v_.train_files;
      for (const std::string& name : names) {
        if (max_images_ > 0 && data->count >= max_images_) break;
        read_batch_file(v_, dir / name, label_, *data);
      }
      if (max_images_ > 0 && data->count > max_images_) {
        data->count = max_images_;
        data->pixels.resize(static_cast<std::size_t>(max_images_ * kPixels));
        data->labels.resize(static_cast<std::size_t>(max_images_));
      }
      data_[s] = std::move(data);
    }
    return data_[s];
  }

  const Variant& v_;
  std::string dir_;
  std::string label_;
  bool normalize_;
  std::int64_t max_images_;
  std::int64_t validation_size_;
  nas_splits::TailSplits<FileData> splits_;
  std::shared_ptr<const nas::Transform> augmentation_;
  std::shared_ptr<const nas::Transform> normalization_;
  mutable std::array<std::mutex, 2> mutex_;
  mutable std::array<std::shared_ptr<const FileData>, 2> data_;
};

std::string format_stats(const std::array<double, 3>& v) {
  std::string text;
  for (double x : v) {
    std::string s = std::to_string(x);
    s.erase(s.find_last_not_of('0') + 1);
    text += (text.empty() ? "" : ", ") + s;
  }
  return text;
}

nas::ParamSchema schema_for(const Variant& v) {
  nas::ParamSchema schema;
  schema.add_string("dir", "",
                    std::string("folder of the binary files (or the folder holding ") +
                        v.subfolder + "/); empty: $" + v.dir_env + "; no download: get " + v.url);
  if (v.label_bytes == 2) {
    schema.add_string("label", "fine", "fine (100 classes) or coarse (20 superclasses)",
                      {"fine", "coarse"});
  }
  schema.add_bool("normalize", true,
                  "subtract the per-channel training-set mean (" + format_stats(v.mean) +
                      ") and divide by the std (" + format_stats(v.std) + ")");
  schema.add_int("max_images", 0,
                 "use only the first N images of the training set and of the test file (0: all)",
                 nas::at_least(0));
  schema.add_int("validation_size", 5000,
                 "the last N training images form the validation split, the rest the train "
                 "split; at most training images - 1, checked when the files are read (probe "
                 "batches ignore it)",
                 nas::at_least(0));
  schema.add_string_list("augment", {"crop", "flip"},
                         "training augmentation, applied in the order listed to the train split "
                         "only: crop (zero-padded random crop), flip (horizontal, p = 1/2); "
                         "empty: none");
  schema.add_int("crop_padding", 4, "zeros added on each side before a random crop, in [1, 32]");
  schema.add_int("cutout", 0,
                 "side of the Cutout square applied after `augment` (DARTS: 16), centre uniform "
                 "over the image, clipped at the borders, 0 after normalisation; 0: off",
                 nas::between(0, kSide));
  return schema;
}

void register_cifar(nas::PluginRegistrar& registrar) {
  registrar.add_dataset("cifar10",
                        "CIFAR-10 (10 classes, 32x32 RGB; 45000 train / 5000 validation from "
                        "the training batches, 10000 test) from the official binary files",
                        schema_for(cifar10()), [](const nas::Params& params) {
                          return std::make_shared<Cifar>(cifar10(), params);
                        });
  registrar.add_dataset("cifar100",
                        "CIFAR-100 (100 fine or 20 coarse classes, 32x32 RGB; 45000 train / "
                        "5000 validation from train.bin, 10000 test) from the official binary "
                        "files",
                        schema_for(cifar100()), [](const nas::Params& params) {
                          return std::make_shared<Cifar>(cifar100(), params);
                        });
}

}  // namespace

NAS_PLUGIN("cifar", "1.0.0", register_cifar)
