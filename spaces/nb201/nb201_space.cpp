// The NAS-Bench-201 space without torch: strings, decisions, counts, enumeration order.
#include "nb201_space.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_set>
#include <utility>

#include "nas/csv.h"
#include "nas/error.h"

namespace nb201 {
namespace {

constexpr const char* kFormHint = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|";

// The benchmark network: C = 16 channels in the first stage, N = 5 cells per stage.
constexpr int kDefaultWidth = 16;
constexpr int kDefaultDepth = 5;

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string::size_type begin = 0;
  while (true) {
    const auto end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return parts;
    begin = end + 1;
  }
}

std::string trim(const std::string& text) {
  const char* blank = " \t\r\n";
  const auto first = text.find_first_not_of(blank);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(blank) - first + 1);
}

int op_index(const std::string& name) {
  const auto& names = op_names();
  for (int i = 0; i < kNumOps; ++i) {
    if (names[i] == name) return i;
  }
  return -1;
}

// Edge index of the edge from node `from` into node `to` (arch-string order).
constexpr int edge_index(int to, int from) { return to * (to - 1) / 2 + from; }

}  // namespace

const std::array<std::string, kNumOps>& op_names() {
  static const std::array<std::string, kNumOps> names = {"none", "skip_connect", "nor_conv_1x1",
                                                         "nor_conv_3x3", "avg_pool_3x3"};
  return names;
}

Edge edge_of(int e) {
  if (e < 0 || e >= kNumEdges) {
    throw nas::Error("NAS-Bench-201 edge index " + std::to_string(e) + " is out of range 0..5");
  }
  int to = 1;
  while (edge_index(to + 1, 0) <= e) ++to;
  return Edge{to, e - edge_index(to, 0)};
}

Cell parse_cell(const std::string& raw) {
  auto fail = [&raw](const std::string& why) -> void {
    throw nas::Error("invalid NAS-Bench-201 architecture '" + raw + "': " + why);
  };
  const std::string text = trim(raw);
  if (text.empty()) fail(std::string("empty string, expected ") + kFormHint);

  const std::vector<std::string> groups = split(text, '+');
  if (groups.size() != kNumNodes - 1) {
    fail("expected 3 node groups separated by '+', got " + std::to_string(groups.size()) +
         " (the form is " + kFormHint + ")");
  }
  Cell cell{};
  for (int to = 1; to < kNumNodes; ++to) {
    const std::string& group = groups[to - 1];
    const std::string node = "node " + std::to_string(to);
    if (group.size() < 2 || group.front() != '|' || group.back() != '|') {
      fail(node + ": group '" + group + "' must start and end with '|'");
    }
    const std::vector<std::string> edges = split(group.substr(1, group.size() - 2), '|');
    if (static_cast<int>(edges.size()) != to) {
      fail(node + ": expected " + std::to_string(to) + (to == 1 ? " edge" : " edges") +
           " (one from each earlier node), got " + std::to_string(edges.size()) + " in '" + group +
           "'");
    }
    for (int from = 0; from < to; ++from) {
      const std::string& token = edges[from];
      const std::string where = node + ", edge " + std::to_string(from);
      const std::string input = std::to_string(from);
      const auto tilde = token.find('~');
      if (tilde == std::string::npos) {
        fail(where + ": expected 'op~" + input + "', got '" + token + "'");
      }
      const std::string op = token.substr(0, tilde);
      const std::string source = token.substr(tilde + 1);
      if (source != input) {
        fail(node + ": the edge from node " + input + " must be written '~" + input + "', got '" +
             token + "' (edges are listed in order of their input node)");
      }
      const int index = op_index(op);
      if (index < 0) {
        fail(where + ": unknown op '" + op + "' (valid: " +
             nas::join(std::vector<std::string>(op_names().begin(), op_names().end())) + ")");
      }
      cell[edge_index(to, from)] = index;
    }
  }
  return cell;
}

