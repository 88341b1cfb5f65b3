#include "rnnatlas/error.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace rnnatlas {
namespace {

struct Inner {
  int max_iters = 10;
  double tol = 1e-6;
  void validate() const {
    RNNATLAS_CHECK_FIELD(max_iters, max_iters >= 0, ">= 0");
    RNNATLAS_CHECK_FIELD(tol, tol > 0, "> 0");
  }
};

struct Outer {
  bool verbose = false;
  Inner inner;
  void validate() const {
    RNNATLAS_CHECK_FIELD(verbose, !verbose, "false");
    internal::validate_within("inner", inner);
  }
};

InvalidArgument error_of(const Outer& o) {
  try {
    o.validate();
  } catch (const InvalidArgument& e) {
    return e;
  }
  ADD_FAILURE() << "validate() accepted the options";
  return InvalidArgument("");
}

TEST(InvalidArgumentTest, CarriesTheFieldItsValueAndTheRule) {
  Outer o;
  o.verbose = true;
  const InvalidArgument e = error_of(o);
  EXPECT_EQ(e.field(), "verbose");
  EXPECT_STREQ(e.what(), "verbose = true: must be false");
  EXPECT_EQ(e.message_for("--verbose"), "--verbose = true: must be false");
}

TEST(InvalidArgumentTest, ANestedOptionIsNamedByItsPath) {
  Outer o;
  o.inner.max_iters = -3;
  InvalidArgument e = error_of(o);
  EXPECT_EQ(e.field(), "inner.max_iters");
  EXPECT_STREQ(e.what(), "inner.max_iters = -3: must be >= 0");
  e = e.within("analysis");
  EXPECT_EQ(e.field(), "analysis.inner.max_iters");
  EXPECT_EQ(e.message_for("[dynamics] max_iters"), "[dynamics] max_iters = -3: must be >= 0");
}

TEST(InvalidArgumentTest, NumbersAreWrittenSoThatTheyReadBackExactly) {
  Outer o;
  o.inner.tol = -0.1;
  EXPECT_STREQ(error_of(o).what(), "inner.tol = -0.1: must be > 0");
  o.inner.tol = std::numeric_limits<double>::quiet_NaN();
  EXPECT_STREQ(error_of(o).what(), "inner.tol = nan: must be > 0");
}

TEST(InvalidArgumentTest, StringsAreQuoted) {
  const std::string metric = "rsa";
  try {
    RNNATLAS_CHECK_FIELD(metric, metric == "cca", "one of cca");
    ADD_FAILURE() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "metric = 'rsa': must be one of cca");
  }
}

TEST(InvalidArgumentTest, AnErrorWithoutAFieldKeepsItsMessageUnderItsParent) {
  const InvalidArgument plain("unknown task 'x'");
  EXPECT_EQ(plain.field(), "");
  const InvalidArgument nested = plain.within("task");
  EXPECT_EQ(nested.field(), "");
  EXPECT_STREQ(nested.what(), "task: unknown task 'x'");
}

}  // namespace
}  // namespace rnnatlas
