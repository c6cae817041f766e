#include "nas/proxy_kit.h"

#include <ATen/ATen.h>
#include <c10/util/irange.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdint>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <type_traits>

#include "nas/error.h"
#include "nas/threads.h"

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

at::Tensor correlation_from_gram(const at::Tensor& gram) {
  const at::Tensor g = gram.to(at::kDouble);
  const at::Tensor d = g.diagonal().sqrt();
  // 0/0 on a zero-variance row gives NaN, matching numpy.corrcoef.
  return g / d.unsqueeze(1) / d.unsqueeze(0);
}

at::Tensor row_correlation(const at::Tensor& x) {
  return correlation_from_gram(centred_row_grams({x}, x.size(0), /*single=*/false, 1)[0])
      .clamp(-1.0, 1.0);
}

namespace {

// Fortran BLAS ?syrk: C := alpha A^T A + beta C with A k × n column-major (our row-major N × D
// matrix read as D × N), the upper triangle of C written. Called without gfortran's hidden
// string-length arguments, which OpenBLAS, MKL and reference BLAS ignore for one-letter flags.
template <class T>
using Syrk = void (*)(const char* uplo, const char* trans, const int* n, const int* k,
                      const T* alpha, const T* a, const int* lda, const T* beta, T* c,
                      const int* ldc);

template <class T>
Syrk<T> find_syrk(const char* name) {
  return reinterpret_cast<Syrk<T>>(::dlsym(RTLD_DEFAULT, name));
}

Syrk<double> dsyrk() {
  static const Syrk<double> f = find_syrk<double>("dsyrk_");
  return f;
}
Syrk<float> ssyrk() {
  static const Syrk<float> f = find_syrk<float>("ssyrk_");
  return f;
}

// Column-major upper = row-major lower triangle; mirror it.
at::Tensor mirror_lower(const at::Tensor& gram) { return gram.tril() + gram.tril(-1).t(); }

// Σ of n values in float64 with eight independent accumulators (a single chain is bound by
// the adder's latency).
template <class In>
double sum_of(const In* x, std::int64_t n) {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; ++j) a[j] += static_cast<double>(x[k + j]);
  for (; k < n; ++k) a[0] += static_cast<double>(x[k]);
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

// Centres each of the `rows` rows of x (rows × d) into z, then writes z zᵀ into the upper
// triangle (column-major) of gram. Plain loops and one BLAS call: safe on any thread.
template <class In, class T>
void centred_gram_into(const In* x, std::int64_t rows, std::int64_t d, std::vector<T>& z, T* gram) {
  z.resize(static_cast<std::size_t>(rows * d));
  for (std::int64_t r = 0; r < rows; ++r) {
    const In* src = x + r * d;
    T* dst = z.data() + r * d;
    const double mean = d ? sum_of(src, d) / static_cast<double>(d) : 0.0;
    for (std::int64_t k = 0; k < d; ++k)
      dst[k] = static_cast<T>(static_cast<double>(src[k]) - mean);
  }
  const int n = static_cast<int>(rows), k = static_cast<int>(d), lda = std::max(k, 1);
  const T one = 1, zero = 0;
  Syrk<T> syrk = std::is_same<T, double>::value ? reinterpret_cast<Syrk<T>>(dsyrk())
                                                : reinterpret_cast<Syrk<T>>(ssyrk());
  if (n > 0) syrk("U", "T", &n, &k, &one, z.data(), &lda, &zero, gram, &n);
}

}  // namespace

std::vector<at::Tensor> centred_row_grams(const std::vector<at::Tensor>& xs, std::int64_t rows,
                                          bool single, int threads) {
  const at::ScalarType type = single ? at::kFloat : at::kDouble;
  const bool have_syrk = single ? ssyrk() != nullptr : dsyrk() != nullptr;
  std::vector<at::Tensor> inputs(xs.size()), grams(xs.size());
  std::vector<std::size_t> blas;  // matrices whose product goes to the BLAS threads
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const at::Tensor& x = xs[i];
    TORCH_CHECK(rows > 0 && x.dim() >= 1 && x.size(0) == rows, "centred_row_grams: a tensor has ",
                x.dim() >= 1 ? x.size(0) : 0, " rows, expected ", rows, " (at least 1)");
    at::Tensor v = x.detach().reshape({rows, x.numel() / rows});
    if (v.scalar_type() != at::kFloat && v.scalar_type() != at::kDouble) v = v.to(type);
    if (have_syrk && v.device().is_cpu() && v.size(1) <= INT32_MAX && rows <= INT32_MAX) {
      inputs[i] = v.contiguous();
      grams[i] = at::zeros({rows, rows}, type);
      blas.push_back(i);
    } else {
      at::Tensor z = v.to(type) - v.to(at::kDouble).mean(1, /*keepdim=*/true).to(type);
      grams[i] = at::mm(z, z.t());
    }
  }
  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  auto work = [&] {
    try {
      std::vector<double> z64;
      std::vector<float> z32;
      for (std::size_t j = next++; j < blas.size(); j = next++) {
        const std::size_t i = blas[j];
        const at::Tensor& x = inputs[i];
        const std::int64_t d = x.size(1);
        if (x.scalar_type() == at::kFloat) {
          if (single)
            centred_gram_into(x.data_ptr<float>(), rows, d, z32, grams[i].data_ptr<float>());
          else
            centred_gram_into(x.data_ptr<float>(), rows, d, z64, grams[i].data_ptr<double>());
        } else {
          if (single)
            centred_gram_into(x.data_ptr<double>(), rows, d, z32, grams[i].data_ptr<float>());
          else
            centred_gram_into(x.data_ptr<double>(), rows, d, z64, grams[i].data_ptr<double>());
        }
      }
    } catch (...) {  // bad_alloc for a buffer: reported after every thread has joined
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = blas.size();
    }
  };
  const std::size_t workers =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), blas.size());
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) {
    try {
      pool.emplace_back([&] {
        use_one_thread_here();
        work();
      });
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the others share the work
    }
  }
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  for (std::size_t i : blas) grams[i] = mirror_lower(grams[i]);
  return grams;
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
