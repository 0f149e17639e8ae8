#!/usr/bin/env bash
# Installs the Debian packages kiln needs to build, test and run, and the python modules of the
# safetensors interop test. Idempotent: checks each package with dpkg-query (each module with an
# import) and prints nothing when everything is already there. Runs `apt-get update` only if an
# install fails (for instance on a machine with no package lists). Optional packages and the
# python modules only warn when they cannot be installed (offline, say).
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
# Python modules of the safetensors interop test (tests/data/safetensors_interop.py), for the
# python3 first on PATH (the one CMake finds): Debian's packages where that python3 is Debian's
# and the archive has them, pip otherwise. Optional: a failure (offline, say) only warns, and
# ctest then reports the test as skipped.
python_modules=(numpy safetensors)

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

# The python modules from Debian's archive, where python3 is Debian's own (not a pyenv or
# virtualenv one) and lacks them; pip brings whatever is still missing afterwards.
python_lacks() { ! python3 -c "import $1" 2>/dev/null; }
if command -v python3 >/dev/null &&
  [[ "$(python3 -c 'import sys; print(sys.prefix)' 2>/dev/null)" == /usr ]]; then
  for module in "${python_modules[@]}"; do
    python_lacks "$module" && optional+=("python3-$module")
  done
  # pip only for a module Debian does not package (safetensors) that is still missing.
  for module in "${python_modules[@]}"; do
    if python_lacks "$module" && python_lacks pip; then
      optional+=(python3-pip)
      break
    fi
  done
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

missing_modules=()
if command -v python3 >/dev/null; then
  for module in "${python_modules[@]}"; do
    python_lacks "$module" && missing_modules+=("$module")
  done
else
  echo "setup.sh: warning: no python3; the safetensors interop test will be skipped" >&2
fi
if ((${#missing_modules[@]})); then
  echo "setup.sh: pip installing ${missing_modules[*]} for $(command -v python3) (optional)"
  pip=(python3 -m pip install -q --disable-pip-version-check --timeout 20 --retries 1)
  # An externally managed python3 (Debian's own, PEP 668) takes them in the user's site only.
  if [[ "$(python3 -c 'import os, sys, sysconfig; print(sys.prefix == sys.base_prefix and
os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))')" == True ]]; then
    pip+=(--user --break-system-packages)
  fi
  if ! "${pip[@]}" "${missing_modules[@]}"; then
    echo "setup.sh: warning: could not install ${missing_modules[*]} for python3 (offline?);" \
      "the safetensors interop test will be skipped" >&2
  fi
fi
