// `rnnatlas summary`: the population table of a sweep directory.

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli.h"
#include "rnnatlas/sweep/sweep.h"

namespace rnnatlas::cli {
namespace {

int run_summary(const std::string& dir) {
  warn_if_snapshot(dir);
  const std::vector<PopulationGroup> groups = write_population_summary(dir);
  std::cout << strprintf("%-8s %-10s %8s %8s %6s %9s %12s %10s\n", "cell", "activation", "networks",
                         "trained", "kept", "diverged", "median nmse", "time");
  PopulationGroup total;
  for (const PopulationGroup& g : groups) {
    std::cout << strprintf(
        "%-8s %-10s %8d %8d %6d %9d %12.3e %10s\n", std::string(to_string(g.cell)).c_str(),
        std::string(to_string(g.activation)).c_str(), g.n_networks, g.n_trained, g.n_kept,
        g.n_diverged, g.median_normalized_mse, format_duration(g.seconds).c_str());
    total.n_networks += g.n_networks;
    total.n_trained += g.n_trained;
    total.n_kept += g.n_kept;
    total.n_diverged += g.n_diverged;
    total.seconds += g.seconds;
  }
  std::cout << strprintf("%-19s %8d %8d %6d %9d %12s %10s\n", "total", total.n_networks,
                         total.n_trained, total.n_kept, total.n_diverged, "",
                         format_duration(total.seconds).c_str());
  print_note("wrote " + dir + "/summary.csv");
  return kExitOk;
}

}  // namespace

Command add_summary_command(CLI::App& parent) {
  CLI::App* cmd = parent.add_subcommand(
      "summary", "Summarize a sweep directory per cell x activation (also writes DIR/summary.csv)");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("dir", *dir, "sweep directory written by `rnnatlas sweep`")
      ->required()
      ->type_name("DIR");
  cmd->footer(
      "Columns: networks in the sweep, trained (completed or diverged), kept (completed with\n"
      "held-out normalized MSE below the config's [keep] max_normalized_mse), diverged, median\n"
      "held-out normalized MSE of the trained networks, total training time.");
  return {cmd, [dir] { return run_summary(*dir); }};
}

}  // namespace rnnatlas::cli
