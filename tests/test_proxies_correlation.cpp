// Tests of the correlation and activation-pattern proxies: wrcor, nwot, jacov, swap,
// reg_swap, linear_regions and zico.
//
// What is checked, and against what:
// * the math on hand-made matrices whose answers are written out here (Pearson correlations,
//   NASWOT kernels, distinct columns and rows);
// * the plugins' scores on NAS-Bench-201 cells against naive float64 recomputations written
//   here from the network's taps (per tap, no sharing, a plain general product, general
//   eigenvalue solver), and invariants (kernel diagonal, bounds, the reg_swap factor);
// * determinism, and that proxies touch neither the shared network nor torch's generator;
// * agreement with the independent Python oracle (tests/oracle/oracle.py, PyTorch + numpy,
//   the reference's module-name hook rule) for wrcor, nwot and jacov on three cells, batch
//   32, to 1e-6 relative; skipped if /usr/bin/python3 has no torch;
// * linear_regions against TE-NAS's own counting formula on a thin network built separately
//   in Python (tests/oracle/linear_regions.py), same weights and inputs, skipped likewise.
// Two disabled tests print timings (--gtest_also_run_disabled_tests --gtest_filter=*Timing*).
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "../plugins/common/binary_codes.h"
#include "../plugins/nwot/nwot_kernel.h"
#include "../plugins/wrcor/wrcor_kernel.h"
#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/params.h"
#include "nas/pass_results.h"
#include "nas/plugin_loader.h"
#include "nas/probe_context.h"
#include "nas/probe_engine.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/seed.h"
#include "nas/threads.h"
#include "test_support.h"

namespace {

constexpr std::uint64_t kMaster = 42;
constexpr std::int64_t kBatch = 64;       // the reference's batch (timing)
constexpr std::int64_t kSmallBatch = 32;  // recomputations here and in Python, kept quick

// avg_pool / 1x1 conv / skips: few taps, node 0 read by two conv edges.
const std::string kIndex0 =
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
    "skip_connect~2|";
// Mixed ops; node 0 feeds two conv edges.
const std::string kMixed =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|"
    "nor_conv_3x3~2|";
// Node 1 reaches the output only through `none` edges, so the tap of edge 0->1 gets an
// all-zero gradient: its correlation is NaN and must be skipped.
const std::string kDeadPath =
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|none~1|nor_conv_3x3~2|";
const std::vector<std::string> kCells = {kIndex0, kMixed, kDeadPath};

// ---------------------------------------------------------------------------------------
// Hand-made cases
// ---------------------------------------------------------------------------------------

at::Tensor matrix(const std::vector<std::vector<double>>& rows) {
  at::Tensor t =
      at::empty({static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows[0].size())},
                at::kDouble);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j)
      t[static_cast<std::int64_t>(i)][static_cast<std::int64_t>(j)] = rows[i][j];
  return t;
}

void expect_matrix_near(const at::Tensor& got, const std::vector<std::vector<double>>& want,
                        double tol) {
  ASSERT_EQ(got.size(0), static_cast<std::int64_t>(want.size()));
  const at::Tensor g = got.to(at::kDouble);
  for (std::size_t i = 0; i < want.size(); ++i) {
    for (std::size_t j = 0; j < want[i].size(); ++j) {
      EXPECT_NEAR(g[static_cast<std::int64_t>(i)][static_cast<std::int64_t>(j)].item<double>(),
                  want[i][j], tol)
          << "entry " << i << "," << j;
    }
  }
}

TEST(CorrelationMath, RowCorrelationOfAHandMadeMatrix) {
  // a = 1 2 3 4, b = 1 3 2 4, c = 4 3 2 1: centred a = (-1.5 -.5 .5 1.5), |a|^2 = 5;
  // a.b = 4 -> 0.8; a.c = -5 -> -1; b.c = -4 -> -0.8.
  const at::Tensor x = matrix({{1, 2, 3, 4}, {1, 3, 2, 4}, {4, 3, 2, 1}});
  expect_matrix_near(nas::row_correlation(x), {{1, 0.8, -1}, {0.8, 1, -0.8}, {-1, -0.8, 1}}, 1e-15);
  expect_matrix_near(nas_wrcor::abs_row_correlation(x.to(at::kFloat), 3, false),
                     {{1, 0.8, 1}, {0.8, 1, 0.8}, {1, 0.8, 1}}, 1e-7);
  // A constant row has no correlation: the whole matrix is NaN-tainted and dropped.
  EXPECT_FALSE(
      nas_wrcor::abs_row_correlation(matrix({{1, 2, 3, 4}, {5, 5, 5, 5}}), 2, false).defined());
}

TEST(CorrelationMath, CentredRowGramsMatchAGeneralProductForAnyThreadCount) {
  // Offsets make the centring matter; odd widths exercise the loops' tails; a transposed view
  // is not contiguous; a float64 input and a float32 one.
  at::manual_seed(11);
  std::vector<at::Tensor> xs = {at::randn({6, 1001}) + 3.0, at::randn({6, 8}) - 0.5,
                                at::randn({37, 6}).t(),
                                at::randn({6, 2, 5, 5}, at::kDouble) * 1e3 + 7.0};
  std::vector<at::Tensor> before;
  for (const auto& x : xs) before.push_back(x.clone());
  const auto one = nas::centred_row_grams(xs, 6, /*single=*/false, 1);
  const auto three = nas::centred_row_grams(xs, 6, /*single=*/false, 3);
  const auto single = nas::centred_row_grams(xs, 6, /*single=*/true, 2);
  ASSERT_EQ(one.size(), xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    at::Tensor z = xs[i].reshape({6, -1}).to(at::kDouble);
    z = z - z.mean(1, true);
    const at::Tensor expected = at::mm(z, z.t());
    EXPECT_EQ(one[i].scalar_type(), at::kDouble);
    EXPECT_TRUE(one[i].equal(three[i])) << "matrix " << i;
    EXPECT_TRUE(one[i].allclose(expected, 1e-12, 1e-9)) << "matrix " << i;
    EXPECT_TRUE(one[i].equal(one[i].t())) << "matrix " << i;
    EXPECT_EQ(single[i].scalar_type(), at::kFloat);
    EXPECT_TRUE(single[i].to(at::kDouble).allclose(expected, 1e-4, 1e-3)) << "matrix " << i;
  }
  for (std::size_t i = 0; i < xs.size(); ++i) EXPECT_TRUE(xs[i].equal(before[i])) << i;
  // Zero-width rows give a zero Gram matrix (and so a NaN correlation, a skipped term); a
  // tensor with the wrong number of rows is refused.
  EXPECT_TRUE(nas::centred_row_grams({at::zeros({6, 0})}, 6, false, 2)[0].equal(
      at::zeros({6, 6}, at::kDouble)));
  EXPECT_THROW(nas::centred_row_grams({at::zeros({5, 4})}, 6, false, 1), c10::Error);
  EXPECT_THROW(nas::centred_row_grams({at::zeros({0, 4})}, 6, false, 1), c10::Error);
}

