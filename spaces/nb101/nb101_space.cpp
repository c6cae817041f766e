// The NAS-Bench-101 space without torch: strings, validity, pruning, the graph hash, decisions,
// channel splitting and the analytic counts.
#include "nb101_space.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <sstream>
#include <utility>

#include "nas/error.h"

namespace nb101 {
namespace {

constexpr int kMaxDraws = 100000;
constexpr const char* kFormHint =
    "<V*V matrix digits 0/1, row-major> <V labels input,...,output separated by commas>";

std::string trim(const std::string& text) {
  const char* blank = " \t\r\n";
  const auto first = text.find_first_not_of(blank);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(blank) - first + 1);
}

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

std::string valid_ops() {
  return nas::join(std::vector<std::string>(op_names().begin(), op_names().end()));
}

std::string label_name(int label) {
  if (label == kInput) return "input";
  if (label == kOutput) return "output";
  return op_names().at(static_cast<std::size_t>(label));
}

// ---- MD5 (RFC 1321) ----
struct Md5 {
  std::uint32_t a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;

  static std::uint32_t rotl(std::uint32_t x, int s) { return (x << s) | (x >> (32 - s)); }

  void block(const unsigned char* p) {
    static const std::uint32_t k[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    static const int r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                              5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                              4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                              6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    std::uint32_t m[16];
    for (int i = 0; i < 16; ++i) {
      m[i] = std::uint32_t{p[4 * i]} | (std::uint32_t{p[4 * i + 1]} << 8) |
             (std::uint32_t{p[4 * i + 2]} << 16) | (std::uint32_t{p[4 * i + 3]} << 24);
    }
    std::uint32_t aa = a, bb = b, cc = c, dd = d;
    for (int i = 0; i < 64; ++i) {
      std::uint32_t f;
      int g;
      if (i < 16) {
        f = (bb & cc) | (~bb & dd);
        g = i;
      } else if (i < 32) {
        f = (dd & bb) | (~dd & cc);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = bb ^ cc ^ dd;
        g = (3 * i + 5) % 16;
      } else {
        f = cc ^ (bb | ~dd);
        g = (7 * i) % 16;
      }
      const std::uint32_t next = bb + rotl(aa + f + k[i] + m[g], r[i]);
      aa = dd;
      dd = cc;
      cc = bb;
      bb = next;
    }
    a += aa;
    b += bb;
    c += cc;
    d += dd;
  }
};

}  // namespace

std::string md5_hex(const std::string& text) {
  std::vector<unsigned char> data(text.begin(), text.end());
  const std::uint64_t bits = static_cast<std::uint64_t>(text.size()) * 8;
  data.push_back(0x80);
  while (data.size() % 64 != 56) data.push_back(0);
  for (int i = 0; i < 8; ++i) data.push_back(static_cast<unsigned char>(bits >> (8 * i)));
  Md5 md5;
  for (std::size_t i = 0; i < data.size(); i += 64) md5.block(&data[i]);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::uint32_t word : {md5.a, md5.b, md5.c, md5.d}) {
    for (int i = 0; i < 4; ++i) {
      const unsigned byte = (word >> (8 * i)) & 0xff;
      out += hex[byte >> 4];
      out += hex[byte & 15];
    }
  }
  return out;
}

const std::array<std::string, kNumOps>& op_names() {
  static const std::array<std::string, kNumOps> names = {"conv3x3-bn-relu", "conv1x1-bn-relu",
                                                         "maxpool3x3"};
  return names;
}

int Spec::edges() const {
  int count = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) count += adj[i][j];
  }
  return count;
}

