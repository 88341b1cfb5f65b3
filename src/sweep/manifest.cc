#include "rnnatlas/sweep/manifest.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>

#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/io/content_hash.h"

namespace rnnatlas {
namespace {

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = line.find(separator, start);
    out.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

}  // namespace

const std::vector<std::string>& manifest_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> c = {"index", "id", "grid_index"};
    for (const std::string& key : sweep_grid_keys()) c.push_back(key);
    for (const char* name :
         {"seed", "init_seed", "train_seed", "outcome", "n_iterations_done", "final_loss", "mse",
          "normalized_mse", "sign_accuracy", "kept", "seconds", "file", "file_hash"}) {
      c.emplace_back(name);
    }
    return c;
  }();
  return columns;
}

std::string format_manifest_csv(const std::vector<ManifestRow>& rows) {
  std::string out;
  const std::vector<std::string>& columns = manifest_columns();
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (c > 0) out += ',';
    out += columns[c];
  }
  out += '\n';
  for (const ManifestRow& row : rows) {
    const SweepNetwork& n = row.network;
    const Architecture& a = n.architecture;
    const TrainOptions& o = n.train_options;
    std::vector<std::string> fields = {std::to_string(n.index), n.id, std::to_string(n.grid_index)};
    for (const std::string& key : sweep_grid_keys()) {
      fields.push_back(format_grid_value(key, grid_value(key, a, o)));
    }
    for (std::string field :
         {std::to_string(n.seed), std::to_string(n.init_seed), std::to_string(o.seed), row.outcome,
          std::to_string(row.n_iterations_done), format_shortest(row.final_loss),
          format_shortest(row.mse), format_shortest(row.normalized_mse),
          format_shortest(row.sign_accuracy), std::string(row.kept ? "1" : "0"),
          format_shortest(row.seconds), row.file, row.file_hash}) {
      fields.push_back(std::move(field));
    }
    for (std::size_t c = 0; c < fields.size(); ++c) {
      if (c > 0) out += ',';
      out += fields[c];
    }
    out += '\n';
  }
  return out;
}

std::vector<ManifestRow> parse_manifest_csv(const std::string& text,
                                            const std::string& source_name) {
  std::istringstream in(text);
  std::string line;
  int line_number = 0;
  auto fail = [&](const std::string& what) -> IoError {
    return IoError(source_name + ":" + std::to_string(line_number) + ": " + what);
  };
  const std::vector<std::string>& columns = manifest_columns();
  // A manifest written before file hashes were recorded lacks the last column.
  const std::vector<std::string> columns_without_hash(columns.begin(), columns.end() - 1);
  std::size_t n_columns = columns.size();
  std::map<std::string, std::size_t> column;
  for (std::size_t c = 0; c < columns.size(); ++c) column[columns[c]] = c;
  std::map<std::string, int> line_of_id, line_of_file, line_of_hash;
  std::map<int, int> line_of_index;

  std::vector<ManifestRow> rows;
  while (std::getline(in, line)) {
    ++line_number;
    const std::vector<std::string> fields = split(line, ',');
    if (line_number == 1) {
      if (fields == columns_without_hash) {
        n_columns = columns_without_hash.size();
      } else if (fields != columns) {
        throw fail("not an rnnatlas manifest: unexpected header");
      }
      continue;
    }
    if (line.empty()) continue;
    if (fields.size() != n_columns) {
      throw fail("expected " + std::to_string(n_columns) + " fields, found " +
                 std::to_string(fields.size()));
    }
    auto get = [&](const char* name) -> const std::string& { return fields[column.at(name)]; };
    auto number = [&](const char* name) {
      const std::string& s = get(name);
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size()) {
        throw fail(std::string(name) + ": `" + s + "` is not a number");
      }
      return v;
    };
    // Digits only: strtoull alone would take leading blanks and signs ("-1" as 2^64 - 1).
    auto integer = [&](const char* name) {
      const std::string& s = get(name);
      char* end = nullptr;
      errno = 0;
      const bool digits = !s.empty() && std::all_of(s.begin(), s.end(),
                                                    [](char c) { return c >= '0' && c <= '9'; });
      const unsigned long long v = digits ? std::strtoull(s.c_str(), &end, 10) : 0;
      if (!digits || errno == ERANGE) {
        throw fail(std::string(name) + ": `" + s + "` is not a non-negative integer");
      }
      return static_cast<std::uint64_t>(v);
    };
    auto int_field = [&](const char* name) {
      const std::uint64_t v = integer(name);
      if (v > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
        throw fail(std::string(name) + ": " + std::to_string(v) + " is out of range (at most " +
                   std::to_string(std::numeric_limits<int>::max()) + ")");
      }
      return static_cast<int>(v);
    };
    ManifestRow row;
    SweepNetwork& n = row.network;
    n.index = int_field("index");
    n.id = get("id");
    // Stages name their files after the id (dynamics/<id>.h5).
    if (n.id.empty() || n.id == "." || n.id == ".." || n.id.find('/') != std::string::npos) {
      throw fail("id: `" + n.id + "` is not a network id (a file name: not empty, no '/')");
    }
    n.grid_index = int_field("grid_index");
    try {
      n.architecture.cell = parse_cell_kind(get("cell"));
      n.architecture.activation = parse_activation(get("activation"));
    } catch (const InvalidArgument& e) {
      throw fail(e.what());
    }
    n.architecture.n_hidden = int_field("n_hidden");
    n.seed = integer("seed");
    n.init_seed = integer("init_seed");
    n.train_options.seed = integer("train_seed");
    row.outcome = get("outcome");
    if (row.outcome != "pending" && row.outcome != "completed" && row.outcome != "diverged") {
      throw fail("outcome: `" + row.outcome + "` is not pending, completed or diverged");
    }
    row.n_iterations_done = int_field("n_iterations_done");
    row.final_loss = number("final_loss");
    row.mse = number("mse");
    row.normalized_mse = number("normalized_mse");
    row.sign_accuracy = number("sign_accuracy");
    if (get("kept") != "0" && get("kept") != "1") {
      throw fail("kept: `" + get("kept") + "` is not 0 or 1");
    }
    row.kept = get("kept") == "1";
    row.seconds = number("seconds");
    row.file = get("file");
    if (n_columns == columns.size()) row.file_hash = get("file_hash");
    if (!row.file_hash.empty() && !is_content_hash(row.file_hash)) {
      throw fail("file_hash: `" + row.file_hash + "` is not a content hash (16 hex digits)");
    }
    if (row.kept && row.file.empty()) throw fail("kept network '" + n.id + "' has no file");
    if (!row.file.empty()) {
      const std::filesystem::path file(row.file);
      const bool leaves = std::any_of(
          file.begin(), file.end(), [](const std::filesystem::path& part) { return part == ".."; });
      if (file.is_absolute() || leaves) {
        throw fail("file: `" + row.file + "` of network '" + n.id +
                   "' lies outside the sweep directory; a network file must be a path inside it "
                   "(networks/" +
                   n.id + ".h5)");
      }
    }
    // Every later stage names its files after the id and reads each network once.
    auto unique = [&](auto& seen, const auto& key, const std::string& what) {
      const auto [it, inserted] = seen.emplace(key, line_number);
      if (!inserted) {
        throw fail(what + " also on line " + std::to_string(it->second) +
                   ": a population lists each network once; rerun `rnnatlas sweep` to rewrite "
                   "the manifest");
      }
    };
    unique(line_of_id, n.id, "id `" + n.id + "` is");
    unique(line_of_index, n.index, "index " + std::to_string(n.index) + " is");
    if (!row.file.empty()) {
      unique(line_of_file, std::filesystem::path(row.file).lexically_normal().string(),
             "file `" + row.file + "` is");
    }
    // Two networks never have the same bytes (the file holds the seeds): one is a copy.
    if (!row.file_hash.empty()) {
      unique(line_of_hash, row.file_hash,
             "the content of `" + row.file + "` (" + row.file_hash + ") is");
    }
    rows.push_back(std::move(row));
  }
  if (line_number == 0) throw IoError(source_name + ": empty file, not an rnnatlas manifest");
  return rows;
}

