#include "nas/distributed.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <spdlog/spdlog.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "nas/error.h"

#if NAS_HAVE_C10D
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace nas {

namespace {

std::optional<std::string> env_value(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

long long env_int(const char* name, long long lo, long long hi) {
  const auto text = env_value(name);
  if (!text) throw UsageError(std::string(name) + " is not set; a distributed run needs it");
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text->c_str(), &end, 10);
  if (errno != 0 || end == text->c_str() || *end != '\0' || v < lo || v > hi) {
    throw UsageError(std::string(name) + "='" + printable(*text) + "' must be an integer in [" +
                     std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

double env_seconds(const char* name, double fallback) {
  const auto text = env_value(name);
  if (!text) return fallback;
  char* end = nullptr;
  const double v = std::strtod(text->c_str(), &end);
  if (end == text->c_str() || *end != '\0' || !std::isfinite(v) || v <= 0) {
    throw UsageError(std::string(name) + "='" + printable(*text) +
                     "' must be a number of seconds > 0");
  }
  return v;
}

std::string seconds_text(double s) {
  std::ostringstream o;
  o << s << " s";
  return o.str();
}

}  // namespace

std::optional<DistributedEnv> distributed_env_from_environment() {
  if (!env_value("WORLD_SIZE")) {
    if (env_value("RANK") && env_value("RANK") != std::string("0")) {
      throw UsageError(
          "RANK is set but WORLD_SIZE is not; set both (and MASTER_ADDR, MASTER_PORT)");
    }
    return std::nullopt;
  }
  DistributedEnv e;
  e.world_size = static_cast<int>(env_int("WORLD_SIZE", 1, 1 << 20));
  e.rank = static_cast<int>(env_int("RANK", 0, e.world_size - 1));
  if (e.world_size == 1) return std::nullopt;
  e.local_rank =
      env_value("LOCAL_RANK") ? static_cast<int>(env_int("LOCAL_RANK", 0, 1 << 20)) : e.rank;
  const auto addr = env_value("MASTER_ADDR");
  if (!addr) {
    throw UsageError(
        "MASTER_ADDR is not set; a distributed run (WORLD_SIZE=" + std::to_string(e.world_size) +
        ") needs the address of rank 0's rendezvous store");
  }
  e.master_addr = *addr;
  e.master_port = static_cast<int>(env_int("MASTER_PORT", 1, 65535));
  e.timeout_seconds = env_seconds("NAS_DIST_TIMEOUT", e.timeout_seconds);
  e.op_timeout_seconds = env_seconds("NAS_DIST_OP_TIMEOUT", e.op_timeout_seconds);
  return e;
}

std::string device_for_local_rank(const std::string& device, int local_rank, int device_count) {
  if (device == "cpu") return device;
  bool cuda = device == "cuda";
  const std::string prefix = "cuda:";
  if (!cuda && device.compare(0, prefix.size(), prefix) == 0) {
    const std::string digits = device.substr(prefix.size());
    cuda = !digits.empty() && digits.size() <= 4 &&
           digits.find_first_not_of("0123456789") == std::string::npos;
  }
  if (!cuda) {
    throw UsageError("unknown device '" + printable(device) + "' (valid: cpu, cuda, cuda:<index>)");
  }
  if (local_rank < 0) {
    throw UsageError("LOCAL_RANK " + std::to_string(local_rank) + " is negative");
  }
  if (device_count < 1) {
    throw UsageError("device '" + device +
                     "' was requested, but this process sees no CUDA device (no GPU, or "
                     "CUDA_VISIBLE_DEVICES names none); use cpu");
  }
  return "cuda:" + std::to_string(local_rank % device_count);
}

std::string device_for_rank(const std::string& device, int local_rank) {
  // The spelling first (one pretend device), then what LibTorch has.
  if (device_for_local_rank(device, local_rank, 1) == "cpu") return "cpu";
  if (!at::detail::getCUDAHooks().hasCUDART()) {
    throw UsageError("device '" + device +
                     "' was requested, but this LibTorch has no CUDA (a CPU-only build, as "
                     "Debian's libtorch-dev): train on cpu, or build nas against a CUDA LibTorch");
  }
  return device_for_local_rank(device, local_rank, static_cast<int>(torch::cuda::device_count()));
}

#if NAS_HAVE_C10D

namespace {
// LibTorch 2 split ProcessGroup into a dispatcher and Backends; Gloo and NCCL are Backends.
#if TORCH_VERSION_MAJOR >= 2
using Group = c10d::Backend;
#else
using Group = c10d::ProcessGroup;
#endif

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return std::vector<std::uint8_t>(s.begin(), s.end());
}
std::string text_of(const std::vector<std::uint8_t>& b) { return std::string(b.begin(), b.end()); }

std::string first_line(const std::string& s) {
  const auto n = s.find('\n');
  return n == std::string::npos ? s : s.substr(0, n);
}

}  // namespace

struct Communicator::Impl {
  DistributedEnv env;
  std::string backend;
  std::string device;  // this rank's (device_for_rank)
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Group> group;

  std::string where() const { return env.master_addr + ":" + std::to_string(env.master_port); }

  [[noreturn]] void peer_failed(const std::string& op, const std::exception& e) const {
    throw Error("rank " + std::to_string(env.rank) + ": the collective " + op +
                " failed: another rank died or stopped answering (" +
                first_line(e.what()).substr(0, 300) + ")");
  }

  void wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& op) const {
    try {
      work->wait();
    } catch (const std::exception& e) {
      peer_failed(op, e);
    }
  }

  void all_reduce(at::Tensor& t, c10d::ReduceOp op, const std::string& name) {
    std::vector<at::Tensor> v{t};
    c10d::AllreduceOptions o;
    o.reduceOp = op;
    c10::intrusive_ptr<c10d::Work> work;
    try {
      work = group->allreduce(v, o);
    } catch (const std::exception& e) {
      peer_failed(name, e);
    }
    wait(work, name);
  }
};

bool distributed_available() { return true; }

Communicator::Communicator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Communicator::~Communicator() = default;

std::unique_ptr<Communicator> Communicator::connect(const DistributedEnv& env,
                                                    const std::string& device) {
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  const std::string rank_text = "rank " + std::to_string(env.rank);
  // Before the rendezvous: a CUDA device this process cannot have fails at once, not after
  // NAS_DIST_TIMEOUT or at the first tensor.
  try {
    impl->device = device_for_rank(device, env.local_rank);
  } catch (const UsageError& e) {
    throw UsageError(rank_text + ": run.device: " + e.what());
  }
  if (impl->device != "cpu") {
    spdlog::info("rank {} (LOCAL_RANK {}) trains on {} (run.device {})", env.rank, env.local_rank,
                 impl->device, device);
  }
  const auto timeout =
      std::chrono::milliseconds(static_cast<long long>(env.timeout_seconds * 1000));
  const std::string where = impl->where();

  // 1. The store: rank 0 serves it, every rank (rank 0 too) is its client.
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(env.master_port);
  // Under torchrun's elastic agent the agent already serves the store on MASTER_PORT (it says
  // so with TORCHELASTIC_USE_AGENT_STORE); every rank is then a client, on keys of this attempt.
  const auto agent_store = env_value("TORCHELASTIC_USE_AGENT_STORE");
  const bool agent = agent_store && (*agent_store == "True" || *agent_store == "1");
  so.isServer = env.rank == 0 && !agent;
  so.waitWorkers = false;  // the join below waits, with messages that say who is missing
  so.timeout = timeout;
  c10::intrusive_ptr<c10d::TCPStore> tcp;
  try {
    tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    if (so.isServer) {
      throw Error(rank_text + ": cannot serve the rendezvous store at " + where +
                  " (MASTER_ADDR, MASTER_PORT; port in use, or not an address of this host?): " +
                  first_line(e.what()).substr(0, 300));
    }
    throw Error(rank_text + ": cannot reach the rendezvous store at " + where +
                " (MASTER_ADDR, MASTER_PORT) within " + seconds_text(env.timeout_seconds) +
                " (NAS_DIST_TIMEOUT): is rank 0 running, and is the address right? (" +
                first_line(e.what()).substr(0, 300) + ")");
  }
  impl->store = tcp;
  c10::intrusive_ptr<c10d::Store> store = tcp;
  if (agent) {
    store = c10::make_intrusive<c10d::PrefixStore>(
        "nas/attempt" + env_value("TORCHELASTIC_RESTART_COUNT").value_or("0"), store);
    impl->store = store;
  }

  // 2. The join: claim the rank, state the world size, wait for every rank of that world.
  auto store_error = [&](const std::exception& e) {
    return Error(rank_text + ": lost the rendezvous store at " + where +
                 " during the rendezvous (rank 0 exited?): " + first_line(e.what()).substr(0, 300));
  };
  std::vector<std::string> missing;
  try {
    const std::string me = std::to_string(env.rank);
    if (store->add("nas/claim/" + me, 1) > 1) {
      throw Error(rank_text + ": RANK " + me + " is claimed by another process as well (" +
                  "every process needs its own RANK in [0, WORLD_SIZE))");
    }
    store->set("nas/world/" + me, bytes_of(std::to_string(env.world_size)));
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<bool> seen(static_cast<std::size_t>(env.world_size), false);
    while (true) {
      // Another rank gave up: say why here too.
      if (store->check({"nas/abort"})) {
        throw Error(rank_text + ": the rendezvous failed: " + text_of(store->get("nas/abort")));
      }
      missing.clear();
      // A rank beyond this world that states another world size is a mismatch too.
      for (int k = 0; k < env.world_size + 1; ++k) {
        if (k < env.world_size && seen[static_cast<std::size_t>(k)]) continue;
        const std::string key = "nas/world/" + std::to_string(k);
        if (!store->check({key})) {
          if (k < env.world_size) missing.push_back(std::to_string(k));
          continue;
        }
        const std::string theirs = text_of(store->get(key));
        if (theirs != std::to_string(env.world_size)) {
          throw Error(rank_text + ": WORLD_SIZE mismatch: " + rank_text + " has WORLD_SIZE=" +
                      std::to_string(env.world_size) + ", rank " + std::to_string(k) +
                      " has WORLD_SIZE=" + theirs + "; every rank must be started with the same");
        }
        if (k < env.world_size) seen[static_cast<std::size_t>(k)] = true;
      }
      if (missing.empty()) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        throw Error(rank_text + ": the rendezvous at " + where + " timed out after " +
                    seconds_text(env.timeout_seconds) + " (NAS_DIST_TIMEOUT): rank(s) " +
                    join(missing) + " of WORLD_SIZE=" + std::to_string(env.world_size) +
                    " never joined (is WORLD_SIZE right, and did every rank start?)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  } catch (const Error& e) {
    // Tell the other ranks (rank 0 serves the store: it lingers a moment so they can read it).
    try {
      if (!store->check({"nas/abort"})) {
        store->set("nas/abort", bytes_of(e.what()));
        if (env.rank == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      }
    } catch (const std::exception&) {
    }
    throw;
  } catch (const std::exception& e) {
    throw store_error(e);
  }

  // 3. The process group, on a store namespace of its own.
  auto pg_store = c10::make_intrusive<c10d::PrefixStore>("nas/pg", impl->store);
  const auto op_timeout =
      std::chrono::milliseconds(static_cast<long long>(env.op_timeout_seconds * 1000));
  const bool cuda = impl->device != "cpu";
  try {
#ifdef USE_C10D_NCCL
    if (cuda) {
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = op_timeout;
      impl->group =
          c10::make_intrusive<c10d::ProcessGroupNCCL>(pg_store, env.rank, env.world_size, o);
      impl->backend = "nccl";
    }
#endif
#ifdef USE_C10D_GLOO
    if (!impl->group) {
      auto o = c10d::ProcessGroupGloo::Options::create(op_timeout);
      if (const auto ifname = env_value("GLOO_SOCKET_IFNAME")) {
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(*ifname));
      } else if (is_loopback(env.master_addr)) {
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      impl->group =
          c10::make_intrusive<c10d::ProcessGroupGloo>(pg_store, env.rank, env.world_size, o);
      impl->backend = "gloo";
    }
#endif
  } catch (const std::exception& e) {
    throw Error(rank_text + ": cannot create the " + std::string(cuda ? "NCCL/Gloo" : "Gloo") +
                " process group of WORLD_SIZE=" + std::to_string(env.world_size) + ": " +
                first_line(e.what()).substr(0, 300));
  }
  if (!impl->group) {
    throw Error("this build of nas has no c10d backend for device '" + device + "'");
  }
  (void)cuda;
  return std::unique_ptr<Communicator>(new Communicator(std::move(impl)));
}

int Communicator::rank() const { return impl_->env.rank; }
int Communicator::world_size() const { return impl_->env.world_size; }
int Communicator::local_rank() const { return impl_->env.local_rank; }
std::string Communicator::backend() const { return impl_->backend; }
std::string Communicator::device() const { return impl_->device; }

void Communicator::all_reduce_sum(at::Tensor& t) {
  impl_->all_reduce(t, c10d::ReduceOp::SUM, "all-reduce");
}
void Communicator::all_reduce_max(at::Tensor& t) {
  impl_->all_reduce(t, c10d::ReduceOp::MAX, "all-reduce");
}
void Communicator::all_reduce_min(at::Tensor& t) {
  impl_->all_reduce(t, c10d::ReduceOp::MIN, "all-reduce");
}

void Communicator::broadcast(std::vector<at::Tensor>& tensors) {
  // One flat buffer per (dtype, device): one message each rather than one per tensor.
  std::map<std::pair<int, std::string>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].defined()) continue;
    groups[{static_cast<int>(tensors[i].scalar_type()), tensors[i].device().str()}].push_back(i);
  }
  torch::NoGradGuard no_grad;
  for (auto& [key, members] : groups) {
    std::vector<at::Tensor> parts;
    for (auto i : members) parts.push_back(tensors[i].detach().reshape(-1));
    std::vector<at::Tensor> flat{torch::cat(parts)};
    c10::intrusive_ptr<c10d::Work> work;
    try {
      work = impl_->group->broadcast(flat);
    } catch (const std::exception& e) {
      impl_->peer_failed("broadcast", e);
    }
    impl_->wait(work, "broadcast");
    if (rank() == 0) continue;
    std::int64_t offset = 0;
    for (auto i : members) {
      at::Tensor& t = tensors[i];
      t.detach().copy_(flat[0].narrow(0, offset, t.numel()).view_as(t));
      offset += t.numel();
    }
  }
}

void Communicator::barrier() {
  c10::intrusive_ptr<c10d::Work> work;
  try {
    work = impl_->group->barrier();
  } catch (const std::exception& e) {
    impl_->peer_failed("barrier", e);
  }
  impl_->wait(work, "barrier");
}

void Communicator::publish(const std::string& key, const std::string& text) {
  try {
    impl_->store->set("nas/msg/" + key, bytes_of(text));
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(rank()) + ": cannot write '" + key +
                "' to the rendezvous store: " + first_line(e.what()).substr(0, 300));
  }
}

std::string Communicator::await(const std::string& key) {
  const std::string k = "nas/msg/" + key;
  try {
    while (!impl_->store->check({k})) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string text = text_of(impl_->store->get(k));
    impl_->store->add(k + "/read", 1);
    return text;
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(rank()) + ": the rendezvous store at " + impl_->where() +
                " is gone while waiting for rank 0 (rank 0 exited or was killed): " +
                first_line(e.what()).substr(0, 300));
  }
}