Spec read_spec(const std::string& raw) {
  auto fail = [&raw](const std::string& why) -> void {
    throw nas::Error("invalid NAS-Bench-101 architecture '" + nas::printable(raw) + "': " + why);
  };
  const std::string text = trim(raw);
  if (text.empty()) fail(std::string("empty string, expected ") + kFormHint);
  const auto space = text.find(' ');
  if (space == std::string::npos) {
    fail(std::string("expected the matrix and the labels separated by one space: ") + kFormHint);
  }
  const std::string matrix = text.substr(0, space);
  const std::string labels = text.substr(space + 1);
  if (labels.find_first_of(" \t") != std::string::npos) {
    fail("expected exactly one space, between the matrix and the labels; the labels '" + labels +
         "' contain blanks (write them input,op,...,output)");
  }
  const auto bad_digit = matrix.find_first_not_of("01");
  if (bad_digit != std::string::npos) {
    fail("matrix: character " + std::to_string(bad_digit) + " is '" + matrix.substr(bad_digit, 1) +
         "'; the matrix holds only digits 0 and 1");
  }
  int n = 0;
  while (n * n < static_cast<int>(matrix.size()) && n <= kMaxVertices) ++n;
  if (n * n != static_cast<int>(matrix.size()) || n < 2 || n > kMaxVertices) {
    fail("matrix: " + std::to_string(matrix.size()) +
         " digits; expected V*V digits for V = 2..7 vertices (4, 9, 16, 25, 36 or 49; 49 for "
         "the benchmark's 7x7 matrices)");
  }
  const std::vector<std::string> names = split(labels, ',');
  if (static_cast<int>(names.size()) != n) {
    fail("labels: " + std::to_string(names.size()) + " labels for a " + std::to_string(n) + "x" +
         std::to_string(n) + " matrix; expected " + std::to_string(n) +
         " (input, one op per interior vertex, output)");
  }
  Spec spec;
  spec.n = n;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      spec.adj[i][j] = matrix[static_cast<std::size_t>(i * n + j)] == '1' ? 1 : 0;
      if (spec.adj[i][j] && j <= i) {
        fail("matrix is not upper triangular: entry (" + std::to_string(i) + ", " +
             std::to_string(j) +
             ") is 1; only edges from a vertex to a later one (row < column) "
             "are allowed");
      }
    }
  }
  for (int v = 0; v < n; ++v) {
    const std::string& name = names[static_cast<std::size_t>(v)];
    const std::string where = "label " + std::to_string(v) + " '" + name + "'";
    if (v == 0) {
      if (name != "input") fail(where + ": the first label must be 'input'");
      spec.labels[0] = kInput;
    } else if (v == n - 1) {
      if (name != "output") fail(where + ": the last label must be 'output'");
      spec.labels[static_cast<std::size_t>(v)] = kOutput;
    } else {
      const auto it = std::find(op_names().begin(), op_names().end(), name);
      if (it == op_names().end()) {
        fail(where + ": unknown op (valid: " + valid_ops() + ")");
      }
      spec.labels[static_cast<std::size_t>(v)] = static_cast<int>(it - op_names().begin());
    }
  }
  return spec;
}

std::string format_spec(const Spec& spec) {
  std::string text;
  for (int i = 0; i < spec.n; ++i) {
    for (int j = 0; j < spec.n; ++j) text += spec.adj[i][j] ? '1' : '0';
  }
  text += ' ';
  for (int v = 0; v < spec.n; ++v) {
    if (v > 0) text += ',';
    text += label_name(spec.labels[static_cast<std::size_t>(v)]);
  }
  return text;
}

bool prune(const Spec& spec, Spec* pruned) {
  const int n = spec.n;
  std::array<bool, kMaxVertices> from_input{}, to_output{};
  from_input[0] = true;
  for (int v = 1; v < n; ++v) {
    for (int u = 0; u < v; ++u) from_input[v] = from_input[v] || (from_input[u] && spec.adj[u][v]);
  }
  to_output[n - 1] = true;
  for (int v = n - 2; v >= 0; --v) {
    for (int w = v + 1; w < n; ++w) to_output[v] = to_output[v] || (to_output[w] && spec.adj[v][w]);
  }
  if (!to_output[0]) return false;  // input does not reach output
  std::vector<int> keep;
  for (int v = 0; v < n; ++v) {
    if (from_input[v] && to_output[v]) keep.push_back(v);
  }
  Spec out;
  out.n = static_cast<int>(keep.size());
  for (int i = 0; i < out.n; ++i) {
    out.labels[i] = spec.labels[keep[i]];
    for (int j = 0; j < out.n; ++j) out.adj[i][j] = spec.adj[keep[i]][keep[j]];
  }
  if (pruned) *pruned = out;
  return true;
}

