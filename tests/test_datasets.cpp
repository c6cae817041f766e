// Dataset plugins `synthetic` and `fashion_mnist`, loaded the way a pipeline loads them.
//
// Independent facts used here:
// * synthetic: numbers printed by Python's torch 1.13 (python3-torch) for the same generator;
// * synthetic's indexed samples: tests/oracle/data_order.py (plain Python, no torch);
// * fashion_mnist: small IDX files written by this test with known pixels, and facts about
//   Debian's Fashion-MNIST files read with numpy (first train label 9 = ankle boot, its pixel
//   sum, row 14; first test label 9; train pixel mean 0.28604 and std 0.35302; labels and
//   pixel sums around the train/validation boundary).
// The real-data tests skip when the Debian package is not installed.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
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

namespace {

namespace fs = std::filesystem;
using Overrides = std::vector<std::pair<std::string, nas::ParamValue>>;

std::shared_ptr<nas::Dataset> make_dataset(const std::string& name, const Overrides& overrides) {
  const auto& reports = nas::load_plugins();
  const nas::Component<nas::Dataset>* component = nas::Registry::global().datasets.find(name);
  if (!component) {
    std::string why;
    for (const auto& r : reports) why += "\n  " + r.file + ": " + (r.loaded ? "ok" : r.error);
    ADD_FAILURE() << "dataset '" << name << "' not registered; plugin reports:" << why;
    throw nas::Error("dataset not registered: " + name);
  }
  nas::Params params = nas::Params::defaults(component->schema, name);
  for (const auto& [key, value] : overrides) params.set(key, value);
  return component->create(params);
}

nas::ParamValue int_value(std::int64_t v) { return nas::ParamValue(v); }
nas::ParamValue string_value(const std::string& v) { return nas::ParamValue(v); }

bool same(const nas::Batch& a, const nas::Batch& b) {
  return at::equal(a.inputs, b.inputs) && at::equal(a.labels, b.labels);
}

// ---------------------------------------------------------------------------------------------
// synthetic

TEST(SyntheticDataset, ShapeTypesAndLabelRange) {
  auto data = make_dataset("synthetic", {});
  const nas::DataShape shape = data->shape();
  EXPECT_EQ(shape.channels, 3);
  EXPECT_EQ(shape.size, 32);
  EXPECT_EQ(shape.num_classes, 10);
  const nas::Batch b = data->batch(50, 1);
  EXPECT_EQ(b.inputs.sizes(), (std::vector<std::int64_t>{50, 3, 32, 32}));
  EXPECT_EQ(b.inputs.scalar_type(), at::kFloat);
  EXPECT_EQ(b.labels.sizes(), (std::vector<std::int64_t>{50}));
  EXPECT_EQ(b.labels.scalar_type(), at::kLong);
  EXPECT_GE(b.labels.min().item<std::int64_t>(), 0);
  EXPECT_LT(b.labels.max().item<std::int64_t>(), 10);
  // 153600 standard normal draws: mean within 5 standard errors of 0, std close to 1.
  EXPECT_NEAR(b.inputs.mean().item<double>(), 0.0, 5.0 / std::sqrt(153600.0));
  EXPECT_NEAR(b.inputs.std().item<double>(), 1.0, 0.01);
}

TEST(SyntheticDataset, SeedDecidesEverything) {
  auto data = make_dataset("synthetic", {{"size", int_value(8)}});
  EXPECT_TRUE(same(data->batch(16, 5), data->batch(16, 5)));
  EXPECT_FALSE(same(data->batch(16, 5), data->batch(16, 6)));
  EXPECT_FALSE(same(data->batch(16, 5, nas::Split::kTrain), data->batch(16, 5, nas::Split::kTest)));
  // Torch's generator keeps 32 bits of a seed; seeds that differ only above bit 32 must still
  // give different batches.
  const std::uint64_t low = 12345;
  EXPECT_FALSE(same(data->batch(16, low), data->batch(16, low + (std::uint64_t{1} << 32))));
}

TEST(SyntheticDataset, MatchesPythonTorchGenerator) {
  // /usr/bin/python3 -c 'import torch; g=torch.Generator().manual_seed(42);
  //   x=torch.randn(2,3,4,4,generator=g); y=torch.randint(0,10,(2,),generator=g);
  //   print(x.flatten()[:4].tolist(), x.flatten()[-1].item(), x.sum().item(), y.tolist())'
  // -> [1.9269152879714966, 1.4872840642929077, 0.9007171988487244, -2.1055209636688232]
  //    0.48353928327560425 4.411556243896484 [1, 9]
  auto data = make_dataset("synthetic", {{"size", int_value(4)}});
  const nas::Batch b = data->batch(2, 42);
  const at::Tensor flat = b.inputs.flatten();
  EXPECT_FLOAT_EQ(flat[0].item<float>(), 1.9269152879714966f);
  EXPECT_FLOAT_EQ(flat[1].item<float>(), 1.4872840642929077f);
  EXPECT_FLOAT_EQ(flat[2].item<float>(), 0.9007171988487244f);
  EXPECT_FLOAT_EQ(flat[3].item<float>(), -2.1055209636688232f);
  EXPECT_FLOAT_EQ(flat[95].item<float>(), 0.48353928327560425f);
  EXPECT_NEAR(b.inputs.sum().item<double>(), 4.411556243896484, 1e-4);
  EXPECT_EQ(b.labels[0].item<std::int64_t>(), 1);
  EXPECT_EQ(b.labels[1].item<std::int64_t>(), 9);

  // Same with seed 7, randn(5,1,2,2) and randint(0,3,(5,)): sum -8.318644523620605,
  // labels [0, 2, 2, 2, 1].
  auto small = make_dataset(
      "synthetic",
      {{"channels", int_value(1)}, {"size", int_value(2)}, {"num_classes", int_value(3)}});
  const nas::Batch c = small->batch(5, 7);
  EXPECT_FLOAT_EQ(c.inputs.flatten()[0].item<float>(), -0.8201345205307007f);
  EXPECT_NEAR(c.inputs.sum().item<double>(), -8.318644523620605, 1e-5);
  EXPECT_TRUE(at::equal(c.labels, at::tensor(std::vector<std::int64_t>{0, 2, 2, 2, 1})));
}

TEST(SyntheticDataset, LeavesTheGlobalGeneratorAlone) {
  auto data = make_dataset("synthetic", {{"size", int_value(4)}});
  at::manual_seed(99);
  const at::Tensor expected = at::randn({8});
  at::manual_seed(99);
  data->batch(4, 1);
  EXPECT_TRUE(at::equal(at::randn({8}), expected));
}

TEST(SyntheticDataset, SameBatchFromManyThreads) {
  auto data = make_dataset("synthetic", {});
  const nas::Batch reference = data->batch(8, 77);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (!same(data->batch(8, 77), reference)) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(SyntheticDataset, RejectsBadParams) {
  EXPECT_THROW(make_dataset("synthetic", {{"channels", int_value(0)}}), nas::UsageError);
  EXPECT_THROW(make_dataset("synthetic", {{"num_classes", int_value(0)}}), nas::UsageError);
  auto data = make_dataset("synthetic", {});
  EXPECT_THROW(data->batch(0, 1), nas::Error);
}

TEST(SyntheticDataset, SplitsHaveSizes) {
  auto data = make_dataset("synthetic", {});
  EXPECT_EQ(data->size(nas::Split::kTrain), 50000);
  EXPECT_EQ(data->size(nas::Split::kValidation), 10000);
  EXPECT_EQ(data->size(nas::Split::kTest), 10000);
  auto custom = make_dataset("synthetic", {{"train_size", int_value(7)},
                                           {"validation_size", int_value(0)},
                                           {"test_size", int_value(3)}});
  EXPECT_EQ(custom->size(nas::Split::kTrain), 7);
  EXPECT_EQ(custom->size(nas::Split::kValidation), 0);
  EXPECT_EQ(custom->size(nas::Split::kTest), 3);
  EXPECT_THROW(make_dataset("synthetic", {{"train_size", int_value(-1)}}), nas::UsageError);
  EXPECT_THROW(make_dataset("synthetic", {{"test_size", int_value(2000000000)}}), nas::UsageError);
}

TEST(SyntheticDataset, IndexedSamplesMatchThePythonOracle) {
  // tests/oracle/data_order.py: Box–Muller from nas::Rng(mix64(hash_string(split) ^ index)).
  auto data = make_dataset("synthetic", {{"channels", int_value(2)}, {"size", int_value(2)}});
  const nas::Batch b = data->samples(nas::Split::kTrain, {0, 3});
  ASSERT_EQ(b.inputs.sizes(), (std::vector<std::int64_t>{2, 2, 2, 2}));
  const std::vector<float> train0{-1.0728296041488647f,  0.17033472657203674f, 1.2769246101379395f,
                                  -0.46565982699394226f, 0.9594385623931885f,  0.15157872438430786f,
                                  1.2382665872573853f,   -0.34386780858039856f};
  const std::vector<float> train3{
      -0.05944020301103592f, -1.5183229446411133f, -0.12476900964975357f, 1.0959913730621338f,
      0.0683460608124733f,   -0.8343125581741333f, -0.15178054571151733f, -1.6031441688537598f};
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_FLOAT_EQ(b.inputs[0].flatten()[static_cast<std::int64_t>(i)].item<float>(), train0[i]);
    EXPECT_FLOAT_EQ(b.inputs[1].flatten()[static_cast<std::int64_t>(i)].item<float>(), train3[i]);
  }
  EXPECT_TRUE(at::equal(b.labels, at::tensor(std::vector<std::int64_t>{2, 2})));
  const nas::Batch v = data->samples(nas::Split::kValidation, {0});
  EXPECT_FLOAT_EQ(v.inputs.flatten()[0].item<float>(), -0.2239150106906891f);
  EXPECT_FLOAT_EQ(v.inputs.flatten()[7].item<float>(), -0.14497117698192596f);
  EXPECT_EQ(v.labels[0].item<std::int64_t>(), 9);
  const nas::Batch t = data->samples(nas::Split::kTest, {5});
  EXPECT_FLOAT_EQ(t.inputs.flatten()[5].item<float>(), -1.7525358200073242f);
  EXPECT_EQ(t.labels[0].item<std::int64_t>(), 0);
}

TEST(SyntheticDataset, AnIndexedSampleDependsOnItsIndexAlone) {
  auto data = make_dataset("synthetic", {{"size", int_value(6)}, {"test_size", int_value(4)}});
  const nas::Batch b = data->samples(nas::Split::kTrain, {3, 0, 3});
  const nas::Batch three = data->samples(nas::Split::kTrain, {3});
  const nas::Batch zero = data->samples(nas::Split::kTrain, {0});
  EXPECT_TRUE(at::equal(b.inputs[0], three.inputs[0]));
  EXPECT_TRUE(at::equal(b.inputs[2], three.inputs[0]));
  EXPECT_TRUE(at::equal(b.inputs[1], zero.inputs[0]));
  EXPECT_EQ(b.labels[0].item<std::int64_t>(), three.labels[0].item<std::int64_t>());
  EXPECT_FALSE(at::equal(zero.inputs, data->samples(nas::Split::kValidation, {0}).inputs));
  EXPECT_FALSE(at::equal(zero.inputs, data->samples(nas::Split::kTest, {0}).inputs));
  try {
    data->samples(nas::Split::kTest, {4});
    ADD_FAILURE() << "no error";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("test_size"), std::string::npos) << e.what();
  }
  EXPECT_THROW(data->samples(nas::Split::kTrain, {-1}), nas::Error);
  // Probe batches of the three splits differ under one seed, and are reproducible.
  const nas::Batch val = data->batch(4, 9, nas::Split::kValidation);
  EXPECT_TRUE(same(val, data->batch(4, 9, nas::Split::kValidation)));
  EXPECT_FALSE(same(val, data->batch(4, 9, nas::Split::kTrain)));
  EXPECT_FALSE(same(val, data->batch(4, 9, nas::Split::kTest)));
}

