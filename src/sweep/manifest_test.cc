#include "rnnatlas/sweep/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "rnnatlas/error.h"
#include "rnnatlas/io/content_hash.h"

namespace rnnatlas {
namespace {

SweepSpec small_spec() {
  return parse_sweep_config(R"([task]
name = "flip_flop"
[grid]
cell = ["vanilla", "lstm"]
activation = ["tanh", "relu"]
l2 = [0, 1e-5]
seeds = 2
)",
                            "small.toml");
}

ManifestRow pending(const SweepNetwork& n) {
  ManifestRow row;
  row.network = n;
  return row;
}

ManifestRow finished(
    const SweepNetwork& n, const std::string& outcome, double nmse, bool kept, double seconds) {
  ManifestRow row;
  row.network = n;
  row.outcome = outcome;
  row.n_iterations_done = 17;
  row.final_loss = 0.125;
  row.mse = nmse / 3;
  row.normalized_mse = nmse;
  row.sign_accuracy = 0.1 + 0.2;  // not exactly representable: must still round-trip
  row.kept = kept;
  row.seconds = seconds;
  row.file = "networks/" + n.id + ".h5";
  row.file_hash = content_hash(n.id);
  return row;
}

TEST(Manifest, CsvRoundTripsExactly) {
  const SweepSpec spec = small_spec();
  std::vector<ManifestRow> rows;
  for (int i = 0; i < spec.n_networks(); ++i) {
    if (i % 3 == 0) {
      rows.push_back(pending(spec.network(i)));  // pending
    } else {
      rows.push_back(finished(spec.network(i), i % 3 == 1 ? "completed" : "diverged", 1.0 / (i + 3),
                              i % 3 == 1, 0.7 * i));
    }
  }
  const std::string text = format_manifest_csv(rows);
  EXPECT_EQ(text.substr(0, text.find('\n')).substr(0, 21), "index,id,grid_index,c");
  const std::vector<ManifestRow> back = parse_manifest_csv(text, "manifest.csv");
  ASSERT_EQ(back.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ManifestRow& a = rows[i];
    const ManifestRow& b = back[i];
    EXPECT_EQ(b.network.index, a.network.index);
    EXPECT_EQ(b.network.id, a.network.id);
    EXPECT_EQ(b.network.grid_index, a.network.grid_index);
    EXPECT_EQ(b.network.architecture.cell, a.network.architecture.cell);
    EXPECT_EQ(b.network.architecture.activation, a.network.architecture.activation);
    EXPECT_EQ(b.network.architecture.n_hidden, a.network.architecture.n_hidden);
    EXPECT_EQ(b.network.seed, a.network.seed);
    EXPECT_EQ(b.network.init_seed, a.network.init_seed);
    EXPECT_EQ(b.network.train_options.seed, a.network.train_options.seed);
    EXPECT_EQ(b.outcome, a.outcome);
    EXPECT_EQ(b.kept, a.kept);
    EXPECT_EQ(b.file, a.file);
    EXPECT_EQ(b.file_hash, a.file_hash);
    if (a.outcome == "pending") {
      EXPECT_TRUE(std::isnan(b.normalized_mse));
    } else {
      EXPECT_EQ(b.normalized_mse, a.normalized_mse);
      EXPECT_EQ(b.sign_accuracy, a.sign_accuracy);
      EXPECT_EQ(b.seconds, a.seconds);
      EXPECT_EQ(b.final_loss, a.final_loss);
    }
  }
}

TEST(Manifest, MalformedFilesAreIoErrorsNamingTheLine) {
  const SweepSpec spec = small_spec();
  std::string text = format_manifest_csv({finished(spec.network(0), "completed", 0.01, false, 1)});
  EXPECT_THROW(parse_manifest_csv("", "m.csv"), IoError);
  EXPECT_THROW(parse_manifest_csv("a,b,c\n", "m.csv"), IoError);
  const std::string truncated = text.substr(0, text.find(",completed,")) + "\n";
  try {
    parse_manifest_csv(truncated, "m.csv");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("m.csv:2:"));
  }
  std::string bad_outcome = text;
  bad_outcome.replace(bad_outcome.find(",completed,"), 11, ",finished,");
  EXPECT_THROW(parse_manifest_csv(bad_outcome, "m.csv"), IoError);
}