std::string format_cell(const Cell& cell) {
  std::string text = "|";
  for (int to = 1; to < kNumNodes; ++to) {
    if (to > 1) text += "+|";
    for (int from = 0; from < to; ++from) {
      const int op = cell[edge_index(to, from)];
      if (op < 0 || op >= kNumOps) {
        throw nas::Error("NAS-Bench-201 op index " + std::to_string(op) + " is out of range 0..4");
      }
      text += op_names()[op] + "~" + std::to_string(from) + "|";
    }
  }
  return text;
}

int Shape::reductions() const {
  int r = 0;
  for (int k = 0; k < cells; ++k) r += is_reduction(k) ? 1 : 0;
  return r;
}

Shape check_spec(const nas::NetSpec& spec) {
  auto fail = [](const std::string& why) -> void { throw nas::Error("nb201: " + why); };
  Shape shape;
  shape.width = nas::checked_width(spec, "nb201", kDefaultWidth);
  shape.depth = spec.depth == 0 ? kDefaultDepth : spec.depth;
  const int all_cells = 3 * static_cast<int>(shape.depth) + 2;
  if (spec.max_cells > all_cells) {
    fail("max_cells " + std::to_string(spec.max_cells) + " exceeds the " +
         std::to_string(all_cells) + " cells of a network with depth " +
         std::to_string(shape.depth));
  }
  shape.cells = spec.max_cells == 0 ? all_cells : spec.max_cells;
  shape.stem = spec.stem;
  if (!shape.stem && spec.in_channels != shape.width) {
    fail("without a stem the first cell reads the input directly, so in_channels (" +
         std::to_string(spec.in_channels) + ") must equal the width (" +
         std::to_string(shape.width) + ")");
  }
  // Each ResNet block halves the resolution; its two branches agree only on even sizes.
  const int halvings = shape.reductions();
  if (spec.input_size < 1 || spec.input_size % (1 << halvings) != 0) {
    fail("input_size must be a positive multiple of " + std::to_string(1 << halvings) +
         " (the network halves it " + std::to_string(halvings) + " time" +
         (halvings == 1 ? "" : "s") + "), got " + std::to_string(spec.input_size));
  }
  return shape;
}

std::int64_t count_params(const Cell& cell, const nas::NetSpec& spec) {
  const Shape shape = check_spec(spec);
  auto bn = [](std::int64_t c) { return 2 * c; };  // BatchNorm: gamma and beta
  std::int64_t c = shape.width;
  // Stem: 3x3 conv in -> C and its BN.
  std::int64_t total = shape.stem ? std::int64_t{spec.in_channels} * c * 9 + bn(c) : 0;
  for (int k = 0; k < shape.cells; ++k) {
    if (shape.is_reduction(k)) {  // ResNet block c -> 2c
      const std::int64_t p = 2 * c;
      total += c * p * 9 + bn(p);  // conv_a
      total += p * p * 9 + bn(p);  // conv_b
      total += c * p;              // downsample 1x1 conv
      c = p;
      continue;
    }
    for (int op : cell) {
      if (op == kConv1x1) total += c * c + bn(c);
      if (op == kConv3x3) total += c * c * 9 + bn(c);
    }
  }
  // lastact BN, then the classifier's weight and bias.
  total += bn(c) + c * std::int64_t{spec.num_classes} + spec.num_classes;
  return total;
}

std::int64_t count_macs(const Cell& cell, const nas::NetSpec& spec) {
  const Shape shape = check_spec(spec);
  std::int64_t c = shape.width, size = spec.input_size;
  std::int64_t total = shape.stem ? c * size * size * spec.in_channels * 9 : 0;
  for (int k = 0; k < shape.cells; ++k) {
    if (shape.is_reduction(k)) {  // outputs at half the size
      const std::int64_t p = 2 * c;
      size /= 2;
      const std::int64_t pixels = size * size;
      total += p * pixels * c * 9;  // conv_a (stride 2)
      total += p * pixels * p * 9;  // conv_b
      total += p * pixels * c;      // downsample 1x1 conv after 2x2 average pooling
      c = p;
      continue;
    }
    const std::int64_t pixels = size * size;
    for (int op : cell) {
      if (op == kConv1x1) total += c * pixels * c;
      if (op == kConv3x3) total += c * pixels * c * 9;
    }
  }
  total += c * std::int64_t{spec.num_classes};  // classifier
  return total;
}

