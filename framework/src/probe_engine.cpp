#include "nas/probe_engine.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/ones_like.h>
#include <c10/util/Exception.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <new>

#include "global_generator.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/pass_results.h"
#include "nas/probe_context.h"
#include "nas/seed.h"
#include "nas/threads.h"

namespace nas {

struct ProbeEngine::Prepared {
  Arch arch;
  PassResults shared;
  std::vector<std::shared_ptr<Network>> fresh;  // one per proxy (null unless it modifies)
  std::string error;                            // preparation failed: every proxy gets it
  ScoreStatus error_status = ScoreStatus::kError;
};

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The proxy reads the engine's shared passes (and shares their cost) rather than running its
// own on a fresh network.
bool shares_passes(const ProxyInfo& info) {
  return info.needs_network && !info.modifies_network && info.passes != kPassNone;
}

// The first tap whose activation kind `info` does not accept, as a refusal; "" when all are.
std::string refused_activation(const std::string& proxy, const ProxyInfo& info,
                               const Network& net) {
  for (std::size_t i = 0; i < net.taps().size(); ++i) {
    const TapImpl& tap = *net.taps()[i];
    if (info.tap_activations & activation_bit(tap.activation())) continue;
    return "proxy '" + proxy + "' accepts taps of kind " + activation_names(info.tap_activations) +
           " only, but tap " + std::to_string(i) + " ('" + tap.label() + "') is " +
           activation_name(tap.activation());
  }
  return "";
}

ScoreStatus classify(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) return ScoreStatus::kOutOfMemory;
  std::string what = e.what();
  if (what.find("out of memory") != std::string::npos ||
      what.find("DefaultCPUAllocator: can't allocate") != std::string::npos) {
    return ScoreStatus::kOutOfMemory;
  }
  return ScoreStatus::kError;
}

// First line of a message: c10 errors carry long backtraces that do not belong in a CSV.
std::string first_line(const std::string& text) {
  auto pos = text.find('\n');
  return pos == std::string::npos ? text : text.substr(0, pos);
}

// Copies of everything a proxy may read but must not change: the shared network's parameters
// and buffers (BN statistics included), the batch and the shared pass results.
std::vector<at::Tensor> snapshot(const PassResults& shared) {
  std::vector<at::Tensor> out;
  auto add = [&](const at::Tensor& t) { out.push_back(t.defined() ? t.detach().clone() : t); };
  if (shared.network) {
    for (const auto& p : shared.network->parameters()) {
      add(p);
      add(p.grad());
    }
    for (const auto& b : shared.network->buffers()) add(b);
  }
  add(shared.batch.inputs);
  add(shared.batch.labels);
  add(shared.logits);
  for (const auto& t : shared.tap_responses) add(t);
  for (const auto& t : shared.tap_gradients) add(t);
  for (const auto& t : shared.unit_gradients) add(t);
  add(shared.input_jacobian);
  return out;
}

std::string compare_snapshot(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size()) return "the set of parameters or results";
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].defined() != b[i].defined())
      return "a tensor's presence (index " + std::to_string(i) + ")";
    if (a[i].defined() && !a[i].equal(b[i])) {
      return "the shared network's weights, statistics, batch or pass results (tensor " +
             std::to_string(i) + ")";
    }
  }
  return "";
}

}  // namespace

ProbeEngine::ProbeEngine(std::shared_ptr<const SearchSpace> space,
                         std::shared_ptr<const Dataset> data, std::vector<ProxySlot> proxies,
                         ProbeOptions options)
    : space_(std::move(space)),
      data_(std::move(data)),
      proxies_(std::move(proxies)),
      options_(options) {
  for (const auto& slot : proxies_) {
    if (!slot.info.needs_network) continue;
    needs_network_ = true;
    if (slot.info.needs_data || slot.info.passes != kPassNone) needs_data_ = true;
    max_batches_ = std::max(max_batches_, slot.info.batches);
    if (shares_passes(slot.info)) shared_passes_ |= slot.info.passes;
  }
  if (shared_passes_ & (kPassTapGradients | kPassWeightGradients | kPassInputJacobian)) {
    shared_passes_ |= kPassForward;
  }
  if (needs_data_ && !data_) {
    throw UsageError("the proxies " + [&] {
      std::vector<std::string> names;
      for (const auto& s : proxies_)
        if (s.info.needs_network && (s.info.needs_data || s.info.passes)) names.push_back(s.name);
      return join(names);
    }() + " need input data, but the probe engine was given no dataset");
  }
}