void check_valid(const Spec& spec, const std::string& what) {
  Spec pruned;
  if (!prune(spec, &pruned)) {
    throw nas::Error(what + ": no path from input to output (the graph is disconnected)");
  }
  if (pruned.n > kMaxVertices) {
    throw nas::Error(what + ": " + std::to_string(pruned.n) + " vertices after pruning; at most 7");
  }
  if (pruned.edges() > kMaxEdges) {
    throw nas::Error(what + ": too many edges: " + std::to_string(pruned.edges()) +
                     " after pruning the vertices off every input->output path (" +
                     std::to_string(spec.edges()) + " in the matrix); at most 9");
  }
}

Spec parse_spec(const std::string& text) {
  const Spec spec = read_spec(text);
  check_valid(spec, "invalid NAS-Bench-101 architecture '" + nas::printable(trim(text)) + "'");
  return spec;
}

Spec pruned_of(const Spec& spec) {
  check_valid(spec, "invalid NAS-Bench-101 cell '" + format_spec(spec) + "'");
  Spec pruned;
  prune(spec, &pruned);
  return pruned;
}

std::string graph_hash(const Spec& spec) {
  const int n = spec.n;
  std::vector<std::string> hashes(static_cast<std::size_t>(n));
  for (int v = 0; v < n; ++v) {
    int in = 0, out = 0;
    for (int w = 0; w < n; ++w) {
      in += spec.adj[w][v];
      out += spec.adj[v][w];
    }
    // Python's str() of the tuple (out_degree, in_degree, label).
    hashes[v] = md5_hex("(" + std::to_string(out) + ", " + std::to_string(in) + ", " +
                        std::to_string(spec.labels[v]) + ")");
  }
  for (int round = 0; round < n; ++round) {
    std::vector<std::string> next(static_cast<std::size_t>(n));
    for (int v = 0; v < n; ++v) {
      std::vector<std::string> in, out;
      for (int w = 0; w < n; ++w) {
        if (spec.adj[w][v]) in.push_back(hashes[w]);
        if (spec.adj[v][w]) out.push_back(hashes[w]);
      }
      std::sort(in.begin(), in.end());
      std::sort(out.begin(), out.end());
      std::string text;
      for (const auto& h : in) text += h;
      text += '|';
      for (const auto& h : out) text += h;
      text += '|';
      text += hashes[v];
      next[v] = md5_hex(text);
    }
    hashes = std::move(next);
  }
  std::sort(hashes.begin(), hashes.end());
  // Python's str() of the sorted list of hex strings.
  std::string text = "[";
  for (std::size_t i = 0; i < hashes.size(); ++i) text += (i ? ", '" : "'") + hashes[i] + "'";
  text += "]";
  return md5_hex(text);
}

Spec canonical_pruned(const Spec& spec) {
  const Spec pruned = pruned_of(spec);
  const int n = pruned.n;
  // order[k]: the pruned vertex placed at position k; input and output stay in place.
  std::vector<int> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::string best;
  Spec best_spec = pruned;
  do {
    Spec relabelled;
    relabelled.n = n;
    bool forward = true;
    for (int i = 0; i < n && forward; ++i) {
      relabelled.labels[i] = pruned.labels[order[i]];
      for (int j = 0; j < n; ++j) {
        relabelled.adj[i][j] = pruned.adj[order[i]][order[j]];
        if (relabelled.adj[i][j] && j <= i) forward = false;
      }
    }
    if (!forward) continue;
    const std::string text = format_spec(relabelled);
    if (best.empty() || text < best) {
      best = text;
      best_spec = relabelled;
    }
  } while (n > 2 && std::next_permutation(order.begin() + 1, order.end() - 1));
  return best_spec;
}

