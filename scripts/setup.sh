#!/usr/bin/env bash
# Installs the Debian packages kiln needs to build, test and run. Idempotent: checks each
# package with dpkg-query and prints nothing when everything is already there. Runs
# `apt-get update` only if an install fails (for instance on a machine with no package lists).
set -euo pipefail

# Needed to configure, build and test (Debian 12 names).
#   libzstd-dev: LLVM 19's exported LLVMSupport links zstd::libzstd_shared.
required=(
  g++ cmake ninja-build
  llvm-19-dev zlib1g-dev libzstd-dev
  libfmt-dev catch2 libcli11-dev nlohmann-json3-dev
)
# Installed when the archive offers them; a failure here only warns.
#   dataset-fashion-mnist: the main job's data (examples/train_fashion_mnist, scripts/run.sh).
optional=(dataset-fashion-mnist)

sudo=()
if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    echo "setup.sh: not root and no sudo; install as root: ${required[*]}" >&2
    exit 1
  fi
fi

is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

has_candidate() {
  local candidate
  candidate="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
  [[ -n "$candidate" && "$candidate" != "(none)" ]]
}

apt_install() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "$@"
}

updated=0
apt_update() {
  echo "setup.sh: apt-get update"
  "${sudo[@]}" apt-get update -q
  updated=1
}

missing=()
for pkg in "${required[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}"
  if ! apt_install "${missing[@]}"; then
    apt_update
    apt_install "${missing[@]}"
  fi
fi

for pkg in "${optional[@]}"; do
  is_installed "$pkg" && continue
  has_candidate "$pkg" || continue
  echo "setup.sh: installing $pkg (optional)"
  if ! apt_install "$pkg"; then
    if ((updated == 0)) && apt_update && apt_install "$pkg"; then
      continue
    fi
    echo "setup.sh: warning: could not install optional package $pkg" >&2
  fi
done
