// SearchSpace: the set of architectures a strategy explores, and how to build each one.
//
// Contract:
// * parse() accepts any spelling the space documents and returns the canonical Arch; a bad
//   string throws nas::Error saying which part is wrong and why. parse(a.str()) == a.
// * sample() and mutate() draw only from the Rng they are given (so a seed fixes them);
//   mutate() returns an architecture different from its input.
// * decisions() is the categorical view: an ordered list of slots, each with its choices.
//   encode()/decode() map an Arch to one choice index per slot and back, so evolution, RL and
//   pruning work on any space. A space whose architectures are not a fixed-size cell (variable
//   depth, say) exposes its maximum shape, with a choice that switches a slot off; decode() may
//   reject a combination that violates a constraint (throws nas::Error).
// * build() returns a fresh network; it draws initial weights from torch's global generator,
//   so callers seed it first and build serially (the evaluator does).
// * params()/flops() are analytic counts for the network build() would return: parameters
//   (all trainable tensors, BatchNorm affine included) and multiply-accumulate operations of
//   one forward pass with batch size 1.
// * enumerate() is optional (finite, small spaces only); the default throws "not supported".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nas/arch.h"
#include "nas/seed.h"

namespace nas {

class Network;

// What the network is built for: the input it sees and the classes it predicts.
struct NetSpec {
  int num_classes = 10;
  int in_channels = 3;
  int input_size = 32;  // square inputs
};

// One categorical slot of the decision view.
struct Decision {
  std::string name;
  std::vector<std::string> choices;
};

class SearchSpace {
 public:
  virtual ~SearchSpace();

  virtual std::string name() const = 0;

  virtual Arch parse(const std::string& text) const = 0;
  virtual Arch sample(Rng& rng) const = 0;
  virtual Arch mutate(const Arch& arch, Rng& rng) const = 0;

  virtual std::vector<Decision> decisions() const = 0;
  virtual std::vector<int> encode(const Arch& arch) const = 0;
  virtual Arch decode(const std::vector<int>& choices) const = 0;

  virtual std::shared_ptr<Network> build(const Arch& arch, const NetSpec& spec) const = 0;
  virtual std::int64_t params(const Arch& arch, const NetSpec& spec) const = 0;
  virtual std::int64_t flops(const Arch& arch, const NetSpec& spec) const = 0;

  // Optional: constraints such as a FLOPs budget. The default accepts everything.
  virtual bool satisfies_constraints(const Arch& arch) const;

  // Optional: every architecture, in the space's documented order.
  virtual bool can_enumerate() const { return false; }
  virtual std::vector<Arch> enumerate() const;

 protected:
  // Checks that `arch` belongs to this space; throws nas::Error otherwise.
  void require_own(const Arch& arch) const;
};

}  // namespace nas
