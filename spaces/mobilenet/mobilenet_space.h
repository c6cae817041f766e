// The MobileNetV2-like ImageNet space of WRCor's search (ZSNAS-WRCor `search.py`, the
// `MobileNetV2` search space; its network is `foresight/models/MobileNetV2*.py`).
//
// An architecture is a stem, seven stages of inverted-residual layers with squeeze-excitation,
// a 1x1 head, and the input resolution the network resizes its input to.
//
// Architecture strings. The canonical spelling is the reference's block string followed by
// '@' and the resolution:
//     SuperConvK3BNRELU(3,c0,2,1)
//     SuperResIDWE{e}K{k}(c0,c1,s,b,l) ... (seven stages, stage j reads c_{j-1}, writes c_j)
//     SuperConvK1BNRELU(c7,c8,1,1)@R
// written without separators or blanks, e.g. (WRCor's EA_our_vote_600M, its ImageNet model)
//     SuperConvK3BNRELU(3,48,2,1)SuperResIDWE2K7(48,32,2,40,2)...SuperConvK1BNRELU(240,1264,1,1)@224
// Stage arguments are (in, out, stride, bottleneck, layers). parse() also accepts the bare
// block string (resolution 224, the resolution of the reference's *_600M models) and ignores
// blank characters anywhere. best_arch.txt holds the canonical string.
//
// Choices (the reference's NAS.__init__; widths are multiples of 8):
//   c0 (stem), c1, c2  16..48       b (bottleneck) stages 1-3: 16..48, stage 4: 32..64,
//   c3                 32..64                      stage 5: 48..96, stages 6-7: 80..256
//   c4                 48..96       layers: {1,2} {2,3} {2,3} {2,3,4} {2..6} {2..6} {1,2}
//   c5, c6             80..256      e (expansion) {1,2,4,6}, k (kernel) {3,5,7} per stage
//   c7                 128..512     stride: exactly 4 of the 7 stages have stride 2
//   c8 (head)          128..1536    resolution R: 192, 224, 256, 288, 320
// The stem's input channel count in the string is 3 (the network is built for
// NetSpec::in_channels, see below); the stem has stride 2 and one layer, the head stride 1 and
// one layer. A string outside these choices, a width that is no multiple of 8, a broken chain
// (a stage's `in` not the previous block's out), a stride count other than 4, an unknown block
// or a bad resolution is a nas::Error naming the part and the valid values.
//
// smart_round(x, base) = max(base, round_half_even(x / base) * base) (Python 3's round).
//
// sample() draws as the reference's sample_arch() does, from the Rng only: c_i =
// smart_round(uniform integer of range_i, 8) for i = 0..8, then b_j the same way, then l_j,
// e_j, k_j uniformly, then 4 distinct stride-2 stages uniformly (random.sample), then
// R = smart_round(uniform integer in 192..320, 32). Banker's rounding gives the widths and the
// resolution their uneven weights: R is 192, 224, 256, 288, 320 with probabilities 17, 31,
// 33, 31, 17 in 129.
// mutate() is the reference's mutation with p = 1: pick a stage j uniformly; draw (e, k)
// uniformly until the pair differs from the old one; redraw the stage's input width c_j (so
// the previous block's output changes with it), its bottleneck and its layer count; keep its
// stride and output width; redraw the resolution. The child always differs from its parent.
// Neither loops for the FLOPs budget (SearchSpace contract): the caller filters through
// satisfies_constraints() and draws again, as the reference's rejection loops do.
// (A policy over the decision view, such as `reinforce`, draws the seven stride flags
// independently and decode() refuses the 93 of 128 combinations without exactly four; the
// reference's RL draws four distinct stride-2 positions instead.)
//
// Decision view (decisions(), encode(), decode()): 45 slots, in this order:
//   stem_width (c0);
//   for stage i = 1..7: stage<i>_expansion {1,2,4,6}, stage<i>_kernel {3,5,7},
//     stage<i>_width (its output c_i, the choices of c_i), stage<i>_bottleneck,
//     stage<i>_layers, stage<i>_stride {1,2};
//   head_width (c8); resolution {192,...,320}.
// Choices are listed in increasing order, as decimal strings. decode() refuses a combination
// whose stride count is not 4 (nas::Error); every other combination is an architecture.
//
// The FLOPs budget (space parameters): satisfies_constraints(arch, spec) holds when the
// network's FLOPs at the architecture's own resolution are at most `flops_budget` (600e6).
// `flops_formula` says which count: `reference` (default) is the reference's get_FLOPs
// (reference_flops(), below), so a search keeps exactly the architectures the reference's
// rejection sampling keeps; `macs` is the multiply-accumulates of the built network (flops()).
// The classifier's share uses `budget_num_classes` classes (default 1000: the reference
// searched for ImageNet-1k); 0 uses NetSpec::num_classes. The budget is always judged at the
// architecture's own resolution R, whatever probe_resolution says, and for 3 input channels
// (the stem's first argument, the reference's RGB), whatever NetSpec::in_channels says; it
// honours NetSpec::width_multiplier.
//
// Cheap probes (space parameter `probe_resolution`, default 0 = off): the built network
// resizes its input to probe_resolution instead of R (any size >= 16; the strided layers
// take ceil(size / 2)), so proxies can score an architecture at a fraction of the cost on
// small CPUs. The network's modules and parameters do not change; flops() counts the network
// that is built, so at the probe resolution. 0 builds the reference's network (at R).
//
// The network (build(), mobilenet_network.cpp has the module order):
//   forward: bilinear resize (align_corners false) of the input to R x R, then
//   stem: 3x3 conv stride 2 (no bias) + BN + ReLU;
//   stage (in, out, s, b, l) with dw = smart_round(b * e, 8), se = round_half_even(dw / 4):
//     l layers; layer 0 reads `in` with stride s, later layers read `out` with stride 1:
//       1x1 conv (-> dw) + BN + ReLU; kxk depthwise conv (stride) + BN + ReLU;
//       SE: global average pool -> 1x1 conv (dw -> se, no bias) -> BN -> ReLU -> 1x1 conv
//         (se -> dw, no bias) -> BN -> sigmoid, multiplied with its input;
//       1x1 conv (-> out) + BN;
//       plus the shortcut: on layer 0 always a projection (1x1 conv stride s WITH bias + BN),
//       even at stride 1 with in == out; identity on later layers;
//       then ReLU;
//   head: 1x1 conv (c7 -> c8) + BN + ReLU, global average pool, Linear(c8, classes) with bias.
// All convolutions pad (k-1)/2; every BatchNorm has eps 1e-3 (momentum 0.1, affine).
// In training mode the SE's first BatchNorm normalises one value per channel per image (a
// 1x1 map), so a forward in training mode needs a batch of at least 2, as in the reference.
//
// NetSpec: num_classes, in_channels (the stem's input channels; the string's 3 is the
// reference's RGB) and device are honoured. input_size is the size of the data, any size of at
// least 1: the network resizes it to R anyway, so counts do not depend on it. width_multiplier
// m scales every width of the string (c0..c8 and the bottlenecks b) to smart_round(m x width,
// 8), i.e. the nearest multiple of 8, ties to even, at least 8; dw and se follow from the
// scaled b. The other shape fields (width, depth, max_cells, stem) have no meaning here and
// are refused unless at their defaults.
//
// Taps (ReLU, activation kind relu) in forward order, with blocks: stem 0, stage i = 1..7 its
// index, head 8 (the head tap, is_head()). Per layer four taps, labelled `expand_relu`,
// `dw_relu`, `se_relu` and `out_relu`. The `se_relu` taps are the SE blocks' ReLUs: the only
// torch.nn.ReLU modules of the reference network (the others are its basic_blocks.RELU), so the
// only taps the released WRCor code hooks on this space (its hook matches the class name
// 'ReLU' case-sensitively). The stem's tap is `stem_relu`, the head's `head_relu`. No
// ReLU -> Conv -> BN units (no reference module wraps one).
// Space parameter `tap_set`: `all` (default) makes every ReLU a tap, as above. `nn_relu` makes
// only the `se_relu` ReLUs taps (the others are plain ReLUs that no proxy sees): the modules
// the released WRCor code hooks here, so the framework's `wrcor` proxy (which reads every tap,
// weight 2^block) then computes the released code's ImageNet score, the correlations of the SE
// bottleneck features with weights 2^1..2^7. It changes what every tap-reading proxy sees
// (the network has no stem or head tap then: zen refuses it); synflow and jacov read no taps.
// Weights and the forward function do not change.
//
// Counts:
// * params(): every trainable tensor of the built network (BN gamma and beta, the shortcut
//   convs' and the classifier's biases included).
// * flops(): multiply-accumulates of one forward pass at batch size 1 at resolution R:
//   convolutions (C_out x H_out x W_out x C_in / groups x k x k, the SE's 1x1 convs at 1 x 1)
//   and the classifier (in x out); the resize, BN, ReLU, sigmoid, pooling, the SE product, the
//   residual adds and biases are not counted. This is what SearchSpace::flops returns.
// * reference_flops(): the reference's get_FLOPs, a float: conv in*out*k^2*R^2 // s^2 // groups
//   (R its input size, integer division), BN R^2*C, SE in*se + se*out + out + out*R^2, Linear
//   in*out, ReLU and pooling 0, and a shortcut projection in*out*(R'/s)^2 + (R'/s)^2*out with R'
//   the stage's output size, i.e. a stride-2 projection counted at a quarter of its size (the
//   reference's own undercount, kept so that the budget matches). WRCor's EA_our_vote_600M at
//   224 with 1000 classes gives 591,710,478.
//
// Network identity: the defaults (every architecture its own class).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nas/search_space.h"

