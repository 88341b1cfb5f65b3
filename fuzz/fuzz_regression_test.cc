// Replays the fuzzers' inputs through the same functions the fuzzers call (targets.h), in every
// build and under the sanitizers:
//  - fuzz/corpus/<target>/*: the seed corpora, valid inputs; each must be accepted (so the seeds
//    follow the formats as they change);
//  - fuzz/regressions/<target>/<name>: inputs that once crashed a parser or broke its contract.
//    <name>.expect says what the fixed parser does with it: the word `accepted`, or text that the
//    message of its clean rejection contains (the documented message, not merely some error).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "targets.h"

namespace rnnatlas::fuzz {
namespace {

namespace fs = std::filesystem;

using Parser = Outcome (*)(std::string_view);

const std::map<std::string, Parser>& parsers() {
  static const std::map<std::string, Parser> kParsers = {
      {"sweep_config", sweep_config},
      {"train_config", train_config},
      {"network_file", network_file},
      {"network_file_bytes", network_file_bytes},
      {"dynamics_file", dynamics_file},
      {"distance_file", distance_file},
      {"embedding_file", embedding_file},
      {"manifest_csv", manifest_csv},
      {"cli", cli_arguments},
  };
  return kParsers;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Input {
  std::string target;  // a key of parsers()
  fs::path path;
};

/// Every file under RNNATLAS_FUZZ_DIR/<kind>/<target>/ but the .expect files, sorted.
std::vector<Input> inputs(const std::string& kind) {
  std::vector<Input> found;
  for (const auto& [target, parser] : parsers()) {
    const fs::path dir = fs::path(RNNATLAS_FUZZ_DIR) / kind / target;
    if (!fs::is_directory(dir)) continue;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().extension() != ".expect") {
        found.push_back({target, entry.path()});
      }
    }
  }
  std::sort(found.begin(), found.end(), [](const Input& a, const Input& b) {
    return std::tie(a.target, a.path) < std::tie(b.target, b.path);
  });
  return found;
}

std::string test_name(const ::testing::TestParamInfo<Input>& info) {
  std::string name = info.param.target + "_" + info.param.path.filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

Outcome replay(const Input& input) {
  // The command-line target prints its usage errors; keep the test log readable.
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Outcome outcome = parsers().at(input.target)(read_bytes(input.path));
  ::testing::internal::GetCapturedStdout();
  ::testing::internal::GetCapturedStderr();
  return outcome;
}

class SeedCorpus : public ::testing::TestWithParam<Input> {};

TEST_P(SeedCorpus, IsAccepted) {
  const Outcome outcome = replay(GetParam());
  EXPECT_TRUE(outcome.accepted) << GetParam().path << " was rejected: " << outcome.error;
}

INSTANTIATE_TEST_SUITE_P(Fuzz, SeedCorpus, ::testing::ValuesIn(inputs("corpus")), test_name);

class Regression : public ::testing::TestWithParam<Input> {};

TEST_P(Regression, GivesTheExpectedOutcome) {
  fs::path expect_path = GetParam().path;
  expect_path += ".expect";
  ASSERT_TRUE(fs::exists(expect_path)) << "every regression input needs " << expect_path;
  std::string expect = read_bytes(expect_path);
  while (!expect.empty() && (expect.back() == '\n' || expect.back() == '\r')) expect.pop_back();
  ASSERT_FALSE(expect.empty()) << expect_path << " is empty";

  const Outcome outcome = replay(GetParam());
  if (expect == "accepted") {
    EXPECT_TRUE(outcome.accepted) << GetParam().path << " was rejected: " << outcome.error;
  } else {
    ASSERT_FALSE(outcome.accepted) << GetParam().path << " was accepted";
    EXPECT_NE(outcome.error.find(expect), std::string::npos)
        << "message: " << outcome.error << "\nexpected it to contain: " << expect;
  }
}

INSTANTIATE_TEST_SUITE_P(Fuzz, Regression, ::testing::ValuesIn(inputs("regressions")), test_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Regression);

TEST(FuzzInputs, EveryTargetHasASeedCorpus) {
  for (const auto& [target, parser] : parsers()) {
    const fs::path dir = fs::path(RNNATLAS_FUZZ_DIR) / "corpus" / target;
    EXPECT_TRUE(fs::is_directory(dir) && !fs::is_empty(dir)) << "no seeds in " << dir;
  }
}

}  // namespace
}  // namespace rnnatlas::fuzz