TEST(Splits, NamesRoundTripAndBadNamesAreListed) {
  for (nas::Split s : {nas::Split::kTrain, nas::Split::kValidation, nas::Split::kTest})
    EXPECT_EQ(nas::parse_split(nas::to_string(s), "x"), s);
  EXPECT_STREQ(nas::to_string(nas::Split::kValidation), "validation");
  try {
    nas::parse_split("val", "train.split");
    ADD_FAILURE() << "no error";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("train.split"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("train, validation, test"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// fashion_mnist on small IDX files written here

void put_be32(std::vector<unsigned char>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<unsigned char>(v >> shift));
}

void write_bytes(const fs::path& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Pixel (r, c) of test image i: distinct per image and position, and never 0 in the corner,
// so a padded border is told apart from image content.
std::uint8_t pattern(int image, int r, int c) {
  return static_cast<std::uint8_t>(1 + image * 40 + r + 3 * c);
}

std::vector<unsigned char> images_file(int count_in_header, int count_written,
                                       std::uint32_t magic = 0x00000803) {
  std::vector<unsigned char> out;
  put_be32(out, magic);
  put_be32(out, count_in_header);
  put_be32(out, 28);
  put_be32(out, 28);
  for (int i = 0; i < count_written; ++i)
    for (int r = 0; r < 28; ++r)
      for (int c = 0; c < 28; ++c) out.push_back(pattern(i, r, c));
  return out;
}

std::vector<unsigned char> labels_file(const std::vector<int>& labels,
                                       std::uint32_t magic = 0x00000801) {
  std::vector<unsigned char> out;
  put_be32(out, magic);
  put_be32(out, static_cast<std::uint32_t>(labels.size()));
  for (int l : labels) out.push_back(static_cast<unsigned char>(l));
  return out;
}

// A fresh folder holding a valid 5-image train split (image i has label i) and test split.
class IdxFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("nas_test_idx_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_);
    write_bytes(dir_ / "train-images-idx3-ubyte", images_file(5, 5));
    write_bytes(dir_ / "train-labels-idx1-ubyte", labels_file({0, 1, 2, 3, 4}));
    write_bytes(dir_ / "t10k-images-idx3-ubyte", images_file(2, 2));
    write_bytes(dir_ / "t10k-labels-idx1-ubyte", labels_file({0, 1}));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::shared_ptr<nas::Dataset> make(Overrides overrides = {}) {
    overrides.insert(overrides.begin(), {"dir", string_value(dir_.string())});
    return make_dataset("fashion_mnist", overrides);
  }
  // Expects batch() to throw nas::Error whose message contains every one of `needles`.
  void expect_error(const std::vector<std::string>& needles,
                    nas::Split split = nas::Split::kTrain) {
    auto data = make();
    for (int attempt = 0; attempt < 2; ++attempt) {  // a failed load is retried, not cached
      try {
        data->batch(1, 0, split);
        ADD_FAILURE() << "no error";
      } catch (const nas::Error& e) {
        for (const auto& needle : needles) {
          EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
              << "message: " << e.what() << "\nlacks: " << needle;
        }
      }
    }
  }
  // The image a test file holds for `label`, as floats in [0, 1] shaped (1, 28, 28).
  static at::Tensor expected_image(int label) {
    at::Tensor img = at::empty({1, 28, 28}, at::kFloat);
    auto pixel = img.accessor<float, 3>();
    for (int r = 0; r < 28; ++r)
      for (int c = 0; c < 28; ++c) pixel[0][r][c] = pattern(label, r, c) / 255.0f;
    return img;
  }
  fs::path dir_;
};

TEST_F(IdxFolder, ReadsPixelsAndLabelsExactly) {
  auto data = make({{"normalize", false}});
  EXPECT_EQ(data->shape().size, 28);
  EXPECT_EQ(data->shape().channels, 1);
  const nas::Batch b = data->batch(5, 3);
  EXPECT_EQ(b.inputs.sizes(), (std::vector<std::int64_t>{5, 1, 28, 28}));
  EXPECT_EQ(b.inputs.scalar_type(), at::kFloat);
  EXPECT_EQ(b.labels.scalar_type(), at::kLong);
  std::set<std::int64_t> seen;
  for (int j = 0; j < 5; ++j) {
    const std::int64_t label = b.labels[j].item<std::int64_t>();
    seen.insert(label);
    EXPECT_TRUE(at::allclose(b.inputs[j], expected_image(static_cast<int>(label)), 0, 1e-7))
        << "image " << j << " label " << label;
  }
  EXPECT_EQ(seen, (std::set<std::int64_t>{0, 1, 2, 3, 4}));  // drawn without replacement
  const nas::Batch t = data->batch(2, 3, nas::Split::kTest);
  EXPECT_EQ(t.labels.sizes(), (std::vector<std::int64_t>{2}));
}

TEST_F(IdxFolder, SeedDecidesTheSample) {
  auto data = make();
  EXPECT_TRUE(same(data->batch(3, 11), data->batch(3, 11)));
  // With 5 images, some pair of seeds among a few must choose differently.
  bool differs = false;
  for (std::uint64_t s = 12; s < 20 && !differs; ++s)
    differs = !same(data->batch(3, 11), data->batch(3, s));
  EXPECT_TRUE(differs);
  EXPECT_THROW(data->batch(6, 0), nas::Error);  // more than the split holds
  EXPECT_THROW(data->batch(0, 0), nas::Error);
}

TEST_F(IdxFolder, MaxImagesKeepsTheFirstImages) {
  auto data = make({{"max_images", int_value(3)}});
  const nas::Batch b = data->batch(3, 8);
  std::set<std::int64_t> seen;
  for (int j = 0; j < 3; ++j) seen.insert(b.labels[j].item<std::int64_t>());
  EXPECT_EQ(seen, (std::set<std::int64_t>{0, 1, 2}));
  EXPECT_THROW(data->batch(4, 8), nas::Error);
}

TEST_F(IdxFolder, NormalisesWithFashionMnistStatistics) {
  auto raw = make({{"normalize", false}});
  auto normalised = make();
  const nas::Batch a = raw->batch(4, 21);
  const nas::Batch b = normalised->batch(4, 21);
  EXPECT_TRUE(at::equal(a.labels, b.labels));
  EXPECT_TRUE(at::allclose(b.inputs, (a.inputs - 0.2860) / 0.3530, 1e-6, 1e-6));
}

TEST_F(IdxFolder, PadModePutsABlackBorderAround) {
  auto data = make({{"resize", int_value(32)}, {"normalize", false}, {"channels", int_value(3)}});
  EXPECT_EQ(data->shape().size, 32);
  EXPECT_EQ(data->shape().channels, 3);
  const nas::Batch b = data->batch(5, 4);
  ASSERT_EQ(b.inputs.sizes(), (std::vector<std::int64_t>{5, 3, 32, 32}));
  at::Tensor border_mask = at::ones({32, 32}, at::kBool);
  border_mask.slice(0, 2, 30).slice(1, 2, 30).fill_(false);
  EXPECT_EQ(b.inputs.masked_select(border_mask).abs().max().item<float>(), 0.0f);
  for (int j = 0; j < 5; ++j) {
    const int label = static_cast<int>(b.labels[j].item<std::int64_t>());
    for (int ch = 0; ch < 3; ++ch) {  // every channel repeats the grey image
      EXPECT_TRUE(at::allclose(b.inputs[j][ch].slice(0, 2, 30).slice(1, 2, 30),
                               expected_image(label)[0], 0, 1e-7));
    }
  }
  // Normalised, the border is a normalised black pixel: (0 - 0.2860) / 0.3530.
  auto normalised = make({{"resize", int_value(32)}});
  const at::Tensor x = normalised->batch(2, 4).inputs;
  EXPECT_NEAR(x[0][0][0][0].item<float>(), -0.2860 / 0.3530, 1e-6);
  EXPECT_NEAR(x[1][0][31][17].item<float>(), -0.2860 / 0.3530, 1e-6);
}

TEST_F(IdxFolder, BilinearModeResizes) {
  auto data = make(
      {{"resize", int_value(32)}, {"resize_mode", string_value("bilinear")}, {"normalize", false}});
  const nas::Batch b = data->batch(5, 4);
  ASSERT_EQ(b.inputs.sizes(), (std::vector<std::int64_t>{5, 1, 32, 32}));
  for (int j = 0; j < 5; ++j) {
    const int label = static_cast<int>(b.labels[j].item<std::int64_t>());
    const at::Tensor original = expected_image(label);
    // Interpolation stays within the original's range and keeps its mean roughly.
    EXPECT_GE(b.inputs[j].min().item<float>(), original.min().item<float>() - 1e-6f);
    EXPECT_LE(b.inputs[j].max().item<float>(), original.max().item<float>() + 1e-6f);
    EXPECT_NEAR(b.inputs[j].mean().item<float>(), original.mean().item<float>(), 0.01);
    // Corners map to corners (align_corners = false clamps the first sample to pixel 0).
    EXPECT_NEAR(b.inputs[j][0][0][0].item<float>(), original[0][0][0].item<float>(), 1e-6);
  }
}

TEST_F(IdxFolder, RejectsBadParams) {
  EXPECT_THROW(make({{"channels", int_value(2)}}), nas::UsageError);
  EXPECT_THROW(make({{"resize", int_value(31)}}), nas::UsageError);  // odd padding
  EXPECT_THROW(make({{"resize", int_value(20)}}), nas::UsageError);  // padding cannot shrink
  EXPECT_NO_THROW(make({{"resize", int_value(20)}, {"resize_mode", string_value("bilinear")}}));
  EXPECT_THROW(make({{"resize_mode", string_value("nearest")}}), nas::UsageError);
  EXPECT_THROW(make({{"max_images", int_value(-1)}}), nas::UsageError);
}

TEST_F(IdxFolder, ValidationIsTheTailOfTheTrainingFile) {
  // 5 training images (image i has label i); the last 2 are the validation split.
  auto data = make({{"validation_size", int_value(2)}, {"normalize", false}});
  EXPECT_EQ(data->size(nas::Split::kTrain), 3);
  EXPECT_EQ(data->size(nas::Split::kValidation), 2);
  EXPECT_EQ(data->size(nas::Split::kTest), 2);
  const nas::Batch v = data->samples(nas::Split::kValidation, {1, 0});
  EXPECT_TRUE(at::equal(v.labels, at::tensor(std::vector<std::int64_t>{4, 3})));
  EXPECT_TRUE(at::allclose(v.inputs[0], expected_image(4), 0, 1e-7));
  EXPECT_TRUE(at::allclose(v.inputs[1], expected_image(3), 0, 1e-7));
  const nas::Batch t = data->samples(nas::Split::kTrain, {2, 0, 2});
  EXPECT_TRUE(at::equal(t.labels, at::tensor(std::vector<std::int64_t>{2, 0, 2})));
  EXPECT_TRUE(at::allclose(t.inputs[0], expected_image(2), 0, 1e-7));
  const nas::Batch test = data->samples(nas::Split::kTest, {1});
  EXPECT_EQ(test.labels[0].item<std::int64_t>(), 1);
  EXPECT_THROW(data->samples(nas::Split::kTrain, {3}), nas::Error);  // a validation image
  EXPECT_THROW(data->samples(nas::Split::kValidation, {2}), nas::Error);
  EXPECT_THROW(data->samples(nas::Split::kTest, {-1}), nas::Error);
  // A validation probe batch draws from the validation images only.
  const nas::Batch vb = data->batch(2, 17, nas::Split::kValidation);
  std::set<std::int64_t> seen;
  for (int j = 0; j < 2; ++j) seen.insert(vb.labels[j].item<std::int64_t>());
  EXPECT_EQ(seen, (std::set<std::int64_t>{3, 4}));
  EXPECT_THROW(data->batch(3, 17, nas::Split::kValidation), nas::Error);
}

TEST_F(IdxFolder, ProbeBatchesIgnoreTheValidationSplit) {
  // Probe batches of kTrain sample the whole training file, whatever validation_size says.
  auto none = make({{"validation_size", int_value(0)}});
  auto two = make({{"validation_size", int_value(2)}});
  auto deflt = make();  // 10000: too many for this file, but probe batches do not care
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    EXPECT_TRUE(same(none->batch(5, seed), two->batch(5, seed)));
    EXPECT_TRUE(same(none->batch(5, seed), deflt->batch(5, seed)));
  }
  EXPECT_EQ(none->size(nas::Split::kValidation), 0);
  EXPECT_EQ(none->size(nas::Split::kTrain), 5);
  try {
    none->batch(1, 0, nas::Split::kValidation);
    ADD_FAILURE() << "no error";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("validation_size"), std::string::npos) << e.what();
  }
}

TEST_F(IdxFolder, ValidationSizeBeyondTheFileIsRefusedWithItsRange) {
  auto data = make();  // default validation_size 10000 > 5 images
  for (nas::Split split : {nas::Split::kTrain, nas::Split::kValidation}) {
    try {
      data->size(split);
      ADD_FAILURE() << "no error";
    } catch (const nas::UsageError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("validation_size 10000"), std::string::npos) << what;
      EXPECT_NE(what.find("[0, 4]"), std::string::npos) << what;
    }
  }
  EXPECT_EQ(data->size(nas::Split::kTest), 2);  // the test file is another matter
  EXPECT_THROW(make({{"validation_size", int_value(5)}})->size(nas::Split::kTrain),
               nas::UsageError);
  EXPECT_EQ(make({{"validation_size", int_value(4)}})->size(nas::Split::kTrain), 1);
  EXPECT_THROW(make({{"validation_size", int_value(-1)}}), nas::UsageError);
  // max_images cuts the file first; the validation split is the tail of what is kept.
  auto cut = make({{"max_images", int_value(4)}, {"validation_size", int_value(1)}});
  EXPECT_EQ(cut->size(nas::Split::kTrain), 3);
  EXPECT_EQ(cut->samples(nas::Split::kValidation, {0}).labels[0].item<std::int64_t>(), 3);
}

TEST_F(IdxFolder, SamplesComeBeforeNormalisation) {
  // samples() are pixels in [0, 1], resized and with channels repeated, but never normalised.
  auto data = make(
      {{"resize", int_value(32)}, {"channels", int_value(3)}, {"validation_size", int_value(1)}});
  const nas::Batch s = data->samples(nas::Split::kTrain, {1});
  ASSERT_EQ(s.inputs.sizes(), (std::vector<std::int64_t>{1, 3, 32, 32}));
  for (int ch = 0; ch < 3; ++ch) {
    EXPECT_TRUE(at::allclose(s.inputs[0][ch].slice(0, 2, 30).slice(1, 2, 30), expected_image(1)[0],
                             0, 1e-7));
  }
  EXPECT_EQ(s.inputs[0][0][0][0].item<float>(), 0.0f);  // black border, not -mean/std
}

nas::LoaderOptions in_file_order(std::int64_t batch) {
  nas::LoaderOptions o;
  o.epoch.batch_size = batch;
  o.epoch.shuffle = false;
  return o;
}

TEST_F(IdxFolder, LoaderImagesAreProbeBatchImages) {
  // Unshuffled, unaugmented, the loader reads images 0..4 (label i); each must be bit for bit
  // the image a probe batch holds for that label (same conversion, same normalisation).
  for (const Overrides& shape :
       {Overrides{}, Overrides{{"resize", int_value(32)}, {"channels", int_value(3)}}}) {
    Overrides o = shape;
    o.push_back({"validation_size", int_value(0)});
    auto data = make(o);
    const nas::EpochLoader loader(data, in_file_order(5));
    const nas::Batch got = loader.batch(0, 0);
    EXPECT_TRUE(at::equal(got.labels, at::arange(5, at::kLong)));
    const nas::Batch probe = data->batch(5, 3);
    for (int j = 0; j < 5; ++j) {
      const std::int64_t label = probe.labels[j].item<std::int64_t>();
      EXPECT_TRUE(at::equal(probe.inputs[j], got.inputs[label])) << "label " << label;
    }
  }
}

TEST_F(IdxFolder, AugmentedLoaderCropsAndFlipsTheImages) {
  auto data = make({{"augment", nas::ParamValue(std::vector<std::string>{"crop", "flip"})},
                    {"normalize", false},
                    {"validation_size", int_value(0)}});
  const nas::EpochLoader loader(data, in_file_order(5));
  ASSERT_TRUE(loader.augmenting());
  int unchanged = 0;
  for (std::uint64_t epoch = 0; epoch < 3; ++epoch) {
    const nas::Batch got = loader.batch(epoch, 0);
    for (int i = 0; i < 5; ++i) {
      // Every crop of the image padded by 2 (default crop_padding), flipped or not.
      const at::Tensor padded = at::constant_pad_nd(expected_image(i), {2, 2, 2, 2}, 0.0);
      bool found = false;
      for (int dy = 0; dy <= 4 && !found; ++dy)
        for (int dx = 0; dx <= 4 && !found; ++dx) {
          const at::Tensor crop = padded.narrow(1, dy, 28).narrow(2, dx, 28);
          found = at::equal(got.inputs[i], crop) || at::equal(got.inputs[i], at::flip(crop, {2}));
        }
      EXPECT_TRUE(found) << "epoch " << epoch << " image " << i;
      unchanged += at::equal(got.inputs[i], expected_image(i));
    }
  }
  EXPECT_LT(unchanged, 5);  // 1 chance in 50 each
  EXPECT_THROW(make({{"augment", nas::ParamValue(std::vector<std::string>{"rotate"})}}),
               nas::UsageError);
  EXPECT_THROW(make({{"augment", nas::ParamValue(std::vector<std::string>{"crop"})},
                     {"crop_padding", int_value(29)}}),
               nas::UsageError);
}

TEST_F(IdxFolder, MissingFileIsNamedAndLoadIsLazy) {
  fs::remove(dir_ / "train-images-idx3-ubyte");
  auto data = make();                 // construction reads nothing ...
  EXPECT_EQ(data->shape().size, 28);  // ... and the shape is known anyway
  expect_error({(dir_ / "train-images-idx3-ubyte").string(), "missing"});
  EXPECT_NO_THROW(data->batch(2, 0, nas::Split::kTest));  // the other split is unaffected
}

TEST_F(IdxFolder, WrongMagicNumberIsNamed) {
  write_bytes(dir_ / "train-images-idx3-ubyte", images_file(5, 5, 0x00000802));
  expect_error({(dir_ / "train-images-idx3-ubyte").string(), "magic", "0x00000802"});
  write_bytes(dir_ / "train-images-idx3-ubyte", images_file(5, 5));
  write_bytes(dir_ / "train-labels-idx1-ubyte", labels_file({0, 1, 2, 3, 4}, 0x00000803));
  expect_error({(dir_ / "train-labels-idx1-ubyte").string(), "magic"});
}

TEST_F(IdxFolder, TruncatedFileIsNamed) {
  std::vector<unsigned char> images = images_file(5, 5);
  images.resize(images.size() - 100);  // the last image is cut short
  write_bytes(dir_ / "train-images-idx3-ubyte", images);
  expect_error({(dir_ / "train-images-idx3-ubyte").string(), "truncated"});
  // A header cut short.
  write_bytes(dir_ / "train-images-idx3-ubyte", images_file(5, 5));
  write_bytes(dir_ / "train-labels-idx1-ubyte", {0, 0, 8, 1, 0});
  expect_error({(dir_ / "train-labels-idx1-ubyte").string(), "truncated"});
}

TEST_F(IdxFolder, CountMismatchNamesBothFiles) {
  write_bytes(dir_ / "t10k-labels-idx1-ubyte", labels_file({0, 1, 2}));
  expect_error({(dir_ / "t10k-images-idx3-ubyte").string(),
                (dir_ / "t10k-labels-idx1-ubyte").string(), "2 images", "3 labels"},
               nas::Split::kTest);
}

TEST_F(IdxFolder, LabelOutOfRangeIsNamed) {
  write_bytes(dir_ / "train-labels-idx1-ubyte", labels_file({0, 1, 10, 3, 4}));
  expect_error({(dir_ / "train-labels-idx1-ubyte").string(), "label 10"});
}

TEST_F(IdxFolder, FirstBatchFromManyThreadsLoadsOnce) {
  auto data = make();
  std::vector<nas::Batch> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { results[t] = data->batch(5, 123); });
  for (auto& t : threads) t.join();
  for (int t = 1; t < 4; ++t) EXPECT_TRUE(same(results[t], results[0]));
}

