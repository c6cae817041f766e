// The `mpi` evaluator: `mpirun -np K nas run PIPELINE.yaml` runs the pipeline (the strategy,
// the caching, every file of the run directory) on rank 0 and scores on every rank.
//
// Protocol (tags below; every message is a JSON string):
// * rank 0's create() sends the EvaluationJob once to every worker; each rebuilds the job's
//   components through this process's `local` backend and answers kReady (its pid, host and how
//   many architectures it scores at once) or the error that stopped it;
// * evaluate_subset() hands out one architecture per kWork message to whichever rank has room
//   (dynamic load balancing: a rank that finishes early gets the next one), rank 0 scoring
//   alongside in a thread of its own unless `coordinator_scores: false`; results (kResult)
//   arrive in any order and are passed to the listener in input order;
// * at exit rank 0 sends kStop to every worker and waits for each one's kBye, so no worker is
//   ever left waiting, whether the run succeeded or failed on bad input.
// Scores depend only on (master seed, proxy, architecture), so any assignment gives the same
// scores.csv as the local evaluator. Waiting is a poll with short sleeps, never MPI's busy wait:
// on an oversubscribed machine a spinning coordinator would take a core from the scorers.
//
// A rank that dies: Open MPI's mpirun then sends SIGTERM to every other rank, and SIGKILL a
// second later. Workers ignore SIGTERM so that, when rank 0's handler looks, the ranks already
// gone are exactly the ones that died; it names them and what they were scoring, waits for a
// listener call in progress (so scores.csv ends on a whole row), and exits non-zero. A dead
// worker found while polling (same host: its pid is gone) is reported the same way.
#include <dlfcn.h>
#include <mpi.h>
#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nas/distributed.h"
#include "nas/error.h"
#include "nas/evaluation_job.h"
#include "nas/evaluator.h"
#include "nas/plugin.h"
#include "nas/registry.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

enum Tag : int { kJob = 1, kReady, kWork, kResult, kFailure, kStop, kBye };

// Under a launcher with more than one rank; otherwise MPI is never initialised (plain
// `nas run` and `mpirun -np 1` score in-process).
int launched_ranks() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    if (const char* v = std::getenv(var)) return std::atoi(v);
  }
  return 1;
}
// This process's rank as the launcher says it (known before MPI_Init).
int launched_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMI_RANK"}) {
    if (const char* v = std::getenv(var)) return std::atoi(v);
  }
  return 0;
}

void install_termination_watcher();

std::string hostname() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host;
}

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw nas::Error(std::string("mpi: ") + what + " failed: " + std::string(text, length));
}

void send_text(int dest, int tag, const std::string& text) {
  check(MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD),
        "MPI_Send");
}

bool probe(int source, int tag, MPI_Status* status) {
  int flag = 0;
  check(MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, status), "MPI_Iprobe");
  return flag != 0;
}

std::string receive(const MPI_Status& status) {
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string text(static_cast<std::size_t>(count), '\0');
  check(MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE),
        "MPI_Recv");
  return text;
}

// Sleeps a little longer each idle round (50 us up to 2 ms): quick answers, no spinning.
class Idle {
 public:
  void reset() { us_ = 50; }
  void wait() {
    std::this_thread::sleep_for(std::chrono::microseconds(us_));
    us_ = std::min(us_ * 2, 2000);
  }

 private:
  int us_ = 50;
};

// pid on this host gone or a zombie.
bool process_gone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'Z' ||
         line[close + 2] == 'X';
}

struct WorkerInfo {
  int rank = 0;
  int pid = 0;
  std::string host;
  int capacity = 1;
  std::string device = "cpu";
  std::map<std::uint64_t, std::string> outstanding;  // id -> architecture being scored
  std::int64_t scored = 0;
  bool stopped = false;
};

// Process-wide MPI state: initialised once, finished at exit (see finish()).
struct World {
  bool initialized = false;
  bool finished = false;  // MPI_Finalize (or MPI_Abort) done: never initialise again
  int rank = 0;
  int size = 1;
  int local_size = 1;  // ranks on this host
  int local_rank = 0;  // this rank's index among them: picks its GPU (device_for_rank)
  std::string host;
  std::uint64_t next_id = 0;
  std::vector<WorkerInfo> workers;  // rank 0: ranks 1..size-1, once ready
  std::set<int> unanswered;         // rank 0: ranks sent the job that have not answered yet
  std::int64_t coordinator_scored = 0;
  std::size_t largest_batch = 0;
  // A worker died or erred (and that was said): finish() aborts instead of waiting for it.
  std::atomic<bool> failed{false};
  // Held while the coordinator changes `workers` or calls the listener; the SIGTERM watcher
  // takes it so the message is consistent and scores.csv ends on a whole row.
  std::timed_mutex mutex;

