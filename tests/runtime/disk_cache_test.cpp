// The on-disk kernel cache: hits and misses, bad entries deleted, hash collisions, two processes
// writing one key, LRU eviction, an unusable directory, the directory's mode.
#include "kiln/runtime/disk_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using kiln::runtime::DiskCache;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under the system temp dir, removed (made writable first) at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "kiln-disk-cache-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) FAIL("mkdtemp failed");
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, ec);
    fs::remove_all(path, ec);
  }
};

std::vector<char> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::vector<char> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::vector<char>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Runs `fn` with stderr going to a string, which it returns.
template <class Fn>
std::string capture_stderr(Fn fn) {
  std::fflush(stderr);
  char name[] = "/tmp/kiln-stderr-XXXXXX";
  int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  struct Restore {
    int saved = ::dup(2);
    ~Restore() {
      std::fflush(stderr);
      ::dup2(saved, 2);
      ::close(saved);
    }
  };
  {
    Restore restore;
    ::dup2(fd, 2);
    ::close(fd);
    fn();
  }
  std::vector<char> text = read_file(name);
  ::unlink(name);
  return {text.begin(), text.end()};
}

size_t count_occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("disk cache: miss, then hit after put; replace", "[cache]") {
  TempDir tmp;
  DiskCache cache(tmp.path.string());
  REQUIRE_FALSE(cache.get("kernel a").has_value());
  cache.put("kernel a", bytes_of("object a"));
  auto hit = cache.get("kernel a");
  REQUIRE(hit.has_value());
  REQUIRE(*hit == bytes_of("object a"));
  REQUIRE_FALSE(cache.get("kernel b").has_value());

  cache.put("kernel a", bytes_of("object a, second"));
  REQUIRE(*cache.get("kernel a") == bytes_of("object a, second"));

  // Another instance (as another process would) sees the entry; an empty payload round-trips.
  DiskCache other(tmp.path.string());
  REQUIRE(*other.get("kernel a") == bytes_of("object a, second"));
  other.put("empty", {});
  auto empty = cache.get("empty");
  REQUIRE(empty.has_value());
  REQUIRE(empty->empty());

  // Entries are named by 32 hex digits; beside them only the size ledger, no temp files.
  for (const auto& e : fs::directory_iterator(tmp.path)) {
    if (e.path().filename() == ".usage") continue;
    REQUIRE(e.path().filename().string().size() == 32);
  }
}

TEST_CASE("disk cache: a corrupt entry misses, is deleted, and is rebuilt", "[cache]") {
  TempDir tmp;
  DiskCache cache(tmp.path.string());
  const std::string key = "kernel k(p0: f32[16]) { ... }";
  const std::vector<char> payload = bytes_of(std::string(1000, 'x') + "tail");
  fs::path file = cache.entry_path(key);

  auto corrupt_and_check = [&](const std::string& how, auto&& damage) {
    INFO(how);
    cache.put(key, payload);
    REQUIRE(fs::exists(file));
    std::vector<char> bytes = read_file(file);
    damage(bytes);
    write_file(file, bytes);
    REQUIRE_FALSE(cache.get(key).has_value());
    REQUIRE_FALSE(fs::exists(file));
    cache.put(key, payload);
    REQUIRE(cache.get(key) == payload);
  };
  corrupt_and_check("flipped payload byte", [](std::vector<char>& b) { b[b.size() - 10] ^= 0x5a; });
  corrupt_and_check("truncated", [](std::vector<char>& b) { b.resize(b.size() / 2); });
  corrupt_and_check("one byte short", [](std::vector<char>& b) { b.pop_back(); });
  corrupt_and_check("one byte long", [](std::vector<char>& b) { b.push_back('!'); });
  corrupt_and_check("garbage header", [](std::vector<char>& b) {
    for (size_t i = 0; i < 32; ++i) b[i] = static_cast<char>(i * 37 + 11);
  });
  corrupt_and_check("empty file", [](std::vector<char>& b) { b.clear(); });
  corrupt_and_check("shorter than a header", [](std::vector<char>& b) { b.resize(7); });
}

TEST_CASE("disk cache: an entry whose stored key differs (hash collision) misses", "[cache]") {
  TempDir tmp;
  DiskCache cache(tmp.path.string());
  cache.put("key one", bytes_of("payload one"));
  cache.put("key two", bytes_of("payload two"));
  // Make key two's file hold key one's entry, as a colliding hash would.
  fs::path one = cache.entry_path("key one");
  fs::path two = cache.entry_path("key two");
  REQUIRE(one != two);
  fs::copy_file(one, two, fs::copy_options::overwrite_existing);
  REQUIRE_FALSE(cache.get("key two").has_value());
  REQUIRE_FALSE(fs::exists(two));
  REQUIRE(*cache.get("key one") == bytes_of("payload one"));
  cache.put("key two", bytes_of("payload two"));
  REQUIRE(*cache.get("key two") == bytes_of("payload two"));
}

