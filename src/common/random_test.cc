#include "common/random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace rnnatlas::internal {
namespace {

constexpr int kDraws = 100'000;

std::vector<std::uint64_t> first_draws(Rng rng, int n) {
  std::vector<std::uint64_t> out(n);
  for (auto& x : out) x = rng.next_u64();
  return out;
}

TEST(Rng, Mix64IsTheSplitmix64Finaliser) {
  // First output of splitmix64 seeded with 0 (Vigna's reference implementation).
  EXPECT_EQ(mix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_NE(derive_seed(1, 0), derive_seed(1, 1));
  EXPECT_NE(derive_seed(1, 0), derive_seed(2, 0));
  EXPECT_NE(derive_seed(1, 0, 0), derive_seed(1, 0, 1));
}

TEST(Rng, SameKeyGivesSameSequence) {
  EXPECT_EQ(first_draws(Rng(123, 4), 1000), first_draws(Rng(123, 4), 1000));
  // A copy continues the sequence exactly.
  Rng a(9, 9);
  a.normal();
  Rng b = a;
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.normal(), b.normal());
}

TEST(Rng, DifferentStreamOrSeedGivesDifferentSequence) {
  const auto base = first_draws(Rng(123, 4), 1000);
  const auto other_stream = first_draws(Rng(123, 5), 1000);
  const auto other_seed = first_draws(Rng(124, 4), 1000);
  int same_stream = 0, same_seed = 0;
  for (int i = 0; i < 1000; ++i) {
    same_stream += base[i] == other_stream[i];
    same_seed += base[i] == other_seed[i];
  }
  EXPECT_EQ(same_stream, 0);
  EXPECT_EQ(same_seed, 0);
  // Neighbouring (seed, stream) keys must not give shifted copies of one sequence.
  EXPECT_NE(first_draws(Rng(0, 1), 2)[0], first_draws(Rng(0, 0), 2)[1]);
}

TEST(Rng, UniformIsInUnitIntervalWithMeanOneHalf) {
  Rng rng(1, 0);
  double sum = 0.0, sum_squares = 0.0, lowest = 1.0, highest = 0.0;
  for (int i = 0; i < kDraws; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_squares += u * u;
    lowest = std::min(lowest, u);
    highest = std::max(highest, u);
  }
  const double mean = sum / kDraws;
  // sd of the mean: sqrt(1/12 / 1e5) = 0.00091; bound 5.5 sd.
  EXPECT_NEAR(mean, 0.5, 0.005);
  EXPECT_NEAR(sum_squares / kDraws - mean * mean, 1.0 / 12, 0.002);
  EXPECT_LT(lowest, 1e-3);
  EXPECT_GT(highest, 1.0 - 1e-3);

  for (int i = 0; i < 1000; ++i) {
    const double x = rng.uniform(-2.0, 3.0);
    ASSERT_GE(x, -2.0);
    ASSERT_LT(x, 3.0);
  }
}

TEST(Rng, NormalHasMeanZeroAndVarianceOne) {
  Rng rng(2, 0);
  double sum = 0.0, sum_squares = 0.0, sum_fourth = 0.0;
  int n_beyond_2 = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double z = rng.normal();
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sum_squares += z * z;
    sum_fourth += z * z * z * z;
    n_beyond_2 += std::abs(z) > 2.0;
  }
  // sd of the mean 0.0032, of the variance sqrt(2 / 1e5) = 0.0045, of the fourth moment
  // sqrt(96 / 1e5) = 0.031, of the tail fraction (p = 0.0455) 0.00066; bounds are >= 5 sd.
  EXPECT_NEAR(sum / kDraws, 0.0, 0.02);
  EXPECT_NEAR(sum_squares / kDraws, 1.0, 0.025);
  EXPECT_NEAR(sum_fourth / kDraws, 3.0, 0.2);
  EXPECT_NEAR(static_cast<double>(n_beyond_2) / kDraws, 0.0455, 0.004);
}

TEST(Rng, UniformIntIsInRangeAndRoughlyUniform) {
  Rng rng(3, 0);
  constexpr int kN = 7;
  std::vector<int> counts(kN, 0);
  for (int i = 0; i < 70'000; ++i) {
    const std::uint64_t k = rng.uniform_int(kN);
    ASSERT_LT(k, static_cast<std::uint64_t>(kN));
    ++counts[k];
  }
  // Each count is Binomial(70000, 1/7): mean 10000, sd 93; bound 5.4 sd.
  for (int k = 0; k < kN; ++k) EXPECT_NEAR(counts[k], 10'000, 500) << "k=" << k;

  for (int i = 0; i < 100; ++i) ASSERT_EQ(rng.uniform_int(1), 0u);
  // Large n: the top half is reached about half of the time.
  const std::uint64_t big = std::uint64_t{1} << 62;
  int n_top_half = 0;
  for (int i = 0; i < 1000; ++i) n_top_half += rng.uniform_int(big) >= big / 2;
  EXPECT_NEAR(n_top_half, 500, 80);
}

}  // namespace
}  // namespace rnnatlas::internal
