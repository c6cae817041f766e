// Distributed (data-parallel) training over LibTorch's c10d: the processes, how they meet, and
// the collective operations the trainer needs.
//
// Contract:
// * Environment. A process is one rank of a distributed run when WORLD_SIZE is set and above 1,
//   the way torchrun starts processes: MASTER_ADDR and MASTER_PORT (the rendezvous store,
//   served by rank 0, or by torchrun's agent when TORCHELASTIC_USE_AGENT_STORE says so),
//   RANK in [0, WORLD_SIZE), LOCAL_RANK (the index on this machine, default RANK: it picks the
//   rank's GPU, see Devices). NAS_DIST_TIMEOUT (seconds, default 300) bounds the rendezvous;
//   NAS_DIST_OP_TIMEOUT (default 1800) bounds one collective. GLOO_SOCKET_IFNAME names the network
//   interface Gloo uses; without it Gloo uses the loopback address when MASTER_ADDR is a loopback
//   address, else this host's name. A missing or malformed variable is a nas::UsageError naming it.
//   WORLD_SIZE unset or 1: one process, no communicator.
// * Devices, as torchrun users expect: a rank whose training device (`run.device`) is `cuda` or
//   `cuda:K` uses cuda:J with J = LOCAL_RANK mod the CUDA devices this process sees
//   (CUDA_VISIBLE_DEVICES applies), so the processes of one machine get a GPU each and, when
//   there are more processes than GPUs, share them round-robin. The K of `cuda:K` is that of a
//   one-process run and is replaced (to give the ranks other GPUs, set CUDA_VISIBLE_DEVICES);
//   `cpu` stays `cpu`. device_for_local_rank is that mapping and device_for_rank applies it
//   with this process's devices. connect() applies it to the device it is given (refusing a
//   CUDA device at once, before the rendezvous, when this LibTorch has no CUDA or this process
//   sees no CUDA device) and Communicator::device() says the result; the trainer applies it to
//   its `device` (nas/trainer.h).
// * Rendezvous (Communicator::connect). Rank 0 serves a c10d TCPStore at MASTER_ADDR:
//   MASTER_PORT; every rank connects, claims its RANK and states its WORLD_SIZE there, and
//   waits until every rank of its world has done so. Each failure is a nas::Error within the
//   timeout, never a hang: a store that cannot be reached ("cannot reach the rendezvous store
//   at ADDR:PORT ..."), a RANK claimed twice, ranks that disagree on WORLD_SIZE (naming both),
//   ranks that never joined (naming them). Then the process group is created: Gloo on the CPU
//   (the backend Debian's LibTorch ships), NCCL for `cuda` when this LibTorch has it.
// * Collectives (all ranks call them in the same order): all_reduce_sum, broadcast from rank 0
//   (tensors of mixed dtypes are flattened into one buffer per dtype: one message each),
//   barrier. A collective that fails (a rank died: its sockets close) throws nas::Error
//   saying a peer rank failed. Messages through the store: publish(key, text) and await(key),
//   which waits without a deadline (rank 0 may search for hours first) but throws when the
//   store, that is rank 0, is gone.
// * GradientReducer: DDP's gradient averaging. Parameters are put into buckets of about
//   `bucket_bytes` in reverse registration order (the order backward produces gradients). A
//   hook on each parameter copies its gradient into its bucket's flat buffer as backward
//   produces it; a full bucket starts an asynchronous all-reduce at once (buckets start in
//   index order on every rank, as collectives must), so communication overlaps the rest of
//   the backward pass. finish_step() starts what is left (a parameter that got no gradient,
//   the same ones on every rank since the graph is the same, adds zeros), waits, and writes
//   sum / world_size back into the .grad of each parameter that received a gradient; the
//   others keep no gradient, as in one process. Every rank ends the step with the same
//   gradients bit for bit, so identical weights stay identical.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace at {
class Tensor;
}

namespace nas {

struct DistributedEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr;
  int master_port = 0;
  double timeout_seconds = 300;      // rendezvous
  double op_timeout_seconds = 1800;  // one collective
};

// The torchrun variables of this process; nullopt when WORLD_SIZE is unset or 1. Throws
// nas::UsageError naming a missing or malformed variable.
std::optional<DistributedEnv> distributed_env_from_environment();

// The device that the process with `local_rank` trains on, when the configured device is
// `device` and the process sees `device_count` CUDA devices (the Devices rule above): "cpu"
// stays "cpu"; "cuda" and "cuda:K" give "cuda:<local_rank mod device_count>". A CUDA device
// with device_count < 1, or a name that is none of cpu, cuda, cuda:<index>, throws
// nas::UsageError naming it. Pure: it asks LibTorch nothing.
std::string device_for_local_rank(const std::string& device, int local_rank, int device_count);

// device_for_local_rank with the CUDA devices LibTorch sees in this process. A CUDA device on a
// LibTorch without CUDA (Debian's is CPU-only) throws nas::UsageError saying so.
std::string device_for_rank(const std::string& device, int local_rank);

// Whether this build has c10d (the Gloo or NCCL process group). Without it connect() throws.
bool distributed_available();

class Communicator {
 public:
  // The rendezvous and the process group (contract above). `device`: the configured training
  // device, "cpu" (Gloo) or a CUDA device (NCCL when available, else Gloo); this rank's own is
  // device_for_rank(device, env.local_rank), checked before the rendezvous.
  static std::unique_ptr<Communicator> connect(const DistributedEnv& env,
                                               const std::string& device = "cpu");
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const;
  int world_size() const;
  int local_rank() const;
  std::string backend() const;  // "gloo" | "nccl"
  // The device this rank trains on: "cpu" or "cuda:<LOCAL_RANK mod visible devices>".
  std::string device() const;

  void all_reduce_sum(at::Tensor& tensor);
  void all_reduce_max(at::Tensor& tensor);
  void all_reduce_min(at::Tensor& tensor);
  // In place, from rank 0, every tensor of `tensors`.
  void broadcast(std::vector<at::Tensor>& tensors);
  void barrier();

  void publish(const std::string& key, const std::string& text);
  // Waits for `key` and acknowledges it (see await_readers).
  std::string await(const std::string& key);
  // Rank 0: waits up to `seconds` until every other rank has read `key` (so that rank 0, whose
  // process serves the store, does not exit under a reader); false on timeout.
  bool await_readers(const std::string& key, double seconds);

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit Communicator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class GradientReducer {
 public:
  static constexpr std::int64_t kDefaultBucketBytes = 25 << 20;  // DDP's bucket_cap_mb

  GradientReducer(Communicator& comm, const std::vector<at::Tensor>& params,
                  std::int64_t bucket_bytes = kDefaultBucketBytes);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  void begin_step();   // before backward
  void finish_step();  // after backward: .grad holds the mean over ranks
  std::size_t buckets() const;
  // Buckets whose all-reduce started during the last backward pass (before finish_step).
  std::size_t overlapped_buckets() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nas
