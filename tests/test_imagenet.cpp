// Dataset plugin `imagenet` on a small class-folder tree of JPEGs written here with TurboJPEG:
// class indexing, split sizes, decoded colours within JPEG tolerance, the eval view's size and
// centre, the train augmentation's determinism per seed, the WRCor reference's stages
// (random_crop, hue, lighting, AutoAugment, erasing, bicubic resizing) against hand replays,
// each error,
// and a decode rate (printed, not asserted).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
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

#include "autoaugment.h"
#include "nas/dataset.h"
#include "nas/epoch_loader.h"
#include "nas/error.h"
#include "nas/params.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/seed.h"
#include "nas/transform.h"
#include "test_support.h"

#ifdef NAS_HAVE_TURBOJPEG
#include <turbojpeg.h>
#endif

namespace {

#ifdef NAS_HAVE_TURBOJPEG

namespace fs = std::filesystem;
using Overrides = std::vector<std::pair<std::string, nas::ParamValue>>;
using Rgb = std::array<std::uint8_t, 3>;
using nas::test::TempDir;

std::shared_ptr<nas::Dataset> make_dataset(const Overrides& overrides) {
  nas::load_plugins();
  const nas::Component<nas::Dataset>* component = nas::Registry::global().datasets.find("imagenet");
  if (!component) throw nas::Error("dataset not registered: imagenet");
  nas::Params params = nas::Params::defaults(component->schema, "imagenet");
  for (const auto& [key, value] : overrides) params.set(key, value);
  return component->create(params);
}

std::vector<unsigned char> encode_jpeg(int width, int height,
                                       const std::function<Rgb(int, int)>& pixel) {
  std::vector<unsigned char> rgb(static_cast<std::size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const Rgb p = pixel(x, y);
      for (int c = 0; c < 3; ++c) rgb[(static_cast<std::size_t>(y) * width + x) * 3 + c] = p[c];
    }
  tjhandle h = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(h, rgb.data(), width, 0, height, TJPF_RGB, &jpeg, &size, TJSAMP_444,
                             95, TJFLAG_ACCURATEDCT);
  EXPECT_EQ(rc, 0) << tjGetErrorStr2(h);
  std::vector<unsigned char> out(jpeg, jpeg + size);
  tjFree(jpeg);
  tjDestroy(h);
  return out;
}

void write_bytes(const fs::path& path, const std::vector<unsigned char>& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

const std::array<std::string, 3> kClasses = {"n01440764", "n01443537", "n01484850"};
const std::array<Rgb, 3> kColours = {Rgb{200, 30, 40}, Rgb{20, 180, 60}, Rgb{40, 50, 220}};

// 3 classes x 4 solid-colour 40x30 images in train/ (the first image of the first class is a
// 64x32 gradient instead), 1 per class in val/.
void write_tree(const fs::path& root) {
  for (int k = 0; k < 3; ++k) {
    const Rgb colour = kColours[k];
    const auto solid = encode_jpeg(40, 30, [&](int, int) { return colour; });
    for (int i = 0; i < 4; ++i) {
      const fs::path file = root / "train" / kClasses[k] / ("img" + std::to_string(i) + ".JPEG");
      if (k == 0 && i == 0) {
        write_bytes(
            file, encode_jpeg(64, 32, [](int x, int y) {
              return Rgb{static_cast<std::uint8_t>(4 * x), static_cast<std::uint8_t>(8 * y), 128};
            }));
      } else {
        write_bytes(file, solid);
      }
    }
    write_bytes(root / "val" / kClasses[k] / "v.JPEG", solid);
  }
}

class ImagenetTree : public ::testing::Test {
 protected:
  void SetUp() override { write_tree(dir_.path()); }
  std::shared_ptr<nas::Dataset> make(Overrides overrides = {}) {
    overrides.insert(overrides.begin(), {"root", nas::ParamValue(dir_.path())});
    return make_dataset(overrides);
  }
  fs::path root() const { return dir_.path(); }
  TempDir dir_;
};

void expect_error(const std::function<void()>& call, const std::vector<std::string>& needles) {
  SCOPED_TRACE(needles.empty() ? std::string() : needles.back());
  for (int attempt = 0; attempt < 2; ++attempt) {
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

TEST_F(ImagenetTree, ClassesAreSortedFoldersAndSplitsHaveSizes) {
  auto data = make({{"resolution", std::int64_t{24}}, {"resize", std::int64_t{28}}});
  EXPECT_EQ(data->shape().num_classes, 3);
  EXPECT_EQ(data->shape().size, 24);
  EXPECT_EQ(data->shape().channels, 3);
  EXPECT_EQ(data->size(nas::Split::kTrain), 12);
  EXPECT_EQ(data->size(nas::Split::kValidation), 3);
  EXPECT_EQ(data->size(nas::Split::kTest), 3);  // no test/: val again
  const nas::Batch b = data->samples(nas::Split::kTrain, {0, 3, 4, 11});
  EXPECT_EQ(b.inputs.sizes(), (std::vector<std::int64_t>{4, 3, 24, 24}));
  EXPECT_TRUE(at::equal(b.labels, at::tensor(std::vector<std::int64_t>{0, 0, 1, 2})));
  const nas::Batch v = data->samples(nas::Split::kValidation, {2, 0});
  EXPECT_TRUE(at::equal(v.labels, at::tensor(std::vector<std::int64_t>{2, 0})));
  // A test/ folder, when there is one, is the test split.
  write_bytes(root() / "test" / kClasses[1] / "t1.JPEG",
              encode_jpeg(16, 16, [](int, int) { return kColours[1]; }));
  write_bytes(root() / "test" / kClasses[1] / "t2.JPEG",
              encode_jpeg(16, 16, [](int, int) { return kColours[1]; }));
  auto with_test = make({{"resolution", std::int64_t{24}}, {"resize", std::int64_t{28}}});
  EXPECT_EQ(with_test->size(nas::Split::kTest), 2);
  EXPECT_EQ(with_test->samples(nas::Split::kTest, {1}).labels[0].item<std::int64_t>(), 1);
  EXPECT_EQ(make({{"num_classes", std::int64_t{1000}}})->shape().num_classes, 1000);
}

TEST_F(ImagenetTree, SolidColoursDecodeWithinJpegTolerance) {
  auto data = make({{"resolution", std::int64_t{24}}, {"resize", std::int64_t{28}}});
  const nas::Batch v = data->samples(nas::Split::kValidation, {0, 1, 2});
  for (int k = 0; k < 3; ++k) {
    for (int c = 0; c < 3; ++c) {
      const at::Tensor plane = v.inputs[k][c];
      EXPECT_NEAR(plane.min().item<float>(), kColours[k][c] / 255.0, 3 / 255.0) << k << c;
      EXPECT_NEAR(plane.max().item<float>(), kColours[k][c] / 255.0, 3 / 255.0) << k << c;
    }
  }
  // Normalised probe batches use the ImageNet statistics.
  const nas::Batch p = data->batch(3, 0, nas::Split::kValidation);
  const std::array<double, 3> mean = {0.485, 0.456, 0.406}, sd = {0.229, 0.224, 0.225};
  for (int i = 0; i < 3; ++i) {
    const auto k = p.labels[i].item<std::int64_t>();
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(p.inputs[i][c].mean().item<float>(), (kColours[k][c] / 255.0 - mean[c]) / sd[c],
                  3 / 255.0 / sd[c]);
    }
  }
}

// The eval view: shorter side to `resize`, centre crop. A 64x32 image of three stripes (red
// 0..15, green 16..47, blue 48..63: 8x8-block aligned, so JPEG keeps them clean) at resize
// 32 / resolution 32 keeps the green middle exactly; at resize 48 it is resized first.
TEST_F(ImagenetTree, EvalViewIsSizedAndCentred) {
  write_bytes(root() / "test" / kClasses[0] / "stripes.JPEG", encode_jpeg(64, 32, [](int x, int) {
                return x < 16 ? kColours[0] : x < 48 ? kColours[1] : kColours[2];
              }));
  auto data = make({{"resolution", std::int64_t{32}}, {"resize", std::int64_t{32}}});
  const at::Tensor x = data->samples(nas::Split::kTest, {0}).inputs;
  EXPECT_EQ(x.sizes(), (std::vector<std::int64_t>{1, 3, 32, 32}));
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(x[0][c].min().item<float>(), kColours[1][c] / 255.0, 4 / 255.0) << c;
    EXPECT_NEAR(x[0][c].max().item<float>(), kColours[1][c] / 255.0, 4 / 255.0) << c;
  }
  // resize 48: 64x32 -> 96x48, crop 32 from column 32: still inside the green band (48..143).
  auto bigger = make({{"resolution", std::int64_t{32}}, {"resize", std::int64_t{48}}});
  const at::Tensor y = bigger->samples(nas::Split::kTest, {0}).inputs;
  EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{1, 3, 32, 32}));
  EXPECT_NEAR(y[0][1].mean().item<float>(), kColours[1][1] / 255.0, 4 / 255.0);
  // resolution 64, resize 64: 128x64, crop columns 32..95. Bilinear (align_corners false)
  // puts output column 32 at input 15.75 (a quarter red), 33 at 16.25 (green), 94 at 46.75
  // (green), 95 at 47.25 (a quarter blue).
  auto wide = make({{"resolution", std::int64_t{64}}, {"resize", std::int64_t{64}}});
  const at::Tensor z = wide->samples(nas::Split::kTest, {0}).inputs;
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(z[0][c][10][1].item<float>(), kColours[1][c] / 255.0, 4 / 255.0);
    EXPECT_NEAR(z[0][c][10][62].item<float>(), kColours[1][c] / 255.0, 4 / 255.0);
    EXPECT_NEAR(z[0][c][10][0].item<float>(),
                (0.25 * kColours[0][c] + 0.75 * kColours[1][c]) / 255.0, 5 / 255.0);
    EXPECT_NEAR(z[0][c][10][63].item<float>(),
                (0.75 * kColours[1][c] + 0.25 * kColours[2][c]) / 255.0, 5 / 255.0);
  }
  try {
    make({{"resolution", std::int64_t{64}}, {"resize", std::int64_t{32}}});
    ADD_FAILURE() << "no error";
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("resize 32"), std::string::npos) << e.what();
  }
}

