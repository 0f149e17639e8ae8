#!/usr/bin/env bash
# Builds kiln and runs the main job on the best device present (CUDA when a GPU is there, else
# the CPU; KILN_DEVICE=cpu|cuda overrides). For now the main job is the tour of the tensor API,
# examples/tour.cpp. Installs missing packages first (setup.sh); extra arguments go to the job.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
jobs="${KILN_JOBS:-$(nproc)}"  # KILN_JOBS overrides the core count

"$root/scripts/setup.sh"

# Same configuration as scripts/test.sh, so the two share build/ without reconfiguring.
if [[ -f "$build/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$build/CMakeCache.txt"; then
  rm -rf "$build/CMakeCache.txt" "$build/CMakeFiles"
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKILN_WERROR=ON \
  -DKILN_BUILD_TESTS=ON -DKILN_BUILD_EXAMPLES=ON
cmake --build "$build" --parallel "$jobs" --target tour

exec "$build/examples/tour" "$@"
