// Matrix products for the models' hot loops: C = op(A) op(B) or C += op(A) op(B), computed by a
// private, statically linked OpenBLAS (Debian's pthread build, one thread per call).
//
// Why not Eigen's product: OpenBLAS's sgemm kernel runs 40% faster on this project's machines at
// the shapes training uses (bench/README.md, "Results"). Why private: numpy and torch load the
// system's OpenBLAS, whose thread count is theirs to set; ours is linked into each rnnatlas binary
// with its symbols hidden, set to one thread once, and safe to call from many threads at once (the
// pthread build allocates its buffers under a lock), so populations still train one network per
// thread, each with bit-identical results whatever the thread count.
#pragma once

#include <Eigen/Core>
#include <type_traits>

namespace rnnatlas::internal {

/// A dense operand as BLAS sees it: `rows` x `cols`, stored column-major (or row-major) with
/// leading dimension `ld`.
template <typename Scalar>
struct GemmOperand {
  const Scalar* data;
  Eigen::Index rows, cols, ld;
  bool row_major;
};

/// C = beta C + A B, with C `c.rows` x `c.cols` (beta is 0 or 1 at every call site). Defined for
/// float and double in gemm.cc.
template <typename Scalar>
void gemm(Scalar beta,
          Scalar* c_data,
          const GemmOperand<Scalar>& c,
          const GemmOperand<Scalar>& a,
          const GemmOperand<Scalar>& b);

/// The storage of an Eigen expression with direct access (a matrix, a Map, a block of either, or
/// the transpose of one: a transpose is the same storage in the other order).
template <typename Derived>
GemmOperand<typename Derived::Scalar> gemm_operand(const Eigen::DenseBase<Derived>& m) {
  static_assert(bool(Derived::Flags & Eigen::DirectAccessBit),
                "gemm operands must be plain storage (matrices, maps, blocks, transposes)");
  static_assert(
      Derived::InnerStrideAtCompileTime == 1 || Derived::InnerStrideAtCompileTime == Eigen::Dynamic,
      "gemm operands must have unit inner stride");
  eigen_assert(m.innerStride() == 1);
  return {m.derived().data(), m.rows(), m.cols(), m.outerStride(), bool(Derived::IsRowMajor)};
}

/// C = A B, as `C.noalias() = A * B`. A and B may be transposes: `assign_product(C, W.transpose(),
/// D)`. C must already have the right size and not overlap A or B.
template <typename DC, typename DA, typename DB>
void assign_product(DC&& C, const Eigen::DenseBase<DA>& A, const Eigen::DenseBase<DB>& B) {
  using Scalar = typename std::remove_cvref_t<DC>::Scalar;
  gemm<Scalar>(Scalar(0), C.data(), gemm_operand(C), gemm_operand(A), gemm_operand(B));
}

/// C += A B, as `C.noalias() += A * B`.
template <typename DC, typename DA, typename DB>
void add_product(DC&& C, const Eigen::DenseBase<DA>& A, const Eigen::DenseBase<DB>& B) {
  using Scalar = typename std::remove_cvref_t<DC>::Scalar;
  gemm<Scalar>(Scalar(1), C.data(), gemm_operand(C), gemm_operand(A), gemm_operand(B));
}

}  // namespace rnnatlas::internal