  // The state, never initialising MPI (for the SIGTERM watcher, which may run during init()).
  static World& raw() {
    static World* world = new World();  // never destroyed: finish() runs from atexit
    return *world;
  }
  static World& get() {
    World& world = raw();
    if (!world.initialized && !world.finished && launched_ranks() > 1) world.init();
    return world;
  }

  void init() {
    // Rank 0 speaks for the job from here on, also while MPI_Init waits for every rank to join:
    // a rank that stops before it joins makes mpirun stop the others with SIGTERM.
    if (launched_rank() == 0) install_termination_watcher();
    joining = true;
    // libmpi came in with this plugin, loaded RTLD_LOCAL; Open MPI's own components expect its
    // symbols global.
    for (const char* lib : {"libmpi.so.40", "libmpi.so"}) {
      if (dlopen(lib, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD)) break;
    }
    int provided = 0;
    // FUNNELED: only the main thread calls MPI; rank 0 scores in another thread.
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    initialized = true;
    joining = false;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_size);
    MPI_Comm_rank(local, &local_rank);
    MPI_Comm_free(&local);
    host = hostname();
    std::atexit([] { World::get().finish(); });
  }

  void finish();
  void stop_workers();
  std::string describe(const WorkerInfo& w) const {
    return "rank " + std::to_string(w.rank) + " (pid " + std::to_string(w.pid) + " on " + w.host +
           ")";
  }
  // Workers known dead: on this host, their pid is gone. Others cannot be checked from here.
  std::vector<const WorkerInfo*> dead_workers() const {
    std::vector<const WorkerInfo*> dead;
    for (const auto& w : workers) {
      if (!w.stopped && w.pid > 0 && w.host == host && process_gone(w.pid)) dead.push_back(&w);
    }
    return dead;
  }
  std::string death_message(const std::vector<const WorkerInfo*>& dead) const;
  // Says which workers died (once: the SIGTERM watcher stays quiet after it) and ends the job.
  [[noreturn]] void abort_for(const std::vector<const WorkerInfo*>& dead);
  std::atomic<bool> reported{false};
  std::atomic<bool> joining{false};  // in MPI_Init
};

void World::abort_for(const std::vector<const WorkerInfo*>& dead) {
  {
    std::unique_lock<std::timed_mutex> lock(mutex, std::defer_lock);
    // Shared with the SIGTERM watcher: one message, not two interleaved.
    const bool locked = lock.try_lock_for(std::chrono::milliseconds(300));
    std::fprintf(stderr, "error: %s\n", death_message(dead).c_str());
    std::fflush(stderr);
    reported = true;
    failed = true;
    (void)locked;
  }
  MPI_Abort(MPI_COMM_WORLD, 1);
  _exit(1);
}

std::string World::death_message(const std::vector<const WorkerInfo*>& dead) const {
  std::string text;
  for (const WorkerInfo* w : dead) {
    text += "mpi: " + describe(*w) + " died";
    if (w->outstanding.empty()) {
      text += " while idle";
    } else {
      text += " while scoring";
      for (const auto& [id, arch] : w->outstanding) text += " " + arch;
    }
    text += "; ";
  }
  return text +
         "the job stops. Every score recorded so far is kept in the run directory's scores.csv: "
         "run the same command again to resume.";
}

