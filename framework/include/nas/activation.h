// Activation: the nonlinearity a Tap applies.
//
// Contract: a Tap records its pre-activation whatever its kind, so every proxy sees the same
// kind of tensor; what differs is where the kinks are. ReLU has one kink at 0 and zero slope
// below it, ReLU6 has kinks at 0 and 6, h-swish (x * ReLU6(x + 3) / 6) is flat below -3 and
// linear above 3 with a curved piece between, and SiLU (x * sigmoid(x)) is smooth everywhere.
// Proxies whose formula assumes the ReLU's single kink at 0 (activation patterns, binary codes,
// linear regions) say which kinds they accept in ProxyInfo::tap_activations, and the probe
// engine refuses a network with a tap of another kind rather than return a meaningless number.
// Torch-free: usable in headers that must not include LibTorch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nas {

enum class Activation : std::uint8_t { kReLU = 0, kReLU6 = 1, kHardSwish = 2, kSiLU = 3 };

// A set of activation kinds as bits (bit i is Activation value i).
using ActivationSet = std::uint32_t;
constexpr ActivationSet activation_bit(Activation a) {
  return ActivationSet{1} << static_cast<unsigned>(a);
}
constexpr ActivationSet kAllActivations =
    activation_bit(Activation::kReLU) | activation_bit(Activation::kReLU6) |
    activation_bit(Activation::kHardSwish) | activation_bit(Activation::kSiLU);

// "relu", "relu6", "hswish", "silu".
std::string activation_name(Activation a);
// The names of the kinds in a set, in enum order, comma-separated ("relu, relu6").
std::string activation_names(ActivationSet set);
// Parses a name as written by activation_name; nullopt for anything else.
std::optional<Activation> parse_activation(const std::string& name);

}  // namespace nas
