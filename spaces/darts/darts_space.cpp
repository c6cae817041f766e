// The DARTS space without torch: genotype strings, decisions, sampling, analytic counts.
#include "darts_space.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <sstream>
#include <utility>

#include "nas/error.h"

namespace darts {
namespace {

constexpr const char* kFormHint =
    "normal=[('op',input),... 8 pairs];reduce=[... 8 pairs] or "
    "Genotype(normal=[...], normal_concat=range(2, 6), reduce=[...], reduce_concat=range(2, 6))";

// NAS-Bench-301's network: C = 32, 8 cells.
constexpr std::int64_t kDefaultWidth = 32;

const char* cell_name(bool reduce) { return reduce ? "reduce" : "normal"; }

std::string op_list() {
  return nas::join(std::vector<std::string>(op_names().begin(), op_names().end()));
}

// A small recursive-descent reader for both genotype spellings; blanks between tokens are
// skipped.
class Reader {
 public:
  explicit Reader(const std::string& text) : text_(text) {}

  [[noreturn]] void fail(const std::string& why) const {
    throw nas::Error("invalid DARTS genotype '" + nas::printable(text_) + "': " + why);
  }

  void blanks() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool at_end() {
    blanks();
    return pos_ >= text_.size();
  }
  bool accept(char c) {
    blanks();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool accept(const std::string& word) {
    blanks();
    if (text_.compare(pos_, word.size(), word) == 0) {
      pos_ += word.size();
      return true;
    }
    return false;
  }
  // What follows, for error messages.
  std::string rest() const {
    std::string r = text_.substr(pos_, 24);
    if (pos_ + 24 < text_.size()) r += "...";
    return r.empty() ? "the end of the string" : "'" + r + "'";
  }
  void expect(char c, const std::string& where) {
    if (!accept(c)) fail(where + ": expected '" + std::string(1, c) + "' at " + rest());
  }
  std::string identifier() {
    blanks();
    const std::size_t begin = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    return text_.substr(begin, pos_ - begin);
  }
  // A non-negative integer; fails with `where` when there is none.
  int integer(const std::string& where) {
    blanks();
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])) &&
           pos_ - begin < 6) {
      ++pos_;
    }
    if (pos_ == begin) fail(where + ": expected an integer at " + rest());
    return std::stoi(text_.substr(begin, pos_ - begin));
  }
  std::string quoted(const std::string& where) {
    blanks();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      fail(where + ": expected a quoted op name at " + rest());
    }
    const char quote = text_[pos_++];
    const auto end = text_.find(quote, pos_);
    if (end == std::string::npos) fail(where + ": unterminated op name");
    std::string name = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return name;
  }

  // [('op', i), ...]: the entries of one cell, checked for range and distinct inputs.
  Cell cell(bool reduce) {
    const std::string name = std::string(cell_name(reduce)) + " cell";
    expect('[', name);
    std::vector<std::pair<std::string, int>> pairs;
    if (!accept(']')) {
      while (true) {
        const std::string where = name + ", entry " + std::to_string(pairs.size());
        if (pairs.size() == kNumEntries && accept('(')) {
          fail(name + ": more than 8 (op, input) pairs (4 nodes x 2 inputs)");
        }
        expect('(', where);
        std::string op = quoted(where);
        expect(',', where);
        const int input = integer(where);
        expect(')', where);
        pairs.emplace_back(std::move(op), input);
        if (accept(']')) break;
        if (!accept(','))
          fail(name + ": expected ',' or ']' after entry " + std::to_string(pairs.size() - 1) +
               ", at " + rest());
        if (accept(']')) break;  // a trailing comma
      }
    }
    if (pairs.size() != kNumEntries) {
      fail(name + ": expected 8 (op, input) pairs (4 nodes x 2 inputs), got " +
           std::to_string(pairs.size()));
    }
    Cell out{};
    for (int e = 0; e < kNumEntries; ++e) {
      const int node = e / 2 + 2;
      const std::string where =
          name + ", node " + std::to_string(node) + " (entry " + std::to_string(e) + ")";
      const auto& names = op_names();
      const auto it = std::find(names.begin(), names.end(), pairs[e].first);
      if (it == names.end()) {
        fail(where + ": unknown op '" + nas::printable(pairs[e].first) + "' (valid: " + op_list() +
             (pairs[e].first == "none" ? "; `none` is no genotype op" : "") + ")");
      }
      if (pairs[e].second >= node) {
        fail(where + ": input " + std::to_string(pairs[e].second) + " is out of range: node " +
             std::to_string(node) + " reads 0.." + std::to_string(node - 1) +
             " (0 and 1 are the cell inputs, 2.. the earlier nodes)");
      }
      out[e] = Entry{static_cast<int>(it - names.begin()), pairs[e].second};
      if (e % 2 == 1 && out[e].input == out[e - 1].input) {
        fail(name + ", node " + std::to_string(node) + ": both entries read input " +
             std::to_string(out[e].input) + "; a node's two inputs must differ");
      }
    }
    return out;
  }

  // range(2, 6) or [2, 3, 4, 5].
  void concat(const std::string& field) {
    std::vector<int> nodes;
    if (accept("range")) {
      expect('(', field);
      const int a = integer(field);
      expect(',', field);
      const int b = integer(field);
      expect(')', field);
      for (int i = a; i < b && i < 100; ++i) nodes.push_back(i);
    } else if (accept('[')) {
      if (!accept(']')) {
        do nodes.push_back(integer(field));
        while (accept(','));
        expect(']', field);
      }
    } else {
      fail(field + ": expected range(2, 6) or [2, 3, 4, 5] at " + rest());
    }
    if (nodes != std::vector<int>{2, 3, 4, 5}) {
      fail(field +
           ": only the concat of all four intermediate nodes, range(2, 6) = [2, 3, 4, 5], "
           "is part of this space");
    }
  }

 private:
  const std::string& text_;
  std::size_t pos_ = 0;
};

}  // namespace

