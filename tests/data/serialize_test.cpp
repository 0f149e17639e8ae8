// kiln::save / kiln::load: round trips of every dtype (values bit-exact, order, 0-d and empty
// tensors, views), the file layout the reference writer produces (8-byte padded header,
// aligned data), atomic replacement, and FormatError messages for malformed files.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace fs = std::filesystem;
using kiln::Tensor;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path dir =
      fs::temp_directory_path() / ("kiln_serialize_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

/// A safetensors file from a header text and data bytes.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int b = 0; b < 8; ++b) out[b] = static_cast<char>((n >> (8 * b)) & 0xff);
  return out + header + data;
}

std::string load_error(const std::string& bytes) {
  try {
    kiln::detail::parse_safetensors(bytes, "'t.safetensors'");
  } catch (const kiln::FormatError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("save/load round-trips every dtype bit-exactly, in order", "[serialize]") {
  fs::path dir = temp_dir("dtypes");
  kiln::NamedTensors in = {
      {"u8", kiln::from_vector(std::vector<uint8_t>{0, 1, 254, 255}, {2, 2})},
      {"f64", kiln::from_vector(std::vector<double>{1e-300, -2.5, 3.141592653589793}, {3})},
      {"bool", kiln::from_vector(std::vector<bool>{true, false, true}, {3}, kiln::kBool)},
      {"f32", kiln::from_vector(std::vector<float>{1.5f, -0.f, 3e38f, 1e-42f, 7, 8}, {2, 3})},
      {"f16", kiln::from_vector(std::vector<float>{1.f, -2.f, 0.099975586f, 65504.f}, {4},
                                kiln::kFloat16)},
      {"bf16",
       kiln::from_vector(std::vector<float>{1.f, -2.f, 3.140625f}, {3, 1}, kiln::kBFloat16)},
      {"i64", kiln::from_vector(std::vector<int64_t>{INT64_MIN, -1, INT64_MAX}, {3})},
      {"i32", kiln::from_vector(std::vector<int32_t>{INT32_MIN, 0, INT32_MAX}, {1, 3})},
      {"scalar", kiln::scalar_tensor(4.25)},
      {"empty", kiln::zeros({0, 3})},
  };
  fs::path path = dir / "all.safetensors";
  kiln::save(in, path.string(), {{"format", "pt"}});
  kiln::StateDict out = kiln::load(path.string());
  REQUIRE(out.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    INFO(in[i].first);
    CHECK(out.items()[i].first == in[i].first);
    CHECK(out.items()[i].second.dtype() == in[i].second.dtype());
    CHECK(out.items()[i].second.sizes() == in[i].second.sizes());
    CHECK(out.items()[i].second.device().is_cpu());
    if (kiln::is_floating(in[i].second.dtype())) {
      CHECK(out.items()[i].second.to_vector<double>() == in[i].second.to_vector<double>());
    } else {
      CHECK(out.items()[i].second.to_vector<int64_t>() == in[i].second.to_vector<int64_t>());
    }
  }
  CHECK(kiln::load_metadata(path.string()) == kiln::TensorMetadata{{"format", "pt"}});
  fs::remove_all(dir);
}

TEST_CASE("save writes the reference layout: padded header, aligned data", "[serialize]") {
  fs::path dir = temp_dir("layout");
  fs::path path = dir / "m.safetensors";
  kiln::save(kiln::NamedTensors{{"b", kiln::ones({3}, kiln::kUInt8)},
                                {"a", kiln::ones({2}, kiln::kFloat64)},
                                {"c", kiln::ones({1}, kiln::kFloat32)}},
             path.string());
  std::string bytes = read_bytes(path);
  uint64_t n = 0;
  for (int b = 7; b >= 0; --b) n = (n << 8) | static_cast<uint8_t>(bytes[b]);
  CHECK(n % 8 == 0);
  CHECK(bytes[8] == '{');
  std::string header = bytes.substr(8, n);
  // Header in the caller's order; data sorted by element size: f64 at 0, f32 at 16, u8 at 20.
  CHECK(header.find("\"b\"") < header.find("\"a\""));
  CHECK(header.find("\"data_offsets\":[0,16]") != std::string::npos);
  CHECK(header.find("\"data_offsets\":[16,20]") != std::string::npos);
  CHECK(header.find("\"data_offsets\":[20,23]") != std::string::npos);
  CHECK(bytes.size() == 8 + n + 23);
  auto names = kiln::load(path.string());
  CHECK(names.items()[0].first == "b");
  CHECK(names.items()[1].first == "a");
  fs::remove_all(dir);
}

TEST_CASE("save takes views, lazy tensors, ranges of pairs and replaces files atomically",
          "[serialize]") {
  fs::path dir = temp_dir("views");
  fs::path path = dir / "v.safetensors";
  Tensor base = kiln::arange(6, kiln::kFloat32).reshape({2, 3});
  std::map<std::string, Tensor> dict{
      {"t", base.t()}, {"lazy", base * 2}, {"row", base.select(0, 1)}};
  kiln::save(dict, path.string());
  kiln::save(dict, path.string());  // over an existing file
  auto out = kiln::load(path.string());
  REQUIRE(out.size() == 3);
  CHECK(out.items()[0].first == "lazy");
  CHECK(out.items()[0].second.to_vector<float>() == std::vector<float>{0, 2, 4, 6, 8, 10});
  CHECK(out.items()[1].second.to_vector<float>() == std::vector<float>{3, 4, 5});
  CHECK(out.items()[2].second.sizes() == std::vector<int64_t>{3, 2});
  CHECK(out.items()[2].second.to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file();
  CHECK(files == 1);  // no temporary left behind
  fs::remove_all(dir);
}

TEST_CASE("save and load modules through their state_dict", "[serialize]") {
  fs::path dir = temp_dir("module");
  fs::path path = dir / "net.safetensors";
  kiln::nn::Sequential net(kiln::nn::Linear(3, 4), kiln::nn::ReLU(), kiln::nn::Linear(4, 2));
  kiln::save(net, path.string());
  kiln::StateDict saved = kiln::load(path.string());
  CHECK(saved.keys() == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  kiln::nn::Sequential other(kiln::nn::Linear(3, 4), kiln::nn::ReLU(), kiln::nn::Linear(4, 2));
  kiln::load(other, path.string());
  for (const auto& [name, t] : net->state_dict()) {
    INFO(name);
    CHECK(other->state_dict().at(name).to_vector<float>() == t.to_vector<float>());
  }
  kiln::nn::Sequential wrong(kiln::nn::Linear(3, 5), kiln::nn::ReLU(), kiln::nn::Linear(5, 2));
  CHECK_THROWS_AS(kiln::load(wrong, path.string()), kiln::Error);
  auto shared = std::make_shared<kiln::nn::LinearImpl>(3, 4);
  kiln::save(shared, path.string());
  CHECK(kiln::load(path.string()).keys() == std::vector<std::string>{"weight", "bias"});
  fs::remove_all(dir);
}

TEST_CASE("save rejects bad names and unwritable paths", "[serialize]") {
  Tensor x = kiln::ones({1});
  CHECK_THROWS_WITH(kiln::save(kiln::NamedTensors{{"a", x}, {"a", x}}, "/tmp/x.safetensors"),
                    "[save] the name 'a' appears twice");
  CHECK_THROWS_WITH(kiln::save(kiln::NamedTensors{{"", x}}, "/tmp/x.safetensors"),
                    "[save] a tensor has an empty name");
  CHECK_THROWS_WITH(kiln::save(kiln::NamedTensors{{"__metadata__", x}}, "/tmp/x.safetensors"),
                    Catch::Contains("reserved"));
  CHECK_THROWS_WITH(kiln::save(kiln::NamedTensors{{"a", x}}, "/nonexistent-dir/x.safetensors"),
                    Catch::StartsWith("[save] cannot create '/nonexistent-dir/x.safetensors.tmp."));
  CHECK_THROWS_AS(kiln::load("/nonexistent-dir/x.safetensors"), kiln::FormatError);
}

TEST_CASE("load checks every part of the file", "[serialize]") {
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK(load_error(safetensors_bytes(ok, std::string(8, '\0'))) == "no error");
  CHECK(load_error("abc") ==
        "[load] 't.safetensors': the file has 3 bytes, fewer than the 8-byte header length");
  CHECK(load_error(safetensors_bytes(ok, "").substr(0, 20)) ==
        "[load] 't.safetensors': the header length 54 exceeds the 12 bytes after it");
  std::string huge(8, '\xff');
  CHECK_THAT(load_error(huge + "{}"), Catch::Contains("exceeds the 2 bytes after it"));
  CHECK(load_error(safetensors_bytes("{\"a\":", "")) ==
        "[load] 't.safetensors': the header is not valid JSON");
  CHECK(load_error(safetensors_bytes("[]", "")) ==
        "[load] 't.safetensors': the header does not start with '{'");
  CHECK_THAT(load_error(safetensors_bytes(
                 R"({"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", "x")),
             Catch::Contains("tensor 'a' has dtype \"F8_E4M3\", which kiln does not know"));
  CHECK_THAT(load_error(safetensors_bytes(
                 R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, 0))),
             Catch::Contains("shape [3] of F32 needs 12 bytes but data_offsets [0,8] hold 8"));
  CHECK_THAT(load_error(safetensors_bytes(
                 R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(4, 0))),
             Catch::Contains("tensor 'a' data_offsets [0, 8] go past the data section (4 bytes)"));
  CHECK_THAT(load_error(safetensors_bytes(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                                          R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
                                          std::string(6, 0))),
             Catch::Contains("tensors 'a' and 'b' overlap"));
  CHECK_THAT(load_error(safetensors_bytes(
                 R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})", std::string(4, 0))),
             Catch::Contains("bytes 0 to 2 of the data section belong to no tensor"));
  CHECK_THAT(load_error(safetensors_bytes(
                 R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", std::string(4, 0))),
             Catch::Contains("the tensors cover 2 bytes but the data section has 4"));
  CHECK_THAT(
      load_error(safetensors_bytes(
          R"({"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", "")),
      Catch::Contains("whose size overflows"));
  CHECK_THAT(load_error(safetensors_bytes(
                 R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}})", "")),
             Catch::Contains("shape entry is not a non-negative integer: -1"));
  CHECK_THAT(load_error(safetensors_bytes(R"({"a":{"dtype":"U8","shape":[0]}})", "")),
             Catch::Contains("tensor 'a' has no \"data_offsets\""));
  CHECK_THAT(load_error(safetensors_bytes(R"({"__metadata__":{"k":1}})", "")),
             Catch::Contains("__metadata__ value of 'k' is not a string"));
}

TEST_CASE("load errors name the file's path", "[serialize]") {
  fs::path dir = temp_dir("path");
  fs::path path = dir / "bad.safetensors";
  write_bytes(path, "short");
  CHECK_THROWS_WITH(
      kiln::load(path.string()),
      "[load] '" + path.string() + "': the file has 5 bytes, fewer than the 8-byte header length");
  fs::remove_all(dir);
}

TEST_CASE("save copies CUDA tensors to the host; load gives CPU tensors", "[cuda][serialize]") {
  if (!kiln::cuda::is_available()) {
    WARN("no CUDA device on this machine: [cuda] test skipped");
    return;
  }
  fs::path dir = temp_dir("cuda");
  fs::path path = dir / "gpu.safetensors";
  Tensor w = kiln::arange(12, kiln::kFloat32).reshape({3, 4}).to(kiln::Device(kiln::kCUDA, 0));
  kiln::save(kiln::NamedTensors{{"w", w}, {"wt", w.t() * 2}}, path.string());
  auto out = kiln::load(path.string());
  REQUIRE(out.size() == 2);
  CHECK(out.items()[0].second.device().is_cpu());
  CHECK(out.items()[0].second.to_vector<float>() == w.to_vector<float>());
  CHECK(out.items()[1].second.to_vector<float>() == (w.t() * 2).to_vector<float>());
  fs::remove_all(dir);
}
