#include "nas/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "nas/error.h"

namespace nas {

namespace {

volatile std::sig_atomic_t g_forward = 0;

void on_signal(int sig) { g_forward = sig; }

std::string describe(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    // sigabbrev_np needs glibc 2.32; the signals a rank dies of, by hand.
    const char* name = sig == SIGKILL   ? "KILL"
                       : sig == SIGTERM ? "TERM"
                       : sig == SIGINT  ? "INT"
                       : sig == SIGSEGV ? "SEGV"
                       : sig == SIGABRT ? "ABRT"
                       : sig == SIGBUS  ? "BUS"
                       : sig == SIGFPE  ? "FPE"
                       : sig == SIGILL  ? "ILL"
                       : sig == SIGHUP  ? "HUP"
                       : sig == SIGPIPE ? "PIPE"
                                        : nullptr;
    return "was killed by signal " + std::to_string(sig) +
           (name ? " (SIG" + std::string(name) + ")" : std::string());
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw Error("cannot open a socket to find a free port: " + std::string(strerror(errno)));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const std::string why = strerror(errno);
    ::close(fd);
    throw Error("cannot find a free port on 127.0.0.1: " + why);
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

int launch_local(int nproc, const std::vector<std::string>& argv) {
  if (nproc < 1) throw UsageError("--nproc must be at least 1");
  if (std::getenv("WORLD_SIZE") != nullptr) {
    throw UsageError(
        "--nproc starts its own processes; do not combine it with WORLD_SIZE / RANK "
        "(a torchrun-style launch)");
  }
  const std::string port = std::to_string(free_local_port());
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  std::vector<pid_t> pids(static_cast<std::size_t>(nproc), -1);
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      for (pid_t p : pids) {
        if (p > 0) ::kill(p, SIGKILL);
      }
      throw Error("cannot start rank " + std::to_string(r) + ": " + strerror(errno));
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a launcher killed outright takes its ranks along
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGTERM, SIG_DFL);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("RANK", std::to_string(r).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      ::execv(args[0], args.data());
      std::fprintf(stderr, "error: rank %d: cannot run %s: %s\n", r, args[0], strerror(errno));
      _exit(127);
    }
    pids[static_cast<std::size_t>(r)] = pid;
  }

  int result = 0;
  int running = nproc;
  bool stopping = false;
  std::chrono::steady_clock::time_point kill_at{};
  auto stop_all = [&](int sig) {
    for (pid_t p : pids) {
      if (p > 0) ::kill(p, sig);
    }
  };
  while (running > 0) {
    if (g_forward != 0) {
      const int sig = g_forward;
      g_forward = 0;
      stop_all(sig);
      if (!stopping) {
        stopping = true;
        kill_at = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        if (result == 0) result = 128 + sig;
      }
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      int rank = -1;
      for (int r = 0; r < nproc; ++r) {
        if (pids[static_cast<std::size_t>(r)] == pid) rank = r;
      }
      if (rank < 0) continue;
      pids[static_cast<std::size_t>(rank)] = -1;
      --running;
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (!ok && !stopping) {
        std::fprintf(stderr, "error: rank %d of %d %s; stopping the other ranks\n", rank, nproc,
                     describe(status).c_str());
        result = WIFEXITED(status) && WEXITSTATUS(status) == 2 ? 2 : 1;
        stopping = true;
        stop_all(SIGTERM);
        kill_at = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    if (stopping && std::chrono::steady_clock::now() >= kill_at) stop_all(SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return result;
}

}  // namespace nas