Nb201Space::Nb201Space(std::string index_file) : index_file_(std::move(index_file)) {}

nas::Arch Nb201Space::parse(const std::string& text) const { return arch_of(parse_cell(text)); }

Cell Nb201Space::cell_of(const nas::Arch& arch) const {
  require_own(arch);
  return parse_cell(arch.str());
}

nas::Arch Nb201Space::sample(nas::Rng& rng) const {
  Cell cell{};
  for (int& op : cell) op = static_cast<int>(rng.below(kNumOps));
  return arch_of(cell);
}

nas::Arch Nb201Space::mutate(const nas::Arch& arch, nas::Rng& rng) const {
  Cell cell = cell_of(arch);
  const int e = static_cast<int>(rng.below(kNumEdges));
  // The k-th op of the list of ops other than the current one, in op order.
  const int k = static_cast<int>(rng.below(kNumOps - 1));
  cell[e] = k < cell[e] ? k : k + 1;
  return arch_of(cell);
}

std::vector<nas::Decision> Nb201Space::decisions() const {
  std::vector<nas::Decision> slots;
  const std::vector<std::string> choices(op_names().begin(), op_names().end());
  for (int e = 0; e < kNumEdges; ++e) {
    const Edge edge = edge_of(e);
    slots.push_back(nas::Decision{
        "edge_" + std::to_string(edge.to) + "<-" + std::to_string(edge.from), choices});
  }
  return slots;
}

std::vector<int> Nb201Space::encode(const nas::Arch& arch) const {
  const Cell cell = cell_of(arch);
  return std::vector<int>(cell.begin(), cell.end());
}

nas::Arch Nb201Space::decode(const std::vector<int>& choices) const {
  if (choices.size() != kNumEdges) {
    throw nas::Error("nb201: decode expects 6 choices (one per edge), got " +
                     std::to_string(choices.size()));
  }
  Cell cell{};
  for (int e = 0; e < kNumEdges; ++e) {
    if (choices[e] < 0 || choices[e] >= kNumOps) {
      const Edge edge = edge_of(e);
      throw nas::Error("nb201: choice " + std::to_string(choices[e]) + " for slot edge_" +
                       std::to_string(edge.to) + "<-" + std::to_string(edge.from) +
                       " is out of range 0..4");
    }
    cell[e] = choices[e];
  }
  return arch_of(cell);
}

std::shared_ptr<nas::Network> Nb201Space::build(const nas::Arch& arch,
                                                const nas::NetSpec& spec) const {
  const Cell cell = cell_of(arch);
  check_spec(spec);
  return build_network(cell, spec);
}

std::shared_ptr<nas::Network> Nb201Space::build_supernet(
    const std::vector<std::vector<bool>>& alive, const nas::NetSpec& spec) const {
  require_valid_alive(alive);
  check_spec(spec);
  Alive ops{};
  for (int e = 0; e < kNumEdges; ++e) {
    for (int op = 0; op < kNumOps; ++op) ops[e][op] = alive[e][op];
  }
  return build_supernet_network(ops, spec);
}

std::int64_t Nb201Space::params(const nas::Arch& arch, const nas::NetSpec& spec) const {
  return count_params(cell_of(arch), spec);
}

std::int64_t Nb201Space::flops(const nas::Arch& arch, const nas::NetSpec& spec) const {
  return count_macs(cell_of(arch), spec);
}

namespace {
bool is_conv(int op) { return op == kConv1x1 || op == kConv3x3; }
}  // namespace

