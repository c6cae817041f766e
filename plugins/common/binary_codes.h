// Binary activation codes: packing 1[x > 0] into 64-bit words and the counts built on them.
//
// Shared, header-only, by the proxies that look at ReLU on/off patterns: nwot (the NASWOT
// Hamming kernel), swap (distinct columns of the sample x unit code matrix) and
// linear_regions (distinct rows). The tests include it too, so the math is checked on
// hand-made matrices. Everything is exact integer arithmetic: no rounding anywhere.
//
// The bit order inside a word is an implementation detail: the counts here only compare
// words with each other (XOR / equality), and padding bits are zero in every row.
#pragma once

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace nas_codes {

// Rows of a binary matrix, each packed into `words` 64-bit words.
struct PackedRows {
  std::int64_t rows = 0;
  std::int64_t bits = 0;            // columns of the original matrix
  std::int64_t words = 0;           // ceil(bits / 64)
  std::vector<std::uint64_t> data;  // rows * words, row-major
  const std::uint64_t* row(std::int64_t i) const { return data.data() + i * words; }
};

// The `rows` x `bits` matrix 1[x > 0] of a tensor viewed as (rows, -1).
inline at::Tensor positive_mask(const at::Tensor& x, std::int64_t rows) {
  return at::gt(x.reshape({rows, -1}), 0).contiguous();
}

// Packs a contiguous bool matrix (rows x bits) row by row. Eight bools at a time become one
// byte by the multiply trick (each bool is 0 or 1 in its own byte), so packing costs about
// one load per eight entries.
inline PackedRows pack_rows(const at::Tensor& mask) {
  TORCH_CHECK(mask.scalar_type() == at::kBool && mask.dim() == 2 && mask.is_contiguous(),
              "pack_rows needs a contiguous 2-D bool tensor");
  PackedRows p;
  p.rows = mask.size(0);
  p.bits = mask.size(1);
  p.words = (p.bits + 63) / 64;
  p.data.assign(static_cast<std::size_t>(p.rows * p.words), 0);
  const auto* src = reinterpret_cast<const unsigned char*>(mask.data_ptr<bool>());
  for (std::int64_t r = 0; r < p.rows; ++r) {
    const unsigned char* in = src + r * p.bits;
    std::uint64_t* out = p.data.data() + r * p.words;
    std::int64_t k = 0;
    for (; k + 8 <= p.bits; k += 8) {
      std::uint64_t v;
      std::memcpy(&v, in + k, 8);
      const std::uint64_t byte = ((v & 0x0101010101010101ull) * 0x0102040810204080ull) >> 56;
      out[k >> 6] |= byte << (k & 63);
    }
    for (; k < p.bits; ++k) out[k >> 6] |= static_cast<std::uint64_t>(in[k] != 0) << (k & 63);
  }
  return p;
}

namespace detail {

inline std::int64_t popcount_xor_generic(const std::uint64_t* a, const std::uint64_t* b,
                                         std::int64_t n) {
  std::int64_t s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += __builtin_popcountll(a[i] ^ b[i]);
  return s;
}

#if defined(__x86_64__) && defined(__GNUC__)
// The same loop compiled for the POPCNT instruction, picked at run time: the default x86-64
// target has none, and the software fallback is several times slower.
__attribute__((target("popcnt"))) inline std::int64_t popcount_xor_hw(const std::uint64_t* a,
                                                                      const std::uint64_t* b,
                                                                      std::int64_t n) {
  std::int64_t s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += __builtin_popcountll(a[i] ^ b[i]);
  return s;
}
#endif

inline std::int64_t popcount_xor(const std::uint64_t* a, const std::uint64_t* b, std::int64_t n) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool hw = __builtin_cpu_supports("popcnt");
  if (hw) return popcount_xor_hw(a, b, n);
#endif
  return popcount_xor_generic(a, b, n);
}

}  // namespace detail

// Adds `multiplicity` x (D - Hamming distance) between every pair of rows to `k` (an N x N
// int64 matrix, row-major), i.e. multiplicity x (c cᵀ + (1 - c)(1 - c)ᵀ): the NASWOT kernel.
inline void add_hamming_kernel(const PackedRows& p, std::int64_t multiplicity, std::int64_t* k) {
  const std::int64_t n = p.rows;
  for (std::int64_t i = 0; i < n; ++i) {
    k[i * n + i] += multiplicity * p.bits;
    for (std::int64_t j = i + 1; j < n; ++j) {
      const std::int64_t same = p.bits - detail::popcount_xor(p.row(i), p.row(j), p.words);
      k[i * n + j] += multiplicity * same;
      k[j * n + i] += multiplicity * same;
    }
  }
}