TEST_F(ImagenetTree, TrainAugmentationIsDeterministicPerSeed) {
  auto data = make({{"resolution", std::int64_t{32}},
                    {"resize", std::int64_t{36}},
                    {"brightness", 0.4},
                    {"contrast", 0.4},
                    {"saturation", 0.4}});
  ASSERT_NE(data->augmentation(), nullptr);
  EXPECT_EQ(data->augmentation()->name(),
            "resized_crop(0.08, 1) > flip > color_jitter(0.4, 0.4, 0.4)");
  const at::Tensor x = data->samples(nas::Split::kTrain, {0, 0, 5}).inputs;
  EXPECT_EQ(x.sizes(), (std::vector<std::int64_t>{3, 3, 32, 32}));
  const at::Tensor a = data->augmentation()->apply(x, {1, 2, 3});
  const at::Tensor b = data->augmentation()->apply(x, {1, 2, 3});
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_EQ(a.sizes(), x.sizes());
  EXPECT_FALSE(at::equal(a[0], a[1]));  // the same image under two seeds
  EXPECT_GE(a.min().item<float>(), 0.0f);
  EXPECT_LE(a.max().item<float>(), 1.0f);
  // A sample's augmentation depends on its seed only, not on its batch.
  EXPECT_TRUE(at::equal(data->augmentation()->apply(x.narrow(0, 1, 1), {2})[0], a[1]));
  // The train view is the centred square (32x32 of the 64x32 gradient: columns 16..47).
  EXPECT_NEAR(x[0][0][0][0].item<float>(), 64 / 255.0, 4 / 255.0);
  EXPECT_EQ(make({{"augment", nas::ParamValue(std::vector<std::string>{})}})->augmentation(),
            nullptr);
  EXPECT_EQ(make()->augmentation()->name(), "resized_crop(0.08, 1) > flip");
}

