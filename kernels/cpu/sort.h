// The CPU row sort behind kiln's argsort (and so sort and topk): every row of a strided view
// along one axis sorted independently, in O(n log n) per row, rows split over kiln's thread
// pool.
//
// Order: ascending, or descending; NaN sorts as the largest value (last ascending, first
// descending) and -0.0 equals +0.0, as in PyTorch; the sort is stable (equal values keep their
// index order, in both directions), so the result is deterministic. Each value is mapped to an
// unsigned key whose integer order is that order (complemented when descending) and the rows
// are sorted as (key, index) pairs: 32-bit keys and their index packed into one 64-bit word.
#pragma once

#include <cstdint>

extern "C" {

// In the calling convention of the kernel IR's Extern statement (cpu/externs.h):
//   params = {X base, OUT}
//   args   = {dtype, descending, axis, rank, x_offset, shape[rank], x_strides[rank]}
// X[i0, .., i(rank-1)] = x[x_offset + sum(i_d * x_strides[d])] has dtype `dtype` (a
// kiln::DType value; 16-bit floats are read as their bits); OUT is int64, contiguous in
// `shape`, and receives for each row the positions along `axis` in sorted order. A 0-d X
// (rank 0) is one row of one element.
void kiln_extern_argsort(void* const* params, const int64_t* args);
}