Spec padded(const Spec& spec) {
  if (spec.n == kMaxVertices) return spec;
  const int n = spec.n;
  // Vertex v of the cell goes to position v, except the output, which goes to 6.
  auto at = [n](int v) { return v == n - 1 ? kMaxVertices - 1 : v; };
  Spec out;
  out.n = kMaxVertices;
  out.labels.fill(kConv3x3);
  out.labels[0] = kInput;
  out.labels[kMaxVertices - 1] = kOutput;
  for (int v = 1; v < n - 1; ++v) out.labels[v] = spec.labels[v];
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) out.adj[at(i)][at(j)] = spec.adj[i][j];
  }
  return out;
}

std::vector<std::int64_t> vertex_channels(std::int64_t in, std::int64_t out, const Spec& pruned) {
  const int n = pruned.n;
  std::vector<std::int64_t> channels(static_cast<std::size_t>(n), 0);
  channels[0] = in;
  channels[n - 1] = out;
  if (n == 2) return channels;
  // Fan-in of the output from interior vertices (the input's projection is added, not split).
  std::int64_t fan_in = 0;
  for (int v = 1; v < n - 1; ++v) fan_in += pruned.adj[v][n - 1];
  if (fan_in == 0 || out < fan_in) {
    throw nas::Error("nb101: " + std::to_string(out) + " output channels cannot be split among " +
                     std::to_string(fan_in) +
                     " vertices feeding the output (each needs at least one channel; raise the "
                     "width)");
  }
  std::int64_t correction = out % fan_in;
  for (int v = 1; v < n - 1; ++v) {
    if (!pruned.adj[v][n - 1]) continue;
    channels[v] = out / fan_in;
    if (correction > 0) {
      ++channels[v];
      --correction;
    }
  }
  // Other vertices: the largest of their successors, filled backwards.
  for (int v = n - 3; v >= 1; --v) {
    if (pruned.adj[v][n - 1]) continue;
    for (int w = v + 1; w < n - 1; ++w) {
      if (pruned.adj[v][w]) channels[v] = std::max(channels[v], channels[w]);
    }
  }
  return channels;
}

int Shape::downsamplings() const {
  int count = 0;
  for (int s = 1; s < kNumStacks; ++s) count += cells > s * depth ? 1 : 0;
  return count;
}

Shape check_spec(const nas::NetSpec& spec, const Spec& pruned) {
  auto fail = [](const std::string& why) -> void { throw nas::Error("nb101: " + why); };
  Shape shape;
  shape.width = nas::checked_width(spec, "nb101", kDefaultWidth);
  shape.depth = spec.depth == 0 ? kDefaultDepth : spec.depth;
  const int all = kNumStacks * shape.depth;
  if (spec.max_cells > all) {
    fail("max_cells " + std::to_string(spec.max_cells) + " exceeds the " + std::to_string(all) +
         " modules of a network with depth " + std::to_string(shape.depth));
  }
  shape.cells = spec.max_cells == 0 ? all : spec.max_cells;
  shape.stem = spec.stem;
  std::int64_t fan_in = 0;
  for (int v = 1; v < pruned.n - 1; ++v) fan_in += pruned.adj[v][pruned.n - 1];
  if (shape.width < fan_in) {
    fail("width " + std::to_string(shape.width) + " is below the " + std::to_string(fan_in) +
         " vertices feeding this cell's output, which split the module's channels among them");
  }
  const int halvings = shape.downsamplings();
  if (spec.input_size < 1 || spec.input_size % (1 << halvings) != 0) {
    fail("input_size must be a positive multiple of " + std::to_string(1 << halvings) +
         " (the network halves it " + std::to_string(halvings) + " time" +
         (halvings == 1 ? "" : "s") + "), got " + std::to_string(spec.input_size));
  }
  return shape;
}