TEST(CorrelationMath, WeightedKernelSumsSharedTensorsAndSkipsNaN) {
  const at::Tensor x = matrix({{1, 2, 3, 4}, {1, 3, 2, 4}, {4, 3, 2, 1}});
  const at::Tensor dead = matrix({{1, 2, 3, 4}, {0, 0, 0, 0}, {2, 1, 2, 1}});
  const at::Tensor other = x.clone();  // equal values, another tensor
  const at::Tensor k = nas_wrcor::weighted_kernel(
      {{x, 2.0}, {dead, 100.0}, {x, 4.0}, {other, 1.0}, {at::Tensor(), 8.0}}, 3, false);
  // 2 + 4 + 1 = 7 times |C|; the dead term and the undefined one add nothing.
  expect_matrix_near(k, {{7, 5.6, 7}, {5.6, 7, 5.6}, {7, 5.6, 7}}, 1e-13);
  EXPECT_EQ(nas::log_abs_det(nas_wrcor::weighted_kernel({{dead, 1.0}}, 3, false)),
            -std::numeric_limits<double>::infinity());
}

TEST(BinaryCodes, NaswotKernelOfAHandMadeCode) {
  // Codes 1[x > 0] (zero is off): a = 1011, b = 0010, c = 1111.
  // Hamming: a-b 2, a-c 1, b-c 3; K = 4 - Hamming.
  const at::Tensor x = matrix({{0.5, -1, 2, 3}, {-0.1, 0, 4, -2}, {1, 1e-30, 1, 1}}).to(at::kFloat);
  const at::Tensor k = nas_nwot::naswot_kernel({x}, 3);
  EXPECT_EQ(k.scalar_type(), at::kLong);
  expect_matrix_near(k, {{4, 2, 3}, {2, 4, 1}, {3, 1, 4}}, 0);
  // The same tensor twice counts twice, like a distinct tensor with the same values.
  const at::Tensor twice = nas_nwot::naswot_kernel({x, at::Tensor(), x}, 3);
  const at::Tensor two = nas_nwot::naswot_kernel({x, x.clone()}, 3);
  expect_matrix_near(twice, {{8, 4, 6}, {4, 8, 2}, {6, 2, 8}}, 0);
  EXPECT_TRUE(at::equal(twice, two));
}

TEST(BinaryCodes, NaswotKernelMatchesDenseProductsOnWideRandomCodes) {
  // 200 and 64 + 7 columns: several words and a partial last word.
  at::Generator gen = at::detail::createCPUGenerator(7);
  for (std::int64_t d : {200, 71, 5}) {
    const at::Tensor x = at::randn({9, d}, gen);
    const at::Tensor c = (x > 0).to(at::kDouble);
    const at::Tensor dense = c.mm(c.t()) + (1 - c).mm((1 - c).t());
    const at::Tensor k = nas_nwot::naswot_kernel({x}, 9).to(at::kDouble);
    EXPECT_TRUE(at::equal(k, dense)) << "D = " << d;
    EXPECT_TRUE(at::all(k.diagonal() == static_cast<double>(d)).item<bool>());
  }
}

at::Tensor bool_matrix(const std::vector<std::vector<int>>& rows) {
  at::Tensor t =
      at::zeros({static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows[0].size())},
                at::kBool);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j)
      t[static_cast<std::int64_t>(i)][static_cast<std::int64_t>(j)] = rows[i][j] != 0;
  return t;
}

TEST(BinaryCodes, DistinctColumnsOfAHandMadePattern) {
  // Columns (samples top to bottom): 101, 000, 111, 101, 001 -> 4 distinct.
  const at::Tensor a = bool_matrix({{1, 0, 1, 1, 0}, {0, 0, 1, 0, 0}, {1, 0, 1, 1, 1}});
  nas_codes::ColumnPatternSet set(3);
  set.add(a);
  EXPECT_EQ(set.count(), 4);
  // A second block (another tap) with one old pattern (000) and one new (010): 5.
  set.add(bool_matrix({{0, 0}, {0, 1}, {0, 0}}));
  EXPECT_EQ(set.count(), 5);
}

// Distinct columns counted the slow way.
std::int64_t naive_distinct_columns(const std::vector<at::Tensor>& blocks) {
  std::set<std::vector<bool>> columns;
  for (const at::Tensor& b : blocks) {
    const auto acc = b.accessor<bool, 2>();
    for (std::int64_t j = 0; j < b.size(1); ++j) {
      std::vector<bool> col;
      for (std::int64_t i = 0; i < b.size(0); ++i) col.push_back(acc[i][j]);
      columns.insert(col);
    }
  }
  return static_cast<std::int64_t>(columns.size());
}

TEST(BinaryCodes, DistinctColumnsForEverySampleCount) {
  // Few rows: the flat table; up to 64: the hash table; more: wide keys. Columns are drawn
  // from a small pool so that there are many repeats, and include the all-off column.
  at::Generator gen = at::detail::createCPUGenerator(11);
  for (std::int64_t n : {1, 3, 16, 21, 40, 64, 65, 130}) {
    const at::Tensor pool = at::rand({n, 50}, gen) > 0.5;
    pool.select(1, 0).fill_(false);
    std::vector<at::Tensor> blocks;
    nas_codes::ColumnPatternSet set(n);
    for (int b = 0; b < 3; ++b) {
      const at::Tensor pick = at::randint(0, 50, {3000}, gen, at::kLong);
      blocks.push_back(pool.index_select(1, pick).contiguous());
      set.add(blocks.back());
    }
    EXPECT_EQ(set.count(), naive_distinct_columns(blocks)) << "samples = " << n;
  }
}

TEST(BinaryCodes, DistinctRowsAcrossBlocks) {
  // Rows as whole codes across two blocks: r0 = 10|1, r1 = 10|0, r2 = 10|1, r3 = 01|1.
  const std::vector<nas_codes::PackedRows> blocks = {
      nas_codes::pack_rows(bool_matrix({{1, 0}, {1, 0}, {1, 0}, {0, 1}})),
      nas_codes::pack_rows(bool_matrix({{1}, {0}, {1}, {1}}))};
  EXPECT_EQ(nas_codes::count_distinct_rows(blocks), 3);
  EXPECT_EQ(nas_codes::count_distinct_rows({blocks[0]}), 2);
  // Rows longer than a word that differ only in their last bit.
  at::Tensor wide = at::zeros({3, 130}, at::kBool);
  wide[1][129] = true;
  EXPECT_EQ(nas_codes::count_distinct_rows({nas_codes::pack_rows(wide)}), 2);
}

