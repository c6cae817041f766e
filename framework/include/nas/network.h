// Network and Tap: the built model, and the points where proxies see its responses.
//
// Contract:
// * A Network is a torch::nn::Module whose forward() maps a batch of inputs (N, C, H, W) to
//   logits (N, classes). Spaces subclass it and register their submodules in a fixed,
//   documented construction order (so a seeded build is reproducible, also against a Python
//   oracle that builds in the same order).
// * Every nonlinearity that a proxy may observe is a Tap: an activation module (ReLU unless the
//   space says otherwise, see nas/activation.h) that knows the index of the block it sits in (block
//   0 nearest the input; the head's taps carry the largest index, num_blocks() - 1) and, while
//   recording is on, keeps its input, the pre-activation, as it entered the activation (in the
//   autograd graph, so gradients with respect to it can be taken). LibTorch has no module hooks;
//   taps are how proxies see responses, and proxies never reach into a space's own classes.
// * Gradients with respect to a tap's response are gradients through that tap alone (each
//   tap records its own view of its input). Taps that read the same tensor have responses
//   with the same data_ptr(): per-tensor work can be shared between them.
// * Spaces build layers from torch::nn::Conv2d, Linear and BatchNorm2d, so that generic
//   proxy code (proxy_kit.h) recognises them.
// * Taps are listed in forward execution order. A tap whose module is skipped in a forward
//   pass (none in the spaces shipped) records nothing and has_response() is false.
// * Training-time parts (optional; the defaults have none). A network may compute something
//   only while it trains, which a trainer drives without knowing the space:
//   - Drop-path (Larsson et al.'s FractalNet regulariser, as DARTS trains its cells): in
//     training mode, op outputs are zeroed per sample with probability p and the kept ones
//     divided by 1 - p. A network that has it says so with supports_drop_path(); it uses
//     p = drop_path · fraction of the last set_training_progress() (DARTS's linear schedule)
//     and draws its masks only from nas::Rng(seed) of that call, in its documented order, so a
//     training step is a function of the progress it was given. In eval mode, or at p = 0, it
//     draws nothing and computes exactly what it computes without drop-path.
//   - An auxiliary head (DARTS, NASNet, Inception): extra logits computed from an inner layer in
//     training mode only. A network that has one says so with has_auxiliary_head(), and
//     auxiliary_logits() returns those of its last forward() in training mode (undefined after
//     a forward in eval mode); forward() itself returns the main logits only. The head's
//     parameters are parameters of the network like any other.
// This is a torch-level header: include it only in .cpp files that build or probe networks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "nas/activation.h"

namespace nas {

class TapImpl : public torch::nn::Cloneable<TapImpl> {
 public:
  TapImpl(int block, std::string label, Activation activation = Activation::kReLU)
      : block_(block), label_(std::move(label)), activation_(activation) {}
  void reset() override {}

  at::Tensor forward(const at::Tensor& input);

  int block() const { return block_; }
  const std::string& label() const { return label_; }
  Activation activation() const { return activation_; }
  bool is_head() const { return head_; }
  void set_head(bool head) { head_ = head; }

  void set_recording(bool on);
  bool recording() const { return recording_; }
  bool has_response() const { return response_.defined(); }
  // The pre-activation recorded by the last forward while recording (undefined otherwise).
  const at::Tensor& response() const { return response_; }
  void clear() { response_ = at::Tensor(); }

 private:
  int block_;
  std::string label_;
  Activation activation_;
  bool head_ = false;
  bool recording_ = false;
  at::Tensor response_;
};

TORCH_MODULE(Tap);

// Conv2d and Linear whose outputs can be recorded, for proxies that need layer outputs and
// their gradients (Fisher). They are the standard modules (as<torch::nn::Conv2dImpl>() finds
// them) plus a recorded view of the output while recording is on. Spaces use them for every
// convolution and linear layer.
class ProbedConv2dImpl : public torch::nn::Conv2dImpl {
 public:
  using torch::nn::Conv2dImpl::Conv2dImpl;
  at::Tensor forward(const at::Tensor& input);
  bool recording = false;
  at::Tensor output;  // a view of the last output while recording (own autograd node)
};
TORCH_MODULE(ProbedConv2d);

class ProbedLinearImpl : public torch::nn::LinearImpl {
 public:
  using torch::nn::LinearImpl::LinearImpl;
  at::Tensor forward(const at::Tensor& input);
  bool recording = false;
  at::Tensor output;
};
TORCH_MODULE(ProbedLinear);

// The output of activation `a` for pre-activation `x` (what a Tap of that kind returns).
at::Tensor apply_activation(Activation a, const at::Tensor& x);

// Turns output recording of every ProbedConv2d/ProbedLinear in `net` on or off, and returns
// their recorded outputs (after a forward) in registration order.
void set_layer_recording(torch::nn::Module& net, bool on);
std::vector<at::Tensor> layer_outputs(torch::nn::Module& net);

// What a trainer tells a network before each training step (see the contract above).
struct TrainingProgress {
  // Fraction of the training done: epoch / epochs, with the 0-based epoch of the step, so 0
  // throughout the first epoch (DARTS sets drop_path_prob · epoch / epochs per epoch).
  double fraction = 0;
  // Drop-path probability at fraction 1 (train.drop_path).
  double drop_path = 0;
  // Seeds the random choices of the training-mode forward passes until the next call.
  std::uint64_t seed = 0;
};

class Network : public torch::nn::Module {
 public:
  ~Network() override;
  virtual at::Tensor forward(const at::Tensor& input) = 0;