TEST(Manifest, FieldsOutsideTheirRangeAreIoErrorsNamingTheColumn) {
  const SweepSpec spec = small_spec();
  const std::string text =
      format_manifest_csv({finished(spec.network(0), "completed", 0.01, false, 1)});
  // Field `column` of the row replaced by `value`.
  const auto with = [&](const std::string& column, const std::string& value) {
    const std::vector<std::string>& columns = manifest_columns();
    const std::size_t c = std::find(columns.begin(), columns.end(), column) - columns.begin();
    std::string row = text.substr(text.find('\n') + 1);
    std::size_t begin = 0;
    for (std::size_t k = 0; k < c; ++k) begin = row.find(',', begin) + 1;
    const std::size_t end = std::min(row.find(',', begin), row.find('\n', begin));
    row.replace(begin, end - begin, value);
    return text.substr(0, text.find('\n') + 1) + row;
  };
  ASSERT_EQ(parse_manifest_csv(with("seed", "18446744073709551615"), "m.csv")[0].network.seed,
            18446744073709551615u);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"seed", "-1"}, "seed: `-1` is not a non-negative integer"},
      {{"seed", "+1"}, "seed: `+1` is not a non-negative integer"},
      {{"init_seed", " 1"}, "init_seed: ` 1` is not a non-negative integer"},
      {{"seed", "18446744073709551616"},
       "seed: `18446744073709551616` is not a non-negative integer"},
      {{"index", "4294967296"}, "index: 4294967296 is out of range (at most 2147483647)"},
      {{"n_hidden", "2147483648"}, "n_hidden: 2147483648 is out of range"},
      {{"n_iterations_done", "99999999999"}, "n_iterations_done: 99999999999 is out of range"},
      {{"kept", "yes"}, "kept: `yes` is not 0 or 1"},
      {{"id", ""}, "id: `` is not a network id"},
      {{"id", "../x"}, "id: `../x` is not a network id"},
  };
  for (const auto& [edit, message] : cases) {
    try {
      parse_manifest_csv(with(edit[0], edit[1]), "m.csv");
      ADD_FAILURE() << edit[0] << " = " << edit[1] << " was accepted";
    } catch (const IoError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("m.csv:2: " + message));
    }
  }
}

// The text of `rows` with line `line` (1 = header) replaced by `replacement`.
std::string with_line(const std::vector<ManifestRow>& rows, int line, const std::string& text) {
  std::string csv = format_manifest_csv(rows);
  std::size_t begin = 0;
  for (int k = 1; k < line; ++k) begin = csv.find('\n', begin) + 1;
  return csv.replace(begin, csv.find('\n', begin) - begin, text);
}

std::string line_of(const std::vector<ManifestRow>& rows, int line) {
  const std::string csv = format_manifest_csv(rows);
  std::size_t begin = 0;
  for (int k = 1; k < line; ++k) begin = csv.find('\n', begin) + 1;
  return csv.substr(begin, csv.find('\n', begin) - begin);
}

void expect_refused(const std::string& text, const std::string& message) {
  try {
    parse_manifest_csv(text, "m.csv");
    ADD_FAILURE() << "accepted:\n" << text;
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr(message));
  }
}

TEST(Manifest, APopulationListsEachNetworkAndFileOnceInsideTheDirectory) {
  const SweepSpec spec = small_spec();
  std::vector<ManifestRow> rows;
  rows.reserve(3);
  for (int i = 0; i < 3; ++i) rows.push_back(finished(spec.network(i), "completed", 0.01, true, 1));
  ASSERT_EQ(parse_manifest_csv(format_manifest_csv(rows), "m.csv").size(), 3u);

  // A duplicated row.
  expect_refused(with_line(rows, 4, line_of(rows, 3)),
                 "m.csv:4: id `" + rows[1].network.id + "` is also on line 3");
  // Two rows naming one file.
  std::vector<ManifestRow> shared = rows;
  shared[2].file = "networks/./" + rows[0].network.id + ".h5";
  expect_refused(format_manifest_csv(shared),
                 "m.csv:4: file `" + shared[2].file + "` is also on line 2");
  // Two files with the same content: one is a copy of the other.
  std::vector<ManifestRow> copied = rows;
  copied[2].file_hash = rows[0].file_hash;
  expect_refused(format_manifest_csv(copied), "m.csv:4: the content of `" + rows[2].file + "`");
  // Files outside the directory.
  for (const std::string file : {"../other/networks/x.h5", "/tmp/x.h5", "networks/../../x.h5"}) {
    std::vector<ManifestRow> outside = rows;
    outside[1].file = file;
    expect_refused(format_manifest_csv(outside), "m.csv:3: file: `" + file + "` of network '" +
                                                     rows[1].network.id +
                                                     "' lies outside the sweep directory");
  }
  // A kept network without a file, a malformed hash.
  std::vector<ManifestRow> fileless = rows;
  fileless[0].file.clear();
  expect_refused(format_manifest_csv(fileless), "m.csv:2: kept network '");
  std::vector<ManifestRow> bad_hash = rows;
  bad_hash[0].file_hash = "xyz";
  expect_refused(format_manifest_csv(bad_hash), "m.csv:2: file_hash: `xyz` is not a content hash");
}

