// The built-in `local` evaluator backend: the job's components, created in this process from
// the plugin registry, scored on a TBB pool by LocalEvaluator.
#include "local_backend.h"

#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/evaluation_job.h"
#include "nas/probe_engine.h"
#include "nas/proxy.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/seed.h"

namespace nas::detail {

namespace {

template <class T>
std::shared_ptr<T> create_from(const ComponentRegistry<T>& table, const ComponentSpec& spec) {
  try {
    return table.get(spec.type).create(spec.params);
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(table.kind() + " '" + spec.type + "': " + e.what());
  }
}

class LocalBackend final : public EvaluatorBackend {
 public:
  std::unique_ptr<Evaluator> create(const EvaluationJob& job) const override {
    if (job.seed_scheme != kSeedSchemeVersion) {
      throw Error("evaluation job uses seed scheme " + std::to_string(job.seed_scheme) +
                  "; this build uses " + std::to_string(kSeedSchemeVersion));
    }
    Registry& reg = Registry::global();
    std::shared_ptr<SearchSpace> space = create_from(reg.spaces, job.space);
    std::shared_ptr<Dataset> data;
    if (job.data) data = create_from(reg.datasets, *job.data);
    std::vector<ProxySlot> slots;
    for (const auto& p : job.proxies) {
      ProxySlot slot;
      slot.name = p.name;
      slot.proxy = create_from(reg.proxies, p);
      slot.info = slot.proxy->info();
      slots.push_back(std::move(slot));
    }
    // The data must give a batch in this process too, as the pipeline checks it in its own: in
    // a worker process (another rank, another machine) a dataset missing there fails the job
    // at once, rather than every score with it.
    bool needs_data = false;
    for (const auto& slot : slots) {
      const ProxyInfo& info = slot.info;
      needs_data =
          needs_data || (info.needs_network && (info.needs_data || info.passes != kPassNone));
    }
    if (data && needs_data) {
      try {
        data->batch(job.batch_size, derive_seed(job.seed, "data-check"), Split::kTrain);
      } catch (const std::exception& e) {
        throw Error("data '" + job.data->type + "' cannot give a batch of " +
                    std::to_string(job.batch_size) + " here: " + e.what());
      }
    }
    ProbeOptions options;
    options.seed = job.seed;
    options.batch_size = job.batch_size;
    options.net = job.net;
    auto engine = std::make_shared<ProbeEngine>(space, data, std::move(slots), options);
    return std::make_unique<LocalEvaluator>(engine, job.workers, job.torch_threads);
  }
};

}  // namespace

void register_builtin_evaluators(Registry& registry) {
  Component<EvaluatorBackend> c;
  c.name = "local";
  c.help = "scores in this process: run.workers architectures at once on a TBB pool";
  c.plugin = "builtin";
  c.create = [](const Params&) { return std::make_shared<LocalBackend>(); };
  registry.evaluators.add(std::move(c));
}

}  // namespace nas::detail