const std::array<std::string, kNumOps>& op_names() {
  static const std::array<std::string, kNumOps> names = {
      "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3",
      "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"};
  return names;
}

const std::array<std::string, kNumSuperOps>& super_op_names() {
  static const std::array<std::string, kNumSuperOps> names = {
      "none",         "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
      "dil_conv_3x3", "dil_conv_5x5", "avg_pool_3x3", "max_pool_3x3"};
  return names;
}

int super_op_to_op(int s) {
  static const std::array<int, kNumSuperOps> ops = {-1,          kSkipConnect, kSepConv3x3,
                                                    kSepConv5x5, kDilConv3x3,  kDilConv5x5,
                                                    kAvgPool3x3, kMaxPool3x3};
  return ops.at(static_cast<std::size_t>(s));
}

Genotype parse_genotype(const std::string& text) {
  Reader in(text);
  if (in.at_end()) in.fail(std::string("empty string, expected ") + kFormHint);
  Genotype g;
  if (in.accept("Genotype")) {
    in.expect('(', "Genotype(...)");
    std::map<std::string, int> seen;
    const std::vector<std::string> fields = {"normal", "normal_concat", "reduce", "reduce_concat"};
    do {
      const std::string key = in.identifier();
      if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
        in.fail("Genotype(...): unknown field '" + nas::printable(key) +
                "' (valid: normal, normal_concat, reduce, reduce_concat)");
      }
      if (seen[key]++) in.fail("Genotype(...): field '" + key + "' is given twice");
      in.expect('=', key);
      if (key == "normal") g.normal = in.cell(false);
      if (key == "reduce") g.reduce = in.cell(true);
      if (key == "normal_concat" || key == "reduce_concat") in.concat(key);
    } while (in.accept(','));
    in.expect(')', "Genotype(...)");
    for (const auto& field : fields) {
      if (!seen.count(field)) in.fail("Genotype(...): field '" + field + "' is missing");
    }
  } else {
    if (!in.accept("normal")) {
      in.fail("expected 'normal=' or 'Genotype(' at the start (the forms are " +
              std::string(kFormHint) + ")");
    }
    in.expect('=', "normal");
    g.normal = in.cell(false);
    if (!in.accept(';')) in.fail("expected ';reduce=[...]' after the normal cell, at " + in.rest());
    if (!in.accept("reduce")) in.fail("expected 'reduce=' after ';', at " + in.rest());
    in.expect('=', "reduce");
    g.reduce = in.cell(true);
  }
  if (!in.at_end()) in.fail("unexpected text after the genotype: " + in.rest());
  return g;
}