// ---------------------------------------------------------------------------------------------
// fashion_mnist on Debian's real files

std::string real_dir() {
  const char* env = std::getenv("NAS_FASHION_MNIST_DIR");
  return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

bool have_real_data() {
  const std::string dir = real_dir();
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    if (!fs::exists(dir + "/" + name) && !fs::exists(dir + "/" + name + ".gz")) return false;
  }
  return true;
}

#define SKIP_WITHOUT_REAL_DATA()                              \
  if (!have_real_data())                                      \
  GTEST_SKIP() << "Fashion-MNIST not found in " << real_dir() \
               << " (apt-get install dataset-fashion-mnist or set NAS_FASHION_MNIST_DIR)"

TEST(FashionMnistRealData, FirstImagesMatchTheFile) {
  SKIP_WITHOUT_REAL_DATA();
  // numpy on train-images-idx3-ubyte.gz: image 0 has label 9 (ankle boot), pixel sum 76247,
  // and row 14 as below; t10k image 0 has label 9 and pixel sum 33456.
  auto data = make_dataset("fashion_mnist", {{"max_images", int_value(1)}, {"normalize", false}});
  const nas::Batch train = data->batch(1, 0);
  EXPECT_EQ(train.labels[0].item<std::int64_t>(), 9);
  const at::Tensor pixels = (train.inputs[0][0] * 255).round().to(at::kLong);
  EXPECT_EQ(pixels.sum().item<std::int64_t>(), 76247);
  const std::vector<std::int64_t> row14{0,   0,   1,   4,   6,   7,   2,   0,   0,   0,
                                        0,   0,   237, 226, 217, 223, 222, 219, 222, 221,
                                        216, 223, 229, 215, 218, 255, 77,  0};
  EXPECT_TRUE(at::equal(pixels[14], at::tensor(row14)));
  const nas::Batch test = data->batch(1, 0, nas::Split::kTest);
  EXPECT_EQ(test.labels[0].item<std::int64_t>(), 9);
  EXPECT_EQ((test.inputs[0][0] * 255).round().sum().item<double>(), 33456.0);

  // First 12 train labels (numpy): 9 0 0 3 0 2 7 2 5 5 0 9. A full batch of the 12 holds
  // exactly these, in some order.
  auto twelve = make_dataset("fashion_mnist", {{"max_images", int_value(12)}});
  const at::Tensor labels = std::get<0>(at::sort(twelve->batch(12, 5).labels));
  EXPECT_TRUE(
      at::equal(labels, at::tensor(std::vector<std::int64_t>{0, 0, 0, 0, 2, 2, 3, 5, 5, 7, 9, 9})));
}

