// The DARTS cell search space (Liu et al., ICLR 2019), the space of NAS-Bench-301 (Siems et
// al., 2020).
//
// An architecture (a genotype) is two cells, a normal and a reduction cell. Each cell has two
// inputs (0 = the output of the cell before the previous one, c_{k-2}; 1 = the previous cell's
// output, c_{k-1}) and four intermediate nodes 2..5. Intermediate node n reads two distinct
// earlier nodes (0..n-1), each through one op of seven: max_pool_3x3, avg_pool_3x3,
// skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5 (this order is the op
// index, NASLib's compact encoding's). `none` is no genotype op. The node sums its two op
// outputs; the cell outputs the channel concatenation of nodes 2..5.
//
// Architecture strings. The canonical spelling is the NAS-Bench-301 sample table's (NASLib's):
//     normal=[('op',i),('op',i),...];reduce=[('op',i),...]
// with 8 (op, input) pairs per cell, entries 2k and 2k+1 feeding node k + 2, no blanks.
// parse() also accepts the form DARTS prints,
//     Genotype(normal=[('op', i), ...], normal_concat=range(2, 6), reduce=[...],
//              reduce_concat=range(2, 6))
// with the concats written range(2, 6) or [2, 3, 4, 5] (the only concat the space has), the
// four fields in any order, single or double quotes, and blanks anywhere between tokens. The
// order of the two entries of a node is kept (it is part of the architecture at the kArch
// level; see network identity below). Errors name the cell, the node and the entry.
//
// Decision view: 32 slots, for the normal then the reduction cell, for nodes 2..5, for the
// node's first then second entry: `<cell>.n<node>.e<j>.op` (the 7 ops, in op order) and
// `<cell>.n<node>.e<j>.in` (choices "0".."node-1"). decode() rejects a node whose two entries
// read the same input.
//
// sample() is NASLib's NasBench301SearchSpace.sample_random_architecture in distribution: per
// cell and node, an ordered pair of distinct inputs uniformly, each of the two ops uniformly
// (here drawn cell by cell, node by node: first input, second input among the rest, first
// op, second op). mutate() is NASLib's mutate (mutation_rate 1): pick a cell (1/2), an entry
// (1/8) and whether to change its op or its input (1/2); an op is redrawn uniformly from all
// 7, an input uniformly from 0..node-1 and kept only if it differs from the other entry's
// input; a draw that changes nothing is repeated (NASLib's while loop; a draw changes the
// architecture with probability above 3/7, and the loop needs no NetSpec).
//
// The network (build()): DARTS's NetworkCIFAR as NASLib measured NAS-Bench-301's `params`:
// a 3x3 conv stem to 3C channels with BN, `layers` cells with the reduction cells at
// layers/3 and 2*layers/3 (integer division) doubling the channels, each cell preprocessing
// its two inputs with ReLU-Conv1x1-BN (FactorizedReduce for input 0 when the previous cell
// reduced), global average pooling and a linear classifier on 4C_last channels. Ops: sep_conv
// = (ReLU, depthwise kxk conv, 1x1 conv, BN) twice, the first with the op's stride;
// dil_conv = ReLU, depthwise kxk conv with dilation 2, 1x1 conv, BN; skip_connect = identity,
// FactorizedReduce at stride 2; pools 3x3 with padding 1 (average excluding the padding),
// followed by a non-affine BN (NASLib's MaxPool/AvgPool with use_bn; space parameter
// pool_bn). In the reduction cell the ops reading inputs 0 and 1 have stride 2. darts_network.cpp
// documents the module order.
//
// Space parameters (Options) and NetSpec:
// * width (NetSpec.width, default 32 = NB301's init_channels) = C; width_multiplier m scales
//   it to C' = max(1, round(m C)) (ties away from zero). A network with a reduction cell (or
//   a FactorizedReduce) needs an even C'.
// * layers (space parameter, default 8 = NB301's): cells in the stack. NetSpec.depth = N asks
//   for N normal cells per stage, i.e. layers = 3N + 2 (N = 2 is NB301's 8, N = 6 DARTS's 20).
// * max_cells: only the first max_cells cells are built; the classifier follows the last.
// * stem = false: no stem; both inputs of the first cell are the image (its preprocessing
//   maps in_channels to C, so any in_channels works). Refused with the ImageNet stem.
// * imagenet_stem (default false): NetworkImageNet's stems (stem0 = conv3x3/2 in -> C/2, BN,
//   ReLU, conv3x3/2 C/2 -> C, BN; stem1 = ReLU, conv3x3/2 C -> C, BN); the first cell reads
//   stem0 as c_{k-2} (through FactorizedReduce) and stem1 as c_{k-1}. Global pooling is
//   adaptive (DARTS's AvgPool2d(7) at 224x224 input).
// * auxiliary (default false): DARTS's auxiliary head on the output of cell 2*layers/3
//   (CIFAR: ReLU, AvgPool 5/3, conv1x1 -> 128, BN, ReLU, conv2x2 -> 768, BN, ReLU, Linear;
//   ImageNet: AvgPool 5/2 and no BN after the 2x2 conv, as DARTS's code). It counts in
//   params() and flops(); forward() returns the main logits only and, in training mode,
//   keeps the auxiliary logits for a trainer (nas::Network::auxiliary_logits(), which the
//   trainer weighs by train.auxiliary_weight). Its ReLUs are no taps.
// * cell_affine (default false): affine BatchNorm in the cell ops (sep/dil conv, the
//   FactorizedReduce of a reduction skip). NASLib builds them non-affine; DARTS's eval net
//   affine. Stem and preprocessing BN are always affine; the pooling BN never is.
// * Drop-path (DARTS and NB301 train with drop_path_prob 0.2) has no parameters and is no space
//   parameter: the discrete network supports it (nas::Network::supports_drop_path()) and
//   drops with the probability the trainer passes (train.drop_path, scaled by epoch / epochs as
//   DARTS does); darts_network.cpp documents how. The supernet has none.
// DARTS's own CIFAR-10 eval net is `layers: 20, cell_affine: true, pool_bn: false` at width
// 36, with `auxiliary: true` for its training (configs/darts-cifar10-train.yaml).
// The input size must be a multiple of 2^r for the r halvings built (two per the CIFAR
// net's reductions; three more with the ImageNet stem), as FactorizedReduce needs even sizes.
//
// The default network (C = 32, 8 cells, stem 96, no auxiliary head, non-affine cell BN, a
// 10-class head on 3x32x32 inputs) has exactly the parameter count of the NAS-Bench-301
// sample table: params = round(count / 10^6, 6) (the table's unit is millions, counted
// without the auxiliary head that NB301 trained with). tests/test_darts.cpp checks all 725
// rows.
//
// Network identity (network_key(), representative()):
// * structure: a node sums its two entries, so the two entries of a node in either order are
//   one network: the same layers (built in another order) computing the same function (the
//   sum of two tensors is exact and commutative in IEEE arithmetic, so even the values agree
//   bit for bit given the same weights). The representative orders each node's entries by
//   input (the smaller input first; the inputs of a node differ). Other relabellings (e.g.
//   swapping two intermediate nodes that do not read each other, which permutes the
//   concatenation's channels) are not merged: such classes stay split, never wrongly joined.
// * function: as structure. Every op of a DARTS cell is live (every intermediate node feeds
//   the output concatenation, and there is no `none` op), so no op can be removed.
//
// Analytic counts:
// * params(): every trainable tensor (conv weights, no conv has a bias; affine BN gamma and
//   beta; classifier weight and bias; the auxiliary head's when built).
// * flops(): multiply-accumulates of one forward pass at batch size 1: convolutions
//   (C_out H_out W_out C_in/groups k k) and linear layers (in x out); BN, ReLU, pooling,
//   additions, concatenations and biases are not counted. The auxiliary head is counted when
//   built.
//
// Supernet (TE-NAS's pruning view; build_supernet(), supernet_decisions(), supernet_groups(),
// decode_supernet()). Its slots are not decisions(): TE-NAS mixes ops on every edge of the
// cell's DAG. 28 slots, the normal then the reduction cell's 14 edges (node 2 <- 0, 1; node 3
// <- 0, 1, 2; node 4 <- 0..3; node 5 <- 0..4), named `<cell>.n<node>.i<input>`, each with
// TE-NAS's eight ops in TE-NAS's order (DARTS_SPACE): none, skip_connect, sep_conv_3x3,
// sep_conv_5x5, dil_conv_3x3, dil_conv_5x5, avg_pool_3x3, max_pool_3x3 (this order fixes the
// construction order and the pruning strategy's enumeration and tie order, as the
// reference's). Groups: the incoming edges of each node (`<cell>.n<node>`), keep 2 (TE-NAS's
// edge groups (0,2), (2,5), (5,9), (9,14), num_per_group 2). An edge may lose every op (a dead
// edge contributes nothing; its group keeps at least 2 live edges). decode_supernet() takes one
// survivor (not none) on each of the two live edges of every node: the entries in input order.
// The supernet network is the discrete network's (stem, preprocessing, head, Options and the
// NetSpec's shape as build() has them) with each cell's eight entries replaced by 14 mixed
// edges: each edge the mean of its surviving ops (TE-NAS's softmax(alpha) with alpha 0 for a
// survivor and -1000 for a pruned op), a node the sum of its live edges in input order
// (darts_network.cpp has the construction order). A supernet with one survivor on exactly the
// two edges of every node therefore has the discrete network's modules and parameter count;
// under one seed its weights differ (every op of every edge draws its weights).
// Size: TE-NAS's DARTS supernet is nasnet-super with C = 1, N = 1, depth 2 (a normal and a
// reduction cell), stem multiplier 1. Here the size is the NetSpec's, as for build(), so
// proxies that shrink the network (linear_regions' width/depth/max_cells) shrink the
// supernet alike. Three space parameters resize the supernet where the NetSpec leaves a field
// at its default: supernet_width (C), supernet_depth (N normal cells per stage, layers 3N + 2)
// and supernet_cells (max_cells); TE-NAS's network is supernet_width 2 (C = 1 is refused: the
// width must be even with a reduction cell), supernet_depth 1, supernet_cells 2. The stem keeps
// DARTS's multiplier 3 and there is no lastact BN-ReLU before the pooling (TE-NAS's
// nasnet-super has both), so that a fully pruned supernet is the discrete network.
//
// Not provided: enumerate() (the space has about 10^18 cells).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nas/search_space.h"