void validate(const Genotype& g, const std::string& context) {
  for (bool reduce : {false, true}) {
    const Cell& cell = reduce ? g.reduce : g.normal;
    for (int e = 0; e < kNumEntries; ++e) {
      const int node = e / 2 + 2;
      const std::string where = context + ": " + cell_name(reduce) + " cell, node " +
                                std::to_string(node) + " (entry " + std::to_string(e) + ")";
      if (cell[e].op < 0 || cell[e].op >= kNumOps) {
        throw nas::Error(where + ": op index " + std::to_string(cell[e].op) +
                         " is out of range 0..6 (" + op_list() + ")");
      }
      if (cell[e].input < 0 || cell[e].input >= node) {
        throw nas::Error(where + ": input " + std::to_string(cell[e].input) +
                         " is out of range 0.." + std::to_string(node - 1));
      }
      if (e % 2 == 1 && cell[e].input == cell[e - 1].input) {
        throw nas::Error(context + ": " + cell_name(reduce) + " cell, node " +
                         std::to_string(node) + ": both entries read input " +
                         std::to_string(cell[e].input) + "; a node's two inputs must differ");
      }
    }
  }
}

std::string format_genotype(const Genotype& g) {
  validate(g, "DARTS genotype");
  std::string text;
  for (bool reduce : {false, true}) {
    const Cell& cell = reduce ? g.reduce : g.normal;
    text += reduce ? ";reduce=[" : "normal=[";
    for (int e = 0; e < kNumEntries; ++e) {
      if (e > 0) text += ",";
      text += "('" + op_names()[cell[e].op] + "'," + std::to_string(cell[e].input) + ")";
    }
    text += "]";
  }
  return text;
}

Genotype structure_canonical(const Genotype& g) {
  Genotype out = g;
  for (Cell* cell : {&out.normal, &out.reduce}) {
    for (int k = 0; k < kNumSteps; ++k) {
      Entry& a = (*cell)[2 * k];
      Entry& b = (*cell)[2 * k + 1];
      if (b.input < a.input) std::swap(a, b);
    }
  }
  return out;
}

Shape check_spec(const nas::NetSpec& spec, const Options& options) {
  auto fail = [](const std::string& why) -> void { throw nas::Error("darts: " + why); };
  Shape shape;
  shape.width = nas::checked_width(spec, "darts", kDefaultWidth);
  if (options.layers < 1 || options.layers > 30002) {
    fail("layers must be between 1 and 30002, got " + std::to_string(options.layers));
  }
  shape.layers = spec.depth == 0 ? options.layers : 3 * std::int64_t{spec.depth} + 2;
  if (spec.max_cells > shape.layers) {
    fail("max_cells " + std::to_string(spec.max_cells) + " exceeds the " +
         std::to_string(shape.layers) + " cells of the network");
  }
  shape.cells = spec.max_cells == 0 ? static_cast<int>(shape.layers) : spec.max_cells;
  shape.stem = spec.stem;
  shape.imagenet_stem = options.imagenet_stem;
  if (shape.imagenet_stem && !shape.stem) {
    fail("stem: false cannot be combined with the ImageNet stem (imagenet_stem: true)");
  }
  shape.auxiliary = options.auxiliary && shape.aux_cell() < shape.cells;
  int reductions = 0;
  for (int k = 0; k < shape.cells; ++k) reductions += shape.is_reduction(k) ? 1 : 0;
  const bool factorized = reductions > 0 || shape.imagenet_stem;
  if (factorized && shape.width % 2 != 0) {
    fail(
        "the width must be even when the network has a reduction cell or the ImageNet stem "
        "(FactorizedReduce splits C in two halves), got " +
        std::to_string(shape.width));
  }
  const int halvings = reductions + (shape.imagenet_stem ? 3 : 0);
  if (halvings > 30 || spec.input_size < 1 || spec.input_size % (1 << halvings) != 0) {
    fail("input_size must be a positive multiple of 2^" + std::to_string(halvings) +
         " (the network halves it " + std::to_string(halvings) +
         " times and FactorizedReduce needs even sizes), got " + std::to_string(spec.input_size));
  }
  if (shape.auxiliary) {
    // The auxiliary head pools 5x5 (stride 3, CIFAR; 2, ImageNet), then a 2x2 conv must leave
    // 1x1 for its 768-input classifier.
    std::int64_t size = spec.input_size >> (shape.imagenet_stem ? 3 : 0);
    for (int k = 0; k <= shape.aux_cell(); ++k) size /= shape.is_reduction(k) ? 2 : 1;
    const std::int64_t stride = shape.imagenet_stem ? 2 : 3;
    const std::int64_t pooled = size < 5 ? 0 : (size - 5) / stride + 1;
    if (pooled != 2) {
      fail(
          "the auxiliary head needs a feature map it reduces to 1x1 (8x8 for the CIFAR head, "
          "7x7 for the ImageNet head), but cell " +
          std::to_string(shape.aux_cell()) + " outputs " + std::to_string(size) + "x" +
          std::to_string(size));
    }
  }
  return shape;
}

