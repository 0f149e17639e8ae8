// Tensors to and from plain host memory (see host_data.h).
#include "host_data.h"

#include "kiln/runtime/error.h"
#include "tensor_impl.h"

namespace kiln::detail {

HostBytes host_bytes(const Tensor& t) {
  check_defined("host_bytes", t);
  Tensor c = t.is_contiguous() ? t : t.contiguous();
  runtime::BufferPtr buf = c.impl()->storage->node->buffer();
  if (buf == nullptr) {
    c.eval();
    buf = c.impl()->storage->node->buffer();
  }
  KILN_CHECK(buf != nullptr, "realized storage without a buffer");
  int64_t item = itemsize(c.dtype());
  int64_t offset = c.impl()->offset;
  KILN_CHECK(offset >= 0 && offset + c.numel() <= buf->numel(), "view past its buffer");
  if (!buf->device().is_cpu()) {
    // Only the view's elements (a dataset's row of a whole-dataset tensor, say) come over.
    buf = runtime::copy_range_to(*buf, offset, c.numel(), Device(kCPU));
    offset = 0;
  }
  HostBytes out;
  out.data = static_cast<const std::byte*>(buf->data()) + offset * item;
  out.nbytes = static_cast<size_t>(c.numel() * item);
  out.owner = std::move(buf);
  return out;
}

Tensor tensor_from_buffer(runtime::BufferPtr buffer, const Shape& shape) {
  KILN_CHECK(buffer != nullptr && buffer->numel() == numel_of(shape), "buffer size != shape");
  Tensor t = Tensor::from_node(ir::load(std::move(buffer), {numel_of(shape)}));
  return shape.size() == 1 ? t : t.view(shape);
}

}  // namespace kiln::detail