bool Communicator::await_readers(const std::string& key, double seconds) {
  const std::string k = "nas/msg/" + key + "/read";
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  try {
    while (impl_->store->add(k, 0) < world_size() - 1) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// --- GradientReducer ----------------------------------------------------------------------------

struct GradientReducer::Impl {
  struct Bucket {
    std::vector<std::size_t> members;  // parameter indices
    std::vector<std::int64_t> offsets;
    at::Tensor flat;
    std::size_t pending = 0;
    bool launched = false;
    c10::intrusive_ptr<c10d::Work> work;
  };

  Communicator& comm;
  std::vector<at::Tensor> params;
  std::vector<Bucket> buckets;
  std::vector<std::size_t> bucket_of, slot_of;
  std::vector<char> fired;
  std::vector<unsigned> hooks;
  std::size_t next_launch = 0, overlapped = 0;
  bool in_step = false, in_backward = false;
  std::mutex mutex;

  Impl(Communicator& c, const std::vector<at::Tensor>& p) : comm(c), params(p) {}

  void launch(Bucket& b) {
    std::vector<at::Tensor> v{b.flat};
    try {
      b.work = comm.impl().group->allreduce(v);
    } catch (const std::exception& e) {
      comm.impl().peer_failed("gradient all-reduce", e);
    }
    b.launched = true;
  }

  // Buckets start in index order on every rank, whatever order their gradients completed in.
  void launch_ready() {
    while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
      launch(buckets[next_launch++]);
      if (in_backward) ++overlapped;
    }
  }

  void on_grad(std::size_t i, const at::Tensor& grad) {
    if (!in_step || !grad.defined()) return;
    std::lock_guard<std::mutex> lock(mutex);
    Bucket& b = buckets[bucket_of[i]];
    const std::size_t s = slot_of[i];
    if (fired[i]) {  // a second gradient for one parameter (a re-entrant backward): add it
      b.flat.narrow(0, b.offsets[s], grad.numel()).add_(grad.detach().reshape(-1));
      return;
    }
    fired[i] = 1;
    b.flat.narrow(0, b.offsets[s], grad.numel()).copy_(grad.detach().reshape(-1));
    if (--b.pending == 0) launch_ready();
  }
};

GradientReducer::GradientReducer(Communicator& comm, const std::vector<at::Tensor>& params,
                                 std::int64_t bucket_bytes)
    : impl_(std::make_unique<Impl>(comm, params)) {
  Impl& m = *impl_;
  m.bucket_of.resize(params.size());
  m.slot_of.resize(params.size());
  m.fired.assign(params.size(), 0);
  // Reverse registration order: roughly the order backward produces the gradients.
  std::int64_t bytes = 0;
  for (std::size_t k = params.size(); k-- > 0;) {
    const at::Tensor& p = params[k];
    const std::int64_t size = p.numel() * static_cast<std::int64_t>(p.element_size());
    const bool fits = !m.buckets.empty() && bytes + size <= bucket_bytes &&
                      m.buckets.back().flat.scalar_type() == p.scalar_type() &&
                      m.buckets.back().flat.device() == p.device();
    if (!fits) {
      m.buckets.emplace_back();
      m.buckets.back().flat = torch::zeros({0}, p.options().requires_grad(false));
      bytes = 0;
    }
    Impl::Bucket& b = m.buckets.back();
    m.bucket_of[k] = m.buckets.size() - 1;
    m.slot_of[k] = b.members.size();
    b.offsets.push_back(bytes / static_cast<std::int64_t>(p.element_size()));
    b.members.push_back(k);
    bytes += size;
    b.flat = torch::zeros({bytes / static_cast<std::int64_t>(p.element_size())},
                          p.options().requires_grad(false));
  }
  for (std::size_t k = 0; k < params.size(); ++k) {
    Impl* self = impl_.get();
    m.hooks.push_back(
        m.params[k].register_hook([self, k](const at::Tensor& grad) { self->on_grad(k, grad); }));
  }
}

GradientReducer::~GradientReducer() {
  for (std::size_t k = 0; k < impl_->params.size(); ++k) {
    try {
      impl_->params[k].remove_hook(impl_->hooks[k]);
    } catch (...) {
    }
  }
}

void GradientReducer::begin_step() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  std::fill(m.fired.begin(), m.fired.end(), 0);
  for (auto& b : m.buckets) {
    b.pending = b.members.size();
    b.launched = false;
    b.work.reset();
  }
  m.next_launch = 0;
  m.overlapped = 0;
  m.in_step = true;
  m.in_backward = true;
}

