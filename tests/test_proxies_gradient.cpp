// Tests of the gradient and re-initialisation proxies (synflow, snip, grasp, fisher, grad_norm,
// plain, l2_norm/pnorm, zen, epsilon, ntk_cond, sensitivity) against facts the plugins did not
// produce:
// * tiny networks with weights written out here, scored by hand: closed forms, explicit loops
//   in double, or (Fisher of a conv + BN network) an explicit forward that keeps each layer's
//   output, as the reference's hooks do;
// * invariants: SynFlow ignores weight signs, sensitivity scales with sigma^2 on a linear
//   model, epsinas gives 0 for a positively homogeneous network, scores are deterministic;
// * recomputation of the shared-pass proxies from a naive pass on NAS-Bench-201 networks;
// * agreement on NAS-Bench-201 cells with the Python oracle (tests/oracle/oracle.py: synflow,
//   snip, epsilon) and with reference-style Python embedded below (grasp, fisher, zen,
//   ntk_cond, sensitivity), run with /usr/bin/python3; skipped when it has no torch.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/evaluator.h"
#include "nas/network.h"
#include "nas/params.h"
#include "nas/pass_results.h"
#include "nas/plugin_loader.h"
#include "nas/probe_context.h"
#include "nas/probe_engine.h"
#include "nas/proxy.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/seed.h"
#include "test_support.h"

namespace {

namespace nn = torch::nn;
using Values = std::vector<double>;

// ------------------------------------------------------------------------------------------
// Plugins

void load_all() {
  static bool done = false;
  if (done) return;
  std::string failures;
  for (const auto& report : nas::load_plugins()) {
    if (!report.loaded) failures += "\n  " + report.file + ": " + report.error;
  }
  for (const char* name : {"synflow", "snip", "grasp", "fisher", "grad_norm", "plain", "l2_norm",
                           "pnorm", "zen", "epsilon", "ntk_cond", "sensitivity"}) {
    if (nas::Registry::global().proxies.find(name) == nullptr) {
      throw std::runtime_error(std::string("proxy '") + name + "' not loaded" + failures);
    }
  }
  done = true;
}

nas::ProxySlot make_slot(const std::string& name,
                         const std::map<std::string, nas::ParamValue>& overrides = {}) {
  load_all();
  const auto& component = nas::Registry::global().proxies.get(name);
  nas::Params params = nas::Params::defaults(component.schema, name);
  for (const auto& [key, value] : overrides) params.set(key, value);
  nas::ProxySlot slot;
  slot.name = name;
  slot.proxy = component.create(params);
  slot.info = slot.proxy->info();
  return slot;
}

// ------------------------------------------------------------------------------------------
// A tiny space: networks small enough to score by hand, with weights written out here.
//   linear   flatten -> Linear(D, K)
//   mlp      flatten -> Linear(D, 3) -> tap -> Linear(3, K)        (mlp_neg: every sign flipped)
//   conv     Conv2d(C, 2, 2, no bias) -> BatchNorm2d(2) -> tap -> flatten -> Linear(., K)
//            (conv_relu6, conv_hswish: the same with a ReLU6 or h-swish tap)
//   res      flatten -> h = x + tap(Linear(D, D, no bias) x) -> Linear(D, K)

void assign(const at::Tensor& t, const Values& v) {
  ASSERT_EQ(static_cast<std::int64_t>(v.size()), t.numel());
  at::NoGradGuard no_grad;
  t.copy_(at::tensor(v, at::kDouble).reshape(t.sizes()));
}

Values formula(std::int64_t n, double a, double b) {
  Values v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(a * std::sin(1.3 * i + b) + 0.05 * (i % 3));
  return v;
}

// mlp weights (D = 4, K = 2), chosen so that SynFlow can be added up by hand below.
const Values kMlpW1 = {1, -2, 0, 1, 0, 1, -1, 0.5, -1, 0, 2, -1};
const Values kMlpB1 = {0.5, -1, 0};
const Values kMlpW2 = {1, -1, 2, -2, 1, 1};
const Values kMlpB2 = {1, -0.5};
// linear weights (D = 4, K = 3).
const Values kLinW = {0.5, -1, 0.25, 2, -0.5, 1.5, 1, -1, 1, 0, -2, 0.75};
const Values kLinB = {0.1, -0.2, 0.3};
// conv kernel (2 x 1 x 2 x 2).
const Values kConvW = {1, -0.5, 0.25, 2, -1, 0.5, 1.5, -0.75};

Values negated(Values v) {
  for (double& x : v) x = -x;
  return v;
}

class TinyNet : public nas::Network {
 public:
  TinyNet(const std::string& kind, const nas::NetSpec& spec) : kind_(kind) {
    const std::int64_t c = spec.in_channels, s = spec.input_size, k = spec.num_classes;
    const std::int64_t d = c * s * s;
    if (kind == "linear") {
      fc = register_module("fc", nas::ProbedLinear(d, k));
      assign(fc->weight, kLinW);
      assign(fc->bias, kLinB);
    } else if (kind == "mlp" || kind == "mlp_neg") {
      const bool neg = kind == "mlp_neg";
      fc1 = register_module("fc1", nas::ProbedLinear(d, 3));
      relu = make_tap(*this, "relu", 0);
      fc = register_module("fc", nas::ProbedLinear(3, k));
      assign(fc1->weight, neg ? negated(kMlpW1) : kMlpW1);
      assign(fc1->bias, neg ? negated(kMlpB1) : kMlpB1);
      assign(fc->weight, neg ? negated(kMlpW2) : kMlpW2);
      assign(fc->bias, neg ? negated(kMlpB2) : kMlpB2);
    } else if (is_conv()) {
      conv = register_module("conv", nas::ProbedConv2d(nn::Conv2dOptions(c, 2, 2).bias(false)));
      bn = register_module("bn", nn::BatchNorm2d(2));
      const nas::Activation a = kind == "conv_relu6"    ? nas::Activation::kReLU6
                                : kind == "conv_hswish" ? nas::Activation::kHardSwish
                                                        : nas::Activation::kReLU;
      if (kind != "conv_bare") relu = make_tap(*this, "relu", 0, a);
      fc = register_module("fc", nas::ProbedLinear(2 * (s - 1) * (s - 1), k));
      assign(conv->weight, kConvW);
      assign(fc->weight, formula(fc->weight.numel(), 0.7, 0.2));
      assign(fc->bias, formula(k, 0.1, 1.0));
    } else if (kind == "res") {
      fc1 = register_module("fc1", nas::ProbedLinear(nn::LinearOptions(d, d).bias(false)));
      relu = make_tap(*this, "relu", 0);
      fc = register_module("fc", nas::ProbedLinear(d, k));
      assign(fc1->weight, formula(d * d, 0.8, 0.4));
      assign(fc->weight, formula(k * d, 0.6, 2.0));
      assign(fc->bias, formula(k, 0.2, 0.3));
    } else {
      throw nas::Error("tiny: unknown network " + kind);
    }
    if (relu) relu->set_head(true);
    set_num_blocks(1);
  }

