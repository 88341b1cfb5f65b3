// Representational similarity of two activity matrices.
//
// Every metric compares X [n_samples, n_x] with Y [n_samples, n_y]: rows are samples (the same
// held-out trials and time steps for every network, so row i of X and row i of Y match), columns
// are units, and n_x may differ from n_y. Every metric centres the columns first.
//
// Each metric comes in two layers:
//  - prepare_*(options, X) does the per-network work once (centring, SVD, whitening, Gram matrix)
//    and returns a Prepared* value; *(options, prepared_x, prepared_y) compares two of them. The
//    distance matrix of a population (distance_matrix.h) prepares each network once and reuses it
//    for all its pairs.
//  - *(options, X, Y) is the convenience form: prepare both sides, then compare.
// The Prepared* of the two sides must come from the same options (CKA and shape check it).
// Memory: a prepared side holds an [n_samples, rank] basis (SVCCA: [n_samples, k]), so a population
// of N networks needs about 8 N n_samples rank bytes.
//
// Costs below use n = n_samples, p = units of one side, r = its numerical rank, k = SVCCA's kept
// directions. An SVD of [n, p] costs O(n p^2).
//
// Input checks (InvalidArgument): the two sides have the same n_samples; every entry is finite;
// n_samples >= 2 (CKA: 4; debiased CKA divides by n - 3); CCA-type metrics need
// rank(X) + rank(Y) < n_samples, otherwise canonical correlations of 1 arise trivially; SVCCA needs
// k <= rank.
#pragma once

#include <Eigen/Core>
#include <string>
#include <string_view>
#include <vector>

#include "rnnatlas/schema.h"

namespace rnnatlas::similarity {

// ---- CCA -------------------------------------------------------------------------------------

struct CcaOptions {
  /// Directions whose singular value is below rank_tolerance * (largest singular value) are
  /// dropped from the basis of each side (numerical rank). In [0, 1).
  double rank_tolerance = 1e-10;

  /// Every field, with its rule and help (rnnatlas/schema.h).
  static const Schema<CcaOptions>& schema();
  /// Throws InvalidArgument naming the field, its value and the rule.
  void validate() const;
};

/// One side of CCA: an orthonormal basis of the column space of the centred activity.
struct PreparedCca {
  int n_samples = 0;
  int n_units = 0;
  Eigen::MatrixXd basis;     ///< [n_samples, rank], Q = U_r: orthonormal, spans range(X_c)
  Eigen::MatrixXd loadings;  ///< [n_units, rank], X_c^T Q = V_r S_r (used by PWCCA)
  int rank() const { return static_cast<int>(basis.cols()); }
};

/// Centres X [n_samples, n_units] and computes its thin SVD X_c = U S V^T; the basis is U
/// restricted to the numerical rank. Cost O(n p^2).
PreparedCca prepare_cca(const CcaOptions& options, const Eigen::Ref<const Eigen::MatrixXd>& x);

/// All canonical correlations rho_1 >= rho_2 >= ... >= rho_m, m = min(rank X, rank Y), each in
/// [0, 1]: the singular values of Q_x^T Q_y (Bjorck & Golub 1973), which equal the square roots of
/// the eigenvalues of Sxx^-1 Sxy Syy^-1 Syx.
/// Invariances: any invertible linear map of the columns of either side, translation.
/// Cost per pair: O(n r_x r_y). Requires rank X + rank Y < n_samples.
Eigen::VectorXd cca(const PreparedCca& x, const PreparedCca& y);
Eigen::VectorXd cca(const CcaOptions& options,
                    const Eigen::Ref<const Eigen::MatrixXd>& x,   // [n_samples, n_x]
                    const Eigen::Ref<const Eigen::MatrixXd>& y);  // [n_samples, n_y]

// ---- SVCCA (Raghu et al. 2017) ---------------------------------------------------------------

struct SvccaOptions {
  /// Principal directions kept on each side, in [1, rank]. Used when variance_fraction == 0.
  int k = 10;
  /// When > 0, keep instead the fewest leading directions whose variance reaches this fraction of
  /// the total (e.g. 0.99). In [0, 1].
  double variance_fraction = 0.0;
  /// Singular values below rank_tolerance * (largest) count as zero. The directions come from
  /// the eigen-decomposition of X_c^T X_c (fast, resolves about sqrt(eps)), so in [1e-7, 1).
  double rank_tolerance = 1e-7;