// ---------------------------------------------------------------------------------------
// NAS-Bench-201 cells
// ---------------------------------------------------------------------------------------

class Nb201Proxies : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string failures;
    for (const auto& report : nas::load_plugins()) {
      if (!report.loaded) failures += "\n  " + report.file + ": " + report.error;
    }
    auto& registry = nas::Registry::global();
    if (!registry.spaces.find("nb201") || !registry.datasets.find("synthetic")) {
      FAIL() << "nb201 or synthetic not loaded" << failures;
    }
    const auto& sc = registry.spaces.get("nb201");
    space_ = sc.create(nas::Params::defaults(sc.schema, "nb201"));
    const auto& dc = registry.datasets.get("synthetic");
    data_ = dc.create(nas::Params::defaults(dc.schema, "synthetic"));
  }
  static void TearDownTestSuite() {
    space_.reset();
    data_.reset();
  }

  static nas::ProxySlot slot(const std::string& proxy, const std::string& slot_name = "",
                             const std::map<std::string, nas::ParamValue>& overrides = {}) {
    const auto& c = nas::Registry::global().proxies.get(proxy);
    nas::Params p = nas::Params::defaults(c.schema, proxy);
    for (const auto& [k, v] : overrides) p.set(k, v);
    nas::ProxySlot s;
    s.name = slot_name.empty() ? proxy : slot_name;
    s.proxy = c.create(p);
    s.info = s.proxy->info();
    return s;
  }

  static std::unique_ptr<nas::ProbeEngine> engine(std::vector<nas::ProxySlot> slots,
                                                  std::int64_t batch = kBatch) {
    nas::ProbeOptions options;
    options.seed = kMaster;
    options.batch_size = batch;
    return std::make_unique<nas::ProbeEngine>(space_, data_, std::move(slots), options);
  }

  static std::map<std::string, double> scores(const nas::ProbeEngine& e, const std::string& arch) {
    std::map<std::string, double> out;
    const nas::Evaluation ev = e.evaluate_one(space_->parse(arch));
    for (const auto& r : ev.scores) {
      EXPECT_TRUE(r.message.empty()) << r.proxy << ": " << r.message;
      out[r.proxy] = r.score;
    }
    return out;
  }

  // The engine's network and batch for `arch`, rebuilt here under the documented seeds.
  static std::shared_ptr<nas::Network> network(const std::string& arch) {
    torch::manual_seed(nas::torch_seed(nas::derive_seed(kMaster, "network", arch)));
    return space_->build(space_->parse(arch), nas::NetSpec());
  }
  static nas::Batch batch(const std::string& arch, std::uint64_t index = 0,
                          std::int64_t size = kBatch) {
    return data_->batch(size, nas::derive_seed(kMaster, "batch", arch, index));
  }

  static std::shared_ptr<nas::SearchSpace> space_;
  static std::shared_ptr<nas::Dataset> data_;
};
std::shared_ptr<nas::SearchSpace> Nb201Proxies::space_;
std::shared_ptr<nas::Dataset> Nb201Proxies::data_;

void expect_relative(double got, double want, double tol, const std::string& what) {
  ASSERT_TRUE(std::isfinite(want)) << what << ": reference " << want;
  EXPECT_LE(std::abs(got - want), tol * std::abs(want)) << what << ": " << got << " vs " << want;
}

// The modules a hook-based reference observes, from one forward + backward computed here
// with retained gradients (not the engine's autograd::grad call): every tap, then (with the
// reference hook rule) every ReLU -> Conv -> BN unit, which sees its ReLU's input and, in
// backward, the gradient at its conv output.
struct Hooked {
  at::Tensor input;     // the pre-activation the module receives
  at::Tensor gradient;  // dL/d input (tap) or dL/d conv output (unit)
  int block;
  std::size_t tap;  // index of the tap (a unit's own ReLU)
  bool head;
  bool unit;
};

struct NaiveRun {
  std::vector<Hooked> hooked;
  at::Tensor jacobian;
  std::size_t taps = 0;
};

NaiveRun naive_run(nas::Network& net, const nas::Batch& b) {
  NaiveRun run;
  net.train();
  net.set_recording(true);
  for (const auto& unit : net.relu_conv_units()) unit.conv->recording = true;
  at::Tensor x = b.inputs.clone().set_requires_grad(true);
  at::Tensor logits = net.forward(x);
  std::vector<at::Tensor> watched;
  for (std::size_t i = 0; i < net.taps().size(); ++i) {
    const auto& tap = net.taps()[i];
    watched.push_back(tap->response());
    run.hooked.push_back({tap->response(), {}, tap->block(), i, tap->is_head(), false});
  }
  run.taps = net.taps().size();
  for (const auto& unit : net.relu_conv_units()) {
    const auto& tap = net.taps()[unit.tap];
    watched.push_back(unit.conv->output);
    run.hooked.push_back({tap->response(), {}, tap->block(), unit.tap, tap->is_head(), true});
  }
  for (at::Tensor& w : watched) w.retain_grad();
  // The loss first: retained gradients would also collect the Jacobian pass's gradients.
  at::cross_entropy_loss(logits, b.labels).backward({}, /*retain_graph=*/true);
  for (std::size_t k = 0; k < watched.size(); ++k)
    run.hooked[k].gradient = watched[k].grad().clone();
  run.jacobian = torch::autograd::grad({logits.sum()}, {x})[0];
  net.set_recording(false);
  for (const auto& unit : net.relu_conv_units()) {
    unit.conv->recording = false;
    unit.conv->output = at::Tensor();
  }
  return run;
}

struct NaiveOptions {
  bool units = true;  // the reference hook rule
  bool activations = true;
  bool gradients = true;
  bool quirk = true;       // head activation after its ReLU
  char weighting = 'b';    // b(lock), u(niform), l(ayer)
  int* skipped = nullptr;  // counts NaN matrices
};

// Pearson correlation of the rows of x the plain way: centre in float64, one general product.
at::Tensor naive_row_correlation(const at::Tensor& x) {
  at::Tensor z = x.to(at::kDouble);
  z = z - z.mean(1, /*keepdim=*/true);
  const at::Tensor gram = at::matmul(z, z.t());
  const at::Tensor d = gram.diagonal().sqrt();
  return (gram / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1.0, 1.0);
}

