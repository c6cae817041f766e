// Seeds and random number generators.
//
// Contract: every random choice in the framework draws from a seed derived from
// (master seed, component name, architecture, repeat) by a counter-based hash, never from a
// shared stream. Results therefore do not depend on thread count, evaluation order or the
// number of processes. derive_seed is a pure function, stable across platforms and releases
// (changing it changes every published score, so it is versioned by kSeedSchemeVersion).
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace nas {

inline constexpr int kSeedSchemeVersion = 1;

// SplitMix64 finaliser: a bijective 64-bit mixer.
std::uint64_t mix64(std::uint64_t x);
// FNV-1a 64-bit hash of a string, mixed.
std::uint64_t hash_string(std::string_view text);
std::uint64_t derive_seed(std::uint64_t master, std::string_view component,
                          std::string_view arch = {}, std::uint64_t repeat = 0);

// Torch's CPU generator keeps only the low 32 bits of a seed (at::mt19937 seeds from a
// uint32), so 64-bit derived seeds are folded to 32 bits before they reach torch; otherwise
// seeds differing only in their high half would give the same stream.
std::uint64_t torch_seed(std::uint64_t seed);

// The one generator type strategies and spaces use: 64-bit Mersenne twister.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  // Uniform integer in [0, n). n must be > 0.
  std::int64_t below(std::int64_t n);
  // Uniform double in [0, 1).
  double uniform();
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace nas
