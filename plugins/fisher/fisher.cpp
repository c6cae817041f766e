// `fisher`: the Fisher-information channel saliency of Theis et al. (2018) / Turner et al.
// (BlockSwap, 2020), summed over the network as zero-cost-nas (Abdelfattah et al., ICLR 2021,
// measures/fisher.py with p_utils.reshape_elements) and NASLib score architectures with it.
//
//   for every Conv2d/Linear layer l with output a (N x C [x H x W]) and g = dL/da:
//     s_nc = sum_{h,w} a_nchw g_nchw          (a_nc g_nc for a Linear layer)
//     F_c  = 0.5 * mean_n s_nc^2
//   score = sum_l sum_c F_c * (C_in * k_h * k_w)   (fan-in of the layer: prod of weight dims 1..)
//   L = mean cross-entropy of one labelled batch, network in train mode (BN batch statistics).
//
// The factor C_in*k_h*k_w: the reference computes one value per output channel and then
// broadcasts it onto that channel's weight slice, so that every weight carries its channel's
// value, and the sum over all weights counts each F_c fan-in times. That is reproduced.
//
// How the layer outputs are reached. The reference swaps each layer's forward for one that
// passes the output through a hooked identity; the old-style module backward hook it
// registers sits on the grad_fn of the layer's output, i.e. on the layer's own autograd node,
// and reads that node's incoming gradient. LibTorch modules have no hooks, but the autograd
// graph is the same: this proxy walks the graph from the logits, finds each layer's node by
// the weight it consumes (ConvolutionBackward0 for Conv2d; AddmmBackward0 or MmBackward0 for
// Linear, whose weight arrives through a transpose), registers a pre-hook on that node to
// capture dL/da, and recomputes a exactly from the input the node saved (same kernel, same
// arguments). A layer whose weight is in the graph but whose node is of another kind is an
// error, never silently skipped. This needs no help from the search space.
//
// Choices:
// * Own network (modifies_network): it registers hooks on its own graph, and a train-mode
//   forward would move the shared network's BatchNorm running statistics.
// * A layer called twice in one forward gets one node per call; their F values are added,
//   as the reference's `layer.fisher += ...` does.
// * Products and sums in float64 from the float32 activations and gradients (the reference
//   uses float32; about 1e-7 relative). Layers that get no gradient contribute 0.
#include <ATen/ATen.h>
#include <c10/core/SymInt.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/functions/accumulate_grad.h>
#include <torch/csrc/autograd/generated/Functions.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"

namespace {

namespace ag = torch::autograd;
namespace gen = torch::autograd::generated;

// LibTorch 1.13 stores the convolution node's arguments as int64_t, 2.x as c10::SymInt
// (stride, padding, dilation, output_padding and groups): as_int reads either.
[[maybe_unused]] std::int64_t as_int(std::int64_t v) { return v; }
[[maybe_unused]] std::int64_t as_int(const c10::SymInt& v) { return v.expect_int(); }
template <class V>
std::vector<std::int64_t> ints(const V& values) {
  std::vector<std::int64_t> out;
  for (const auto& v : values) out.push_back(as_int(v));
  return out;
}

struct Layer {
  at::Tensor weight;
  at::Tensor bias;  // may be undefined
  double fan_in;    // prod of weight dims 1..
};

// One call of one layer in the graph: its recomputed output and the captured dL/d(output).
struct Site {
  std::size_t layer;
  at::Tensor output;
  at::Tensor grad;
};

class CaptureGrad : public ag::FunctionPreHook {
 public:
  explicit CaptureGrad(at::Tensor* slot) : slot_(slot) {}
  ag::variable_list operator()(const ag::variable_list& grads) override {
    if (!grads.empty() && grads[0].defined()) *slot_ = grads[0].detach();
    return grads;
  }

 private:
  at::Tensor* slot_;
};

std::vector<Layer> collect_layers(torch::nn::Module& net) {
  std::vector<Layer> layers;
  for (const auto& m : net.modules(/*include_self=*/true)) {
    if (auto* conv = m->as<torch::nn::Conv2dImpl>()) {
      layers.push_back({conv->weight, conv->bias, 0.0});
    } else if (auto* lin = m->as<torch::nn::LinearImpl>()) {
      layers.push_back({lin->weight, lin->bias, 0.0});
    }
  }
  for (Layer& l : layers) l.fan_in = static_cast<double>(l.weight.numel() / l.weight.size(0));
  return layers;
}

// The leaf variable an edge accumulates into, looking through one transpose (Linear's W^T).
const c10::TensorImpl* leaf_of(const ag::Edge& edge) {
  ag::Node* fn = edge.function.get();
  if (fn == nullptr) return nullptr;
  if (dynamic_cast<gen::TBackward0*>(fn) != nullptr && !fn->next_edges().empty()) {
    fn = fn->next_edges()[0].function.get();
    if (fn == nullptr) return nullptr;
  }
  if (auto* acc = dynamic_cast<ag::AccumulateGrad*>(fn)) return acc->variable.unsafeGetTensorImpl();
  return nullptr;
}

class Fisher : public nas::Proxy {
 public:
  explicit Fisher(const nas::Params&) {}

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.name = "fisher";
    i.version = "1";
    i.needs_labels = true;
    i.modifies_network = true;
    i.help =
        "Fisher channel saliency: sum over layers and channels of 0.5 mean_n (sum_hw a*g)^2 "
        "times fan-in, train mode";
    return i;
  }

