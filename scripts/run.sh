#!/usr/bin/env bash
# Builds kiln and runs the main job on the best device present (CUDA when a GPU is there, else
# the CPU; KILN_DEVICE=cpu|cuda overrides): examples/train_fashion_mnist, an MLP trained on
# Fashion-MNIST for 3 epochs with a kiln::compile'd step (--model cnn for the small CNN; --help).
# Installs missing packages first (setup.sh, which installs dataset-fashion-mnist); extra
# arguments go to the job.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/configure.sh"
cmake --build "$build" --parallel "$jobs" --target train_fashion_mnist

exec "$build/examples/train_fashion_mnist" "$@"
