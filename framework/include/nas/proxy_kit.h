// Building blocks that many proxies share, so each proxy's file holds only its own formula.
//
// Contract: these functions work on any network built from the standard LibTorch modules
// (torch::nn::Conv2d, Linear, BatchNorm2d) plus nas taps, which is what every shipped space
// uses and what spaces are asked to use (see network.h). "Layers" means every Conv2d and
// Linear module, in registration order, as in the reference implementations (biases and
// BatchNorm parameters excluded). Nothing here touches torch's global generator.
// This is a torch-level header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

namespace nas {

// Weights of every Conv2d and Linear module, in registration order.
std::vector<at::Tensor> layer_weights(torch::nn::Module& net);
// Σ over layers whose weight has a gradient of term(W, dL/dW), both detached and in float64:
// the shape of SNIP, grad-norm and plain, which read the shared weight-gradient pass.
double sum_over_layer_gradients(
    torch::nn::Module& net,
    const std::function<double(const at::Tensor& weight, const at::Tensor& grad)>& term);
// Biases of those layers (undefined tensors skipped).
std::vector<at::Tensor> layer_biases(torch::nn::Module& net);

// Puts every BatchNorm2d in eval mode with running mean 0, variance 1, eps 0, weight 1 and
// bias 0, which makes it exactly the identity: the "BN removed" network of SynFlow.
void make_batchnorm_identity(torch::nn::Module& net);
// Sets train or eval mode on BatchNorm modules only.
void set_batchnorm_training(torch::nn::Module& net, bool training);

// Re-initialises as Zen-NAS and SWAP do: Conv/Linear weights ~ N(0, 1), biases 0,
// BatchNorm weight 1 and bias 0, drawing from `generator`.
void reinit_gaussian(torch::nn::Module& net, at::Generator generator);
// Kaiming-normal (fan_in, ReLU gain) conv/linear weights, zero biases, as TE-NAS does.
void reinit_kaiming_normal(torch::nn::Module& net, at::Generator generator);

// Sets every parameter named "weight" (conv, linear and BatchNorm when affine) to `value` and
// every "bias" to 0, as epsinas does.
void set_constant_weights(torch::nn::Module& net, double value);

// Pearson correlation between the rows of x (N × D, any dtype), computed in float64 as
// numpy.corrcoef does: rows are centred over their own D entries, the result clipped to
// [-1, 1]; a row with zero variance gives NaN in its row and column. One centred_row_grams
// product (below) and correlation_from_gram.
at::Tensor row_correlation(const at::Tensor& x);
// The correlation matrix G_ij / sqrt(G_ii G_jj), in float64, of a Gram matrix of row-centred
// data (as centred_row_grams returns it); not clipped. A zero diagonal entry gives NaN in its
// row and column.
at::Tensor correlation_from_gram(const at::Tensor& gram);
// The Gram matrices Z Zᵀ of the row-centred matrices Z = X - rowmean(X), for each X in xs
// viewed as (rows, -1): rows centred over their own entries as numpy.corrcoef does. Float64
// throughout, or with the centred values and the products in float32 when `single` (row
// means are float64 either way); returned in that dtype. This is where correlation proxies
// spend their time, so on the CPU the matrices are shared out over up to `threads` plain
// threads, each converting and centring into its own buffer and calling BLAS ?syrk: no ATen
// calls on those threads (LibTorch 1.13's at::parallel_for runs serially in code built
// without -fopenmp, and ATen's OpenMP workers spin on the cores just after an ATen op).
// Elsewhere, or without a BLAS ?syrk in the process, ATen ops. Results do not depend on
// `threads`; xs are never written.
std::vector<at::Tensor> centred_row_grams(const std::vector<at::Tensor>& xs, std::int64_t rows,
                                          bool single, int threads);
// log|det K| of a square float64 matrix (numpy.linalg.slogdet's second value).
double log_abs_det(const at::Tensor& k);

// Copies parameters and buffers of `from` into `to` (same architecture).
void copy_state(torch::nn::Module& from, torch::nn::Module& to);

}  // namespace nas
