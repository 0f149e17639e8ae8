// IDX files and the MNIST datasets: small synthetic files (raw and gzip), the checks on
// malformed files (gzip inside gzip, labels outside 0..9), the message for a missing dataset,
// and the real Fashion-MNIST when the Debian package is installed.
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace data = kiln::data;
namespace fs = std::filesystem;

namespace {

std::string idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
  std::string out{0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((d >> s) & 0xff));
  }
  out.append(values.begin(), values.end());
  return out;
}

void write_file(const fs::path& p, const std::string& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen((p.string() + ".gz").c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(p, std::ios::binary) << bytes;
  }
}

std::string gzip_bytes(const std::string& bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size())) + 32;
  std::string out(size, '\0');
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string idx_error(const std::string& bytes) {
  try {
    data::parse_idx(bytes, "'f'");
  } catch (const kiln::FormatError& e) {
    return e.what();
  }
  return "no error";
}

/// A 3-image, 2x3-pixel dataset folder; images hold 10*i + k, labels 7 - i.
fs::path tiny_dataset(bool gzip) {
  fs::path dir = fs::temp_directory_path() /
                 ("kiln_mnist_" + std::to_string(::getpid()) + (gzip ? "_gz" : "_raw"));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<uint8_t> pixels;
  for (uint8_t i = 0; i < 3; ++i) {
    for (uint8_t k = 0; k < 6; ++k) pixels.push_back(static_cast<uint8_t>(10 * i + k));
  }
  for (const char* split : {"train", "t10k"}) {
    write_file(dir / (std::string(split) + "-images-idx3-ubyte"), idx_bytes({3, 2, 3}, pixels),
               gzip);
    write_file(dir / (std::string(split) + "-labels-idx1-ubyte"), idx_bytes({3}, {7, 6, 5}), gzip);
  }
  return dir;
}

}  // namespace

TEST_CASE("IDX files parse raw and gzip-compressed", "[idx]") {
  std::string raw = idx_bytes({2, 2}, {1, 2, 3, 4});
  data::IdxArray a = data::parse_idx(raw, "'f'");
  CHECK(a.dims == std::vector<int64_t>{2, 2});
  CHECK(a.data == std::vector<uint8_t>{1, 2, 3, 4});
  for (bool gzip : {false, true}) {
    fs::path dir = tiny_dataset(gzip);
    for (auto split : {data::Split::Train, data::Split::Test}) {
      data::MNIST ds(dir.string(), split);
      REQUIRE(ds.size() == 3);
      data::Example ex = ds.get(1);
      CHECK(ex.data.sizes() == std::vector<int64_t>{1, 2, 3});
      CHECK(ex.data.dtype() == kiln::kFloat32);
      std::vector<float> expect;
      for (int k = 0; k < 6; ++k) expect.push_back(static_cast<float>(10 + k) / 255.f);
      CHECK(ex.data.to_vector<float>() == expect);
      CHECK(ex.target.dim() == 0);
      CHECK(ex.target.dtype() == kiln::kInt64);
      CHECK(ex.target.item<int64_t>() == 6);
      CHECK(ds.label(2) == 5);
      CHECK_THROWS_AS(ds.get(3), kiln::IndexError);
    }
    fs::remove_all(dir);
  }
}

TEST_CASE("malformed IDX files throw FormatError naming the problem", "[idx]") {
  CHECK(idx_error(std::string("\0\0", 2)) ==
        "[idx] 'f': the file has 2 bytes, fewer than the 4-byte magic");
  CHECK(idx_error(std::string("\x01\0\x08\x01", 4)) ==
        "[idx] 'f': wrong magic: it starts 0x01 0x00, not 0x00 0x00");
  CHECK(idx_error(std::string("\0\0\x0D\x01", 4)) ==
        "[idx] 'f': element type 0x0D is not supported (kiln reads unsigned bytes, 0x08)");
  CHECK(idx_error(std::string("\0\0\x08\x03\0\0", 6)) ==
        "[idx] 'f': the header of 3 dimensions needs 16 bytes but the file has 6");
  CHECK(idx_error(idx_bytes({2, 3}, {1, 2, 3})) ==
        "[idx] 'f': dimensions 2 x 3 need 6 bytes of data but the file has 3");
  CHECK_THAT(idx_error(idx_bytes({0xffffffffu, 0xffffffffu, 0xffffffffu}, {})),
             Catch::Contains("need more than 2^64 bytes"));
  CHECK_THAT(idx_error(std::string("\x1f\x8b\x08\0\0\0", 6)), Catch::StartsWith("[gunzip] 'f'"));
}

