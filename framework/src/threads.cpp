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
  const int n = std::max(1, torch_threads);
  at::set_num_threads(n);
  set_blas_threads(1);
}

}  // namespace nas
