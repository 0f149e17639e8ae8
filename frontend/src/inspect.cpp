#include "kiln/frontend/inspect.h"

#include <cstdio>
#include <fstream>

#include "kiln/compiler/marks.h"
#include "kiln/compiler/text.h"
#include "kiln/runtime/error.h"
#include "tensor_impl.h"
#include "trace.h"

namespace kiln {

namespace detail {
void write_text_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw Error("[save_graph] cannot write '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error("[save_graph] cannot rename '" + tmp + "' to '" + path + "'");
  }
}
}  // namespace detail

void save_graph(const std::vector<Tensor>& tensors, const std::string& path) {
  std::vector<ir::NodeRef> nodes;
  for (const auto& t : tensors) {
    detail::check_defined("save_graph", t);
    nodes.push_back(t.node());
  }
  // Autograd marks (a detached softmax shift, a leaf's id) mean nothing to the compiler: the
  // file holds the graph a program would compile, as KILN_DUMP_DIR writes it.
  detail::write_text_file(path, ir::print_graph(ir::strip_marks(nodes)));
}

const void* storage_address(const Tensor& t) {
  detail::check_defined("storage_address", t);
  detail::refuse_read_in_trace("storage_address");
  t.eval();
  return t.impl()->storage->node->buffer()->data();
}

}  // namespace kiln
