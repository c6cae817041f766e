// Arch: one architecture of one search space, as a value.
//
// Contract: an Arch is the space's name plus the space's canonical string for the
// architecture (NB201 `|op~0|+...|`, a DARTS genotype, a block string...). Two Archs are equal
// exactly when both parts are equal, so a space must canonicalise before constructing one:
// only SearchSpace::parse and the space's own generators create Archs. Archs are cheap to
// copy, hashable and ordered (by string), so they serve as map keys and CSV keys.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>

namespace nas {

class Arch {
 public:
  Arch() = default;
  Arch(std::string space, std::string canonical)
      : space_(std::move(space)), text_(std::move(canonical)) {}

  const std::string& space() const { return space_; }
  // The canonical string; what CSV files and ground-truth tables hold.
  const std::string& str() const { return text_; }
  bool empty() const { return text_.empty(); }

  friend bool operator==(const Arch& a, const Arch& b) {
    return a.text_ == b.text_ && a.space_ == b.space_;
  }
  friend bool operator!=(const Arch& a, const Arch& b) { return !(a == b); }
  friend bool operator<(const Arch& a, const Arch& b) {
    return a.space_ != b.space_ ? a.space_ < b.space_ : a.text_ < b.text_;
  }

 private:
  std::string space_;
  std::string text_;
};

}  // namespace nas

template <>
struct std::hash<nas::Arch> {
  std::size_t operator()(const nas::Arch& a) const noexcept {
    return std::hash<std::string>()(a.str()) ^ (std::hash<std::string>()(a.space()) << 1);
  }
};