// torchvision's RandomResizedCrop.get_params replayed by hand with nas::Rng: 10 attempts of
// area fraction uniform in [0.08, 1] and log-uniform ratio in [3/4, 4/3], offsets row then
// column, else the centre crop (the whole square here); the box resized back bilinearly.
TEST_F(ImagenetTree, RandomResizedCropMatchesTorchvisionsAlgorithmByHand) {
  const Overrides only_crop = {
      {"resolution", std::int64_t{32}},
      {"resize", std::int64_t{36}},
      {"augment", nas::ParamValue(std::vector<std::string>{"resized_crop"})}};
  auto data = make(only_crop);
  const at::Tensor x = data->samples(nas::Split::kTrain, {0}).inputs;
  int fitted = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    nas::Rng rng(seed);
    std::int64_t top = 0, left = 0, h = 32, w = 32;
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double target = 1024.0 * (0.08 + (1.0 - 0.08) * rng.uniform());
      const double ratio = std::exp(std::log(3.0 / 4.0) +
                                    (std::log(4.0 / 3.0) - std::log(3.0 / 4.0)) * rng.uniform());
      const std::int64_t cw = std::lround(std::sqrt(target * ratio));
      const std::int64_t ch = std::lround(std::sqrt(target / ratio));
      if (cw > 0 && cw <= 32 && ch > 0 && ch <= 32) {
        top = rng.below(32 - ch + 1);
        left = rng.below(32 - cw + 1);
        h = ch;
        w = cw;
        ++fitted;
        break;
      }
    }
    at::Tensor expected = x.narrow(2, top, h).narrow(3, left, w);
    if (h != 32 || w != 32)
      expected = at::upsample_bilinear2d(expected.contiguous(), {32, 32}, false);
    EXPECT_TRUE(at::allclose(data->augmentation()->apply(x, {seed}), expected, 1e-6, 1e-6))
        << "seed " << seed;
  }
  EXPECT_GT(fitted, 15);
  // scale_min 1 on a square view: every attempt that fits, and the fallback, keep it whole.
  Overrides whole = only_crop;
  whole.push_back({"scale_min", 1.0});
  auto identity = make(whole);
  for (std::uint64_t seed = 0; seed < 10; ++seed)
    EXPECT_TRUE(at::allclose(identity->augmentation()->apply(x, {seed}), x, 1e-6, 1e-6));
}

// Through nas::EpochLoader: a train batch is normalise(augment(train view)) under the loader's
// per-sample seeds augment_seed(master, epoch, index); validation batches are the eval view,
// normalised, never augmented.
TEST_F(ImagenetTree, EpochLoaderAugmentsTheTrainSplitBySampleSeeds) {
  auto data =
      make({{"resolution", std::int64_t{32}}, {"resize", std::int64_t{36}}, {"brightness", 0.3}});
  nas::LoaderOptions options;
  options.seed = 5;
  options.epoch.batch_size = 4;
  nas::EpochLoader loader(data, options);
  ASSERT_TRUE(loader.augmenting());
  const std::vector<std::int64_t> idx = loader.indices(1, 2);
  std::vector<std::uint64_t> seeds;
  for (std::int64_t i : idx) seeds.push_back(nas::augment_seed(5, 1, i));
  const at::Tensor expected = data->normalization()->apply(
      data->augmentation()->apply(data->samples(nas::Split::kTrain, idx).inputs, seeds), seeds);
  EXPECT_TRUE(at::equal(loader.batch(1, 2).inputs, expected));
  EXPECT_TRUE(at::equal(loader.batch(1, 2).inputs, loader.batch(1, 2).inputs));
  nas::LoaderOptions val = options;
  val.split = nas::Split::kValidation;
  nas::EpochLoader vloader(data, val);
  EXPECT_FALSE(vloader.augmenting());
  const std::vector<std::int64_t> vidx = vloader.indices(0, 0);
  EXPECT_TRUE(
      at::equal(vloader.batch(0, 0).inputs,
                data->normalization()->apply(data->samples(nas::Split::kValidation, vidx).inputs,
                                             std::vector<std::uint64_t>(vidx.size(), 0))));
}