  at::Tensor forward(const at::Tensor& x) override {
    const std::int64_t n = x.size(0);
    if (kind_ == "linear") return fc->forward(x.reshape({n, -1}));
    if (kind_ == "conv_bare") return fc->forward(pooled_features(x).reshape({n, -1}));
    if (is_conv())
      return fc->forward(relu->forward(bn->forward(conv->forward(x))).reshape({n, -1}));
    if (kind_ == "res") {
      at::Tensor flat = x.reshape({n, -1});
      return fc->forward(flat + relu->forward(fc1->forward(flat)));
    }
    return fc->forward(relu->forward(fc1->forward(x.reshape({n, -1}))));
  }

  // "conv_bare" has no tap at all: like DARTS, its head reads BN's output without a
  // nonlinearity, which it offers as its pooled features.
  at::Tensor pooled_features(const at::Tensor& x) override {
    if (kind_ != "conv_bare") return {};
    return bn->forward(conv->forward(x));
  }

  bool is_conv() const {
    return kind_ == "conv" || kind_ == "conv_relu6" || kind_ == "conv_hswish" ||
           kind_ == "conv_bare";
  }

  std::string kind_;
  // Probed layers, as spaces build them (Fisher reads their recorded outputs).
  nas::ProbedLinear fc{nullptr}, fc1{nullptr};
  nas::ProbedConv2d conv{nullptr};
  nn::BatchNorm2d bn{nullptr};
  nas::Tap relu{nullptr};
};

class TinySpace : public nas::SearchSpace {
 public:
  std::string name() const override { return "tiny"; }
  nas::Arch parse(const std::string& text) const override { return nas::Arch("tiny", text); }
  nas::Arch sample(nas::Rng&) const override { throw nas::Error("tiny: no sampling"); }
  nas::Arch mutate(const nas::Arch&, nas::Rng&) const override {
    throw nas::Error("tiny: no mutation");
  }
  std::vector<nas::Decision> decisions() const override { return {}; }
  std::vector<int> encode(const nas::Arch&) const override { return {}; }
  nas::Arch decode(const std::vector<int>&) const override { throw nas::Error("tiny: no decode"); }
  std::shared_ptr<nas::Network> build(const nas::Arch& arch,
                                      const nas::NetSpec& spec) const override {
    nas::require_default_shape(spec, "tiny");
    return std::make_shared<TinyNet>(arch.str(), spec);
  }
  std::int64_t params(const nas::Arch&, const nas::NetSpec&) const override { return 0; }
  std::int64_t flops(const nas::Arch&, const nas::NetSpec&) const override { return 0; }
};

// Always the same samples (the first `size` of them), whatever the seed.
class FixedData : public nas::Dataset {
 public:
  FixedData(at::Tensor inputs, at::Tensor labels, int num_classes)
      : inputs_(std::move(inputs)), labels_(std::move(labels)), classes_(num_classes) {}
  nas::DataShape shape() const override {
    return {static_cast<int>(inputs_.size(1)), static_cast<int>(inputs_.size(2)), classes_};
  }
  nas::Batch batch(std::int64_t size, std::uint64_t, nas::Split) const override {
    return {inputs_.narrow(0, 0, size), labels_.narrow(0, 0, size)};
  }

