// Helpers shared by the vote plugins (majority, rank_sum, zscore, fusion); header-only so each
// plugin stays one self-contained shared library. Plugins reach it by linking the INTERFACE
// target nas_plugin_common (plugins/common/CMakeLists.txt).
//
// * Signed proxy lists: a vote's `proxies` parameter names score-table columns, each optionally
//   prefixed with '+' (higher is better, the default) or '-' (lower is better), as in the WRCor
//   reference's `--measures +synflow -jacob_cor`. The names are the proxies' names in the
//   pipeline (their `name`, which defaults to their `type`).
// * signed_log(): the log transform NASLib applies to heavy-tailed proxies (synflow):
//   log(x) for x > 0 and -log(-x) for x < 0. For x == 0 we return -inf (the limit of log x from
//   above: a zero SynFlow is a dead network, the worst possible); NaN stays NaN.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "nas/error.h"
#include "nas/score_table.h"

namespace nas_votes {

struct SignedInput {
  std::string name;
  double sign = 1.0;  // +1: higher is better, -1: lower is better
};

// Parses "+name", "-name" or "name". Empty names and duplicates are UsageErrors naming `vote`.
inline std::vector<SignedInput> parse_signed_inputs(const std::vector<std::string>& items,
                                                    const std::string& vote) {
  std::vector<SignedInput> out;
  std::set<std::string> seen;
  for (const auto& item : items) {
    SignedInput in;
    in.name = item;
    if (!item.empty() && (item[0] == '+' || item[0] == '-')) {
      in.sign = item[0] == '-' ? -1.0 : 1.0;
      in.name = item.substr(1);
    }
    if (in.name.empty()) {
      throw nas::UsageError("vote '" + vote + "': `proxies` entry '" + item +
                            "' has no proxy name (write +NAME, -NAME or NAME)");
    }
    if (!seen.insert(in.name).second) {
      throw nas::UsageError("vote '" + vote + "': proxy '" + in.name +
                            "' is listed twice in `proxies`");
    }
    out.push_back(in);
  }
  return out;
}

inline std::vector<std::string> names_of(const std::vector<SignedInput>& inputs) {
  std::vector<std::string> out;
  for (const auto& in : inputs) out.push_back(in.name);
  return out;
}

// Column index of every input in `table`; a missing column is a nas::Error naming the vote,
// the proxy and the columns the table has.
inline std::vector<std::size_t> columns_of(const nas::ScoreTable& table,
                                           const std::vector<std::string>& names,
                                           const std::string& vote) {
  std::vector<std::size_t> out;
  for (const auto& name : names) {
    const int c = table.column(name);
    if (c < 0) {
      throw nas::Error(
          "vote '" + vote + "' needs proxy '" + name + "', which the score table lacks (columns: " +
          (table.proxies().empty() ? std::string("none") : nas::join(table.proxies())) + ")");
    }
    out.push_back(static_cast<std::size_t>(c));
  }
  return out;
}

inline double signed_log(double x) {
  if (std::isnan(x)) return x;
  if (x > 0) return std::log(x);
  if (x < 0) return -std::log(-x);
  return -std::numeric_limits<double>::infinity();
}

// Checks that every name in `subset` is one of `names`; UsageError otherwise.
inline void require_subset(const std::vector<std::string>& subset,
                           const std::vector<std::string>& names, const std::string& vote,
                           const std::string& parameter) {
  for (const auto& s : subset) {
    bool found = false;
    for (const auto& n : names) found = found || n == s;
    if (!found) {
      throw nas::UsageError("vote '" + vote + "': `" + parameter + "` names '" + s +
                            "', which is not one of its proxies (" + nas::join(names) + ")");
    }
  }
}

}  // namespace nas_votes
