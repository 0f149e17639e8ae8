// Runs tools/bench/peer_torch.py and reads its JSON lines (see peer.h).
#include "peer.h"

#include <sys/wait.h>

#include <cstdlib>
#include <exception>

#include <fmt/format.h>

#ifndef KILN_BENCH_PEER_SCRIPT
#define KILN_BENCH_PEER_SCRIPT "tools/bench/peer_torch.py"
#endif

namespace kiln_bench {
namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void add_peer_line(const nlohmann::json& j, PeerResults& out) {
  PeerResult pr{j.at("median_ms").get<double>(), j.at("gbps").get<double>(), j.value("gflops", 0.0),
                j.at("compile_ms").get<double>()};
  out[{j.at("impl").get<std::string>(), j.at("name").get<std::string>(),
       j.at("dtype").get<std::string>()}] = pr;
}

PeerResults run_peer(const MeasureOptions& opt, double scale, uint64_t seed,
                     const std::vector<Result>& results,
                     const std::function<void(const std::string&)>& on_line, std::FILE* notes) {
  PeerResults out;
  const char* env_python = std::getenv("KILN_PYTHON");
  std::string python = env_python && *env_python ? env_python : "python3";
  std::string names;
  for (const Result& r : results) {
    if (names.find(r.name) == std::string::npos) names += (names.empty() ? "" : ",") + r.name;
  }
  if (names.empty()) return out;
  std::string cmd = fmt::format(
      "{} {} --json --device {} --scale {} --reps {} --batch {} --min-time {} --max-time {} "
      "--seed {} --workload {}",
      shell_quote(python), shell_quote(KILN_BENCH_PEER_SCRIPT), opt.device, scale, opt.samples,
      opt.batch, opt.min_time, opt.max_time, seed, names);
  std::fflush(stdout);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    fmt::print(notes, "peer skipped: could not start {}\n", python);
    return out;
  }
  auto handle = [&](const std::string& l) {
    if (l.empty() || l[0] != '{') {
      fmt::print(notes, "{}{}", l.rfind("peer", 0) == 0 ? "" : "peer: ", l);
      std::fflush(notes);
      return;
    }
    try {
      add_peer_line(nlohmann::json::parse(l), out);
      on_line(l);
    } catch (const std::exception& e) {
      fmt::print(notes, "peer: unreadable line ({}): {}", e.what(), l);
    }
  };
  std::string line;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) {
    line += buf;
    if (line.back() == '\n') {
      handle(line);
      line.clear();
    }
  }
  if (!line.empty()) handle(line + "\n");
  int status = pclose(p);
  if (status != 0) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 127) {
      fmt::print(notes, "peer skipped: could not run {} (set KILN_PYTHON to a python with torch)\n",
                 python);
    } else {
      fmt::print(notes, "peer: {} exited with status {}\n", KILN_BENCH_PEER_SCRIPT, code);
    }
  } else if (out.empty()) {
    fmt::print(notes, "peer: no PyTorch results (see the peer's message above)\n");
  }
  return out;
}

}  // namespace kiln_bench
