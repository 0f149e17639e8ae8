#!/usr/bin/env bash
# Compute cost of kiln-bench's elementwise_chain kernel body on one core, data in cache:
#   tools/bench/kernel_ticks/run.sh [build-dir] [ENV=VALUE,...]...
# Each argument after the build dir is a variant: comma-separated environment settings under
# which kiln-bench compiles the kernel (none: one variant as built). The kernel object is taken
# from a fresh KILN_CACHE_DIR (the ELF after the cache entry's header), its loop body
# `<kernel>.par0` is made global with objcopy and linked into harness.c, which runs the
# variants interleaved on CPU 1. Needs gcc, objcopy, taskset; x86-64 with kiln's LLVM backend.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-build}"
shift || true
[ $# -eq 0 ] && set -- ""
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
objects=()
table=""
decls=""
i=0
for variant in "$@"; do
  cache="$work/cache$i"
  env ${variant//,/ } KILN_CACHE_DIR="$cache" "$build/tools/kiln-bench" -w elementwise_chain \
    --reps 1 >/dev/null
  entry="$(ls -S "$cache"/* | head -1)"  # the chain's kernel is the largest object
  offset="$(grep -obUaP '\x7fELF' "$entry" | head -1 | cut -d: -f1)"
  tail -c +"$((offset + 1))" "$entry" >"$work/raw$i.o"
  body="$(nm "$work/raw$i.o" | awk '/\.par0$/ {print $3}')"
  wrapper="$(nm "$work/raw$i.o" | awk '$2 == "T" {print $3}')"
  objcopy --redefine-sym "$body=kernel$i" --globalize-symbol="kernel$i" \
    --redefine-sym "$wrapper=wrapper$i" --localize-symbol="wrapper$i" \
    "$work/raw$i.o" "$work/v$i.o"
  objects+=("$work/v$i.o")
  decls+="void kernel$i(void**, long, long);"
  table+="{kernel$i, \"${variant:-as built}\"},"
  i=$((i + 1))
done
cat >"$work/variants.c" <<EOC
$decls
struct Variant { void (*fn)(void**, long, long); const char* name; };
struct Variant kVariants[] = {$table};
int kVariantCount = $i;
EOC
gcc -O2 "$here/harness.c" "$work/variants.c" "${objects[@]}" -o "$work/harness"
taskset -c 1 "$work/harness"
