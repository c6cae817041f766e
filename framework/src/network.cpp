#include "nas/network.h"

#include <ATen/ops/relu.h>

namespace nas {

at::Tensor TapImpl::forward(const at::Tensor& input) {
  // The input is kept as it is (no copy): the ReLU below is out of place, so the tensor is not
  // overwritten, and keeping the graph node lets the engine take gradients with respect to it.
  if (recording_) response_ = input;
  return at::relu(input);
}

void TapImpl::set_recording(bool on) {
  recording_ = on;
  if (!on) response_ = at::Tensor();
}

Network::~Network() = default;

Tap Network::make_tap(torch::nn::Module& owner, const std::string& name, int block) {
  Tap tap(block, name);
  owner.register_module(name, tap);
  taps_.push_back(tap);
  return tap;
}

void Network::set_recording(bool on) {
  for (auto& tap : taps_) tap->set_recording(on);
}

void Network::clear_responses() {
  for (auto& tap : taps_) tap->clear();
}

}  // namespace nas