TEST(FashionMnistRealData, ValidationIsTheLast10000TrainingImages) {
  SKIP_WITHOUT_REAL_DATA();
  // numpy on train-*-idx*-ubyte.gz: image 49999 has label 7 and pixel sum 30183, image 50000
  // label 9 and sum 50221, image 59999 label 5 and sum 16684; labels 50000..59999 count
  // 1023 988 1008 1021 1050 996 970 955 968 1021 per class.
  auto data = make_dataset("fashion_mnist", {});
  EXPECT_EQ(data->size(nas::Split::kTrain), 50000);
  EXPECT_EQ(data->size(nas::Split::kValidation), 10000);
  EXPECT_EQ(data->size(nas::Split::kTest), 10000);
  auto pixel_sum = [](const at::Tensor& image) {
    return (image * 255).round().sum().item<double>();
  };
  const nas::Batch last_train = data->samples(nas::Split::kTrain, {49999});
  EXPECT_EQ(last_train.labels[0].item<std::int64_t>(), 7);
  EXPECT_EQ(pixel_sum(last_train.inputs[0]), 30183.0);
  const nas::Batch ends = data->samples(nas::Split::kValidation, {0, 9999});
  EXPECT_TRUE(at::equal(ends.labels, at::tensor(std::vector<std::int64_t>{9, 5})));
  EXPECT_EQ(pixel_sum(ends.inputs[0]), 50221.0);
  EXPECT_EQ(pixel_sum(ends.inputs[1]), 16684.0);
  std::vector<std::int64_t> all(10000);
  for (std::int64_t i = 0; i < 10000; ++i) all[static_cast<std::size_t>(i)] = i;
  const at::Tensor counts = at::bincount(data->samples(nas::Split::kValidation, all).labels);
  EXPECT_TRUE(at::equal(counts, at::tensor(std::vector<std::int64_t>{1023, 988, 1008, 1021, 1050,
                                                                     996, 970, 955, 968, 1021})));
}

