#include "kiln/runtime/disk_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace kiln::runtime {

namespace {

// Entry file layout: Header, then key_len bytes of key, then payload_len bytes of payload.
// Integers are in host byte order: the cache is per machine (the key names the target).
constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'C', 'A', 'C', 'H'};
constexpr uint32_t kFormatVersion = 1;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t key_len;
  uint64_t payload_len;
  uint64_t checksum;
};
static_assert(sizeof(Header) == 32);

// Temp files left by a process that died between write and rename are removed after this long.
constexpr time_t kStaleTempSeconds = 3600;
// A process rescans the directory at least this often: the ledger drifts where an entry is
// replaced (its old bytes are still counted) or a process dies between a put and its update.
constexpr int kPutsPerScan = 64;
// The ledger of the directory's total bytes (kUsageFile), kept by every put, is trusted for
// this long after it was last written; older, the directory is scanned.
constexpr const char* kUsageFile = ".usage";
constexpr time_t kUsageFreshSeconds = 600;

uint64_t fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/// A 64-bit hash of `n` bytes (8 bytes a step, murmur-style mixing): the payload checksum and,
/// with two seeds, the entry's file name.
uint64_t hash64(const char* p, size_t n, uint64_t seed) {
  constexpr uint64_t m = 0x9e3779b97f4a7c15ULL;
  uint64_t h = seed ^ (n * m);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h ^= fmix64(w + m);
    h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
  }
  uint64_t tail = 0;
  for (size_t j = 0; i + j < n; ++j)
    tail |= uint64_t{static_cast<unsigned char>(p[i + j])} << (8 * j);
  h ^= fmix64(tail + m + n);
  return fmix64(h);
}

std::string hex64(uint64_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = digits[v & 15];
  return s;
}

