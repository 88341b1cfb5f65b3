// The embedding stage: MDS and cluster statistics of a population's distance matrix.
#include "rnnatlas/pipeline/embed.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "pipeline/file_checks.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/pipeline/compare.h"
#include "rnnatlas/pipeline/distance_file.h"

namespace rnnatlas::embedding {
namespace {

namespace fs = std::filesystem;
using similarity::DistanceFile;
using similarity::Params;

constexpr const char* kDigestKey = "distances_digest";

// 64-bit FNV-1a over everything that determines a distance file's matrix, as 16 hex digits.
class Digest {
 public:
  void add(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) hash_ = (hash_ ^ bytes[i]) * 0x100000001b3ULL;
  }
  void add(const std::string& text) {
    add(text.data(), text.size());
    add("\0", 1);  // so that ("ab", "c") and ("a", "bc") differ
  }
  std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
    return text;
  }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

std::string digest_of(const DistanceFile& file) {
  Digest digest;
  digest.add(file.metric);
  for (const auto& [name, value] : file.params)
    digest.add(name + "=" + similarity::to_string(value));
  for (const std::string& id : file.network_ids) digest.add(id);
  for (const std::string& hash : file.input_hashes) digest.add(hash);
  const Eigen::MatrixXd& d = file.distances;
  for (Eigen::Index j = 0; j < d.cols(); ++j)
    for (Eigen::Index i = 0; i < d.rows(); ++i) digest.add(&d(i, j), sizeof(double));
  return digest.hex();
}

// Integer codes of a label: equal values get equal codes.
template <typename T>
std::vector<int> codes_of(const std::vector<T>& values, int* n_groups) {
  std::map<T, int> codes;
  std::vector<int> out;
  out.reserve(values.size());
  for (const T& v : values)
    out.push_back(codes.emplace(v, static_cast<int>(codes.size())).first->second);
  *n_groups = static_cast<int>(codes.size());
  return out;
}

std::vector<LabelClusters> cluster_labels(const EmbedOptions& options,
                                          const Execution& execution,
                                          const DistanceFile& file) {
  const int n = file.n_networks();
  const similarity::NetworkLabels& l = file.labels;
  struct Label {
    const char* name;
    std::vector<int> codes;
    int n_groups = 0;
  };
  std::vector<Label> labels(4);
  labels[0].name = "cell";
  labels[0].codes = codes_of(l.cell, &labels[0].n_groups);
  labels[1].name = "activation";
  labels[1].codes = codes_of(l.activation, &labels[1].n_groups);
  labels[2].name = "n_hidden";
  labels[2].codes = codes_of(l.n_hidden, &labels[2].n_groups);
  labels[3].name = "l2";
  labels[3].codes = codes_of(l.l2, &labels[3].n_groups);
  std::vector<LabelClusters> out;
  for (const Label& label : labels) {
    // A label with one group says nothing; one with a group per network has no silhouette.
    if (label.n_groups < 2 || label.n_groups > n - 1) continue;
    ClusterStatsOptions cluster_options;
    cluster_options.k = std::min(options.k_neighbors, n - 1);
    cluster_options.n_permutations = options.n_permutations;
    cluster_options.seed = options.seed;
    LabelClusters c;
    c.label = label.name;
    c.n_groups = label.n_groups;
    c.k = cluster_options.k;
    c.stats = cluster_stats(cluster_options, file.distances, label.codes, execution);
    out.push_back(std::move(c));
  }
  return out;
}

using EmbedField = OptionField<EmbedOptions>;
using E = EmbedOptions;

/// The rule of SmacofOptions' field `name`, which EmbedOptions passes on to smacof().
Rule smacof_rule(std::string_view name) { return SmacofOptions::schema().find(name)->rule; }

/// The file's /options block: the digest of the distances, then every field of the schema.
Params options_params(const EmbedOptions& options, const std::string& digest) {
  Params p;
  p[kDigestKey] = digest;
  for (const EmbedField& f : EmbedOptions::schema().fields) {
    f.visit(options, [&](const auto& value) {
      using T = std::decay_t<decltype(value)>;
      if constexpr (std::is_same_v<T, int>) {
        p[std::string(f.name)] = std::int64_t{value};
      } else {
        p[std::string(f.name)] = value;
      }
    });
  }
  return p;
}

// The options (not the digest) on which `there` and `now` differ: "name = old there, new now".
std::string option_difference(const Params& there, const Params& now) {
  std::set<std::string> names;
  for (const auto& [name, value] : there) names.insert(name);
  for (const auto& [name, value] : now) names.insert(name);
  std::vector<std::string> out;
  for (const std::string& name : names) {
    if (name == kDigestKey) continue;
    const auto a = there.find(name);
    const auto b = now.find(name);
    if (a != there.end() && b != now.end() && a->second == b->second) continue;
    out.push_back(name + " = " + (a == there.end() ? "unset" : similarity::to_string(a->second)) +
                  " there, " + (b == now.end() ? "unset" : similarity::to_string(b->second)) +
                  " now");
  }
  return join(out, "; ");
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

const Schema<EmbedOptions>& EmbedOptions::schema() {
  static const EmbedField kFields[] = {
      {"k_neighbors", &E::k_neighbors, Rule::at_least(1),
       "neighbours of the k-NN accuracy (at most N - 1 are used)"},
      {"n_permutations", &E::n_permutations, Rule::at_least(0).noting("0: no p-values"),
       "label permutations per p-value"},
      {"seed", &E::seed, Rule::none(), "stream of the permutations and of SMACOF's random starts"},
      {"n_starts", &E::n_starts, smacof_rule("n_starts"),
       "SMACOF random starts (plus the classical start)"},
      {"max_iterations", &E::max_iterations, smacof_rule("max_iterations"),
       "SMACOF iterations per start"},
      {"tolerance", &E::tolerance, smacof_rule("tolerance"),
       "SMACOF's relative decrease of stress that ends a start"},
  };
  static const Schema<EmbedOptions> kSchema{kFields};
  return kSchema;
}

void EmbedOptions::validate() const { schema().validate(*this); }

std::string EmbedSummary::brief_report() const {
  std::ostringstream ss;
  ss << embedding.metric << ": " << embedding.n_networks() << " networks, normalized stress "
     << std::setprecision(3) << embedding.normalized_stress << " -> " << path;
  if (resumed) {
    ss << " (up to date; nothing to do)";
  } else {
    ss << (replaced ? " (replaced)" : "") << " in " << std::fixed << std::setprecision(1) << seconds
       << " s";
  }
  return ss.str();
}

std::string embedding_file_path(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / "similarity" / (name + ".embedding.h5")).string();
}

std::string embedding_staleness(const std::string& dir, const std::string& name) {
  const EmbeddingFile embedding = load_embedding_file(embedding_file_path(dir, name));
  const DistanceFile distances =
      similarity::load_distance_file((fs::path(dir) / "similarity" / (name + ".h5")).string());
  const auto digest = embedding.options.find(kDigestKey);
  if (digest == embedding.options.end() ||
      digest->second != Params::mapped_type(digest_of(distances))) {
    return "it was computed from another version of similarity/" + name + ".h5";
  }
  return "";
}

EmbedSummary embed_population(const std::string& dir,
                              const std::string& name,
                              const EmbedOptions& options,
                              const Execution& execution) {
  const auto start = std::chrono::steady_clock::now();
  options.validate();
  execution.validate();
  RNNATLAS_CHECK_ARG(similarity::internal::is_file_stem(name),
                     "distance file name '"
                         << name
                         << "': must be a plain file stem (letters, digits, '_', '-', '.')");
  EmbedSummary summary;
  summary.distance_path = (fs::path(dir) / "similarity" / (name + ".h5")).string();
  summary.path = embedding_file_path(dir, name);
  std::error_code error;
  if (!fs::is_regular_file(summary.distance_path, error)) {
    throw IoError("cannot read distance file '" + summary.distance_path +
                  "': no such file (run `rnnatlas compare " + dir + " --metric ...` first)");
  }
  const DistanceFile distances = similarity::load_distance_file(summary.distance_path);
  // In a sweep directory the distance file must be current: computed from the kept networks and
  // the files they are now. (A directory without a manifest holds only the distance file.)
  if (fs::is_regular_file(fs::path(dir) / "manifest.csv", error)) {
    const std::string why = similarity::distance_file_staleness(dir, distances);
    if (!why.empty()) {
      throw IoError(summary.distance_path + " is out of date (" + why + "): rerun `rnnatlas " +
                    "compare " + dir + " --metric " + distances.metric +
                    (name == distances.metric ? "" : " --name " + name) +
                    "` with the options it was computed with, then embed again");
    }
  }
  RNNATLAS_CHECK_ARG(distances.n_networks() >= 2, summary.distance_path
                                                      << " holds " << distances.n_networks()
                                                      << " network; embedding needs at least 2");
  const Params params = options_params(options, digest_of(distances));

  if (fs::exists(summary.path, error)) {
    try {
      EmbeddingFile existing = load_embedding_file(summary.path);
      const auto digest = existing.options.find(kDigestKey);
      const bool same_input = digest != existing.options.end() &&
                              digest->second == params.at(kDigestKey) &&
                              existing.network_ids == distances.network_ids;
      const std::string why = option_difference(existing.options, params);
      if (same_input && why.empty()) {
        summary.embedding = std::move(existing);
        summary.resumed = true;
        summary.seconds = seconds_since(start);
        return summary;
      }
      RNNATLAS_CHECK_ARG(options.force || !same_input || why.empty(),
                         summary.path << " was computed with other options (" << why
                                      << "); use force (--force) to replace it");
      // A file from an older distance matrix is stale: replaced without force.
    } catch (const IoError& e) {
      if (!options.force) {
        throw IoError(std::string(e.what()) + "; use force (--force) to replace it");
      }
    }
    summary.replaced = true;
  }

  EmbeddingFile& out = summary.embedding;
  out.metric = distances.metric;
  out.network_ids = distances.network_ids;
  out.options = params;
  const ClassicalMdsResult classical = classical_mds(distances.distances, 2);
  out.classical = classical.coordinates;
  out.classical_eigenvalues = classical.eigenvalues;
  SmacofOptions smacof_options;
  smacof_options.n_components = 2;
  smacof_options.n_starts = options.n_starts;
  smacof_options.max_iterations = options.max_iterations;
  smacof_options.tolerance = options.tolerance;
  smacof_options.seed = options.seed;
  const SmacofSummary smacof_result = smacof(smacof_options, distances.distances);
  out.smacof = smacof_result.coordinates;
  out.stress = smacof_result.stress;
  out.normalized_stress = smacof_result.normalized_stress;
  out.clusters = cluster_labels(options, execution, distances);
  save_embedding_file(summary.path, out);
  summary.seconds = seconds_since(start);
  return summary;
}

}  // namespace rnnatlas::embedding
