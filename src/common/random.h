// Counter-based seeding and a portable generator.
//
// Every random draw in rnnatlas comes from an Rng keyed by (seed, stream): trial b of a batch,
// parameter initialisation of a network, iteration i of training. A draw therefore depends only on
// its key, never on which thread made it or in what order. The generator is xoshiro256**
// (Blackman & Vigna 2018) seeded through splitmix64; uniform and normal variates are computed here
// rather than by <random>'s distributions, whose output differs between standard libraries.
#pragma once

#include <cmath>
#include <cstdint>

namespace rnnatlas::internal {

/// splitmix64 finaliser: a bijective 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Combines a seed with a stream index (and an optional domain tag) into a new 64-bit seed.
constexpr std::uint64_t derive_seed(std::uint64_t seed,
                                    std::uint64_t stream,
                                    std::uint64_t domain = 0) {
  return mix64(mix64(seed ^ mix64(domain)) + stream);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0) {
    std::uint64_t x = derive_seed(seed, stream);
    for (auto& s : s_) {
      x = mix64(x);
      s = x;
    }
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform on [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n), n >= 1 (Lemire's multiply-shift; bias < n / 2^64).
  std::uint64_t uniform_int(std::uint64_t n) {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<u128>(next_u64()) * n) >> 64);
  }
  /// Standard normal by the Box-Muller transform; the second variate is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * M_PI * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace rnnatlas::internal
