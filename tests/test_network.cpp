// Tests of the Tap (nas/network.h) and its activation kinds (nas/activation.h) against values
// worked out by hand: each kind's function and slope at a few points, the recorded response
// (the pre-activation, whatever the kind) and the names.
#include <cmath>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include "nas/activation.h"
#include "nas/network.h"

namespace {

using nas::Activation;

const std::vector<double> kPoints = {-4, -1, 0, 2, 7};

struct Expected {
  Activation kind;
  std::vector<double> value;  // at kPoints
  std::vector<double> slope;  // d value / dx at kPoints
};

// By hand, at x = -4, -1, 0, 2, 7:
// * ReLU max(0, x): 0, 0, 0, 2, 7; slope 0 below 0, 1 above (torch takes 0 at the kink).
// * ReLU6 min(max(0, x), 6): 0, 0, 0, 2, 6 (clamped at 6); slope 1 only inside (0, 6).
// * h-swish x * ReLU6(x + 3) / 6: -4 -> -4 * 0 / 6 = 0; -1 -> -1 * 2 / 6 = -1/3; 0 -> 0;
//   2 -> 2 * 5 / 6 = 5/3; 7 -> 7 * 6 / 6 = 7 (x + 3 clamped at 6). Slope 0 below -3, 1 above
//   3, (2x + 3) / 6 between: 0, 1/6, 1/2, 7/6, 1.
// * SiLU x * s(x), s the logistic sigmoid: -4 / (1 + e^4), -1 / (1 + e), 0, 2 / (1 + e^-2),
//   7 / (1 + e^-7); slope s(x) (1 + x (1 - s(x))). Numbers from the closed forms in double.
std::vector<Expected> expectations() {
  auto s = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  std::vector<double> silu, silu_slope;
  for (double x : kPoints) {
    silu.push_back(x * s(x));
    silu_slope.push_back(s(x) * (1 + x * (1 - s(x))));
  }
  // The closed forms above, written out: SiLU(-1) = -1 / (1 + e) = -0.26894142137,
  // SiLU(2) = 1.76159415596, SiLU(7) = 6.99362264164.
  EXPECT_NEAR(silu[1], -0.26894142137, 1e-11);
  EXPECT_NEAR(silu[3], 1.76159415596, 1e-11);
  EXPECT_NEAR(silu[4], 6.99362264164, 1e-11);
  return {
      {Activation::kReLU, {0, 0, 0, 2, 7}, {0, 0, 0, 1, 1}},
      {Activation::kReLU6, {0, 0, 0, 2, 6}, {0, 0, 0, 1, 0}},
      {Activation::kHardSwish, {0, -1.0 / 3, 0, 5.0 / 3, 7}, {0, 1.0 / 6, 0.5, 7.0 / 6, 1}},
      {Activation::kSiLU, silu, silu_slope},
  };
}

at::Tensor points() { return at::tensor(kPoints, at::kFloat); }

TEST(Tap, EachKindAppliesItsFunction) {
  for (const Expected& e : expectations()) {
    SCOPED_TRACE(nas::activation_name(e.kind));
    nas::Tap tap(3, "relu", e.kind);
    EXPECT_EQ(tap->activation(), e.kind);
    EXPECT_EQ(tap->block(), 3);
    const at::Tensor y = tap->forward(points());
    ASSERT_EQ(y.numel(), 5);
    for (int i = 0; i < 5; ++i) {
      EXPECT_NEAR(y[i].item<float>(), e.value[i], 1e-6) << "x = " << kPoints[i];
    }
    EXPECT_FALSE(tap->has_response());  // not recording: nothing kept
  }
  // ReLU is the default kind.
  EXPECT_EQ(nas::Tap(0, "x")->activation(), Activation::kReLU);
}

TEST(Tap, RecordingKeepsThePreActivationAndItsGradient) {
  for (const Expected& e : expectations()) {
    SCOPED_TRACE(nas::activation_name(e.kind));
    nas::Tap tap(0, "relu", e.kind);
    tap->set_recording(true);
    const at::Tensor x = points().requires_grad_(true);
    const at::Tensor y = tap->forward(x);
    ASSERT_TRUE(tap->has_response());
    const at::Tensor& response = tap->response();
    // The input as it entered, not the activation's output; a view of the same storage.
    EXPECT_TRUE(response.equal(x.detach()));
    EXPECT_EQ(response.data_ptr(), x.data_ptr());
    for (int i = 0; i < 5; ++i) EXPECT_NEAR(y[i].item<float>(), e.value[i], 1e-6);
    // Gradients with respect to the response are the activation's slope.
    const at::Tensor slope = torch::autograd::grad({y.sum()}, {response})[0];
    for (int i = 0; i < 5; ++i) {
      EXPECT_NEAR(slope[i].item<float>(), e.slope[i], 1e-6) << "x = " << kPoints[i];
    }
    tap->set_recording(false);
    EXPECT_FALSE(tap->has_response());
  }
}

TEST(Activation, NamesRoundTripAndUnknownNamesAreRejected) {
  const std::vector<std::pair<Activation, std::string>> names = {{Activation::kReLU, "relu"},
                                                                 {Activation::kReLU6, "relu6"},
                                                                 {Activation::kHardSwish, "hswish"},
                                                                 {Activation::kSiLU, "silu"}};
  for (const auto& [kind, name] : names) {
    EXPECT_EQ(nas::activation_name(kind), name);
    ASSERT_TRUE(nas::parse_activation(name).has_value()) << name;
    EXPECT_EQ(*nas::parse_activation(name), kind);
  }
  for (const char* bad : {"ReLU", "RELU6", "swish", "h-swish", "hardswish", "gelu", "relu ", ""}) {
    EXPECT_FALSE(nas::parse_activation(bad).has_value()) << "'" << bad << "'";
  }
  EXPECT_EQ(nas::activation_names(nas::kAllActivations), "relu, relu6, hswish, silu");
  EXPECT_EQ(nas::activation_names(nas::activation_bit(Activation::kSiLU) |
                                  nas::activation_bit(Activation::kReLU)),
            "relu, silu");
  EXPECT_EQ(nas::activation_names(0), "(none)");
}

}  // namespace
