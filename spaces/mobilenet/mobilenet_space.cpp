// The MobileNetV2-like space without torch: strings, choices, sampling, decisions, counts.
#include "mobilenet_space.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

#include "nas/error.h"

namespace mobilenet {
namespace {

constexpr const char* kStemName = "SuperConvK3BNRELU";
constexpr const char* kHeadName = "SuperConvK1BNRELU";
constexpr const char* kStagePrefix = "SuperResIDWE";

// Far above any real use, so that counts cannot overflow.
constexpr double kMaxScaledWidth = 65536;

std::string number(double x) {
  std::ostringstream text;
  text << x;
  return text.str();
}

std::string list_ints(const std::vector<int>& values) {
  std::vector<std::string> parts;
  for (int v : values) parts.push_back(std::to_string(v));
  return nas::join(parts);
}

std::vector<int> range_values(IntRange r, int step) {
  std::vector<int> values;
  for (int v = r.lo; v <= r.hi; v += step) values.push_back(v);
  return values;
}

std::string stage_name(int j) { return "stage " + std::to_string(j + 1); }

// Round half to even, as Python 3's round().
double round_half_even(double x) {
  const double low = std::floor(x);
  const double diff = x - low;
  if (diff > 0.5) return low + 1;
  if (diff < 0.5) return low;
  return std::fmod(low, 2.0) == 0.0 ? low : low + 1;
}

struct Block {
  std::string name;
  std::vector<std::string> args;
  std::string text;
};

// Output size of a convolution with padding (k - 1) / 2 (odd k) and stride s.
std::int64_t conv_out(std::int64_t size, std::int64_t stride) { return (size - 1) / stride + 1; }

}  // namespace

bool Genotype::operator==(const Genotype& o) const {
  if (widths != o.widths || resolution != o.resolution) return false;
  for (int j = 0; j < kNumStages; ++j) {
    const Stage &a = stages[j], &b = o.stages[j];
    if (a.expansion != b.expansion || a.kernel != b.kernel || a.stride != b.stride ||
        a.bottleneck != b.bottleneck || a.layers != b.layers) {
      return false;
    }
  }
  return true;
}

std::int64_t smart_round(double x, std::int64_t base) {
  const double b = static_cast<double>(base);
  return std::max<std::int64_t>(base, static_cast<std::int64_t>(round_half_even(x / b)) * base);
}

const std::array<IntRange, kNumWidths>& width_ranges() {
  static const std::array<IntRange, kNumWidths> r = {
      IntRange{16, 48},  IntRange{16, 48},   IntRange{16, 48},
      IntRange{32, 64},  IntRange{48, 96},   IntRange{80, 256},
      IntRange{80, 256}, IntRange{128, 512}, IntRange{128, 1536}};
  return r;
}
const std::array<IntRange, kNumStages>& bottleneck_ranges() {
  static const std::array<IntRange, kNumStages> r = {
      IntRange{16, 48}, IntRange{16, 48},  IntRange{16, 48}, IntRange{32, 64},
      IntRange{48, 96}, IntRange{80, 256}, IntRange{80, 256}};
  return r;
}
const std::array<IntRange, kNumStages>& layer_ranges() {
  static const std::array<IntRange, kNumStages> r = {IntRange{1, 2}, IntRange{2, 3}, IntRange{2, 3},
                                                     IntRange{2, 4}, IntRange{2, 6}, IntRange{2, 6},
                                                     IntRange{1, 2}};
  return r;
}
const std::vector<int>& expansions() {
  static const std::vector<int> v = {1, 2, 4, 6};
  return v;
}
const std::vector<int>& kernels() {
  static const std::vector<int> v = {3, 5, 7};
  return v;
}
const std::vector<int>& resolutions() {
  static const std::vector<int> v = {192, 224, 256, 288, 320};
  return v;
}

// ---------------------------------------------------------------------------------------------
// Strings

void validate(const Genotype& g) {
  auto fail = [](const std::string& why) -> void { throw nas::Error("mobilenet: " + why); };
  auto check_width = [&](const std::string& where, int value, IntRange r) {
    if (value % 8 != 0 || value < r.lo || value > r.hi) {
      fail(where + " " + std::to_string(value) + " is not " +
           (value % 8 != 0 ? "a multiple of 8" : "in its range") +
           " (valid: " + list_ints(range_values(r, 8)) + ")");
    }
  };
  const auto& c = width_ranges();
  check_width("stem: output width c0 =", g.widths[0], c[0]);
  int strided = 0;
  std::vector<std::string> strided_stages;
  for (int j = 0; j < kNumStages; ++j) {
    const Stage& s = g.stages[j];
    const std::string where = stage_name(j);
    if (std::find(expansions().begin(), expansions().end(), s.expansion) == expansions().end()) {
      fail(where + ": expansion " + std::to_string(s.expansion) +
           " is not valid (valid: " + list_ints(expansions()) + ")");
    }
    if (std::find(kernels().begin(), kernels().end(), s.kernel) == kernels().end()) {
      fail(where + ": kernel " + std::to_string(s.kernel) +
           " is not valid (valid: " + list_ints(kernels()) + ")");
    }
    check_width(where + ": output width c" + std::to_string(j + 1) + " =", g.widths[j + 1],
                c[j + 1]);
    check_width(where + ": bottleneck", s.bottleneck, bottleneck_ranges()[j]);
    const IntRange l = layer_ranges()[j];
    if (s.layers < l.lo || s.layers > l.hi) {
      fail(where + ": layers " + std::to_string(s.layers) +
           " is not in its range (valid: " + list_ints(range_values(l, 1)) + ")");
    }
    if (s.stride != 1 && s.stride != 2) {
      fail(where + ": stride " + std::to_string(s.stride) + " is not valid (valid: 1, 2)");
    }
    if (s.stride == 2) {
      ++strided;
      strided_stages.push_back(std::to_string(j + 1));
    }
  }
  check_width("head: output width c8 =", g.widths[8], c[8]);
  if (strided != 4) {
    fail("strides: " + std::to_string(strided) + " stage" + (strided == 1 ? " has" : "s have") +
         " stride 2" +
         (strided_stages.empty() ? std::string() : " (stages " + nas::join(strided_stages) + ")") +
         "; exactly 4 of the 7 stages must have stride 2");
  }
  if (std::find(resolutions().begin(), resolutions().end(), g.resolution) == resolutions().end()) {
    fail("resolution " + std::to_string(g.resolution) +
         " is not valid (valid: " + list_ints(resolutions()) + ")");
  }
}

Genotype parse_genotype(const std::string& raw) {
  auto fail = [&raw](const std::string& why) -> void {
    throw nas::Error("invalid mobilenet architecture '" + nas::printable(raw) + "': " + why);
  };
  std::string text;
  for (char ch : raw) {
    if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') text += ch;
  }
  if (text.empty()) {
    fail(std::string("empty string, expected ") + kStemName + "(3,c0,2,1), seven " + kStagePrefix +
         "{e}K{k}(in,out,stride,bottleneck,layers) blocks, " + kHeadName +
         "(c7,c8,1,1), '@' and "
         "the resolution");
  }
  Genotype g;
  const auto at = text.rfind('@');
  std::string blocks_text = text;
  if (at != std::string::npos) {
    const std::string res = text.substr(at + 1);
    blocks_text = text.substr(0, at);
    if (res.empty() || res.size() > 6 || res.find_first_not_of("0123456789") != std::string::npos) {
      fail("resolution '" + res + "' is not a number (valid: " + list_ints(resolutions()) + ")");
    }
    g.resolution = std::stoi(res);
  }
  // Split into blocks Name(args).
  std::vector<Block> blocks;
  std::size_t pos = 0;
  while (pos < blocks_text.size()) {
    const auto open = blocks_text.find('(', pos);
    const auto close = blocks_text.find(')', pos);
    if (open == std::string::npos || close == std::string::npos || close < open) {
      fail("block " + std::to_string(blocks.size()) + " '" + blocks_text.substr(pos) +
           "' is not of the form Name(arguments)");
    }
    Block b;
    b.name = blocks_text.substr(pos, open - pos);
    b.text = blocks_text.substr(pos, close + 1 - pos);
    const std::string args = blocks_text.substr(open + 1, close - open - 1);
    std::string::size_type begin = 0;
    while (true) {
      const auto comma = args.find(',', begin);
      b.args.push_back(
          args.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
    blocks.push_back(std::move(b));
    pos = close + 1;
  }
  if (blocks.size() != kNumStages + 2) {
    fail("expected 9 blocks (stem, 7 stages, head), got " + std::to_string(blocks.size()));
  }
  auto ints = [&](const Block& b, const std::string& where, std::size_t count) {
    if (b.args.size() != count) {
      fail(where + " '" + b.text + "': expected " + std::to_string(count) + " arguments, got " +
           std::to_string(b.args.size()));
    }
    std::vector<int> values;
    for (const std::string& a : b.args) {
      if (a.empty() || a.size() > 6 || a.find_first_not_of("0123456789") != std::string::npos) {
        fail(where + " '" + b.text + "': argument '" + a + "' is not a non-negative integer");
      }
      values.push_back(std::stoi(a));
    }
    return values;
  };
  // Stem.
  if (blocks[0].name != kStemName) {
    fail("stem: block '" + blocks[0].name + "' is unknown here (valid: " + kStemName + ")");
  }
  const auto stem = ints(blocks[0], "stem", 4);
  if (stem[0] != 3 || stem[2] != 2 || stem[3] != 1) {
    fail("stem '" + blocks[0].text + "' must read (3,c0,2,1): 3 input channels, stride 2, 1 layer");
  }
  g.widths[0] = stem[1];
  // Stages.
  for (int j = 0; j < kNumStages; ++j) {
    const Block& b = blocks[static_cast<std::size_t>(j) + 1];
    const std::string where = stage_name(j);
    const std::string prefix = kStagePrefix;
    bool known = b.name.size() == prefix.size() + 3 &&
                 b.name.compare(0, prefix.size(), prefix) == 0 && b.name[prefix.size() + 1] == 'K';
    Stage& s = g.stages[j];
    if (known) {
      s.expansion = b.name[prefix.size()] - '0';
      s.kernel = b.name[prefix.size() + 2] - '0';
      known =
          std::find(expansions().begin(), expansions().end(), s.expansion) != expansions().end() &&
          std::find(kernels().begin(), kernels().end(), s.kernel) != kernels().end();
    }
    if (!known) {
      fail(where + ": unknown block '" + b.name + "' (valid: " + kStagePrefix +
           "{e}K{k} with e in " + list_ints(expansions()) + " and k in " + list_ints(kernels()) +
           ")");
    }
    const auto v = ints(b, where, 5);
    if (v[0] != g.widths[j]) {
      fail(where + " '" + b.text + "': input width " + std::to_string(v[0]) +
           " does not match the previous block's output width " + std::to_string(g.widths[j]));
    }
    g.widths[j + 1] = v[1];
    s.stride = v[2];
    s.bottleneck = v[3];
    s.layers = v[4];
  }
  // Head.
  const Block& h = blocks.back();
  if (h.name != kHeadName) {
    fail("head: block '" + h.name + "' is unknown here (valid: " + kHeadName + ")");
  }
  const auto head = ints(h, "head", 4);
  if (head[0] != g.widths[7]) {
    fail("head '" + h.text + "': input width " + std::to_string(head[0]) +
         " does not match the previous block's output width " + std::to_string(g.widths[7]));
  }
  if (head[2] != 1 || head[3] != 1) {
    fail("head '" + h.text + "' must read (c7,c8,1,1): stride 1, 1 layer");
  }
  g.widths[8] = head[1];
  try {
    validate(g);
  } catch (const nas::Error& error) {
    std::string why = error.what();
    const std::string prefix = "mobilenet: ";
    if (why.compare(0, prefix.size(), prefix) == 0) why = why.substr(prefix.size());
    fail(why);
  }
  return g;
}

std::string block_string(const Genotype& g) {
  std::ostringstream out;
  out << kStemName << "(3," << g.widths[0] << ",2,1)";
  for (int j = 0; j < kNumStages; ++j) {
    const Stage& s = g.stages[j];
    out << kStagePrefix << s.expansion << 'K' << s.kernel << '(' << g.widths[j] << ','
        << g.widths[j + 1] << ',' << s.stride << ',' << s.bottleneck << ',' << s.layers << ')';
  }
  out << kHeadName << '(' << g.widths[7] << ',' << g.widths[8] << ",1,1)";
  return out.str();
}

std::string format_genotype(const Genotype& g) {
  return block_string(g) + "@" + std::to_string(g.resolution);
}

// ---------------------------------------------------------------------------------------------
// Counts

std::int64_t dw_channels(std::int64_t bottleneck, int expansion) {
  return smart_round(static_cast<double>(bottleneck) * expansion, 8);
}

std::int64_t se_channels(std::int64_t dw) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(round_half_even(dw * 0.25)));
}

Shape check_spec(const Genotype& g, const nas::NetSpec& spec, int probe_resolution) {
  auto fail = [](const std::string& why) -> void { throw nas::Error("mobilenet: " + why); };
  if (spec.num_classes < 1) {
    fail("num_classes must be at least 1, got " + std::to_string(spec.num_classes));
  }
  if (spec.in_channels < 1) {
    fail("in_channels must be at least 1, got " + std::to_string(spec.in_channels));
  }
  if (spec.input_size < 1) {
    fail("input_size must be at least 1, got " + std::to_string(spec.input_size));
  }
  if (spec.width != 0) {
    fail("NetSpec width " + std::to_string(spec.width) +
         " is not supported: the architecture string fixes every width (use width_multiplier)");
  }
  if (spec.depth != 0) {
    fail("NetSpec depth " + std::to_string(spec.depth) +
         " is not supported: the architecture string fixes every stage's layers");
  }
  if (spec.max_cells != 0) {
    fail("NetSpec max_cells " + std::to_string(spec.max_cells) +
         " is not supported: the network has no truncatable cell stack");
  }
  if (!spec.stem)
    fail("NetSpec stem = false is not supported: the stem is part of the architecture");
  const double m = spec.width_multiplier;
  if (!std::isfinite(m) || m <= 0) {
    fail("width_multiplier must be positive and finite, got " + number(m));
  }
  if (!nas::is_device_name(spec.device)) {
    fail("device '" + nas::printable(spec.device) + "' is not one of cpu, cuda, cuda:<index>");
  }
  Shape shape;
  auto scale = [&](int width) {
    const double scaled = m * width;
    if (scaled > kMaxScaledWidth) {
      fail("width_multiplier " + number(m) + " scales width " + std::to_string(width) + " above " +
           number(kMaxScaledWidth));
    }
    return m == 1.0 ? std::int64_t{width} : smart_round(scaled, 8);
  };
  for (int i = 0; i < kNumWidths; ++i) shape.widths[i] = scale(g.widths[i]);
  for (int j = 0; j < kNumStages; ++j) shape.bottlenecks[j] = scale(g.stages[j].bottleneck);
  shape.in_channels = spec.in_channels;
  shape.classes = spec.num_classes;
  if (probe_resolution != 0 && probe_resolution < 16) {
    fail("probe_resolution must be 0 (the architecture's own) or at least 16, got " +
         std::to_string(probe_resolution));
  }
  shape.resolution = probe_resolution > 0 ? probe_resolution : g.resolution;
  return shape;
}

std::int64_t count_params(const Genotype& g, const nas::NetSpec& spec) {
  const Shape s = check_spec(g, spec);
  auto bn = [](std::int64_t c) { return 2 * c; };
  const auto& w = s.widths;
  std::int64_t total = s.in_channels * w[0] * 9 + bn(w[0]);
  for (int j = 0; j < kNumStages; ++j) {
    const Stage& st = g.stages[j];
    const std::int64_t dw = dw_channels(s.bottlenecks[j], st.expansion);
    const std::int64_t se = se_channels(dw);
    const std::int64_t out = w[j + 1];
    for (int l = 0; l < st.layers; ++l) {
      const std::int64_t in = l == 0 ? w[j] : out;
      total += in * dw + bn(dw);                      // expand 1x1
      total += dw * st.kernel * st.kernel + bn(dw);   // depthwise
      total += dw * se + bn(se) + se * dw + bn(dw);   // SE
      total += dw * out + bn(out);                    // project 1x1
      if (l == 0) total += in * out + out + bn(out);  // shortcut conv (bias) + BN
    }
  }
  total += w[7] * w[8] + bn(w[8]);        // head
  total += w[8] * s.classes + s.classes;  // classifier
  return total;
}

std::int64_t count_macs(const Genotype& g, const nas::NetSpec& spec, int probe_resolution) {
  const Shape s = check_spec(g, spec, probe_resolution);
  const auto& w = s.widths;
  std::int64_t r = conv_out(s.resolution, 2);
  std::int64_t total = w[0] * r * r * s.in_channels * 9;
  for (int j = 0; j < kNumStages; ++j) {
    const Stage& st = g.stages[j];
    const std::int64_t dw = dw_channels(s.bottlenecks[j], st.expansion);
    const std::int64_t se = se_channels(dw);
    const std::int64_t out = w[j + 1];
    const std::int64_t k2 = std::int64_t{st.kernel} * st.kernel;
    for (int l = 0; l < st.layers; ++l) {
      const std::int64_t in = l == 0 ? w[j] : out;
      const std::int64_t ro = conv_out(r, l == 0 ? st.stride : 1);
      total += dw * r * r * in;                 // expand 1x1 at the input size
      total += dw * ro * ro * k2;               // depthwise (one input channel per output)
      total += se * dw + dw * se;               // SE 1x1 convs on the pooled 1x1 map
      total += out * ro * ro * dw;              // project 1x1
      if (l == 0) total += out * ro * ro * in;  // shortcut 1x1 (stride of the layer)
      r = ro;
    }
  }
  total += w[8] * r * r * w[7];  // head 1x1
  total += w[8] * s.classes;     // classifier
  return total;
}

double reference_flops(const Genotype& g, const nas::NetSpec& spec, std::int64_t classes) {
  const Shape s = check_spec(g, spec);
  const auto& w = s.widths;
  // Exact in a double (all terms are integers or quarters far below 2^53), as in Python.
  double total = 0;
  std::int64_t r = g.resolution;
  // Stem: ConvKX(in, c0, 3, 2) BN RELU.
  total += static_cast<double>(s.in_channels * w[0] * 9 * r * r / 4);
  r /= 2;
  total += static_cast<double>(r * r * w[0]);
  for (int j = 0; j < kNumStages; ++j) {
    const Stage& st = g.stages[j];
    const std::int64_t dw = dw_channels(s.bottlenecks[j], st.expansion);
    const std::int64_t se = se_channels(dw);
    const std::int64_t out = w[j + 1];
    const std::int64_t k2 = std::int64_t{st.kernel} * st.kernel;
    for (int l = 0; l < st.layers; ++l) {
      const std::int64_t in = l == 0 ? w[j] : out;
      const std::int64_t stride = l == 0 ? st.stride : 1;
      total += static_cast<double>(in * dw * r * r + r * r * dw);         // ConvKX 1x1, BN
      total += static_cast<double>(dw * k2 * r * r / (stride * stride));  // ConvDW
      r /= stride;
      total += static_cast<double>(r * r * dw);                           // BN
      total += static_cast<double>(dw * se + se * dw + dw + dw * r * r);  // SE
      total += static_cast<double>(dw * out * r * r + r * r * out);       // ConvKX 1x1, BN
      if (l == 0) {
        // ResBlockProj: at (R_out / stride)^2, R_out already the strided size.
        const double q = static_cast<double>(r) / static_cast<double>(stride);
        total += static_cast<double>(in * out) * q * q + q * q * static_cast<double>(out);
      }
    }
  }
  total += static_cast<double>(w[7] * w[8] * r * r + r * r * w[8]);  // head ConvKX, BN
  total += static_cast<double>(w[8] * classes);                      // Linear
  return total;
}

// ---------------------------------------------------------------------------------------------
// The space

MobileNetSpace::MobileNetSpace(SpaceOptions options) : options_(options) {}

nas::Arch MobileNetSpace::parse(const std::string& text) const {
  return arch_of(parse_genotype(text));
}

Genotype MobileNetSpace::genotype_of(const nas::Arch& arch) const {
  require_own(arch);
  return parse_genotype(arch.str());
}

namespace {
int draw_in(nas::Rng& rng, IntRange r) {
  return r.lo + static_cast<int>(rng.below(r.hi - r.lo + 1));
}
int draw_width(nas::Rng& rng, IntRange r) {
  return static_cast<int>(smart_round(draw_in(rng, r), 8));
}
int draw_resolution(nas::Rng& rng) {
  return static_cast<int>(smart_round(draw_in(rng, IntRange{192, 320}), 32));
}
}  // namespace

nas::Arch MobileNetSpace::sample(nas::Rng& rng) const {
  Genotype g;
  for (int i = 0; i < kNumWidths; ++i) g.widths[i] = draw_width(rng, width_ranges()[i]);
  for (int j = 0; j < kNumStages; ++j)
    g.stages[j].bottleneck = draw_width(rng, bottleneck_ranges()[j]);
  for (int j = 0; j < kNumStages; ++j) g.stages[j].layers = draw_in(rng, layer_ranges()[j]);
  for (int j = 0; j < kNumStages; ++j) {
    g.stages[j].expansion = expansions()[static_cast<std::size_t>(rng.below(4))];
  }
  for (int j = 0; j < kNumStages; ++j) {
    g.stages[j].kernel = kernels()[static_cast<std::size_t>(rng.below(3))];
  }
  // random.sample(range(7), 4): four distinct stages, by a partial Fisher-Yates shuffle.
  std::array<int, kNumStages> order{0, 1, 2, 3, 4, 5, 6};
  for (int i = 0; i < 4; ++i) {
    const int pick = i + static_cast<int>(rng.below(kNumStages - i));
    std::swap(order[i], order[pick]);
  }
  for (int j = 0; j < kNumStages; ++j) g.stages[j].stride = 1;
  for (int i = 0; i < 4; ++i) g.stages[order[i]].stride = 2;
  g.resolution = draw_resolution(rng);
  return arch_of(g);
}

nas::Arch MobileNetSpace::mutate(const nas::Arch& arch, nas::Rng& rng) const {
  Genotype g = genotype_of(arch);
  const int j = static_cast<int>(rng.below(kNumStages));
  Stage& s = g.stages[j];
  // A new (e, k) pair, drawn as the reference does: uniformly until it differs.
  while (true) {
    const int e = expansions()[static_cast<std::size_t>(rng.below(4))];
    const int k = kernels()[static_cast<std::size_t>(rng.below(3))];
    if (e != s.expansion || k != s.kernel) {
      s.expansion = e;
      s.kernel = k;
      break;
    }
  }
  g.widths[j] = draw_width(rng, width_ranges()[j]);  // the stage's input = previous output
  s.bottleneck = draw_width(rng, bottleneck_ranges()[j]);
  s.layers = draw_in(rng, layer_ranges()[j]);
  g.resolution = draw_resolution(rng);
  return arch_of(g);
}

std::vector<nas::Decision> MobileNetSpace::decisions() const {
  auto strings = [](const std::vector<int>& values) {
    std::vector<std::string> out;
    for (int v : values) out.push_back(std::to_string(v));
    return out;
  };
  std::vector<nas::Decision> slots;
  slots.push_back({"stem_width", strings(range_values(width_ranges()[0], 8))});
  for (int j = 0; j < kNumStages; ++j) {
    const std::string p = "stage" + std::to_string(j + 1) + "_";
    slots.push_back({p + "expansion", strings(expansions())});
    slots.push_back({p + "kernel", strings(kernels())});
    slots.push_back({p + "width", strings(range_values(width_ranges()[j + 1], 8))});
    slots.push_back({p + "bottleneck", strings(range_values(bottleneck_ranges()[j], 8))});
    slots.push_back({p + "layers", strings(range_values(layer_ranges()[j], 1))});
    slots.push_back({p + "stride", {"1", "2"}});
  }
  slots.push_back({"head_width", strings(range_values(width_ranges()[8], 8))});
  slots.push_back({"resolution", strings(resolutions())});
  return slots;
}

namespace {
int index_of(const std::vector<int>& values, int v) {
  return static_cast<int>(std::find(values.begin(), values.end(), v) - values.begin());
}
}  // namespace

std::vector<int> MobileNetSpace::encode(const nas::Arch& arch) const {
  const Genotype g = genotype_of(arch);
  std::vector<int> c;
  c.push_back((g.widths[0] - width_ranges()[0].lo) / 8);
  for (int j = 0; j < kNumStages; ++j) {
    const Stage& s = g.stages[j];
    c.push_back(index_of(expansions(), s.expansion));
    c.push_back(index_of(kernels(), s.kernel));
    c.push_back((g.widths[j + 1] - width_ranges()[j + 1].lo) / 8);
    c.push_back((s.bottleneck - bottleneck_ranges()[j].lo) / 8);
    c.push_back(s.layers - layer_ranges()[j].lo);
    c.push_back(s.stride - 1);
  }
  c.push_back((g.widths[8] - width_ranges()[8].lo) / 8);
  c.push_back(index_of(resolutions(), g.resolution));
  return c;
}

nas::Arch MobileNetSpace::decode(const std::vector<int>& choices) const {
  const auto slots = decisions();
  if (choices.size() != slots.size()) {
    throw nas::Error("mobilenet: decode expects " + std::to_string(slots.size()) +
                     " choices (one per decision slot), got " + std::to_string(choices.size()));
  }
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (choices[i] < 0 || choices[i] >= static_cast<int>(slots[i].choices.size())) {
      throw nas::Error("mobilenet: choice " + std::to_string(choices[i]) + " for slot " +
                       slots[i].name + " is out of range 0.." +
                       std::to_string(slots[i].choices.size() - 1) + " (" +
                       nas::join(slots[i].choices) + ")");
    }
  }
  auto value = [&](std::size_t i) { return std::stoi(slots[i].choices[choices[i]]); };
  Genotype g;
  std::size_t i = 0;
  g.widths[0] = value(i++);
  for (int j = 0; j < kNumStages; ++j) {
    Stage& s = g.stages[j];
    s.expansion = value(i++);
    s.kernel = value(i++);
    g.widths[j + 1] = value(i++);
    s.bottleneck = value(i++);
    s.layers = value(i++);
    s.stride = value(i++);
  }
  g.widths[8] = value(i++);
  g.resolution = value(i++);
  validate(g);  // the stride count
  return arch_of(g);
}

