// The NAS-Bench-201 search space (Dong & Yang, ICLR 2020; the NATS-Bench topology space).
//
// A cell is a DAG on four nodes 0..3. Node 0 is the cell input, node 3 its output, and every
// pair i < k is joined by one edge k <- i that carries one of five ops: none, skip_connect,
// nor_conv_1x1, nor_conv_3x3, avg_pool_3x3. That makes 6 edges and 5^6 = 15,625 cells.
//
// Architecture strings. The canonical spelling is the benchmark's own,
//     |op~0|+|op~0|op~1|+|op~0|op~1|op~2|
// Group k (k = 1..3, separated by '+') lists the edges into node k, and `op~i` is the op on
// the edge from node i. parse() accepts exactly this form (surrounding whitespace is
// ignored). In error messages, "node k, edge i" means the edge from node i into node k.
//
// Decision view. Six slots in the order the edges appear in the string: edge_1<-0,
// edge_2<-0, edge_2<-1, edge_3<-0, edge_3<-1, edge_3<-2. Each slot's choices are the five ops
// in the order listed above, so choice index = op index (none = 0 ... avg_pool_3x3 = 4).
//
// sample() draws each edge uniformly (5 choices each, hence uniform over the 15,625 cells).
// mutate() is the WRCor / regularised-evolution move: pick one of the 6 edges uniformly, then
// one of the 4 other ops uniformly (in op order).
//
// enumerate() lists all 15,625 cells in the official NAS-Bench-201 index order, i.e. the
// order of `api.arch(index)` in the benchmark files. That order is not a product order over
// the edges (the benchmark generated its cells in a shuffled order), so it is read from the
// `arch` column of a table rather than computed: by default the accuracies.csv.gz this plugin
// ships (row i = index i); the space parameter `index_file` names another CSV with an `arch`
// column holding every cell once.
//
// The network (build()) is NAS-Bench-201's TinyNetwork with C = 16 and N = 5: a 3x3 conv stem
// with BN, 5 cells at 16 channels, a ResNet basic block that halves the resolution and
// doubles the width, 5 cells at 32, another such block, 5 cells at 64, then BN, ReLU, global
// average pooling and a linear classifier. nb201_network.cpp documents the exact module order.
// NetSpec gives the classes, the input channels and the input size, which must be a multiple
// of 2^r for the r ResNet blocks built (4 for the full network: two halvings whose two branches
// must agree in size; any size for TE-NAS's one-cell thin network).
//
// NetSpec's shape fields are all honoured, as TE-NAS's TinyNetworkDarts honours its C, N,
// depth and use_stem:
// * width = C (default 16): the stages have C, 2C and 4C channels;
// * depth = N (default 5): normal cells per stage, so the stack has 3N + 2 cells, the ResNet
//   blocks at positions N and 2N + 1;
// * max_cells (default all): only the first max_cells cells of that stack are built, and the
//   head (BN, ReLU, pooling, classifier) follows the last one at its channel count; a value
//   above 3N + 2 is refused. The input size must then be a multiple of 2^r, r the number of
//   ResNet blocks kept (any size >= 1 when none is);
// * stem = false: no stem conv and BN; the first cell reads the input, so in_channels must
//   equal C (refused otherwise);
// * width_multiplier m (default 1.0) scales C: the network is built with
//   C' = max(1, round(m x C)) channels in the first stage (C = width, or 16; ties round away
//   from zero), and every count above uses C'. So m = 0.5 builds C = 8, m = 1.5 builds C = 24,
//   and the stages keep the factor 2 between them exactly. A multiplier that is not finite,
//   not positive, or scales C above the width limit is refused.
// NetSpec's device is honoured: the network is built on the CPU (the seeded weights are the
// same on every device) and then moved; "cpu", "cuda" and "cuda:<index>" are accepted, any
// other spelling refused, and a device torch cannot reach fails build() with its reason.
// TE-NAS's thin network for linear regions is width 1, depth 1, max_cells 1, no stem: one
// normal cell on one channel.
//
// Supernet (build_supernet(), TE-NAS's pruning view): each of the six edges of every normal
// cell holds the set of its surviving ops and returns their mean, summed in op order; an
// edge with one survivor is that op alone. The ResNet blocks, stem and head are the discrete
// network's. nb201_network.cpp documents the construction order: every op of every edge is
// created, alive or not, so one seed gives an op the same initial weights whatever else
// survives (TE-NAS compares a supernet with itself minus one op, on the same weights); pruned
// ops are then dropped and own nothing in the returned network. Hence a supernet with one
// survivor per edge computes the discrete network's function, but from other weights than
// build() draws under the same seed; with the discrete network's weights copied in (names
// map cells.k.layers.e.X to cells.k.layers.e.<op index>.X) its output is identical.
//
// Network identity (network_key(), representative(); nas/network_identity.h):
// * structure: the only relabelling of a cell that keeps it a cell swaps the intermediate
//   nodes 1 and 2, and it keeps every edge pointing forward only when edge 2 <- 1 is none
//   (otherwise node 2 reads node 1). Swapped, the cell holds the same ops on the same kinds
//   of input: ops 1 <- 0 and 2 <- 0 trade places, and so do 3 <- 1 and 3 <- 2.
// * function: first every dead op becomes none, then the structure rule applies. From the op
//   definitions (nb201_network.cpp): none gives zeros; skip_connect and avg_pool_3x3 (padding
//   excluded from the average) give zeros on an all-zero input; so a node is zero when each
//   edge into it is none, or a skip or pool from a zero node. nor_conv of a zero node is NOT
//   zero in general: ReLU and the bias-free conv give zeros, but BatchNorm then outputs its
//   beta, a trainable parameter (0 at initialisation, with a non-zero gradient); it counts as
//   live, and its target node as non-zero. An op is live when it is not none, is not a skip
//   or pool from a zero node, and its target node is the output or feeds a live op into a
//   node that is (recursively). Every other op is dead.
// * The representative of a class is the member whose op indices, read in arch-string order,
//   are smallest (lexicographically); the key is its arch string. A supernet_arch is its own
//   class. Counts over all 15,625 cells: 14,125 structure classes and 9,550 function classes
//   (tests/oracle/nb201_classes.py counts them independently). The NAS-Bench-201 paper's
//   6,466 "unique" cells come from its API's to_unique_str, a coarser rule that also treats
//   parallel edges into a node as interchangeable; these classes do not try to match it.
//
// Analytic counts:
// * params(): every trainable tensor: conv weights (no conv has a bias), BatchNorm gamma and
//   beta, the classifier's weight and bias. With a CIFAR-10 head (3x32x32 input, 10 classes)
//   it equals the benchmark's parameter count (params_M x 10^6 of the v1.0 table, except for
//   the 204 rows where v1.0 averaged the records of two different cells).
// * flops(): multiply-accumulates of one forward pass at batch size 1, counting convolutions
//   (C_out x H_out x W_out x C_in x k x k) and the classifier (in x out) only; BatchNorm,
//   ReLU, pooling, the additions that join edges, the `none` op's multiplication by 0 and
//   biases are not counted.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nas/search_space.h"