// ---- The WRCor reference's train augmentation: random_crop, hue, lighting, erasing, bicubic.

const Overrides kSmall = {{"resolution", std::int64_t{32}}, {"resize", std::int64_t{40}}};

Overrides with(Overrides base, const Overrides& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

nas::ParamValue names(std::vector<std::string> list) { return nas::ParamValue(std::move(list)); }

// A (1, 3, h, w) image of one colour.
at::Tensor solid(double r, double g, double b, std::int64_t h = 8, std::int64_t w = 8) {
  at::Tensor x = at::empty({1, 3, h, w}, at::kFloat);
  x.select(1, 0).fill_(r);
  x.select(1, 1).fill_(g);
  x.select(1, 2).fill_(b);
  return x;
}

// random_crop: the train view resized to 40 x 40, then a 32 x 32 window at the row offset and
// then the column offset nas::Rng draws uniformly in [0, 8], replayed here by hand.
TEST_F(ImagenetTree, RandomCropOffsetsMatchAnIndependentReplay) {
  auto data = make(with(kSmall, {{"augment", names({"random_crop"})}}));
  ASSERT_NE(data->augmentation(), nullptr);
  EXPECT_EQ(data->augmentation()->name(), "random_crop(40)");
  // The un-augmented train view keeps the contract's size.
  const at::Tensor x = data->samples(nas::Split::kTrain, {0}).inputs;
  ASSERT_EQ(x.sizes(), (std::vector<std::int64_t>{1, 3, 32, 32}));
  const at::Tensor big = at::upsample_bilinear2d(x, {40, 40}, false);
  std::set<std::pair<std::int64_t, std::int64_t>> offsets;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    nas::Rng rng(seed);
    const std::int64_t top = rng.below(9), left = rng.below(9);
    offsets.insert({top, left});
    const at::Tensor got = data->augmentation()->apply(x, {seed});
    EXPECT_TRUE(at::equal(got, big.narrow(2, top, 32).narrow(3, left, 32))) << "seed " << seed;
    // One pixel by the bilinear formula itself: output (5, 7) of the crop is the 40 x 40
    // image's (5 + top, 7 + left), i.e. the view at ((5 + top + 0.5) * 0.8 - 0.5, ...). The
    // view is a gradient, red along columns and green along rows, so both offsets show.
    const double sy = (5 + top + 0.5) * 0.8 - 0.5, sx = (7 + left + 0.5) * 0.8 - 0.5;
    const auto y0 = static_cast<std::int64_t>(std::floor(sy));
    const auto x0 = static_cast<std::int64_t>(std::floor(sx));
    const double fy = sy - y0, fx = sx - x0;
    for (int c = 0; c < 2; ++c) {
      auto px = [&](std::int64_t yy, std::int64_t xx) { return x[0][c][yy][xx].item<double>(); };
      const double want = (1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x0 + 1)) +
                          fy * ((1 - fx) * px(y0 + 1, x0) + fx * px(y0 + 1, x0 + 1));
      EXPECT_NEAR(got[0][c][5][7].item<double>(), want, 1e-5) << "seed " << seed << " c " << c;
    }
  }
  EXPECT_GT(offsets.size(), 30u);  // the offsets do vary
  // resize == resolution: nothing to choose, the view itself.
  auto tight = make({{"resolution", std::int64_t{32}},
                     {"resize", std::int64_t{32}},
                     {"augment", names({"random_crop"})}});
  EXPECT_TRUE(at::equal(tight->augmentation()->apply(x, {3}), x));
}

// Scalar RGB -> HSV -> RGB as Python's colorsys computes it, to check the tensor version.
std::array<double, 3> hue_shifted(double r, double g, double b, double shift) {
  const double mx = std::max({r, g, b}), mn = std::min({r, g, b});
  double h = 0, s = 0;
  const double v = mx;
  if (mx != mn) {
    s = (mx - mn) / mx;
    const double rc = (mx - r) / (mx - mn), gc = (mx - g) / (mx - mn), bc = (mx - b) / (mx - mn);
    if (r == mx)
      h = bc - gc;
    else if (g == mx)
      h = 2.0 + rc - bc;
    else
      h = 4.0 + gc - rc;
    h = h / 6.0 - std::floor(h / 6.0);
  }
  h = h + shift - std::floor(h + shift);
  const int i = static_cast<int>(h * 6.0) % 6;
  const double f = h * 6.0 - std::floor(h * 6.0);
  const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (i) {
    case 0:
      return {v, t, p};
    case 1:
      return {q, v, p};
    case 2:
      return {p, v, t};
    case 3:
      return {p, q, v};
    case 4:
      return {t, p, v};
    default:
      return {v, p, q};
  }
}