// WRCor term by term: one naive row correlation per hooked module and response, NaN matrices
// skipped, K += w |C| in float64.
double naive_wrcor(const NaiveRun& run, const NaiveOptions& o) {
  at::NoGradGuard no_grad;
  const std::int64_t n = run.hooked[0].input.size(0);
  at::Tensor k = at::zeros({n, n}, at::kDouble);
  auto add = [&](const at::Tensor& t, double w) {
    const at::Tensor c = naive_row_correlation(t.detach().reshape({n, -1}));
    if (c.isnan().any().item<bool>()) {
      if (o.skipped) ++*o.skipped;
      return;
    }
    k += w * c.abs();
  };
  for (const Hooked& h : run.hooked) {
    if (h.unit && !o.units) continue;
    const double w = o.weighting == 'u'   ? 1.0
                     : o.weighting == 'l' ? std::pow(2.0, static_cast<double>(h.tap))
                                          : std::pow(2.0, h.block);
    if (o.activations) add(o.quirk && h.head ? at::relu(h.input) : h.input, w);
    if (o.gradients) add(h.gradient, w);
  }
  return std::get<1>(at::linalg_slogdet(k)).item<double>();
}

// NASWOT from dense products per hooked module (float32 sums of 0/1 products below 2^24
// are exact). Also returns D summed over the modules, the kernel's diagonal.
at::Tensor naive_nwot_kernel(const NaiveRun& run, bool units, std::int64_t* d_total) {
  at::NoGradGuard no_grad;
  const std::int64_t n = run.hooked[0].input.size(0);
  at::Tensor dense = at::zeros({n, n}, at::kDouble);
  *d_total = 0;
  for (const Hooked& h : run.hooked) {
    if (h.unit && !units) continue;
    const at::Tensor c = (h.input.detach().reshape({n, -1}) > 0).to(at::kFloat);
    dense += (c.mm(c.t()) + (1 - c).mm((1 - c).t())).to(at::kDouble);
    *d_total += c.size(1);
  }
  return dense;
}

TEST_F(Nb201Proxies, ScoresMatchNaiveFloat64Recomputation) {
  const nas::ParamValue relu = std::string("relu");
  auto e = engine(
      {slot("wrcor"), slot("wrcor", "wrcor_relu", {{"hooks", relu}}),
       slot("wrcor", "wrcor_uniform_act",
            {{"weighting", std::string("uniform")}, {"responses", std::string("activations")}}),
       slot("wrcor", "wrcor_grad_relu", {{"responses", std::string("gradients")}, {"hooks", relu}}),
       slot("wrcor", "wrcor_f32", {{"precision", std::string("float32")}}), slot("nwot"),
       slot("nwot", "nwot_relu", {{"hooks", relu}}), slot("jacov")},
      kSmallBatch);
  for (const std::string& arch : kCells) {
    SCOPED_TRACE(arch);
    const auto s = scores(*e, arch);
    auto net = network(arch);
    const NaiveRun run = naive_run(*net, batch(arch, 0, kSmallBatch));
    ASSERT_GT(run.hooked.size(), run.taps) << "NB201 cells here all have conv units";
    NaiveOptions o;
    const double wrcor = naive_wrcor(run, o);
    expect_relative(s.at("wrcor"), wrcor, 1e-9, "wrcor");
    expect_relative(s.at("wrcor_f32"), wrcor, 1e-6, "wrcor, float32 Gram products");
    o.units = false;
    expect_relative(s.at("wrcor_relu"), naive_wrcor(run, o), 1e-9, "wrcor, ReLU hooks");
    o.gradients = false;
    o.units = true;
    o.weighting = 'u';
    // Uniform weights over activations only: the plain sum of |corr| of every hooked input.
    expect_relative(s.at("wrcor_uniform_act"), naive_wrcor(run, o), 1e-9,
                    "wrcor uniform activations");
    o = NaiveOptions();
    o.activations = false;
    o.units = false;
    expect_relative(s.at("wrcor_grad_relu"), naive_wrcor(run, o), 1e-9,
                    "wrcor gradients, ReLU hooks");

    // NASWOT: the plugin's kernel equals the dense one and has D_total on its diagonal.
    for (bool units : {true, false}) {
      std::int64_t d_total = 0;
      const at::Tensor dense = naive_nwot_kernel(run, units, &d_total);
      std::vector<at::Tensor> inputs;
      for (const Hooked& h : run.hooked)
        if (units || !h.unit) inputs.push_back(h.input);
      const at::Tensor k = nas_nwot::naswot_kernel(inputs, kSmallBatch);
      EXPECT_TRUE(at::all(k.diagonal() == d_total).item<bool>());
      EXPECT_TRUE(at::equal(k.to(at::kDouble), dense));
      expect_relative(s.at(units ? "nwot" : "nwot_relu"),
                      std::get<1>(at::linalg_slogdet(dense)).item<double>(), 1e-12, "nwot");
    }

    // JacCor with the general (non-symmetric) eigenvalue solver, as numpy.linalg.eig.
    at::NoGradGuard no_grad;
    const at::Tensor j = run.jacobian.reshape({kSmallBatch, -1}).to(at::kDouble);
    const at::Tensor v = at::real(at::linalg_eigvals(at::corrcoef(j)).to(at::kComplexDouble));
    const double jac = -(at::log(v + 1e-5) + 1.0 / (v + 1e-5)).sum().item<double>();
    expect_relative(s.at("jacov"), jac, 1e-9, "jacov");
  }
}

TEST_F(Nb201Proxies, WrcorWeightingsAndHeadQuirk) {
  // The dead-path cell has skipped gradient terms; the head quirk changes only the head
  // activation; layer weighting gives 2^i by tap execution order.
  auto e = engine({slot("wrcor"), slot("wrcor", "no_quirk", {{"head_quirk", false}}),
                   slot("wrcor", "layer", {{"weighting", std::string("layer")}})},
                  kSmallBatch);
  const std::string arch = kDeadPath;
  const auto s = scores(*e, arch);
  auto net = network(arch);
  const NaiveRun run = naive_run(*net, batch(arch, 0, kSmallBatch));
  int skipped = 0;
  NaiveOptions o;
  o.skipped = &skipped;
  expect_relative(s.at("wrcor"), naive_wrcor(run, o), 1e-9, "block, quirk");
  EXPECT_GT(skipped, 0) << "the dead-path cell should have an all-zero gradient";
  o.quirk = false;
  expect_relative(s.at("no_quirk"), naive_wrcor(run, o), 1e-9, "block, no quirk");
  o.quirk = true;
  o.weighting = 'l';
  expect_relative(s.at("layer"), naive_wrcor(run, o), 1e-9, "layer");
  EXPECT_NE(s.at("wrcor"), s.at("no_quirk"));
}

TEST_F(Nb201Proxies, SameArchitectureTwiceGivesTheSameScores) {
  auto e = engine(
      {slot("wrcor"), slot("nwot"), slot("jacov"), slot("swap", "", {{"repeats", std::int64_t{2}}}),
       slot("reg_swap", "", {{"repeats", std::int64_t{2}}}),
       slot("linear_regions", "", {{"repeats", std::int64_t{1}}, {"batch", std::int64_t{16}}}),
       slot("zico")},
      32);
  const auto first = scores(*e, kMixed);
  const auto second = scores(*e, kMixed);
  for (const auto& [name, value] : first) {
    EXPECT_TRUE(std::isfinite(value)) << name;
    EXPECT_EQ(value, second.at(name)) << name;
  }
}