  /// Every field, with its rule and help (rnnatlas/schema.h).
  static const Schema<SvccaOptions>& schema();
  void validate() const;
};

/// One side of SVCCA: the top-k left singular vectors of the centred activity.
struct PreparedSvcca {
  int n_samples = 0;
  int n_units = 0;
  Eigen::MatrixXd basis;            ///< [n_samples, k], orthonormal: leading U of X_c
  Eigen::VectorXd singular_values;  ///< [rank], all nonzero singular values of X_c, descending
  int k() const { return static_cast<int>(basis.cols()); }
};

/// Centres X, eigen-decomposes X_c^T X_c = V S^2 V^T and keeps U_k = X_c V_k S_k^-1 (the top k
/// directions, or the variance fraction). Throws InvalidArgument if k exceeds the numerical rank.
/// Cost O(n p^2) (one GEMM) + O(p^3).
PreparedSvcca prepare_svcca(const SvccaOptions& options,
                            const Eigen::Ref<const Eigen::MatrixXd>& x);

struct SvccaResult {
  Eigen::VectorXd rho;  ///< [min(k_x, k_y)] canonical correlations of the reduced sides, descending
  double mean_rho = 0.0;
  double distance = 0.0;  ///< 1 - mean_rho, in [0, 1]
};

/// SVCCA: CCA between the top-k principal subspaces. Because CCA is invariant to invertible maps,
/// CCA of the projections X_c V_k equals the singular values of U_kx^T U_ky.
/// Invariances: orthogonal maps and isotropic scaling of the columns (not general invertible maps,
/// which change the principal directions), translation. Cost per pair: O(n k_x k_y).
SvccaResult svcca(const PreparedSvcca& x, const PreparedSvcca& y);
SvccaResult svcca(const SvccaOptions& options,
                  const Eigen::Ref<const Eigen::MatrixXd>& x,   // [n_samples, n_x]
                  const Eigen::Ref<const Eigen::MatrixXd>& y);  // [n_samples, n_y]

// ---- PWCCA (Morcos, Raghu & Bengio 2018) -----------------------------------------------------

struct PwccaResult {
  Eigen::VectorXd rho;      ///< [m] canonical correlations, descending
  Eigen::VectorXd weights;  ///< [m] alpha_i, summing to 1, in the order of rho
  double weighted_rho = 0.0;
  double distance = 0.0;  ///< 1 - sum_i alpha_i rho_i, in [0, 1]
};

/// Projection-weighted CCA. With the SVD Q_x^T Q_y = A diag(rho) B^T, the canonical variates of X
/// are the unit-norm columns h_i of H_x = Q_x A [n_samples, m]. Following the paper, the weights
/// come from X, the FIRST argument:
///   alpha_i = sum_j |<h_i, x_j>| / sum_i' sum_j |<h_i', x_j>|,
/// x_j = column j of the centred X, i.e. how much of X's activity each canonical direction accounts
/// for. distance = 1 - sum_i alpha_i rho_i. The metric is therefore ASYMMETRIC:
/// pwcca(X, Y) != pwcca(Y, X) in general (distance_matrix() averages both orders).
/// (google/svcca's pwcca.py weights by whichever side has fewer units and projects uncentred
/// activity; here the side is always X and activity is centred, as CCA itself is.)
/// Invariances: permutations, sign flips and isotropic scaling of X's units (the L1 sum over units
/// is not rotation invariant), any invertible linear map of Y's units, translation.
/// Cost per pair: O(n r_x r_y + p_x r_x m) (X_c^T h_i comes from the loadings, not from X_c).
PwccaResult pwcca(const PreparedCca& x, const PreparedCca& y);
PwccaResult pwcca(const CcaOptions& options,
                  const Eigen::Ref<const Eigen::MatrixXd>& x,   // [n_samples, n_x]
                  const Eigen::Ref<const Eigen::MatrixXd>& y);  // [n_samples, n_y]

// ---- CKA (Kornblith et al. 2019) -------------------------------------------------------------

enum class CkaKernel {
  kLinear,  ///< k(a, b) = <a, b>
  kRbf,     ///< k(a, b) = exp(-||a - b||^2 / (2 sigma^2))
};
std::string_view to_string(CkaKernel kernel);  ///< "linear", "rbf"
CkaKernel parse_cka_kernel(std::string_view name);
std::vector<std::string> cka_kernel_names();  ///< {"linear", "rbf"}

struct CkaOptions {
  CkaKernel kernel = CkaKernel::kLinear;
  /// RBF bandwidth as in Kornblith et al.'s code: sigma^2 = threshold^2 * median(D2), where D2 is
  /// the full [n, n] matrix of squared distances between samples (diagonal zeros included), i.e.
  /// sigma = threshold * sqrt(median squared distance). > 0. Ignored by the linear kernel.
  double threshold = 1.0;
  /// Use the unbiased HSIC estimator of Song et al. 2012 (debiased CKA; may be slightly negative).
  bool debiased = false;