 private:
  at::Tensor inputs_, labels_;
  int classes_;
};

// Four samples of shape 1 x 2 x 2 (D = 4).
const Values kX4 = {0.3, -1.2, 0.8,  0.5, -0.7, 0.1, 1.1, -0.4,
                    1.5, -0.3, -0.9, 0.2, -0.2, 0.9, 0.4, -1.3};

struct Tiny {
  std::string kind;
  nas::NetSpec spec;
  Values x;                  // N x D, row-major
  std::vector<long> labels;  // N
};

Tiny tiny(const std::string& kind, int classes, Values x = kX4, int size = 2) {
  Tiny t{kind, {}, std::move(x), {}};
  t.spec.in_channels = 1;
  t.spec.input_size = size;
  t.spec.num_classes = classes;
  const std::size_t n = t.x.size() / static_cast<std::size_t>(size * size);
  for (std::size_t i = 0; i < n; ++i) t.labels.push_back(static_cast<long>((i * 2 + 1) % classes));
  return t;
}

// Scores of `slots` on a tiny network through the real probe engine.
std::map<std::string, double> run_tiny(const Tiny& t, std::vector<nas::ProxySlot> slots,
                                       std::uint64_t seed = 7) {
  const auto n = static_cast<std::int64_t>(t.labels.size());
  at::Tensor x = at::tensor(t.x, at::kDouble)
                     .to(at::kFloat)
                     .reshape({n, 1, t.spec.input_size, t.spec.input_size});
  at::Tensor y = at::tensor(std::vector<std::int64_t>(t.labels.begin(), t.labels.end()), at::kLong);
  nas::ProbeOptions options;
  options.seed = seed;
  options.batch_size = n;
  options.net = t.spec;
  nas::ProbeEngine engine(std::make_shared<TinySpace>(),
                          std::make_shared<FixedData>(x, y, t.spec.num_classes), std::move(slots),
                          options);
  const nas::Evaluation e = engine.evaluate_one(nas::Arch("tiny", t.kind));
  std::map<std::string, double> out;
  for (const auto& r : e.scores) {
    EXPECT_EQ(r.status, nas::ScoreStatus::kOk) << r.proxy << ": " << r.message;
    out[r.proxy] = r.score;
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Hand computations for the linear network z = W x + b, L = mean cross-entropy.

struct LinearCase {
  std::size_t n, d, k;
  Values w, b, x;
  std::vector<long> y;
  double W(std::size_t r, std::size_t c) const { return w[r * d + c]; }
  double X(std::size_t s, std::size_t c) const { return x[s * d + c]; }
  std::vector<Values> logits() const {
    std::vector<Values> z(n, Values(k));
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t r = 0; r < k; ++r) {
        z[s][r] = b[r];
        for (std::size_t c = 0; c < d; ++c) z[s][r] += W(r, c) * X(s, c);
      }
    return z;
  }
  std::vector<Values> softmax() const {
    std::vector<Values> p = logits();
    for (Values& row : p) {
      double m = row[0], sum = 0;
      for (double v : row) m = std::max(m, v);
      for (double& v : row) sum += (v = std::exp(v - m));
      for (double& v : row) v /= sum;
    }
    return p;
  }
  // dL/dz: (p - onehot(y)) / N.
  std::vector<Values> dz() const {
    std::vector<Values> g = softmax();
    for (std::size_t s = 0; s < n; ++s) {
      g[s][static_cast<std::size_t>(y[s])] -= 1.0;
      for (double& v : g[s]) v /= static_cast<double>(n);
    }
    return g;
  }
  Values grad_w() const {  // dL/dW, k x d
    const auto g = dz();
    Values out(k * d, 0.0);
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t r = 0; r < k; ++r)
        for (std::size_t c = 0; c < d; ++c) out[r * d + c] += g[s][r] * X(s, c);
    return out;
  }
  // H g for the Hessian of L with respect to W: (1/N) sum_n [A_n (G x_n)] x_n^T,
  // A_n = diag(p_n) - p_n p_n^T.
  Values hessian_times(const Values& gw) const {
    const auto p = softmax();
    Values out(k * d, 0.0);
    for (std::size_t s = 0; s < n; ++s) {
      Values u(k, 0.0);  // G x_n
      for (std::size_t r = 0; r < k; ++r)
        for (std::size_t c = 0; c < d; ++c) u[r] += gw[r * d + c] * X(s, c);
      double pu = 0;
      for (std::size_t r = 0; r < k; ++r) pu += p[s][r] * u[r];
      for (std::size_t r = 0; r < k; ++r) {
        const double au = p[s][r] * u[r] - p[s][r] * pu;
        for (std::size_t c = 0; c < d; ++c) out[r * d + c] += au * X(s, c) / static_cast<double>(n);
      }
    }
    return out;
  }
};

LinearCase linear_case(const Tiny& t) {
  return {t.labels.size(), 4, 3, kLinW, kLinB, t.x, t.labels};
}

double rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

// ------------------------------------------------------------------------------------------
// Tiny networks, scored by hand

TEST(ProxiesGradientTiny, SynflowOfTwoLayerNetworkByHand) {
  // BN-free, |W|, input ones: h = |W1| 1 + |b1| = (4.5, 3.5, 4) > 0, so
  //   sum |W2 * dR/dW2| = sum_j h_j colsum_j|W2| = 4.5*3 + 3.5*2 + 4*3 = 32.5,
  //   sum |W1 * dR/dW1| = sum_j rowsum_j|W1| colsum_j|W2| = 4*3 + 2.5*2 + 4*3 = 29.
  const auto s = run_tiny(tiny("mlp", 2), {make_slot("synflow")});
  EXPECT_DOUBLE_EQ(s.at("synflow"), 61.5);
  // Signs do not matter: every parameter negated gives the same score.
  const auto neg = run_tiny(tiny("mlp_neg", 2), {make_slot("synflow")});
  EXPECT_DOUBLE_EQ(neg.at("synflow"), 61.5);
}

TEST(ProxiesGradientTiny, L2NormAndPnormByHand) {
  // ||W1||_F^2 = 1+4+0+1 + 0+1+1+0.25 + 1+0+4+1 = 14.25; ||W2||_F^2 = 12. Biases excluded.
  const auto s = run_tiny(tiny("mlp", 2), {make_slot("l2_norm"), make_slot("pnorm")});
  const double expected = std::sqrt(14.25) + std::sqrt(12.0);
  EXPECT_NEAR(s.at("l2_norm"), expected, 1e-12);
  EXPECT_EQ(s.at("pnorm"), s.at("l2_norm"));
}

TEST(ProxiesGradientTiny, SnipGradNormPlainGraspFisherOfLinearModelByHand) {
  const Tiny t = tiny("linear", 3);
  const auto s = run_tiny(t, {make_slot("snip"), make_slot("grad_norm"), make_slot("plain"),
                              make_slot("grasp"), make_slot("fisher")});
  const LinearCase c = linear_case(t);
  const Values g = c.grad_w();
  double snip = 0, norm2 = 0, plain = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    snip += std::abs(c.w[i] * g[i]);
    norm2 += g[i] * g[i];
    plain += c.w[i] * g[i];
  }
  const Values hg = c.hessian_times(g);
  double grasp = 0;
  for (std::size_t i = 0; i < hg.size(); ++i) grasp -= c.w[i] * hg[i];
  // Fisher of the single layer: a = z, dL/da = (p - y)/N, F_k = 0.5 mean_n (a g)^2, times D.
  const auto z = c.logits();
  const auto dz = c.dz();
  double fisher = 0;
  for (std::size_t r = 0; r < c.k; ++r) {
    double mean_sq = 0;
    for (std::size_t n = 0; n < c.n; ++n) mean_sq += std::pow(z[n][r] * dz[n][r], 2) / c.n;
    fisher += 0.5 * mean_sq * static_cast<double>(c.d);
  }
  // The network runs in float32.
  EXPECT_LT(rel(s.at("snip"), snip), 1e-5);
  EXPECT_LT(rel(s.at("grad_norm"), std::sqrt(norm2)), 1e-5);
  EXPECT_LT(rel(s.at("plain"), plain), 1e-5);
  EXPECT_LT(rel(s.at("grasp"), grasp), 1e-4);
  EXPECT_LT(rel(s.at("fisher"), fisher), 1e-5);
  EXPECT_GT(std::abs(grasp), 1e-4);  // the case is not degenerate
}

