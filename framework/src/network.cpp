#include "nas/network.h"

#include <ATen/ops/relu.h>

namespace nas {

at::Tensor TapImpl::forward(const at::Tensor& input) {
  if (!recording_) return at::relu(input);
  // A view gives this tap its own autograd node: the gradient with respect to it is the
  // gradient through this ReLU alone, even when several ReLUs read the same tensor (an NB201
  // node feeding two conv edges), as a per-module backward hook would see it. The view shares
  // storage with the input (no copy), so proxies can recognise taps that saw the same tensor
  // by data_ptr and compute per-tensor work once; the ReLU is out of place, so it stays intact.
  response_ = input.view_as(input);
  return at::relu(response_);
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
