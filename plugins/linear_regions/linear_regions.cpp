// `linear_regions`: the number of linear regions of TE-NAS (Chen, Gong, Wang; "Neural
// Architecture Search on ImageNet in Four GPU Hours: A Theoretically Inspired Perspective",
// ICLR 2021; VITA-Group/TENAS, lib/procedures/linear_region_counter.py), measured the way
// TE-NAS measures
// it: on a thin copy of the architecture fed tiny inputs.
//
// Formula. For each of R repeats (`repeats`): re-initialise the network Kaiming-normal
// (fan-in, ReLU gain; biases 0, BatchNorm weight 1 and bias 0); forward S batches
// (`sample_batches`) of B inputs (`batch`) one after the other, in train mode, so each batch
// is normalised with its own BatchNorm statistics; give each of the S x B samples its binary
// code 1[relu output > 0] over every ReLU with a 4-D input, concatenated; count the distinct
// codes among all S x B samples. The reference's LR = sum_n 1 / #{m : code_m = code_n} is
// exactly that count (each group of equal codes adds 1).
//   score = mean over repeats of #distinct codes      (higher = better; 1 <= score <= S x B)
//
// What the reference code does (VITA-Group/TENAS, read at commit 9df78ff):
// * The network. prune_tenas.py scores NAS-Bench-201 with `model_config_thin`: C = 1, N = 1,
//   depth = 1, use_stem = False. In lib/models/cell_searchs/search_model_darts.py
//   (TinyNetworkDarts) depth = 1 stops the cell stack after its first cell (`if depth > 0 and
//   index >= depth: break`) and use_stem = False feeds the input straight to that cell, so
//   the thin network is one normal cell on one channel, then lastact (BN, ReLU), global
//   pooling and the classifier: no ResNet block at all. Here: NetSpec width 1, depth 1,
//   max_cells 1, stem false.
// * The samples. prune_tenas.py creates Linear_Region_Collector(input_size=(1000, 1, 3, 3),
//   sample_batch=3). In lib/procedures/linear_region_counter.py, forward_batch_sample()
//   forwards sample_batch = 3 loader batches of 1000, one at a time, into a single
//   LinearRegionCount sized 1000 x 3: one count covers 3000 inputs. sample_batch is not the
//   number of repeats.
// * The inputs. That file's get_datasets() transforms each training image with
//   RandomCrop(3, padding=0), ToTensor, Normalize and RandChannel(1), which keeps one channel
//   drawn at random: 1x3x3 crops, one per image, from a shuffled loader.
// * The codes. Forward hooks on every nn.ReLU whose input is 4-D keep the output; update2D()
//   takes sign() of their concatenation and calc_LR() counts distinct rows through float16
//   products.
// * The repeats. prune_launch.py passes --repeat 3; prune_tenas.py re-initialises the thin
//   network before each count and averages the counts (np.mean). TE-NAS ranks an op by the
//   relative change of this count when the op is removed from its supernet; the count of one
//   architecture is what the Fusion Indicator uses. The supernet skips ops whose weight is at
//   most 0.01 (search_cells.py), so a supernet left with one op per edge computes the
//   discrete cell built here.
// * The initialisation, where code and intent differ. prune_launch.py passes
//   --init kaiming_normal and prune_tenas.py calls init_model(net, init + "_fanin"), meant
//   for kaiming_normal_fanin_init (kaiming_normal_ fan_in with the ReLU gain, zero biases,
//   BN weight 1 and bias 0). init_model compares the method with 'kaiming_norm_fanin', which
//   'kaiming_normal_fanin' does not equal, so the released code keeps PyTorch's default
//   initialisation and its three repeats share one set of weights (only the data changes).
//   This proxy follows the intent, as the ZenNAS port (ZeroShotProxy/compute_te_nas_score.py)
//   does: a fresh Kaiming-normal draw before every repeat.
//
// Choices:
// * Mode (`mode`). "thin", the default, builds the thin network through the space
//   (ProbeContext::build_network) from `width`, `depth`, `max_cells` and `stem`, with inputs
//   of size `input_size`; its input channels are the width without a stem (the first cell
//   reads the input) and the data's channels with one. A space that cannot build that
//   variant refuses it and the score is an error. "full" is this proxy's version 1: the
//   engine's fresh copy of the full network fed Gaussian inputs of the pipeline's shape
//   (version 1 used batch 64, sample_batches 1). On NB201 it saturates, every sample getting
//   its own code, so it ranks nothing; it is kept for comparison.
// * Inputs (`inputs`). "gaussian", the default, draws N(0, 1) inputs from the proxy's
//   generator, so the proxy needs no data. "crops" follows TE-NAS more closely: 3x3 (any
//   `input_size`) crops of the pipeline's batch. The batch holds far fewer images than the
//   3000 TE-NAS crops from (64 by default), so the crops of one repeat are drawn as (image,
//   row, column) places without replacement while the batch has enough places (with
//   replacement otherwise), and each crop keeps as many channels as the thin network takes,
//   distinct and in increasing order, drawn at random per crop (RandChannel).
// * Randomness: everything is drawn from this proxy's own generator, one stream across the
//   repeats: per repeat the re-initialisation, then the inputs of each sample batch in turn
//   (crops: all the repeat's places, then its channels). The thin network's build weights
//   are all re-drawn, so its build seed does not matter. The shared network is never touched.
// * Taps: ReLU only (tap_activations). A linear region of a ReLU network is a set of inputs
//   sharing one on/off code 1[x > 0]; with ReLU6 (kinks at 0 and 6) or the smooth h-swish
//   and SiLU the code does not delimit the regions. The engine refuses a network with
//   another kind, and so does ProbeContext::build_network for the thin network.
// * Codes are compared exactly (packed into 64-bit words, sorted); the reference's float16
//   products give the same count for networks this small. A tensor read by several taps adds
//   identical bits to every code, so it is packed once.
// * Network identity: structure. The number of distinct codes does not depend on the order of
//   the bits, but every ReLU adds bits, a dead conv's too (it can split samples whose live
//   codes agree).
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "binary_codes.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/plugin.h"
#include "nas/probe_context.h"
#include "nas/proxy.h"
#include "nas/proxy_kit.h"

