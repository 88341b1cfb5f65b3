// The models' products (models/gemm.h) against Eigen's, in every storage the cells hand them:
// column- and row-major operands, transposes, blocks with an outer stride, shapes with a dimension
// of 1 or 0; the same results from many threads at once; and the cells' input projection, whose
// thin case bypasses gemm.
#include "models/gemm.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "common/random.h"
#include "models/cell_impl.h"
#include "testing/random_matrix.h"

namespace rnnatlas::internal {
namespace {

template <typename Scalar>
using ColMat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
template <typename Scalar>
using RowMat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <typename Scalar>
class Gemm : public ::testing::Test {
 protected:
  /// float products agree with double's to rounding of sums of ~20 terms of size ~1.
  static constexpr double kTol = std::is_same_v<Scalar, float> ? 1e-5 : 1e-13;

  ColMat<Scalar> random(int rows, int cols) {
    return testing::random_normal(rows, cols, 1.0, rng_).template cast<Scalar>();
  }

  /// Max |got - want| over the entries, in double.
  template <typename Got, typename Want>
  static double error(const Got& got, const Want& want) {
    EXPECT_EQ(got.rows(), want.rows());
    EXPECT_EQ(got.cols(), want.cols());
    return (got.template cast<double>() - want.template cast<double>()).cwiseAbs().maxCoeff();
  }

