#include "global_generator.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Tensor.h>
#include <ATen/Context.h>

#include <mutex>

namespace nas {

std::shared_ptr<Network> build_with_global_seed(
    std::uint64_t torch_seed, AfterBuild after,
    const std::function<std::shared_ptr<Network>()>& build) {
  static std::mutex build_mutex;
  std::lock_guard<std::mutex> build_lock(build_mutex);
  at::Generator global = at::detail::getDefaultCPUGenerator();
  at::Tensor saved;
  if (after == AfterBuild::kRestore) {
    std::lock_guard<std::mutex> lock(global.mutex());
    saved = global.get_state();
  }
  at::manual_seed(torch_seed);
  // Put back explicitly rather than from a destructor: set_state may throw, and a throwing
  // destructor during unwinding would terminate the process.
  auto restore = [&] {
    if (after != AfterBuild::kRestore) return;
    std::lock_guard<std::mutex> lock(global.mutex());
    global.set_state(saved);
  };
  std::shared_ptr<Network> net;
  try {
    net = build();
  } catch (...) {
    restore();
    throw;
  }
  restore();
  return net;
}

}  // namespace nas
