// `rnnatlas embed`: MDS and cluster statistics of a distance matrix (the embedding stage).

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli.h"
#include "rnnatlas/error.h"
#include "rnnatlas/pipeline/embed.h"
#include "schema_flags.h"

namespace rnnatlas::cli {
namespace {

namespace emb = rnnatlas::embedding;

struct EmbedArgs {
  std::string dir;
  std::string name = "svcca";
  emb::EmbedOptions options;
  int n_threads = 0;
};

/// The cluster table: how well each label is recovered by the geometry.
void print_clusters(const emb::EmbeddingFile& e) {
  if (e.clusters.empty()) {
    print_note(
        "no label (cell, activation, n_hidden, l2) splits the networks into 2 to N - 1 groups: "
        "no cluster statistics");
    return;
  }
  std::cout << strprintf("%-11s %6s %3s %10s %9s %8s %9s %8s\n", "label", "groups", "k",
                         "silhouette", "p", "knn acc", "p", "majority");
  for (const emb::LabelClusters& c : e.clusters) {
    const emb::ClusterStats& s = c.stats;
    std::cout << strprintf("%-11s %6d %3d %10.3f %9.3g %8.3f %9.3g %8.3f\n", c.label.c_str(),
                           c.n_groups, c.k, s.silhouette, s.silhouette_p_value, s.knn_accuracy,
                           s.knn_p_value, s.majority_accuracy);
  }
  std::cout << strprintf(
      "(p: one-sided label-permutation p-values, %d permutations; majority: accuracy of always "
      "guessing the most frequent label)\n",
      e.clusters.front().stats.n_permutations);
}

int run_embed(EmbedArgs& args) {
  const Execution execution{thread_count(args.n_threads)};
  check_output_directory("DIR", (std::filesystem::path(args.dir) / "similarity").string());
  const emb::EmbedSummary summary =
      emb::embed_population(args.dir, args.name, args.options, execution);
  std::cout << summary.brief_report() << '\n';
  print_clusters(summary.embedding);
  return kExitOk;
}

}  // namespace

Command add_embed_command(CLI::App& parent) {
  CLI::App* cmd =
      parent.add_subcommand("embed",
                            "MDS embedding and cluster statistics of a distance matrix (writes "
                            "DIR/similarity/<metric>.embedding.h5)");
  auto args = std::make_shared<EmbedArgs>();
  emb::EmbedOptions& o = args->options;
  cmd->add_option("dir", args->dir, "sweep directory with DIR/similarity/<metric>.h5")
      ->required()
      ->type_name("DIR");
  cmd->add_option("-m,--metric", args->name,
                  "the distance file's name: the metric given to `rnnatlas compare`, or its "
                  "--name")
      ->capture_default_str();
  // The options of EmbedOptions::schema(); --permutations and --starts are old spellings.
  add_schema_flags(*cmd, o, "Options",
                   {{"n_permutations", "--permutations"}, {"n_starts", "--starts"}});
  add_threads_flag(*cmd, args->n_threads, "threads over permutations; 0 = all cores");
  cmd->add_flag("--force", o.force, "replace an embedding computed with other options");
  cmd->footer(
      "Reads DIR/similarity/<metric>.h5 (rnnatlas compare) and writes classical MDS and SMACOF\n"
      "coordinates (2-D) and, for each label (cell, activation, n_hidden, l2) that splits the\n"
      "networks into groups, the silhouette and leave-one-out k-NN accuracy with permutation\n"
      "p-values, to DIR/similarity/<metric>.embedding.h5 (docs/pipeline.md). Rerunning does\n"
      "nothing unless the distance file changed; other options need --force.\n"
      "\n"
      "Exit status: 0 written or up to date; 1 the distance file is missing or unreadable, or the\n"
      "output cannot be written; 2 invalid flags, an existing file without --force, or\n"
      "DIR/similarity/ cannot be written (checked before any work).");
  return {cmd, [args] { return run_embed(*args); }};
}

}  // namespace rnnatlas::cli
