#!/usr/bin/env python3
"""Interop check run by tests/data/safetensors_interop_test.cpp (ctest, only where python3 has
safetensors and numpy): reads the file kiln wrote (argv[1]) with Python's safetensors and checks
every tensor, then writes argv[2] for kiln to read back."""
import json
import struct
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

kiln_path, out_path = sys.argv[1], sys.argv[2]

expected = {
    "f32": np.array([[1.5, -2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32),
    "f64": np.array([0.1, -1e300], dtype=np.float64),
    "f16": np.array([1.0, -0.5, 65504.0], dtype=np.float16),
    "i64": np.array([-(2**63), 2**63 - 1], dtype=np.int64),
    "i32": np.array([[7], [-8]], dtype=np.int32),
    "u8": np.array([0, 200, 255], dtype=np.uint8),
    "bool": np.array([True, False], dtype=np.bool_),
    "scalar": np.array(2.5, dtype=np.float32),
}

with safe_open(kiln_path, framework="numpy") as f:
    keys = set(f.keys())
    assert keys == set(expected) | {"bf16"}, keys
    assert f.metadata() == {"producer": "kiln"}, f.metadata()
    for name, want in expected.items():
        got = f.get_tensor(name)
        assert got.dtype == want.dtype and got.shape == want.shape, (name, got.dtype, got.shape)
        assert np.array_equal(got, want), (name, got, want)

# numpy has no bfloat16: check its raw bytes through the header.
with open(kiln_path, "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8 : 8 + n])
info = header["bf16"]
assert info["dtype"] == "BF16" and info["shape"] == [2], info
begin, end = info["data_offsets"]
bits = np.frombuffer(raw[8 + n + begin : 8 + n + end], dtype="<u2").astype(np.uint32) << 16
assert np.array_equal(bits.view(np.float32), np.array([1.0, -3.0], dtype=np.float32)), bits

save_file(
    {
        "weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
        "bias": np.array([-1.0, 1.0], dtype=np.float64),
        "steps": np.array([3, 1, 2], dtype=np.int64),
        "mask": np.array([[True], [False]], dtype=np.bool_),
        "half": np.array([0.25, 1024.0], dtype=np.float16),
    },
    out_path,
    metadata={"producer": "python"},
)
print("python read kiln's file and wrote", out_path)
