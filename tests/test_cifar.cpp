// Dataset plugin `cifar` (`cifar10`, `cifar100`) on small files in the official binary format,
// written here with known pixels and labels: split sizes, exact pixels and channel order,
// labels, the validation tail, normalisation by hand, seeded probe batches, Cutout by hand,
// CIFAR-100's fine and coarse labels, every file error, and a pipeline through the CLI.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "nas/dataset.h"
#include "nas/epoch_loader.h"
#include "nas/error.h"
#include "nas/params.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/seed.h"
#include "nas/transform.h"
#include "test_support.h"

namespace {

namespace fs = std::filesystem;
using Overrides = std::vector<std::pair<std::string, nas::ParamValue>>;
using nas::test::TempDir;

std::shared_ptr<nas::Dataset> make_dataset(const std::string& name, const Overrides& overrides) {
  nas::load_plugins();
  const nas::Component<nas::Dataset>* component = nas::Registry::global().datasets.find(name);
  if (!component) throw nas::Error("dataset not registered: " + name);
  nas::Params params = nas::Params::defaults(component->schema, name);
  for (const auto& [key, value] : overrides) params.set(key, value);
  return component->create(params);
}

nas::ParamValue int_value(std::int64_t v) { return nas::ParamValue(v); }
nas::ParamValue string_value(const std::string& v) { return nas::ParamValue(v); }
nas::ParamValue list_value(const std::vector<std::string>& v) { return nas::ParamValue(v); }

// Byte of channel c, row r, column x of image g (g counts training images 0.., test images
// 100..): distinct per image, channel and position.
std::uint8_t pixel(int g, int c, int r, int x) {
  return static_cast<std::uint8_t>((1 + g * 11 + c * 80 + r * 3 + x) & 0xFF);
}

// One record: label bytes, then the R, G and B planes, 32x32 row-major.
void put_record(std::vector<unsigned char>& out, const std::vector<int>& label_bytes, int g) {
  for (int l : label_bytes) out.push_back(static_cast<unsigned char>(l));
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < 32; ++r)
      for (int x = 0; x < 32; ++x) out.push_back(pixel(g, c, r, x));
}

void write_bytes(const fs::path& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// CIFAR-10: 5 training batches of 4 records (image g has label g % 10), a test batch of 3
// (image 100 + t has label (t + 5) % 10).
int label10(int g) { return g % 10; }
void write_cifar10(const fs::path& dir) {
  fs::create_directories(dir);
  for (int b = 0; b < 5; ++b) {
    std::vector<unsigned char> bytes;
    for (int k = 0; k < 4; ++k) put_record(bytes, {label10(4 * b + k)}, 4 * b + k);
    write_bytes(dir / ("data_batch_" + std::to_string(b + 1) + ".bin"), bytes);
  }
  std::vector<unsigned char> test;
  for (int t = 0; t < 3; ++t) put_record(test, {(t + 5) % 10}, 100 + t);
  write_bytes(dir / "test_batch.bin", test);
}

// CIFAR-100: train.bin with 6 records (coarse g % 20, fine (7g + 3) % 100), test.bin with 2.
int coarse(int g) { return g % 20; }
int fine(int g) { return (7 * g + 3) % 100; }
void write_cifar100(const fs::path& dir) {
  fs::create_directories(dir);
  std::vector<unsigned char> train, test;
  for (int g = 0; g < 6; ++g) put_record(train, {coarse(g), fine(g)}, g);
  for (int t = 0; t < 2; ++t) put_record(test, {coarse(19 - t), fine(50 + t)}, 100 + t);
  write_bytes(dir / "train.bin", train);
  write_bytes(dir / "test.bin", test);
}

// Image g as floats in [0, 1] (3, 32, 32).
at::Tensor expected_image(int g) {
  at::Tensor img = at::empty({3, 32, 32}, at::kFloat);
  auto a = img.accessor<float, 3>();
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < 32; ++r)
      for (int x = 0; x < 32; ++x) a[c][r][x] = pixel(g, c, r, x) / 255.0f;
  return img;
}