namespace nb201 {

inline constexpr int kNumNodes = 4;
inline constexpr int kNumEdges = 6;
inline constexpr int kNumOps = 5;
inline constexpr int kNumCells = 15625;  // kNumOps ^ kNumEdges

// Op indices; also the choice index in the decision view.
enum Op : int { kNone = 0, kSkipConnect = 1, kConv1x1 = 2, kConv3x3 = 3, kAvgPool3x3 = 4 };

// The op names as the benchmark spells them, indexed by Op.
const std::array<std::string, kNumOps>& op_names();

// One cell: the op of each edge, in arch-string order (see edge_of()).
using Cell = std::array<int, kNumEdges>;

// Edge `e` (0..5, arch-string order) runs from node `from` into node `to`.
struct Edge {
  int to;
  int from;
};
Edge edge_of(int e);

// Parses the canonical string; throws nas::Error naming the wrong part.
Cell parse_cell(const std::string& text);
std::string format_cell(const Cell& cell);

// The surviving ops of a supernet: alive[e][op], edges in arch-string order.
using Alive = std::array<std::array<bool, kNumOps>, kNumEdges>;

// The network a NetSpec asks for, its shape fields resolved against the defaults.
struct Shape {
  std::int64_t width = 16;  // channels of the first stage (C, after the width multiplier)
  std::int64_t depth = 5;   // normal cells per stage (N)
  int cells = 17;           // top-level cells built, ResNet blocks included
  bool stem = true;
  // Whether top-level cell k is a ResNet block (k == N or k == 2N + 1).
  bool is_reduction(int k) const { return k == depth || k == 2 * depth + 1; }
  int reductions() const;  // ResNet blocks among the cells built
};

// Network identity (see above): the cell with every dead op replaced by none, and the smaller
// (by op indices in edge order) of the cell and its node-1/node-2 swap when that swap is a
// relabelling (edge 2 <- 1 none), the cell itself otherwise.
Cell function_reduced(const Cell& cell);
Cell structure_canonical(const Cell& cell);

// Resolves the shape of `spec`; throws nas::Error naming the field when the network cannot be
// built for it.
Shape check_spec(const nas::NetSpec& spec);
std::int64_t count_params(const Cell& cell, const nas::NetSpec& spec);
std::int64_t count_macs(const Cell& cell, const nas::NetSpec& spec);
// Defined in nb201_network.cpp (the only translation unit that sees torch).
std::shared_ptr<nas::Network> build_network(const Cell& cell, const nas::NetSpec& spec);
std::shared_ptr<nas::Network> build_supernet_network(const Alive& alive, const nas::NetSpec& spec);

class Nb201Space : public nas::SearchSpace {
 public:
  static constexpr const char* kName = "nb201";