namespace {

// Walks the network a (pruned cell, spec) builds, calling conv(c_in, c_out, k, pixels) for
// every convolution and returning the channels that reach the head.
template <class Conv>
std::int64_t walk(const Spec& pruned, const nas::NetSpec& spec, Conv conv) {
  const Shape shape = check_spec(spec, pruned);
  const int n = pruned.n;
  std::int64_t size = spec.input_size;
  std::int64_t channels = spec.in_channels;
  if (shape.stem) {
    conv(channels, shape.width, 3, size * size);
    channels = shape.width;
  }
  for (int k = 0; k < shape.cells; ++k) {
    const int stack = shape.stack_of(k);
    if (stack > 0 && k % shape.depth == 0) size /= 2;
    const std::int64_t out = shape.width << stack;
    const std::vector<std::int64_t> vc = vertex_channels(channels, out, pruned);
    const std::int64_t pixels = size * size;
    for (int t = 1; t < n - 1; ++t) {
      if (pruned.adj[0][t]) conv(channels, vc[t], 1, pixels);  // projection
      if (pruned.labels[t] == kConv3x3) conv(vc[t], vc[t], 3, pixels);
      if (pruned.labels[t] == kConv1x1) conv(vc[t], vc[t], 1, pixels);
    }
    if (pruned.adj[0][n - 1]) conv(channels, out, 1, pixels);  // output projection
    channels = out;
  }
  return channels;
}

}  // namespace

std::int64_t count_params(const Spec& pruned, const nas::NetSpec& spec) {
  std::int64_t total = 0;
  const std::int64_t c =
      walk(pruned, spec, [&](std::int64_t in, std::int64_t out, int k, std::int64_t) {
        total += in * out * k * k + 2 * out;  // conv weight; BatchNorm gamma and beta
      });
  return total + c * spec.num_classes + spec.num_classes;  // dense weight and bias
}

std::int64_t count_macs(const Spec& pruned, const nas::NetSpec& spec) {
  std::int64_t total = 0;
  const std::int64_t c =
      walk(pruned, spec, [&](std::int64_t in, std::int64_t out, int k, std::int64_t pixels) {
        total += out * pixels * in * k * k;
      });
  return total + c * spec.num_classes;
}

// ---- the space ----

nas::Arch Nb101Space::parse(const std::string& text) const { return arch_of(parse_spec(text)); }

Spec Nb101Space::spec_of(const nas::Arch& arch) const {
  require_own(arch);
  return parse_spec(arch.str());
}

namespace {
bool is_valid(const Spec& spec) {
  Spec pruned;
  return prune(spec, &pruned) && pruned.edges() <= kMaxEdges;
}
}  // namespace

nas::Arch Nb101Space::sample(nas::Rng& rng) const {
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    Spec spec;
    spec.n = kMaxVertices;
    for (int i = 0; i < kMaxVertices; ++i) {
      for (int j = i + 1; j < kMaxVertices; ++j) spec.adj[i][j] = rng.below(2) ? 1 : 0;
    }
    spec.labels[0] = kInput;
    spec.labels[kMaxVertices - 1] = kOutput;
    for (int v = 1; v < kMaxVertices - 1; ++v) spec.labels[v] = static_cast<int>(rng.below(3));
    if (is_valid(spec)) return arch_of(spec);
  }
  throw nas::Error("nb101: no valid cell in " + std::to_string(kMaxDraws) + " random draws");
}

nas::Arch Nb101Space::mutate(const nas::Arch& arch, nas::Rng& rng) const {
  const Spec parent = padded(spec_of(arch));
  const double edge_rate = 1.0 / kMaxVertices;  // the reference's mutation_rate / NUM_VERTICES
  const double op_rate = 1.0 / kOpSlots;        // mutation_rate / OP_SPOTS
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    Spec child = parent;
    for (int i = 0; i < kMaxVertices; ++i) {
      for (int j = i + 1; j < kMaxVertices; ++j) {
        if (rng.uniform() < edge_rate) child.adj[i][j] ^= 1;
      }
    }
    for (int v = 1; v < kMaxVertices - 1; ++v) {
      if (rng.uniform() < op_rate) {
        const int k = static_cast<int>(rng.below(kNumOps - 1));
        child.labels[v] = k < child.labels[v] ? k : k + 1;
      }
    }
    if (is_valid(child) && !(child == parent)) return arch_of(child);
  }
  Spec child = parent;  // never reached in practice: change one op, always valid
  child.labels[1] = (child.labels[1] + 1) % kNumOps;
  return arch_of(child);
}

