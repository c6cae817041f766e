// Torch's global CPU generator, shared by every network build.
//
// Networks draw their initial weights from torch's process-wide default generator, so a build
// is reproducible only if nothing else seeds or draws from that generator while it runs. Both
// places that build networks (ProbeEngine::prepare for the shared network, and
// ProbeContext::build_network for a proxy's own) go through build_with_global_seed, which holds
// one process-wide lock for the whole build. Internal to the framework.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace nas {

class Network;

// How the generator is left after the build.
enum class AfterBuild {
  kKeepSeeded,  // left as the build left it (the engine's own builds)
  kRestore,     // put back as it was before (a proxy's build must not disturb anyone else)
};

// Seeds torch's global generators with `torch_seed` (torch::manual_seed: the CPU one and, on a
// CUDA build, the CUDA ones), runs `build` under the process-wide build lock and returns its
// network. With kRestore the CPU generator's previous state is put back whether `build` returns
// or throws; an exception from `build` reaches the caller unchanged.
std::shared_ptr<Network> build_with_global_seed(
    std::uint64_t torch_seed, AfterBuild after,
    const std::function<std::shared_ptr<Network>()>& build);

}  // namespace nas