TEST_CASE("disk cache: two processes writing one key concurrently", "[cache]") {
  TempDir tmp;
  const std::string key = "shared key";
  // Payloads large enough that a torn write would be visible.
  const std::vector<char> a(200000, 'a');
  const std::vector<char> b(150000, 'b');
  auto writer = [&](const std::vector<char>& mine) {
    DiskCache cache(tmp.path.string());
    int bad = 0;
    for (int i = 0; i < 50; ++i) {
      cache.put(key, mine);
      auto got = cache.get(key);
      if (!got || (*got != a && *got != b)) ++bad;
    }
    return bad;
  };
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int bad = writer(b);
    ::_exit(bad == 0 ? 0 : 1);
  }
  int bad = writer(a);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(bad == 0);
  DiskCache cache(tmp.path.string());
  auto last = cache.get(key);
  REQUIRE(last.has_value());
  REQUIRE((*last == a || *last == b));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(tmp.path)) files += e.path().filename() != ".usage";
  REQUIRE(files == 1);  // one entry (and the size ledger), no temp files left behind
}

TEST_CASE("disk cache: least recently used entries are evicted past the bound", "[cache]") {
  TempDir tmp;
  const std::vector<char> payload(1000, 'p');
  // Each entry is ~1040 bytes (header + key + payload): three fit, four do not; eviction goes
  // down to 7/8 of the bound (3500 bytes), which three entries fit too.
  DiskCache cache(tmp.path.string(), 4000);
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); };
  cache.put("a", payload);
  pause();
  cache.put("b", payload);
  pause();
  cache.put("c", payload);
  pause();
  REQUIRE(cache.get("a").has_value());  // a is now the most recently used
  pause();
  cache.put("d", payload);
  REQUIRE(cache.total_bytes() <= 3500);
  REQUIRE(cache.total_bytes() > 3000);  // only one entry went
  CHECK_FALSE(cache.get("b").has_value());
  CHECK(cache.get("a").has_value());
  CHECK(cache.get("c").has_value());
  CHECK(cache.get("d").has_value());
}

namespace {
std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
}  // namespace

TEST_CASE("disk cache: puts keep a ledger of the directory's size, trusted while fresh",
          "[cache]") {
  TempDir tmp;
  const std::vector<char> payload(1000, 'p');
  fs::path ledger = tmp.path / ".usage";
  {
    DiskCache cache(tmp.path.string(), 1 << 20);
    cache.put("a", payload);
    cache.put("b", payload);
    cache.put("c", payload);
    REQUIRE(read_text(ledger) == std::to_string(cache.total_bytes()) + "\n");
  }
  // A new process (cache object) trusts a fresh ledger instead of scanning: told the directory
  // is empty, it adds one entry's bytes and evicts nothing, though the entries pass the bound.
  { std::ofstream(ledger) << "0\n"; }
  {
    DiskCache cache(tmp.path.string(), 4000);
    cache.put("d", payload);
    uint64_t entry = cache.total_bytes() / 4;
    CHECK(cache.total_bytes() > 4000);
    CHECK(read_text(ledger) == std::to_string(entry) + "\n");
  }
  // A stale ledger (written over 10 minutes ago) is not trusted: the first put scans, and
  // evicts down to 7/8 of the bound.
  struct timespec old[2];
  old[0].tv_sec = old[1].tv_sec = std::time(nullptr) - 3600;
  old[0].tv_nsec = old[1].tv_nsec = 0;
  REQUIRE(::utimensat(AT_FDCWD, ledger.c_str(), old, 0) == 0);
  {
    DiskCache cache(tmp.path.string(), 4000);
    cache.put("e", payload);
    CHECK(cache.total_bytes() <= 3500);
    CHECK(read_text(ledger) == std::to_string(cache.total_bytes()) + "\n");
    CHECK(cache.get("e").has_value());
  }
}

TEST_CASE("disk cache: concurrent processes' puts all count in the ledger", "[cache]") {
  TempDir tmp;
  const std::vector<char> payload(3000, 'p');
  { DiskCache(tmp.path.string()).put("first", payload); }  // the ledger now holds one entry
  auto writer = [&](const char* prefix) {
    DiskCache cache(tmp.path.string());
    for (int i = 0; i < 40; ++i) cache.put(prefix + std::to_string(i), payload);
  };
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    writer("child ");
    ::_exit(0);
  }
  writer("parent ");
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  // Every put added its own bytes under the ledger's lock: none lost to the other process.
  DiskCache cache(tmp.path.string());
  CHECK(read_text(tmp.path / ".usage") == std::to_string(cache.total_bytes()) + "\n");
}