// Rank 0 at exit: stop every worker and wait for each one's goodbye (draining any result still
// on its way), then finalise. After a worker failed, abort: a dead rank never says goodbye.
void World::finish() {
  if (!initialized) return;
  try {
    stop_workers();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    failed = true;
  }
  if (failed) {
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  initialized = false;
  finished = true;
}

void World::stop_workers() {
  if (rank == 0 && !failed) {
    std::set<int> waiting;
    for (int r = 1; r < size; ++r) {
      send_text(r, kStop, "");
      waiting.insert(r);
    }
    Idle idle;
    auto checked = Clock::now();
    while (!waiting.empty()) {
      MPI_Status status;
      if (probe(MPI_ANY_SOURCE, MPI_ANY_TAG, &status)) {
        receive(status);
        if (status.MPI_TAG == kBye) {
          waiting.erase(status.MPI_SOURCE);
          std::lock_guard<std::timed_mutex> lock(mutex);
          for (auto& w : workers) w.stopped = w.stopped || w.rank == status.MPI_SOURCE;
        }
        idle.reset();
        continue;
      }
      if (Clock::now() - checked > std::chrono::milliseconds(500)) {
        checked = Clock::now();
        const auto dead = dead_workers();
        if (!dead.empty()) abort_for(dead);
      }
      idle.wait();
    }
  }
}

// SIGTERM on rank 0: the handler only wakes the watcher thread, which does the work.
int g_term_pipe[2] = {-1, -1};

void on_sigterm(int) {
  const char c = 1;
  [[maybe_unused]] ssize_t n = write(g_term_pipe[1], &c, 1);
}

void watch_termination() {
  char c;
  while (read(g_term_pipe[0], &c, 1) < 0 && errno == EINTR) {
  }
  World& world = World::raw();
  // mpirun's SIGKILL follows in a second: do not wait long for the main thread.
  const bool locked = world.mutex.try_lock_for(std::chrono::milliseconds(300));
  // The main thread found the dead rank first and said so: once is enough.
  if (world.reported) _exit(1);
  const auto dead = world.dead_workers();
  std::string text;
  // A rank that stopped before it joined or answered the job: its own error, and mpirun's
  // report of it, say which and why. Rank 0 has recorded nothing yet at these points.
  const std::string before =
      " stopped before it could (its own error above, and mpirun's report of it, say which and "
      "why). The job stops; the run directory is as it was.";
  if (!dead.empty()) {
    text = world.death_message(dead);
  } else if (world.joining) {
    text = "mpi: a rank never joined the job (MPI_Init): it" + before;
  } else if (!world.unanswered.empty()) {
    std::vector<std::string> ranks;
    for (int r : world.unanswered) ranks.push_back(std::to_string(r));
    text = "mpi: rank(s) " + nas::join(ranks, ", ") + " never answered the evaluation job: each" +
           before;
  } else {
    text =
        "mpi: the job was terminated (SIGTERM): a rank on another host died (mpirun names it "
        "above) or the job was stopped. Every score recorded so far is kept in the run "
        "directory's scores.csv: run the same command again to resume.";
  }
  std::fprintf(stderr, "error: %s\n", text.c_str());
  std::fflush(stderr);
  if (locked) world.mutex.unlock();
  _exit(1);
}

void install_termination_watcher() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (pipe(g_term_pipe) != 0) return;
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = on_sigterm;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    std::thread(watch_termination).detach();
  });
}

struct Options {
  int workers_per_rank = 0;  // 0: this host's cores / its ranks / torch threads
  bool coordinator_scores = true;

  int workers_for(const World& world, int torch_threads) const {
    if (workers_per_rank > 0) return workers_per_rank;
    const int cores = std::max(1u, std::thread::hardware_concurrency());
    return std::max(1, cores / std::max(1, world.local_size) / std::max(1, torch_threads));
  }
};

std::unique_ptr<nas::Evaluator> local_evaluator(const nas::EvaluationJob& job) {
  nas::Registry& reg = nas::Registry::global();
  return reg.evaluators.get("local").create(nas::Params())->create(job);
}

std::string records_json(std::uint64_t id, const nas::Evaluation& e) {
  json scores = json::array();
  for (const auto& r : e.scores) {
    std::uint64_t bits;  // the score's exact bits: NaN and inf included
    std::memcpy(&bits, &r.score, sizeof bits);
    scores.push_back(
        {r.proxy, r.version, bits, r.seconds, r.seed, nas::to_string(r.status), r.message});
  }
  return json{{"id", id}, {"scores", scores}}.dump();
}

