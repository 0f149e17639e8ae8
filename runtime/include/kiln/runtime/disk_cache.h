// The on-disk cache of compiled kernels (DESIGN.md "Runtime", cache 2): a key -> bytes store in
// one directory, safe to share between processes.
//
// Each entry is one file named by a 128-bit hash of its key (32 hex digits). The file holds a
// header (magic, format version, key length, payload length, a 64-bit checksum of the payload),
// then the full key (so a hash collision reads as a miss, not as the wrong object), then the
// payload. A put writes a temp file in the same directory and rename(2)s it over the entry, so
// readers never see a partial file and concurrent writers of one key all succeed (the last
// rename wins). A get that finds a truncated, corrupt or foreign entry deletes it and misses.
// The directory's total size is bounded: when a put takes it over the bound, the least recently
// used entries (oldest mtime; a get touches its entry) are deleted until it is under 7/8 of it.
// Puts keep a ledger of the total (".usage", each put adding its bytes under flock) so that a
// process need not scan the directory; a scan sets it when it is missing or older than ten
// minutes, when it passes the bound, and every 64 puts. A
// directory that cannot be created or written warns once on stderr and the cache then always
// misses; nothing here throws.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln::runtime {

class DiskCache {
 public:
  static constexpr uint64_t kDefaultMaxBytes = uint64_t{512} << 20;

  /// A cache in `dir` holding at most `max_bytes` of entries; an empty `dir` is disabled.
  /// Nothing touches the disk until the first get or put.
  explicit DiskCache(std::string dir, uint64_t max_bytes = kDefaultMaxBytes);
  ~DiskCache();
  DiskCache(const DiskCache&) = delete;
  DiskCache& operator=(const DiskCache&) = delete;

  /// The process-wide cache, configured from the environment at first use:
  /// $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else $HOME/.cache/kiln (empty values count as
  /// unset); $KILN_CACHE_MAX_BYTES bounds it; KILN_DISABLE_DISK_CACHE=1 turns it off.
  static DiskCache& instance();
  /// The directory the environment selects ("" when the cache is disabled or no home is known).
  static std::string dir_from_env();
  /// The size bound the environment selects.
  static uint64_t max_bytes_from_env();

  /// The payload stored under `key`, or nullopt. A bad entry is deleted and misses.
  std::optional<std::vector<char>> get(const std::string& key);
  /// Stores `bytes` under `key`, replacing any entry, then evicts down to the bound.
  void put(const std::string& key, const std::vector<char>& bytes);

  /// False once the directory proved unusable (or when constructed without one).
  bool enabled() const;
  const std::string& dir() const { return dir_; }
  uint64_t max_bytes() const { return max_bytes_; }
  /// The path of the file that holds (or would hold) `key`'s entry.
  std::string entry_path(const std::string& key) const;
  /// Total bytes of the entries in the directory now (scans it).
  uint64_t total_bytes() const;

 private:
  struct Impl;
  std::string dir_;
  uint64_t max_bytes_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::runtime
