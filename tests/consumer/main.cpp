// Uses an installed kiln through find_package(kiln) and kiln::kiln; see CMakeLists.txt here.
#include <iostream>

#include <kiln/kiln.h>

int main() {
  kiln::Tensor t = kiln::ones({2, 2}) + 1;
  std::cout << t << "\n";
  const float sum = t.sum().item<float>();
  if (sum != 8.0f) {
    std::cerr << "kiln_consumer: expected sum 8, got " << sum << "\n";
    return 1;
  }
  std::cout << "kiln_consumer: ok\n";
  return 0;
}
