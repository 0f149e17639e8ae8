#!/usr/bin/env python3
"""PyTorch peer of kiln-bench: the very same workloads, sizes and timing method.

Runs each workload with PyTorch eager and with torch.compile (where it works; a failure is
reported as one line on stderr, not a crash) and prints a table, or with --json one JSON object
per line with the keys of kiln-bench's --json output plus "impl" ("torch_eager" or
"torch_compile"). "name" is the workload name.

Timing (as kiln-bench, tools/bench/measure.h): inputs created first (torch.rand, fixed seed);
the op run once as the warm-up (compile_ms = its wall time up to torch.cuda.synchronize(); for
torch.compile that includes compilation); then timed samples (at least --reps samples and
--min-time seconds, at most --max-time seconds), each sample --batch calls back to back and then
torch.cuda.synchronize() (on CUDA), timed with time.perf_counter; a call's time is the sample's
/ batch (default batch: 1 on cpu, 10 on cuda). median_ms / min_ms over the samples. gbps = (bytes
the math must read + write) / median; gflops = 2*M*N*K / median for matmul, 0 for the
memory-bound workloads. f32 matmul runs with PyTorch's default precision (TF32 off, "highest");
the script sets no TF32 flag (mixing PyTorch's old and new TF32 APIs breaks torch.compile) and
reports on stderr if the default was changed.

Sizes (--scale multiplies 1-D lengths and row counts by SCALE, each matmul dim by cbrt(SCALE)):
  cpu:  copy/elementwise_chain/sum 2^24 f32; softmax/layernorm/sort [4096,1024] f32 (sort: the
        sorted values along dim 1); matmul 1024^3 f32
  cuda: copy/elementwise_chain/sum 2^26 f32; softmax/layernorm [8192,4096] f32 and bf16;
        matmul 4096^3 f32 and bf16
If torch cannot be imported this prints one line saying so and exits 0.
"""

import argparse
import json
import os
import statistics
import sys
import time

NAMES = ["copy", "elementwise_chain", "softmax", "layernorm", "sum", "sort", "matmul",
         "small_step"]


def note(msg):
    print(msg, file=sys.stderr, flush=True)


def scaled(n, scale):
    return max(1, int(round(n * scale)))


def shape_str(s):
    return "[" + ",".join(str(v) for v in s) + "]"


def make_workloads(torch, device, scale, only):
    cuda = device == "cuda"
    n = scaled(2**26 if cuda else 2**24, scale)
    rows = scaled(8192 if cuda else 4096, scale)
    cols = 4096 if cuda else 1024
    mm = scaled(4096 if cuda else 1024, scale ** (1.0 / 3.0))
    dtypes = [torch.float32] + ([torch.bfloat16] if cuda else [])
    F = torch.nn.functional

    def layernorm(x, w, b):
        # The same formula kiln-bench writes out (kiln has no layer_norm yet).
        mean = x.mean(dim=1, keepdim=True)
        var = x.var(dim=1, unbiased=False, keepdim=True)
        return (x - mean) / torch.sqrt(var + 1e-5) * w + b

    wl = []

    def add(name, shape, dtype, nbytes, flops, inputs, fn):
        if not only or name in only:
            wl.append(dict(name=name, shape=shape, dtype=dtype, bytes=nbytes, flops=flops,
                           inputs=inputs, fn=fn))

    f32 = 4
    add("copy", shape_str([n]), torch.float32, 2 * n * f32, 0,
        lambda: [torch.rand(n, device=device)], lambda x: x.clone())
    add("elementwise_chain", shape_str([n]), torch.float32, 2 * n * f32, 0,
        lambda: [torch.rand(n, device=device)],
        lambda x: F.gelu(x * 1.5 + 0.5) * torch.sigmoid(x))
    for dt in dtypes:
        es = torch.tensor([], dtype=dt).element_size()
        add("softmax", shape_str([rows, cols]), dt, 2 * rows * cols * es, 0,
            lambda dt=dt: [torch.rand(rows, cols, device=device, dtype=dt)],
            lambda x: torch.softmax(x, 1))
    for dt in dtypes:
        es = torch.tensor([], dtype=dt).element_size()
        add("layernorm", shape_str([rows, cols]), dt, (2 * rows * cols + 2 * cols) * es, 0,
            lambda dt=dt: [torch.rand(rows, cols, device=device, dtype=dt),
                           torch.rand(cols, device=device, dtype=dt),
                           torch.rand(cols, device=device, dtype=dt)],
            layernorm)
    add("sum", shape_str([n]), torch.float32, (n + 1) * f32, 0,
        lambda: [torch.rand(n, device=device)], lambda x: x.sum())
    if not cuda:
        add("sort", shape_str([rows, cols]), torch.float32, 2 * rows * cols * f32, 0,
            lambda: [torch.rand(rows, cols, device=device)],
            lambda x: torch.sort(x, 1).values)
    for dt in dtypes:
        es = torch.tensor([], dtype=dt).element_size()
        add("matmul", shape_str([mm, mm]) + "@" + shape_str([mm, mm]), dt,
            3 * mm * mm * es, 2.0 * mm * mm * mm,
            lambda dt=dt: [torch.rand(mm, mm, device=device, dtype=dt),
                           torch.rand(mm, mm, device=device, dtype=dt)],
            lambda a, b: a @ b)
    # Per-step overhead: a small program (matmul, softmax epilogue, residual) whose time is
    # launch latency and host work, not bandwidth. Fixed size (no --scale).
    add("small_step", shape_str([64, 256]) + "@" + shape_str([256, 256]), torch.float32,
        (2 * 64 * 256 + 256 * 256) * f32, 2.0 * 64 * 256 * 256,
        lambda: [torch.rand(64, 256, device=device), torch.rand(256, 256, device=device)],
        lambda x, w: x + torch.softmax(x @ w, 1) * 256.0)
    return wl


