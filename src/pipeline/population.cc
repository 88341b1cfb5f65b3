#include "rnnatlas/pipeline/population.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "common/eta.h"
#include "common/parallel.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/io/network_file.h"
#include "rnnatlas/pipeline/dynamics_file.h"
#include "rnnatlas/runner.h"
#include "rnnatlas/sweep/sweep.h"

namespace rnnatlas {
namespace {

namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// True when `path` holds the dynamics of the network of `row`, as its file is now (the content
/// hash it records is the manifest's), made with `options` by this format.
bool already_analysed(const std::string& path,
                      const ManifestRow& row,
                      const AnalysisOptions& options) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return false;
  try {
    const NetworkDynamics d = load_dynamics_file(path);
    // A file of an older format without the continuous attractors, or of an older method, is
    // analysed again.
    return d.network_id == row.network.id && d.network_hash == row.file_hash &&
           same_analysis(d.options, options) && d.analysis_method == kAnalysisMethod &&
           d.topology.signature.cols() == kSignatureColumns;
  } catch (const IoError&) {
    return false;  // unreadable: analyse again and replace it
  }
}

}  // namespace

void PopulationOptions::validate() const { analysis.validate(); }

std::string PopulationSummary::brief_report() const {
  return "analysed " + std::to_string(n_analysed) + " networks (" + std::to_string(n_resumed) +
         " already done) of " + std::to_string(n_networks) + " kept in " +
         format_shortest(std::round(seconds * 10.0) / 10.0) + " s";
}

TrainedNetwork load_trained_network(const std::string& network_file) {
  TrainedNetwork trained{load_network_file(network_file), nullptr};
  const NetworkRecord& record = trained.record;
  if (record.task_name.empty()) {
    throw IoError(network_file +
                  ": the network was never trained (no task is stored), so there is nothing to "
                  "analyse it on");
  }
  try {
    trained.task = make_task(record.task_name, record.task_params);
  } catch (const InvalidArgument& e) {
    throw IoError(network_file + ": the stored task cannot be rebuilt: " + e.what());
  }
  return trained;
}

NetworkDynamics analyze_network_file(const std::string& network_file,
                                     const AnalysisOptions& options,
                                     const Execution& execution) {
  const TrainedNetwork trained = load_trained_network(network_file);
  return analyze_network(trained.record.network, *trained.task, options, execution);
}

std::string dynamics_file_path(const std::string& dir, const std::string& id) {
  return (fs::path(dir) / "dynamics" / (id + ".h5")).string();
}

PopulationSummary analyze_population(const std::string& dir,
                                     const PopulationOptions& options,
                                     const Execution& execution) {
  options.validate();
  execution.validate();
  const auto start = std::chrono::steady_clock::now();
  const std::vector<ManifestRow> rows = read_manifest(dir);
  std::vector<const ManifestRow*> kept;
  for (const ManifestRow& row : rows) {
    if (row.kept) kept.push_back(&row);
  }
  const int n_kept = static_cast<int>(kept.size());
  {
    std::error_code error;
    fs::create_directories(fs::path(dir) / "dynamics", error);
    if (error) {
      throw IoError("cannot create '" + (fs::path(dir) / "dynamics").string() +
                    "': " + error.message());
    }
  }

  // ---- Resume scan (in parallel: it loads every existing file) ---------------------------------
  // Every network file is checked against the manifest first: a replaced file is an error, not a
  // network "already done".
  std::vector<char> done(n_kept, 0);
  internal::parallel_ranges(n_kept, execution.n_threads, [&](int begin, int end, int) {
    for (int i = begin; i < end; ++i) {
      verified_network_file(dir, *kept[i]);
      done[i] = already_analysed(dynamics_file_path(dir, kept[i]->network.id), *kept[i],
                                 options.analysis);
    }
  });
  std::vector<int> todo;
  for (int i = 0; i < n_kept; ++i) {
    if (!done[i]) todo.push_back(i);
  }
  const int n_todo = static_cast<int>(todo.size());

  PopulationSummary summary;
  summary.n_networks = n_kept;
  summary.n_resumed = n_kept - n_todo;
  std::mutex mutex;  // guards summary.n_analysed and the progress callback
  PopulationProgress progress;
  progress.n_networks = n_kept;
  progress.n_resumed = summary.n_resumed;
  progress.n_done = summary.n_resumed;
  progress.eta_seconds = std::numeric_limits<double>::quiet_NaN();
  if (options.progress) options.progress(progress);

  // ---- One network per worker; the threads are shared out when networks are few -------------
  const int n_workers = std::max(1, std::min(execution.n_threads, n_todo));
  const Execution per_network{std::max(1, execution.n_threads / n_workers)};
  // The networks are handed out most expensive first, so that the cheap ones fill the end; a
  // fixed-point iteration costs about gates x n_state^2 (one task per sweep directory). The ETA
  // fits time against that cost on the finished networks (common/eta.h).
  const auto cost_of = [&](int i) {
    const Architecture& a = kept[i]->network.architecture;
    const double gates = a.cell == CellKind::kVanilla ? 1
                         : a.cell == CellKind::kUgrnn ? 2
                         : a.cell == CellKind::kGru   ? 3
                                                      : 4;
    const double n_state = (a.cell == CellKind::kLstm ? 2.0 : 1.0) * std::max(a.n_hidden, 1);
    return gates * n_state * n_state;
  };
  todo = most_expensive_first(std::move(todo), cost_of);
  std::vector<double> costs;
  std::vector<int> position(n_kept, -1);
  for (int i : todo) {
    position[i] = static_cast<int>(costs.size());
    costs.push_back(cost_of(i));
  }
  internal::ScheduleEta eta(std::move(costs), n_workers);
  const auto run_start = std::chrono::steady_clock::now();
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  internal::parallel_ranges(n_workers, n_workers, [&](int, int, int) {
    for (int t = next++; t < n_todo && !failed; t = next++) {
      try {
        const ManifestRow& row = *kept[todo[t]];
        const auto network_start = std::chrono::steady_clock::now();
        NetworkDynamics dynamics =
            analyze_network_file(verified_network_file(dir, row), options.analysis, per_network);
        dynamics.network_id = row.network.id;
        dynamics.network_file = row.file;
        dynamics.network_hash = row.file_hash;
        save_dynamics_file(dynamics_file_path(dir, row.network.id), dynamics);

        const std::lock_guard<std::mutex> lock(mutex);
        ++summary.n_analysed;
        progress.n_done = summary.n_resumed + summary.n_analysed;
        progress.seconds = seconds_since(run_start);
        progress.last_id = row.network.id;
        progress.last_seconds = seconds_since(network_start);
        progress.rate = summary.n_analysed / std::max(progress.seconds, 1e-9);
        eta.finish(position[todo[t]], progress.last_seconds, progress.seconds);
        progress.eta_seconds = eta.seconds_left(progress.seconds);
        if (options.progress) options.progress(progress);
      } catch (...) {
        failed = true;
        throw;
      }
    }
  });
  summary.seconds = seconds_since(start);
  return summary;
}

}  // namespace rnnatlas