void GradientReducer::finish_step() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mutex);
  m.in_backward = false;
  torch::NoGradGuard no_grad;
  // Parameters without a gradient this step (the same on every rank) add zeros.
  for (std::size_t bi = m.next_launch; bi < m.buckets.size(); ++bi) {
    Impl::Bucket& b = m.buckets[bi];
    for (std::size_t s = 0; s < b.members.size(); ++s) {
      const std::size_t k = b.members[s];
      if (!m.fired[k]) b.flat.narrow(0, b.offsets[s], m.params[k].numel()).zero_();
    }
    b.pending = 0;
  }
  m.launch_ready();
  const double world = static_cast<double>(m.comm.world_size());
  for (auto& b : m.buckets) {
    m.comm.impl().wait(b.work, "gradient all-reduce");
    b.flat.div_(world);
    for (std::size_t s = 0; s < b.members.size(); ++s) {
      const std::size_t k = b.members[s];
      if (!m.fired[k]) continue;
      at::Tensor& p = m.params[k];
      p.mutable_grad().copy_(b.flat.narrow(0, b.offsets[s], p.numel()).view_as(p));
    }
  }
  m.in_step = false;
}

std::size_t GradientReducer::buckets() const { return impl_->buckets.size(); }
std::size_t GradientReducer::overlapped_buckets() const { return impl_->overlapped; }

