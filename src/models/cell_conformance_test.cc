// The conformance suite every cell passes, for every activation: BPTT gradients, the initial-state
// and input gradients and both Jacobians against central finite differences in double precision;
// the sequence forward against repeated single steps; float against double.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "rnnatlas/error.h"
#include "rnnatlas/models/cell.h"
#include "testing/random_matrix.h"

namespace rnnatlas {
namespace {

using testing::random_normal;
using testing::random_vector;

constexpr int kInput = 3;
constexpr int kHidden = 5;
constexpr int kTime = 4;
constexpr int kBatch = 2;
constexpr double kStep = 1e-6;  // central difference: truncation ~1e-12, round-off ~1e-10
constexpr double kTol = 2e-7;

using Param = std::tuple<CellKind, Activation>;

std::string name_of(const ::testing::TestParamInfo<Param>& info) {
  return std::string(to_string(std::get<0>(info.param))) + "_" +
         std::string(to_string(std::get<1>(info.param)));
}

class CellConformance : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    cell_ = make_cell<double>(std::get<0>(GetParam()), std::get<1>(GetParam()), kInput, kHidden);
    internal::Rng rng(42, static_cast<int>(std::get<0>(GetParam())) * 10 +
                              static_cast<int>(std::get<1>(GetParam())));
    theta_ = random_vector(cell_->n_params(), 0.6, rng);
    X_ = random_normal(kInput, kTime * kBatch, 1.0, rng);
    S0_ = random_normal(cell_->n_state(), kBatch, 0.8, rng);
    if (std::get<1>(GetParam()) == Activation::kSoftplus ||
        std::get<1>(GetParam()) == Activation::kRelu) {
      S0_ = S0_.cwiseAbs();  // plausible states for non-negative activations
    }
    W_h_ = random_normal(kHidden, kTime * kBatch, 1.0, rng);
    W_final_ = random_normal(cell_->n_state(), kBatch, 1.0, rng);
  }

  // L = sum(W_h .* H_1..T) + sum(W_final .* S_T): every output of the sequence is probed.
  double loss(const Eigen::VectorXd& theta,
              const Eigen::MatrixXd& X,
              const Eigen::MatrixXd& S0) const {
    SequenceCache<double> cache;
    cell_->forward(theta.data(), X, S0, kTime, cache);
    const Eigen::MatrixXd H = cache.states.rightCols(kTime * kBatch).topRows(kHidden);
    return (W_h_.array() * H.array()).sum() +
           (W_final_.array() * cache.states.rightCols(kBatch).array()).sum();
  }

  // Analytic gradients from one forward and one backward.
  void analytic(Eigen::VectorXd& g_theta, Eigen::MatrixXd& G_S0, Eigen::MatrixXd& G_X) const {
    SequenceCache<double> cache;
    cell_->forward(theta_.data(), X_, S0_, kTime, cache);
    g_theta = Eigen::VectorXd::Zero(cell_->n_params());
    cell_->backward(theta_.data(), X_, cache, &W_h_, &W_final_, g_theta.data(), &G_S0, &G_X);
  }

  template <typename F>
  static double central(F&& f, double& x) {
    const double saved = x;
    x = saved + kStep;
    const double plus = f();
    x = saved - kStep;
    const double minus = f();
    x = saved;
    return (plus - minus) / (2 * kStep);
  }

  std::unique_ptr<Cell<double>> cell_;
  Eigen::VectorXd theta_;
  Eigen::MatrixXd X_, S0_, W_h_, W_final_;
};

TEST_P(CellConformance, ParameterGradientMatchesCentralDifferences) {
  Eigen::VectorXd g_theta;
  Eigen::MatrixXd G_S0, G_X;
  analytic(g_theta, G_S0, G_X);
  Eigen::VectorXd theta = theta_;
  for (int i = 0; i < theta.size(); ++i) {
    const double numeric = central([&] { return loss(theta, X_, S0_); }, theta[i]);
    ASSERT_NEAR(g_theta[i], numeric, kTol * std::max(1.0, std::abs(numeric)))
        << "theta[" << i << "]";
  }
}

TEST_P(CellConformance, ParameterGradientAccumulates) {
  Eigen::VectorXd g_once, g_twice;
  Eigen::MatrixXd G_S0, G_X;
  analytic(g_once, G_S0, G_X);
  SequenceCache<double> cache;
  cell_->forward(theta_.data(), X_, S0_, kTime, cache);
  g_twice = g_once;
  cell_->backward(theta_.data(), X_, cache, &W_h_, &W_final_, g_twice.data(), nullptr, nullptr);
  EXPECT_LT((g_twice - 2 * g_once).cwiseAbs().maxCoeff(),
            1e-12 * (1 + g_once.cwiseAbs().maxCoeff()));
}

