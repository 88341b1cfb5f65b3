#include "rnnatlas/models/network.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "rnnatlas/error.h"
#include "testing/random_matrix.h"

namespace rnnatlas {
namespace {

using ::testing::HasSubstr;

Architecture arch(CellKind kind, int n_hidden = 6) {
  return Architecture{kind, Activation::kTanh, 3, n_hidden, 2};
}

TEST(Network, ParameterTableHasPyTorchNamesAndShapes) {
  const Network gru(arch(CellKind::kGru));
  const auto& t = gru.parameter_table();
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t[0].name, "weight_ih_l0");
  EXPECT_EQ(t[0].rows, 18);
  EXPECT_EQ(t[0].cols, 3);
  EXPECT_EQ(t[1].name, "weight_hh_l0");
  EXPECT_EQ(t[2].name, "bias_ih_l0");
  EXPECT_EQ(t[3].name, "bias_hh_l0");
  EXPECT_EQ(t[4].name, "readout.weight");
  EXPECT_EQ(t[4].rows, 2);
  EXPECT_EQ(t[4].cols, 6);
  EXPECT_EQ(t[5].name, "readout.bias");
  EXPECT_EQ(gru.n_params(), 18 * 3 + 18 * 6 + 18 + 18 + 12 + 2);
}

TEST(Network, InitialisationFollowsPyTorchBoundsAndUgrnnGateBias) {
  for (CellKind kind : {CellKind::kVanilla, CellKind::kGru, CellKind::kLstm, CellKind::kUgrnn}) {
    const Network net(arch(kind, 16), 7);
    const double bound = 1.0 / std::sqrt(16.0);
    const Eigen::MatrixXd W = net.parameter("weight_hh_l0");
    EXPECT_LE(W.cwiseAbs().maxCoeff(), bound) << to_string(kind);
    EXPECT_GT(W.cwiseAbs().maxCoeff(), 0.8 * bound) << to_string(kind);
    if (kind == CellKind::kUgrnn) {
      const Eigen::MatrixXd b = net.parameter("bias_l0");
      EXPECT_TRUE((b.topRows(16).array() == 1.0).all());
      EXPECT_LE(b.bottomRows(16).cwiseAbs().maxCoeff(), bound);
    }
  }
}

TEST(Network, SameSeedSameParametersOtherSeedOther) {
  const Network a(arch(CellKind::kLstm), 3), b(arch(CellKind::kLstm), 3),
      c(arch(CellKind::kLstm), 4);
  EXPECT_EQ(a.parameters(), b.parameters());
  EXPECT_NE(a.parameters(), c.parameters());
}

TEST(Network, SetParameterRoundTripsAndChecksShape) {
  Network net(arch(CellKind::kVanilla));
  Eigen::MatrixXd W = Eigen::MatrixXd::Constant(6, 6, 0.25);
  W(1, 2) = -3;
  net.set_parameter("weight_hh_l0", W);
  EXPECT_EQ(net.parameter("weight_hh_l0"), W);
  // Row-major storage: element (1, 2) of a [6, 6] tensor sits at offset 1 * 6 + 2.
  EXPECT_EQ(net.parameters()[net.parameter_table()[1].offset + 8], -3);
  try {
    net.set_parameter("weight_hh_l0", Eigen::MatrixXd::Zero(5, 6));
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("weight_hh_l0"));
    EXPECT_THAT(e.what(), HasSubstr("[5, 6]"));
    EXPECT_THAT(e.what(), HasSubstr("[6, 6]"));
  }
  try {
    net.parameter("weight_xx");
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_THAT(e.what(), HasSubstr("readout.weight"));
  }
  Eigen::MatrixXd bad = W;
  bad(0, 0) = std::nan("");
  EXPECT_THROW(net.set_parameter("weight_hh_l0", bad), InvalidArgument);
}

TEST(Network, RunMatchesStepByStepAndReadout) {
  const Network net(arch(CellKind::kGru), 11);
  internal::Rng rng(5);
  const int n_batch = 3, n_time = 4;
  const Eigen::MatrixXd X = testing::random_normal(3, n_time * n_batch, 1.0, rng);
  const Network::Trajectory run = net.run(X, n_batch);
  for (int b = 0; b < n_batch; ++b) {
    Eigen::VectorXd s = Eigen::VectorXd::Zero(6);
    for (int t = 0; t < n_time; ++t) {
      s = net.step(s, X.col(t * n_batch + b));
      EXPECT_LT((s - run.states.col(t * n_batch + b)).cwiseAbs().maxCoeff(), 1e-14);
    }
  }
  const Eigen::MatrixXd W = net.parameter("readout.weight");
  const Eigen::VectorXd bias = net.parameter("readout.bias");
  const Eigen::VectorXd y = W * run.states.col(5) + bias;
  EXPECT_LT((y - run.outputs.col(5)).cwiseAbs().maxCoeff(), 1e-14);
}

