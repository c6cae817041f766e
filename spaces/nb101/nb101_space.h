// The NAS-Bench-101 search space (Ying et al., ICML 2019), as google-research/nasbench defines
// it (model_spec.py, graph_util.py, model_builder.py, base_ops.py, api.py).
//
// A cell ("module") is a DAG on at most 7 vertices given by an upper-triangular adjacency matrix
// and one label per vertex: the first is `input`, the last `output`, and each vertex between
// them holds one of conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3 (in that order: the op index
// is the position in this list, as the benchmark's `available_ops`).
//
// Architecture strings. The matrix flattened row-major as V*V characters 0/1, one space, then
// the V labels separated by commas, e.g. (V = 7)
//     0111101000001100000010000110000001100000000000000 input,maxpool3x3,...,output
// This is the `matrix` and `ops` columns of NASLib's NB101 tables joined by a space. V is taken
// from the matrix length, which must be a perfect square 4, 9, ..., 49 (2 to 7 vertices), and
// the label count must equal V. parse() ignores surrounding whitespace and otherwise accepts
// exactly this form; the canonical string is the cell as written (it is NOT pruned), so every
// spelling of the benchmark's tables is its own Arch and finds its own ground-truth row.
//
// Validity (api.py's is_valid on a ModelSpec): the matrix is upper triangular (zero on and below
// the diagonal), the first label is input, the last output, the others valid ops; then the spec
// is pruned (model_spec.py): every vertex that is not on a path from input to output is removed.
// The cell is invalid when input does not reach output; otherwise the PRUNED spec must have at
// most 7 vertices and at most 9 edges (the reference counts edges after pruning, so a matrix
// with more than 9 ones whose dead vertices carry the excess is valid, as 305 of the 500 rows
// of NASLib's sample are). Every check failure throws nas::Error naming the part and the valid
// choices.
//
// Decision view: 21 edge slots `edge_<src>-><dst>` (the upper triangle of a 7x7 matrix,
// row-major: 0->1, 0->2, ..., 5->6) with choices "0", "1", then 5 op slots `op_1`..`op_5` with
// the three op names. encode() of a cell with V < 7 vertices pads it to 7: its vertices
// 0..V-2 keep their indices, its output becomes vertex 6, and the added vertices V-1..5 have no
// edges and the op conv3x3-bn-relu (they are pruned, so the padded cell is the same network;
// decode(encode(a)) is then that padded 7-vertex cell). decode() throws nas::Error for an
// invalid cell, naming the reason.
//
// sample() is NASLib's / the nasbench example's random_spec: every upper-triangle entry 0 or 1
// with probability 1/2, every interior op uniform, drawn again until the cell is valid (about
// three quarters of the draws are; after 100,000 invalid draws it throws, which does not happen in
// practice). Draw order: the 21 entries row-major (one rng.below(2) each), then ops 1..5 (one
// rng.below(3) each).
// mutate() is the nasbench example's mutate_spec (= NASLib's nb101 mutate) with
// mutation_rate 1: on the (padded) unpruned cell, every one of the 21 upper-triangle entries
// flips with probability 1/7 (1/NUM_VERTICES, as the reference; one rng.uniform() each,
// row-major), then every interior op changes with probability 1/5 (1/OP_SPOTS; one
// rng.uniform() each, and on a change one rng.below(2) picks one of the two other ops in op
// order); the draw repeats until the result is valid. Unlike the reference it also repeats
// when the result equals the input (the contract wants a different architecture). Each draw
// succeeds with a probability bounded away from 0 (changing one op alone is always valid), so
// the loop ends; after 100,000 draws (never seen) it falls back to changing the op of vertex 1
// to the next op, which is always valid and different.
//
// Network identity (network_key(), representative(); nas/network_identity.h):
// * kStructure and kFunction: the key is the benchmark's own graph hash (graph_util.hash_module,
//   the MD5 hex strings the NAS-Bench-101 dataset is keyed by) of the pruned spec. Pruned
//   vertices are never built (model_builder.py builds the pruned spec), so cells that differ
//   only in dead vertices are the same network, and the hash is invariant under relabelling
//   of the pruned graph: it identifies isomorphism classes of pruned cells, the benchmark's
//   423,624 unique modules (the authors found no collision in the space; this plugin assumes
//   none, as the benchmark does). Every op of a pruned NB101 cell reaches the output and none
//   produces zeros from non-zero input, so there are no further dead ops: kFunction = kStructure.
//   One caveat, shared with the benchmark: compute_vertex_channels gives the remainder channels
//   of C_out / fan-in(output) to the first output-feeding vertices in vertex order, so two
//   relabellings of one graph can give the +1 channel to different branches and differ by a
//   few parameters (never in layer count or in ops). The benchmark trained one cell per hash
//   and answers every member's query with it; sharing at the hash follows the benchmark.
// * The representative of a class: the pruned spec, its interior vertices relabelled by the
//   topological order (input first, output last, every edge forward) whose canonical string
//   is smallest (plain byte comparison); at most 5! orders are tried. It is the same for every
//   member (the set of such relabellings depends only on the isomorphism class), a member
//   itself (same pruned graph up to relabelling, so the same hash), and its own
//   representative. It may have fewer than 7 vertices.
// * kArch: the arch string, as always.
//
// The network (build()): model_builder.py's, in the module order and with the initialisation
// of the PyTorch port the zero-cost proxy references use; nb101_network.cpp documents both and
// the taps' blocks. It has no head tap (its head has no nonlinearity), so proxies that need one
// (zen) refuse this space.
//
// Analytic counts, for the network build() returns:
// * params(): conv weights (no conv has a bias), BatchNorm gamma and beta, the dense layer's
//   weight and bias. With the benchmark's network (3x32x32, 10 classes) this reproduces the
//   `params` column of NASLib's NB101 table for all 500 shipped rows as printed there:
//   params / 10^6 written with 7 significant digits (Python's '%.7g').
// * flops(): multiply-accumulates of one forward pass at batch size 1 of the convolutions
//   (C_out x H x W x C_in x k x k) and the dense layer (C x classes); BatchNorm, ReLU, pooling,
//   additions, truncation and concatenation are not counted.
//
// NetSpec: num_classes, in_channels, input_size and device as usual. Shape fields:
// * width: the stem's channels (default 128); stack s has width x 2^s channels;
// * depth: modules per stack (default 3; 3 stacks always);
// * max_cells: keep only the first max_cells modules (in forward order; a stack's downsampling
//   max-pool is built only when a module of that stack is); the head follows the last one;
// * stem = false: no stem, the first module reads the input (its input projections take any
//   channel count, so in_channels is free);
// * width_multiplier m scales the width: max(1, round(m x width)), ties away from zero.
// The width must be at least the number of interior vertices feeding the output of the pruned
// cell (each gets width / fan-in channels; the reference asserts they are positive), and the
// input size a positive multiple of 2^r for the r downsamplings built (the reference pools
// 2x2, stride 2, 'same' only on even sizes). Anything else is refused with nas::Error.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nas/search_space.h"

