// The embedding stage of the pipeline: `rnnatlas embed` as a library call.
//
// embed_population(dir, name, options) reads the distance file DIR/similarity/<name>.h5 written by
// compare_population() and writes DIR/similarity/<name>.embedding.h5 (embedding_file.h):
//  - classical MDS and SMACOF metric MDS, both in 2 dimensions;
//  - for each label (cell, activation, n_hidden, l2) whose values split the networks into 2 to
//    N - 1 groups, the silhouette and leave-one-out k-NN accuracy of that grouping with their
//    label-permutation p-values (cluster_stats.h): how much the geometry is organised by it.
// In a sweep directory (one with a manifest) the distance file must be current for the population
// (similarity::distance_file_staleness()); a stale one is refused with the command to rerun.
// Resume: when the file exists, was computed from the same distance matrix (a digest of its metric,
// parameters, ids, input hashes and values) and with the same options, nothing is computed. A file
// computed from an older distance matrix is replaced; one computed with other options only with
// `force`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rnnatlas/embedding/embedding.h"
#include "rnnatlas/execution.h"
#include "rnnatlas/pipeline/embedding_file.h"
#include "rnnatlas/schema.h"

namespace rnnatlas::embedding {

struct EmbedOptions {
  /// Neighbours of the k-NN accuracy, >= 1; with N networks, min(k_neighbors, N - 1) is used.
  int k_neighbors = 5;
  int n_permutations = 999;  ///< label permutations per p-value, >= 0
  std::uint64_t seed = 0;    ///< permutations and SMACOF's random starts
  int n_starts = 4;          ///< SMACOF random starts (plus the classical start), >= 1
  int max_iterations = 300;  ///< SMACOF iterations per start, >= 1
  double tolerance = 1e-9;   ///< SMACOF relative stress decrease that stops a start, >= 0
  bool force = false;        ///< replace a file computed with other options

  /// Throws InvalidArgument naming the field, its value and what is allowed.
  void validate() const;
  /// Every field but `force` (rnnatlas/schema.h): the flags of `rnnatlas embed`, the keys of a
  /// study's [embed] table and the /options block of an embedding file.
  static const Schema<EmbedOptions>& schema();
};

struct EmbedSummary {
  std::string distance_path;  ///< the distance file read
  std::string path;           ///< the embedding file written (or found up to date)
  EmbeddingFile embedding;    ///< what the file holds
  bool resumed = false;       ///< the file was up to date: nothing was computed
  bool replaced = false;      ///< an older file was replaced
  double seconds = 0.0;
  /// One line: "svcca: 48 networks, normalized stress 0.12 -> DIR/similarity/svcca.embedding.h5".
  std::string brief_report() const;
};

/// DIR/similarity/<name>.embedding.h5.
std::string embedding_file_path(const std::string& dir, const std::string& name);

/// Embeds the distance matrix DIR/similarity/<name>.h5 (see the file comment). `name` is the stem
/// of the distance file: the metric, or the name given to compare_population(). Throws
/// InvalidArgument for invalid options or an existing file computed with other options without
/// `force`; IoError when the distance file is missing, unreadable or out of date for the sweep in
/// `dir`, or the output cannot be written. Cost: O(N^3) for classical MDS, O(n_starts
/// max_iterations N^2) for SMACOF, and O(n_permutations N^2 log N) per label for the p-values,
/// whose permutations run on execution.n_threads threads (the file does not depend on it).
EmbedSummary embed_population(const std::string& dir,
                              const std::string& name,
                              const EmbedOptions& options,
                              const Execution& execution = {});

/// "" when DIR/similarity/<name>.embedding.h5 was computed from DIR/similarity/<name>.h5 as it is
/// now (the digest in its /options); otherwise why not. Throws IoError when either file is missing
/// or unreadable.
std::string embedding_staleness(const std::string& dir, const std::string& name);

}  // namespace rnnatlas::embedding
