#include "nas/error.h"

#include <cstdio>

namespace nas {

Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;
UsageError::UsageError(const std::string& message) : Error(message) {}
UsageError::~UsageError() = default;

std::string printable(const std::string& text, std::size_t max_length) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_length; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > max_length) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

}  // namespace nas