namespace mobilenet {

inline constexpr int kNumStages = 7;
inline constexpr int kNumWidths = 9;  // c0 (stem) .. c8 (head)
inline constexpr int kDefaultResolution = 224;

struct Stage {
  int expansion = 1;
  int kernel = 3;
  int stride = 1;
  int bottleneck = 16;
  int layers = 1;
};

// One architecture: widths c0..c8 (stage j reads c[j] and writes c[j + 1], the head reads
// c[7] and writes c[8]), the seven stages and the resolution.
struct Genotype {
  std::array<int, kNumWidths> widths{};
  std::array<Stage, kNumStages> stages{};
  int resolution = kDefaultResolution;
  bool operator==(const Genotype& o) const;
};

// Python 3's round(x / base) * base, at least base (WRCor's smart_round with a base).
std::int64_t smart_round(double x, std::int64_t base);

// The choices of the space, as above (inclusive, widths in steps of 8).
struct IntRange {
  int lo;
  int hi;
};
const std::array<IntRange, kNumWidths>& width_ranges();       // c0..c8
const std::array<IntRange, kNumStages>& bottleneck_ranges();  // b0..b6
const std::array<IntRange, kNumStages>& layer_ranges();       // l0..l6
const std::vector<int>& expansions();                         // 1, 2, 4, 6
const std::vector<int>& kernels();                            // 3, 5, 7
const std::vector<int>& resolutions();                        // 192 ... 320

// Parses any accepted spelling; throws nas::Error naming the wrong part and the valid values.
Genotype parse_genotype(const std::string& text);
// Checks every choice and the chain/stride rules; throws nas::Error otherwise.
void validate(const Genotype& g);
// The block string alone, and the canonical text (block string '@' resolution).
std::string block_string(const Genotype& g);
std::string format_genotype(const Genotype& g);

// The network a NetSpec asks for: the genotype with the width multiplier applied.
struct Shape {
  std::array<std::int64_t, kNumWidths> widths{};
  std::array<std::int64_t, kNumStages> bottlenecks{};
  std::int64_t in_channels = 3;
  std::int64_t classes = 10;
  std::int64_t resolution = kDefaultResolution;  // the size the network resizes its input to
};
// The width of the expanded (depthwise) layer of stage j and its SE width.
std::int64_t dw_channels(std::int64_t bottleneck, int expansion);
std::int64_t se_channels(std::int64_t dw);
// Resolves `spec` for `g`; throws nas::Error naming the field when it cannot be honoured.
// `probe_resolution` > 0 replaces the genotype's resolution (see above).
Shape check_spec(const Genotype& g, const nas::NetSpec& spec, int probe_resolution = 0);
std::int64_t count_params(const Genotype& g, const nas::NetSpec& spec);
std::int64_t count_macs(const Genotype& g, const nas::NetSpec& spec, int probe_resolution = 0);
// The reference's get_FLOPs for the network `spec` asks for, with `classes` classes.
double reference_flops(const Genotype& g, const nas::NetSpec& spec, std::int64_t classes);
// Defined in mobilenet_network.cpp (the only translation unit that sees torch).
// `se_taps_only`: only the SE ReLUs are taps (tap_set: nn_relu, above).
std::shared_ptr<nas::Network> build_network(const Genotype& g, const nas::NetSpec& spec,
                                            int probe_resolution = 0, bool se_taps_only = false);

enum class FlopsFormula { kReference, kMacs };

struct SpaceOptions {
  double flops_budget = 600e6;
  FlopsFormula formula = FlopsFormula::kReference;
  std::int64_t budget_num_classes = 1000;  // 0: NetSpec::num_classes
  int probe_resolution = 0;                // 0: the architecture's own resolution
  bool se_taps_only = false;               // tap_set: nn_relu
};

class MobileNetSpace : public nas::SearchSpace {
 public:
  static constexpr const char* kName = "mobilenet";

  explicit MobileNetSpace(SpaceOptions options = {});

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
  bool satisfies_constraints(const nas::Arch& arch, const nas::NetSpec& spec) const override;

  // The count the budget compares with flops_budget (see flops_formula).
  double budget_flops(const nas::Arch& arch, const nas::NetSpec& spec) const;

  Genotype genotype_of(const nas::Arch& arch) const;
  nas::Arch arch_of(const Genotype& g) const { return nas::Arch(kName, format_genotype(g)); }
  const SpaceOptions& options() const { return options_; }

 private:
  SpaceOptions options_;
};

}  // namespace mobilenet
