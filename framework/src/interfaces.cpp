// Out-of-line virtual destructors and defaults of the core interfaces: they anchor the
// vtables and type_info in libnas, so dynamic_cast and exceptions work across plugins.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "nas/activation.h"
#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/evaluator.h"
#include "nas/proxy.h"
#include "nas/search_space.h"
#include "nas/strategy.h"
#include "nas/vote.h"

namespace nas {

SearchSpace::~SearchSpace() = default;
bool SearchSpace::satisfies_constraints(const Arch&, const NetSpec&) const { return true; }
std::vector<Arch> SearchSpace::enumerate() const {
  throw Error("search space '" + name() + "' cannot enumerate its architectures");
}
void SearchSpace::require_own(const Arch& arch) const {
  if (arch.space() != name()) {
    throw Error("architecture '" + arch.str() + "' belongs to space '" + arch.space() +
                "', not to '" + name() + "'");
  }
}

std::string SearchSpace::network_key(const Arch& arch, NetworkIdentity) const {
  require_own(arch);
  return arch.str();
}
Arch SearchSpace::representative(const Arch& arch, NetworkIdentity) const {
  require_own(arch);
  return arch;
}

const char* to_string(NetworkIdentity level) {
  switch (level) {
    case NetworkIdentity::kStructure:
      return "structure";
    case NetworkIdentity::kFunction:
      return "function";
    case NetworkIdentity::kArch:
    default:
      return "arch";
  }
}

NetworkIdentity network_identity_from_string(const std::string& text) {
  for (NetworkIdentity level :
       {NetworkIdentity::kArch, NetworkIdentity::kStructure, NetworkIdentity::kFunction}) {
    if (text == to_string(level)) return level;
  }
  throw Error("unknown network identity '" + printable(text) +
              "'; valid: arch, structure, function");
}

std::shared_ptr<Network> SearchSpace::build_supernet(const std::vector<std::vector<bool>>&,
                                                     const NetSpec&) const {
  throw Error("search space '" + name() + "' has no supernet");
}

void SearchSpace::require_valid_alive(const std::vector<std::vector<bool>>& alive) const {
  check_supernet_alive(*this, alive);
}

void check_supernet_alive(const SearchSpace& space, const std::vector<std::vector<bool>>& alive) {
  const std::vector<Decision> slots = space.supernet_decisions();
  const std::vector<SupernetGroup> groups = space.supernet_groups();
  const std::string where = "search space '" + space.name() + "': supernet: ";
  if (alive.size() != slots.size()) {
    std::string names;
    for (const Decision& d : slots) names += (names.empty() ? "" : ", ") + d.name;
    throw Error(where + "alive has " + std::to_string(alive.size()) + " rows, expected " +
                std::to_string(slots.size()) + " (one per decision: " + names + ")");
  }
  std::vector<int> group_of(slots.size(), -1);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (std::size_t d : groups[g].slots) {
      if (d < group_of.size()) group_of[d] = static_cast<int>(g);
    }
  }
  std::vector<int> live(groups.size(), 0);
  for (std::size_t d = 0; d < slots.size(); ++d) {
    const std::string row = "alive[" + std::to_string(d) + "] (slot " + slots[d].name + ")";
    if (alive[d].size() != slots[d].choices.size()) {
      throw Error(where + row + " has " + std::to_string(alive[d].size()) + " entries, expected " +
                  std::to_string(slots[d].choices.size()) +
                  " (one per choice: " + join(slots[d].choices) + ")");
    }
    bool any = false;
    for (bool a : alive[d]) any = any || a;
    if (group_of[d] >= 0) {
      live[static_cast<std::size_t>(group_of[d])] += any ? 1 : 0;
    } else if (!any) {
      throw Error(where + row + " keeps no choice; every slot needs at least one survivor of " +
                  join(slots[d].choices));
    }
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (live[g] < groups[g].keep) {
      throw Error(where + "group " + groups[g].name + " keeps " + std::to_string(live[g]) +
                  " live slots, fewer than the " + std::to_string(groups[g].keep) +
                  " it must keep");
    }
  }
}

Arch SearchSpace::decode_supernet(const std::vector<std::vector<bool>>& alive) const {
  check_supernet_alive(*this, alive);
  const std::vector<Decision> slots = supernet_decisions();
  if (!supernet_groups().empty()) {
    throw Error("search space '" + name() +
                "' has supernet groups but does not define decode_supernet");
  }
  std::vector<int> choices;
  for (std::size_t d = 0; d < alive.size(); ++d) {
    int survivor = -1, count = 0;
    for (std::size_t c = 0; c < alive[d].size(); ++c) {
      if (alive[d][c]) {
        survivor = static_cast<int>(c);
        ++count;
      }
    }
    if (count != 1) {
      throw Error("search space '" + name() + "': decode_supernet: slot " + slots[d].name +
                  " keeps " + std::to_string(count) + " choices, expected exactly one");
    }
    choices.push_back(survivor);
  }
  return decode(choices);
}

void require_default_shape(const NetSpec& spec, const std::string& space) {
  const char* field = spec.width != 0                ? "width"
                      : spec.depth != 0              ? "depth"
                      : spec.max_cells != 0          ? "max_cells"
                      : !spec.stem                   ? "stem"
                      : spec.width_multiplier != 1.0 ? "width_multiplier"
                                                     : nullptr;
  if (field != nullptr) {
    throw Error("search space '" + space +
                "' builds only its published network: it cannot honour the NetSpec field '" +
                field + "'");
  }
}