TEST_P(CellConformance, InitialStateGradientMatchesCentralDifferences) {
  Eigen::VectorXd g_theta;
  Eigen::MatrixXd G_S0, G_X;
  analytic(g_theta, G_S0, G_X);
  ASSERT_EQ(G_S0.rows(), cell_->n_state());
  ASSERT_EQ(G_S0.cols(), kBatch);
  Eigen::MatrixXd S0 = S0_;
  for (Eigen::Index i = 0; i < S0.size(); ++i) {
    const double numeric = central([&] { return loss(theta_, X_, S0); }, S0.data()[i]);
    ASSERT_NEAR(G_S0.data()[i], numeric, kTol * std::max(1.0, std::abs(numeric)))
        << "S0[" << i << "]";
  }
}

TEST_P(CellConformance, InputGradientMatchesCentralDifferences) {
  Eigen::VectorXd g_theta;
  Eigen::MatrixXd G_S0, G_X;
  analytic(g_theta, G_S0, G_X);
  ASSERT_EQ(G_X.rows(), kInput);
  ASSERT_EQ(G_X.cols(), kTime * kBatch);
  Eigen::MatrixXd X = X_;
  for (Eigen::Index i = 0; i < X.size(); ++i) {
    const double numeric = central([&] { return loss(theta_, X, S0_); }, X.data()[i]);
    ASSERT_NEAR(G_X.data()[i], numeric, kTol * std::max(1.0, std::abs(numeric)))
        << "X[" << i << "]";
  }
}

TEST_P(CellConformance, JacobiansMatchCentralDifferencesOfStep) {
  const Eigen::VectorXd s = S0_.col(0), x = X_.col(0);
  Eigen::MatrixXd J, B;
  cell_->jacobians(theta_.data(), s, x, J, &B);
  ASSERT_EQ(J.rows(), cell_->n_state());
  ASSERT_EQ(J.cols(), cell_->n_state());
  ASSERT_EQ(B.rows(), cell_->n_state());
  ASSERT_EQ(B.cols(), kInput);
  auto step = [&](const Eigen::VectorXd& s_in, const Eigen::VectorXd& x_in) {
    SequenceCache<double> cache;
    cell_->forward(theta_.data(), x_in, s_in, 1, cache);
    return Eigen::VectorXd(cache.states.col(1));
  };
  for (int j = 0; j < s.size(); ++j) {
    Eigen::VectorXd plus = s, minus = s;
    plus[j] += kStep;
    minus[j] -= kStep;
    const Eigen::VectorXd numeric = (step(plus, x) - step(minus, x)) / (2 * kStep);
    for (int i = 0; i < s.size(); ++i)
      ASSERT_NEAR(J(i, j), numeric[i], kTol * std::max(1.0, std::abs(numeric[i])))
          << "J(" << i << ", " << j << ")";
  }
  for (int j = 0; j < x.size(); ++j) {
    Eigen::VectorXd plus = x, minus = x;
    plus[j] += kStep;
    minus[j] -= kStep;
    const Eigen::VectorXd numeric = (step(s, plus) - step(s, minus)) / (2 * kStep);
    for (int i = 0; i < s.size(); ++i)
      ASSERT_NEAR(B(i, j), numeric[i], kTol * std::max(1.0, std::abs(numeric[i])))
          << "B(" << i << ", " << j << ")";
  }
}

// The closed-form Jacobians against reverse mode: a backward() of one step seeded with the
// identity gives J^T and B^T. Both are exact, so they agree to rounding, far below kTol.
TEST_P(CellConformance, JacobiansEqualBackwardSeededWithIdentity) {
  const int n = cell_->n_state();
  for (int b = 0; b < kBatch; ++b) {
    const Eigen::VectorXd s = S0_.col(b), x = X_.col(b);
    Eigen::MatrixXd J, B;
    cell_->jacobians(theta_.data(), s, x, J, &B);
    const Eigen::MatrixXd S = s.replicate(1, n), X = x.replicate(1, n);
    const Eigen::MatrixXd seed = Eigen::MatrixXd::Identity(n, n);
    SequenceCache<double> cache;
    cell_->forward(theta_.data(), X, S, 1, cache);
    Eigen::MatrixXd G_S0, G_X;
    cell_->backward(theta_.data(), X, cache, nullptr, &seed, nullptr, &G_S0, &G_X);
    EXPECT_LE((J - G_S0.transpose()).cwiseAbs().maxCoeff(), 1e-14 * (1 + J.cwiseAbs().maxCoeff()));
    EXPECT_LE((B - G_X.transpose()).cwiseAbs().maxCoeff(), 1e-14 * (1 + B.cwiseAbs().maxCoeff()));
  }
}

