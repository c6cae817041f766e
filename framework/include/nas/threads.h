// Thread settings for LibTorch work.
//
// Contract: set_compute_threads(n) gives LibTorch's intra-op pool n threads and the BLAS
// library under LibTorch one thread. OpenBLAS (Debian's LibTorch uses it) runs its own pthread
// pool beside LibTorch's OpenMP pool; with both at 2 threads on a 2-core machine they take
// turns on the cores and spin, and proxies ran far slower than with BLAS at one thread. The
// parallelism that BLAS threads would give comes from LibTorch's pool, from proxies splitting
// their own work (at::parallel_for), and from workers over architectures. OpenMP's team size is per thread: call it on every thread that
// runs LibTorch work. BLAS stays at one thread for the rest of the process: matrix products
// LibTorch sends to BLAS (linear layers) run on one core each. Nothing here is needed for
// correctness, only for speed.
#pragma once

namespace nas {

void set_compute_threads(int torch_threads);

// For a plain thread (std::thread) that calls BLAS itself: holds that thread's OpenMP team
// and, under MKL, its MKL threads to one, so BLAS built on OpenMP or MKL does not start a team
// of every core inside each such thread. Other threads are unaffected.
void use_one_thread_here();

// Sets the thread count of the BLAS library loaded in this process, when it exposes one of
// the known entry points (OpenBLAS's openblas_set_num_threads, BLIS's
// bli_thread_set_num_threads). Returns false when none is found: MKL linked statically into
// LibTorch, for instance, follows OpenMP's setting.
bool set_blas_threads(int n);

}  // namespace nas