bool is_device_name(const std::string& device) {
  if (device == "cpu" || device == "cuda") return true;
  const std::string prefix = "cuda:";
  if (device.size() <= prefix.size() || device.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  const std::string index = device.substr(prefix.size());
  return index.size() <= 4 && index.find_first_not_of("0123456789") == std::string::npos;
}

std::int64_t checked_width(const NetSpec& spec, const std::string& space, int default_width) {
  auto fail = [&](const std::string& why) { throw Error(space + ": " + why); };
  auto number = [](double x) {
    std::ostringstream text;
    text << x;
    return text.str();
  };
  if (spec.num_classes < 1) {
    fail("num_classes must be at least 1, got " + std::to_string(spec.num_classes));
  }
  if (spec.in_channels < 1) {
    fail("in_channels must be at least 1, got " + std::to_string(spec.in_channels));
  }
  if (spec.width < 0 || spec.depth < 0 || spec.max_cells < 0) {
    fail("width, depth and max_cells must be positive (0 for the default), got " +
         std::to_string(spec.width) + ", " + std::to_string(spec.depth) + ", " +
         std::to_string(spec.max_cells));
  }
  if (spec.width > 65536 || spec.depth > 10000) {
    fail("width must be at most 65536 and depth at most 10000, got " + std::to_string(spec.width) +
         " and " + std::to_string(spec.depth));
  }
  const double m = spec.width_multiplier;
  const double base = spec.width == 0 ? default_width : spec.width;
  if (!std::isfinite(m) || m <= 0 || m * base > 65536) {
    fail("width_multiplier must be positive and finite and keep the width at most 65536, got " +
         number(m) + " (width " + number(base) + ")");
  }
  if (!is_device_name(spec.device)) {
    fail("device '" + printable(spec.device) + "' is not one of cpu, cuda, cuda:<index>");
  }
  return std::max<std::int64_t>(1, std::llround(m * base));
}

Dataset::~Dataset() = default;
Proxy::~Proxy() = default;
Vote::~Vote() = default;
void Vote::fit(const ScoreTable&, const std::vector<double>&) {}
std::vector<bool> Vote::held_out(const ScoreTable& table) const {
  return std::vector<bool>(table.rows(), true);
}
void Vote::save(const std::string&) const {}
Evaluator::~Evaluator() = default;
std::vector<Evaluation> Evaluator::evaluate(const std::vector<Arch>& archs) {
  std::vector<std::size_t> all(proxy_names().size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return evaluate_subset(archs, all);
}
EvaluatorBackend::~EvaluatorBackend() = default;
SearchContext::~SearchContext() = default;
Strategy::~Strategy() = default;

const char* to_string(ScoreStatus status) {
  switch (status) {
    case ScoreStatus::kOk:
      return "ok";
    case ScoreStatus::kNonFinite:
      return "non_finite";
    case ScoreStatus::kError:
      return "error";
    case ScoreStatus::kOutOfMemory:
      return "out_of_memory";
  }
  return "unknown";
}

ScoreStatus score_status_from_string(const std::string& text) {
  for (ScoreStatus s : {ScoreStatus::kOk, ScoreStatus::kNonFinite, ScoreStatus::kError,
                        ScoreStatus::kOutOfMemory}) {
    if (text == to_string(s)) return s;
  }
  throw Error("unknown score status '" + printable(text) +
              "' (valid: ok, non_finite, error, out_of_memory)");
}

std::string activation_name(Activation a) {
  switch (a) {
    case Activation::kReLU:
      return "relu";
    case Activation::kReLU6:
      return "relu6";
    case Activation::kHardSwish:
      return "hswish";
    case Activation::kSiLU:
      return "silu";
  }
  return "unknown";
}

std::string activation_names(ActivationSet set) {
  std::string out;
  for (Activation a :
       {Activation::kReLU, Activation::kReLU6, Activation::kHardSwish, Activation::kSiLU}) {
    if (!(set & activation_bit(a))) continue;
    if (!out.empty()) out += ", ";
    out += activation_name(a);
  }
  return out.empty() ? "(none)" : out;
}

std::optional<Activation> parse_activation(const std::string& name) {
  for (Activation a :
       {Activation::kReLU, Activation::kReLU6, Activation::kHardSwish, Activation::kSiLU}) {
    if (name == activation_name(a)) return a;
  }
  return std::nullopt;
}

namespace {
constexpr const char* kSupernetPrefix = "supernet:";
}  // namespace

Arch supernet_arch(const SearchSpace& space, const std::vector<std::vector<bool>>& alive) {
  std::string text = kSupernetPrefix;
  for (std::size_t d = 0; d < alive.size(); ++d) {
    if (d) text += '/';
    for (bool on : alive[d]) text += on ? '1' : '0';
  }
  return Arch(space.name(), text);
}

bool is_supernet_arch(const Arch& arch) { return arch.str().rfind(kSupernetPrefix, 0) == 0; }

std::vector<std::vector<bool>> supernet_alive(const Arch& arch) {
  if (!is_supernet_arch(arch)) throw Error("'" + printable(arch.str()) + "' is not a supernet");
  std::vector<std::vector<bool>> alive(1);
  const std::string& text = arch.str();
  for (std::size_t i = std::string(kSupernetPrefix).size(); i < text.size(); ++i) {
    const char c = text[i];
    if (c == '/') {
      alive.emplace_back();
    } else if (c == '0' || c == '1') {
      alive.back().push_back(c == '1');
    } else {
      throw Error("supernet '" + printable(text) + "': unexpected character at " +
                  std::to_string(i) + " (expected 0, 1 or /)");
    }
  }
  return alive;
}

std::shared_ptr<Network> build_network_for(const SearchSpace& space, const Arch& arch,
                                           const NetSpec& spec) {
  if (is_supernet_arch(arch)) return space.build_supernet(supernet_alive(arch), spec);
  return space.build(arch, spec);
}

}  // namespace nas