  // Training-time parts (see the contract above). The defaults: none.
  virtual bool supports_drop_path() const { return false; }
  virtual void set_training_progress(const TrainingProgress& progress) { (void)progress; }
  virtual bool has_auxiliary_head() const { return false; }
  virtual at::Tensor auxiliary_logits() const { return {}; }

  // The feature map the network's global pooling reads for `input` (a forward up to there),
  // for proxies that need the pre-pooling features (Zen) of networks whose head has no
  // nonlinearity, hence no head tap. Undefined (the default): the network does not offer it.
  virtual at::Tensor pooled_features(const at::Tensor& input) {
    (void)input;
    return {};
  }

  // Taps in forward execution order.
  const std::vector<Tap>& taps() const { return taps_; }
  // Number of distinct block indices (the head's block is num_blocks() - 1).
  int num_blocks() const { return num_blocks_; }

  void set_recording(bool on);
  void clear_responses();

  // A ReLU → Conv → BN unit. The reference implementations wrap these in a module whose class
  // name contains "ReLU" (ReLUConvBN), so their hook-based proxies (WRCor, NASWOT) observe
  // the unit as well as its ReLU: its input (the tap's input) and the gradient its backward
  // hook sees (dL/d conv output, the input of its last node, BN). Spaces declare such units
  // so proxies can reproduce that; `tap` indexes taps().
  struct ReluConvUnit {
    std::size_t tap;
    std::shared_ptr<ProbedConv2dImpl> conv;
  };
  const std::vector<ReluConvUnit>& relu_conv_units() const { return units_; }

 protected:
  // Creates a tap in block `block`, registers it under `name` in `owner` and lists it. Call in
  // forward execution order.
  Tap make_tap(torch::nn::Module& owner, const std::string& name, int block,
               Activation activation = Activation::kReLU);
  void set_num_blocks(int n) { num_blocks_ = n; }
  // Declares that `tap` feeds `conv` inside one ReLU → Conv → BN unit (see ReluConvUnit).
  void declare_relu_conv_unit(const Tap& tap, const ProbedConv2d& conv);

 private:
  std::vector<Tap> taps_;
  std::vector<ReluConvUnit> units_;
  int num_blocks_ = 0;
};

// Records tap responses for as long as it lives: recording on in the constructor, off (and
// the responses cleared) in the destructor, also when a forward in between throws.
class TapRecording {
 public:
  explicit TapRecording(Network& net) : net_(net) { net_.set_recording(true); }
  ~TapRecording() { net_.set_recording(false); }
  TapRecording(const TapRecording&) = delete;
  TapRecording& operator=(const TapRecording&) = delete;

 private:
  Network& net_;
};

// One tensor and the positions of the list (tap indices, for distinct_responses) that hold
// it. Taps that read the same tensor hold views with the same data_ptr, sizes and strides;
// the responses are alive together, so two different tensors never compare equal.
struct DistinctResponse {
  at::Tensor tensor;
  std::vector<std::size_t> taps;
};

// The distinct tensors of `tensors` in order of first appearance, skipping undefined ones and
// those with fewer than `min_dim` dimensions.
std::vector<DistinctResponse> distinct_tensors(const std::vector<at::Tensor>& tensors,
                                               int min_dim = 0);
// The distinct responses the taps of `net` recorded in the last forward (see TapRecording),
// each with the indices into net.taps() of the taps that read it.
std::vector<DistinctResponse> distinct_responses(const Network& net, int min_dim = 0);

}  // namespace nas