// The image index g of a [0, 1] image (its first red byte is 1 + 11 g mod 256; g < 23).
int image_of(const at::Tensor& img) {
  const int byte = static_cast<int>(std::lround(img[0][0][0].item<float>() * 255.0f));
  return (byte - 1) / 11;
}

void expect_error(const std::function<void()>& call, const std::vector<std::string>& needles) {
  for (int attempt = 0; attempt < 2; ++attempt) {  // a failed load is retried, not cached
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const nas::Error& e) {
      for (const auto& needle : needles) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
            << "message: " << e.what() << "\nlacks: " << needle;
      }
    }
  }
}

const std::vector<double> kMean10 = {0.4914, 0.4822, 0.4465};
const std::vector<double> kStd10 = {0.2470, 0.2435, 0.2616};

class Cifar10Files : public ::testing::Test {
 protected:
  void SetUp() override { write_cifar10(dir_.path()); }
  std::shared_ptr<nas::Dataset> make(Overrides overrides = {}) {
    overrides.insert(overrides.begin(), {"dir", string_value(dir_.path())});
    return make_dataset("cifar10", overrides);
  }
  TempDir dir_;
};

TEST_F(Cifar10Files, SplitSizesAndShape) {
  auto data = make({{"validation_size", int_value(6)}});
  EXPECT_EQ(data->shape().channels, 3);
  EXPECT_EQ(data->shape().size, 32);
  EXPECT_EQ(data->shape().num_classes, 10);
  EXPECT_EQ(data->size(nas::Split::kTrain), 14);
  EXPECT_EQ(data->size(nas::Split::kValidation), 6);
  EXPECT_EQ(data->size(nas::Split::kTest), 3);
  auto whole = make({{"validation_size", int_value(0)}});
  EXPECT_EQ(whole->size(nas::Split::kTrain), 20);
  EXPECT_EQ(whole->size(nas::Split::kValidation), 0);
  // The default (5000) leaves nothing of 20 images: refused with the valid range.
  try {
    make()->size(nas::Split::kTrain);
    ADD_FAILURE() << "no error";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("validation_size 5000"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[0, 19]"), std::string::npos) << e.what();
  }
  auto capped = make({{"validation_size", int_value(2)}, {"max_images", int_value(9)}});
  EXPECT_EQ(capped->size(nas::Split::kTrain), 7);
  EXPECT_EQ(capped->size(nas::Split::kTest), 3);
}

TEST_F(Cifar10Files, SamplesArePixelExactInChannelOrder) {
  auto data = make({{"validation_size", int_value(6)}});
  const nas::Batch b = data->samples(nas::Split::kTrain, {13, 0, 5});
  ASSERT_EQ(b.inputs.sizes(), (std::vector<std::int64_t>{3, 3, 32, 32}));
  EXPECT_EQ(b.inputs.scalar_type(), at::kFloat);
  EXPECT_EQ(b.labels.scalar_type(), at::kLong);
  const std::vector<int> images = {13, 0, 5};
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(at::equal(b.inputs[i], expected_image(images[i]))) << "image " << images[i];
    EXPECT_EQ(b.labels[i].item<std::int64_t>(), label10(images[i]));
  }
  // The planes are R, G, B: image 0's first bytes are 1 (red), 81 (green), 161 (blue); row 1
  // starts 3 later, column 1 one later.
  EXPECT_FLOAT_EQ(b.inputs[1][0][0][0].item<float>(), 1 / 255.0f);
  EXPECT_FLOAT_EQ(b.inputs[1][1][0][0].item<float>(), 81 / 255.0f);
  EXPECT_FLOAT_EQ(b.inputs[1][2][0][0].item<float>(), 161 / 255.0f);
  EXPECT_FLOAT_EQ(b.inputs[1][0][1][0].item<float>(), 4 / 255.0f);
  EXPECT_FLOAT_EQ(b.inputs[1][0][0][1].item<float>(), 2 / 255.0f);
  // Deterministic: the same index is the same tensor.
  EXPECT_TRUE(at::equal(data->samples(nas::Split::kTrain, {13}).inputs[0], b.inputs[0]));
  expect_error([&] { data->samples(nas::Split::kTrain, {14}); },
               {"sample index 14", "14 images of the train split"});
}

