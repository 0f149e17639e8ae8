// Replays the committed corpus of malformed inputs (tests/corpus/, written by make_corpus.py;
// also the fuzzers' seed corpora) through the safetensors, IDX and graph-text parsers, and IDX
// label files through the MNIST label check: every file gives a kiln::Error and none crashes.
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <catch2/catch.hpp>
#include <kiln/compiler/text.h>
#include <kiln/kiln.h>

namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs `parse` on every file of tests/corpus/<kind>/; returns how many files there were.
size_t replay(const std::string& kind, const std::function<void(const std::string&)>& parse) {
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(KILN_CORPUS_DIR) / kind)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::string bytes = read_bytes(entry.path());
    INFO(kind << "/" << entry.path().filename().string());
    try {
      parse(bytes);
      FAIL_CHECK("accepted a malformed input");
    } catch (const kiln::Error& e) {
      SUCCEED(e.what());
    } catch (const std::exception& e) {
      FAIL_CHECK("threw a non-kiln exception: " << e.what());
    }
  }
  return files;
}

}  // namespace

TEST_CASE("every malformed safetensors file gives a kiln::Error", "[corpus]") {
  CHECK(replay("safetensors",
               [](const std::string& b) { kiln::detail::parse_safetensors(b, "corpus"); }) >= 20);
}

TEST_CASE("every malformed IDX file gives a kiln::Error", "[corpus]") {
  CHECK(replay("idx", [](const std::string& b) { kiln::data::parse_idx(b, "corpus"); }) >= 10);
}

TEST_CASE("every IDX label file with a label outside 0..9 gives a kiln::Error", "[corpus]") {
  CHECK(replay("labels", [](const std::string& b) {
          kiln::data::check_labels(kiln::data::parse_idx(b, "corpus"), 10, "corpus");
        }) >= 3);
}

TEST_CASE("every malformed graph text gives a kiln::Error", "[corpus]") {
  CHECK(replay("graph", [](const std::string& b) { kiln::ir::parse_graph(b); }) >= 10);
}
