// Error types. A user mistake throws kiln::Error or a subclass whose message starts with the
// op's name in brackets and gives the numbers; a broken internal invariant throws InternalError.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace kiln {

/// Base of every error kiln throws for a user mistake.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// Shapes that do not fit together (broadcasting, matmul, cat, reshape, view).
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A dtype the op does not accept.
class DTypeError : public Error {
 public:
  using Error::Error;
};

/// Tensors on different devices, or a device that is not present.
class DeviceError : public Error {
 public:
  using Error::Error;
};

/// An index or dimension out of range.
class IndexError : public Error {
 public:
  using Error::Error;
};
/// PyTorch's message for an index past a dim: "[op] index 5 is out of bounds for dimension 0
/// with size 3".
IndexError index_out_of_bounds(const std::string& op, int64_t index, int64_t dim, int64_t size);

/// A kernel failed to compile; the message carries the compiler log.
class CompileError : public Error {
 public:
  using Error::Error;
};

/// Device or host memory ran out.
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

/// A file (saved graph, safetensors, IDX) that does not follow its format.
class FormatError : public Error {
 public:
  using Error::Error;
};

/// A value was read where none may be (for example inside a traced function).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// A broken internal invariant: a bug in kiln, never a user mistake.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& what) : std::logic_error(what) {}
};

[[noreturn]] void throw_internal(const char* file, int line, const std::string& what);

}  // namespace kiln

/// Checks an internal invariant; throws InternalError with file:line when it fails.
#define KILN_CHECK(cond, msg)                                     \
  do {                                                            \
    if (!(cond)) ::kiln::throw_internal(__FILE__, __LINE__, msg); \
  } while (false)