TEST(ProxiesGradientTiny, FisherOfConvBatchNormNetworkMatchesLayerOutputs) {
  // Conv -> BN -> ReLU -> Linear: the layer outputs and their gradients are read here straight
  // from an explicit forward (as the reference's hooks do), not from the autograd graph.
  Tiny t = tiny("conv", 3, formula(6 * 9, 1.0, 0.5), 3);
  const auto s = run_tiny(t, {make_slot("fisher")});

  TinyNet net("conv", t.spec);
  net.train();
  at::Tensor x = at::tensor(t.x, at::kDouble).to(at::kFloat).reshape({6, 1, 3, 3});
  at::Tensor y = at::tensor(std::vector<std::int64_t>(t.labels.begin(), t.labels.end()), at::kLong);
  at::Tensor a1 = net.conv->forward(x);
  at::Tensor h = at::relu(net.bn->forward(a1)).reshape({6, -1});
  at::Tensor a2 = net.fc->forward(h);
  at::Tensor loss = at::cross_entropy_loss(a2, y);
  auto g = torch::autograd::grad({loss}, {a1, a2});
  at::Tensor s1 = (a1 * g[0]).sum({2, 3}).to(at::kDouble);
  at::Tensor s2 = (a2 * g[1]).to(at::kDouble);
  const double expected = 0.5 * s1.pow(2).mean(0).sum().item<double>() * (1 * 2 * 2) +
                          0.5 * s2.pow(2).mean(0).sum().item<double>() * 8;
  EXPECT_LT(rel(s.at("fisher"), expected), 1e-6);
  EXPECT_GT(expected, 0.0);
}

TEST(ProxiesGradientTiny, NtkConditionNumberOfLinearModelByHand) {
  // For z = W x + b the gradient of sum_k z_nk with respect to W is 1_K x_n^T, whatever W is,
  // so NTK = K X X^T. Orthogonal rows of norms 1, 2, 3 give eigenvalues 3 * (1, 4, 9): kappa 9.
  const Tiny t = tiny("linear", 3, {1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3});
  EXPECT_NEAR(run_tiny(t, {make_slot("ntk_cond")}).at("ntk_cond"), 9.0, 1e-9);
  // Each repeat re-initialises the weights, which this NTK does not depend on.
  const auto repeated = run_tiny(t, {make_slot("ntk_cond", {{"repeats", std::int64_t{3}}})});
  EXPECT_NEAR(repeated.at("ntk_cond"), 9.0, 1e-9);
}

TEST(ProxiesGradientTiny, SensitivityScalesWithSigmaSquaredOnALinearModel) {
  // f(x + n) - f(x) = W n is linear in the noise, and the noise is sigma times the same draws,
  // so the variance scales with sigma^2; no noise gives exactly 0.
  const Tiny t = tiny("linear", 3);
  const double s1 = run_tiny(t, {make_slot("sensitivity")}).at("sensitivity");
  const double s2 = run_tiny(t, {make_slot("sensitivity", {{"sigma", 0.2}})}).at("sensitivity");
  const double s0 = run_tiny(t, {make_slot("sensitivity", {{"sigma", 0.0}})}).at("sensitivity");
  EXPECT_GT(s1, 0.0);
  EXPECT_LT(rel(s2, 4.0 * s1), 1e-4);
  EXPECT_EQ(s0, 0.0);
}

TEST(ProxiesGradientTiny, EpsilonByHand) {
  // A positively homogeneous network (no skip path) gives proportional logits for every
  // constant weight, so the min-max scaled outputs coincide and the score is 0.
  EXPECT_NEAR(run_tiny(tiny("mlp", 2), {make_slot("epsilon")}).at("epsilon"), 0.0, 1e-6);
  // With a skip path, constant weight w and zero biases give for every class
  //   z_n = w (S_n + D w relu(S_n)),  S_n = sum_i x_ni,  D = 4.
  const Tiny t = tiny("res", 3);
  const double eps = run_tiny(t, {make_slot("epsilon")}).at("epsilon");
  std::vector<Values> p;
  for (double w : {1e-7, 1.0}) {
    Values z;
    for (std::size_t n = 0; n < 4; ++n) {
      double sum = 0;
      for (std::size_t i = 0; i < 4; ++i) sum += t.x[n * 4 + i];
      for (int k = 0; k < 3; ++k) z.push_back(w * (sum + 4 * w * std::max(sum, 0.0)));
    }
    const double lo = *std::min_element(z.begin(), z.end());
    const double hi = *std::max_element(z.begin(), z.end());
    for (double& v : z) v = (v - lo) / (hi - lo);
    p.push_back(z);
  }
  double mae = 0, mean = 0;
  int n_mae = 0, n_mean = 0;
  for (std::size_t i = 0; i < p[0].size(); ++i) {
    const bool ok0 = p[0][i] != 0.0, ok1 = p[1][i] != 0.0;  // zeros are NaN
    if (ok0 && ok1) mae += std::abs(p[0][i] - p[1][i]), ++n_mae;
    if (ok0) mean += p[0][i], ++n_mean;
    if (ok1) mean += p[1][i], ++n_mean;
  }
  const double expected = (mae / n_mae) / (mean / n_mean);
  EXPECT_GT(expected, 0.01);
  EXPECT_LT(rel(eps, expected), 1e-5);
}