TEST(Network, RejectsBadShapesAndSizes) {
  EXPECT_THROW(Network(Architecture{CellKind::kGru, Activation::kTanh, 3, 0, 2}), InvalidArgument);
  EXPECT_THROW(Network(Architecture{CellKind::kGru, Activation::kTanh, 0, 4, 2}), InvalidArgument);
  const Network net(arch(CellKind::kLstm));
  EXPECT_THROW(net.step(Eigen::VectorXd::Zero(6), Eigen::VectorXd::Zero(3)), InvalidArgument);
  EXPECT_NO_THROW(net.step(Eigen::VectorXd::Zero(12), Eigen::VectorXd::Zero(3)));
  EXPECT_THROW(net.run(Eigen::MatrixXd::Zero(2, 8), 2), InvalidArgument);
  EXPECT_THROW(net.run(Eigen::MatrixXd::Zero(3, 7), 2), InvalidArgument);
}

// run() rejects non-finite inputs; step, the Jacobians and run's initial state must too, rather
// than return NaN.
TEST(Network, RejectsNonFiniteStatesInputsAndInitialStates) {
  const Network net(arch(CellKind::kGru));
  const Eigen::VectorXd s = Eigen::VectorXd::Zero(6), x = Eigen::VectorXd::Zero(3);
  for (const double bad : {NAN, INFINITY}) {
    Eigen::VectorXd s_bad = s, x_bad = x;
    s_bad(2) = bad;
    x_bad(1) = bad;
    const auto expect_rejected = [](const auto& call, const char* what) {
      try {
        call();
        ADD_FAILURE() << "no exception for a non-finite " << what;
      } catch (const InvalidArgument& e) {
        EXPECT_THAT(e.what(), HasSubstr(what));
        EXPECT_THAT(e.what(), HasSubstr("non-finite"));
      }
    };
    expect_rejected([&] { net.step(s_bad, x); }, "state");
    expect_rejected([&] { net.step(s, x_bad); }, "input");
    expect_rejected([&] { net.state_jacobian(s_bad, x); }, "state");
    expect_rejected([&] { net.state_jacobian(s, x_bad); }, "input");
    expect_rejected([&] { net.input_jacobian(s_bad, x); }, "state");
    expect_rejected([&] { net.input_jacobian(s, x_bad); }, "input");
    Eigen::MatrixXd s0 = Eigen::MatrixXd::Zero(6, 2);
    s0(4, 1) = bad;
    expect_rejected([&] { net.run(Eigen::MatrixXd::Zero(3, 8), 2, &s0); }, "initial state");
  }
}

TEST(Architecture, SizesWhoseParameterCountOverflowsIntAreRejected) {
  // Each size within its own bound, but 4 n_hidden (n_input + n_hidden + 2) > 2^31 - 1: the flat
  // parameter indices would overflow int (a damaged network file can claim such sizes).
  const Architecture lstm{CellKind::kLstm, Activation::kTanh, 1 << 20, 16384, 1};
  EXPECT_THROW(lstm.validate(), InvalidArgument);
  const Architecture readout{CellKind::kVanilla, Activation::kTanh, 1, 16384, 1 << 20};
  EXPECT_THROW(readout.validate(), InvalidArgument);
  // Sizes near INT_MAX are rejected by their own bounds before the parameter count is formed (the
  // count would overflow even 64 bits; a fuzzed network file found this).
  const int huge = std::numeric_limits<int>::max();
  EXPECT_THROW((Architecture{CellKind::kLstm, Activation::kTanh, huge, huge, huge}.validate()),
               InvalidArgument);
  EXPECT_THROW((Architecture{CellKind::kLstm, Activation::kTanh, 1, 1, huge}.validate()),
               InvalidArgument);
  EXPECT_THROW((Architecture{CellKind::kLstm, Activation::kTanh, huge, 1, 1}.validate()),
               InvalidArgument);
  // The largest network along n_hidden stays valid: 4 * 16384 * 16387 + 16385 < 2^31.
  EXPECT_NO_THROW((Architecture{CellKind::kLstm, Activation::kTanh, 1, 16384, 1}.validate()));
}

TEST(Network, JacobiansHaveStateAndInputShapes) {
  const Network net(arch(CellKind::kLstm), 1);
  const Eigen::VectorXd s = Eigen::VectorXd::Constant(12, 0.1), x = Eigen::VectorXd::Ones(3);
  EXPECT_EQ(net.state_jacobian(s, x).rows(), 12);
  EXPECT_EQ(net.state_jacobian(s, x).cols(), 12);
  EXPECT_EQ(net.input_jacobian(s, x).cols(), 3);
}

}  // namespace
}  // namespace rnnatlas
