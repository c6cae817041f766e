// ProbeContext: what the probe engine hands a proxy for one architecture.
//
// Contract: the engine builds the shared network once under the architecture's seed, draws
// the batch, runs the union of the passes the chosen proxies declared, then calls each proxy
// with a context whose accessors return the results. Asking for something the proxy did not
// declare (a pass, labels, a fresh network) throws nas::Error naming the proxy and what is
// missing: a proxy's declared needs are checked, not trusted. The shared network and the
// tensors returned are read-only by contract; a proxy that must change weights asks for
// fresh_network(), a separate build with the same initial weights, built serially beforehand.
// A proxy that probes a variant of the architecture (a thin or stem-less network) builds it
// with build_network(), which leaves torch's global generator as it found it.
// This is a torch-level header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include "nas/arch.h"
#include "nas/dataset.h"
#include "nas/proxy.h"
#include "nas/search_space.h"

namespace nas {

class Network;

struct PassResults;  // engine plumbing (nas/pass_results.h)

class ProbeContext {
 public:
  // Made by the probe engine (and by tests that drive a proxy directly): `proxy` is the name
  // the pipeline knows the proxy by, used in refusals; `shared` holds the pass results.
  ProbeContext(std::string proxy, const Arch& arch, const SearchSpace& space, const NetSpec& spec,
               const ProxyInfo& info, std::uint64_t seed, PassResults* shared,
               std::shared_ptr<Network> fresh);

  const std::string& proxy() const { return proxy_; }
  const Arch& arch() const { return arch_; }
  const SearchSpace& space() const { return space_; }
  const NetSpec& spec() const { return spec_; }
  // This proxy's own seed, derived from (master seed, proxy(), arch).
  std::uint64_t seed() const { return seed_; }
  // A CPU generator seeded with seed(): draw all randomness from it.
  at::Generator generator() const;

  const Batch& batch() const;
  // Batch i (0 is batch()); i < the proxy's declared ProxyInfo::batches. Each batch is drawn
  // under derive_seed(master, "batch", arch, i), the same for every proxy.
  const Batch& batch(int i) const;
  Network& network() const;
  const at::Tensor& logits() const;
  const std::vector<at::Tensor>& tap_responses() const;
  const std::vector<at::Tensor>& tap_gradients() const;
  // One per Network::relu_conv_units(): the gradient at the unit's conv output.
  const std::vector<at::Tensor>& unit_gradients() const;
  const at::Tensor& input_jacobian() const;
  double loss() const;
  // A separate network with the shared network's initial weights, for a proxy that declared
  // modifies_network. Each call returns the same object.
  std::shared_ptr<Network> fresh_network() const;
  // A new network of this architecture, built by the space for `spec` (usually spec() with
  // its shape fields changed), for a proxy that declared needs_network. Its initial weights
  // are drawn under a torch seed derived from seed(), so they are the same on every call and
  // for any thread count. The build itself draws from torch's global generator, so it runs
  // under a process-wide lock with that generator seeded, and restores the generator's state
  // afterwards: callable from the parallel phase, which the Proxy contract already keeps off
  // that generator. Each call builds anew; the caller owns the result.
  std::shared_ptr<Network> build_network(const NetSpec& spec) const;

 private:
  void require(unsigned pass, const char* what) const;

  std::string proxy_;
  const Arch& arch_;
  const SearchSpace& space_;
  NetSpec spec_;
  ProxyInfo info_;
  std::uint64_t seed_;
  PassResults* shared_;
  std::shared_ptr<Network> fresh_;
};

}  // namespace nas