ProbeEngine::~ProbeEngine() = default;

namespace {
// Batches are drawn on the CPU (so a seed gives the same batch for every device) and moved to
// the device the networks are built on.
Batch on_device(Batch batch, const std::string& device) {
  if (device == "cpu") return batch;
  const c10::Device d(device);
  batch.inputs = batch.inputs.to(d);
  batch.labels = batch.labels.to(d);
  return batch;
}
}  // namespace

std::shared_ptr<ProbeEngine::Prepared> ProbeEngine::prepare(const Arch& arch) const {
  auto p = std::make_shared<Prepared>();
  p->arch = arch;
  p->fresh.resize(proxies_.size());
  if (!needs_network_) return p;
  try {
    const std::uint64_t net_seed = torch_seed(derive_seed(options_.seed, "network", arch.str()));
    auto build = [&] { return build_network_for(*space_, arch, options_.net); };
    p->shared.network = build_with_global_seed(net_seed, AfterBuild::kKeepSeeded, build);
    for (std::size_t i = 0; i < proxies_.size(); ++i) {
      if (proxies_[i].info.needs_network && proxies_[i].info.modifies_network)
        p->fresh[i] = build_with_global_seed(net_seed, AfterBuild::kKeepSeeded, build);
    }
    if (needs_data_)
      p->shared.batch = on_device(
          data_->batch(options_.batch_size, derive_seed(options_.seed, "batch", arch.str())),
          options_.net.device);
    for (int b = 1; needs_data_ && b < max_batches_; ++b) {
      p->shared.extra_batches.push_back(on_device(
          data_->batch(options_.batch_size, derive_seed(options_.seed, "batch", arch.str(), b)),
          options_.net.device));
    }
  } catch (const std::exception& e) {
    p->error = "building the network or batch failed: " + first_line(e.what());
    p->error_status = classify(e);
  } catch (...) {
    p->error = "building the network or batch failed: non-standard exception";
    p->error_status = ScoreStatus::kError;
  }
  return p;
}

