#!/usr/bin/env bash
# Build and test nas against the LibTorch 2.x inside the PyTorch wheel of the GPU machine
# (see tests/gpu/README.md). Runs from anywhere; works in the repository root.
#
#   tests/gpu/build_and_test.sh            unpack .debs/, configure, build, quickstart, ctest
#
# Environment (all optional):
#   DEBS_DIR    the Debian 12 .deb files (tests/gpu/fetch_debs.sh)  default: .debs
#   DEPS_PREFIX where they are unpacked (never /)                  default: /tmp/nas-deps
#   BUILD_DIR   build tree                                          default: build-gpu
#   LOG_DIR     logs                                                default: $OUT, else $BUILD_DIR/logs
#   PYTHON      the Python that holds torch                         default: python3
#   TORCH_CMAKE_PREFIX  LibTorch's CMake prefix       default: $PYTHON's torch.utils.cmake_prefix_path
#   JOBS        build jobs                                          default: nproc
#   CTEST_JOBS  parallel test executables                           default: nproc
#   CTEST_TIMEOUT  seconds per test executable                      default: 600
#   OMP_NUM_THREADS  LibTorch's default threads                     default: 1 (as Debian's)
#   STAGES      which stages to run                                 default: "deps configure build test quickstart"
#
# Exit status: 0 when every stage that ran passed, else 1. A failed stage stops nothing, except
# that a failed configure or build skips quickstart and ctest (the build errors are listed
# instead). A summary is printed last and written to $LOG_DIR/summary.txt. Logs: at most 8
# files (versions, deps, configure, build, quickstart, ctest, LastTest, summary), the most the
# device tool brings back from $OUT.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

DEBS_DIR=${DEBS_DIR:-.debs}
DEPS_PREFIX=${DEPS_PREFIX:-/tmp/nas-deps}
BUILD_DIR=${BUILD_DIR:-build-gpu}
LOG_DIR=${LOG_DIR:-${OUT:-$BUILD_DIR/logs}}
PYTHON=${PYTHON:-python3}
JOBS=${JOBS:-$(nproc)}
CTEST_JOBS=${CTEST_JOBS:-$(nproc)}
STAGES=${STAGES:-deps configure build test quickstart}
MULTIARCH=x86_64-linux-gnu

mkdir -p "$LOG_DIR" "$BUILD_DIR"
SUMMARY=$LOG_DIR/summary.txt
: >"$SUMMARY"
FAILED=0
note() { echo "$*" | tee -a "$SUMMARY"; }
want() { [[ " $STAGES " == *" $1 "* ]]; }
# stage NAME LOGFILE COMMAND...: runs COMMAND, output to the terminal and LOGFILE, times it.
stage() {
  local name=$1 log=$2
  shift 2
  echo "=== $name ($(date -u +%H:%M:%S))"
  local t0=$SECONDS rc
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  note "$name: rc=$rc, $((SECONDS - t0)) s"
  [ "$rc" -eq 0 ] || FAILED=1
  return "$rc"
}

# --- versions: compilers, CMake, the GPU and the wheel's LibTorch -----------------------------
versions() {
  uname -srm
  (. /etc/os-release 2>/dev/null && echo "os: $PRETTY_NAME")
  echo "cores: $(nproc)"
  command -v g++ >/dev/null && g++ --version | head -1 || echo "g++: not found"
  cmake --version | head -1
  echo "ninja $(ninja --version 2>/dev/null || echo 'not found')"
  command -v nvcc >/dev/null && nvcc --version | tail -2 | head -1 || echo "nvcc: not on PATH"
  command -v nvidia-smi >/dev/null && nvidia-smi -L
  command -v dpkg >/dev/null || echo "dpkg: not found (ar + tar fallback)"
  "$PYTHON" - <<'EOF'
import os, sys, torch
print("python", sys.version.split()[0], sys.executable)
print("torch", torch.__version__, "cuda", torch.version.cuda)
print("torch.cuda.is_available()", torch.cuda.is_available())
if torch.cuda.is_available():
    print("device", torch.cuda.get_device_name(0))
print("torch._C._GLIBCXX_USE_CXX11_ABI", torch._C._GLIBCXX_USE_CXX11_ABI)
print("cmake_prefix_path", torch.utils.cmake_prefix_path)
inc = os.path.join(os.path.dirname(torch.__file__), "include")
print("wheel ships fmt headers:", os.path.isdir(os.path.join(inc, "fmt")))
EOF
}