TEST_P(CellConformance, SequenceEqualsRepeatedSteps) {
  SequenceCache<double> seq;
  cell_->forward(theta_.data(), X_, S0_, kTime, seq);
  Eigen::MatrixXd S = S0_;
  for (int k = 0; k < kTime; ++k) {
    SequenceCache<double> one;
    cell_->forward(theta_.data(), X_.middleCols(k * kBatch, kBatch), S, 1, one);
    S = one.states.rightCols(kBatch);
    // Equal up to the rounding of differently blocked matrix products.
    EXPECT_LT((S - seq.states.middleCols((k + 1) * kBatch, kBatch)).cwiseAbs().maxCoeff(), 1e-13)
        << "step " << k;
  }
}

TEST_P(CellConformance, FloatAgreesWithDouble) {
  const auto cell_f =
      make_cell<float>(std::get<0>(GetParam()), std::get<1>(GetParam()), kInput, kHidden);
  const Eigen::VectorXf theta_f = theta_.cast<float>();
  SequenceCache<double> cache_d;
  SequenceCache<float> cache_f;
  cell_->forward(theta_.data(), X_, S0_, kTime, cache_d);
  cell_f->forward(theta_f.data(), X_.cast<float>(), S0_.cast<float>(), kTime, cache_f);
  EXPECT_LT((cache_f.states.cast<double>() - cache_d.states).cwiseAbs().maxCoeff(), 1e-4);

  Eigen::VectorXd g_d = Eigen::VectorXd::Zero(cell_->n_params());
  Eigen::VectorXf g_f = Eigen::VectorXf::Zero(cell_->n_params());
  const Eigen::MatrixXf W_h_f = W_h_.cast<float>();
  cell_->backward(theta_.data(), X_, cache_d, &W_h_, nullptr, g_d.data(), nullptr, nullptr);
  cell_f->backward(theta_f.data(), X_.cast<float>(), cache_f, &W_h_f, nullptr, g_f.data(), nullptr,
                   nullptr);
  EXPECT_LT((g_f.cast<double>() - g_d).cwiseAbs().maxCoeff(),
            1e-3 * (1 + g_d.cwiseAbs().maxCoeff()));
}

TEST_P(CellConformance, ParameterTableCoversThetaInOrder) {
  int offset = 0;
  for (const ParameterInfo& p : cell_->parameters()) {
    EXPECT_EQ(p.offset, offset) << p.name;
    offset += p.size();
  }
  EXPECT_EQ(offset, cell_->n_params());
  const int G = cell_->n_gates() * kHidden;
  EXPECT_EQ(cell_->parameters()[0].name, "weight_ih_l0");
  EXPECT_EQ(cell_->parameters()[0].rows, G);
  EXPECT_EQ(cell_->parameters()[0].cols, kInput);
  EXPECT_EQ(cell_->parameters()[1].name, "weight_hh_l0");
  EXPECT_EQ(cell_->parameters()[1].cols, kHidden);
}

TEST_P(CellConformance, RejectsMisshapedInputs) {
  SequenceCache<double> cache;
  const Eigen::MatrixXd bad_state = Eigen::MatrixXd::Zero(cell_->n_state() + 1, kBatch);
  EXPECT_THROW(cell_->forward(theta_.data(), X_, bad_state, kTime, cache), InvalidArgument);
  EXPECT_THROW(cell_->forward(theta_.data(), X_, S0_, kTime + 1, cache), InvalidArgument);
  EXPECT_THROW(cell_->forward(theta_.data(), X_, S0_, 0, cache), InvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(AllCells,
                         CellConformance,
                         ::testing::Combine(::testing::Values(CellKind::kVanilla,
                                                              CellKind::kUgrnn,
                                                              CellKind::kGru,
                                                              CellKind::kLstm),
                                            ::testing::Values(Activation::kTanh,
                                                              Activation::kRelu,
                                                              Activation::kSoftplus,
                                                              Activation::kLinear)),
                         name_of);

TEST(MakeCell, RejectsEmptySizes) {
  EXPECT_THROW(make_cell<double>(CellKind::kGru, Activation::kTanh, 0, 4), InvalidArgument);
  EXPECT_THROW(make_cell<double>(CellKind::kGru, Activation::kTanh, 3, 0), InvalidArgument);
}

TEST(LstmCell, StateIsHiddenAndCell) {
  const auto cell = make_cell<double>(CellKind::kLstm, Activation::kTanh, 2, 7);
  EXPECT_EQ(cell->n_state(), 14);
  EXPECT_EQ(cell->n_params(), 4 * 7 * (2 + 7 + 2));
}

}  // namespace
}  // namespace rnnatlas