// Hue alone (hue 0.5): one enabled adjustment, so no order draw; the shift is
// -0.5 + uniform(), the first number of nas::Rng(seed).
TEST_F(ImagenetTree, HueShiftRotatesTheColourCircle) {
  auto data = make(with(kSmall, {{"augment", names({})}, {"hue", 0.5}}));
  ASSERT_NE(data->augmentation(), nullptr);
  EXPECT_EQ(data->augmentation()->name(), "color_jitter(0, 0, 0, 0.5)");
  const std::vector<std::array<double, 3>> colours = {
      {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0.5, 0}, {0.2, 0.6, 0.4}, {0.5, 0.5, 0.5}, {0, 0, 0}};
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    nas::Rng rng(seed);
    const double shift = -0.5 + rng.uniform();
    for (const auto& c : colours) {
      const at::Tensor got = data->augmentation()->apply(solid(c[0], c[1], c[2]), {seed});
      const auto want = hue_shifted(c[0], c[1], c[2], shift);
      for (int k = 0; k < 3; ++k) {
        EXPECT_NEAR(got[0][k][3][4].item<double>(), want[k], 1e-5)
            << "seed " << seed << " colour " << c[0] << "," << c[1] << "," << c[2];
        EXPECT_TRUE(at::equal(got[0][k], got[0][k][0][0].expand({8, 8})));
      }
    }
  }
  // By hand: pure red shifted by -0.5 + u lands at hue u + 0.5 (mod 1); for a hue h in
  // [1/3, 1/2) that is (0, 1, 6h - 2), in [1/2, 2/3) it is (0, 4 - 6h, 1).
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    nas::Rng rng(seed);
    const double h = std::fmod(rng.uniform() + 0.5, 1.0);
    const at::Tensor got = data->augmentation()->apply(solid(1, 0, 0), {seed});
    std::array<double, 3> want{};
    if (h >= 1.0 / 3 && h < 0.5) want = {0, 1, 6 * h - 2};
    if (h >= 0.5 && h < 2.0 / 3) want = {0, 4 - 6 * h, 1};
    if (h < 1.0 / 3 || h >= 2.0 / 3) continue;  // other sextants: covered by colorsys above
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(got[0][k][0][0].item<double>(), want[k], 1e-5);
  }
}

// Lighting alone (0.1): alpha_k = 0.1 * sqrt(-2 ln(1 - u1)) cos(2 pi u2), k = 0, 1, 2, and
// channel c moves by sum_k eigvec[c][k] alpha_k eigval[k], the same for every pixel.
TEST_F(ImagenetTree, LightingAddsThePcaNoiseOfItsDraws) {
  auto data = make(with(kSmall, {{"augment", names({})}, {"lighting", 0.1}}));
  ASSERT_NE(data->augmentation(), nullptr);
  EXPECT_EQ(data->augmentation()->name(), "lighting(0.1)");
  const double eigval[3] = {0.2175, 0.0188, 0.0045};
  const double eigvec[3][3] = {
      {-0.5675, 0.7192, 0.4009}, {-0.5808, -0.0045, -0.8140}, {-0.5836, -0.6948, 0.4203}};
  const at::Tensor grey = solid(0.5, 0.4, 0.6);
  double largest = 0;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    nas::Rng rng(seed);
    double alpha[3];
    for (double& a : alpha) {
      const double u1 = rng.uniform(), u2 = rng.uniform();
      a = 0.1 * std::sqrt(-2 * std::log(1 - u1)) * std::cos(2 * 3.14159265358979323846 * u2);
    }
    const at::Tensor got = data->augmentation()->apply(grey, {seed});
    for (int c = 0; c < 3; ++c) {
      double shift = 0;
      for (int k = 0; k < 3; ++k) shift += eigvec[c][k] * alpha[k] * eigval[k];
      largest = std::max(largest, std::abs(shift));
      const double base = grey[0][c][0][0].item<double>();
      EXPECT_NEAR(got[0][c][2][5].item<double>(), base + shift, 1e-6) << "seed " << seed;
    }
  }
  EXPECT_GT(largest, 1e-3);  // the noise is there
  // Clamped to [0, 1]: a white image cannot get whiter.
  const at::Tensor white = data->augmentation()->apply(solid(1, 1, 1), {4});
  EXPECT_LE(white.max().item<float>(), 1.0f);
}