Evaluation ProbeEngine::run(Prepared& p) const {
  Evaluation out;
  out.arch = p.arch;
  std::string pass_error = p.error;
  ScoreStatus pass_status = p.error_status;
  double pass_seconds = 0.0;
  PassResults& shared = p.shared;

  if (pass_error.empty() && needs_network_ && shared_passes_ != kPassNone) {
    auto t0 = Clock::now();
    try {
      Network& net = *shared.network;
      net.train();
      net.set_recording(true);
      const bool tap_grads = shared_passes_ & kPassTapGradients;
      if (tap_grads) {
        for (const auto& unit : net.relu_conv_units()) unit.conv->recording = true;
      }
      at::Tensor input = shared.batch.inputs;
      const bool jacobian = shared_passes_ & kPassInputJacobian;
      if (jacobian) input = input.detach().clone().set_requires_grad(true);
      shared.logits = net.forward(input);
      for (const auto& tap : net.taps()) shared.tap_responses.push_back(tap->response());
      std::vector<at::Tensor> unit_outputs;
      for (const auto& unit : net.relu_conv_units()) {
        unit_outputs.push_back(unit.conv->output);
        unit.conv->recording = false;
        unit.conv->output = at::Tensor();
      }
      net.set_recording(false);
      shared.passes_run |= kPassForward;

      at::Tensor loss;
      if (shared_passes_ & (kPassTapGradients | kPassWeightGradients)) {
        loss = at::cross_entropy_loss(shared.logits, shared.batch.labels);
        shared.loss = loss.item<double>();
      }
      const bool weights = shared_passes_ & kPassWeightGradients;
      if (jacobian) {
        auto g = torch::autograd::grad({shared.logits}, {input}, {at::ones_like(shared.logits)},
                                       /*retain_graph=*/true);
        shared.input_jacobian = g[0];
        shared.passes_run |= kPassInputJacobian;
      }
      if (shared_passes_ & kPassTapGradients) {
        // Gradients with respect to the recorded pre-activations (and the ReLU-conv units'
        // conv outputs) only: autograd skips the weight-gradient kernels entirely.
        std::vector<at::Tensor> inputs;
        std::vector<at::Tensor*> targets;
        shared.tap_gradients.assign(shared.tap_responses.size(), at::Tensor());
        shared.unit_gradients.assign(unit_outputs.size(), at::Tensor());
        for (std::size_t i = 0; i < shared.tap_responses.size(); ++i) {
          if (shared.tap_responses[i].defined() && shared.tap_responses[i].requires_grad()) {
            inputs.push_back(shared.tap_responses[i]);
            targets.push_back(&shared.tap_gradients[i]);
          }
        }
        for (std::size_t i = 0; i < unit_outputs.size(); ++i) {
          if (unit_outputs[i].defined() && unit_outputs[i].requires_grad()) {
            inputs.push_back(unit_outputs[i]);
            targets.push_back(&shared.unit_gradients[i]);
          }
        }
        if (!inputs.empty()) {
          auto g = torch::autograd::grad({loss}, inputs, {}, /*retain_graph=*/weights,
                                         /*create_graph=*/false, /*allow_unused=*/true);
          for (std::size_t k = 0; k < targets.size(); ++k) *targets[k] = g[k];
        }
        shared.passes_run |= kPassTapGradients;
      }
      if (weights) {
        net.zero_grad();
        loss.backward();
        shared.passes_run |= kPassWeightGradients;
      }
    } catch (const std::exception& e) {
      pass_error = "network passes failed: " + first_line(e.what());
      pass_status = classify(e);
    } catch (...) {
      pass_error = "network passes failed: non-standard exception";
      pass_status = ScoreStatus::kError;
    }
    pass_seconds = seconds_since(t0);
  }

  int sharing = 0;
  for (const auto& slot : proxies_) sharing += shares_passes(slot.info);

  for (std::size_t i = 0; i < proxies_.size(); ++i) {
    const ProxySlot& slot = proxies_[i];
    ScoreRecord r;
    r.proxy = slot.name;
    r.version = slot.info.version;
    r.seed = derive_seed(options_.seed, slot.name, p.arch.str());
    const bool uses_shared = shares_passes(slot.info);
    if (slot.info.needs_network && !pass_error.empty()) {
      r.score = std::nan("");
      r.status = pass_status;
      r.message = pass_error;
      out.scores.push_back(std::move(r));
      continue;
    }
    if (slot.info.needs_network) {
      // The formula's assumptions about the nonlinearity are checked, not trusted.
      const Network* net = slot.info.modifies_network ? p.fresh[i].get() : shared.network.get();
      std::string refused = net ? refused_activation(slot.name, slot.info, *net) : "";
      if (!refused.empty()) {
        r.score = std::nan("");
        r.status = ScoreStatus::kError;
        r.message = std::move(refused);
        out.scores.push_back(std::move(r));
        continue;
      }
    }
    auto t0 = Clock::now();
    try {
      ProbeContext context(slot.name, p.arch, *space_, options_.net, slot.info, r.seed, &shared,
                           p.fresh[i]);
      std::vector<at::Tensor> before;
      if (options_.check_isolation) before = snapshot(shared);
      r.score = slot.proxy->score(context);
      r.status = std::isfinite(r.score) ? ScoreStatus::kOk : ScoreStatus::kNonFinite;
      if (options_.check_isolation) {
        std::string changed = compare_snapshot(before, snapshot(shared));
        if (!changed.empty()) {
          r.score = std::nan("");
          r.status = ScoreStatus::kError;
          r.message = "isolation violated: the proxy changed " + changed;
        }
      }
    } catch (const std::exception& e) {
      r.score = std::nan("");
      r.status = classify(e);
      r.message = first_line(e.what());
    } catch (...) {
      // A plugin may throw anything; the boundary maps it to an error status.
      r.score = std::nan("");
      r.status = ScoreStatus::kError;
      r.message = "non-standard exception";
    }
    r.seconds = seconds_since(t0) + (uses_shared && sharing ? pass_seconds / sharing : 0.0);
    out.scores.push_back(std::move(r));
  }
  // Release the graph and the networks before the next architecture.
  p.shared = PassResults();
  p.fresh.clear();
  return out;
}