bool is_entry_name(const char* name) {
  size_t n = std::strlen(name);
  if (n != 32) return false;
  for (size_t i = 0; i < n; ++i) {
    char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/// mkdir -p; directories it creates get mode 0700 exactly (whatever the umask). Returns 0 or
/// the errno of the step that failed.
int make_dirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos < dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) == 0) {
      ::chmod(prefix.c_str(), 0700);
      continue;
    }
    if (errno != EEXIST) return errno;
    struct stat st {};
    if (::stat(prefix.c_str(), &st) != 0) return errno;
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
  }
  return 0;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool read_all(int fd, char* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

struct EntryInfo {
  struct timespec mtime;
  uint64_t size;
  std::string name;
};

/// The directory's entries; removes stale temp files on the way.
std::vector<EntryInfo> scan_dir(const std::string& dir) {
  std::vector<EntryInfo> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  time_t now = std::time(nullptr);
  while (struct dirent* e = ::readdir(d)) {
    bool entry = is_entry_name(e->d_name);
    bool temp = std::strncmp(e->d_name, ".tmp-", 5) == 0;
    if (!entry && !temp) continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    if (temp) {
      if (now - st.st_mtim.tv_sec > kStaleTempSeconds) ::unlinkat(::dirfd(d), e->d_name, 0);
      continue;
    }
    out.push_back({st.st_mtim, static_cast<uint64_t>(st.st_size), e->d_name});
  }
  ::closedir(d);
  return out;
}

std::atomic<uint64_t> temp_counter{0};

/// The ledger (kUsageFile), opened and locked (flock, exclusive) until destroyed, so that
/// processes sharing the directory update it one at a time.
class Ledger {
 public:
  explicit Ledger(const std::string& dir) {
    fd_ = ::open((dir + "/" + kUsageFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Ledger() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  /// The total it holds, when it parses and was written in the last kUsageFreshSeconds.
  std::optional<uint64_t> total() const {
    char text[32] = {};
    struct stat st {};
    if (fd_ < 0 || ::fstat(fd_, &st) != 0 || ::pread(fd_, text, sizeof(text) - 1, 0) <= 0)
      return std::nullopt;
    if (std::time(nullptr) - st.st_mtim.tv_sec > kUsageFreshSeconds) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\n') return std::nullopt;
    return static_cast<uint64_t>(v);
  }
  void set(uint64_t total) {
    if (fd_ < 0) return;
    std::string text = std::to_string(total) + "\n";
    if (::pwrite(fd_, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()))
      (void)::ftruncate(fd_, static_cast<off_t>(text.size()));
  }

 private:
  int fd_ = -1;
};

}  // namespace

struct DiskCache::Impl {
  std::mutex mu;
  bool initialized = false;
  std::atomic<bool> enabled{false};
  std::atomic<bool> warned{false};
  int puts_since_scan = 0;  // puts since this process last scanned the directory

  /// Creates the directory on first use; false when the cache is off.
  bool ready(const std::string& dir) {
    std::lock_guard<std::mutex> lk(mu);
    if (!initialized) {
      initialized = true;
      if (dir.empty()) return false;
      int err = make_dirs(dir);
      if (err == 0 && ::access(dir.c_str(), W_OK | X_OK) != 0) err = errno;
      if (err != 0) {
        disable(dir, err);
        return false;
      }
      enabled = true;
    }
    return enabled.load();
  }

  /// Turns the cache off, warning once; `err` is an errno.
  void disable(const std::string& dir, int err) {
    enabled = false;
    if (!warned.exchange(true)) {
      std::fprintf(stderr, "kiln: disk cache disabled: %s: %s\n", dir.c_str(), std::strerror(err));
    }
  }
};

DiskCache::DiskCache(std::string dir, uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes), impl_(std::make_unique<Impl>()) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

DiskCache::~DiskCache() = default;

DiskCache& DiskCache::instance() {
  static DiskCache cache(dir_from_env(), max_bytes_from_env());
  return cache;
}

std::string DiskCache::dir_from_env() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
  };
  std::string disable = env("KILN_DISABLE_DISK_CACHE");
  if (!disable.empty() && disable != "0") return "";
  if (std::string d = env("KILN_CACHE_DIR"); !d.empty()) return d;
  if (std::string d = env("XDG_CACHE_HOME"); !d.empty()) return d + "/kiln";
  if (std::string d = env("HOME"); !d.empty()) return d + "/.cache/kiln";
  return "";
}

uint64_t DiskCache::max_bytes_from_env() {
  const char* v = std::getenv("KILN_CACHE_MAX_BYTES");
  if (v == nullptr || *v == '\0') return kDefaultMaxBytes;
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0') return kDefaultMaxBytes;
  return static_cast<uint64_t>(n);
}

bool DiskCache::enabled() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return !impl_->initialized ? !dir_.empty() : impl_->enabled.load();
}

std::string DiskCache::entry_path(const std::string& key) const {
  return dir_ + "/" + hex64(hash64(key.data(), key.size(), 0x6b696c6e)) +
         hex64(hash64(key.data(), key.size(), 0x63616368));
}

uint64_t DiskCache::total_bytes() const {
  uint64_t total = 0;
  for (const auto& e : scan_dir(dir_)) total += e.size;
  return total;
}

