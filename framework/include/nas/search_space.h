// SearchSpace: the set of architectures a strategy explores, and how to build each one.
//
// Contract:
// * parse() accepts any spelling the space documents and returns the canonical Arch; a bad
//   string throws nas::Error saying which part is wrong and why. parse(a.str()) == a.
// * sample() and mutate() draw only from the Rng they are given (so a seed fixes them);
//   mutate() returns an architecture different from its input.
// * Constraints: sample() and mutate() return architectures of the space (ones parse() and
//   decode() accept) but ignore satisfies_constraints(), which needs a NetSpec they are not
//   given (a FLOPs budget depends on the input size). Their result may violate a constraint;
//   a caller that honours constraints tests satisfies_constraints(result, spec) and draws
//   again with the same Rng (the score stage's sampling does), so a seed still fixes the
//   outcome. A space must not loop inside mutate() hunting for a valid neighbour: whether one
//   exists depends on the spec.
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
// * build(), params() and flops() honour every field of the NetSpec or refuse it (see NetSpec).
// * enumerate() is optional (finite, small spaces only); the default throws "not supported".
// * build_supernet() is optional (has_supernet()): the pruning view of the space, below.
// * network_key() and representative() are optional: the classes of architectures that are
//   one network at a NetworkIdentity level (nas/network_identity.h), below. The defaults put
//   every architecture in a class of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nas/arch.h"
#include "nas/network_identity.h"
#include "nas/seed.h"

namespace nas {

class Network;

// What the network is built for (the input it sees, the classes it predicts) and, optionally,
// a reduced variant of the space's network.
//
// The shape fields (width, depth, max_cells, stem, width_multiplier) ask for a thinner, shallower
// or stem-less network, as proxies that probe a small copy of the architecture need (TE-NAS counts
// linear regions of a one-channel, one-cell network without a stem). At their defaults they ask for
// the space's published network: a spec that leaves them alone builds exactly what it built
// before they existed, module for module and weight for weight. A space honours every field
// alike in build(), params() and flops(), or refuses the spec with nas::Error naming the field
// and the reason; it never ignores a field silently. A space whose network has no notion of a
// field (no stem, say) refuses any value but the default (require_default_shape() refuses
// them all).
struct NetSpec {
  int num_classes = 10;
  int in_channels = 3;
  int input_size = 32;  // square inputs
  // Base channel count: the channels of the first stage, which later stages scale as the space
  // does. 0: the space's default.
  int width = 0;
  // Cells (or blocks) per stage. 0: the space's default.
  int depth = 0;
  // Keep only the first max_cells cells of the whole stack, counted in forward order with the
  // reduction cells; the head follows the last cell kept (TE-NAS's `depth`). 0: all of them.
  int max_cells = 0;
  // false: no stem, the first cell reads the input directly (so in_channels must be what that
  // cell takes).
  bool stem = true;
  // Scales every channel count of the network (MobileNet's width multiplier). Each space says
  // how it rounds the scaled counts and whether it accepts anything but 1.0; a multiplier that
  // is not finite or not positive is always refused. It composes with `width`: the space scales
  // the base width it would otherwise use.
  double width_multiplier = 1.0;

  // Where the built network's tensors live: "cpu", "cuda" or "cuda:<index>" (torch's
  // spelling). A space builds on the CPU, so that a seed draws the same initial weights on
  // every device, then moves the network; it refuses other spellings. Counts (params(),
  // flops()) do not depend on the device. Moving batches to the device is the caller's part.
  std::string device = "cpu";

  // Every shape field at its default: the space's published network. (The device is not a
  // shape: the same network lives anywhere.)
  bool default_shape() const {
    return width == 0 && depth == 0 && max_cells == 0 && stem && width_multiplier == 1.0;
  }
};

// Throws nas::Error, naming `space` and the first field set, unless spec.default_shape(): for
// spaces that build only their published network.
void require_default_shape(const NetSpec& spec, const std::string& space);

// The NetSpec checks that spaces with a configurable cell network share, in this order:
// num_classes and in_channels at least 1; width, depth and max_cells not negative; width at most
// 65536 and depth at most 10000 (far above any real use, so cell and channel counts cannot
// overflow); width_multiplier positive, finite and keeping the width at most 65536; device one
// of cpu, cuda, cuda:<index>. Throws nas::Error("<space>: <why>"). Returns the width the network
// gets: `default_width` standing for width 0, times width_multiplier, rounded to the nearest
// channel count and at least 1.
std::int64_t checked_width(const NetSpec& spec, const std::string& space, int default_width);
// Whether `device` is one of torch's spellings a network may be built for: cpu, cuda,
// cuda:<index> (at most four digits).
bool is_device_name(const std::string& device);

// One categorical slot of the decision view.
struct Decision {
  std::string name;
  std::vector<std::string> choices;
};

// Slots of the pruning view (indices into SearchSpace::supernet_decisions()) of which only
// `keep` stay live in the end.
struct SupernetGroup {
  std::string name;
  std::vector<std::size_t> slots;
  int keep = 1;
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

  // Optional: constraints such as a FLOPs budget, judged for the network built at `spec` (a
  // FLOPs budget depends on the input size). The default accepts everything.
  virtual bool satisfies_constraints(const Arch& arch, const NetSpec& spec) const;

