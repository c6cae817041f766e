// Proxy: a training-free score of one architecture.
//
// Contract: info() declares, before anything runs, what the proxy needs:
// * the network passes (a bitmask of Pass) that the probe engine must run on the shared
//   network, which it then runs once for all proxies together, and whether labels are needed;
// * whether the proxy changes the network (re-initialises, replaces weights, removes BN): such
//   a proxy sets `modifies_network` and gets a fresh copy from ProbeContext::fresh_network();
// * whether it needs a network at all (params/FLOPs do not);
// * which activation kinds it accepts at taps (tap_activations): the engine refuses a network
//   with a tap of another kind, with an error naming the proxy and both kinds;
// * which architectures its formula cannot tell apart (identity, nas/network_identity.h), so
//   that the pipeline may score one network per class and give every member its score.
// info() may depend on the parameters but not on anything else: the engine reads it once.
//
// score() reads what it asked for from the ProbeContext and returns the raw score (no log
// transform; reports apply those). It may throw nas::Error or return NaN/inf: the evaluator
// records the status and goes on. Further:
// * Re-entrant: one proxy object serves every worker, so score() is called concurrently on
//   one instance from several threads. It is const; keep per-call state on the stack, never
//   in (mutable) members.
// * Deterministic given the context. Randomness comes from ProbeContext::generator(), never
//   from torch's global generator. The proxy's seed is derived from the name the pipeline
//   gives it (its YAML alias, usually the registry name): renaming a stochastic proxy in a
//   pipeline changes its numbers.
// * Read-only on what it shares: the shared network, its BatchNorm statistics, the batch and
//   the pass results must not change (ProbeContext::fresh_network() is the proxy's own). The
//   shared network is in train mode, and the engine's shared forward has already moved its
//   BatchNorm running statistics once. Tap responses and logits are attached to the shared
//   pass's autograd graph: detach them, or compute under at::NoGradGuard.
// * `version` names the computation: bump it whenever any architecture's score may change
//   (a fix, a new default). Resumed and reused scores are matched on it, so an unchanged
//   version makes a run mix old and new numbers.
// nas/testing/conformance_kit.h checks determinism, isolation, declared needs and re-entrancy
// (two workers against one); add `ExpectProxyConforms("my_proxy")` to a plugin's tests.
#pragma once

#include <string>

#include "nas/activation.h"
#include "nas/network_identity.h"

namespace nas {

class ProbeContext;

// Passes over the shared network. Forward always records tap responses and logits.
enum Pass : unsigned {
  kPassNone = 0,
  kPassForward = 1u << 0,          // forward in train mode, tap responses and logits kept
  kPassTapGradients = 1u << 1,     // dL/d(tap input) for the cross-entropy loss, and dL/d(conv
                                   // output) of every ReLU-conv unit; no weight grads
  kPassWeightGradients = 1u << 2,  // dL/dW for the cross-entropy loss (.grad of parameters)
  kPassInputJacobian = 1u << 3,    // d(sum of logits)/d(input)
};

struct ProxyInfo {
  std::string version = "1";
  bool higher_is_better = true;
  bool needs_network = true;
  bool needs_data = true;  // false: makes its own inputs (SynFlow's ones, Zen's noise)
  bool needs_labels = false;
  unsigned passes = kPassNone;
  bool modifies_network = false;
  int batches = 1;  // data batches drawn for it (ZiCo needs two); passes use batch 0
  // The activation kinds its formula holds for at taps (nas/activation.h); proxies that read
  // binary codes 1[x > 0] assume ReLU's single kink at 0 and accept ReLU only.
  ActivationSet tap_activations = kAllActivations;
  // The coarsest level at which two architectures are interchangeable for this proxy's
  // formula. kStructure: the formula is symmetric in the order of layers and taps (sums,
  // kernels over all taps, counts), so a relabelled graph is the same network to it.
  // kFunction: also, an op that cannot affect the output adds nothing: the formula reads
  // only the output, gradients that flow from it, or the weights and responses of ops those
  // gradients reach. A proxy that reads every tap's response, every layer's weights or every
  // BatchNorm's statistics sees dead ops and is kStructure at most; one that weighs layers or
  // taps by their position is kArch. A level that is too coarse silently gives an
  // architecture another network's score, so the default is kArch (no sharing); declare a
  // coarser one only with the reason in the plugin's header comment.
  NetworkIdentity identity = NetworkIdentity::kArch;
};

class Proxy {
 public:
  virtual ~Proxy();
  virtual ProxyInfo info() const = 0;
  virtual double score(const ProbeContext& context) const = 0;
};

}  // namespace nas