std::vector<nas::ScoreRecord> records_from(const json& scores) {
  std::vector<nas::ScoreRecord> out;
  for (const auto& s : scores) {
    nas::ScoreRecord r;
    r.proxy = s.at(0).get<std::string>();
    r.version = s.at(1).get<std::string>();
    const auto bits = s.at(2).get<std::uint64_t>();
    std::memcpy(&r.score, &bits, sizeof bits);
    r.seconds = s.at(3).get<double>();
    r.seed = s.at(4).get<std::uint64_t>();
    r.status = nas::score_status_from_string(s.at(5).get<std::string>());
    r.message = s.at(6).get<std::string>();
    out.push_back(std::move(r));
  }
  return out;
}

// Blocks (polling) for a message from `source`.
MPI_Status wait_message(int source) {
  Idle idle;
  MPI_Status status;
  while (!probe(source, MPI_ANY_TAG, &status)) idle.wait();
  return status;
}

// A worker rank: build the job's evaluator, score what rank 0 sends until kStop.
int serve(const Options& options) {
  World& world = World::get();
  // Left to mpirun's SIGKILL, a second after its SIGTERM: rank 0 tells the rank that died first
  // from the ranks mpirun is stopping by which ones are already gone (see the file comment).
  signal(SIGTERM, SIG_IGN);
  std::unique_ptr<nas::Evaluator> evaluator;
  for (;;) {
    const MPI_Status status = wait_message(0);
    const std::string text = receive(status);
    if (status.MPI_TAG == kStop) {
      send_text(0, kBye, "");
      return 0;
    }
    if (status.MPI_TAG == kJob) {
      json ready = {{"pid", static_cast<int>(getpid())}, {"host", world.host}};
      try {
        nas::EvaluationJob job = nas::EvaluationJob::from_json(text);
        job.workers = options.workers_for(world, job.torch_threads);
        // Ranks sharing a host score on different GPUs, as distributed training does.
        job.net.device = nas::device_for_rank(job.net.device, world.local_rank);
        evaluator = local_evaluator(job);
        ready["capacity"] = job.workers;
        ready["device"] = job.net.device;
      } catch (const std::exception& e) {
        ready["error"] = e.what();
      }
      send_text(0, kReady, ready.dump());
      continue;
    }
    if (status.MPI_TAG != kWork || !evaluator) continue;
    // Everything rank 0 has sent so far is scored as one batch (at most this rank's capacity).
    std::vector<json> batch{json::parse(text)};
    MPI_Status more;
    while (probe(0, kWork, &more)) batch.push_back(json::parse(receive(more)));
    for (std::size_t i = 0; i < batch.size();) {
      std::size_t j = i;
      while (j < batch.size() && batch[j]["proxies"] == batch[i]["proxies"]) ++j;
      std::vector<nas::Arch> archs;
      std::vector<std::uint64_t> ids;
      for (std::size_t k = i; k < j; ++k) {
        archs.emplace_back(batch[k]["space"].get<std::string>(),
                           batch[k]["arch"].get<std::string>());
        ids.push_back(batch[k]["id"].get<std::uint64_t>());
      }
      std::size_t done = 0;
      evaluator->set_listener(
          [&](const nas::Evaluation& e) { send_text(0, kResult, records_json(ids[done++], e)); });
      try {
        evaluator->evaluate_subset(archs, batch[i]["proxies"].get<std::vector<std::size_t>>());
      } catch (const std::exception& e) {
        send_text(0, kFailure, json{{"error", e.what()}}.dump());
      }
      i = j;
    }
  }
}

