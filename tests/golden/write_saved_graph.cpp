// Writes a graph with kiln::save_graph to the file named by its argument (a linear layer, relu
// and softmax, and the sum of the result as a second output), for check_dump_file.cmake to read
// back with kiln-dump.
#include <exception>
#include <iostream>

#include <kiln/kiln.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_saved_graph FILE\n";
    return 2;
  }
  try {
    kiln::Tensor x = kiln::randn({8, 16}), w = kiln::randn({4, 16}), b = kiln::randn({4});
    kiln::eval({x, w, b});
    kiln::Tensor y = kiln::softmax(kiln::relu(kiln::nn::functional::linear(x, w, b)), 1);
    kiln::save_graph({y, y.sum()}, argv[1]);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