  // `index_file`: the table whose `arch` column fixes the enumerate() order ("" when none
  // was found: enumerate() then throws, everything else works).
  explicit Nb201Space(std::string index_file);

  std::string name() const override { return kName; }

  nas::Arch parse(const std::string& text) const override;
  nas::Arch sample(nas::Rng& rng) const override;
  nas::Arch mutate(const nas::Arch& arch, nas::Rng& rng) const override;

  std::vector<nas::Decision> decisions() const override;
  std::vector<int> encode(const nas::Arch& arch) const override;
  nas::Arch decode(const std::vector<int>& choices) const override;

  std::shared_ptr<nas::Network> build(const nas::Arch& arch,
                                      const nas::NetSpec& spec) const override;
  std::int64_t params(const nas::Arch& arch, const nas::NetSpec& spec) const override;
  std::int64_t flops(const nas::Arch& arch, const nas::NetSpec& spec) const override;

  bool can_enumerate() const override { return true; }
  std::vector<nas::Arch> enumerate() const override;

  std::string network_key(const nas::Arch& arch, nas::NetworkIdentity level) const override;
  nas::Arch representative(const nas::Arch& arch, nas::NetworkIdentity level) const override;

  bool has_supernet() const override { return true; }
  std::shared_ptr<nas::Network> build_supernet(const std::vector<std::vector<bool>>& alive,
                                               const nas::NetSpec& spec) const override;

  // The cell of an architecture of this space (throws for another space's Arch).
  Cell cell_of(const nas::Arch& arch) const;
  nas::Arch arch_of(const Cell& cell) const { return nas::Arch(kName, format_cell(cell)); }

 private:
  std::string index_file_;
  // enumerate() reads the table once, on first use.
  mutable std::mutex order_mutex_;
  mutable std::vector<nas::Arch> order_;
};

}  // namespace nb201