std::optional<std::vector<char>> DiskCache::get(const std::string& key) {
  Impl& s = *impl_;
  if (!s.ready(dir_)) return std::nullopt;
  std::string path = entry_path(key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  std::optional<std::vector<char>> payload;
  if (ok) {
    Header h{};
    uint64_t size = static_cast<uint64_t>(st.st_size);
    ok = size >= sizeof(Header) && read_all(fd, reinterpret_cast<char*>(&h), sizeof(Header)) &&
         std::memcmp(h.magic, kMagic, sizeof(kMagic)) == 0 && h.version == kFormatVersion &&
         h.key_len == key.size() && size - sizeof(Header) >= h.key_len &&
         size - sizeof(Header) - h.key_len == h.payload_len;
    if (ok) {
      std::string stored_key(h.key_len, '\0');
      std::vector<char> bytes(h.payload_len);
      ok = read_all(fd, stored_key.data(), stored_key.size()) && stored_key == key &&
           read_all(fd, bytes.data(), bytes.size()) &&
           hash64(bytes.data(), bytes.size(), 0) == h.checksum;
      if (ok) payload = std::move(bytes);
    }
  }
  if (ok) {
    ::futimens(fd, nullptr);  // recently used: eviction goes by mtime
  } else {
    // Delete the bad entry, unless another process has meanwhile renamed a fresh one over it.
    struct stat now {};
    if (::stat(path.c_str(), &now) == 0 && now.st_ino == st.st_ino && now.st_dev == st.st_dev) {
      ::unlink(path.c_str());
    }
  }
  ::close(fd);
  return payload;
}

void DiskCache::put(const std::string& key, const std::vector<char>& bytes) {
  Impl& s = *impl_;
  if (!s.ready(dir_)) return;
  if (key.size() > UINT32_MAX) return;

  std::vector<char> file(sizeof(Header) + key.size() + bytes.size());
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.version = kFormatVersion;
  h.key_len = static_cast<uint32_t>(key.size());
  h.payload_len = bytes.size();
  h.checksum = hash64(bytes.data(), bytes.size(), 0);
  std::memcpy(file.data(), &h, sizeof(Header));
  std::memcpy(file.data() + sizeof(Header), key.data(), key.size());
  if (!bytes.empty())
    std::memcpy(file.data() + sizeof(Header) + key.size(), bytes.data(), bytes.size());

  // Unique within the directory: pid, thread, and a per-process counter.
  std::string temp = dir_ + "/.tmp-" + std::to_string(::getpid()) + "-" +
                     hex64(std::hash<std::thread::id>{}(std::this_thread::get_id())) + "-" +
                     std::to_string(temp_counter++);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    s.disable(dir_, errno);
    return;
  }
  bool ok = write_all(fd, file.data(), file.size());
  int err = ok ? 0 : errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && ::rename(temp.c_str(), entry_path(key).c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(temp.c_str());
    s.disable(dir_, err);
    return;
  }

  // Keep the directory under the bound without a scan per put (a scan stats every entry: ~0.3 s
  // for 100k): every put adds its bytes to the ledger, under its lock, so that concurrent
  // processes' puts all count; a scan sets it when it is missing or stale, when it passes the
  // bound, and every kPutsPerScan puts of this process.
  std::lock_guard<std::mutex> lk(s.mu);
  Ledger ledger(dir_);
  std::optional<uint64_t> total_now = ledger.total();
  if (total_now) {
    uint64_t after = *total_now + file.size();
    ledger.set(after);
    if (after <= max_bytes_ && ++s.puts_since_scan < kPutsPerScan) return;
  }
  std::vector<EntryInfo> entries = scan_dir(dir_);
  uint64_t total = 0;
  for (const auto& e : entries) total += e.size;
  if (total > max_bytes_) {
    // Down to 7/8 of the bound: evicting only down to the bound left a full directory at it,
    // so that every later put scanned (and sorted) the whole directory again (~100k entries:
    // most of a cold compile's time).
    uint64_t low = max_bytes_ - max_bytes_ / 8;
    std::sort(entries.begin(), entries.end(), [](const EntryInfo& a, const EntryInfo& b) {
      if (a.mtime.tv_sec != b.mtime.tv_sec) return a.mtime.tv_sec < b.mtime.tv_sec;
      if (a.mtime.tv_nsec != b.mtime.tv_nsec) return a.mtime.tv_nsec < b.mtime.tv_nsec;
      return a.name < b.name;
    });
    for (const auto& e : entries) {
      if (total <= low) break;
      if (::unlink((dir_ + "/" + e.name).c_str()) == 0 || errno == ENOENT) total -= e.size;
    }
  }
  s.puts_since_scan = 0;
  ledger.set(total);
}

}  // namespace kiln::runtime