class MpiEvaluator final : public nas::Evaluator {
 public:
  MpiEvaluator(const nas::EvaluationJob& job, const Options& options) : world_(World::get()) {
    for (const auto& p : job.proxies) names_.push_back(p.name);
    install_termination_watcher();
    const std::string text = job.to_json();
    {
      std::lock_guard<std::timed_mutex> lock(world_.mutex);
      for (int r = 1; r < world_.size; ++r) world_.unanswered.insert(r);
    }
    for (int r = 1; r < world_.size; ++r) send_text(r, kJob, text);
    // Built while the workers build theirs.
    nas::EvaluationJob own = job;
    own.workers = options.workers_for(world_, job.torch_threads);
    own.net.device = nas::device_for_rank(own.net.device, world_.local_rank);
    if (options.coordinator_scores) {
      local_ = local_evaluator(own);
      local_capacity_ = own.workers;
    }
    std::vector<std::string> errors;
    std::vector<WorkerInfo> ready;
    for (int answered = 0; answered < world_.size - 1; ++answered) {
      const MPI_Status status = wait_message(MPI_ANY_SOURCE);
      const json j = json::parse(receive(status));
      {
        std::lock_guard<std::timed_mutex> lock(world_.mutex);
        world_.unanswered.erase(status.MPI_SOURCE);
      }
      WorkerInfo w;
      w.rank = status.MPI_SOURCE;
      w.pid = j.value("pid", 0);
      w.host = j.value("host", std::string("?"));
      if (j.contains("error")) {
        errors.push_back(world_.describe(w) + ": " + j["error"].get<std::string>());
        continue;
      }
      w.capacity = j.value("capacity", 1);
      w.device = j.value("device", std::string("cpu"));
      ready.push_back(std::move(w));
    }
    std::sort(ready.begin(), ready.end(),
              [](const WorkerInfo& a, const WorkerInfo& b) { return a.rank < b.rank; });
    {
      std::lock_guard<std::timed_mutex> lock(world_.mutex);
      world_.workers = std::move(ready);
    }
    if (!errors.empty()) {
      throw nas::Error("worker ranks could not build the evaluation job: " +
                       nas::join(errors, "; "));
    }
    int slots = local_ ? local_capacity_ : 0;
    for (const auto& w : world_.workers) slots += w.capacity;
    spdlog::info(
        "mpi: {} ranks (rank 0 on {}) score {} architectures at once ({}); torch threads {}",
        world_.size, world_.host, slots,
        local_ ? "rank 0 coordinates and scores" : "rank 0 only coordinates", job.torch_threads);
    if (own.net.device != "cpu") {
      std::string devices = "rank 0: " + own.net.device;
      for (const auto& w : world_.workers)
        devices += ", rank " + std::to_string(w.rank) + ": " + w.device;
      spdlog::info("mpi: devices ({})", devices);
    }
  }

  ~MpiEvaluator() override {
    if (world_.failed) return;
    std::string counts = "rank 0: " + std::to_string(world_.coordinator_scored);
    std::vector<std::string> idle;
    for (const auto& w : world_.workers) {
      counts += ", rank " + std::to_string(w.rank) + ": " + std::to_string(w.scored);
      if (w.scored == 0) idle.push_back(std::to_string(w.rank));
    }
    spdlog::info("mpi: architectures scored per rank: {}", counts);
    if (!idle.empty()) {
      spdlog::warn(
          "mpi: rank(s) {} scored nothing: the run never had more than {} architectures to score "
          "at once, fewer than its {} ranks could take; fewer ranks would do",
          nas::join(idle, ", "), world_.largest_batch, world_.size);
    }
  }

  std::vector<std::string> proxy_names() const override { return names_; }