namespace {

using Codes = std::vector<nas_codes::PackedRows>;

// Packed codes of one forward pass: one block per distinct tap tensor with a 4-D response, in
// tap order.
Codes forward_codes(nas::Network& net, const at::Tensor& inputs) {
  const std::int64_t n = inputs.size(0);
  nas::TapRecording recording(net);
  net.forward(inputs);
  Codes blocks;
  for (const nas::DistinctResponse& r : nas::distinct_responses(net, /*min_dim=*/4)) {
    blocks.push_back(nas_codes::pack_rows(nas_codes::positive_mask(r.tensor, n)));
  }
  return blocks;
}

// Appends the samples of `more` below those of `all`: both come from the same network, so
// they have the same blocks of the same widths.
void append_samples(Codes& all, Codes more) {
  if (all.empty()) {
    all = std::move(more);
    return;
  }
  if (all.size() != more.size())
    throw nas::Error("linear_regions: the taps changed between batches");
  for (std::size_t b = 0; b < all.size(); ++b) {
    if (all[b].bits != more[b].bits) {
      throw nas::Error("linear_regions: a tap changed its width between batches");
    }
    all[b].data.insert(all[b].data.end(), more[b].data.begin(), more[b].data.end());
    all[b].rows += more[b].rows;
  }
}

// `count` crops of size x size from images (N, C, H, W), each keeping `channels` of the C
// channels (distinct, in increasing order); see the header for how places are drawn.
at::Tensor random_crops(const at::Tensor& images, std::int64_t count, std::int64_t size,
                        std::int64_t channels, at::Generator& generator) {
  const std::int64_t c = images.size(1), h = images.size(2), w = images.size(3);
  if (h < size || w < size) {
    throw nas::Error("linear_regions: cannot crop " + std::to_string(size) + "x" +
                     std::to_string(size) + " inputs from " + std::to_string(h) + "x" +
                     std::to_string(w) + " images");
  }
  if (channels > c) {
    throw nas::Error("linear_regions: the thin network takes " + std::to_string(channels) +
                     " input channels but the data has " + std::to_string(c));
  }
  const std::int64_t rows = h - size + 1, cols = w - size + 1;
  const std::int64_t places = images.size(0) * rows * cols;
  const at::Tensor place = places >= count
                               ? at::randperm(places, generator, at::kLong).narrow(0, 0, count)
                               : at::randint(places, {count}, generator, at::kLong);
  const at::Tensor image = at::div(place, rows * cols, "trunc");
  const at::Tensor within = at::remainder(place, rows * cols);
  const at::Tensor y = at::div(within, cols, "trunc"), x = at::remainder(within, cols);
  at::Tensor chosen = at::arange(c, at::kLong).expand({count, c});
  if (channels < c) {
    chosen = std::get<0>(at::argsort(at::rand({count, c}, generator), std::int64_t{1})
                             .narrow(1, 0, channels)
                             .sort(1));
  }
  const at::Tensor offsets = at::arange(size, at::kLong);
  // Broadcast to (count, channels, size, size).
  return images.index({image.view({count, 1, 1, 1}), chosen.reshape({count, channels, 1, 1}),
                       y.view({count, 1, 1, 1}) + offsets.view({1, 1, size, 1}),
                       x.view({count, 1, 1, 1}) + offsets.view({1, 1, 1, size})});
}

class LinearRegions : public nas::Proxy {
 public:
  explicit LinearRegions(const nas::Params& p)
      : thin_(p.get_string("mode") == "thin"),
        crops_(p.get_string("inputs") == "crops"),
        width_(p.get_int("width")),
        depth_(p.get_int("depth")),
        max_cells_(p.get_int("max_cells")),
        stem_(p.get_bool("stem")),
        input_size_(p.get_int("input_size")),
        batch_(p.get_int("batch")),
        sample_batches_(p.get_int("sample_batches")),
        repeats_(p.get_int("repeats")) {
    auto require = [](bool ok, const std::string& what) {
      if (!ok) throw nas::UsageError("linear_regions: params." + what);
    };
    // The ranges are the schema's; these are the rules between parameters.
    require(thin_ || !crops_, "inputs: crops needs mode: thin (mode: full feeds Gaussian inputs)");
    require(stem_ || width_ >= 1,
            "width must be set (>= 1) without a stem: it is the number of input channels");
  }