Cell function_reduced(const Cell& cell) {
  // zero[k]: node k is exactly zero. transmits(e): edge e can put something non-zero into its
  // target (a conv always can: its BatchNorm adds beta even to a zero input).
  std::array<bool, kNumNodes> zero{};
  auto transmits = [&](int e) {
    const int op = cell[e];
    return is_conv(op) || ((op == kSkipConnect || op == kAvgPool3x3) && !zero[edge_of(e).from]);
  };
  for (int to = 1; to < kNumNodes; ++to) {
    zero[to] = true;
    for (int from = 0; from < to; ++from) zero[to] = zero[to] && !transmits(edge_index(to, from));
  }
  // reaches[k]: something node k holds can reach the output through transmitting edges.
  std::array<bool, kNumNodes> reaches{};
  reaches[kNumNodes - 1] = true;
  for (int from = kNumNodes - 2; from >= 1; --from) {
    for (int to = from + 1; to < kNumNodes; ++to) {
      reaches[from] = reaches[from] || (reaches[to] && transmits(edge_index(to, from)));
    }
  }
  Cell out{};
  for (int e = 0; e < kNumEdges; ++e)
    out[e] = transmits(e) && reaches[edge_of(e).to] ? cell[e] : kNone;
  return out;
}

Cell structure_canonical(const Cell& cell) {
  if (cell[edge_index(2, 1)] != kNone) return cell;
  Cell swapped = cell;
  std::swap(swapped[edge_index(1, 0)], swapped[edge_index(2, 0)]);
  std::swap(swapped[edge_index(3, 1)], swapped[edge_index(3, 2)]);
  return std::min(cell, swapped);
}

nas::Arch Nb201Space::representative(const nas::Arch& arch, nas::NetworkIdentity level) const {
  require_own(arch);
  if (level == nas::NetworkIdentity::kArch || nas::is_supernet_arch(arch)) return arch;
  const Cell cell = cell_of(arch);
  return arch_of(structure_canonical(
      level == nas::NetworkIdentity::kFunction ? function_reduced(cell) : cell));
}

std::string Nb201Space::network_key(const nas::Arch& arch, nas::NetworkIdentity level) const {
  return representative(arch, level).str();
}

std::vector<nas::Arch> Nb201Space::enumerate() const {
  std::lock_guard<std::mutex> lock(order_mutex_);
  if (!order_.empty()) return order_;
  if (index_file_.empty()) {
    throw nas::Error(
        "nb201: cannot enumerate: the index table accuracies.csv.gz was not found "
        "(set NAS_DATA_PATH, or the space parameter index_file)");
  }
  const nas::CsvTable table = nas::read_csv(index_file_);
  const std::size_t arch_column = table.column("arch");
  if (table.rows.size() != static_cast<std::size_t>(kNumCells)) {
    throw nas::Error(index_file_ + ": expected " + std::to_string(kNumCells) +
                     " NAS-Bench-201 rows, got " + std::to_string(table.rows.size()));
  }
  // A table that also has an `index` column must list the cells in index order.
  std::size_t index_column = table.header.size();
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    if (table.header[c] == "index") index_column = c;
  }
  std::vector<nas::Arch> order;
  order.reserve(kNumCells);
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const std::string where = index_file_ + ":" + std::to_string(table.lines[i]);
    nas::Arch arch;
    try {
      arch = parse(table.rows[i][arch_column]);
    } catch (const nas::Error& error) {
      throw nas::Error(where + ": " + error.what());
    }
    if (index_column < table.header.size() && table.rows[i][index_column] != std::to_string(i)) {
      throw nas::Error(where + ": expected index " + std::to_string(i) + ", got '" +
                       table.rows[i][index_column] + "' (rows must be in index order)");
    }
    if (!seen.insert(arch.str()).second) {
      throw nas::Error(where + ": architecture " + arch.str() + " is listed twice");
    }
    order.push_back(std::move(arch));
  }
  order_ = std::move(order);
  return order_;
}

}  // namespace nb201