TEST_F(Nb201Proxies, ModifyingProxiesLeaveSharedStateAlone) {
  // Scores of the shared-pass proxies do not depend on which modifying proxies run beside
  // them.
  auto alone = engine({slot("wrcor"), slot("nwot")}, 32);
  auto crowd = engine(
      {slot("swap", "", {{"repeats", std::int64_t{2}}}), slot("wrcor"),
       slot("linear_regions", "", {{"repeats", std::int64_t{1}}, {"batch", std::int64_t{8}}}),
       slot("linear_regions", "lr_full",
            {{"mode", std::string("full")},
             {"repeats", std::int64_t{1}},
             {"batch", std::int64_t{8}},
             {"sample_batches", std::int64_t{1}}}),
       slot("zico"), slot("nwot")},
      32);
  const auto a = scores(*alone, kIndex0);
  const auto c = scores(*crowd, kIndex0);
  EXPECT_EQ(a.at("wrcor"), c.at("wrcor"));
  EXPECT_EQ(a.at("nwot"), c.at("nwot"));
}

TEST_F(Nb201Proxies, ModifyingProxiesDrawOnlyFromTheirOwnGenerator) {
  // Each proxy scored directly through a ProbeContext, with torch's global generator seeded
  // just before: the next global draw must be the one that seed gives.
  const nas::Arch arch = space_->parse(kIndex0);
  for (nas::ProxySlot s :
       {slot("swap", "", {{"repeats", std::int64_t{2}}}),
        slot("reg_swap", "", {{"repeats", std::int64_t{1}}}),
        slot("linear_regions", "", {{"repeats", std::int64_t{2}}, {"batch", std::int64_t{8}}}),
        slot("linear_regions", "lr_full",
             {{"mode", std::string("full")},
              {"repeats", std::int64_t{2}},
              {"batch", std::int64_t{8}},
              {"sample_batches", std::int64_t{1}}}),
        slot("zico")}) {
    SCOPED_TRACE(s.name);
    nas::PassResults shared;
    shared.network = network(kIndex0);
    shared.batch = batch(kIndex0, 0, 16);
    shared.extra_batches.push_back(batch(kIndex0, 1, 16));
    std::shared_ptr<nas::Network> fresh = network(kIndex0);
    nas::ProbeContext context(s.name, arch, *space_, nas::NetSpec(), s.info, 99, &shared, fresh);
    torch::manual_seed(1234);
    const double first = s.proxy->score(context);
    const double draw = at::randn({1}).item<double>();
    torch::manual_seed(1234);
    EXPECT_EQ(draw, at::randn({1}).item<double>()) << "the proxy used torch's global generator";
    // Scoring again on the same (now modified) fresh network gives the same value.
    EXPECT_EQ(first, s.proxy->score(context));
  }
}

TEST_F(Nb201Proxies, ActivationPatternCountsStayInTheirBounds) {
  // One sample: every unit's pattern is a single bit, so SWAP counts 1 or 2 patterns and
  // the linear-region count is exactly 1 (one batch of one input); with three batches of 12
  // it is at most 36. The regularised score is SWAP times the factor computed here from the
  // analytic parameter count.
  const double mu = 300.0, sigma = 2e5;
  // The plain SWAP runs under the slot name "reg_swap" in its own engine, so that both draw
  // the same re-initialisations (a proxy's seed comes from its slot name).
  auto plain = engine({slot("swap", "reg_swap", {{"repeats", std::int64_t{3}}})}, 16);
  auto e = engine(
      {slot("swap", "swap1", {{"repeats", std::int64_t{3}}, {"samples", std::int64_t{1}}}),
       slot("swap", "", {{"repeats", std::int64_t{3}}}),
       slot("reg_swap", "", {{"repeats", std::int64_t{3}}, {"mu", mu}, {"sigma", sigma}}),
       slot("linear_regions", "lr1",
            {{"repeats", std::int64_t{2}},
             {"batch", std::int64_t{1}},
             {"sample_batches", std::int64_t{1}}}),
       slot("linear_regions", "", {{"repeats", std::int64_t{2}}, {"batch", std::int64_t{12}}})},
      16);
  for (const std::string& arch : {kIndex0, kDeadPath}) {
    SCOPED_TRACE(arch);
    const auto s = scores(*e, arch);
    EXPECT_GE(s.at("swap1"), 1.0);
    EXPECT_LE(s.at("swap1"), 2.0);
    EXPECT_GE(s.at("swap"), 2.0);
    EXPECT_LE(s.at("swap"), 65536.0);
    const double theta =
        static_cast<double>(space_->params(space_->parse(arch), nas::NetSpec())) / 1e3;
    const double swap = scores(*plain, arch).at("reg_swap");
    expect_relative(s.at("reg_swap"), swap * std::exp(-(theta - mu) * (theta - mu) / sigma), 1e-12,
                    "reg_swap");
    EXPECT_EQ(s.at("lr1"), 1.0);
    EXPECT_GE(s.at("linear_regions"), 1.0);
    EXPECT_LE(s.at("linear_regions"), 36.0);
  }
}

TEST_F(Nb201Proxies, SwapCountsDistinctColumnsOfTheGaussianNetwork) {
  // One repeat recomputed here: the fresh network re-initialised N(0, 1) from the proxy's
  // generator, forward on the first 16 samples, distinct columns counted the slow way.
  auto e = engine({slot("swap", "", {{"repeats", std::int64_t{1}}})}, 32);
  const std::string arch = kMixed;
  const auto s = scores(*e, arch);
  auto net = network(arch);
  at::NoGradGuard no_grad;
  nas::reinit_gaussian(*net, at::detail::createCPUGenerator(
                                 nas::torch_seed(nas::derive_seed(kMaster, "swap", arch))));
  net->train();
  net->set_recording(true);
  const at::Tensor x = batch(arch, 0, 32).inputs.narrow(0, 0, 16);
  net->forward(x);
  std::vector<at::Tensor> masks;
  for (const auto& tap : net->taps()) masks.push_back((tap->response().reshape({16, -1}) > 0));
  net->set_recording(false);
  // Columns as 16-bit integers, counted in a std::set.
  const at::Tensor all = at::cat(masks, 1).to(at::kLong);
  const at::Tensor weights = at::pow(2, at::arange(16, at::kLong)).unsqueeze(1);
  const at::Tensor keys = (all * weights).sum(0);
  std::set<std::int64_t> distinct;
  const auto acc = keys.accessor<std::int64_t, 1>();
  for (std::int64_t i = 0; i < keys.size(0); ++i) distinct.insert(acc[i]);
  EXPECT_EQ(s.at("swap"), static_cast<double>(distinct.size()));
}