TEST_F(Cifar10Files, ValidationIsTheTailAndTestIsTheTestFile) {
  auto data = make({{"validation_size", int_value(6)}});
  const nas::Batch v = data->samples(nas::Split::kValidation, {0, 1, 2, 3, 4, 5});
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(at::equal(v.inputs[i], expected_image(14 + i)));
    EXPECT_EQ(v.labels[i].item<std::int64_t>(), label10(14 + i));
  }
  const nas::Batch t = data->samples(nas::Split::kTest, {0, 1, 2});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(at::equal(t.inputs[i], expected_image(100 + i)));
    EXPECT_EQ(t.labels[i].item<std::int64_t>(), (i + 5) % 10);
  }
}

TEST_F(Cifar10Files, NormalisationByHand) {
  auto data = make({{"validation_size", int_value(6)}});
  ASSERT_NE(data->normalization(), nullptr);
  const nas::Batch b = data->samples(nas::Split::kTrain, {2});
  const at::Tensor n = data->normalization()->apply(b.inputs, {0});
  for (int c = 0; c < 3; ++c) {
    const double raw = pixel(2, c, 7, 9) / 255.0;
    EXPECT_NEAR(n[0][c][7][9].item<float>(), (raw - kMean10[c]) / kStd10[c], 1e-5) << c;
  }
  // Probe batches come normalised the same way.
  auto plain = make({{"normalize", false}});
  EXPECT_EQ(plain->normalization(), nullptr);
  const nas::Batch raw = plain->batch(5, 9);
  const nas::Batch norm = make()->batch(5, 9);
  for (int c = 0; c < 3; ++c) {
    EXPECT_TRUE(at::allclose(norm.inputs.select(1, c),
                             (raw.inputs.select(1, c) - kMean10[c]) / kStd10[c], 1e-6, 1e-6));
  }
  // CIFAR-100's constants.
  TempDir d100;
  write_cifar100(d100.path());
  auto c100 = make_dataset("cifar100",
                           {{"dir", string_value(d100.path())}, {"validation_size", int_value(1)}});
  const at::Tensor m =
      c100->normalization()->apply(c100->samples(nas::Split::kTest, {0}).inputs, {0});
  const std::vector<double> mean = {0.5071, 0.4865, 0.4409}, sd = {0.2673, 0.2564, 0.2762};
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(m[0][c][0][0].item<float>(), (pixel(100, c, 0, 0) / 255.0 - mean[c]) / sd[c], 1e-5);
  }
}

TEST_F(Cifar10Files, ProbeBatchesAreSeededAndSampleTheWholeTrainingSet) {
  // validation_size 6 does not matter: the probe pool is all 20 training images.
  auto data = make({{"validation_size", int_value(6)}, {"normalize", false}});
  const nas::Batch a = data->batch(20, 3);
  EXPECT_EQ(a.inputs.sizes(), (std::vector<std::int64_t>{20, 3, 32, 32}));
  std::set<int> seen;
  for (int i = 0; i < 20; ++i) {
    const int g = image_of(a.inputs[i]);
    seen.insert(g);
    EXPECT_TRUE(at::equal(a.inputs[i], expected_image(g)));
    EXPECT_EQ(a.labels[i].item<std::int64_t>(), label10(g));
  }
  EXPECT_EQ(seen.size(), 20u);
  const nas::Batch b1 = data->batch(8, 42), b2 = data->batch(8, 42), b3 = data->batch(8, 43);
  EXPECT_TRUE(at::equal(b1.inputs, b2.inputs) && at::equal(b1.labels, b2.labels));
  EXPECT_FALSE(at::equal(b1.inputs, b3.inputs));
  // Another dataset object with another validation split gives the same probe batch.
  EXPECT_TRUE(at::equal(
      make({{"validation_size", int_value(0)}, {"normalize", false}})->batch(8, 42).inputs,
      b1.inputs));
  expect_error([&] { data->batch(21, 0); }, {"batch of 21", "20 images of the training set"});
  expect_error([&] { data->batch(7, 0, nas::Split::kValidation); },
               {"batch of 7", "validation split", "validation_size"});
  // Validation and test probe batches draw from those splits.
  const nas::Batch t = data->batch(3, 1, nas::Split::kTest);
  for (int i = 0; i < 3; ++i) {
    const std::int64_t label = t.labels[i].item<std::int64_t>();
    ASSERT_TRUE(label >= 5 && label <= 7) << label;
    EXPECT_TRUE(at::equal(t.inputs[i], expected_image(100 + static_cast<int>(label) - 5)));
  }
}