namespace darts {

inline constexpr int kNumSteps = 4;  // intermediate nodes per cell
inline constexpr int kNumEntries = 2 * kNumSteps;
inline constexpr int kNumOps = 7;

// Op indices, also the choice index of an op slot (NASLib's compact order).
enum Op : int {
  kMaxPool3x3 = 0,
  kAvgPool3x3 = 1,
  kSkipConnect = 2,
  kSepConv3x3 = 3,
  kSepConv5x5 = 4,
  kDilConv3x3 = 5,
  kDilConv5x5 = 6
};

const std::array<std::string, kNumOps>& op_names();

// The supernet's view: 14 edges per cell, TE-NAS's 8 ops per edge.
inline constexpr int kNumEdges = 14;
inline constexpr int kNumSuperOps = 8;
// TE-NAS's op order (DARTS_SPACE): none, skip_connect, sep_conv_3x3, sep_conv_5x5,
// dil_conv_3x3, dil_conv_5x5, avg_pool_3x3, max_pool_3x3.
const std::array<std::string, kNumSuperOps>& super_op_names();
// The genotype op of supernet op s; -1 for none.
int super_op_to_op(int s);
// The edge of node (2..5) <- input (0..node-1).
inline int edge_index(int node, int input) { return (node - 2) * (node + 1) / 2 + input; }
using SuperCell = std::array<std::array<bool, kNumSuperOps>, kNumEdges>;
struct SuperAlive {
  SuperCell normal{};
  SuperCell reduce{};
};

// One entry of a cell: an op reading an input node.
struct Entry {
  int op = 0;
  int input = 0;
  friend bool operator==(const Entry& a, const Entry& b) {
    return a.op == b.op && a.input == b.input;
  }
};
// Entries 2k and 2k+1 feed intermediate node k + 2.
using Cell = std::array<Entry, kNumEntries>;

struct Genotype {
  Cell normal{};
  Cell reduce{};
  friend bool operator==(const Genotype& a, const Genotype& b) {
    return a.normal == b.normal && a.reduce == b.reduce;
  }
};

// Parses either spelling; throws nas::Error naming the wrong part and the valid choices.
Genotype parse_genotype(const std::string& text);
// The canonical (sample table) spelling; throws nas::Error for an invalid genotype.
std::string format_genotype(const Genotype& genotype);
// Throws nas::Error (prefixed with `context`) when an entry is out of range or a node reads
// one input twice.
void validate(const Genotype& genotype, const std::string& context);

// Network identity: each node's entries ordered by input.
Genotype structure_canonical(const Genotype& genotype);

// Space parameters (see above).
struct Options {
  std::int64_t layers = 8;
  bool imagenet_stem = false;
  bool auxiliary = false;
  bool cell_affine = false;
  bool pool_bn = true;
  // The supernet's size where the NetSpec leaves the field at 0 (0: as the NetSpec).
  int supernet_width = 0;
  int supernet_depth = 0;
  int supernet_cells = 0;
};

// The network a NetSpec asks for, resolved against the options.
struct Shape {
  std::int64_t width = 32;  // C after the width multiplier
  std::int64_t layers = 8;  // cells of the whole stack
  int cells = 8;            // cells built (max_cells)
  bool stem = true;
  bool imagenet_stem = false;
  // The auxiliary head is built (asked for, and the cell it reads is built).
  bool auxiliary = false;
  bool is_reduction(std::int64_t k) const { return k == layers / 3 || k == 2 * layers / 3; }
  std::int64_t aux_cell() const { return 2 * layers / 3; }
};

Shape check_spec(const nas::NetSpec& spec, const Options& options);
std::int64_t count_params(const Genotype& genotype, const nas::NetSpec& spec,
                          const Options& options);
std::int64_t count_macs(const Genotype& genotype, const nas::NetSpec& spec, const Options& options);
// Defined in darts_network.cpp (the only translation unit that sees torch).
std::shared_ptr<nas::Network> build_network(const Genotype& genotype, const nas::NetSpec& spec,
                                            const Options& options);
std::shared_ptr<nas::Network> build_supernet_network(const SuperAlive& alive,
                                                     const nas::NetSpec& spec,
                                                     const Options& options);

class DartsSpace : public nas::SearchSpace {
 public:
  static constexpr const char* kName = "darts";

  explicit DartsSpace(Options options = {}) : options_(options) {}

  std::string name() const override { return kName; }
  const Options& options() const { return options_; }

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

  bool has_supernet() const override { return true; }
  std::shared_ptr<nas::Network> build_supernet(const std::vector<std::vector<bool>>& alive,
                                               const nas::NetSpec& spec) const override;
  std::vector<nas::Decision> supernet_decisions() const override;
  std::vector<nas::SupernetGroup> supernet_groups() const override;
  nas::Arch decode_supernet(const std::vector<std::vector<bool>>& alive) const override;
  // The NetSpec a supernet is built for: `spec` with the supernet_* options filled in.
  nas::NetSpec supernet_spec(const nas::NetSpec& spec) const;

  std::string network_key(const nas::Arch& arch, nas::NetworkIdentity level) const override;
  nas::Arch representative(const nas::Arch& arch, nas::NetworkIdentity level) const override;

  Genotype genotype_of(const nas::Arch& arch) const;
  nas::Arch arch_of(const Genotype& genotype) const {
    return nas::Arch(kName, format_genotype(genotype));
  }

 private:
  Options options_;
};

}  // namespace darts