// Erasing alone with p 1: the box replayed by hand (torchvision's get_params with nas::Rng,
// Python's half-even rounding) is filled with the ImageNet mean, which normalisation maps to
// exactly 0; everything else is untouched.
TEST_F(ImagenetTree, ErasingFillsABoxInsideTheImageThatNormalisesToZero) {
  auto data = make(with(kSmall, {{"augment", names({})}, {"erasing", 1.0}}));
  ASSERT_NE(data->augmentation(), nullptr);
  EXPECT_EQ(data->augmentation()->name(), "erasing(1)");
  const at::Tensor x = solid(0.9, 0.1, 0.3, 32, 32);
  int erased = 0;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    nas::Rng rng(seed);
    EXPECT_LT(rng.uniform(), 1.0);  // the p draw
    std::int64_t top = 0, left = 0, eh = 0, ew = 0;
    bool found = false;
    for (int attempt = 0; attempt < 10 && !found; ++attempt) {
      const double area = 1024.0 * (0.02 + 0.31 * rng.uniform());
      const double ratio =
          std::exp(std::log(0.3) + (std::log(3.3) - std::log(0.3)) * rng.uniform());
      eh = static_cast<std::int64_t>(std::nearbyint(std::sqrt(area * ratio)));
      ew = static_cast<std::int64_t>(std::nearbyint(std::sqrt(area / ratio)));
      if (eh < 32 && ew < 32) {
        top = rng.below(32 - eh + 1);
        left = rng.below(32 - ew + 1);
        found = true;
      }
    }
    const at::Tensor got = data->augmentation()->apply(x, {seed});
    at::Tensor mask = at::zeros({32, 32}, at::kBool);
    if (found) {
      ++erased;
      ASSERT_LE(top + eh, 32);
      ASSERT_LE(left + ew, 32);
      mask.narrow(0, top, eh).narrow(1, left, ew).fill_(true);
    }
    const at::Tensor normalised = data->normalization()->apply(got, {seed});
    const at::Tensor plain = data->normalization()->apply(x, {seed});
    for (int c = 0; c < 3; ++c) {
      // Exactly 0 inside the box, the input's normalised value outside.
      EXPECT_TRUE(at::equal(normalised[0][c], at::where(mask, at::zeros({}), plain[0][c])))
          << "seed " << seed << " box " << top << "," << left << " " << eh << "x" << ew;
    }
  }
  EXPECT_GT(erased, 25);
  // p 0.5: some samples erased, some not, each always the same way.
  auto half = make(with(kSmall, {{"augment", names({})}, {"erasing", 0.5}}));
  int changed = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    const at::Tensor a = half->augmentation()->apply(x, {seed});
    EXPECT_TRUE(at::equal(a, half->augmentation()->apply(x, {seed})));
    changed += at::equal(a, x) ? 0 : 1;
  }
  EXPECT_GT(changed, 8);
  EXPECT_LT(changed, 32);
  // Without normalisation the box is 0 already.
  auto raw = make(with(kSmall, {{"augment", names({})}, {"erasing", 1.0}, {"normalize", false}}));
  EXPECT_EQ(raw->normalization(), nullptr);
  EXPECT_EQ(raw->augmentation()->apply(x, {1}).min().item<float>(), 0.0f);
}

// The whole WRCor train chain through nas::EpochLoader: deterministic per (seed, epoch,
// index), different across seeds, independent of the batch, at the contract's size.
TEST_F(ImagenetTree, ReferenceChainIsDeterministicPerSeed) {
  const Overrides reference = with(kSmall, {{"augment", names({"random_crop", "flip"})},
                                            {"interpolation", std::string("bicubic")},
                                            {"brightness", 0.4},
                                            {"contrast", 0.4},
                                            {"saturation", 0.4},
                                            {"hue", 0.2},
                                            {"lighting", 0.1},
                                            {"auto_augment", std::string("imagenet")},
                                            {"erasing", 0.5}});
  auto data = make(reference);
  EXPECT_EQ(data->augmentation()->name(),
            "random_crop(40) > flip > color_jitter(0.4, 0.4, 0.4, 0.2) > lighting(0.1) > "
            "auto_augment(imagenet) > erasing(0.5)");
  nas::LoaderOptions options;
  options.seed = 11;
  options.epoch.batch_size = 4;
  nas::EpochLoader loader(data, options);
  const at::Tensor a = loader.batch(2, 1).inputs;
  EXPECT_EQ(a.sizes(), (std::vector<std::int64_t>{4, 3, 32, 32}));
  EXPECT_TRUE(at::equal(a, nas::EpochLoader(make(reference), options).batch(2, 1).inputs));
  // A sample's augmentation depends on its seed only.
  const at::Tensor x = data->samples(nas::Split::kTrain, {0, 4, 9}).inputs;
  const at::Tensor all = data->augmentation()->apply(x, {7, 8, 9});
  EXPECT_TRUE(at::equal(data->augmentation()->apply(x.narrow(0, 2, 1), {9})[0], all[2]));
  EXPECT_FALSE(at::equal(data->augmentation()->apply(x.narrow(0, 2, 1), {10})[0], all[2]));
}