  /// Every field but kernel (an enum), with its rule and help (rnnatlas/schema.h).
  static const Schema<CkaOptions>& schema();
  void validate() const;
};

/// One side of CKA. Linear kernels stay in feature space; the RBF kernel needs the [n, n] Gram
/// matrix (memory O(n^2): practical for n up to a few thousand samples).
struct PreparedCka {
  CkaKernel kernel = CkaKernel::kLinear;
  bool debiased = false;
  int n_samples = 0;
  int n_units = 0;
  /// linear: the centred X [n_samples, n_units], or X_c V_r [n_samples, r] when its rank r is
  /// lower (same ||X_c^T Y_c||_F, fewer columns); rbf: empty
  Eigen::MatrixXd centred;
  Eigen::VectorXd row_sq_norms;  ///< linear debiased: [n_samples] ||x_c,i||^2; else empty
  Eigen::MatrixXd gram;          ///< rbf: [n, n] centred (or U-centred when debiased) Gram
  double self_similarity = 0.0;  ///< HSIC-type self term: ||X_c^T X_c||_F^2, <K~, K~>, ...
};

/// Cost: linear O(n p^2 + p^3); rbf O(n^2 p).
PreparedCka prepare_cka(const CkaOptions& options, const Eigen::Ref<const Eigen::MatrixXd>& x);

/// CKA(K, L) = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)), with K, L the Gram matrices of X and Y.
///  - biased (default): HSIC(K, L) proportional to tr(K H L H), H = I - 11^T/n; for the linear
///    kernel this is ||Y_c^T X_c||_F^2 / (||X_c^T X_c||_F ||Y_c^T Y_c||_F), computed in feature
///    space.
///  - debiased: the unbiased estimator of Song et al. 2012, with K~ = K with its diagonal zeroed,
///    HSIC_1 = [tr(K~ L~) + 1^T K~ 1 1^T L~ 1 / ((n-1)(n-2)) - 2/(n-2) 1^T K~ L~ 1] / (n(n-3)),
///    computed for the linear kernel from ||X_c^T Y_c||_F^2 and the row norms, in O(n p_x p_y).
/// Returns a similarity in [0, 1] (debiased: can dip slightly below 0); CKA(X, X) = 1.
/// Invariances: orthogonal maps and isotropic scaling of the columns, translation (RBF: the
/// median-based bandwidth makes it scale invariant too). Not invariant to general invertible maps.
/// Cost per pair: linear O(n p_x p_y); rbf O(n^2).
double cka(const PreparedCka& x, const PreparedCka& y);
double cka(const CkaOptions& options,
           const Eigen::Ref<const Eigen::MatrixXd>& x,   // [n_samples, n_x]
           const Eigen::Ref<const Eigen::MatrixXd>& y);  // [n_samples, n_y]

// ---- Generalized shape metrics (Williams, Kunz, Kornblith & Linderman 2021) ------------------

enum class ShapeDistance {
  kAngular,    ///< theta = arccos(||Phi_x^T Phi_y||_* / (||Phi_x||_F ||Phi_y||_F)), in [0, pi/2]
  kEuclidean,  ///< min_Q ||Phi_x - Phi_y Q||_F over orthogonal Q (Procrustes distance)
};
std::string_view to_string(ShapeDistance distance);  ///< "angular", "euclidean"
ShapeDistance parse_shape_distance(std::string_view name);
std::vector<std::string> shape_distance_names();  ///< {"angular", "euclidean"}

struct ShapeOptions {
  /// Partial whitening: Phi = X_c (alpha I + (1 - alpha) C^{-1/2}), C = X_c^T X_c / n_samples.
  /// alpha = 1: no whitening (Procrustes on centred data); alpha = 0: full whitening (the angular
  /// distance is then arccos(sum_i rho_i / sqrt(r_x r_y)), a CCA-type metric). In [0, 1].
  /// (netrep additionally rescales Phi to keep the total variance; the angular distance is
  /// unaffected by that, the Euclidean one is.)
  double alpha = 1.0;
  ShapeDistance distance = ShapeDistance::kAngular;
  /// Eigenvalues of C below rank_tolerance * (largest) are treated as zero: C^{-1/2} is then the
  /// pseudo-inverse square root. In [0, 1).
  double rank_tolerance = 1e-10;