TEST_F(Cifar10Files, AugmentationDefaultsAndNames) {
  auto data = make();
  ASSERT_NE(data->augmentation(), nullptr);
  EXPECT_EQ(data->augmentation()->name(), "crop(4) > flip");
  EXPECT_EQ(make({{"cutout", int_value(16)}})->augmentation()->name(),
            "crop(4) > flip > cutout(16)");
  EXPECT_EQ(make({{"augment", list_value({})}})->augmentation(), nullptr);
  EXPECT_EQ(
      make({{"augment", list_value({"flip"})}, {"cutout", int_value(8)}})->augmentation()->name(),
      "flip > cutout(8)");
  try {
    make({{"augment", list_value({"cutout"})}});
    ADD_FAILURE() << "no error";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown augmentation 'cutout'"), std::string::npos)
        << e.what();
  }
}

// Cutout by hand: Rng(stage seed) draws the centre row then column; the clipped square
// [c - L/2, c - L/2 + L) is the channel mean before normalisation, exactly 0 after it, and
// nothing else changes.
TEST_F(Cifar10Files, CutoutFillsExactlyAClippedSquareThatNormalisesToZero) {
  const std::int64_t side = 5;
  auto data = make({{"validation_size", int_value(6)},
                    {"augment", list_value({})},
                    {"cutout", int_value(side)}});
  const at::Tensor x = data->samples(nas::Split::kTrain, {4}).inputs;
  int clipped = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    const at::Tensor out = data->augmentation()->apply(x, {seed});
    nas::Rng rng(nas::stage_seed(seed, 0));  // the only stage of the chain
    const std::int64_t cy = rng.below(32), cx = rng.below(32);
    const std::int64_t y0 = std::max<std::int64_t>(0, cy - 2),
                       y1 = std::min<std::int64_t>(32, cy + 3);
    const std::int64_t x0 = std::max<std::int64_t>(0, cx - 2),
                       x1 = std::min<std::int64_t>(32, cx + 3);
    if ((y1 - y0) * (x1 - x0) < side * side) ++clipped;
    at::Tensor expected = x.clone();
    for (int c = 0; c < 3; ++c) {
      for (std::int64_t r = y0; r < y1; ++r)
        for (std::int64_t col = x0; col < x1; ++col)
          expected[0][c][r][col] = static_cast<float>(kMean10[c]);
    }
    ASSERT_TRUE(at::equal(out, expected)) << "seed " << seed;
    const at::Tensor n = data->normalization()->apply(out, {seed});
    const at::Tensor square = n[0].narrow(1, y0, y1 - y0).narrow(2, x0, x1 - x0);
    ASSERT_EQ(square.abs().max().item<float>(), 0.0f) << "seed " << seed;
  }
  EXPECT_GT(clipped, 10);  // the border cases were exercised
  // Without normalisation the square is 0 itself.
  auto plain = make({{"normalize", false}, {"augment", list_value({})}, {"cutout", int_value(32)}});
  const at::Tensor z = plain->augmentation()->apply(x, {7});
  nas::Rng rng(nas::stage_seed(7, 0));
  const std::int64_t cy = rng.below(32), cx = rng.below(32);
  EXPECT_EQ(z[0].narrow(1, std::max<std::int64_t>(0, cy - 16),
                        std::min<std::int64_t>(32, cy + 16) - std::max<std::int64_t>(0, cy - 16))
                .narrow(2, std::max<std::int64_t>(0, cx - 16),
                        std::min<std::int64_t>(32, cx + 16) - std::max<std::int64_t>(0, cx - 16))
                .abs()
                .max()
                .item<float>(),
            0.0f);
}

