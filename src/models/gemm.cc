#include "models/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <type_traits>

#include "rnnatlas/error.h"

namespace rnnatlas::internal {
namespace {

/// OpenBLAS starts with as many threads as cores; every product of ours runs on the calling
/// thread, so that threads of a population never wait on one another's products.
void use_one_blas_thread() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

/// The same matrix seen transposed: the same storage read in the other order.
template <typename Scalar>
GemmOperand<Scalar> transposed(const GemmOperand<Scalar>& m) {
  return {m.data, m.cols, m.rows, m.ld, !m.row_major};
}

/// The leading dimension BLAS requires: at least the stored column length, and at least 1, even
/// where the other dimension is 1 and Eigen reports a smaller outer stride.
template <typename Scalar>
int leading_dimension(const GemmOperand<Scalar>& m) {
  const Eigen::Index stored_rows = m.row_major ? m.cols : m.rows;
  const Eigen::Index stored_cols = m.row_major ? m.rows : m.cols;
  return static_cast<int>(stored_cols <= 1 ? std::max<Eigen::Index>({m.ld, stored_rows, 1}) : m.ld);
}

}  // namespace

template <typename Scalar>
void gemm(Scalar beta,
          Scalar* c_data,
          const GemmOperand<Scalar>& c,
          const GemmOperand<Scalar>& a,
          const GemmOperand<Scalar>& b) {
  RNNATLAS_ASSERT(a.rows == c.rows && b.cols == c.cols && a.cols == b.rows,
                  "[" << c.rows << ", " << c.cols << "] = [" << a.rows << ", " << a.cols << "] x ["
                      << b.rows << ", " << b.cols << "]");
  if (c.rows == 0 || c.cols == 0) return;
  GemmOperand<Scalar> A = a, B = b, C = c;
  // BLAS takes C column-major; a row-major C is a column-major C^T = B^T A^T.
  if (C.row_major) {
    C = transposed(C);
    A = transposed(b);
    B = transposed(a);
  }
  if (A.cols == 0) {  // an empty sum: C = beta C
    Eigen::Map<Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>, 0, Eigen::OuterStride<>>
        C_map(c_data, C.rows, C.cols, Eigen::OuterStride<>(C.ld));
    if (beta == Scalar(0)) C_map.setZero();
    return;
  }
  RNNATLAS_ASSERT(
      std::max({C.rows, C.cols, A.cols, A.ld, B.ld, C.ld}) <= INT_MAX,
      "dimensions beyond BLAS's int: [" << C.rows << ", " << C.cols << "], K = " << A.cols);
  use_one_blas_thread();
  // A row-major operand is, to column-major BLAS, its transpose stored column-major.
  const CBLAS_TRANSPOSE ta = A.row_major ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = B.row_major ? CblasTrans : CblasNoTrans;
  const int m = static_cast<int>(C.rows), n = static_cast<int>(C.cols);
  const int k = static_cast<int>(A.cols);
  const int lda = leading_dimension(A), ldb = leading_dimension(B), ldc = leading_dimension(C);
  if constexpr (std::is_same_v<Scalar, float>) {
    cblas_sgemm(CblasColMajor, ta, tb, m, n, k, 1.0f, A.data, lda, B.data, ldb, beta, c_data, ldc);
  } else {
    cblas_dgemm(CblasColMajor, ta, tb, m, n, k, 1.0, A.data, lda, B.data, ldb, beta, c_data, ldc);
  }
}

template void gemm<float>(
    float, float*, const GemmOperand<float>&, const GemmOperand<float>&, const GemmOperand<float>&);
template void gemm<double>(double,
                           double*,
                           const GemmOperand<double>&,
                           const GemmOperand<double>&,
                           const GemmOperand<double>&);

}  // namespace rnnatlas::internal
