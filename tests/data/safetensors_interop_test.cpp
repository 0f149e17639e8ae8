// Python interop (hidden; ctest runs it as "data: safetensors files exchanged with Python" where
// python3 has safetensors and numpy): kiln writes a file of every dtype that Python's safetensors
// must read exactly (safetensors_interop.py), and reads the file Python writes.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace fs = std::filesystem;

TEST_CASE("safetensors files round-trip through Python's safetensors", "[.][interop]") {
  const char* python = std::getenv("KILN_PYTHON");
  const char* script = std::getenv("KILN_INTEROP_SCRIPT");
  REQUIRE(python != nullptr);
  REQUIRE(script != nullptr);
  fs::path dir = fs::temp_directory_path() / ("kiln_interop_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path ours = dir / "kiln.safetensors", theirs = dir / "python.safetensors";

  kiln::NamedTensors tensors = {
      {"f32", kiln::tensor({{1.5, -2.0, 3.0}, {4.0, 5.0, 6.0}})},
      {"f64", kiln::from_vector(std::vector<double>{0.1, -1e300})},
      {"f16", kiln::from_vector(std::vector<float>{1.f, -0.5f, 65504.f}, kiln::kFloat16)},
      {"bf16", kiln::from_vector(std::vector<float>{1.f, -3.f}, kiln::kBFloat16)},
      {"i64", kiln::from_vector(std::vector<int64_t>{INT64_MIN, INT64_MAX})},
      {"i32", kiln::from_vector(std::vector<int32_t>{7, -8}, {2, 1})},
      {"u8", kiln::from_vector(std::vector<uint8_t>{0, 200, 255})},
      {"bool", kiln::from_vector(std::vector<bool>{true, false}, kiln::kBool)},
      {"scalar", kiln::scalar_tensor(2.5)},
  };
  kiln::save(tensors, ours.string(), {{"producer", "kiln"}});
  std::string cmd =
      std::string(python) + " " + script + " " + ours.string() + " " + theirs.string();
  REQUIRE(std::system(cmd.c_str()) == 0);

  kiln::StateDict back = kiln::load(theirs.string());
  std::map<std::string, kiln::Tensor> by_name(back.begin(), back.end());
  REQUIRE(by_name.size() == 5);
  CHECK(by_name["weight"].sizes() == std::vector<int64_t>{2, 3});
  CHECK(by_name["weight"].to_vector<float>() ==
        std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1.f, 1.25f});
  CHECK(by_name["bias"].dtype() == kiln::kFloat64);
  CHECK(by_name["bias"].to_vector<double>() == std::vector<double>{-1, 1});
  CHECK(by_name["steps"].to_vector<int64_t>() == std::vector<int64_t>{3, 1, 2});
  CHECK(by_name["mask"].dtype() == kiln::kBool);
  CHECK(by_name["mask"].to_vector<int64_t>() == std::vector<int64_t>{1, 0});
  CHECK(by_name["half"].dtype() == kiln::kFloat16);
  CHECK(by_name["half"].to_vector<float>() == std::vector<float>{0.25f, 1024.f});
  CHECK(kiln::load_metadata(theirs.string()) == kiln::TensorMetadata{{"producer", "python"}});
  fs::remove_all(dir);
}