// Conv(1->2, 2x2) -> BN -> head tap of kind `kind` on 3x3 inputs, worked out in double with
// explicit loops: Gaussian re-init (conv weight, then linear weight, from the proxy's
// generator), x then e from the same generator, both forwards in train mode, F = act(BN
// output), and
//   running_var = 0.9 (0.9 * 1 + 0.1 v1) + 0.1 v2   (unbiased batch variances).
void expect_zen_by_hand(const std::string& kind, double (*act)(double)) {
  const std::int64_t batch = 8;
  const Tiny t = tiny(kind, 3, formula(2 * 9, 1.0, 0.5), 3);
  const std::uint64_t master = 11;
  const auto s = run_tiny(t, {make_slot("zen", {{"batch", batch}})}, master);

  at::Generator gen =
      at::detail::createCPUGenerator(nas::torch_seed(nas::derive_seed(master, "zen", kind)));
  at::Tensor w = at::empty({2, 1, 2, 2}, at::kFloat).normal_(0.0, 1.0, gen);
  at::empty({3, 8}, at::kFloat).normal_(0.0, 1.0, gen);  // the linear layer's draw
  at::Tensor x = at::randn({batch, 1, 3, 3}, gen, at::kFloat);
  at::Tensor e = at::randn({batch, 1, 3, 3}, gen, at::kFloat);
  at::Tensor mixed = x + 0.01 * e;
  auto acc = [](const at::Tensor& v) { return v.accessor<float, 4>(); };
  const auto W = acc(w);
  struct Pass {
    std::vector<double> f;  // features n, c, i, j
    double var_unbiased[2];
  };
  auto pass = [&](const at::Tensor& input) {
    const auto in = acc(input);
    std::vector<double> a(batch * 2 * 4);
    for (std::int64_t n = 0; n < batch; ++n)
      for (int c = 0; c < 2; ++c)
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j) {
            double v = 0;
            for (int u = 0; u < 2; ++u)
              for (int q = 0; q < 2; ++q) v += W[c][0][u][q] * in[n][0][i + u][j + q];
            a[((n * 2 + c) * 2 + i) * 2 + j] = v;
          }
    Pass p;
    p.f.resize(a.size());
    const double m = static_cast<double>(batch * 4);
    for (int c = 0; c < 2; ++c) {
      double mean = 0, ss = 0;
      for (std::int64_t n = 0; n < batch; ++n)
        for (int k = 0; k < 4; ++k) mean += a[(n * 2 + c) * 4 + k] / m;
      for (std::int64_t n = 0; n < batch; ++n)
        for (int k = 0; k < 4; ++k) ss += std::pow(a[(n * 2 + c) * 4 + k] - mean, 2);
      p.var_unbiased[c] = ss / (m - 1);
      for (std::int64_t n = 0; n < batch; ++n)
        for (int k = 0; k < 4; ++k) {
          const std::size_t idx = (n * 2 + c) * 4 + k;
          p.f[idx] = act((a[idx] - mean) / std::sqrt(ss / m + 1e-5));
        }
    }
    return p;
  };
  const Pass p1 = pass(x), p2 = pass(mixed);
  double delta = 0;
  for (std::size_t i = 0; i < p1.f.size(); ++i) delta += std::abs(p1.f[i] - p2.f[i]) / batch;
  double mean_var = 0;
  for (int c = 0; c < 2; ++c) {
    mean_var += (0.81 + 0.09 * p1.var_unbiased[c] + 0.1 * p2.var_unbiased[c]) / 2;
  }
  const double expected = std::log(delta) + std::log(std::sqrt(mean_var));
  EXPECT_NEAR(s.at("zen"), expected, 2e-4);
}

TEST(ProxiesGradientTiny, ZenByHandWithBatchNormRunningVarianceMixture) {
  expect_zen_by_hand("conv", [](double x) { return std::max(0.0, x); });
}

TEST(ProxiesGradientTiny, ZenReadsTheHeadThroughItsOwnActivation) {
  // An h-swish head: F = x * min(max(x + 3, 0), 6) / 6, which differs from relu(x) on every
  // BN output in (-3, 3), i.e. on nearly all of them.
  expect_zen_by_hand("conv_hswish",
                     [](double x) { return x * std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0; });
}

TEST(ProxiesGradientTiny, ZenReadsThePooledFeaturesOfANetworkWithoutAHeadTap) {
  // DARTS and NAS-Bench-101 pool the last cell's output with no nonlinearity between: F is
  // that map itself (Network::pooled_features), here BN's output.
  expect_zen_by_hand("conv_bare", [](double x) { return x; });
}

TEST(ProxiesGradientTiny, ReluOnlyProxiesRefuseAReLU6Tap) {
  // The binary-code proxies assume ReLU's single kink at 0: on a network with a ReLU6 tap
  // the engine gives them an error status naming the proxy, the tap's kind and the accepted
  // kinds; proxies that accept every kind score the same network.
  const Tiny t = tiny("conv_relu6", 3, formula(6 * 9, 1.0, 0.5), 3);
  const auto n = static_cast<std::int64_t>(t.labels.size());
  at::Tensor x = at::tensor(t.x, at::kDouble).to(at::kFloat).reshape({n, 1, 3, 3});
  at::Tensor y = at::tensor(std::vector<std::int64_t>(t.labels.begin(), t.labels.end()), at::kLong);
  nas::ProbeOptions options;
  options.batch_size = n;
  options.net = t.spec;
  std::vector<nas::ProxySlot> slots = {
      make_slot("nwot"),
      make_slot("swap", {{"repeats", std::int64_t{1}}}),
      make_slot("reg_swap", {{"repeats", std::int64_t{1}}}),
      make_slot("linear_regions", {{"mode", std::string("full")}, {"repeats", std::int64_t{1}}}),
      make_slot("wrcor", {{"hooks", std::string("relu")}}),
      make_slot("zen", {{"batch", std::int64_t{4}}}),
      make_slot("grad_norm")};
  nas::ProbeEngine engine(std::make_shared<TinySpace>(),
                          std::make_shared<FixedData>(x, y, t.spec.num_classes), slots, options);
  const nas::Evaluation e = engine.evaluate_one(nas::Arch("tiny", "conv_relu6"));
  ASSERT_EQ(e.scores.size(), slots.size());
  for (const auto& r : e.scores) {
    SCOPED_TRACE(r.proxy);
    if (r.proxy == "wrcor" || r.proxy == "zen" || r.proxy == "grad_norm") {
      EXPECT_EQ(r.status, nas::ScoreStatus::kOk) << r.message;
      EXPECT_TRUE(std::isfinite(r.score));
    } else {
      EXPECT_EQ(r.status, nas::ScoreStatus::kError);
      EXPECT_TRUE(std::isnan(r.score));
      EXPECT_EQ(r.message, "proxy '" + r.proxy +
                               "' accepts taps of kind relu only, but tap 0 ('relu') is relu6");
    }
  }
}

