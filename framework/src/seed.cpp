#include "nas/seed.h"

#include "nas/error.h"

namespace nas {

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint64_t hash_string(std::string_view text) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return mix64(h);
}

std::uint64_t derive_seed(std::uint64_t master, std::string_view component, std::string_view arch,
                          std::uint64_t repeat) {
  std::uint64_t h = mix64(master);
  h = mix64(h ^ hash_string(component));
  h = mix64(h ^ hash_string(arch));
  h = mix64(h ^ repeat);
  // torch::manual_seed and friends take any 64-bit value, but keep seeds printable and
  // positive for tools that read scores.csv as signed integers.
  return h >> 1;
}

std::uint64_t torch_seed(std::uint64_t seed) { return (seed ^ (seed >> 32)) & 0xFFFFFFFFull; }

std::int64_t Rng::below(std::int64_t n) {
  if (n <= 0) throw Error("Rng::below needs a positive bound, got " + std::to_string(n));
  // Rejection sampling: unbiased and identical on every platform (std distributions are not).
  const std::uint64_t bound = static_cast<std::uint64_t>(n);
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  std::uint64_t v;
  do {
    v = engine_();
  } while (v >= limit);
  return static_cast<std::int64_t>(v % bound);
}

double Rng::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

}  // namespace nas