// Number of distinct rows among several row blocks that belong together: row i of the
// whole code is the concatenation of row i of every block (all blocks have the same rows).
inline std::int64_t count_distinct_rows(const std::vector<PackedRows>& blocks) {
  if (blocks.empty()) return 0;
  const std::int64_t n = blocks.front().rows;
  auto less = [&](std::int64_t a, std::int64_t b) {
    for (const PackedRows& p : blocks) {
      const std::uint64_t* x = p.row(a);
      const std::uint64_t* y = p.row(b);
      for (std::int64_t w = 0; w < p.words; ++w)
        if (x[w] != y[w]) return x[w] < y[w];
    }
    return false;
  };
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), less);
  std::int64_t distinct = n > 0 ? 1 : 0;
  for (std::int64_t i = 1; i < n; ++i) distinct += less(order[i - 1], order[i]) ? 1 : 0;
  return distinct;
}

// Distinct columns of a binary matrix whose N rows are samples: each column is the N-bit
// pattern "which samples switch this unit on". Columns are streamed in blocks (one tap's
// units at a time), so the full N x F matrix is never materialised.
class ColumnPatternSet {
 public:
  explicit ColumnPatternSet(std::int64_t samples) : n_(samples), words_((samples + 63) / 64) {
    TORCH_CHECK(samples > 0, "ColumnPatternSet needs at least one sample");
    // Up to 20 samples: a table with one byte per possible pattern (at most 1 MiB).
    if (n_ <= 20) bitmap_.assign(static_cast<std::size_t>(1) << n_, 0);
  }

  // Adds every column of a contiguous bool matrix (samples x units).
  void add(const at::Tensor& mask) {
    TORCH_CHECK(mask.scalar_type() == at::kBool && mask.dim() == 2 && mask.is_contiguous() &&
                    mask.size(0) == n_,
                "ColumnPatternSet::add needs a contiguous (samples x units) bool tensor");
    const std::int64_t f = mask.size(1);
    const auto* src = reinterpret_cast<const unsigned char*>(mask.data_ptr<bool>());
    // Column keys: bit s of word s/64 is sample s. Sample-major loops read the mask in order.
    std::vector<std::uint64_t> keys(static_cast<std::size_t>(f * words_), 0);
    for (std::int64_t s = 0; s < n_; ++s) {
      const unsigned char* row = src + s * f;
      const int shift = static_cast<int>(s & 63);
      std::uint64_t* out = keys.data() + (s >> 6);
      if (words_ == 1) {  // unit stride: the compiler vectorises this loop
        for (std::int64_t u = 0; u < f; ++u) out[u] |= static_cast<std::uint64_t>(row[u]) << shift;
      } else {
        for (std::int64_t u = 0; u < f; ++u)
          out[u * words_] |= static_cast<std::uint64_t>(row[u]) << shift;
      }
    }
    if (!bitmap_.empty()) {
      for (std::int64_t u = 0; u < f; ++u) {
        const std::uint64_t key = keys[static_cast<std::size_t>(u)];
        count_ += bitmap_[key] == 0;
        bitmap_[key] = 1;
      }
    } else if (words_ == 1) {
      for (std::int64_t u = 0; u < f; ++u) insert_word(keys[static_cast<std::size_t>(u)]);
    } else {
      for (std::int64_t u = 0; u < f; ++u)
        wide_.emplace_back(keys.begin() + u * words_, keys.begin() + (u + 1) * words_);
      std::sort(wide_.begin(), wide_.end());
      wide_.erase(std::unique(wide_.begin(), wide_.end()), wide_.end());
    }
  }

  std::int64_t count() const {
    if (!bitmap_.empty() || words_ == 1) return count_;
    return static_cast<std::int64_t>(wide_.size());
  }

 private:
  // Open addressing with linear probing; key 0 (a unit off for every sample) is kept apart
  // so that 0 can mark an empty slot.
  void insert_word(std::uint64_t key) {
    if (key == 0) {
      count_ += !has_zero_;
      has_zero_ = true;
      return;
    }
    if (static_cast<std::size_t>(count_ + 1) * 2 > table_.size()) grow();
    const std::size_t mask = table_.size() - 1;
    for (std::size_t i = mix(key) & mask;; i = (i + 1) & mask) {
      if (table_[i] == key) return;
      if (table_[i] == 0) {
        table_[i] = key;
        ++count_;
        return;
      }
    }
  }
  void grow() {
    std::vector<std::uint64_t> old;
    old.swap(table_);
    table_.assign(std::max<std::size_t>(1024, old.size() * 2), 0);
    const std::size_t mask = table_.size() - 1;
    for (std::uint64_t key : old) {
      if (key == 0) continue;
      std::size_t i = mix(key) & mask;
      while (table_[i] != 0) i = (i + 1) & mask;
      table_[i] = key;
    }
  }
  static std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }

  std::int64_t n_;
  std::int64_t words_;
  std::int64_t count_ = 0;
  bool has_zero_ = false;
  std::vector<unsigned char> bitmap_;
  std::vector<std::uint64_t> table_;
  std::vector<std::vector<std::uint64_t>> wide_;
};

}  // namespace nas_codes