TEST(FashionMnistRealData, NormalisationConstantsAreTheTrainSetStatistics) {
  SKIP_WITHOUT_REAL_DATA();
  // The whole train split in one batch: the statistics do not depend on the order.
  auto raw = make_dataset("fashion_mnist", {{"normalize", false}});
  const at::Tensor x = raw->batch(60000, 0).inputs.to(at::kDouble);
  EXPECT_NEAR(x.mean().item<double>(), 0.2860, 1e-4);
  EXPECT_NEAR(x.std(/*unbiased=*/false).item<double>(), 0.3530, 1e-4);
  auto normalised = make_dataset("fashion_mnist", {});
  const at::Tensor z = normalised->batch(60000, 0).inputs.to(at::kDouble);
  EXPECT_NEAR(z.mean().item<double>(), 0.0, 1e-3);
  EXPECT_NEAR(z.std(/*unbiased=*/false).item<double>(), 1.0, 1e-3);
}

TEST(FashionMnistRealData, BatchesAreShapedAndSeeded) {
  SKIP_WITHOUT_REAL_DATA();
  auto data =
      make_dataset("fashion_mnist", {{"resize", int_value(32)}, {"channels", int_value(3)}});
  const nas::Batch a = data->batch(64, 1);
  EXPECT_EQ(a.inputs.sizes(), (std::vector<std::int64_t>{64, 3, 32, 32}));
  EXPECT_EQ(a.inputs.scalar_type(), at::kFloat);
  EXPECT_EQ(a.labels.scalar_type(), at::kLong);
  EXPECT_GE(a.labels.min().item<std::int64_t>(), 0);
  EXPECT_LT(a.labels.max().item<std::int64_t>(), 10);
  EXPECT_TRUE(same(a, data->batch(64, 1)));
  EXPECT_FALSE(same(a, data->batch(64, 2)));
  EXPECT_FALSE(same(a, data->batch(64, 1, nas::Split::kTest)));
  // Drawn without replacement: no image twice.
  const at::Tensor flat = a.inputs.reshape({64, -1});
  int duplicates = 0;
  for (int i = 0; i < 64; ++i)
    for (int j = i + 1; j < 64; ++j) duplicates += at::equal(flat[i], flat[j]);
  EXPECT_EQ(duplicates, 0);
}

}  // namespace