namespace {

// Walks the network of a genotype and counts parameters and multiply-accumulates together, so
// that both follow one description of the network.
struct Counts {
  std::int64_t params = 0;
  std::int64_t macs = 0;
};

Counts count(const Genotype& g, const nas::NetSpec& spec, const Options& options) {
  const Shape shape = check_spec(spec, options);
  Counts n;
  auto conv = [&n](std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t size_out,
                   std::int64_t groups = 1) {
    n.params += out * (in / groups) * k * k;
    n.macs += out * size_out * size_out * (in / groups) * k * k;
  };
  auto bn = [&n](std::int64_t c, bool affine) { n.params += affine ? 2 * c : 0; };
  auto linear = [&n](std::int64_t in, std::int64_t out) {
    n.params += in * out + out;
    n.macs += in * out;
  };
  // FactorizedReduce c_in -> c_out at output size `size`: two 1x1 convs to c_out/2, BN.
  auto factorized = [&](std::int64_t c_in, std::int64_t c_out, std::int64_t size, bool affine) {
    conv(c_in, c_out / 2, 1, size);
    conv(c_in, c_out / 2, 1, size);
    bn(c_out, affine);
  };

  const std::int64_t c = shape.width;
  const std::int64_t in = spec.in_channels;
  std::int64_t size = spec.input_size;
  std::int64_t c_pp = in, c_p = in;  // channels of the two cell inputs
  std::int64_t size_pp = size;       // size of input 0 (input 1 is at `size`)
  bool reduction_prev = false;
  if (shape.imagenet_stem) {
    conv(in, c / 2, 3, size / 2);
    bn(c / 2, true);
    conv(c / 2, c, 3, size / 4);
    bn(c, true);
    conv(c, c, 3, size / 8);
    bn(c, true);
    c_pp = c_p = c;
    size_pp = size / 4;
    size = size / 8;
    reduction_prev = true;
  } else if (shape.stem) {
    conv(in, 3 * c, 3, size);
    bn(3 * c, true);
    c_pp = c_p = 3 * c;
  }
  std::int64_t c_curr = c;
  for (int k = 0; k < shape.cells; ++k) {
    const bool reduction = shape.is_reduction(k);
    if (reduction) c_curr *= 2;
    // Preprocessing: both inputs to c_curr channels at `size`.
    if (reduction_prev) {
      factorized(c_pp, c_curr, size, true);
    } else {
      conv(c_pp, c_curr, 1, size_pp);
      bn(c_curr, true);
    }
    conv(c_p, c_curr, 1, size);
    bn(c_curr, true);
    const std::int64_t out_size = reduction ? size / 2 : size;
    const Cell& cell = reduction ? g.reduce : g.normal;
    for (const Entry& entry : cell) {
      const bool strided = reduction && entry.input < 2;
      const std::int64_t s = out_size;  // every op outputs the cell's output size
      switch (entry.op) {
        case kSepConv3x3:
        case kSepConv5x5: {
          const std::int64_t kk = entry.op == kSepConv3x3 ? 3 : 5;
          for (int half = 0; half < 2; ++half) {
            conv(c_curr, c_curr, kk, s, c_curr);
            conv(c_curr, c_curr, 1, s);
            bn(c_curr, options.cell_affine);
          }
          break;
        }
        case kDilConv3x3:
        case kDilConv5x5: {
          const std::int64_t kk = entry.op == kDilConv3x3 ? 3 : 5;
          conv(c_curr, c_curr, kk, s, c_curr);
          conv(c_curr, c_curr, 1, s);
          bn(c_curr, options.cell_affine);
          break;
        }
        case kSkipConnect:
          if (strided) factorized(c_curr, c_curr, s, options.cell_affine);
          break;
        default:  // pools: a non-affine BN at most
          break;
      }
    }
    reduction_prev = reduction;
    c_pp = c_p;
    c_p = 4 * c_curr;
    size_pp = size;
    size = out_size;
    if (shape.auxiliary && k == shape.aux_cell()) {
      const std::int64_t stride = shape.imagenet_stem ? 2 : 3;
      const std::int64_t pooled = (size - 5) / stride + 1;
      conv(c_p, 128, 1, pooled);
      bn(128, true);
      conv(128, 768, 2, pooled - 1);
      if (!shape.imagenet_stem) bn(768, true);
      // the classifier is counted after the main one (construction order does not matter)
    }
  }
  linear(c_p, spec.num_classes);
  if (shape.auxiliary) linear(768, spec.num_classes);
  return n;
}

}  // namespace

