#!/usr/bin/env bash
# Downloads, on a Debian 12 machine with apt, the .deb files that tests/gpu/build_and_test.sh
# unpacks on the GPU machine (which can download nothing). Into .debs/ of the repository
# (or $1), which is kept out of git through .git/info/exclude. About 43 MB, 30 of them
# Fashion-MNIST and 9.5 Boost's headers.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST=${1:-.debs}
PACKAGES=(
  libyaml-cpp-dev libyaml-cpp0.7
  libboost1.74-dev
  libtbb-dev libtbb12 libtbbmalloc2 libtbbbind-2-5
  libspdlog-dev libspdlog1.10 libfmt-dev libfmt9
  libgtest-dev nlohmann-json3-dev libcli11-dev
  zlib1g-dev zlib1g
  dataset-fashion-mnist
)
mkdir -p "$DEST"
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qxF "/$DEST/" "$exclude" 2>/dev/null || echo "/$DEST/" >>"$exclude"
rm -f "$DEST"/*.deb
(cd "$DEST" && apt-get download "${PACKAGES[@]}")
ls -l "$DEST"
du -sh "$DEST"
