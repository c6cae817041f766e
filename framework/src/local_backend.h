// Internal: registers the core's own evaluator backends (`local`) in a registry.
#pragma once

namespace nas {
class Registry;
namespace detail {
void register_builtin_evaluators(Registry& registry);
}  // namespace detail
}  // namespace nas