TEST(ProxiesGradientTiny, ScoringTwiceOnOneContextGivesTheSameScore) {
  // A proxy that changes its own network must not let the first call leak into the second
  // (re-initialisations, BatchNorm statistics, dtype changes, hooks).
  const Tiny t = tiny("conv", 3, formula(6 * 9, 1.0, 0.5), 3);
  nas::PassResults shared;
  shared.batch.inputs = at::tensor(t.x, at::kDouble).to(at::kFloat).reshape({6, 1, 3, 3});
  shared.batch.labels =
      at::tensor(std::vector<std::int64_t>(t.labels.begin(), t.labels.end()), at::kLong);
  TinySpace space;
  const nas::Arch arch("tiny", "conv");
  for (const char* name :
       {"synflow", "grasp", "fisher", "zen", "epsilon", "ntk_cond", "sensitivity"}) {
    std::map<std::string, nas::ParamValue> params;
    if (std::string(name) == "zen") params["batch"] = std::int64_t{4};
    nas::ProxySlot slot = make_slot(name, params);
    ASSERT_TRUE(slot.info.modifies_network) << name;
    nas::ProbeContext context(name, arch, space, t.spec, slot.info, 3, &shared,
                              std::make_shared<TinyNet>("conv", t.spec));
    const double first = slot.proxy->score(context);
    EXPECT_TRUE(std::isfinite(first)) << name;
    EXPECT_EQ(slot.proxy->score(context), first) << name;
  }
}

// ------------------------------------------------------------------------------------------
// NAS-Bench-201

const std::vector<std::string> kCells = {
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
    "nor_conv_1x1~2|",
    "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
    "skip_connect~2|",
};

class Nb201Proxies : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    load_all();
    const auto& sc = nas::Registry::global().spaces.get("nb201");
    space_ = sc.create(nas::Params::defaults(sc.schema, "nb201"));
    const auto& dc = nas::Registry::global().datasets.get("synthetic");
    data_ = dc.create(nas::Params::defaults(dc.schema, "synthetic"));
  }
  static void TearDownTestSuite() {
    space_.reset();
    data_.reset();
  }
  static nas::ProbeEngine engine(std::vector<nas::ProxySlot> slots, std::int64_t batch,
                                 std::shared_ptr<const nas::Dataset> data = nullptr) {
    nas::ProbeOptions options;
    options.seed = kMaster;
    options.batch_size = batch;
    return nas::ProbeEngine(space_, data ? data : data_, std::move(slots), options);
  }
  static std::uint64_t net_seed(const nas::Arch& arch) {
    return nas::torch_seed(nas::derive_seed(kMaster, "network", arch.str()));
  }
  static constexpr std::uint64_t kMaster = 2024;
  static std::shared_ptr<nas::SearchSpace> space_;
  static std::shared_ptr<nas::Dataset> data_;
};
std::shared_ptr<nas::SearchSpace> Nb201Proxies::space_;
std::shared_ptr<nas::Dataset> Nb201Proxies::data_;

std::map<std::string, nas::ScoreRecord> by_name(const nas::Evaluation& e) {
  std::map<std::string, nas::ScoreRecord> out;
  for (const auto& r : e.scores) out[r.proxy] = r;
  return out;
}

// A smoke test: it checks only that every gradient proxy runs on a real NB201 cell, is
// deterministic and lands in its range (the printed table is for the eye). The values
// themselves are pinned by the oracle tests below and in test_proxies_correlation.
TEST_F(Nb201Proxies, SmokeAllRunFiniteDeterministicAndInRange) {
  std::vector<nas::ProxySlot> slots;
  for (const char* name : {"synflow", "snip", "grasp", "fisher", "grad_norm", "plain", "l2_norm",
                           "pnorm", "zen", "epsilon", "ntk_cond", "sensitivity"}) {
    std::map<std::string, nas::ParamValue> params;
    if (std::string(name) == "zen") params["batch"] = std::int64_t{16};
    slots.push_back(make_slot(name, params));
  }
  auto eng = engine(slots, 16);
  const nas::Arch arch = space_->parse(kCells[0]);
  const auto first = by_name(eng.evaluate_one(arch));
  const auto second = by_name(eng.evaluate_one(arch));
  for (const auto& [name, r] : first) {
    EXPECT_EQ(r.status, nas::ScoreStatus::kOk) << name << ": " << r.message;
    EXPECT_TRUE(std::isfinite(r.score)) << name;
    EXPECT_EQ(r.score, second.at(name).score) << name << " is not deterministic";
    std::printf("  %-12s %14.6g  %.3f s\n", name.c_str(), r.score, r.seconds);
  }
  for (const char* name : {"synflow", "snip", "fisher", "grad_norm", "l2_norm", "ntk_cond",
                           "sensitivity", "epsilon"}) {
    EXPECT_GT(first.at(name).score, 0.0) << name;
  }
  EXPECT_EQ(first.at("pnorm").score, first.at("l2_norm").score);
  EXPECT_GE(first.at("ntk_cond").score, 1.0);
}

TEST_F(Nb201Proxies, SharedPassProxiesMatchANaiveRecomputation) {
  auto eng = engine(
      {make_slot("snip"), make_slot("grad_norm"), make_slot("plain"), make_slot("l2_norm")}, 16);
  const nas::Arch arch = space_->parse(kCells[1]);
  const auto s = by_name(eng.evaluate_one(arch));

  torch::manual_seed(net_seed(arch));
  auto net = space_->build(arch, nas::NetSpec());
  const nas::Batch b = data_->batch(16, nas::derive_seed(kMaster, "batch", arch.str()));
  net->train();
  at::cross_entropy_loss(net->forward(b.inputs), b.labels).backward();
  double snip = 0, norm = 0, plain = 0, l2 = 0;
  for (const auto& m : net->modules()) {
    at::Tensor w;
    if (auto* conv = m->as<nn::Conv2dImpl>()) w = conv->weight;
    if (auto* lin = m->as<nn::LinearImpl>()) w = lin->weight;
    if (!w.defined()) continue;
    const at::Tensor wd = w.detach().to(at::kDouble), gd = w.grad().to(at::kDouble);
    snip += (wd * gd).abs().sum().item<double>();
    norm += gd.pow(2).sum().sqrt().item<double>();
    plain += (wd * gd).sum().item<double>();
    l2 += wd.pow(2).sum().sqrt().item<double>();
  }
  EXPECT_LT(rel(s.at("snip").score, snip), 1e-9);
  EXPECT_LT(rel(s.at("grad_norm").score, norm), 1e-9);
  EXPECT_LT(rel(s.at("plain").score, plain), 1e-9);
  EXPECT_LT(rel(s.at("l2_norm").score, l2), 1e-12);
}