TEST(Manifest, AManifestWrittenBeforeFileHashesReadsWithEmptyHashes) {
  const SweepSpec spec = small_spec();
  const std::vector<ManifestRow> rows = {finished(spec.network(0), "completed", 0.01, true, 1),
                                         pending(spec.network(1))};
  // Drop the last column of every line.
  std::string old_text;
  std::istringstream in(format_manifest_csv(rows));
  for (std::string line; std::getline(in, line);)
    old_text += line.substr(0, line.rfind(',')) + "\n";
  ASSERT_EQ(old_text.find("file_hash"), std::string::npos);
  const std::vector<ManifestRow> back = parse_manifest_csv(old_text, "m.csv");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].file, rows[0].file);
  EXPECT_EQ(back[0].file_hash, "");
  EXPECT_TRUE(back[0].kept);
}

TEST(Manifest, SummaryCountsAndMedianPerCellAndActivation) {
  const SweepSpec spec = small_spec();  // 16 networks: 4 per (cell, activation)
  std::vector<ManifestRow> rows;
  rows.reserve(spec.n_networks());
  for (int i = 0; i < spec.n_networks(); ++i) rows.push_back(pending(spec.network(i)));
  // vanilla/tanh = networks 0..3: three finished, one pending.
  rows[0] = finished(spec.network(0), "completed", 0.004, true, 1.0);
  rows[1] = finished(spec.network(1), "completed", 0.5, false, 2.0);
  rows[2] = finished(spec.network(2), "diverged", 9.0, false, 4.0);
  // lstm/relu = networks 12..15: two finished, nmse 0.001 and 0.003 -> median 0.002.
  rows[12] = finished(spec.network(12), "completed", 0.001, true, 1.5);
  rows[15] = finished(spec.network(15), "completed", 0.003, true, 2.5);

  const std::vector<PopulationGroup> groups = summarize_population(rows);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].cell, CellKind::kVanilla);
  EXPECT_EQ(groups[0].activation, Activation::kTanh);
  EXPECT_EQ(groups[0].n_networks, 4);
  EXPECT_EQ(groups[0].n_trained, 3);
  EXPECT_EQ(groups[0].n_kept, 1);
  EXPECT_EQ(groups[0].n_diverged, 1);
  EXPECT_DOUBLE_EQ(groups[0].median_normalized_mse, 0.5);
  EXPECT_DOUBLE_EQ(groups[0].seconds, 7.0);
  EXPECT_EQ(groups[1].activation, Activation::kRelu);
  EXPECT_EQ(groups[1].n_trained, 0);
  EXPECT_TRUE(std::isnan(groups[1].median_normalized_mse));
  EXPECT_EQ(groups[3].cell, CellKind::kLstm);
  EXPECT_EQ(groups[3].activation, Activation::kRelu);
  EXPECT_EQ(groups[3].n_kept, 2);
  EXPECT_DOUBLE_EQ(groups[3].median_normalized_mse, 0.002);

  const std::string csv = format_summary_csv(groups, "00000000deadbeef");
  EXPECT_THAT(csv, ::testing::StartsWith("cell,activation,networks,trained,kept,diverged,"));
  EXPECT_THAT(csv, ::testing::HasSubstr(",seconds,manifest_hash\n"));
  EXPECT_THAT(csv, ::testing::HasSubstr("\nvanilla,tanh,4,3,1,1,0.5,7,00000000deadbeef\n"));
  EXPECT_THAT(csv, ::testing::HasSubstr("\nlstm,relu,4,2,2,0,0.002,4,00000000deadbeef\n"));
}

}  // namespace
}  // namespace rnnatlas
