#include "nas/proxy_kit.h"

#include <ATen/ATen.h>
#include <c10/util/irange.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <cmath>

#include "nas/error.h"

namespace nas {

namespace {

template <class F>
void for_each_layer(torch::nn::Module& net, F&& f) {
  for (const auto& m : net.modules(/*include_self=*/true)) {
    if (auto* conv = m->as<torch::nn::Conv2dImpl>()) {
      f(conv->weight, conv->bias);
    } else if (auto* lin = m->as<torch::nn::LinearImpl>()) {
      f(lin->weight, lin->bias);
    }
  }
}

template <class F>
void for_each_batchnorm(torch::nn::Module& net, F&& f) {
  for (const auto& m : net.modules(/*include_self=*/true)) {
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) f(*bn);
  }
}

}  // namespace

std::vector<at::Tensor> layer_weights(torch::nn::Module& net) {
  std::vector<at::Tensor> out;
  for_each_layer(net, [&](at::Tensor& w, at::Tensor&) { out.push_back(w); });
  return out;
}

double sum_over_layer_gradients(
    torch::nn::Module& net,
    const std::function<double(const at::Tensor& weight, const at::Tensor& grad)>& term) {
  double total = 0.0;
  for (const at::Tensor& w : layer_weights(net)) {
    const at::Tensor& g = w.grad();
    if (!g.defined()) continue;
    total += term(w.detach().to(at::kDouble), g.to(at::kDouble));
  }
  return total;
}

std::vector<at::Tensor> layer_biases(torch::nn::Module& net) {
  std::vector<at::Tensor> out;
  for_each_layer(net, [&](at::Tensor&, at::Tensor& b) {
    if (b.defined()) out.push_back(b);
  });
  return out;
}

void make_batchnorm_identity(torch::nn::Module& net) {
  at::NoGradGuard no_grad;
  for_each_batchnorm(net, [](torch::nn::BatchNorm2dImpl& bn) {
    bn.eval();
    bn.options.eps(0.0);
    if (bn.running_mean.defined()) bn.running_mean.zero_();
    if (bn.running_var.defined()) bn.running_var.fill_(1.0);
    if (bn.weight.defined()) bn.weight.fill_(1.0);
    if (bn.bias.defined()) bn.bias.zero_();
  });
}

void set_batchnorm_training(torch::nn::Module& net, bool training) {
  for_each_batchnorm(net, [&](torch::nn::BatchNorm2dImpl& bn) { bn.train(training); });
}

void reinit_gaussian(torch::nn::Module& net, at::Generator generator) {
  at::NoGradGuard no_grad;
  for_each_layer(net, [&](at::Tensor& w, at::Tensor& b) {
    w.normal_(0.0, 1.0, generator);
    if (b.defined()) b.zero_();
  });
  for_each_batchnorm(net, [](torch::nn::BatchNorm2dImpl& bn) {
    if (bn.weight.defined()) bn.weight.fill_(1.0);
    if (bn.bias.defined()) bn.bias.zero_();
  });
}

void reinit_kaiming_normal(torch::nn::Module& net, at::Generator generator) {
  at::NoGradGuard no_grad;
  for_each_layer(net, [&](at::Tensor& w, at::Tensor& b) {
    const int64_t fan_in = w.numel() / w.size(0);
    w.normal_(0.0, std::sqrt(2.0 / static_cast<double>(fan_in)), generator);
    if (b.defined()) b.zero_();
  });
  for_each_batchnorm(net, [](torch::nn::BatchNorm2dImpl& bn) {
    if (bn.weight.defined()) bn.weight.fill_(1.0);
    if (bn.bias.defined()) bn.bias.zero_();
  });
}

void set_constant_weights(torch::nn::Module& net, double value) {
  at::NoGradGuard no_grad;
  for (auto& item : net.named_parameters(/*recurse=*/true)) {
    const std::string& key = item.key();
    const auto dot = key.rfind('.');
    const std::string leaf = dot == std::string::npos ? key : key.substr(dot + 1);
    if (leaf == "weight") item.value().fill_(value);
    if (leaf == "bias") item.value().zero_();
  }
}

at::Tensor row_correlation(const at::Tensor& x) {
  at::Tensor z = x.reshape({x.size(0), -1}).to(at::kDouble);
  z = z - z.mean(1, /*keepdim=*/true);
  at::Tensor gram = at::matmul(z, z.t());
  at::Tensor d = gram.diagonal().sqrt();
  // 0/0 on a zero-variance row gives NaN, matching numpy.corrcoef.
  at::Tensor c = gram / d.unsqueeze(1) / d.unsqueeze(0);
  return c.clamp(-1.0, 1.0);
}

double log_abs_det(const at::Tensor& k) {
  auto result = at::linalg_slogdet(k.to(at::kDouble));
  return std::get<1>(result).item<double>();
}

void copy_state(torch::nn::Module& from, torch::nn::Module& to) {
  at::NoGradGuard no_grad;
  auto src_p = from.named_parameters(true);
  auto dst_p = to.named_parameters(true);
  for (auto& item : src_p) dst_p[item.key()].copy_(item.value());
  auto src_b = from.named_buffers(true);
  auto dst_b = to.named_buffers(true);
  for (auto& item : src_b) dst_b[item.key()].copy_(item.value());
}

}  // namespace nas