TEST_F(Nb201Proxies, SynflowIgnoresTheSignsOfTheWeights) {
  const nas::Arch arch = space_->parse(kCells[0]);
  nas::ProxySlot slot = make_slot("synflow");
  auto score_of = [&](bool flip) {
    torch::manual_seed(net_seed(arch));
    std::shared_ptr<nas::Network> net = space_->build(arch, nas::NetSpec());
    if (flip) {
      at::NoGradGuard no_grad;
      for (auto& p : net->parameters()) p.neg_();
    }
    nas::PassResults shared;
    nas::ProbeContext context(slot.name, arch, *space_, nas::NetSpec(), slot.info, 1, &shared, net);
    return slot.proxy->score(context);
  };
  const double plain = score_of(false);
  EXPECT_GT(plain, 0.0);
  EXPECT_EQ(score_of(true), plain);
}

// Per-proxy seconds per NAS-Bench-201 cell at the default parameters and batch 64, one torch
// thread (each ScoreRecord's seconds includes its share of the shared pass). Not part of the
// suite: run with --gtest_also_run_disabled_tests --gtest_filter='*Timing*'.
TEST_F(Nb201Proxies, DISABLED_TimingPerCellBatch64) {
  std::vector<nas::ProxySlot> slots;
  for (const char* name : {"synflow", "snip", "grasp", "fisher", "grad_norm", "plain", "l2_norm",
                           "zen", "epsilon", "ntk_cond", "sensitivity"}) {
    slots.push_back(make_slot(name));
  }
  auto eng = engine(slots, 64);
  std::map<std::string, double> seconds;
  for (const auto& cell : kCells) {
    for (const auto& r : eng.evaluate_one(space_->parse(cell)).scores) {
      EXPECT_EQ(r.status, nas::ScoreStatus::kOk) << r.proxy << ": " << r.message;
      seconds[r.proxy] += r.seconds / static_cast<double>(kCells.size());
    }
  }
  for (const auto& [name, sec] : seconds) std::printf("  %-12s %.3f s/cell\n", name.c_str(), sec);
}

// Reference-style Python for the proxies the oracle does not cover, written after the
// reference code (zero-cost-nas grasp.py with its two forwards and fisher.py with its hooked
// identity, ZenNAS compute_zen_score, TE-NAS get_ntk_n, mahf93 find_sen): module hooks and
// per-sample .backward() instead of this framework's graph walk, shared passes and autograd
// calls. It builds the networks with the oracle's NB201 builder and draws its randomness
// from torch.Generator objects seeded like the C++ proxies' generators.
const char* kReferencePython = R"PY(
import copy, json, sys, types
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
spec = json.load(open(sys.argv[1]))
sys.path.insert(0, spec["oracle_dir"])
from nb201_net import build
n = spec["N"]
x = torch.from_numpy(np.fromfile(spec["x"], dtype="<f4").reshape(n, 3, 32, 32))
y = torch.from_numpy(np.fromfile(spec["y"], dtype="<i8"))

def layers(net): return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]

def grasp(net):
    net = copy.deepcopy(net).train()
    ws = [l.weight for l in layers(net)]
    gw = torch.autograd.grad(F.cross_entropy(net(x), y), ws, allow_unused=True)
    gf = torch.autograd.grad(F.cross_entropy(net(x), y), ws, create_graph=True, allow_unused=True)
    z = sum((a.data * b).sum() for a, b in zip(gw, gf) if a is not None)
    z.backward()
    return sum((-l.weight.data * l.weight.grad).double().sum().item()
               for l in layers(net) if l.weight.grad is not None)

def fisher(net):
    net = copy.deepcopy(net).train()
    def fconv(self, t):
        self.act = self.dummy(F.conv2d(t, self.weight, self.bias, self.stride, self.padding,
                                       self.dilation, self.groups))
        return self.act
    def flin(self, t):
        self.act = self.dummy(F.linear(t, self.weight, self.bias))
        return self.act
    def hook_for(layer):
        def hook(module, gin, gout):
            act, g = layer.act.detach(), gout[0].detach()
            s = (act * g).sum(list(range(2, act.dim()))) if act.dim() > 2 else act * g
            f = s.pow(2).mean(0).mul(0.5)
            layer.fisher = f if layer.fisher is None else layer.fisher + f
        return hook
    for l in layers(net):
        l.fisher, l.dummy = None, nn.Identity()
        l.forward = types.MethodType(fconv if isinstance(l, nn.Conv2d) else flin, l)
        l.dummy.register_backward_hook(hook_for(l))
    F.cross_entropy(net(x), y).backward()
    return sum(l.fisher.abs().double().sum().item() * float(np.prod(l.weight.shape[1:]))
               for l in layers(net) if l.fisher is not None)

def reinit(net, g, std):
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.normal_(0, std(m.weight), generator=g)
                if m.bias is not None: m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.fill_(1); m.bias.zero_()

def zen(net, seed, batch):
    net = copy.deepcopy(net).train(); g = torch.Generator().manual_seed(seed)
    reinit(net, g, lambda w: 1.0)
    with torch.no_grad():
        a = torch.randn([batch, 3, 32, 32], generator=g)
        b = torch.randn([batch, 3, 32, 32], generator=g)
        feats = []
        h = net.lastact.register_forward_hook(lambda mod, i, o: feats.append(o.clone()))
        net(a); net(a + 0.01 * b); h.remove()
        d = torch.sum(torch.abs(feats[0].double() - feats[1].double()), dim=[1, 2, 3]).mean()
        bn = sum(np.log(np.sqrt(m.running_var.double().mean().item()))
                 for m in net.modules() if isinstance(m, nn.BatchNorm2d))
        return float(torch.log(d)) + bn

def ntk(net, seed):
    net = copy.deepcopy(net).train(); g = torch.Generator().manual_seed(seed)
    reinit(net, g, lambda w: (2.0 / w[0].numel()) ** 0.5)
    net.zero_grad(); logit = net(x.clone()); rows = []
    for i in range(n):
        logit[i:i+1].backward(torch.ones_like(logit[i:i+1]), retain_graph=True)
        rows.append(torch.cat([w.grad.view(-1).detach() for name, w in net.named_parameters()
                               if 'weight' in name and w.grad is not None]))
        net.zero_grad()
    G = torch.stack(rows).double(); e = torch.linalg.eigvalsh(G @ G.T)
    return (e[-1] / e[0]).item()

