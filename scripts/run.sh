#!/usr/bin/env bash
# Builds kiln and runs the main job on the best device present (CUDA when a GPU is there, else
# the CPU; KILN_DEVICE=cpu|cuda overrides). For now the main job is the tour of the tensor API,
# examples/tour.cpp. Installs missing packages first (setup.sh); extra arguments go to the job.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/configure.sh"
cmake --build "$build" --parallel "$jobs" --target tour

exec "$build/examples/tour" "$@"
