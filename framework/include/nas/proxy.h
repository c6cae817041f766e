// Proxy: a training-free score of one architecture.
//
// Contract: info() declares, before anything runs, what the proxy needs:
// * the network passes (a bitmask of Pass) that the probe engine must run on the shared
//   network, which it then runs once for all proxies together, and whether labels are needed;
// * whether the proxy changes the network (re-initialises, replaces weights, removes BN): such
//   a proxy sets `modifies_network` and gets a fresh copy from ProbeContext::fresh_network();
// * whether it needs a network at all (params/FLOPs do not).
// score() reads what it asked for from the ProbeContext and returns the raw score (no log
// transform; reports apply those). It may throw nas::Error or return NaN/inf: the evaluator
// records the status and goes on. score() must be deterministic given the context, must not
// change the shared network or its BatchNorm statistics, and must not touch torch's global
// generator (draw from ProbeContext::generator()). tests/conformance_kit.h checks all of this.
#pragma once

#include <string>

namespace nas {

class ProbeContext;

// Passes over the shared network. Forward always records tap responses and logits.
enum Pass : unsigned {
  kPassNone = 0,
  kPassForward = 1u << 0,          // forward in train mode, tap responses and logits kept
  kPassTapGradients = 1u << 1,     // dL/d(tap input) for the cross-entropy loss, no weight grads
  kPassWeightGradients = 1u << 2,  // dL/dW for the cross-entropy loss (.grad of parameters)
  kPassInputJacobian = 1u << 3,    // d(sum of logits)/d(input)
};

struct ProxyInfo {
  std::string name;
  std::string version = "1";
  bool higher_is_better = true;
  bool needs_network = true;
  bool needs_data = true;  // false: makes its own inputs (SynFlow's ones, Zen's noise)
  bool needs_labels = false;
  unsigned passes = kPassNone;
  bool modifies_network = false;
  int batches = 1;  // data batches drawn for it (ZiCo needs two); passes use batch 0
  std::string help;
};

class Proxy {
 public:
  virtual ~Proxy();
  virtual ProxyInfo info() const = 0;
  virtual double score(ProbeContext& context) = 0;
};

}  // namespace nas