  std::vector<nas::Evaluation> evaluate_subset(const std::vector<nas::Arch>& archs,
                                               const std::vector<std::size_t>& proxies) override {
    const std::size_t n = archs.size();
    world_.largest_batch = std::max(world_.largest_batch, n);
    std::vector<nas::Evaluation> out(n);
    std::vector<bool> have(n, false);
    std::map<std::uint64_t, std::size_t> index;  // id -> position
    std::size_t next = 0, emitted = 0;
    std::future<std::vector<nas::Evaluation>> local;
    std::size_t local_first = 0;
    Idle idle;
    auto checked = Clock::now();
    while (emitted < n) {
      // Hand out: every rank with room gets the next architecture.
      for (auto& w : world_.workers) {
        while (next < n && static_cast<int>(w.outstanding.size()) < w.capacity) {
          const std::uint64_t id = world_.next_id++;
          json work = {{"id", id},
                       {"space", archs[next].space()},
                       {"arch", archs[next].str()},
                       {"proxies", proxies}};
          send_text(w.rank, kWork, work.dump());
          std::lock_guard<std::timed_mutex> lock(world_.mutex);
          w.outstanding[id] = archs[next].str();
          index[id] = next++;
        }
      }
      if (local_ && !local.valid() && next < n) {
        local_first = next;
        const std::size_t count = std::min(n - next, static_cast<std::size_t>(local_capacity_));
        std::vector<nas::Arch> mine(archs.begin() + static_cast<std::ptrdiff_t>(next),
                                    archs.begin() + static_cast<std::ptrdiff_t>(next + count));
        next += count;
        local = std::async(std::launch::async, [this, mine = std::move(mine), proxies] {
          return local_->evaluate_subset(mine, proxies);
        });
      }
      bool progressed = false;
      MPI_Status status;
      while (probe(MPI_ANY_SOURCE, MPI_ANY_TAG, &status)) {
        progressed = true;
        const json j = json::parse(receive(status));
        WorkerInfo* w = worker(status.MPI_SOURCE);
        if (status.MPI_TAG == kFailure) {
          world_.failed = true;
          throw nas::Error("mpi: " + (w ? world_.describe(*w) : "a rank") +
                           " failed: " + j.value("error", std::string("?")));
        }
        if (status.MPI_TAG != kResult || !w) continue;
        const auto id = j.at("id").get<std::uint64_t>();
        {
          std::lock_guard<std::timed_mutex> lock(world_.mutex);
          w->outstanding.erase(id);
          ++w->scored;
        }
        const auto it = index.find(id);
        if (it == index.end()) continue;  // of an earlier call that failed
        out[it->second].arch = archs[it->second];
        out[it->second].scores = records_from(j.at("scores"));
        have[it->second] = true;
      }
      if (local.valid() && local.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        progressed = true;
        std::vector<nas::Evaluation> mine = local.get();
        for (std::size_t k = 0; k < mine.size(); ++k) {
          out[local_first + k] = std::move(mine[k]);
          have[local_first + k] = true;
        }
        world_.coordinator_scored += static_cast<std::int64_t>(mine.size());
      }
      if (emitted < n && have[emitted]) {
        std::lock_guard<std::timed_mutex> lock(world_.mutex);
        while (emitted < n && have[emitted]) notify(out[emitted++]);
      }
      if (progressed) {
        idle.reset();
        continue;
      }
      if (Clock::now() - checked > std::chrono::milliseconds(250)) {
        checked = Clock::now();
        const auto dead = world_.dead_workers();
        // Not an exception: unwinding waits for rank 0's own scoring, and mpirun's SIGKILL
        // may come first. Every row recorded is already written (notify runs on this thread).
        if (!dead.empty()) world_.abort_for(dead);
      }
      idle.wait();
    }
    return out;
  }

 private:
  WorkerInfo* worker(int rank) {
    for (auto& w : world_.workers)
      if (w.rank == rank) return &w;
    return nullptr;
  }

  World& world_;
  std::vector<std::string> names_;
  std::unique_ptr<nas::Evaluator> local_;  // rank 0's own scoring
  int local_capacity_ = 0;
};

class MpiBackend final : public nas::EvaluatorBackend {
 public:
  explicit MpiBackend(Options options) : options_(options) {}

  std::unique_ptr<nas::Evaluator> create(const nas::EvaluationJob& job) const override {
    World& world = World::get();
    if (world.size == 1) {
      // One rank (plain `nas run`, or `mpirun -np 1`): the local evaluator, nothing else.
      nas::EvaluationJob own = job;
      own.workers = options_.workers_for(world, job.torch_threads);
      return local_evaluator(own);
    }
    return std::make_unique<MpiEvaluator>(job, options_);
  }

  std::optional<int> serve_if_worker() const override {
    World& world = World::get();
    if (world.rank == 0) return std::nullopt;
    return serve(options_);
  }

 private:
  Options options_;
};

void register_mpi(nas::PluginRegistrar& r) {
  nas::ParamSchema schema;
  schema.add_int("workers_per_rank", 0,
                 "architectures each rank scores at once (0: its host's cores / the ranks on that "
                 "host / run.torch_threads, at least 1); replaces run.workers",
                 nas::between(0, 1024));
  schema.add_bool("coordinator_scores", true,
                  "rank 0 scores too, in a thread beside the coordination (false: it only hands "
                  "out work)");
  r.add_evaluator("mpi",
                  "scores on every rank of `mpirun -np K nas run ...`: rank 0 runs the pipeline "
                  "and hands architectures to whichever rank is free",
                  schema, [](const nas::Params& p) {
                    Options o;
                    o.workers_per_rank = static_cast<int>(p.get_int("workers_per_rank"));
                    o.coordinator_scores = p.get_bool("coordinator_scores");
                    return std::make_shared<MpiBackend>(o);
                  });
}

}  // namespace

NAS_PLUGIN("mpi", "1.0.0", register_mpi)