// Through nas::EpochLoader: a train batch is normalise(augment(samples)) with the loader's
// per-sample seeds; validation is never augmented.
TEST_F(Cifar10Files, EpochLoaderAppliesAugmentationThenNormalisation) {
  auto data = make({{"validation_size", int_value(6)}, {"cutout", int_value(16)}});
  nas::LoaderOptions options;
  options.seed = 11;
  options.epoch.batch_size = 4;
  nas::EpochLoader loader(data, options);
  const std::vector<std::int64_t> idx = loader.indices(2, 1);
  std::vector<std::uint64_t> seeds;
  for (std::int64_t i : idx) seeds.push_back(nas::augment_seed(11, 2, i));
  const nas::Batch b = loader.batch(2, 1);
  const at::Tensor expected = data->normalization()->apply(
      data->augmentation()->apply(data->samples(nas::Split::kTrain, idx).inputs, seeds), seeds);
  EXPECT_TRUE(at::equal(b.inputs, expected));
  nas::LoaderOptions val = options;
  val.split = nas::Split::kValidation;
  nas::EpochLoader vloader(data, val);
  EXPECT_FALSE(vloader.augmenting());
}

TEST(Cifar100Files, FineLabelsByDefaultCoarseOnRequest) {
  TempDir dir;
  write_cifar100(dir.path());
  const Overrides base = {{"dir", string_value(dir.path())}, {"validation_size", int_value(2)}};
  auto fine_data = make_dataset("cifar100", base);
  EXPECT_EQ(fine_data->shape().num_classes, 100);
  EXPECT_EQ(fine_data->size(nas::Split::kTrain), 4);
  EXPECT_EQ(fine_data->size(nas::Split::kValidation), 2);
  EXPECT_EQ(fine_data->size(nas::Split::kTest), 2);
  Overrides c = base;
  c.push_back({"label", string_value("coarse")});
  auto coarse_data = make_dataset("cifar100", c);
  EXPECT_EQ(coarse_data->shape().num_classes, 20);
  const nas::Batch f = fine_data->samples(nas::Split::kTrain, {0, 1, 2, 3});
  const nas::Batch k = coarse_data->samples(nas::Split::kTrain, {0, 1, 2, 3});
  for (int g = 0; g < 4; ++g) {
    EXPECT_EQ(f.labels[g].item<std::int64_t>(), fine(g));
    EXPECT_EQ(k.labels[g].item<std::int64_t>(), coarse(g));
    EXPECT_TRUE(at::equal(f.inputs[g], expected_image(g)));  // pixels after both label bytes
  }
  const nas::Batch v = fine_data->samples(nas::Split::kValidation, {1});
  EXPECT_EQ(v.labels[0].item<std::int64_t>(), fine(5));
  EXPECT_TRUE(at::equal(v.inputs[0], expected_image(5)));
  const nas::Batch t = coarse_data->samples(nas::Split::kTest, {1});
  EXPECT_EQ(t.labels[0].item<std::int64_t>(), coarse(18));
  EXPECT_TRUE(at::equal(t.inputs[0], expected_image(101)));
  EXPECT_EQ(fine_data->augmentation()->name(), "crop(4) > flip");
}

// The folder the official archive unpacks to is found under `dir`.
TEST(CifarFolders, TheArchiveSubfolderIsFound) {
  TempDir dir;
  write_cifar10(fs::path(dir.path()) / "cifar-10-batches-bin");
  write_cifar100(fs::path(dir.path()) / "cifar-100-binary");
  auto c10 = make_dataset("cifar10", {{"dir", string_value(dir.path())}});
  EXPECT_EQ(c10->batch(20, 0).inputs.size(0), 20);
  auto c100 = make_dataset("cifar100", {{"dir", string_value(dir.path())}});
  EXPECT_EQ(c100->batch(6, 0).inputs.size(0), 6);
}