// Cells that the linear-region count should tell apart: nothing, skips, pools, 1x1 and 3x3
// convolutions, mixed.
const std::vector<std::string> kRegionCells = {
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
    "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|"
    "skip_connect~2|",
    "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|"
    "avg_pool_3x3~2|",
    kIndex0,
    kDeadPath,
    kMixed,
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "nor_conv_3x3~2|"};

using nas::test::thin_spec;

// A dataset that always returns the same batch.
class FixedData : public nas::Dataset {
 public:
  explicit FixedData(const at::Tensor& inputs)
      : batch_{inputs, at::zeros({inputs.size(0)}, at::kLong)} {}
  nas::DataShape shape() const override {
    return {static_cast<int>(batch_.inputs.size(1)), static_cast<int>(batch_.inputs.size(2)), 10};
  }
  nas::Batch batch(std::int64_t, std::uint64_t, nas::Split) const override { return batch_; }

 private:
  nas::Batch batch_;
};

TEST_F(Nb201Proxies, LinearRegionsDeclareWhatEachModeNeeds) {
  const nas::ProxyInfo thin = slot("linear_regions").info;
  EXPECT_EQ(thin.version, "2");
  EXPECT_FALSE(thin.needs_data);
  EXPECT_FALSE(thin.modifies_network);
  EXPECT_TRUE(slot("linear_regions", "", {{"inputs", std::string("crops")}}).info.needs_data);
  EXPECT_TRUE(slot("linear_regions", "", {{"mode", std::string("full")}}).info.modifies_network);
  EXPECT_THROW(
      slot("linear_regions", "", {{"mode", std::string("full")}, {"inputs", std::string("crops")}}),
      nas::UsageError);
  EXPECT_THROW(slot("linear_regions", "", {{"sample_batches", std::int64_t{0}}}), nas::UsageError);
}

TEST_F(Nb201Proxies, LinearRegionsVaryAcrossCellsAndStayInBounds) {
  // TE-NAS's protocol (the defaults): 3 repeats of 3 x 1000 Gaussian 1x3x3 inputs through
  // the thin network. Version 1 gave 64 on every cell.
  auto e = engine({slot("linear_regions")}, 16);
  auto again = engine({slot("linear_regions")}, 16);
  std::set<double> values;
  for (const std::string& arch : kRegionCells) {
    SCOPED_TRACE(arch);
    const nas::Evaluation ev = e->evaluate_one(space_->parse(arch));
    ASSERT_EQ(ev.scores.size(), 1u);
    const nas::ScoreRecord& r = ev.scores[0];
    ASSERT_EQ(r.status, nas::ScoreStatus::kOk) << r.message;
    EXPECT_GE(r.score, 1.0);
    EXPECT_LE(r.score, 3000.0);
    EXPECT_EQ(r.score, scores(*again, arch).at("linear_regions"));
    values.insert(r.score);
    std::printf("linear_regions %8.2f  %.4f s  %s\n", r.score, r.seconds, arch.c_str());
  }
  EXPECT_GE(values.size(), 5u) << "the count hardly separates the cells";
  // No convolution and only `none` edges: the cell's output is zero, so is every code.
  EXPECT_EQ(scores(*e, kRegionCells[0]).at("linear_regions"), 1.0);
}

// The thin network's count recomputed the slow way: the proxy's documented stream (per
// repeat the Kaiming-normal re-initialisation, then each batch of Gaussian inputs), every
// tap's bits kept (no sharing, no packing), codes as strings counted in a std::map, and
// TE-NAS's sum_n 1 / #{m : code_m = code_n} checked against the number of distinct codes.
double naive_linear_regions(const nas::SearchSpace& space, const std::string& arch,
                            std::int64_t batch, std::int64_t sample_batches, std::int64_t repeats) {
  at::NoGradGuard no_grad;
  auto net = space.build(space.parse(arch), thin_spec());
  net->train();
  at::Generator generator = at::detail::createCPUGenerator(
      nas::torch_seed(nas::derive_seed(kMaster, "linear_regions", arch)));
  double total = 0.0;
  for (std::int64_t r = 0; r < repeats; ++r) {
    nas::reinit_kaiming_normal(*net, generator);
    std::vector<std::string> codes;
    for (std::int64_t b = 0; b < sample_batches; ++b) {
      const at::Tensor x = at::randn({batch, 1, 3, 3}, generator, at::kFloat);
      net->set_recording(true);
      net->forward(x);
      std::vector<at::Tensor> bits;
      for (const auto& tap : net->taps()) bits.push_back(tap->response().reshape({batch, -1}) > 0);
      net->set_recording(false);
      const at::Tensor all = at::cat(bits, 1).to(at::kByte).contiguous();
      const auto* data = all.data_ptr<std::uint8_t>();
      for (std::int64_t i = 0; i < batch; ++i) {
        std::string code;
        for (std::int64_t j = 0; j < all.size(1); ++j)
          code += data[i * all.size(1) + j] ? '1' : '0';
        codes.push_back(code);
      }
    }
    std::map<std::string, int> multiplicity;
    for (const auto& code : codes) ++multiplicity[code];
    double te_nas = 0.0;
    for (const auto& code : codes) te_nas += 1.0 / multiplicity[code];
    EXPECT_NEAR(te_nas, static_cast<double>(multiplicity.size()), 1e-9 * codes.size());
    total += static_cast<double>(multiplicity.size());
  }
  return total / static_cast<double>(repeats);
}

TEST_F(Nb201Proxies, LinearRegionsMatchNaiveRecomputation) {
  auto e = engine({slot("linear_regions"), slot("linear_regions", "lr_small",
                                                {{"batch", std::int64_t{50}},
                                                 {"sample_batches", std::int64_t{2}},
                                                 {"repeats", std::int64_t{2}}})},
                  16);
  for (const std::string& arch : {kIndex0, kMixed, kDeadPath}) {
    SCOPED_TRACE(arch);
    const auto s = scores(*e, arch);
    EXPECT_EQ(s.at("linear_regions"), naive_linear_regions(*space_, arch, 1000, 3, 3));
    // The slot's name seeds its generator: recompute under "lr_small" by hand.
    at::NoGradGuard no_grad;
    auto net = space_->build(space_->parse(arch), thin_spec());
    net->train();
    at::Generator generator = at::detail::createCPUGenerator(
        nas::torch_seed(nas::derive_seed(kMaster, "lr_small", arch)));
    double total = 0.0;
    for (int r = 0; r < 2; ++r) {
      nas::reinit_kaiming_normal(*net, generator);
      std::set<std::string> distinct;
      for (int b = 0; b < 2; ++b) {
        const at::Tensor x = at::randn({50, 1, 3, 3}, generator, at::kFloat);
        net->set_recording(true);
        net->forward(x);
        std::vector<at::Tensor> bits;
        for (const auto& tap : net->taps()) bits.push_back(tap->response().reshape({50, -1}) > 0);
        net->set_recording(false);
        const at::Tensor all = at::cat(bits, 1).to(at::kChar).contiguous();
        for (std::int64_t i = 0; i < 50; ++i) {
          distinct.insert(std::string(static_cast<const char*>(all[i].data_ptr()),
                                      static_cast<std::size_t>(all.size(1))));
        }
      }
      total += static_cast<double>(distinct.size());
    }
    EXPECT_EQ(s.at("lr_small"), total / 2.0);
  }
}

