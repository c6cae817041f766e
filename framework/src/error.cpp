#include "nas/error.h"

namespace nas {

Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;
UsageError::UsageError(const std::string& message) : Error(message) {}
UsageError::~UsageError() = default;

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace nas
