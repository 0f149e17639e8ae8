#!/usr/bin/env python3
"""Writes the committed corpus of malformed inputs: tests/corpus/{safetensors,idx,labels,graph}/.

Every file must make its parser throw a kiln::Error (tests/data/corpus_test.cpp replays them;
the libFuzzer targets in tools/fuzz take the folders as seed corpora; labels/ holds IDX label
files that parse but whose values are not MNIST classes). Gzip members carry mtime 0, so the
output is the same on every run. Run from anywhere:
    python3 tests/corpus/make_corpus.py
"""
import gzip
import json
import os
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))


def write(kind, name, data):
    os.makedirs(os.path.join(ROOT, kind), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(ROOT, kind, name), "wb") as f:
        f.write(data)


# ---- safetensors -----------------------------------------------------------------------------
def st(header, data=b"", length=None):
    text = header if isinstance(header, str) else json.dumps(header)
    raw = text.encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


good = st({"a": entry("F32", [2], 0, 8)}, b"\0" * 8)
write("safetensors", "empty", b"")
write("safetensors", "truncated_length", good[:5])
write("safetensors", "truncated_header", good[:20])
write("safetensors", "truncated_data", good[:-3])
write("safetensors", "huge_header_length", struct.pack("<Q", 2**64 - 1) + b"{}")
write("safetensors", "header_over_limit", struct.pack("<Q", 200_000_000) + b"{}")
write("safetensors", "not_json", st("{\"a\": nope}"))
write("safetensors", "not_object", st("[1, 2, 3]"))
write("safetensors", "json_string", st("\"hello\""))
write("safetensors", "deep_nesting", st("{\"a\":" + "[" * 50000 + "]" * 50000 + "}"))
write("safetensors", "entry_not_object", st({"a": 5}))
write("safetensors", "missing_dtype", st({"a": {"shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4))
write("safetensors", "missing_offsets", st({"a": {"dtype": "F32", "shape": [1]}}, b"\0" * 4))
write("safetensors", "unknown_dtype", st({"a": entry("F8_E5M2", [1], 0, 1)}, b"\0"))
write("safetensors", "dtype_not_string", st({"a": entry(3, [1], 0, 1)}, b"\0"))
write("safetensors", "negative_dim", st({"a": entry("U8", [-1], 0, 0)}))
write("safetensors", "float_dim", st({"a": entry("U8", [1.5], 0, 1)}, b"\0"))
write("safetensors", "shape_overflow", st({"a": entry("F64", [2**32, 2**32, 2**32], 0, 0)}))
write("safetensors", "shape_bytes_mismatch", st({"a": entry("F32", [3], 0, 8)}, b"\0" * 8))
write("safetensors", "offsets_past_end", st({"a": entry("F32", [2], 0, 8)}, b"\0" * 4))
write("safetensors", "offsets_huge", st({"a": entry("U8", [1], 2**64 - 2, 2**64 - 1)}, b"\0"))
write("safetensors", "offsets_reversed", st({"a": entry("U8", [0], 4, 0)}, b"\0" * 4))
write("safetensors", "offsets_three", st({"a": {"dtype": "U8", "shape": [1],
                                              "data_offsets": [0, 1, 2]}}, b"\0"))
write("safetensors", "overlapping", st({"a": entry("U8", [4], 0, 4), "b": entry("U8", [4], 2, 6)},
                                       b"\0" * 6))
write("safetensors", "duplicate_range", st({"a": entry("U8", [4], 0, 4),
                                            "b": entry("U8", [4], 0, 4)}, b"\0" * 4))
write("safetensors", "gap", st({"a": entry("U8", [2], 2, 4)}, b"\0" * 4))
write("safetensors", "trailing_bytes", st({"a": entry("U8", [2], 0, 2)}, b"\0" * 4))
write("safetensors", "metadata_not_strings", st({"__metadata__": {"k": [1]}}))
write("safetensors", "metadata_not_object", st({"__metadata__": "x"}))
write("safetensors", "duplicate_keys",
      st('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},'
         '"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', b"\0" * 4))
write("safetensors", "binary_garbage", bytes(range(256)) * 3)

# ---- idx -------------------------------------------------------------------------------------
def gz(data, layers=1):
    for _ in range(layers):
        data = gzip.compress(data, mtime=0)
    return data


def idx(dims, data, kind=0x08, magic=b"\0\0"):
    return magic + bytes([kind, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


write("idx", "empty", b"")
write("idx", "truncated_magic", b"\0\0\x08")
write("idx", "wrong_magic", idx([2], b"\1\2", magic=b"\x42\x42"))
write("idx", "element_type_float", idx([1], b"\0\0\0\0", kind=0x0D))
write("idx", "no_dimensions", idx([], b""))
write("idx", "truncated_dims", b"\0\0\x08\x03\0\0\0\x05")
write("idx", "truncated_data", idx([60000, 28, 28], b"\0" * 100))
write("idx", "trailing_data", idx([2], b"\0" * 5))
write("idx", "huge_dims", idx([0xFFFFFFFF] * 4, b""))
write("idx", "many_dims", b"\0\0\x08\xff" + b"\0\0\0\x01" * 10)
write("idx", "gzip_truncated", gz(idx([4], b"abcd"))[:-10])
write("idx", "gzip_corrupt", b"\x1f\x8b\x08\0\0\0\0\0\0\x03" + b"\xff" * 40)
write("idx", "gzip_of_garbage", gz(b"\x42" * 64))
write("idx", "gzip_header_only", b"\x1f\x8b")
write("idx", "gzip_in_gzip", gz(idx([4], b"abcd"), layers=2))
write("idx", "gzip_nested_deep", gz(idx([4], b"abcd"), layers=40))
write("idx", "gzip_of_gzip_header", gz(b"\x1f\x8b"))
write("idx", "gzip_bomb_in_gzip", gz(b"\0" * (1 << 20), layers=2))

# ---- labels: valid IDX, values outside MNIST's 10 classes -------------------------------------
write("labels", "label_10", idx([3], b"\x01\x0a\x02"))
write("labels", "label_255_first", idx([2], b"\xff\x00"))
write("labels", "gzip_label_last", gz(idx([1000], b"\x09" * 999 + b"\x0b")))

# ---- graph text ------------------------------------------------------------------------------
write("graph", "empty", "")
write("graph", "no_return", "%0 = load() {buffer=7} : f32[2, 3] @cpu\n")
write("graph", "unknown_op", "%0 = frobnicate() : f32[2] @cpu\nreturn %0\n")
write("graph", "undefined_operand", "%1 = neg(%0) : f32[2] @cpu\nreturn %1\n")
write("graph", "bad_dtype", "%0 = load() {buffer=1} : q7[2] @cpu\nreturn %0\n")
write("graph", "bad_shape", "%0 = load() {buffer=1} : f32[2, -3] @cpu\nreturn %0\n")
write("graph", "huge_shape", "%0 = load() {buffer=1} : f32[99999999999999999999999] @cpu\nreturn %0\n")
write("graph", "shape_mismatch",
      "%0 = load() {buffer=1} : f32[2] @cpu\n%1 = load() {buffer=2} : f32[3] @cpu\n"
      "%2 = add(%0, %1) : f32[2] @cpu\nreturn %2\n")
write("graph", "unterminated_attrs", "%0 = const() {scalar=2 : f32[2] @cpu\nreturn %0\n")
write("graph", "bad_scalar", "%0 = const() {scalar=abc} : f32[2] @cpu\nreturn %0\n")
write("graph", "bad_device", "%0 = load() {buffer=1} : f32[2] @tpu\nreturn %0\n")
write("graph", "redefined", "%0 = load() {buffer=1} : f32[2] @cpu\n"
                             "%0 = load() {buffer=2} : f32[2] @cpu\nreturn %0\n")
write("graph", "return_unknown", "%0 = load() {buffer=1} : f32[2] @cpu\nreturn %5\n")
write("graph", "truncated_line", "%0 = load() {buffer=1} : f32[2")
write("graph", "garbage", bytes(range(1, 256)))
write("graph", "reduce_bad_axis", "%0 = load() {buffer=1} : f32[2, 3] @cpu\n"
                                  "%1 = sum(%0) {ints=[7]} : f32[2, 1] @cpu\nreturn %1\n")