std::int64_t count_params(const Genotype& g, const nas::NetSpec& spec, const Options& options) {
  return count(g, spec, options).params;
}

std::int64_t count_macs(const Genotype& g, const nas::NetSpec& spec, const Options& options) {
  return count(g, spec, options).macs;
}

nas::Arch DartsSpace::parse(const std::string& text) const { return arch_of(parse_genotype(text)); }

Genotype DartsSpace::genotype_of(const nas::Arch& arch) const {
  require_own(arch);
  return parse_genotype(arch.str());
}

nas::Arch DartsSpace::sample(nas::Rng& rng) const {
  Genotype g;
  for (Cell* cell : {&g.normal, &g.reduce}) {
    for (int k = 0; k < kNumSteps; ++k) {
      const int inputs = k + 2;
      Entry& a = (*cell)[2 * k];
      Entry& b = (*cell)[2 * k + 1];
      a.input = static_cast<int>(rng.below(inputs));
      const int other = static_cast<int>(rng.below(inputs - 1));
      b.input = other < a.input ? other : other + 1;
      a.op = static_cast<int>(rng.below(kNumOps));
      b.op = static_cast<int>(rng.below(kNumOps));
    }
  }
  return arch_of(g);
}

nas::Arch DartsSpace::mutate(const nas::Arch& arch, nas::Rng& rng) const {
  const Genotype parent = genotype_of(arch);
  Genotype g = parent;
  while (g == parent) {
    Cell& cell = rng.below(2) == 0 ? g.normal : g.reduce;
    const int e = static_cast<int>(rng.below(kNumEntries));
    if (rng.below(2) == 1) {
      cell[e].op = static_cast<int>(rng.below(kNumOps));
    } else {
      const int input = static_cast<int>(rng.below(e / 2 + 2));
      const int partner = e % 2 == 0 ? e + 1 : e - 1;
      if (cell[partner].input != input) cell[e].input = input;
    }
  }
  return arch_of(g);
}

std::vector<nas::Decision> DartsSpace::decisions() const {
  std::vector<nas::Decision> slots;
  const std::vector<std::string> ops(op_names().begin(), op_names().end());
  for (bool reduce : {false, true}) {
    for (int e = 0; e < kNumEntries; ++e) {
      const int node = e / 2 + 2;
      const std::string prefix = std::string(cell_name(reduce)) + ".n" + std::to_string(node) +
                                 ".e" + std::to_string(e % 2);
      std::vector<std::string> inputs;
      for (int i = 0; i < node; ++i) inputs.push_back(std::to_string(i));
      slots.push_back(nas::Decision{prefix + ".op", ops});
      slots.push_back(nas::Decision{prefix + ".in", inputs});
    }
  }
  return slots;
}

std::vector<int> DartsSpace::encode(const nas::Arch& arch) const {
  const Genotype g = genotype_of(arch);
  std::vector<int> choices;
  for (const Cell* cell : {&g.normal, &g.reduce}) {
    for (const Entry& entry : *cell) {
      choices.push_back(entry.op);
      choices.push_back(entry.input);
    }
  }
  return choices;
}

nas::Arch DartsSpace::decode(const std::vector<int>& choices) const {
  if (choices.size() != 4 * kNumEntries) {
    throw nas::Error(
        "darts: decode expects 32 choices (op and input of 8 entries in 2 cells), got " +
        std::to_string(choices.size()));
  }
  Genotype g;
  std::size_t i = 0;
  for (Cell* cell : {&g.normal, &g.reduce}) {
    for (Entry& entry : *cell) {
      entry.op = choices[i++];
      entry.input = choices[i++];
    }
  }
  validate(g, "darts: decode");
  return arch_of(g);
}

std::shared_ptr<nas::Network> DartsSpace::build(const nas::Arch& arch,
                                                const nas::NetSpec& spec) const {
  const Genotype g = genotype_of(arch);
  check_spec(spec, options_);
  return build_network(g, spec, options_);
}

std::int64_t DartsSpace::params(const nas::Arch& arch, const nas::NetSpec& spec) const {
  return count_params(genotype_of(arch), spec, options_);
}

std::int64_t DartsSpace::flops(const nas::Arch& arch, const nas::NetSpec& spec) const {
  return count_macs(genotype_of(arch), spec, options_);
}