  // Optional: every architecture, in the space's documented order.
  virtual bool can_enumerate() const { return false; }
  virtual std::vector<Arch> enumerate() const;

  // Optional: the supernet, the view a pruning strategy (TE-NAS) works on. Where a discrete
  // network holds one choice per decision slot, the supernet holds a set of surviving choices
  // per slot. alive[d][c] says whether choice c of decision d (as listed by decisions())
  // survives. Each slot mixes its survivors as TE-NAS does: TE-NAS gives every op an
  // architecture weight alpha, 0 for a surviving op and -1000 for a pruned one, and sums
  // softmax(alpha)_o * op(x) over the ops whose weight exceeds 0.01, i.e. the plain mean of the
  // surviving ops' outputs (summed in choice order), pruned ops not evaluated at all. A slot
  // with one survivor is that op alone, so a supernet with one survivor per slot computes
  // exactly the discrete network of that architecture (given the same weights; each space
  // documents how its construction order relates the two under one seed). `alive` indexes
  // supernet_decisions() (below; decisions() unless the space says otherwise).
  // The supernet honours the NetSpec as build() does, has taps and ReLU → Conv → BN units as
  // the discrete network has them (one set per surviving op), and draws its initial weights
  // from torch's global generator in a fixed, documented order, like build(). `alive` must
  // pass check_supernet_alive() (one row per slot, one entry per choice, a survivor in every
  // row outside a group); anything else throws nas::Error naming the slot. The default throws
  // "search space 'X' has no supernet".
  virtual bool has_supernet() const { return false; }
  virtual std::shared_ptr<Network> build_supernet(const std::vector<std::vector<bool>>& alive,
                                                  const NetSpec& spec) const;

  // The pruning view, optional parts. A space whose supernet is not "one mix per decision
  // slot" (DARTS: decisions() are (input, op) per node entry, while TE-NAS mixes ops on every
  // edge) gives it its own slots:
  // * supernet_decisions() lists the slots and choices that `alive` indexes (for
  //   build_supernet, supernet_arch, evaluate_supernet and a pruning strategy). The default is
  //   decisions(), which keeps a space such as NB201 exactly as it was.
  // * supernet_groups() lists sets of slots of which only `keep` stay in the end (DARTS: the
  //   incoming edges of a node, keep 2; TE-NAS's edge groups). A slot of a group may lose
  //   every choice (a dead edge, which contributes nothing), as long as its group keeps at
  //   least `keep` live slots; a slot outside every group keeps a choice. A slot belongs to at
  //   most one group. The default is no groups.
  // * decode_supernet(alive) is the discrete architecture of a fully pruned supernet: one
  //   survivor per live slot and exactly `keep` live slots per group. Anything else throws
  //   nas::Error naming the slot or group. The default (no groups) decodes the survivor of
  //   each slot with decode().
  virtual std::vector<Decision> supernet_decisions() const { return decisions(); }
  virtual std::vector<SupernetGroup> supernet_groups() const { return {}; }
  virtual Arch decode_supernet(const std::vector<std::vector<bool>>& alive) const;

  // Optional: equivalence classes of architectures (nas/network_identity.h). network_key(a, l)
  // equals network_key(b, l) exactly when a and b are one network at level l; at kArch the key
  // is a.str(), and classes only grow from kArch to kStructure to kFunction.
  // representative(a, l) is the member of a's class that the pipeline builds and scores for
  // the whole class: the same Arch for every member, itself a member, so representative(r, l)
  // == r for a representative r. A space documents its rule and how it picks the
  // representative. Both accept any architecture of the space (they throw nas::Error like
  // parse() for a bad one); a supernet_arch() is always its own class. The defaults put every
  // architecture alone in its class at every level (key a.str(), representative a).
  virtual std::string network_key(const Arch& arch, NetworkIdentity level) const;
  virtual Arch representative(const Arch& arch, NetworkIdentity level) const;

 protected:
  // Checks that `arch` belongs to this space; throws nas::Error otherwise.
  void require_own(const Arch& arch) const;
  // check_supernet_alive(*this, alive).
  void require_valid_alive(const std::vector<std::vector<bool>>& alive) const;
};

// Checks the shape of a supernet's `alive` against space.supernet_decisions(), that every slot
// outside a group keeps a choice and every group keeps at least `keep` live slots; throws
// nas::Error naming the slot (and its choices) or the group otherwise.
void check_supernet_alive(const SearchSpace& space, const std::vector<std::vector<bool>>& alive);

// A supernet named as an Arch, so that evaluators, the score cache and scores.csv handle it
// like any architecture (its seeds derive from its string; a killed pruning search resumes
// without rescoring): the space's name, and as text "supernet:" followed by one group of 0/1
// flags per slot of supernet_decisions() (choice order), groups separated by '/'. It is never a row
// of the score table or a ground-truth key.
Arch supernet_arch(const SearchSpace& space, const std::vector<std::vector<bool>>& alive);
bool is_supernet_arch(const Arch& arch);
// The flags of a supernet_arch(); throws nas::Error when the text is not one.
std::vector<std::vector<bool>> supernet_alive(const Arch& arch);
// build() for an architecture, build_supernet() for a supernet_arch(): what the probe engine
// and ProbeContext::build_network call.
std::shared_ptr<Network> build_network_for(const SearchSpace& space, const Arch& arch,
                                           const NetSpec& spec);

}  // namespace nas