TEST_F(Nb201Proxies, LinearRegionsCropTheBatch) {
  const std::string arch = kMixed;
  // All-zero images: every crop is the same zero input, so every sample has the same code.
  {
    auto zeros = std::make_shared<FixedData>(at::zeros({8, 3, 32, 32}));
    nas::ProbeOptions options;
    options.seed = kMaster;
    options.batch_size = 8;
    nas::ProbeEngine e(space_, zeros,
                       {slot("linear_regions", "", {{"inputs", std::string("crops")}})}, options);
    EXPECT_EQ(scores(e, arch).at("linear_regions"), 1.0);
  }
  // Two 4x4 images have 2 x 2 x 2 = 8 places for a 3x3 crop, fewer than the 1000 samples of
  // one batch: the crops are drawn with replacement, and at most 8 x 3 (channels) distinct
  // inputs exist. One batch per repeat, since BatchNorm normalises each batch with its own
  // statistics and the same crop in two batches may get two codes.
  {
    at::Tensor images = at::randn({2, 3, 4, 4}, at::detail::createCPUGenerator(5));
    nas::ProbeOptions options;
    options.seed = kMaster;
    options.batch_size = 2;
    options.net = nas::NetSpec{10, 3, 4};
    nas::ProbeEngine e(
        space_, std::make_shared<FixedData>(images),
        {slot("linear_regions", "",
              {{"inputs", std::string("crops")}, {"sample_batches", std::int64_t{1}}})},
        options);
    const double s = scores(e, arch).at("linear_regions");
    EXPECT_GE(s, 2.0);
    EXPECT_LE(s, 24.0);
  }
  // The synthetic data: in bounds, deterministic.
  auto e = engine({slot("linear_regions", "", {{"inputs", std::string("crops")}})}, 32);
  const double s = scores(*e, arch).at("linear_regions");
  EXPECT_GE(s, 1.0);
  EXPECT_LE(s, 3000.0);
  EXPECT_EQ(s, scores(*e, arch).at("linear_regions"));
}

TEST_F(Nb201Proxies, ZicoMatchesNaiveRecomputation) {
  auto e = engine({slot("zico")}, 32);
  const std::string arch = kMixed;
  const auto s = scores(*e, arch);
  auto net = network(arch);
  net->train();
  std::vector<std::vector<at::Tensor>> grads;
  for (std::uint64_t b = 0; b < 2; ++b) {
    const nas::Batch data = batch(arch, b, 32);
    net->zero_grad();
    at::cross_entropy_loss(net->forward(data.inputs), data.labels).backward();
    const auto weights = nas::layer_weights(*net);
    grads.resize(weights.size());
    for (std::size_t l = 0; l < weights.size(); ++l)
      grads[l].push_back(weights[l].grad().detach().clone().flatten().to(at::kDouble));
  }
  // Two batches: population std = |g1 - g2| / 2, mean |g| = (|g1| + |g2|) / 2.
  double want = 0.0;
  for (const auto& g : grads) {
    const at::Tensor sd = (g[0] - g[1]).abs() / 2;
    const at::Tensor mean_abs = (g[0].abs() + g[1].abs()) / 2;
    const at::Tensor keep = sd > 0;
    const double sum = (mean_abs.masked_select(keep) / sd.masked_select(keep)).sum().item<double>();
    if (sum != 0) want += std::log(sum);
  }
  expect_relative(s.at("zico"), want, 1e-12, "zico");
}

// ---------------------------------------------------------------------------------------
// The Python oracle
// ---------------------------------------------------------------------------------------

bool python_has_torch() {
  return nas::test::run_command("/usr/bin/python3 -c 'import torch, numpy'").status == 0;
}

double json_number(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  const std::string s = v.get<std::string>();
  if (s == "NaN") return std::nan("");
  return s == "Infinity" ? INFINITY : -INFINITY;
}

TEST_F(Nb201Proxies, AgreesWithPythonOracle) {
  if (!python_has_torch()) NAS_ORACLE_MISSING("/usr/bin/python3 cannot import torch");
  nas::test::TempDir dir;
  // The oracle takes one batch for all cells: every cell here gets the first cell's batch,
  // which the engine would not do, so the cells are scored through a fixed-batch dataset.
  const nas::Batch b = batch(kCells[0], 0, kSmallBatch);
  {
    std::ofstream x(dir.file("x.f32"), std::ios::binary);
    const at::Tensor in = b.inputs.contiguous();
    x.write(static_cast<const char*>(in.data_ptr()), in.numel() * 4);
    std::ofstream y(dir.file("y.i64"), std::ios::binary);
    const at::Tensor lab = b.labels.contiguous();
    y.write(static_cast<const char*>(lab.data_ptr()), lab.numel() * 8);
  }
  class FixedBatch : public nas::Dataset {
   public:
    explicit FixedBatch(nas::Batch batch) : batch_(std::move(batch)) {}
    nas::DataShape shape() const override { return {}; }
    nas::Batch batch(std::int64_t, std::uint64_t, nas::Split) const override { return batch_; }

   private:
    nas::Batch batch_;
  };
  nas::ProbeOptions options;
  options.seed = kMaster;
  options.batch_size = kSmallBatch;
  nas::ProbeEngine fixed(space_, std::make_shared<FixedBatch>(b),
                         {slot("wrcor"), slot("nwot"), slot("jacov")}, options);

  nlohmann::json spec;
  spec["archs"] = kCells;
  for (const std::string& arch : kCells)
    spec["seed_per_arch"][arch] = nas::torch_seed(nas::derive_seed(kMaster, "network", arch));
  spec["num_classes"] = 10;
  spec["batch_inputs"] = "x.f32";
  spec["batch_labels"] = "y.i64";
  spec["N"] = kSmallBatch;
  spec["proxies"] = {"wrcor", "nwot", "jacov"};
  spec["head_quirk"] = true;
  spec["relu_hooks"] = "name";  // the reference rule, as the plugins default to
  std::ofstream(dir.file("spec.json")) << spec.dump();
  const std::string oracle = nas::test::source_dir() + "/tests/oracle/oracle.py";
  const auto result = nas::test::run_command("/usr/bin/python3 " + oracle + " " +
                                             dir.file("spec.json") + " -o " + dir.file("out.json"));
  ASSERT_EQ(result.status, 0) << result.output;
  const nlohmann::json out = nlohmann::json::parse(nas::test::read_file(dir.file("out.json")));
  for (const std::string& arch : kCells) {
    SCOPED_TRACE(arch);
    const auto s = scores(fixed, arch);
    for (const char* proxy : {"wrcor", "nwot", "jacov"})
      expect_relative(s.at(proxy), json_number(out.at(arch).at(proxy)), 1e-6, proxy);
  }
}