Evaluation ProbeEngine::evaluate_one(const Arch& arch) const {
  auto p = prepare(arch);
  return run(*p);
}

LocalEvaluator::LocalEvaluator(std::shared_ptr<ProbeEngine> engine, int workers, int torch_threads)
    : engine_(std::move(engine)),
      workers_(std::max(1, workers)),
      torch_threads_(std::max(1, torch_threads)) {}

std::vector<std::string> LocalEvaluator::proxy_names() const {
  std::vector<std::string> names;
  for (const auto& s : engine_->proxies()) names.push_back(s.name);
  return names;
}

const ProbeEngine& LocalEvaluator::engine_for(const std::vector<std::size_t>& subset) {
  const std::size_t n = engine_->proxies().size();
  bool all = subset.size() == n;
  for (std::size_t i = 0; all && i < n; ++i) all = subset[i] == i;
  if (all) return *engine_;
  auto& engine = subsets_[subset];
  if (!engine) {
    std::vector<ProxySlot> chosen;
    for (std::size_t i : subset) {
      if (i >= n)
        throw Error("evaluate_subset: proxy index " + std::to_string(i) + " of " +
                    std::to_string(n));
      chosen.push_back(engine_->proxies()[i]);
    }
    engine = std::make_unique<ProbeEngine>(engine_->space(), engine_->data(), std::move(chosen),
                                           engine_->options());
  }
  return *engine;
}

std::vector<Evaluation> LocalEvaluator::evaluate_subset(const std::vector<Arch>& archs,
                                                        const std::vector<std::size_t>& subset) {
  const ProbeEngine& engine = engine_for(subset);
  std::vector<Evaluation> results(archs.size());
  set_compute_threads(torch_threads_);
  // Chunks of a few architectures per worker bound the memory held by prepared networks
  // while keeping every worker busy.
  const std::size_t chunk = static_cast<std::size_t>(workers_) * 2;
  tbb::task_arena arena(workers_);
  for (std::size_t start = 0; start < archs.size(); start += chunk) {
    const std::size_t end = std::min(archs.size(), start + chunk);
    std::vector<std::shared_ptr<ProbeEngine::Prepared>> prepared;
    for (std::size_t i = start; i < end; ++i) prepared.push_back(engine.prepare(archs[i]));
    if (workers_ == 1) {
      for (std::size_t i = start; i < end; ++i) results[i] = engine.run(*prepared[i - start]);
    } else {
      arena.execute([&] {
        tbb::parallel_for(
            start, end,
            [&](std::size_t i) {
              // Each TBB thread initialises its OpenMP team size from the global setting.
              set_compute_threads(torch_threads_);
              results[i] = engine.run(*prepared[i - start]);
            },
            tbb::simple_partitioner());
      });
    }
    for (std::size_t i = start; i < end; ++i) notify(results[i]);
  }
  return results;
}

}  // namespace nas