  /// Every field but distance (an enum), with its rule and help (rnnatlas/schema.h).
  static const Schema<ShapeOptions>& schema();
  void validate() const;
};

struct PreparedShape {
  double alpha = 1.0;
  int n_samples = 0;
  int n_units = 0;
  Eigen::MatrixXd whitened;  ///< [n_samples, n_units], Phi
  double norm = 0.0;         ///< ||Phi||_F
};

/// Centres and partially whitens X. Cost O(n p^2 + p^3).
PreparedShape prepare_shape(const ShapeOptions& options,
                            const Eigen::Ref<const Eigen::MatrixXd>& x);

/// The shape distance between the two sides. The optimal orthogonal alignment of Phi_y to Phi_x
/// (units zero-padded to the larger count) attains tr(Q^T Phi_y^T Phi_x) = ||Phi_x^T Phi_y||_*
/// (nuclear norm), so
///   angular:   arccos(||Phi_x^T Phi_y||_* / (||Phi_x||_F ||Phi_y||_F))
///   euclidean: sqrt(||Phi_x||_F^2 + ||Phi_y||_F^2 - 2 ||Phi_x^T Phi_y||_*)
/// Both are metrics (symmetric, zero on equivalent shapes, triangle inequality) on shapes modulo
/// translation and orthogonal maps of the units; the angular one also modulo isotropic scaling when
/// alpha is 0 or 1. Cost per pair: O(n p_x p_y + p^3).
double shape_distance(const PreparedShape& x, const PreparedShape& y, ShapeDistance distance);
double shape_distance(const ShapeOptions& options,
                      const Eigen::Ref<const Eigen::MatrixXd>& x,   // [n_samples, n_x]
                      const Eigen::Ref<const Eigen::MatrixXd>& y);  // [n_samples, n_y]

}  // namespace rnnatlas::similarity
