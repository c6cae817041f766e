#include "nas/threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>

namespace nas {

bool set_blas_threads(int n) {
  using SetThreads = void (*)(int);
  // Looked up at run time: the BLAS is whatever LibTorch was linked against, and the core must
  // not link one itself.
  static const SetThreads setter = [] {
    for (const char* name : {"openblas_set_num_threads", "bli_thread_set_num_threads"}) {
      if (void* f = ::dlsym(RTLD_DEFAULT, name)) return reinterpret_cast<SetThreads>(f);
    }
    return SetThreads(nullptr);
  }();
  if (!setter) return false;
  setter(std::max(1, n));
  return true;
}

void set_compute_threads(int torch_threads) {
  // BLAS first: an OpenMP build of OpenBLAS sets OpenMP's team size too, which LibTorch's
  // setting must then override.
  set_blas_threads(1);
  at::set_num_threads(std::max(1, torch_threads));
}

void use_one_thread_here() {
  using SetThreads = void (*)(int);
  // A plain thread starts with OpenMP's default team (every core) and, under MKL, MKL's global
  // setting; both are per-thread settings here, so the caller's threads are not affected.
  static const SetThreads omp =
      reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  static const SetThreads mkl_local =
      reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "mkl_set_num_threads_local"));
  if (omp) omp(1);
  if (mkl_local) mkl_local(1);
}

}  // namespace nas