std::vector<PopulationGroup> summarize_population(const std::vector<ManifestRow>& rows) {
  std::vector<PopulationGroup> groups;
  for (const CellKind cell :
       {CellKind::kVanilla, CellKind::kUgrnn, CellKind::kGru, CellKind::kLstm}) {
    for (const Activation activation :
         {Activation::kTanh, Activation::kRelu, Activation::kSoftplus, Activation::kLinear}) {
      PopulationGroup g{.cell = cell, .activation = activation};
      std::vector<double> nmse;
      for (const ManifestRow& row : rows) {
        const Architecture& a = row.network.architecture;
        if (a.cell != cell || a.activation != activation) continue;
        ++g.n_networks;
        if (row.outcome == "pending") continue;
        ++g.n_trained;
        g.n_kept += row.kept ? 1 : 0;
        g.n_diverged += row.outcome == "diverged" ? 1 : 0;
        g.seconds += row.seconds;
        if (std::isfinite(row.normalized_mse)) nmse.push_back(row.normalized_mse);
      }
      if (g.n_networks == 0) continue;
      if (!nmse.empty()) {
        std::sort(nmse.begin(), nmse.end());
        const std::size_t m = nmse.size();
        g.median_normalized_mse = m % 2 == 1 ? nmse[m / 2] : 0.5 * (nmse[m / 2 - 1] + nmse[m / 2]);
      }
      groups.push_back(g);
    }
  }
  return groups;
}

std::string format_summary_csv(const std::vector<PopulationGroup>& groups,
                               const std::string& manifest_hash) {
  std::string out =
      "cell,activation,networks,trained,kept,diverged,median_normalized_mse,seconds,"
      "manifest_hash\n";
  for (const PopulationGroup& g : groups) {
    out += std::string(to_string(g.cell)) + "," + std::string(to_string(g.activation)) + "," +
           std::to_string(g.n_networks) + "," + std::to_string(g.n_trained) + "," +
           std::to_string(g.n_kept) + "," + std::to_string(g.n_diverged) + "," +
           format_shortest(g.median_normalized_mse) + "," + format_shortest(g.seconds) + "," +
           manifest_hash + "\n";
  }
  return out;
}

}  // namespace rnnatlas
