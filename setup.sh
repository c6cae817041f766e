#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine:
#   ./setup.sh run    install packages, build (Release), run configs/quickstart.yaml
#   ./setup.sh test   install packages, build, run the whole test suite (ctest)
#   ./setup.sh build  install packages and build only
#   ./setup.sh test-asan  install packages, build Debug with AddressSanitizer and
#                     UndefinedBehaviorSanitizer in ASAN_BUILD_DIR (default: build-asan), run ctest
# BUILD_DIR (default: build) and JOBS (default: all cores) can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  cmake ninja-build g++ ccache pkg-config
  libtorch-dev libopenblas0-pthread
  libboost-dev libyaml-cpp-dev libtbb-dev libspdlog-dev libgtest-dev
  nlohmann-json3-dev libcli11-dev zlib1g-dev libturbojpeg0-dev
  libopenmpi-dev openmpi-bin libgloo-dev
  dataset-fashion-mnist gnuplot-nox
  python3-torch python3-numpy python3-pil
)
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

case "${1:-run}" in
  run)
    install_packages
    build
    "$BUILD_DIR/bin/nas" run configs/quickstart.yaml
    ;;
  test)
    install_packages
    build
    ctest --test-dir "$BUILD_DIR" -j 2 --output-on-failure
    ;;
  build)
    install_packages
    build
    ;;
  test-asan)
    install_packages
    ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
    cmake -S . -B "$ASAN_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNAS_SANITIZE=ON
    cmake --build "$ASAN_BUILD_DIR" -j "$JOBS"
    # Any report stops the test that made it. Leak checking is off: LibTorch, TBB and the
    # plugins' static registrations keep memory until exit by design, and LeakSanitizer
    # reports those at every exit.
    export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0:check_initialization_order=1:strict_init_order=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
    ctest --test-dir "$ASAN_BUILD_DIR" -j 2 --output-on-failure
    ;;
  *)
    echo "usage: $0 [run|test|build|test-asan]" >&2
    exit 2
    ;;
esac