# --- the Debian packages, unpacked into a prefix of their own ---------------------------------
unpack_debs() {
  case "$DEPS_PREFIX" in "" | /) echo "refusing DEPS_PREFIX='$DEPS_PREFIX'"; return 1 ;; esac
  shopt -s nullglob
  local debs=("$DEBS_DIR"/*.deb)
  [ ${#debs[@]} -gt 0 ] || { echo "no .deb files in $DEBS_DIR (run tests/gpu/fetch_debs.sh)"; return 1; }
  mkdir -p "$DEPS_PREFIX"
  local f
  for f in "${debs[@]}"; do
    if command -v dpkg >/dev/null; then
      dpkg -x "$f" "$DEPS_PREFIX" || return 1
    else
      local data
      data=$(ar t "$f" | grep '^data\.tar') || return 1
      local z
      case "$data" in *.xz) z=-J ;; *.zst) z=--zstd ;; *.gz) z=-z ;; *) z= ;; esac
      ar p "$f" "$data" | tar -x $z -f - -C "$DEPS_PREFIX" || return 1
    fi
    echo "unpacked $(basename "$f")"
  done
  du -sh "$DEPS_PREFIX"
}

if want deps || want configure || want build || want test || want quickstart; then
  stage versions "$LOG_DIR/versions.log" versions
fi
TORCH_PREFIX=${TORCH_CMAKE_PREFIX:-$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)}
want deps && stage deps "$LOG_DIR/deps.log" unpack_debs

P=$DEPS_PREFIX/usr
PLIB=$P/lib/$MULTIARCH
export LD_LIBRARY_PATH=$PLIB:$DEPS_PREFIX/lib/$MULTIARCH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export NAS_FASHION_MNIST_DIR=${NAS_FASHION_MNIST_DIR:-$P/share/datasets/fashion-mnist}
# The wheel's LibTorch starts one OpenMP thread per core; Debian's starts one. With that
# default, ten test programs at once (16 threads each) ran test_nb201 in 186 s instead of
# 2 s, and five test programs died of SIGSEGV (cause not established); with 1, all ran.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# For the test that builds plugins/template against an install (find_package(nas) finds
# Torch and Boost through these), with the generator that is there.
export CMAKE_PREFIX_PATH=$TORCH_PREFIX:$P:$PLIB/cmake${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}
export CMAKE_GENERATOR=${CMAKE_GENERATOR:-Ninja}

configure() {
  [ -n "$TORCH_PREFIX" ] || { echo "$PYTHON cannot import torch"; return 1; }
  # zlib: the carried header (1.2.13); the library the system's libz.so.1 where there is one
  # (same soname; the carried libz.so is an absolute link to /lib), else the carried one.
  local zlib_lib
  zlib_lib=$(ls /usr/lib/$MULTIARCH/libz.so.1 /lib/$MULTIARCH/libz.so.1 2>/dev/null | head -1)
  [ -n "$zlib_lib" ] || zlib_lib=$(ls "$DEPS_PREFIX"/lib/$MULTIARCH/libz.so.1.* | head -1)
  local zlib=(-DZLIB_INCLUDE_DIR="$P/include" -DZLIB_LIBRARY="$zlib_lib")
  # nvcc for the CUDA parts of the wheel's CMake package (found, not used to compile).
  local cuda=()
  if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
    cuda=(-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
  fi
  export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
  # Each carried package is named by its config directory: no search of / can pick up
  # another copy, and no CMAKE_LIBRARY_ARCHITECTURE is needed.
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$P" \
    -DBoost_DIR="$PLIB/cmake/Boost-1.74.0" \
    -Dboost_headers_DIR="$PLIB/cmake/boost_headers-1.74.0" \
    -Dyaml-cpp_DIR="$PLIB/cmake/yaml-cpp" \
    -DTBB_DIR="$PLIB/cmake/TBB" \
    -Dspdlog_DIR="$PLIB/cmake/spdlog" \
    -Dfmt_DIR="$PLIB/cmake/fmt" \
    -DGTest_DIR="$PLIB/cmake/GTest" \
    -Dnlohmann_json_DIR="$P/share/cmake/nlohmann_json" \
    -DCLI11_DIR="$P/share/cmake/CLI11" \
    "${zlib[@]}" "${cuda[@]}"
}
build() {
  # -k 0: report every translation unit that fails, not just the first.
  cmake --build "$BUILD_DIR" -j "$JOBS" -- -k 0
}
# The wheel's libtorch_cpu.so exports its own build of some std::filesystem functions
# (pytorch/pytorch#133437). It is loaded before the system libstdc++, so calls from code built
# here bind to those copies; the test programs that create and remove directories died of
# SIGSEGV. Preloading the system libstdc++ puts its definitions first.
STDCXX=$(g++ -print-file-name=libstdc++.so.6)
run_tests() {
  echo "NAS_FASHION_MNIST_DIR=$NAS_FASHION_MNIST_DIR"
  local torch_lib
  torch_lib=$(dirname "$(find "$TORCH_PREFIX/../.." -name libtorch_cpu.so -print -quit 2>/dev/null)")
  echo "std::filesystem symbols exported by libtorch_cpu.so:" \
    "$(nm -D --defined-only "$torch_lib/libtorch_cpu.so" 2>/dev/null | grep -c 'St10filesystem\|NSt10filesystem')"
  "$BUILD_DIR/bin/test_report" >/dev/null 2>&1
  echo "test_report without the preload: rc=$?"
  LD_PRELOAD=$STDCXX "$BUILD_DIR/bin/test_report" >/dev/null 2>&1
  echo "test_report with $STDCXX preloaded: rc=$?"
  LD_PRELOAD=$STDCXX ctest --test-dir "$BUILD_DIR" -j "$CTEST_JOBS" \
    --timeout "${CTEST_TIMEOUT:-600}" --output-on-failure
}
quickstart() {
  LD_PRELOAD=$STDCXX "$BUILD_DIR/bin/nas" run configs/quickstart.yaml "run.out_dir=$BUILD_DIR/runs/quickstart" &&
    cat "$BUILD_DIR/runs/quickstart/correlation.md" 2>/dev/null
}

BUILT=1
if want configure; then stage configure "$LOG_DIR/configure.log" configure || BUILT=0; fi
if [ $BUILT = 1 ] && want build; then stage build "$LOG_DIR/build.log" build || BUILT=0; fi
if [ $BUILT = 0 ]; then
  # Only the errors: every test would report "Not Run".
  note "not built: ctest and quickstart skipped"
  grep -E "error|FAILED" "$LOG_DIR/build.log" 2>/dev/null | sort | uniq -c | sort -rn | head -40
  STAGES=${STAGES//test/}
  STAGES=${STAGES//quickstart/}
fi
want quickstart && stage quickstart "$LOG_DIR/quickstart.log" quickstart
if want test; then
  stage ctest "$LOG_DIR/ctest.log" run_tests
  cp "$BUILD_DIR/Testing/Temporary/LastTest.log" "$LOG_DIR/LastTest.log" 2>/dev/null
fi

echo "=== summary"
grep -E "torch |cuda.is_available|CXX11_ABI|^g\+\+|^cmake version" "$LOG_DIR/versions.log" 2>/dev/null |
  tee -a "$SUMMARY"
grep -E "tests passed|tests failed|\*\*\*|Failed|Not Run|Skipped" "$LOG_DIR/ctest.log" 2>/dev/null |
  tee -a "$SUMMARY"
if [ -f "$LOG_DIR/LastTest.log" ]; then
  # GoogleTest's own counts, summed over the test executables (GTEST_SKIP shows only here).
  awk '/^\[  PASSED  \]/ {p += $4} /^\[  SKIPPED \]/ && /tests?,/ {s += $4}
       /^\[  FAILED  \]/ && /tests?,/ {f += $4}
       END {printf "googletest: %d passed, %d skipped, %d failed\n", p, s, f}' \
    "$LOG_DIR/LastTest.log" | tee -a "$SUMMARY"
  grep -E "^\[  (SKIPPED|FAILED)  ?\] [A-Za-z]" "$LOG_DIR/LastTest.log" |
    sed -E 's/ \([0-9]+ ms\)$//' | sort -u | tee -a "$SUMMARY"
fi
exit "$FAILED"