def time_one(torch, fn, inputs, device, args):
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    sync()
    t0 = time.perf_counter()
    out = fn(*inputs)
    sync()
    compile_ms = (time.perf_counter() - t0) * 1e3
    times = []
    start = time.perf_counter()
    while len(times) < max(1, args.reps) or (time.perf_counter() - start) < args.min_time:
        t0 = time.perf_counter()
        for _ in range(args.batch):
            y = fn(*inputs)
            del y
        sync()
        times.append((time.perf_counter() - t0) * 1e3 / args.batch)
        if time.perf_counter() - start >= args.max_time:
            break
    return out, compile_ms, times


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-w", "--workload", action="append", default=[],
                    help="run only these (repeatable or a comma list)")
    ap.add_argument("-d", "--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--reps", type=int, default=10, help="at least this many timed samples")
    ap.add_argument("--batch", type=int, default=0,
                    help="calls per timed sample (default: 1 on cpu, 10 on cuda)")
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--max-time", type=float, default=30.0,
                    help="stop sampling a workload after this many seconds")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--impl", choices=["all", "eager", "compile"], default="all")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="torch.set_num_threads (default: os.cpu_count())")
    args = ap.parse_args()
    if args.batch <= 0:
        args.batch = 10 if args.device == "cuda" else 1
    only = [w for arg in args.workload for w in arg.split(",") if w]
    # kiln-bench passes every workload it ran; those without a PyTorch version here (mlp_step,
    # mlp_step_eager, mlp_train, cnn_train, loader) are skipped with a note, not an error.
    missing = [w for w in only if w not in NAMES]
    if missing:
        note(f"peer: no PyTorch version of {', '.join(missing)} (one of {', '.join(NAMES)})")
        only = [w for w in only if w in NAMES]
        if not only:
            return 0

    try:
        import torch
    except Exception as e:  # ImportError, or a broken install
        # On stdout even under --json (readers of JSON lines skip lines not starting with "{"),
        # so that kiln-bench --compare shows it in order.
        print(f"peer skipped: torch not importable ({type(e).__name__}: {e}) "
              f"with {sys.executable}", flush=True)
        return 0
    if args.device == "cuda" and not torch.cuda.is_available():
        note("peer skipped: torch.cuda is not available on this machine")
        return 0
    torch.set_num_threads(max(1, args.threads))
    if args.device == "cuda":
        precision = torch.get_float32_matmul_precision()
        if precision != "highest":
            note(f"peer: float32 matmul precision is {precision!r}, not PyTorch's default "
                 "'highest' (TF32 off): f32 matmul numbers are not comparable")

    impls = []
    if args.impl in ("all", "eager"):
        impls.append("torch_eager")
    if args.impl in ("all", "compile"):
        impls.append("torch_compile")

    rows = []
    for w in make_workloads(torch, args.device, args.scale, only):
        torch.manual_seed(args.seed)
        with torch.no_grad():
            inputs = w["inputs"]()
            if args.device == "cuda":
                torch.cuda.synchronize()
            ref = None
            for impl in impls:
                fn = w["fn"]
                try:
                    if impl == "torch_compile":
                        torch._dynamo.reset()
                        fn = torch.compile(fn)
                    out, compile_ms, times = time_one(torch, fn, inputs, args.device, args)
                except Exception as e:  # torch.compile needs a working C++ toolchain etc.
                    msg = str(e).strip().splitlines()
                    note(f"peer: {impl} failed for {w['name']} ({w['dtype']}): "
                         f"{type(e).__name__}: {msg[0] if msg else ''}")
                    continue
                if ref is None:
                    ref = out
                elif not torch.allclose(out.float(), ref.float(), rtol=2e-2, atol=1e-3):
                    note(f"peer: {impl} result for {w['name']} differs from eager's")
                med = statistics.median(times)
                dtype = str(w["dtype"]).replace("torch.", "")
                row = {
                    "name": w["name"], "device": args.device, "shape": w["shape"],
                    "dtype": dtype, "median_ms": round(med, 4), "min_ms": round(min(times), 4),
                    "gbps": round(w["bytes"] / (med * 1e-3) / 1e9, 2),
                    "gflops": round(w["flops"] / (med * 1e-3) / 1e9, 2),
                    "compile_ms": round(compile_ms, 3), "impl": impl,
                }
                rows.append(row)
                if args.json:
                    print(json.dumps(row), flush=True)
    if not args.json:
        print(f"{'workload':<18} {'impl':<14} {'shape':<24} {'dtype':<9} {'median_ms':>10} "
              f"{'min_ms':>10} {'GB/s':>8} {'GFLOP/s':>9} {'compile_ms':>11}")
        for r in rows:
            print(f"{r['name']:<18} {r['impl']:<14} {r['shape']:<24} {r['dtype']:<9} "
                  f"{r['median_ms']:>10.3f} {r['min_ms']:>10.3f} {r['gbps']:>8.1f} "
                  f"{r['gflops']:>9.1f} {r['compile_ms']:>11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