std::vector<nas::Decision> DartsSpace::supernet_decisions() const {
  std::vector<nas::Decision> slots;
  const std::vector<std::string> ops(super_op_names().begin(), super_op_names().end());
  for (bool reduce : {false, true}) {
    for (int node = 2; node < kNumSteps + 2; ++node) {
      for (int in = 0; in < node; ++in) {
        slots.push_back(nas::Decision{std::string(cell_name(reduce)) + ".n" + std::to_string(node) +
                                          ".i" + std::to_string(in),
                                      ops});
      }
    }
  }
  return slots;
}

std::vector<nas::SupernetGroup> DartsSpace::supernet_groups() const {
  std::vector<nas::SupernetGroup> groups;
  for (bool reduce : {false, true}) {
    for (int node = 2; node < kNumSteps + 2; ++node) {
      nas::SupernetGroup g{std::string(cell_name(reduce)) + ".n" + std::to_string(node), {}, 2};
      for (int in = 0; in < node; ++in) {
        g.slots.push_back(
            static_cast<std::size_t>((reduce ? kNumEdges : 0) + edge_index(node, in)));
      }
      groups.push_back(g);
    }
  }
  return groups;
}

namespace {

SuperAlive super_alive_of(const std::vector<std::vector<bool>>& alive) {
  SuperAlive out;
  for (int e = 0; e < 2 * kNumEdges; ++e) {
    SuperCell& cell = e < kNumEdges ? out.normal : out.reduce;
    for (int s = 0; s < kNumSuperOps; ++s) {
      cell[static_cast<std::size_t>(e % kNumEdges)][static_cast<std::size_t>(s)] =
          alive[static_cast<std::size_t>(e)][static_cast<std::size_t>(s)];
    }
  }
  return out;
}

}  // namespace

nas::NetSpec DartsSpace::supernet_spec(const nas::NetSpec& spec) const {
  nas::NetSpec out = spec;
  if (out.width == 0) out.width = options_.supernet_width;
  if (out.depth == 0) out.depth = options_.supernet_depth;
  if (out.max_cells == 0) out.max_cells = options_.supernet_cells;
  return out;
}

std::shared_ptr<nas::Network> DartsSpace::build_supernet(
    const std::vector<std::vector<bool>>& alive, const nas::NetSpec& spec) const {
  require_valid_alive(alive);
  return build_supernet_network(super_alive_of(alive), supernet_spec(spec), options_);
}

nas::Arch DartsSpace::decode_supernet(const std::vector<std::vector<bool>>& alive) const {
  require_valid_alive(alive);
  const std::vector<nas::Decision> slots = supernet_decisions();
  Genotype g;
  for (bool reduce : {false, true}) {
    Cell& cell = reduce ? g.reduce : g.normal;
    for (int node = 2; node < kNumSteps + 2; ++node) {
      int entry = 2 * (node - 2);
      int live = 0;
      for (int in = 0; in < node; ++in) {
        const std::size_t d =
            static_cast<std::size_t>((reduce ? kNumEdges : 0) + edge_index(node, in));
        int survivor = -1, count = 0;
        for (int s = 0; s < kNumSuperOps; ++s) {
          if (alive[d][static_cast<std::size_t>(s)]) {
            survivor = s;
            ++count;
          }
        }
        if (count == 0) continue;
        if (count > 1 || survivor == 0) {
          throw nas::Error("darts: decode_supernet: slot " + slots[d].name + " keeps " +
                           (count > 1 ? std::to_string(count) + " ops" : std::string("none")) +
                           "; a pruned edge keeps exactly one op that is not none");
        }
        if (++live <= 2)
          cell[static_cast<std::size_t>(entry++)] = Entry{super_op_to_op(survivor), in};
      }
      if (live != 2) {
        throw nas::Error("darts: decode_supernet: node " + std::to_string(node) + " of the " +
                         cell_name(reduce) + " cell keeps " + std::to_string(live) +
                         " live edges, expected 2");
      }
    }
  }
  return arch_of(g);
}

nas::Arch DartsSpace::representative(const nas::Arch& arch, nas::NetworkIdentity level) const {
  require_own(arch);
  if (level == nas::NetworkIdentity::kArch || nas::is_supernet_arch(arch)) return arch;
  return arch_of(structure_canonical(genotype_of(arch)));
}

std::string DartsSpace::network_key(const nas::Arch& arch, nas::NetworkIdentity level) const {
  return representative(arch, level).str();
}

}  // namespace darts