TEST_CASE("an IDX file compressed twice is refused, not unpacked again", "[idx]") {
  std::string raw = idx_bytes({2}, {1, 2});
  CHECK(data::parse_idx(gzip_bytes(raw), "'f'").data == std::vector<uint8_t>{1, 2});
  const char* want =
      "[idx] 'f': the decompressed data is gzip-compressed again; kiln reads one gzip layer";
  std::string layered = gzip_bytes(gzip_bytes(raw));
  CHECK(idx_error(layered) == want);
  for (int i = 0; i < 30; ++i) layered = gzip_bytes(layered);
  CHECK(idx_error(layered) == want);
}

TEST_CASE("labels outside 0..9 are refused with their index and value", "[idx]") {
  data::IdxArray labels = data::parse_idx(idx_bytes({4}, {0, 9, 3, 10}), "'f'");
  CHECK_NOTHROW(data::check_labels(labels, 11, "'f'"));
  CHECK_THROWS_WITH(data::check_labels(labels, 10, "'f'"),
                    "[idx] 'f': label 10 at index 3 is outside 0..9");
  for (bool gzip : {false, true}) {
    fs::path dir = tiny_dataset(gzip);
    write_file(dir / "t10k-labels-idx1-ubyte", idx_bytes({3}, {7, 200, 5}), gzip);
    std::string path = (dir / "t10k-labels-idx1-ubyte").string() + (gzip ? ".gz" : "");
    CHECK_THROWS_AS(data::FashionMNIST(dir.string(), data::Split::Test), kiln::FormatError);
    CHECK_THROWS_WITH(
        data::FashionMNIST(dir.string(), data::Split::Test),
        "[idx] '" + path + "' (FashionMNIST labels): label 200 at index 1 is outside 0..9");
    CHECK_NOTHROW(data::MNIST(dir.string(), data::Split::Train));
    fs::remove_all(dir);
  }
}

TEST_CASE("a missing dataset says how to install it", "[idx]") {
  CHECK_THROWS_WITH(data::FashionMNIST("/nonexistent/fashion", data::Split::Train),
                    Catch::Contains("(the folder does not exist)") &&
                        Catch::Contains("apt-get install dataset-fashion-mnist") &&
                        Catch::StartsWith("[FashionMNIST] no train-images-idx3-ubyte[.gz]"));
  CHECK_THROWS_WITH(data::MNIST("/nonexistent/mnist", data::Split::Test),
                    Catch::StartsWith("[MNIST] no t10k-images"));
}

TEST_CASE("Fashion-MNIST from the Debian package", "[idx]") {
  std::string root = data::FashionMNIST::default_root();
  if (!fs::exists(root)) {
    WARN("no Fashion-MNIST at " << root
                                << ": test skipped (apt-get install dataset-fashion-mnist)");
    return;
  }
  data::FashionMNIST test(root, data::Split::Test);
  REQUIRE(test.size() == 10000);
  data::Example ex = test.get(0);
  CHECK(ex.data.sizes() == std::vector<int64_t>{1, 28, 28});
  std::vector<float> px = ex.data.to_vector<float>();
  CHECK(*std::min_element(px.begin(), px.end()) >= 0.f);
  CHECK(*std::max_element(px.begin(), px.end()) <= 1.f);
  CHECK(ex.target.item<int64_t>() == 9);  // the first test image is an ankle boot
}