std::vector<nas::Decision> Nb101Space::decisions() const {
  std::vector<nas::Decision> slots;
  for (int i = 0; i < kMaxVertices; ++i) {
    for (int j = i + 1; j < kMaxVertices; ++j) {
      slots.push_back(
          nas::Decision{"edge_" + std::to_string(i) + "->" + std::to_string(j), {"0", "1"}});
    }
  }
  const std::vector<std::string> ops(op_names().begin(), op_names().end());
  for (int v = 1; v <= kOpSlots; ++v)
    slots.push_back(nas::Decision{"op_" + std::to_string(v), ops});
  return slots;
}

std::vector<int> Nb101Space::encode(const nas::Arch& arch) const {
  const Spec spec = padded(spec_of(arch));
  std::vector<int> choices;
  for (int i = 0; i < kMaxVertices; ++i) {
    for (int j = i + 1; j < kMaxVertices; ++j) choices.push_back(spec.adj[i][j]);
  }
  for (int v = 1; v <= kOpSlots; ++v) choices.push_back(spec.labels[v]);
  return choices;
}

nas::Arch Nb101Space::decode(const std::vector<int>& choices) const {
  if (choices.size() != static_cast<std::size_t>(kEdgeSlots + kOpSlots)) {
    throw nas::Error("nb101: decode expects 26 choices (21 edges, then 5 ops), got " +
                     std::to_string(choices.size()));
  }
  const std::vector<nas::Decision> slots = decisions();
  Spec spec;
  spec.n = kMaxVertices;
  std::size_t s = 0;
  auto choice = [&](int limit) {
    const int c = choices[s];
    if (c < 0 || c >= limit) {
      throw nas::Error("nb101: choice " + std::to_string(c) + " for slot " + slots[s].name +
                       " is out of range 0.." + std::to_string(limit - 1));
    }
    ++s;
    return c;
  };
  for (int i = 0; i < kMaxVertices; ++i) {
    for (int j = i + 1; j < kMaxVertices; ++j)
      spec.adj[i][j] = static_cast<std::uint8_t>(choice(2));
  }
  spec.labels[0] = kInput;
  spec.labels[kMaxVertices - 1] = kOutput;
  for (int v = 1; v <= kOpSlots; ++v) spec.labels[v] = choice(kNumOps);
  check_valid(spec, "nb101: decoded cell '" + format_spec(spec) + "' is invalid");
  return arch_of(spec);
}

std::shared_ptr<nas::Network> Nb101Space::build(const nas::Arch& arch,
                                                const nas::NetSpec& spec) const {
  const Spec pruned = pruned_of(spec_of(arch));
  check_spec(spec, pruned);
  return build_network(pruned, spec);
}

std::int64_t Nb101Space::params(const nas::Arch& arch, const nas::NetSpec& spec) const {
  return count_params(pruned_of(spec_of(arch)), spec);
}

std::int64_t Nb101Space::flops(const nas::Arch& arch, const nas::NetSpec& spec) const {
  return count_macs(pruned_of(spec_of(arch)), spec);
}

std::string Nb101Space::network_key(const nas::Arch& arch, nas::NetworkIdentity level) const {
  require_own(arch);
  if (level == nas::NetworkIdentity::kArch || nas::is_supernet_arch(arch)) return arch.str();
  return graph_hash(pruned_of(spec_of(arch)));
}

nas::Arch Nb101Space::representative(const nas::Arch& arch, nas::NetworkIdentity level) const {
  require_own(arch);
  if (level == nas::NetworkIdentity::kArch || nas::is_supernet_arch(arch)) return arch;
  return arch_of(canonical_pruned(spec_of(arch)));
}

}  // namespace nb101
