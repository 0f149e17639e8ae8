// Whole-file I/O for kiln's file formats. Writes never leave a half-written file after a crash:
// the bytes go to a temporary file in the same folder, which is flushed and renamed over the
// destination.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::detail {

/// Writes the concatenated `chunks` to `path` atomically (temp file, fsync, rename, fsync of the
/// folder). Throws Error starting with "[op]" naming the path and the system's reason.
void write_file_atomically(const char* op, const std::string& path,
                           const std::vector<std::string_view>& chunks);

/// The whole content of `path`; throws FormatError "[op] cannot open/read '<path>'".
std::string read_whole_file(const char* op, const std::string& path);

}  // namespace kiln::detail