std::shared_ptr<nas::Network> MobileNetSpace::build(const nas::Arch& arch,
                                                    const nas::NetSpec& spec) const {
  const Genotype g = genotype_of(arch);
  check_spec(g, spec, options_.probe_resolution);
  return build_network(g, spec, options_.probe_resolution, options_.se_taps_only);
}

std::int64_t MobileNetSpace::params(const nas::Arch& arch, const nas::NetSpec& spec) const {
  return count_params(genotype_of(arch), spec);
}

std::int64_t MobileNetSpace::flops(const nas::Arch& arch, const nas::NetSpec& spec) const {
  return count_macs(genotype_of(arch), spec, options_.probe_resolution);
}

double MobileNetSpace::budget_flops(const nas::Arch& arch, const nas::NetSpec& spec) const {
  const Genotype g = genotype_of(arch);
  // The network the string describes: 3 input channels (the stem's first argument), the
  // budget's classes, the architecture's own resolution; the spec's width multiplier.
  nas::NetSpec counted = spec;
  counted.in_channels = 3;
  if (options_.budget_num_classes > 0) {
    counted.num_classes = static_cast<int>(options_.budget_num_classes);
  }
  if (options_.formula == FlopsFormula::kMacs) return static_cast<double>(count_macs(g, counted));
  return reference_flops(g, counted, counted.num_classes);
}

bool MobileNetSpace::satisfies_constraints(const nas::Arch& arch, const nas::NetSpec& spec) const {
  return budget_flops(arch, spec) <= options_.flops_budget;
}

}  // namespace mobilenet