TEST_F(Nb201Proxies, LinearRegionsAgreeWithPythonTeNasCount) {
  // tests/oracle/linear_regions.py builds the thin network itself from the Python model's
  // cells, draws the same weights and inputs from a generator with the proxy's seed, hooks
  // nn.ReLU modules and applies TE-NAS's calc_LR formula.
  if (!python_has_torch()) NAS_ORACLE_MISSING("/usr/bin/python3 cannot import torch");
  nas::test::TempDir dir;
  const std::vector<std::string> cells = {kRegionCells[1], kIndex0, kDeadPath, kMixed,
                                          kRegionCells.back()};
  nlohmann::json spec;
  spec["archs"] = cells;
  for (const std::string& arch : cells) {
    spec["generator_seed"][arch] =
        nas::torch_seed(nas::derive_seed(kMaster, "linear_regions", arch));
  }
  spec["batch"] = 1000;
  spec["sample_batches"] = 3;
  spec["repeats"] = 3;
  std::ofstream(dir.file("spec.json")) << spec.dump();
  const std::string oracle = nas::test::source_dir() + "/tests/oracle/linear_regions.py";
  const auto result = nas::test::run_command("/usr/bin/python3 " + oracle + " " +
                                             dir.file("spec.json") + " -o " + dir.file("out.json"));
  ASSERT_EQ(result.status, 0) << result.output;
  const nlohmann::json out = nlohmann::json::parse(nas::test::read_file(dir.file("out.json")));
  auto e = engine({slot("linear_regions")}, 16);
  for (const std::string& arch : cells) {
    SCOPED_TRACE(arch);
    // The Python sum of reciprocals is an integer up to rounding.
    expect_relative(scores(*e, arch).at("linear_regions"), json_number(out.at(arch)), 1e-9,
                    "linear_regions");
  }
}

// Timing: not a test. Run with --gtest_also_run_disabled_tests --gtest_filter=*Timing*.
// Per sampled cell: the engine's whole evaluation (build, batch, forward + tap gradients,
// score), and the wrcor kernel alone on the same tap tensors in float64 and float32 Gram
// products, with the relative score difference between the two.
TEST_F(Nb201Proxies, DISABLED_TimingWrcorPerCell) {
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  auto e = engine({slot("wrcor")});
  nas::Rng rng(3);
  const int cells = std::atoi(nas::test::env_or("NAS_TIMING_CELLS", "10").c_str());
  nas::set_compute_threads(std::atoi(nas::test::env_or("NAS_TIMING_THREADS", "1").c_str()));
  // Degenerate cells first (no conv edge: only the ResNet blocks' and the head's taps).
  const std::vector<std::string> extremes = {
      "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
      "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|"
      "skip_connect~2|",
      "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|"
      "avg_pool_3x3~2|"};
  double engine_s = 0, kernel64 = 0, kernel32 = 0, worst = 0;
  std::string worst_arch;
  for (int i = 0; i < cells; ++i) {
    const nas::Arch arch =
        i < static_cast<int>(extremes.size()) ? space_->parse(extremes[i]) : space_->sample(rng);
    auto t0 = Clock::now();
    const nas::Evaluation ev = e->evaluate_one(arch);
    engine_s += since(t0);
    auto net = network(arch.str());
    const NaiveRun run = naive_run(*net, batch(arch.str()));
    at::NoGradGuard no_grad;
    std::vector<nas_wrcor::Term> terms;
    for (const Hooked& h : run.hooked) {
      const double w = std::ldexp(1.0, h.block);
      terms.push_back({h.head ? at::relu(h.input) : h.input, w});
      terms.push_back({h.gradient, w});
    }
    t0 = Clock::now();
    const double s64 = nas::log_abs_det(nas_wrcor::weighted_kernel(terms, kBatch, false));
    kernel64 += since(t0);
    t0 = Clock::now();
    const double s32 = nas::log_abs_det(nas_wrcor::weighted_kernel(terms, kBatch, true));
    kernel32 += since(t0);
    if (!std::isfinite(s64)) {  // every term skipped (a cell of `none` edges): -inf
      EXPECT_EQ(ev.scores[0].score, s64) << arch.str();
      EXPECT_EQ(s32, s64) << arch.str();
      continue;
    }
    if (std::abs(s32 - s64) / std::abs(s64) > worst) {
      worst = std::abs(s32 - s64) / std::abs(s64);
      worst_arch = arch.str();
    }
    EXPECT_NEAR(ev.scores[0].score, s64, 1e-9 * std::abs(s64)) << arch.str();
  }
  std::printf(
      "wrcor, batch %lld, %d cells, %d torch thread(s): engine %.3f s/cell; kernel "
      "float64 %.4f s/cell, float32-Gram %.4f s/cell, worst relative difference %.2e (%s)\n",
      static_cast<long long>(kBatch), cells, at::get_num_threads(), engine_s / cells,
      kernel64 / cells, kernel32 / cells, worst, worst_arch.c_str());
}

// Per-proxy seconds as the engine records them (own time plus an equal share of the shared
// passes), defaults, batch 64. Run like the test above.
TEST_F(Nb201Proxies, DISABLED_TimingEveryProxyPerCell) {
  const std::vector<std::string> names = {"wrcor",    "nwot",           "jacov", "swap",
                                          "reg_swap", "linear_regions", "zico"};
  std::vector<nas::ProxySlot> slots;
  for (const auto& n : names) slots.push_back(slot(n));
  auto e = engine(slots);
  nas::Rng rng(5);
  const int cells = std::atoi(nas::test::env_or("NAS_TIMING_CELLS", "5").c_str());
  std::map<std::string, double> seconds;
  for (int i = 0; i < cells; ++i) {
    for (const auto& r : e->evaluate_one(space_->sample(rng)).scores) seconds[r.proxy] += r.seconds;
  }
  for (const auto& n : names)
    std::printf("%-15s %.3f s/cell (batch %lld, %d thread(s))\n", n.c_str(), seconds[n] / cells,
                static_cast<long long>(kBatch), at::get_num_threads());
}

}  // namespace