  nas::ProxyInfo info() const override {
    nas::ProxyInfo i;
    i.version = "2";
    i.identity = nas::NetworkIdentity::kStructure;
    i.needs_data = crops_;
    // The thin network is the proxy's own build; only the full mode needs the fresh copy.
    i.modifies_network = !thin_;
    i.tap_activations = nas::activation_bit(nas::Activation::kReLU);
    return i;
  }

  double score(const nas::ProbeContext& context) const override {
    at::NoGradGuard no_grad;
    nas::NetSpec spec = context.spec();
    std::shared_ptr<nas::Network> net;
    if (thin_) {
      spec.width = static_cast<int>(width_);
      spec.depth = static_cast<int>(depth_);
      spec.max_cells = static_cast<int>(max_cells_);
      spec.stem = stem_;
      spec.input_size = static_cast<int>(input_size_);
      if (!stem_) spec.in_channels = static_cast<int>(width_);
      net = context.build_network(spec);
    } else {
      net = context.fresh_network();
    }
    net->train();
    at::Generator generator = context.generator();
    const std::int64_t samples = batch_ * sample_batches_;
    double total = 0.0;
    for (std::int64_t r = 0; r < repeats_; ++r) {
      nas::reinit_kaiming_normal(*net, generator);
      at::Tensor crops;
      if (crops_) {
        crops = random_crops(context.batch().inputs, samples, spec.input_size, spec.in_channels,
                             generator);
      }
      Codes codes;
      for (std::int64_t b = 0; b < sample_batches_; ++b) {
        const at::Tensor inputs =
            crops_ ? crops.narrow(0, b * batch_, batch_)
                   : at::randn({batch_, spec.in_channels, spec.input_size, spec.input_size},
                               generator, at::kFloat);
        append_samples(codes, forward_codes(*net, inputs));
      }
      // No tap at all: every sample has the same (empty) code.
      total += codes.empty() ? 1.0 : static_cast<double>(nas_codes::count_distinct_rows(codes));
    }
    return total / static_cast<double>(repeats_);
  }

 private:
  bool thin_;
  bool crops_;
  std::int64_t width_, depth_, max_cells_;
  bool stem_;
  std::int64_t input_size_;
  std::int64_t batch_, sample_batches_, repeats_;
};

void register_linear_regions(nas::PluginRegistrar& registrar) {
  nas::ParamSchema schema;
  schema.add_string("mode", "thin",
                    "thin: TE-NAS's thin network (width, depth, max_cells, stem, input_size); "
                    "full: the full network on Gaussian inputs of the pipeline's shape (v1)",
                    {"thin", "full"});
  schema.add_string("inputs", "gaussian",
                    "gaussian: N(0,1) inputs, no data needed; crops: random crops of the "
                    "pipeline's batch, as TE-NAS (thin mode only)",
                    {"gaussian", "crops"});
  schema.add_int("width", 1, "thin network: base channels (TE-NAS: C = 1; 0 = the space's)",
                 nas::between(0, 4096));
  schema.add_int("depth", 1, "thin network: cells per stage (TE-NAS: N = 1; 0 = the space's)",
                 nas::between(0, 1024));
  schema.add_int("max_cells", 1,
                 "thin network: cells kept from the input on (TE-NAS: depth 1; 0 = all)",
                 nas::between(0, 1024));
  schema.add_bool("stem", false, "thin network: keep the stem (TE-NAS: use_stem False)");
  schema.add_int("input_size", 3, "thin network: input height and width (TE-NAS: 3x3 crops)",
                 nas::between(1, 4096));
  schema.add_int("batch", 1000, "inputs per forward pass (TE-NAS: 1000)", nas::at_least(1));
  schema.add_int("sample_batches", 3,
                 "forward passes whose samples are counted together (TE-NAS: sample_batch 3)",
                 nas::at_least(1));
  schema.add_int("repeats", 3, "Kaiming-normal re-initialisations averaged (TE-NAS: 3)",
                 nas::at_least(1));
  registrar.add_proxy("linear_regions",
                      "TE-NAS linear regions: distinct ReLU activation codes of a thin, stem-less "
                      "one-cell network on 3000 tiny inputs, Kaiming-normal init",
                      schema,
                      [](const nas::Params& p) { return std::make_shared<LinearRegions>(p); });
}

}  // namespace

NAS_PLUGIN("linear_regions", "1.0.0", register_linear_regions)
