// `rnnatlas sweep`: train a population of networks described by a sweep config.

#include <CLI/CLI.hpp>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli.h"
#include "rnnatlas/error.h"
#include "rnnatlas/sweep/sweep.h"

namespace rnnatlas::cli {
namespace {

struct SweepArgs {
  std::string config;
  std::string out;
  int n_threads = 0;
  bool quiet = false;
  bool list = false;
};

std::string read_config_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read sweep config '" + path + "': no such file or not readable");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// One stderr line per finished network: what it was, how it went, and where the sweep stands.
void print_progress(const SweepProgress& p, int n_workers) {
  if (p.last == nullptr) {
    if (p.n_resumed > 0) {
      print_note(strprintf("resuming: %d of %d networks already done (%d diverged)", p.n_resumed,
                           p.n_networks, p.n_diverged));
    }
    return;
  }
  const ManifestRow& r = *p.last;
  const int n_trained = p.n_done - p.n_resumed;
  const double rate = p.seconds > 0 ? n_trained / p.seconds : 0.0;  // networks per second
  // From the estimated work left (expensive networks run first, so counting networks would
  // overestimate); until n_workers networks have finished, the ones in flight are not counted.
  const double eta = n_trained >= n_workers && p.work_done > 0
                         ? p.seconds * (1.0 - p.work_done) / p.work_done
                         : NAN;
  const int width = static_cast<int>(std::to_string(p.n_networks).size());
  std::cerr << strprintf(
                   "[%*d/%d] %s %s nmse %.3g%s %.1fs | %.2f networks/min, ETA %s, %d diverged\n",
                   width, p.n_done, p.n_networks, r.network.id.c_str(), r.outcome.c_str(),
                   r.normalized_mse, r.kept ? " kept" : "", r.seconds, 60.0 * rate,
                   format_duration(eta).c_str(), p.n_diverged)
            << std::flush;
}

int run_sweep_command(const SweepArgs& args) {
  const std::string text = read_config_text(args.config);
  const SweepSpec spec = parse_sweep_config(text, args.config);
  if (args.list) {  // the population, without training it
    for (int i = 0; i < spec.n_networks(); ++i) std::cout << spec.network(i).id << '\n';
    print_note(strprintf("%d networks (%d grid points x %zu seeds), config hash %s",
                         spec.n_networks(), spec.n_grid_points(), spec.seeds.size(),
                         spec.hash().c_str()));
    return kExitOk;
  }
  if (args.out.empty())
    throw UsageError("--out DIR is required (or --list to only list the networks)");
  SweepOptions options;
  options.n_threads = args.n_threads > 0
                          ? args.n_threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int n_workers = std::min(options.n_threads, spec.n_networks());
  if (!args.quiet) {
    print_note(
        strprintf("sweep %s: %d networks (%d grid points x %zu seeds) on %s, %d threads, "
                  "into %s",
                  spec.hash().c_str(), spec.n_networks(), spec.n_grid_points(), spec.seeds.size(),
                  spec.task_name.c_str(), options.n_threads, args.out.c_str()));
    options.progress = [n_workers](const SweepProgress& p) { print_progress(p, n_workers); };
  }
  const SweepSummary summary = run_sweep(options, spec, text, args.out);
  std::cout << summary.brief_report() << '\n'
            << "manifest: " << args.out << "/manifest.csv" << std::endl;
  return kExitOk;
}

}  // namespace

Command add_sweep_command(CLI::App& parent) {
  CLI::App* cmd =
      parent.add_subcommand("sweep", "Train a population of networks from a sweep config");
  auto args = std::make_shared<SweepArgs>();
  cmd->add_option("config", args->config, "sweep config (TOML); see docs/sweep.md")
      ->required()
      ->type_name("CONFIG");
  cmd->add_option("-o,--out", args->out, "sweep directory (created if needed; rerun to resume)")
      ->type_name("DIR");
  cmd->add_flag("--list", args->list, "check the config and list the network ids; train nothing");
  cmd->add_option("-j,--threads", args->n_threads,
                  "networks trained at once, one per thread; 0 = all cores")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "no progress output");
  cmd->footer(
      "Writes DIR/networks/<id>.h5 (one network file each), DIR/manifest.csv (every network's "
      "grid\n"
      "point, seeds, outcome and metrics), DIR/sweep.toml and DIR/sweep.hash. Rerunning the same\n"
      "command resumes: finished networks are kept. A different config into DIR is refused, as is\n"
      "a second run on DIR while one is running.\n"
      "\n"
      "Exit status: 0 every network trained (diverged ones are recorded, not errors); 1 a file\n"
      "could not be written or DIR is in use; 2 invalid flags or config.");
  return {cmd, [args] { return run_sweep_command(*args); }};
}

}  // namespace rnnatlas::cli
