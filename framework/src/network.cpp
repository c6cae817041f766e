#include "nas/network.h"

#include <ATen/ops/hardswish.h>
#include <ATen/ops/hardtanh.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/silu.h>

namespace nas {

at::Tensor apply_activation(Activation a, const at::Tensor& x) {
  switch (a) {
    case Activation::kReLU:
      return at::relu(x);
    case Activation::kReLU6:
      return at::hardtanh(x, 0.0, 6.0);
    case Activation::kHardSwish:
      return at::hardswish(x);
    case Activation::kSiLU:
      return at::silu(x);
  }
  return at::relu(x);
}

at::Tensor TapImpl::forward(const at::Tensor& input) {
  if (!recording_) return apply_activation(activation_, input);
  // A view gives this tap its own autograd node: the gradient with respect to it is the
  // gradient through this activation alone, even when several taps read the same tensor (an NB201
  // node feeding two conv edges), as a per-module backward hook would see it. The view shares
  // storage with the input (no copy), so proxies can recognise taps that saw the same tensor
  // by data_ptr and compute per-tensor work once; the activation is out of place, so it stays
  // intact.
  response_ = input.view_as(input);
  return apply_activation(activation_, response_);
}

void TapImpl::set_recording(bool on) {
  recording_ = on;
  if (!on) response_ = at::Tensor();
}

at::Tensor ProbedConv2dImpl::forward(const at::Tensor& input) {
  at::Tensor y = torch::nn::Conv2dImpl::forward(input);
  if (!recording) return y;
  output = y.view_as(y);
  return output;
}

at::Tensor ProbedLinearImpl::forward(const at::Tensor& input) {
  at::Tensor y = torch::nn::LinearImpl::forward(input);
  if (!recording) return y;
  output = y.view_as(y);
  return output;
}

void set_layer_recording(torch::nn::Module& net, bool on) {
  for (const auto& m : net.modules(/*include_self=*/true)) {
    if (auto* c = dynamic_cast<ProbedConv2dImpl*>(m.get())) {
      c->recording = on;
      if (!on) c->output = at::Tensor();
    } else if (auto* l = dynamic_cast<ProbedLinearImpl*>(m.get())) {
      l->recording = on;
      if (!on) l->output = at::Tensor();
    }
  }
}

std::vector<at::Tensor> layer_outputs(torch::nn::Module& net) {
  std::vector<at::Tensor> out;
  for (const auto& m : net.modules(/*include_self=*/true)) {
    if (auto* c = dynamic_cast<ProbedConv2dImpl*>(m.get())) out.push_back(c->output);
    if (auto* l = dynamic_cast<ProbedLinearImpl*>(m.get())) out.push_back(l->output);
  }
  return out;
}

Network::~Network() = default;

Tap Network::make_tap(torch::nn::Module& owner, const std::string& name, int block,
                      Activation activation) {
  Tap tap(block, name, activation);
  owner.register_module(name, tap);
  taps_.push_back(tap);
  return tap;
}

void Network::declare_relu_conv_unit(const Tap& tap, const ProbedConv2d& conv) {
  for (std::size_t i = 0; i < taps_.size(); ++i) {
    if (taps_[i].get() == tap.get()) {
      units_.push_back({i, conv.ptr()});
      return;
    }
  }
  throw std::logic_error("declare_relu_conv_unit: the tap was not made with make_tap");
}

void Network::set_recording(bool on) {
  for (auto& tap : taps_) tap->set_recording(on);
}

void Network::clear_responses() {
  for (auto& tap : taps_) tap->clear();
}

std::vector<DistinctResponse> distinct_tensors(const std::vector<at::Tensor>& tensors,
                                               int min_dim) {
  std::vector<DistinctResponse> out;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const at::Tensor& t = tensors[i];
    if (!t.defined() || t.dim() < min_dim) continue;
    bool found = false;
    for (DistinctResponse& d : out) {
      if (d.tensor.data_ptr() == t.data_ptr() && d.tensor.sizes() == t.sizes() &&
          d.tensor.strides() == t.strides()) {
        d.taps.push_back(i);
        found = true;
        break;
      }
    }
    if (!found) out.push_back({t, {i}});
  }
  return out;
}

std::vector<DistinctResponse> distinct_responses(const Network& net, int min_dim) {
  std::vector<at::Tensor> responses;
  for (const auto& tap : net.taps()) responses.push_back(tap->response());
  return distinct_tensors(responses, min_dim);
}

}  // namespace nas
