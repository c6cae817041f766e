// Errors the framework reports to people.
//
// Contract: every failure that comes from input a user controls (a YAML file, a CSV table, an
// architecture string, a plugin file) is thrown as nas::Error with a message that names the
// file, the line or key, what was expected and, where there is a closed set, the valid
// choices. The CLI catches nas::Error, prints it and exits with status 2 for usage errors
// (UsageError) and 1 for everything else. Plugin code throws nas::Error (or anything derived
// from std::exception); the evaluator records such failures per architecture and goes on.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace nas {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
  ~Error() override;
};

// A bad invocation or bad configuration: the CLI exits with status 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message);
  ~UsageError() override;
};

// Untrusted text (from a file, a command line) made safe to echo in a message: control bytes
// escaped as \xNN, and text longer than max_length cut with "…(N bytes)".
std::string printable(const std::string& text, std::size_t max_length = 200);

// "a, b, c" — for messages that list the valid choices.
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

}  // namespace nas