// AutoAugment alone: the train view rounded to bytes, the policy drawn from nas::Rng(seed) as
// autoaugment.h replays it, back to floats when an operation ran; untouched otherwise.
TEST_F(ImagenetTree, AutoAugmentRunsThePolicyOnTheImageInBytes) {
  EXPECT_EQ(make()->augmentation()->name(), "resized_crop(0.08, 1) > flip");  // off by default
  auto data =
      make(with(kSmall, {{"augment", names({})}, {"auto_augment", std::string("imagenet")}}));
  ASSERT_NE(data->augmentation(), nullptr);
  EXPECT_EQ(data->augmentation()->name(), "auto_augment(imagenet)");
  const at::Tensor x = data->samples(nas::Split::kTrain, {0}).inputs;  // the gradient image
  const at::Tensor bytes =
      x[0].permute({1, 2, 0}).mul(255).round().clamp(0, 255).to(at::kByte).contiguous();
  int ran = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    nas::autoaugment::Image image(32, 32);
    std::copy_n(bytes.data_ptr<std::uint8_t>(), image.rgb.size(), image.rgb.begin());
    nas::Rng rng(seed);
    const at::Tensor got = data->augmentation()->apply(x, {seed});
    if (!nas::autoaugment::apply_imagenet_policy(rng, image)) {
      EXPECT_TRUE(at::equal(got, x)) << "seed " << seed;
      continue;
    }
    ++ran;
    at::Tensor hwc = at::empty({32, 32, 3}, at::kByte);
    std::copy(image.rgb.begin(), image.rgb.end(), hwc.data_ptr<std::uint8_t>());
    const at::Tensor want = hwc.permute({2, 0, 1}).unsqueeze(0).to(at::kFloat).div(255.0);
    EXPECT_TRUE(at::allclose(got, want, 0, 1e-7)) << "seed " << seed;
  }
  EXPECT_GT(ran, 10);
  EXPECT_LT(ran, 40);
}

// Bicubic resizing is PIL's filter (Keys' cubic, a = -0.5). Upscaling the 64x32 stripes 2x:
// output column 32 samples input 15.75, weights 0.203125 on red (columns 14, 15) and 0.796875
// on green (16, 17); column 33 samples 16.25, weights -0.0703125 on red and 1.0703125 on green
// (the cubic overshoots; a channel below 0 would be clamped).
TEST_F(ImagenetTree, BicubicResizeUsesPilsCubic) {
  write_bytes(root() / "test" / kClasses[0] / "stripes.JPEG", encode_jpeg(64, 32, [](int x, int) {
                return x < 16 ? kColours[0] : x < 48 ? kColours[1] : kColours[2];
              }));
  auto data = make({{"resolution", std::int64_t{64}},
                    {"resize", std::int64_t{64}},
                    {"interpolation", std::string("bicubic")}});
  const at::Tensor z = data->samples(nas::Split::kTest, {0}).inputs;
  for (int c = 0; c < 3; ++c) {
    const double red = kColours[0][c] / 255.0, green = kColours[1][c] / 255.0;
    EXPECT_NEAR(z[0][c][10][0].item<float>(), 0.203125 * red + 0.796875 * green, 5 / 255.0) << c;
    EXPECT_NEAR(z[0][c][10][1].item<float>(),
                std::clamp(-0.0703125 * red + 1.0703125 * green, 0.0, 1.0), 5 / 255.0)
        << c;
    EXPECT_NEAR(z[0][c][10][20].item<float>(), green, 4 / 255.0) << c;
  }
  EXPECT_GE(z.min().item<float>(), 0.0f);
  EXPECT_LE(z.max().item<float>(), 1.0f);
}

// Keys' cubic convolution kernel with a = -0.5 (PIL's BICUBIC).
double keys(double t) {
  t = std::abs(t);
  if (t < 1) return 1.5 * t * t * t - 2.5 * t * t + 1;
  if (t < 2) return -0.5 * t * t * t + 2.5 * t * t - 4 * t + 2;
  return 0;
}

// The same filter without JPEG noise: random_crop upscales a hand-made 32 x 32 view of a
// vertical step (columns 0..15 at `lo`, 16..31 at `hi`) 2x to 64 x 64. Resized column j
// samples the view at (j + 0.5) / 2 - 0.5 from its four neighbours with Keys' weights;
// a = -0.75 (torch's plain bicubic) or bilinear weights would miss by 1e-2 or more.
TEST_F(ImagenetTree, BicubicUpscaleMatchesKeysWeightsExactly) {
  auto data = make({{"resolution", std::int64_t{32}},
                    {"resize", std::int64_t{64}},
                    {"interpolation", std::string("bicubic")},
                    {"augment", names({"random_crop"})}});
  for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{{0.2, 0.8}, {0.0, 1.0}}) {
    at::Tensor x = at::full({1, 3, 32, 32}, lo, at::kFloat);
    x.narrow(3, 16, 16).fill_(hi);
    for (std::uint64_t seed = 0; seed < 8; ++seed) {
      nas::Rng rng(seed);
      const std::int64_t top = rng.below(33), left = rng.below(33);
      (void)top;  // the step is vertical: every row is the same
      const at::Tensor got = data->augmentation()->apply(x, {seed});
      for (std::int64_t k = 0; k < 32; ++k) {
        const std::int64_t j = k + left;
        if (j < 4 || j > 59) continue;  // near the border PIL renormalises a cut kernel
        const double src = (j + 0.5) / 2 - 0.5;
        const auto base = static_cast<std::int64_t>(std::floor(src));
        double want = 0;
        for (std::int64_t n = base - 1; n <= base + 2; ++n)
          want += keys(src - static_cast<double>(n)) * (n < 16 ? lo : hi);
        want = std::clamp(want, 0.0, 1.0);
        for (int c = 0; c < 3; ++c) {
          EXPECT_NEAR(got[0][c][7][k].item<double>(), want, 1e-5)
              << "lo " << lo << " seed " << seed << " column " << j;
        }
      }
    }
  }
}

