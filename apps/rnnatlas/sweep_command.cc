// `rnnatlas sweep`: train a population of networks described by a sweep config.

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli.h"
#include "rnnatlas/config.h"
#include "rnnatlas/error.h"
#include "rnnatlas/sweep/sweep.h"
#if RNNATLAS_WITH_MPI
#include "rnnatlas/sweep/mpi_runner.h"
#endif

namespace rnnatlas::cli {
namespace {

// `rnnatlas sweep --help` after the options. The tests skip MPI runs when it says "without MPI".
constexpr const char* kFooter =
    "Writes DIR/networks/<id>.h5 (one network file each), DIR/manifest.csv (every network's grid\n"
    "point, seeds, outcome and metrics), DIR/sweep.toml and DIR/sweep.hash. Rerunning the same\n"
    "command resumes: finished networks are kept. A config that adds values to [grid] axes or\n"
    "seeds of DIR's config grows the study: only the new networks are trained, the others keep\n"
    "their ids and files. Any other config into DIR is refused, as is a second run on DIR while\n"
    "one is running.\n"
    "\n"
    "Across machines: `mpirun -n K rnnatlas sweep CONFIG --out DIR` (or srun) spreads the\n"
    "networks over K ranks. Rank 0 locks DIR, hands out the networks one at a time, most\n"
    "expensive first, to whichever rank is free, and writes the manifest and the progress; every\n"
    "rank, rank 0 included, trains networks and writes their files, so DIR must be on a file\n"
    "system all ranks share. -j is then threads per rank (default 1: mpirun starts one rank per\n"
    "core). The files are identical to a threaded run's; resume by running the same command\n"
    "again. MPI is used when mpirun or srun started the process (OMPI_COMM_WORLD_SIZE, PMI_SIZE\n"
    "or PMIX_RANK is set) or with --mpi. This build: ";
constexpr const char* kMpiBuildNote =
    RNNATLAS_WITH_MPI ? "with MPI." : "without MPI (built with RNNATLAS_WITH_MPI=OFF).";
constexpr const char* kFooterExitStatus =
    "\n"
    "\n"
    "Exit status: 0 every network trained (diverged ones are recorded, not errors); 1 a file\n"
    "could not be written or DIR is in use; 2 invalid flags or config, or DIR cannot be\n"
    "written (checked before training). Under MPI every rank\n"
    "exits with the same status and only rank 0 prints.";

struct SweepArgs {
  std::string config;
  std::string out;
  int n_threads = 0;
  bool threads_given = false;  // -j on the command line
  bool quiet = false;
  bool list = false;
  bool mpi = false;
};

std::string read_config_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read sweep config '" + path + "': no such file or not readable");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// One stderr line per finished network: what it was, how it went, and where the sweep stands.
void print_progress(const SweepProgress& p) {
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
  const int width = static_cast<int>(std::to_string(p.n_networks).size());
  std::cerr << strprintf(
                   "[%*d/%d] %s %s nmse %.3g%s %.1fs | %.2f networks/min, ETA %s, %d diverged\n",
                   width, p.n_done, p.n_networks, r.network.id.c_str(), r.outcome.c_str(),
                   r.normalized_mse, r.kept ? " kept" : "", r.seconds, 60.0 * rate,
                   format_duration(p.eta_seconds).c_str(), p.n_diverged)
            << std::flush;
}

/// --list: the population, without training it.
void list_networks(const SweepSpec& spec) {
  for (int i = 0; i < spec.n_networks(); ++i) std::cout << spec.network(i).id << '\n';
  print_note(strprintf("%d networks (%d grid points x %zu seeds), config hash %s",
                       spec.n_networks(), spec.n_grid_points(), spec.seeds.size(),
                       spec.hash().c_str()));
}

void check_out(const SweepArgs& args) {
  if (args.out.empty())
    throw UsageError("--out DIR is required (or --list to only list the networks)");
  check_output_directory("--out", args.out);
}

/// The start note: "sweep <hash>: 160 networks (16 grid points x 10 seeds) on flip_flop, <workers>,
/// into DIR".
void print_start(const SweepSpec& spec, const std::string& workers, const std::string& out) {
  print_note(strprintf("sweep %s: %d networks (%d grid points x %zu seeds) on %s, %s, into %s",
                       spec.hash().c_str(), spec.n_networks(), spec.n_grid_points(),
                       spec.seeds.size(), spec.task_name.c_str(), workers.c_str(), out.c_str()));
}

void print_summary(const SweepSummary& summary, const std::string& out) {
  std::cout << summary.brief_report() << '\n'
            << "manifest: " << out << "/manifest.csv" << std::endl;
}

int run_threaded(const SweepArgs& args) {
  const std::string text = read_config_text(args.config);
  const SweepSpec spec = parse_sweep_config(text, args.config);
  if (args.list) {
    list_networks(spec);
    return kExitOk;
  }
  check_out(args);
  const Execution execution{thread_count(args.n_threads)};
  SweepOptions options;
  if (!args.quiet) {
    print_start(spec, count_of(execution.n_threads, "thread"), args.out);
    options.progress = print_progress;
  }
  print_summary(run_sweep(options, spec, text, args.out, execution), args.out);
  return kExitOk;
}

#if RNNATLAS_WITH_MPI
/// One rank of `mpirun -n K rnnatlas sweep`: every rank parses the config (rank 0 reads it and
/// sends the text), so a bad config fails everywhere the same way; rank 0 prepares DIR and
/// coordinates (MpiRunner); every rank trains. Only rank 0 prints; every rank exits with the
/// same status.
int run_over_ranks(const SweepArgs& args) {
  const MpiSession session;
  const bool root = session.rank() == 0;
  int status = kExitOk;
  try {
    const std::string text = session.broadcast([&] { return read_config_text(args.config); });
    const SweepSpec spec = parse_sweep_config(text, args.config);
    if (args.list) {
      if (root) list_networks(spec);
    } else {
      check_out(args);
      const int n_threads = threads_per_rank(args.threads_given, args.n_threads);
      MpiRunner runner(session, n_threads);
      SweepOptions options;
      if (root && !args.quiet) {
        print_start(
            spec,
            strprintf("%d MPI ranks x %s", session.size(), count_of(n_threads, "thread").c_str()),
            args.out);
        options.progress = print_progress;
      }
      const SweepSummary summary =
          run_sweep(options, spec, text, args.out, Execution{n_threads, &runner});
      if (root) print_summary(summary, args.out);
    }
  } catch (...) {
    status = exit_code_of(std::current_exception(), root);
  }
  std::cout.flush();
  std::cerr.flush();
  return status;  // ~MpiSession waits for every rank, then finalizes
}
#endif

int run_sweep_command(const SweepArgs& args) {
  if (use_mpi_ranks(args.mpi)) {
#if RNNATLAS_WITH_MPI
    return run_over_ranks(args);
#endif
  }
  return run_threaded(args);
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
  const ThreadsFlag threads = add_threads_flag(
      *cmd, args->n_threads,
      "networks trained at once, one per thread; 0 = all cores. Under MPI: threads per rank, "
      "default 1");
  cmd->add_flag("--mpi", args->mpi,
                "run as one rank of an MPI job (automatic under mpirun and srun; see below)");
  cmd->add_flag("-q,--quiet", args->quiet, "no progress output");
  cmd->footer(std::string(kFooter) + kMpiBuildNote + kFooterExitStatus);
  return {cmd, [args, threads] {
            args->threads_given = threads.given();
            return run_sweep_command(*args);
          }};
}

}  // namespace rnnatlas::cli