  double score(nas::ProbeContext& context) override {
    std::shared_ptr<nas::Network> net = context.fresh_network();
    net->train();
    const nas::Batch& batch = context.batch();
    const std::vector<Layer> layers = collect_layers(*net);
    std::unordered_map<const c10::TensorImpl*, std::size_t> by_weight;
    for (std::size_t l = 0; l < layers.size(); ++l) {
      by_weight[layers[l].weight.unsafeGetTensorImpl()] = l;
    }

    at::Tensor loss = at::cross_entropy_loss(net->forward(batch.inputs), batch.labels);

    // Walk the graph once: find each layer call's node, recompute its output, hook it.
    std::vector<Site> sites;
    std::vector<ag::Node*> site_nodes;
    std::unordered_set<std::size_t> reached;  // layers whose weight is in the graph
    std::unordered_set<ag::Node*> seen;
    std::vector<ag::Node*> stack{loss.grad_fn().get()};
    while (!stack.empty()) {
      ag::Node* node = stack.back();
      stack.pop_back();
      if (node == nullptr || !seen.insert(node).second) continue;
      for (const ag::Edge& e : node->next_edges()) {
        if (const c10::TensorImpl* leaf = leaf_of(e)) {
          auto it = by_weight.find(leaf);
          if (it != by_weight.end()) reached.insert(it->second);
        }
        if (e.function) stack.push_back(e.function.get());
      }
      at::NoGradGuard no_grad;
      if (auto* conv = dynamic_cast<gen::ConvolutionBackward0*>(node)) {
        auto it = by_weight.find(leaf_of(node->next_edges()[1]));
        if (it == by_weight.end()) continue;  // a functional convolution, not a layer
        const Layer& layer = layers[it->second];
        at::Tensor input = conv->input_.unpack();
        at::Tensor out =
            at::convolution(input, layer.weight, layer.bias, ints(conv->stride),
                            ints(conv->padding), ints(conv->dilation), conv->transposed,
                            ints(conv->output_padding), as_int(conv->groups));
        sites.push_back({it->second, out, at::Tensor()});
        site_nodes.push_back(node);
      } else if (auto* addmm = dynamic_cast<gen::AddmmBackward0*>(node)) {
        auto it = by_weight.find(leaf_of(node->next_edges()[2]));
        if (it == by_weight.end()) continue;
        const Layer& layer = layers[it->second];
        sites.push_back({it->second, at::linear(addmm->mat1_.unpack(), layer.weight, layer.bias),
                         at::Tensor()});
        site_nodes.push_back(node);
      } else if (auto* mm = dynamic_cast<gen::MmBackward0*>(node)) {
        auto it = by_weight.find(leaf_of(node->next_edges()[1]));
        if (it == by_weight.end()) continue;
        const Layer& layer = layers[it->second];
        sites.push_back(
            {it->second, at::linear(mm->self_.unpack(), layer.weight, layer.bias), at::Tensor()});
        site_nodes.push_back(node);
      }
    }
    std::unordered_set<std::size_t> found;
    for (const Site& s : sites) found.insert(s.layer);
    for (std::size_t l : reached) {
      if (!found.count(l)) {
        throw nas::Error("fisher: layer " + std::to_string(l) +
                         " (a Conv2d/Linear weight) is used by an operation whose output this "
                         "proxy cannot read (not a convolution, addmm or mm node)");
      }
    }
    // The hooks point into `sites`, which must not grow from here on.
    for (std::size_t k = 0; k < sites.size(); ++k) {
      site_nodes[k]->add_pre_hook(std::make_unique<CaptureGrad>(&sites[k].grad));
    }

    std::vector<at::Tensor> weights;
    for (const Layer& l : layers) weights.push_back(l.weight);
    ag::grad({loss}, weights, {}, /*retain_graph=*/false, /*create_graph=*/false,
             /*allow_unused=*/true);

    double total = 0.0;
    for (const Site& s : sites) {
      if (!s.grad.defined()) continue;
      at::Tensor prod = s.output.to(at::kDouble) * s.grad.to(at::kDouble);
      if (prod.dim() > 2) {
        std::vector<std::int64_t> spatial;
        for (std::int64_t d = 2; d < prod.dim(); ++d) spatial.push_back(d);
        prod = prod.sum(spatial);
      }
      const double channel_sum = prod.pow(2).mean(0).mul(0.5).sum().item<double>();
      total += channel_sum * layers[s.layer].fan_in;
    }
    return total;
  }
};

void register_fisher(nas::PluginRegistrar& registrar) {
  registrar.add_proxy("fisher",
                      "Fisher channel saliency (zero-cost-nas): per conv/linear output channel "
                      "0.5 mean_n (sum_hw a*dL/da)^2, broadcast over the channel's weights and "
                      "summed; one labelled batch, train mode",
                      nas::ParamSchema(),
                      [](const nas::Params& p) { return std::make_shared<Fisher>(p); });
}

}  // namespace

NAS_PLUGIN("fisher", "1.0.0", register_fisher)
