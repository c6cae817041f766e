#include "nas/probe_context.h"

#include <ATen/CPUGeneratorImpl.h>

#include "global_generator.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/pass_results.h"
#include "nas/seed.h"

namespace nas {

ProbeContext::ProbeContext(std::string proxy, const Arch& arch, const SearchSpace& space,
                           const NetSpec& spec, const ProxyInfo& info, std::uint64_t seed,
                           PassResults* shared, std::shared_ptr<Network> fresh)
    : proxy_(std::move(proxy)),
      arch_(arch),
      space_(space),
      spec_(spec),
      info_(info),
      seed_(seed),
      shared_(shared),
      fresh_(std::move(fresh)) {}

at::Generator ProbeContext::generator() const {
  return at::detail::createCPUGenerator(torch_seed(seed_));
}

void ProbeContext::require(unsigned pass, const char* what) const {
  if (!info_.needs_network) {
    throw Error("proxy '" + proxy_ + "' asked for " + what +
                " but declared that it needs no network");
  }
  if (pass != kPassNone && !(info_.passes & pass)) {
    throw Error("proxy '" + proxy_ + "' asked for " + what +
                " without declaring the pass that produces it");
  }
  if (info_.modifies_network && pass != kPassNone) {
    throw Error("proxy '" + proxy_ + "' modifies its network, so shared pass results (" + what +
                ") are not computed for it; run the passes on fresh_network()");
  }
  if (!shared_ || (pass != kPassNone && !(shared_->passes_run & pass))) {
    throw Error("proxy '" + proxy_ + "': " + what + " is not available");
  }
}

const Batch& ProbeContext::batch() const {
  require(kPassNone, "the input batch");
  if (!info_.needs_data) {
    throw Error("proxy '" + proxy_ + "' asked for the input batch but declared needs_data = false");
  }
  return shared_->batch;
}

const Batch& ProbeContext::batch(int i) const {
  if (i == 0) return batch();
  require(kPassNone, "an extra batch");
  if (i < 0 || i >= info_.batches || i > static_cast<int>(shared_->extra_batches.size())) {
    throw Error("proxy '" + proxy_ + "' asked for batch " + std::to_string(i) + " but declared " +
                std::to_string(info_.batches) + " batch(es)");
  }
  return shared_->extra_batches[static_cast<std::size_t>(i - 1)];
}

Network& ProbeContext::network() const {
  require(kPassNone, "the shared network");
  if (info_.modifies_network) {
    throw Error("proxy '" + proxy_ + "' declared modifies_network: use fresh_network()");
  }
  return *shared_->network;
}

const at::Tensor& ProbeContext::logits() const {
  require(kPassForward, "the logits");
  return shared_->logits;
}
const std::vector<at::Tensor>& ProbeContext::tap_responses() const {
  require(kPassForward, "the tap responses");
  return shared_->tap_responses;
}
const std::vector<at::Tensor>& ProbeContext::tap_gradients() const {
  require(kPassTapGradients, "the tap gradients");
  return shared_->tap_gradients;
}
const std::vector<at::Tensor>& ProbeContext::unit_gradients() const {
  require(kPassTapGradients, "the ReLU-conv unit gradients");
  return shared_->unit_gradients;
}
const at::Tensor& ProbeContext::input_jacobian() const {
  require(kPassInputJacobian, "the input Jacobian");
  return shared_->input_jacobian;
}
double ProbeContext::loss() const {
  if (!(info_.passes & (kPassTapGradients | kPassWeightGradients))) {
    throw Error("proxy '" + proxy_ + "' asked for the loss without declaring a loss pass");
  }
  require(kPassNone, "the loss");
  return shared_->loss;
}

std::shared_ptr<Network> ProbeContext::fresh_network() const {
  if (!info_.modifies_network || !fresh_) {
    throw Error("proxy '" + proxy_ +
                "' asked for a fresh network without declaring modifies_network");
  }
  return fresh_;
}

std::shared_ptr<Network> ProbeContext::build_network(const NetSpec& spec) const {
  if (!info_.needs_network) {
    throw Error("proxy '" + proxy_ +
                "' asked to build a network but declared that it needs no network");
  }
  // The build draws its weights from torch's global generator, seeded from this context's
  // seed, and leaves the generator as it found it.
  std::shared_ptr<Network> net = build_with_global_seed(
      torch_seed(derive_seed(seed_, "build_network")), AfterBuild::kRestore,
      [&] { return build_network_for(space_, arch_, spec); });
  for (const auto& tap : net->taps()) {
    if (!(info_.tap_activations & activation_bit(tap->activation()))) {
      throw Error("proxy '" + proxy_ + "' accepts taps of kind " +
                  activation_names(info_.tap_activations) + " only, but the network it built has " +
                  "tap '" + tap->label() + "' of kind " + activation_name(tap->activation()));
    }
  }
  return net;
}

}  // namespace nas