TEST(CifarErrors, EachNamesTheFile) {
  TempDir dir;
  const fs::path root = dir.path();
  auto c10 = [&](const fs::path& d) {
    return make_dataset("cifar10", {{"dir", string_value(d.string())}});
  };
  // A missing folder, and the URL to get the data from.
  expect_error([&] { c10(root / "nope")->batch(1, 0); },
               {(root / "nope").string(), "does not exist",
                "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"});
  // A missing file.
  write_cifar10(root / "a");
  fs::remove(root / "a" / "data_batch_3.bin");
  expect_error([&] { c10(root / "a")->batch(1, 0); },
               {"missing file", (root / "a" / "data_batch_3.bin").string(), "cifar-10-binary"});
  // A directory where a file should be.
  write_cifar10(root / "b");
  fs::remove(root / "b" / "test_batch.bin");
  fs::create_directories(root / "b" / "test_batch.bin");
  expect_error([&] { c10(root / "b")->batch(1, 0, nas::Split::kTest); },
               {(root / "b" / "test_batch.bin").string(), "is a directory"});
  // A truncated file: not a multiple of the 3073-byte record.
  write_cifar10(root / "c");
  fs::resize_file(root / "c" / "data_batch_2.bin", 4 * 3073 - 10);
  expect_error([&] { c10(root / "c")->batch(1, 0); },
               {(root / "c" / "data_batch_2.bin").string(), "12282 bytes", "3073-byte"});
  // A label out of range, with its record.
  write_cifar10(root / "d");
  {
    std::vector<unsigned char> bytes;
    for (int k = 0; k < 4; ++k) put_record(bytes, {k == 1 ? 10 : 0}, k);
    write_bytes(root / "d" / "data_batch_4.bin", bytes);
  }
  expect_error([&] { c10(root / "d")->batch(1, 0); }, {(root / "d" / "data_batch_4.bin").string(),
                                                       "label 10 of record 1", "outside [0, 10)"});
  // CIFAR-100: a fine label of 100, a coarse label of 20, a truncated file.
  auto c100 = [&](const fs::path& d) {
    return make_dataset("cifar100", {{"dir", string_value(d.string())}});
  };
  fs::create_directories(root / "e");
  {
    std::vector<unsigned char> train;
    put_record(train, {0, 0}, 0);
    put_record(train, {0, 0}, 1);
    put_record(train, {3, 100}, 2);
    write_bytes(root / "e" / "train.bin", train);
  }
  expect_error(
      [&] { c100(root / "e")->batch(1, 0); },
      {(root / "e" / "train.bin").string(), "fine label 100 of record 2", "outside [0, 100)"});
  {
    std::vector<unsigned char> train;
    put_record(train, {20, 5}, 0);
    write_bytes(root / "e" / "train.bin", train);
  }
  expect_error([&] { c100(root / "e")->batch(1, 0); },
               {"coarse label 20 of record 0", "outside [0, 20)"});
  write_cifar100(root / "f");
  fs::resize_file(root / "f" / "test.bin", 3074 + 5);
  expect_error([&] { c100(root / "f")->batch(1, 0, nas::Split::kTest); },
               {(root / "f" / "test.bin").string(), "3074-byte"});
  expect_error([&] { c100(root / "nope")->batch(1, 0); }, {"cifar-100-binary.tar.gz"});
}

// The whole pipeline: two NB201 cells scored with params and synflow on the tiny files.
TEST(CifarPipeline, ScoresNb201CellsThroughTheCli) {
  TempDir t;
  write_cifar10(t.file("data"));
  const std::string out = t.file("run");
  auto path = t.write("p.yaml", "run: {name: cifar, out_dir: '" + out +
                                    "', seed: 1}\n"
                                    "data: {type: cifar10, batch_size: 8, params: {dir: '" +
                                    t.file("data") +
                                    "'}}\n"
                                    "search_space: {type: nb201}\n"
                                    "proxies: [params, synflow]\n"
                                    "score: {archs: sample, count: 2}\n");
  auto r = nas::test::nas_run(path);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string scores = nas::test::read_file(out + "/scores.csv");
  EXPECT_NE(scores.find("synflow"), std::string::npos) << scores;
  EXPECT_EQ(scores.find(",error,"), std::string::npos) << scores;
  const std::string resolved = nas::test::read_file(out + "/config.resolved.yaml");
  EXPECT_NE(resolved.find("cifar10"), std::string::npos) << resolved;
}

}  // namespace