TEST_CASE("disk cache: the directory is created with mode 0700", "[cache]") {
  TempDir tmp;
  fs::path dir = tmp.path / "nested" / "kiln";
  DiskCache cache(dir.string());
  REQUIRE_FALSE(fs::exists(dir));  // nothing happens before first use
  cache.put("k", bytes_of("v"));
  REQUIRE(fs::is_directory(dir));
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  REQUIRE((st.st_mode & 0777) == 0700);
  REQUIRE(*cache.get("k") == bytes_of("v"));
}

TEST_CASE("disk cache: an unusable directory warns once and always misses", "[cache]") {
  TempDir tmp;
  std::string dir;
  if (::geteuid() == 0) {
    // Root ignores permission bits; a path below a regular file can never be created.
    dir = "/dev/null/kiln-cache";
  } else {
    fs::path ro = tmp.path / "readonly";
    fs::create_directory(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    dir = (ro / "kiln").string();
  }
  std::string err = capture_stderr([&] {
    DiskCache cache(dir);
    REQUIRE_NOTHROW(cache.put("k", bytes_of("v")));
    REQUIRE_NOTHROW(cache.put("k2", bytes_of("v")));
    REQUIRE_FALSE(cache.get("k").has_value());
    REQUIRE_FALSE(cache.enabled());
  });
  REQUIRE(count_occurrences(err, "kiln: disk cache disabled: " + dir + ": ") == 1);
  REQUIRE(count_occurrences(err, "\n") == 1);
}

TEST_CASE("disk cache: a directory that becomes read-only warns once", "[cache]") {
  if (::geteuid() == 0) {
    WARN("skipped: running as root, which ignores directory permissions");
    return;
  }
  TempDir tmp;
  DiskCache cache(tmp.path.string());
  cache.put("k", bytes_of("v"));
  fs::permissions(tmp.path, fs::perms::owner_read | fs::perms::owner_exec);
  std::string err = capture_stderr([&] {
    REQUIRE_NOTHROW(cache.put("k2", bytes_of("v2")));
    REQUIRE_NOTHROW(cache.put("k3", bytes_of("v3")));
  });
  REQUIRE(count_occurrences(err, "kiln: disk cache disabled: ") == 1);
  REQUIRE_FALSE(cache.get("k2").has_value());
}

TEST_CASE("disk cache: the directory comes from the environment", "[cache]") {
  auto with_env = [](const char* name, const char* value) {
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  };
  struct Saved {
    std::string name;
    bool set;
    std::string value;
  };
  std::vector<Saved> saved;
  for (const char* n : {"KILN_CACHE_DIR", "XDG_CACHE_HOME", "HOME", "KILN_DISABLE_DISK_CACHE",
                        "KILN_CACHE_MAX_BYTES"}) {
    const char* v = std::getenv(n);
    saved.push_back({n, v != nullptr, v ? v : ""});
  }
  with_env("KILN_DISABLE_DISK_CACHE", nullptr);
  with_env("KILN_CACHE_DIR", "/x/cache");
  with_env("XDG_CACHE_HOME", "/x/xdg");
  with_env("HOME", "/x/home");
  CHECK(DiskCache::dir_from_env() == "/x/cache");
  with_env("KILN_CACHE_DIR", "");
  CHECK(DiskCache::dir_from_env() == "/x/xdg/kiln");
  with_env("XDG_CACHE_HOME", nullptr);
  CHECK(DiskCache::dir_from_env() == "/x/home/.cache/kiln");
  with_env("KILN_DISABLE_DISK_CACHE", "1");
  CHECK(DiskCache::dir_from_env().empty());
  with_env("KILN_CACHE_MAX_BYTES", "12345");
  CHECK(DiskCache::max_bytes_from_env() == 12345);
  with_env("KILN_CACHE_MAX_BYTES", "lots");
  CHECK(DiskCache::max_bytes_from_env() == DiskCache::kDefaultMaxBytes);
  for (const auto& s : saved) with_env(s.name.c_str(), s.set ? s.value.c_str() : nullptr);

  // A cache without a directory is off and silent.
  std::string err = capture_stderr([] {
    DiskCache off("");
    off.put("k", bytes_of("v"));
    REQUIRE_FALSE(off.get("k").has_value());
    REQUIRE_FALSE(off.enabled());
  });
  REQUIRE(err.empty());
}