def sensitivity(net, seed):
    net = copy.deepcopy(net).eval(); g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        noise = torch.randn(x.shape, generator=g) * 0.1
        err = (net(x + noise).double() - net(x).double()).numpy()
    return float(np.var(err.mean(1)))

out = {}
for arch, c in spec["archs"].items():
    net = build(arch, c["network"], 10, head_inplace=False)
    out[arch] = {"grasp": grasp(net), "fisher": fisher(net),
                 "zen": zen(net, c["zen"], spec["zen_batch"]), "ntk_cond": ntk(net, c["ntk_cond"]),
                 "sensitivity": sensitivity(net, c["sensitivity"])}
json.dump(out, open(sys.argv[2], "w"))
)PY";

bool python_has_torch() {
  static const bool ok =
      nas::test::run_command("/usr/bin/python3 -c 'import torch, numpy'").status == 0;
  return ok;
}

void write_batch(const nas::Batch& b, const std::string& x_file, const std::string& y_file) {
  std::ofstream xs(x_file, std::ios::binary);
  at::Tensor x = b.inputs.contiguous();
  xs.write(static_cast<const char*>(x.data_ptr()), x.numel() * sizeof(float));
  std::ofstream ys(y_file, std::ios::binary);
  at::Tensor y = b.labels.contiguous();
  ys.write(static_cast<const char*>(y.data_ptr()), y.numel() * sizeof(std::int64_t));
}

// Agreement with the Python oracle: same seeds, same batch, independent implementation.
TEST_F(Nb201Proxies, SynflowSnipEpsilonAgreeWithThePythonOracle) {
  if (!python_has_torch()) NAS_ORACLE_MISSING("/usr/bin/python3 cannot import torch and numpy");
  const std::int64_t n = 32;
  const nas::Batch b = data_->batch(n, 99);
  auto fixed = std::make_shared<FixedData>(b.inputs, b.labels, 10);
  auto eng = engine({make_slot("synflow"), make_slot("snip"), make_slot("epsilon")}, n, fixed);

  nas::test::TempDir dir;
  write_batch(b, dir.file("x.f32"), dir.file("y.i64"));
  nlohmann::json spec;
  spec["archs"] = kCells;
  for (const auto& cell : kCells) spec["seed_per_arch"][cell] = net_seed(space_->parse(cell));
  spec["num_classes"] = 10;
  spec["batch_inputs"] = "x.f32";
  spec["batch_labels"] = "y.i64";
  spec["N"] = n;
  spec["proxies"] = {"synflow", "snip", "epsilon"};
  spec["head_quirk"] = false;
  spec["epsilon_bn"] = "batch";
  std::ofstream(dir.file("spec.json")) << spec.dump();

  const std::string oracle = nas::test::source_dir() + "/tests/oracle/oracle.py";
  const auto run = nas::test::run_command("/usr/bin/python3 " + oracle + " " +
                                          dir.file("spec.json") + " -o " + dir.file("out.json"));
  ASSERT_EQ(run.status, 0) << run.output;
  const nlohmann::json out = nlohmann::json::parse(nas::test::read_file(dir.file("out.json")));

  for (const auto& cell : kCells) {
    const auto s = by_name(eng.evaluate_one(space_->parse(cell)));
    for (const char* proxy : {"synflow", "snip", "epsilon"}) {
      ASSERT_TRUE(out[cell][proxy].is_number()) << cell << " " << proxy << ": " << out[cell][proxy];
      const double expected = out[cell][proxy].get<double>();
      EXPECT_LT(rel(s.at(proxy).score, expected), 1e-6)
          << cell << " " << proxy << ": C++ " << s.at(proxy).score << ", oracle " << expected;
    }
  }
}

// grasp, fisher, zen, ntk_cond and sensitivity against the reference-style Python above:
// same weights, batch and generator seeds; two cells, batch 8 to keep the test short.
TEST_F(Nb201Proxies, OtherProxiesAgreeWithReferenceStylePython) {
  if (!python_has_torch()) NAS_ORACLE_MISSING("/usr/bin/python3 cannot import torch and numpy");
  const std::int64_t n = 8, zen_batch = 8;
  const nas::Batch b = data_->batch(n, 5);
  const std::vector<std::string> proxies = {"grasp", "fisher", "zen", "ntk_cond", "sensitivity"};
  std::vector<nas::ProxySlot> slots;
  for (const auto& name : proxies) {
    std::map<std::string, nas::ParamValue> params;
    if (name == "zen") params["batch"] = zen_batch;
    slots.push_back(make_slot(name, params));
  }
  auto eng = engine(slots, n, std::make_shared<FixedData>(b.inputs, b.labels, 10));

  nas::test::TempDir dir;
  write_batch(b, dir.file("x.f32"), dir.file("y.i64"));
  nlohmann::json spec;
  spec["oracle_dir"] = nas::test::source_dir() + "/tests/oracle";
  spec["x"] = dir.file("x.f32");
  spec["y"] = dir.file("y.i64");
  spec["N"] = n;
  spec["zen_batch"] = zen_batch;
  std::map<std::string, std::map<std::string, double>> cpp;
  for (const std::string& cell : {kCells[1], kCells[2]}) {
    const nas::Arch arch = space_->parse(cell);
    spec["archs"][cell]["network"] = net_seed(arch);
    for (const auto& r : eng.evaluate_one(arch).scores) {
      EXPECT_EQ(r.status, nas::ScoreStatus::kOk) << r.proxy << ": " << r.message;
      spec["archs"][cell][r.proxy] = nas::torch_seed(r.seed);
      cpp[cell][r.proxy] = r.score;
    }
  }
  std::ofstream(dir.file("spec.json")) << spec.dump();
  std::ofstream(dir.file("reference.py")) << kReferencePython;
  const auto run = nas::test::run_command("/usr/bin/python3 -W ignore " + dir.file("reference.py") +
                                          " " + dir.file("spec.json") + " " + dir.file("out.json"));
  ASSERT_EQ(run.status, 0) << run.output;
  const nlohmann::json out = nlohmann::json::parse(nas::test::read_file(dir.file("out.json")));
  for (const auto& [cell, scores] : cpp) {
    for (const auto& name : proxies) {
      const double expected = out[cell][name].get<double>();
      EXPECT_LT(rel(scores.at(name), expected), 1e-6)
          << cell << " " << name << ": C++ " << scores.at(name) << ", Python " << expected;
    }
  }
}

}  // namespace
