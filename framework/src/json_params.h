// Internal: Params <-> JSON with each value's type kept (for run.json and evaluation jobs).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "nas/params.h"

namespace nas::detail {

nlohmann::json params_to_json(const Params& params);
// Throws nas::Error naming `where` on a malformed value.
Params params_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace nas::detail