namespace nb101 {

inline constexpr int kMaxVertices = 7;
inline constexpr int kMaxEdges = 9;
inline constexpr int kNumOps = 3;
inline constexpr int kOpSlots = kMaxVertices - 2;                         // 5
inline constexpr int kEdgeSlots = kMaxVertices * (kMaxVertices - 1) / 2;  // 21
inline constexpr int kDefaultWidth = 128;
inline constexpr int kDefaultDepth = 3;
inline constexpr int kNumStacks = 3;

// Vertex labels: op indices 0..2 (available_ops order, the hash's labels), and the input and
// output labels the reference's hash uses.
enum Label : int { kConv3x3 = 0, kConv1x1 = 1, kMaxPool3x3 = 2, kInput = -1, kOutput = -2 };

// "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3".
const std::array<std::string, kNumOps>& op_names();

// A cell: vertices 0..n-1, adj[i][j] = edge i -> j, labels[v] as Label.
struct Spec {
  int n = 0;
  std::array<std::array<std::uint8_t, kMaxVertices>, kMaxVertices> adj{};
  std::array<int, kMaxVertices> labels{};
  int edges() const;
  friend bool operator==(const Spec& a, const Spec& b) {
    return a.n == b.n && a.adj == b.adj && a.labels == b.labels;
  }
};

// Reads an arch string (see above) and checks the syntax, triangularity and labels only;
// throws nas::Error naming the wrong part.
Spec read_spec(const std::string& text);
// read_spec plus the full validity check (pruning, connectivity, vertex and edge limits).
Spec parse_spec(const std::string& text);
std::string format_spec(const Spec& spec);
// Throws nas::Error (prefixed with `what`) unless `spec` is a valid cell.
void check_valid(const Spec& spec, const std::string& what);
// model_spec.py's _prune: the spec without vertices off every input->output path; false when
// input does not reach output.
bool prune(const Spec& spec, Spec* pruned);
// The valid cell's pruned spec (throws for an invalid one).
Spec pruned_of(const Spec& spec);
// graph_util.hash_module of a (pruned) spec, with labels -1 input, -2 output, op index.
std::string graph_hash(const Spec& spec);
// The representative's spec (see above) of a valid cell.
Spec canonical_pruned(const Spec& spec);
// The cell padded to 7 vertices (see the decision view); a 7-vertex cell is returned as is.
Spec padded(const Spec& spec);
// MD5 of `text` as 32 lowercase hex digits (RFC 1321).
std::string md5_hex(const std::string& text);

// compute_vertex_channels of model_builder.py for a pruned spec; throws nas::Error when a
// vertex would get no channels (output channels below the output's fan-in).
std::vector<std::int64_t> vertex_channels(std::int64_t in, std::int64_t out, const Spec& pruned);

// The network a NetSpec asks for, resolved against the defaults.
struct Shape {
  std::int64_t width = kDefaultWidth;      // stem channels after the multiplier
  int depth = kDefaultDepth;               // modules per stack
  int cells = kNumStacks * kDefaultDepth;  // modules built
  bool stem = true;
  int stack_of(int module) const { return module / depth; }
  int downsamplings() const;  // max-pools built
};
// Resolves `spec` for the (pruned) cell; throws nas::Error naming the field.
Shape check_spec(const nas::NetSpec& spec, const Spec& pruned);
std::int64_t count_params(const Spec& pruned, const nas::NetSpec& spec);
std::int64_t count_macs(const Spec& pruned, const nas::NetSpec& spec);
// Defined in nb101_network.cpp (the only translation unit that sees torch).
std::shared_ptr<nas::Network> build_network(const Spec& pruned, const nas::NetSpec& spec);

class Nb101Space : public nas::SearchSpace {
 public:
  static constexpr const char* kName = "nb101";

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

  std::string network_key(const nas::Arch& arch, nas::NetworkIdentity level) const override;
  nas::Arch representative(const nas::Arch& arch, nas::NetworkIdentity level) const override;

  // The (valid) cell of an architecture of this space (throws for another space's Arch).
  Spec spec_of(const nas::Arch& arch) const;
  nas::Arch arch_of(const Spec& spec) const { return nas::Arch(kName, format_spec(spec)); }
};

}  // namespace nb101