TEST_F(ImagenetTree, BadAugmentationParamsAreRefused) {
  auto refused = [&](const Overrides& o, const std::vector<std::string>& needles) {
    SCOPED_TRACE(needles.front());
    try {
      make(o)->augmentation();
      ADD_FAILURE() << "no error";
    } catch (const nas::UsageError& e) {
      for (const auto& n : needles)
        EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
    }
  };
  refused({{"augment", names({"resized_crop", "random_crop"})}},
          {"resized_crop and random_crop", "name one of them"});
  refused({{"augment", names({"random_crop", "random_crop"})}}, {"'random_crop' twice"});
  refused({{"augment", names({"autoaugment"})}}, {"'autoaugment'", "random_crop", "auto_augment"});
  refused({{"auto_augment", std::string("cifar10")}}, {"auto_augment", "imagenet"});
  refused({{"hue", 0.6}}, {"hue"});
  refused({{"lighting", -0.1}}, {"lighting"});
  refused({{"erasing", 1.5}}, {"erasing"});
  refused({{"interpolation", std::string("nearest")}}, {"interpolation", "bicubic"});
  refused({{"resolution", std::int64_t{64}},
           {"resize", std::int64_t{48}},
           {"augment", names({"random_crop"})}},
          {"resize 48"});
}

TEST_F(ImagenetTree, ErrorsNameTheFileOrFolder) {
  expect_error(
      [&] {
        make_dataset({{"root", nas::ParamValue((root() / "nope").string())}})
            ->size(nas::Split::kTrain);
      },
      {(root() / "nope").string(), "does not exist"});
  // A class folder without images.
  fs::create_directories(root() / "val" / kClasses[2] / "sub");
  fs::remove(root() / "val" / kClasses[2] / "v.JPEG");
  expect_error([&] { make()->size(nas::Split::kValidation); },
               {(root() / "val" / kClasses[2]).string(), "holds no JPEG images"});
  fs::remove_all(root() / "val" / kClasses[2]);
  // A val class that train lacks.
  write_bytes(root() / "val" / "n99999999" / "x.JPEG",
              encode_jpeg(8, 8, [](int, int) { return kColours[0]; }));
  expect_error([&] { make()->size(nas::Split::kValidation); },
               {(root() / "val" / "n99999999").string(), "no counterpart"});
  fs::remove_all(root() / "val" / "n99999999");
  // A corrupt and a truncated JPEG.
  const fs::path bad = root() / "val" / kClasses[0] / "v.JPEG";
  write_bytes(bad, {'n', 'o', 't', ' ', 'a', ' ', 'j', 'p', 'e', 'g'});
  expect_error([&] { make()->samples(nas::Split::kValidation, {0}); },
               {bad.string(), "corrupt or truncated JPEG"});
  std::vector<unsigned char> whole = encode_jpeg(64, 64, [](int x, int y) {
    return Rgb{static_cast<std::uint8_t>(3 * x), static_cast<std::uint8_t>(2 * y), 7};
  });
  whole.resize(whole.size() / 2);
  write_bytes(bad, whole);
  expect_error([&] { make()->samples(nas::Split::kValidation, {0}); },
               {bad.string(), "corrupt or truncated JPEG"});
  // A label out of range of num_classes (shape() alone does not read the tree when
  // num_classes is given; the first split read does).
  EXPECT_EQ(make({{"num_classes", std::int64_t{2}}})->shape().num_classes, 2);
  expect_error(
      [&] {
        make({{"num_classes", std::int64_t{2}}})->size(nas::Split::kTrain);
      },
      {"label 2 of class folder", kClasses[2], "outside [0, 2)"});
  // An index out of range.
  expect_error([&] { make()->samples(nas::Split::kTrain, {12}); }, {"sample index 12"});
  // No train folder.
  fs::remove_all(root() / "train");
  expect_error([&] { make()->shape(); }, {(root() / "train").string(), "missing folder"});
}

// Decoded images per second on this machine (printed, not asserted): 16 500x375 JPEGs through
// the eval view at 224.
TEST(ImagenetBench, PrintsDecodeRate) {
  TempDir dir;
  for (int i = 0; i < 16; ++i) {
    write_bytes(fs::path(dir.path()) / "train" / ("c" + std::to_string(i % 2)) /
                    ("i" + std::to_string(i) + ".JPEG"),
                encode_jpeg(500, 375, [i](int x, int y) {
                  return Rgb{static_cast<std::uint8_t>(x + i), static_cast<std::uint8_t>(y * 3),
                             static_cast<std::uint8_t>((x ^ y) & 0xFF)};
                }));
  }
  auto data = make_dataset({{"root", nas::ParamValue(dir.path())}});
  std::vector<std::int64_t> all(16);
  for (int i = 0; i < 16; ++i) all[i] = i;
  data->samples(nas::Split::kTrain, all);  // warm up
  const auto start = std::chrono::steady_clock::now();
  const int rounds = 3;
  for (int r = 0; r < rounds; ++r) data->batch(16, static_cast<std::uint64_t>(r));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("imagenet: %.1f images/s (500x375 JPEG -> resize 256 -> crop 224, normalised)\n",
              rounds * 16 / s);
}

#else

TEST(ImagenetTree, SkippedWithoutTurboJpeg) {
  GTEST_SKIP() << "libturbojpeg not found at configure time: the imagenet plugin is not built";
}

#endif

}  // namespace