#else  // no c10d in this LibTorch build

struct Communicator::Impl {};
struct GradientReducer::Impl {};

bool distributed_available() { return false; }
Communicator::Communicator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Communicator::~Communicator() = default;
std::unique_ptr<Communicator> Communicator::connect(const DistributedEnv&, const std::string&) {
  throw UsageError(
      "this build of nas has no c10d (LibTorch's distributed package with Gloo): it cannot run "
      "with WORLD_SIZE > 1");
}
int Communicator::rank() const { return 0; }
int Communicator::world_size() const { return 1; }
int Communicator::local_rank() const { return 0; }
std::string Communicator::backend() const { return "none"; }
std::string Communicator::device() const { return "cpu"; }
void Communicator::all_reduce_sum(at::Tensor&) {}
void Communicator::all_reduce_max(at::Tensor&) {}
void Communicator::all_reduce_min(at::Tensor&) {}
void Communicator::broadcast(std::vector<at::Tensor>&) {}
void Communicator::barrier() {}
void Communicator::publish(const std::string&, const std::string&) {}
std::string Communicator::await(const std::string&) { return {}; }
bool Communicator::await_readers(const std::string&, double) { return true; }
GradientReducer::GradientReducer(Communicator&, const std::vector<at::Tensor>&, std::int64_t) {}
GradientReducer::~GradientReducer() = default;
void GradientReducer::begin_step() {}
void GradientReducer::finish_step() {}
std::size_t GradientReducer::buckets() const { return 0; }
std::size_t GradientReducer::overlapped_buckets() const { return 0; }

#endif

}  // namespace nas