  Rng rng_{7};
};

using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Gemm, Scalars);

TYPED_TEST(Gemm, AssignsProductsOfEveryStorageOrder) {
  using S = TypeParam;
  const int m = 13, k = 17, n = 11;
  const ColMat<S> A = this->random(m, k), B = this->random(k, n);
  const ColMat<S> want = A * B;
  const RowMat<S> A_row = A, B_row = B;
  const ColMat<S> At = A.transpose(), Bt = B.transpose();
  const RowMat<S> At_row = At, Bt_row = Bt;

  ColMat<S> C(m, n);
  RowMat<S> C_row(m, n);
  // Every combination of column-major, row-major and transposed operands.
  for (int variant = 0; variant < 9; ++variant) {
    C.setConstant(S(99));
    C_row.setConstant(S(99));
    const auto assign_both = [&](const auto& a, const auto& b) {
      assign_product(C, a, b);
      assign_product(C_row, a, b);
    };
    switch (variant) {
      case 0:
        assign_both(A, B);
        break;
      case 1:
        assign_both(A_row, B);
        break;
      case 2:
        assign_both(A, B_row);
        break;
      case 3:
        assign_both(A_row, B_row);
        break;
      case 4:
        assign_both(At.transpose(), B);
        break;
      case 5:
        assign_both(A, Bt.transpose());
        break;
      case 6:
        assign_both(At_row.transpose(), Bt.transpose());
        break;
      case 7:
        assign_both(At.transpose(), Bt_row.transpose());
        break;
      case 8:
        assign_both(At_row.transpose(), Bt_row.transpose());
        break;
    }
    EXPECT_LT(this->error(C, want), this->kTol) << "variant " << variant;
    EXPECT_LT(this->error(C_row, want), this->kTol) << "variant " << variant;
  }
}

TYPED_TEST(Gemm, AddsIntoBlocksOfLargerMatricesAndLeavesTheRestAlone) {
  using S = TypeParam;
  // As the cells use it: gate rows of a weight matrix (row-major, strided), time-step columns of
  // a state matrix (column-major, strided), accumulating into a block of a larger matrix.
  const RowMat<S> W = this->random(3 * 8, 8);
  const ColMat<S> H = this->random(8 + 2, 5 * 4);
  ColMat<S> out = this->random(3 * 8 + 4, 5 * 4 + 3);
  const ColMat<S> before = out;

  auto block = out.block(2, 3, 8, 4);
  add_product(block, W.middleRows(8, 8), H.block(1, 4, 8, 4));
  ColMat<S> want = before;
  want.block(2, 3, 8, 4) += W.middleRows(8, 8) * H.block(1, 4, 8, 4);
  EXPECT_LT(this->error(out, want), this->kTol);

  // The transposed product of backward: dH = W_k^T dA, into a row-major map of a flat array.
  std::vector<S> flat(8 * 4, S(1));
  Eigen::Map<RowMat<S>> dH(flat.data(), 8, 4);
  const ColMat<S> dA = this->random(8, 4);
  add_product(dH, W.topRows(8).transpose(), dA);
  EXPECT_LT(this->error(dH, (ColMat<S>::Ones(8, 4) + W.topRows(8).transpose() * dA).eval()),
            this->kTol);
}

TYPED_TEST(Gemm, HandlesDimensionsOfOneAndZero) {
  using S = TypeParam;
  // Outer products and inner products: Eigen reports outer strides BLAS would reject.
  const ColMat<S> a = this->random(6, 1), b = this->random(1, 9);
  ColMat<S> outer(6, 9);
  assign_product(outer, a, b);
  EXPECT_LT(this->error(outer, (a * b).eval()), this->kTol);
  RowMat<S> inner(1, 1);
  assign_product(inner, b, b.transpose());
  EXPECT_LT(this->error(inner, (b * b.transpose()).eval()), this->kTol);
  const RowMat<S> row = this->random(1, 6);
  ColMat<S> one_row(1, 9);
  assign_product(one_row, row, outer);
  EXPECT_LT(this->error(one_row, (row * outer).eval()), this->kTol);

  // An empty inner dimension is an empty sum: assign gives 0 and add changes nothing.
  const ColMat<S> no_cols(4, 0), no_rows(0, 3);
  ColMat<S> C = ColMat<S>::Constant(4, 3, S(2));
  add_product(C, no_cols, no_rows);
  EXPECT_EQ(C, (ColMat<S>::Constant(4, 3, S(2))));
  RowMat<S> C_row = RowMat<S>::Constant(4, 3, S(2));
  assign_product(C_row, no_cols, no_rows);
  EXPECT_EQ(C_row, (RowMat<S>::Zero(4, 3)));
  // An empty result is nothing to do.
  ColMat<S> empty(0, 3);
  assign_product(empty, ColMat<S>(0, 5), this->random(5, 3));
  EXPECT_EQ(empty.size(), 0);
}

TYPED_TEST(Gemm, InputProjectionIsWeightsTimesInputsPlusBiasForThinAndWideInputs) {
  using S = TypeParam;
  // Up to kMaxFusedInputs inputs the projection is formed column by column, beyond with gemm.
  for (const int n_input : {1, 3, int(kMaxFusedInputs), int(kMaxFusedInputs) + 1, 40}) {
    const RowMat<S> W = this->random(12, n_input);
    const ColMat<S> b = this->random(12, 1), X = this->random(n_input, 30);
    ColMat<S> P(12, 30);
    const InputProjection<S> project(Eigen::Map<const RowMat<S>>(W.data(), 12, n_input), b);
    project(X, P);
    const ColMat<S> want = (W * X).colwise() + b.col(0);
    EXPECT_LT(this->error(P, want), 4 * this->kTol) << n_input << " inputs";
  }
}

TYPED_TEST(Gemm, ThreadsAtOnceGetTheSequentialResultsBitForBit) {
  using S = TypeParam;
  // Populations train one network per thread: products running at once must not share buffers.
  const int n_threads = 4, n_repeats = 50;
  const RowMat<S> W = this->random(96, 32);
  std::vector<ColMat<S>> inputs, want;
  for (int t = 0; t < n_threads; ++t) {
    inputs.push_back(this->random(32, 64));
    want.emplace_back(96, 64);
    assign_product(want.back(), W, inputs.back());
  }
  std::vector<int> n_mismatches(n_threads, 0);
  std::vector<std::thread> threads;
  threads.reserve(n_threads);
  for (int t = 0; t < n_threads; ++t) {
    threads.emplace_back([&, t] {
      ColMat<S> C(96, 64);
      for (int r = 0; r < n_repeats; ++r) {
        assign_product(C, W, inputs[t]);
        n_mismatches[t] += (C != want[t]);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < n_threads; ++t) EXPECT_EQ(n_mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace rnnatlas::internal
