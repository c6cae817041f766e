// `linear_regions`: the number of linear regions of TE-NAS (Chen, Gong, Wang; "Neural
// Architecture Search on ImageNet in Four GPU Hours: A Theoretically Inspired Perspective",
// ICLR 2021; VITA-Group/TENAS lib/procedures/linear_region_counter.py, and the port in
// idstcv/ZenNAS ZeroShotProxy/compute_te_nas_score.py; shared/docs/proxies.md §2).
//
// Formula. For each of R repeats (R = `repeats`, 3 as in TE-NAS): re-initialise the network
// Kaiming-normal (fan-in, ReLU gain; biases 0, BatchNorm weight 1 and bias 0), draw B inputs
// x ~ N(0, 1) with the network's input shape (B = `batch`), run a forward pass and take
// each sample's binary code: 1[relu output > 0] of every ReLU with a 4-D input, concatenated.
// The reference counts LR = sum_n 1 / #{m : code_m = code_n}, which is exactly the number of
// distinct codes among the B samples (each group of equal codes adds 1).
//   score = mean over repeats of #distinct codes                (higher = better)
//
// Choices:
// * Inputs are Gaussian, not data (needs_data = false), as the ZenNAS port does; TE-NAS
//   itself also feeds random 3x3 crops to a stem-less network, which this framework does not
//   build. `batch` defaults to 64 (the framework's usual batch) where the ZenNAS port's
//   default is 16 and TE-NAS uses 1000 crops; the count saturates at `batch`, so larger
//   batches separate architectures better.
// * Forward in train mode (BatchNorm batch statistics): the reference never switches the
//   model to eval mode. Like the reference (nn.ReLU instances), only the taps are read.
// * Randomness: weights and inputs are drawn from this proxy's own generator, one stream
//   across the repeats (re-init, then inputs, per repeat). The network is the proxy's fresh
//   copy, so the shared network is untouched.
// * Codes are compared exactly (packed into 64-bit words, sorted); the reference's float16
//   product gives the same count. A tensor read by several taps adds identical bits to every
//   code, so it is packed once.
#include <ATen/ATen.h>

#include <memory>

#include "../nwot/binary_codes.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

// Distinct per-sample activation codes of one forward pass (taps with 4-D inputs only).
std::int64_t distinct_codes(nas::Network& net, const at::Tensor& inputs) {
  const std::int64_t n = inputs.size(0);
  net.set_recording(true);
  net.forward(inputs);
  std::vector<nas_codes::PackedRows> blocks;
  std::vector<at::Tensor> seen;
  for (const auto& tap : net.taps()) {
    if (!tap->has_response() || tap->response().dim() != 4) continue;
    const at::Tensor& r = tap->response();
    bool duplicate = false;
    for (const at::Tensor& s : seen) {
      duplicate = duplicate || (s.data_ptr() == r.data_ptr() && s.sizes() == r.sizes() &&
                                s.strides() == r.strides());
    }
    if (duplicate) continue;
    seen.push_back(r);
    blocks.push_back(nas_codes::pack_rows(nas_codes::positive_mask(r, n)));
  }
  net.set_recording(false);
  return blocks.empty() ? (n > 0 ? 1 : 0) : nas_codes::count_distinct_rows(blocks);
}

class LinearRegions : public nas::Proxy {
 public:
  explicit LinearRegions(const nas::Params& p)
      : repeats_(p.get_int("repeats")), batch_(p.get_int("batch")) {
    if (repeats_ < 1) throw nas::UsageError("linear_regions: params.repeats must be at least 1");
    if (batch_ < 1) throw nas::UsageError("linear_regions: params.batch must be at least 1");
  }

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.name = "linear_regions";
    i.version = "1";
    i.needs_data = false;
    i.modifies_network = true;
    i.help = "TE-NAS number of linear regions: distinct ReLU codes of Gaussian inputs";
    return i;
  }

  double score(nas::ProbeContext& context) override {
    at::NoGradGuard no_grad;
    std::shared_ptr<nas::Network> net = context.fresh_network();
    net->train();
    const nas::NetSpec& spec = context.spec();
    at::Generator generator = context.generator();
    double total = 0.0;
    for (std::int64_t r = 0; r < repeats_; ++r) {
      nas::reinit_kaiming_normal(*net, generator);
      const at::Tensor inputs = at::randn(
          {batch_, spec.in_channels, spec.input_size, spec.input_size}, generator, at::kFloat);
      total += static_cast<double>(distinct_codes(*net, inputs));
    }
    return total / static_cast<double>(repeats_);
  }

 private:
  std::int64_t repeats_;
  std::int64_t batch_;
};

void register_linear_regions(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_int("repeats", 3, "Kaiming-normal re-initialisations averaged (TE-NAS: 3)");
  schema.add_int("batch", 64, "Gaussian input samples per repeat (the count is at most this)");
  registrar.add_proxy("linear_regions",
                      "TE-NAS linear regions: distinct ReLU activation codes among Gaussian "
                      "inputs, Kaiming-normal init",
                      schema,
                      [](const nas::Params& p) { return std::make_shared<LinearRegions>(p); });
}

}  // namespace

NAS_PLUGIN("linear_regions", "1.0.0", register_linear_regions)
