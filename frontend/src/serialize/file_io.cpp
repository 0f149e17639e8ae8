// Whole-file reads and atomic writes (see file_io.h).
#include "serialize/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "kiln/runtime/error.h"

namespace kiln::detail {

namespace {
std::atomic<uint64_t> temp_counter{0};

[[noreturn]] void fail(const char* op, const std::string& what, const std::string& path, int err) {
  throw Error(std::string("[") + op + "] cannot " + what + " '" + path +
              "': " + std::strerror(err));
}

/// Closes a descriptor and, unless released, removes the temporary file it wrote.
class TempFile {
 public:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!kept_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd() const { return fd_; }
  /// Closes the descriptor; returns close's errno (0 on success).
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }
  void keep() { kept_ = true; }

 private:
  int fd_;
  std::string path_;
  bool kept_ = false;
};

void write_all(const char* op, int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(op, "write", path, errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

/// Makes the rename itself durable; best effort (some file systems refuse fsync on folders).
void sync_folder(const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}
}  // namespace

void write_file_atomically(const char* op, const std::string& path,
                           const std::vector<std::string_view>& chunks) {
  std::string temp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(temp_counter.fetch_add(1));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) fail(op, "create", temp, errno);
  TempFile file(fd, temp);
  for (std::string_view chunk : chunks) write_all(op, file.fd(), chunk, temp);
  if (::fsync(file.fd()) != 0) fail(op, "flush", temp, errno);
  if (int err = file.close()) fail(op, "close", temp, err);
  if (std::rename(temp.c_str(), path.c_str()) != 0) fail(op, "rename to", path, errno);
  file.keep();
  sync_folder(path);
}

std::string read_whole_file(const char* op, const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw FormatError(std::string("[") + op + "] cannot open '" + path + "'");
  std::streamoff size = in.tellg();
  std::string bytes(static_cast<size_t>(std::max<std::streamoff>(size, 0)), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    throw FormatError(std::string("[") + op + "] cannot read '" + path + "'");
  }
  return bytes;
}

}  // namespace kiln::detail
