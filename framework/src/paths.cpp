#include "nas/paths.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "nas/error.h"

namespace nas {

std::vector<std::string> split_path_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) out.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> split_path_list(const char* list) {
  return list ? split_path_list(std::string(list)) : std::vector<std::string>{};
}

std::string make_temp_dir(const std::string& prefix) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path base = fs::temp_directory_path(ec);
  if (ec) {
    const char* tmpdir = std::getenv("TMPDIR");
    throw Error("cannot create a temporary directory: the temporary folder " +
                std::string(tmpdir ? tmpdir : "/tmp") + " (from $TMPDIR) is not usable (" +
                ec.message() + ")");
  }
  // mkdtemp picks a name nobody else has and creates it atomically.
  std::string name = (base / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(name.data())) {
    throw Error("cannot create a temporary directory in " + base.string() + " (" +
                std::strerror(errno) + ")");
  }
  return name;
}

}  // namespace nas
