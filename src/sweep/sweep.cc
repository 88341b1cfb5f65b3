#include "rnnatlas/sweep/sweep.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "common/eta.h"
#include "common/files.h"
#include "rnnatlas/error.h"
#include "rnnatlas/io/content_hash.h"
#include "rnnatlas/io/network_file.h"

namespace rnnatlas {
namespace {

namespace fs = std::filesystem;

constexpr const char* kConfigFile = "sweep.toml";
constexpr const char* kHashFile = "sweep.hash";
constexpr const char* kManifestFile = "manifest.csv";
constexpr const char* kLockFile = ".lock";
constexpr int kLockAttempts = 50;  // 1 s in steps of 20 ms
constexpr const char* kNetworksDir = "networks";
constexpr const char* kHistoryDir = "history";  // configs the sweep grew from: <hash>.toml
constexpr const char* kTempMarker = ".tmp-";    // save_network_file's temporary files contain this

std::string errno_text(int error) { return std::strerror(error); }

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

/// An exclusive flock(2) on DIR/.lock, held for the object's lifetime. The kernel releases it
/// when the process dies, however it dies.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir) {
    const std::string path = (fs::path(dir) / kLockFile).string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ < 0) throw IoError("cannot open lock file '" + path + "': " + errno_text(errno));
    // Readers probe the lock for a moment (sweep_in_progress()): wait out such a probe before
    // concluding that another run holds it.
    int attempts = 0;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      if (error == EWOULDBLOCK && ++attempts < kLockAttempts) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      ::close(fd_);
      if (error == EWOULDBLOCK) {
        throw IoError("another rnnatlas sweep is running on " + dir + " (it holds " + path +
                      "); wait for it to finish or stop it, then rerun to resume");
      }
      throw IoError("cannot lock '" + path + "': " + errno_text(error));
    }
  }
  ~DirectoryLock() { ::close(fd_); }  // closing releases the lock
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

/// The config of hash `hash` that DIR holds: DIR/sweep.toml, or, when a growth was interrupted
/// after sweep.toml was replaced but before sweep.hash was, the copy in DIR/history.
std::string committed_config_text(const fs::path& root, const std::string& hash) {
  std::string current = internal::read_text_file((root / kConfigFile).string());
  try {
    if (parse_sweep_config(current, kConfigFile).hash() == hash) return current;
  } catch (const InvalidArgument&) {
    // Not the committed config; look in the history.
  }
  const fs::path earlier = root / kHistoryDir / (hash + ".toml");
  std::error_code error;
  if (!fs::is_regular_file(earlier, error)) {
    throw IoError((root / kHashFile).string() + " says " + hash + ", but neither " +
                  (root / kConfigFile).string() + " nor " + earlier.string() +
                  " is that config; the directory was changed by hand");
  }
  return internal::read_text_file(earlier.string());
}

/// Makes sure DIR holds this sweep: a new or empty DIR is initialised with the config and its
/// hash; a DIR whose config `spec` extends (extension_mismatch) grows into `spec`; a DIR of
/// another sweep, or one that is not a sweep directory, is refused.
///
/// Growing writes DIR/history/<old hash>.toml (the old config), then DIR/sweep.toml, then
/// DIR/sweep.hash, which commits the growth; each write is atomic, and a run killed in between
/// leaves a directory that either config resumes.
void claim_directory(const std::string& dir,
                     const SweepSpec& spec,
                     const std::string& config_text) {
  const fs::path root(dir);
  const fs::path hash_path = root / kHashFile;
  const std::string hash = spec.hash();
  std::error_code error;
  if (fs::exists(hash_path, error)) {
    const std::string stored = trim(internal::read_text_file(hash_path.string()));
    const std::string stored_text = committed_config_text(root, stored);
    if (stored != hash) {
      const SweepSpec base = parse_sweep_config(stored_text, (root / kConfigFile).string());
      const std::string mismatch = extension_mismatch(base, spec);
      const std::string advice =
          ". Give a new --out directory, or resume that sweep with its own config (rnnatlas "
          "sweep " +
          (root / kConfigFile).string() + " --out " + dir + ")";
      RNNATLAS_CHECK_ARG(mismatch.empty(),
                         dir << " holds a different sweep (hash " << stored << ", this config "
                             << hash << "), which this config does not extend: " << mismatch
                             << ". A config may only add values to [grid] axes and seeds (see "
                                "docs/sweep.md, \"Growing a study\")"
                             << advice);
      RNNATLAS_CHECK_ARG(spec.n_networks() > base.n_networks(),
                         dir << " holds a sweep with the same networks in another order (hash "
                             << stored << ", this config " << hash
                             << "); list the values in the order of "
                             << (root / kConfigFile).string() << advice);
      fs::create_directories(root / kHistoryDir, error);
      if (error) {
        throw IoError("cannot create " + (root / kHistoryDir).string() + ": " + error.message());
      }
      internal::write_file_atomically((root / kHistoryDir / (stored + ".toml")).string(),
                                      stored_text);
      internal::write_file_atomically((root / kConfigFile).string(), config_text);
      internal::write_file_atomically(hash_path.string(), hash + "\n");
    } else if (stored_text != internal::read_text_file((root / kConfigFile).string())) {
      // A growth to another config was interrupted before it was committed: back to this one.
      internal::write_file_atomically((root / kConfigFile).string(), config_text);
    }
  } else {
    for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
      const std::string name = entry.path().filename().string();
      const bool ours = name == kLockFile || name == kConfigFile ||
                        name.rfind(std::string(kConfigFile) + kTempMarker, 0) == 0 ||
                        name.rfind(std::string(kHashFile) + kTempMarker, 0) == 0;
      RNNATLAS_CHECK_ARG(ours, dir << " is not empty and is not a sweep directory (no " << kHashFile
                                   << "; found " << name
                                   << "). Give a new or empty --out directory");
    }
    // The config first, then the hash that marks the directory as initialised.
    internal::write_file_atomically((root / kConfigFile).string(), config_text);
    internal::write_file_atomically(hash_path.string(), hash + "\n");
  }
  fs::create_directories(root / kNetworksDir, error);
  if (error) {
    throw IoError("cannot create " + (root / kNetworksDir).string() + ": " + error.message());
  }
}

/// The configs DIR grew from (DIR/history/*.toml), oldest (fewest networks) first, then
/// `current`; a history file of `current` itself (left by an interrupted growth) is skipped.
std::vector<SweepSpec> generations_of(const fs::path& root, const SweepSpec& current) {
  std::vector<SweepSpec> generations;
  std::error_code error;
  const fs::path history = root / kHistoryDir;
  if (fs::is_directory(history, error)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(history)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".toml" || name.find(kTempMarker) != std::string::npos) {
        continue;
      }
      SweepSpec spec = read_sweep_config(entry.path().string());
      if (spec.hash() != current.hash()) generations.push_back(std::move(spec));
    }
  }
  std::sort(generations.begin(), generations.end(),
            [](const SweepSpec& a, const SweepSpec& b) { return a.n_networks() < b.n_networks(); });
  generations.push_back(current);
  return generations;
}

/// The networks of DIR in manifest order (grown_networks of its generations). Throws IoError
/// when the history is not a chain of extensions.
std::vector<SweepNetwork> networks_of(const fs::path& root, const SweepSpec& current) {
  try {
    return grown_networks(generations_of(root, current));
  } catch (const InvalidArgument& e) {
    throw IoError((root / kHistoryDir).string() + ": the configs this sweep grew from " +
                  "do not form a chain: " + e.what());
  }
}

/// Removes temporary files left by a killed run (we hold the lock: no one else is writing).
void remove_stale_temporaries(const fs::path& directory) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
    if (entry.path().filename().string().find(kTempMarker) != std::string::npos) {
      fs::remove(entry.path(), error);
    }
  }
}

/// Relative cost of training a network, for scheduling the expensive ones first (which balances
/// the load: the last networks to start are the cheap ones).
double estimated_cost(const SweepNetwork& n, double n_time) {
  const Architecture& a = n.architecture;
  const double gates = a.cell == CellKind::kVanilla ? 1
                       : a.cell == CellKind::kUgrnn ? 2
                       : a.cell == CellKind::kGru   ? 3
                                                    : 4;
  return static_cast<double>(n.train_options.n_iterations) * n.train_options.n_batch * n_time *
         gates * a.n_hidden * (a.n_hidden + a.n_input + 1);
}

ManifestRow row_from(const SweepNetwork& network,
                     const TrainSummary& summary,
                     double max_nmse,
                     const std::string& file,
                     const std::string& file_hash) {
  ManifestRow row;
  row.network = network;
  row.outcome = std::string(to_string(summary.termination));
  row.n_iterations_done = summary.n_iterations_done;
  row.final_loss = summary.loss_history.empty() ? NAN : summary.loss_history.back();
  row.mse = summary.eval.mse;
  row.normalized_mse = summary.eval.normalized_mse;
  row.sign_accuracy = summary.eval.sign_accuracy;
  row.kept =
      summary.termination == Termination::kCompleted && summary.eval.normalized_mse < max_nmse;
  row.seconds = summary.seconds;
  row.file = file;
  row.file_hash = file_hash;
  return row;
}

/// True when `record` is the finished network `n` (guards against a stray file under its name).
bool record_matches(const NetworkRecord& record, const SweepNetwork& n) {
  const Architecture& a = record.network.architecture();
  return a.cell == n.architecture.cell && a.activation == n.architecture.activation &&
         a.n_hidden == n.architecture.n_hidden && record.init_seed == n.init_seed &&
         record.train_options.seed == n.train_options.seed &&
         record.summary.termination != Termination::kNotRun;
}

}  // namespace

std::string SweepSummary::brief_report() const {
  std::ostringstream ss;
  ss << n_networks << " networks: " << n_trained << " trained by this run, " << n_resumed
     << " already done; " << n_diverged << " diverged, " << n_kept << " kept; "
     << std::lround(seconds) << " s";
  return ss.str();
}

SweepSummary run_sweep(const SweepOptions& options,
                       const SweepSpec& spec,
                       const std::string& config_text,
                       const std::string& dir,
                       const Execution& execution) {
  execution.validate();
  const auto start = std::chrono::steady_clock::now();
  auto seconds_since_start = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::unique_ptr<ThreadRunner> own_runner;
  Runner* runner = execution.runner;
  if (runner == nullptr) {
    own_runner = std::make_unique<ThreadRunner>(execution.n_threads);
    runner = own_runner.get();
  }
  const fs::path root(dir);
  const int n = spec.n_networks();

  // Trains network i and writes its file; returns its manifest row as a record (CSV text), which
  // done() reads back (numbers round-trip exactly), possibly in another process.
  // DIR's networks in manifest order. Read on the coordinator once DIR is claimed; on another
  // process, at its first network (the coordinator has claimed DIR before handing any out).
  std::unique_ptr<Task> task;
  std::vector<SweepNetwork> networks;
  std::once_flag networks_read;
  std::atomic<int> n_trained_here{0};
  auto work = [&](int i) -> std::string {
    std::call_once(networks_read, [&] {
      if (networks.empty()) networks = networks_of(root, spec);
    });
    const SweepNetwork& net = networks[i];
    Network network(net.architecture, net.init_seed);
    const TrainSummary summary = train(net.train_options, *task, network);
    const std::string file = std::string(kNetworksDir) + "/" + net.id + ".h5";
    NetworkRecord record{.network = std::move(network),
                         .init_seed = net.init_seed,
                         .task_name = spec.task_name,
                         .task_params = spec.task_params,
                         .train_options = net.train_options,
                         .summary = summary,
                         .library_version = {}};
    save_network_file((root / file).string(), record);
    const std::string hash = file_content_hash((root / file).string());
    ++n_trained_here;
    return format_manifest_csv({row_from(net, summary, spec.max_normalized_mse, file, hash)});
  };

  if (!runner->is_coordinator()) {  // another process prepares DIR and hands out the networks
    try {
      task = make_task(spec.task_name, spec.task_params);
    } catch (...) {
      runner->abandon(std::current_exception());
      throw;
    }
    runner->run_with_records({}, work, [](int, const std::string&) {});
    SweepSummary summary;
    summary.n_networks = n;
    summary.n_trained = n_trained_here;
    summary.seconds = seconds_since_start();
    return summary;
  }

  // Prepare DIR and find the networks still to train. On failure, release the runner's other
  // processes (if any) before reporting.
  std::optional<DirectoryLock> lock;
  std::vector<ManifestRow> rows(n);
  std::vector<int> todo;
  SweepProgress progress{.n_networks = n};
  const std::string manifest_path = (root / kManifestFile).string();
  try {
    std::error_code error;
    fs::create_directories(root, error);
    if (error || !fs::is_directory(root)) {
      throw IoError("cannot create sweep directory " + dir + ": " +
                    (error ? error.message() : "a file of that name exists"));
    }
    lock.emplace(dir);
    claim_directory(dir, spec, config_text);
    remove_stale_temporaries(root / kNetworksDir);
    remove_stale_temporaries(root);
    task = make_task(spec.task_name, spec.task_params);
    networks = networks_of(root, spec);
    for (int i = 0; i < n; ++i) {
      ManifestRow& row = rows[i];
      row.network = networks[i];
      const std::string file = std::string(kNetworksDir) + "/" + row.network.id + ".h5";
      const fs::path path = root / file;
      if (fs::exists(path, error)) {
        try {
          const NetworkRecord record = load_network_file(path.string());
          if (record_matches(record, row.network)) {
            // Hashed here, so that rerunning a sweep records the hashes an older manifest lacks.
            row = row_from(row.network, record.summary, spec.max_normalized_mse, file,
                           file_content_hash(path.string()));
            ++progress.n_resumed;
            ++progress.n_done;
            progress.n_diverged += row.outcome == "diverged" ? 1 : 0;
            progress.n_kept += row.kept ? 1 : 0;
            continue;
          }
        } catch (const IoError&) {
          // Unreadable: train it again; save_network_file replaces the file atomically.
        }
      }
      todo.push_back(i);
    }
    internal::write_file_atomically(manifest_path, format_manifest_csv(rows));
    if (options.progress) options.progress(progress);
  } catch (...) {
    runner->abandon(std::current_exception());
    throw;
  }

  // Expensive networks first; ties in index order. The order affects only the wall time.
  const double n_time = spec.task_params.count("n_time") ? spec.task_params.at("n_time") : 1.0;
  std::vector<double> cost(n);
  for (int i : todo) cost[i] = estimated_cost(rows[i].network, n_time);
  todo = most_expensive_first(std::move(todo), [&](int i) { return cost[i]; });
  double cost_total = 0.0;
  std::vector<int> position(n, -1);  // in the hand-out order, for the ETA
  std::vector<double> costs_in_order;
  for (int i : todo) {
    cost_total += cost[i];
    position[i] = static_cast<int>(costs_in_order.size());
    costs_in_order.push_back(std::max(cost[i], 1.0));
  }
  double cost_done = 0.0;
  internal::ScheduleEta eta(
      std::move(costs_in_order),
      std::max(1, std::min(runner->n_workers(), static_cast<int>(todo.size()))));
  const auto training_start = std::chrono::steady_clock::now();

  int n_trained = 0;
  auto done = [&](int i, const std::string& record) {
    std::vector<ManifestRow> parsed =
        parse_manifest_csv(record, "the record of " + rows[i].network.id);
    RNNATLAS_ASSERT(parsed.size() == 1 && parsed[0].network.index == i,
                    "record of network " << i << " holds " << parsed.size() << " rows");
    // The full grid point, not only the columns the record holds.
    parsed[0].network = std::move(rows[i].network);
    rows[i] = std::move(parsed[0]);
    ++n_trained;
    ++progress.n_done;
    cost_done += cost[i];
    progress.work_done = cost_total > 0 ? std::min(1.0, cost_done / cost_total) : 1.0;
    const double now =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - training_start).count();
    eta.finish(position[i], rows[i].seconds, now);
    progress.eta_seconds = eta.seconds_left(now);
    progress.n_diverged += rows[i].outcome == "diverged" ? 1 : 0;
    progress.n_kept += rows[i].kept ? 1 : 0;
    internal::write_file_atomically(manifest_path, format_manifest_csv(rows));
    progress.seconds = seconds_since_start();
    progress.last = &rows[i];
    if (options.progress) options.progress(progress);
  };
  runner->run_with_records(todo, work, done);

  SweepSummary summary;
  summary.n_networks = n;
  summary.n_resumed = progress.n_resumed;
  summary.n_trained = n_trained;
  summary.n_diverged = progress.n_diverged;
  summary.n_kept = progress.n_kept;
  summary.seconds = seconds_since_start();
  return summary;
}

SweepPopulation read_sweep_population(const std::string& dir) {
  const fs::path config = fs::path(dir) / kConfigFile;
  std::error_code error;
  if (!fs::is_regular_file(config, error)) {
    throw IoError("cannot read " + config.string() + ": no such file (is " + dir +
                  " a directory written by `rnnatlas sweep`?)");
  }
  SweepPopulation population{.spec = read_sweep_config(config.string()), .networks = {}};
  population.networks = networks_of(dir, population.spec);
  return population;
}

namespace {

/// read_manifest(), also giving the bytes the rows were parsed from.
std::vector<ManifestRow> read_manifest_and_text(const std::string& dir, std::string& text) {
  const std::string path = (fs::path(dir) / kManifestFile).string();
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    throw IoError("cannot read " + path + ": no such file (is " + dir +
                  " a directory written by `rnnatlas sweep`?)");
  }
  text = internal::read_text_file(path);
  std::vector<ManifestRow> rows = parse_manifest_csv(text, path);
  // parse_manifest_csv() refuses paths that leave DIR by name; a symbolic link can still point
  // elsewhere, so the files that exist are resolved.
  const fs::path root = fs::weakly_canonical(fs::absolute(dir));
  for (const ManifestRow& row : rows) {
    if (row.file.empty()) continue;
    const fs::path resolved = fs::weakly_canonical(root / row.file, error);
    const auto [end, unused] =
        std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end());
    if (!error && end != root.end()) {
      throw IoError(path + ": file `" + row.file + "` of network '" + row.network.id +
                    "' resolves to " + resolved.string() +
                    ", outside the sweep directory; a network file must lie inside it");
    }
  }
  return rows;
}

}  // namespace

std::vector<ManifestRow> read_manifest(const std::string& dir) {
  std::string text;
  return read_manifest_and_text(dir, text);
}

std::string verified_network_file(const std::string& dir, const ManifestRow& row) {
  const fs::path root(dir);
  std::string path = (root / row.file).string();
  const std::string rerun = "rnnatlas sweep " + (root / kConfigFile).string() + " --out " + dir;
  if (row.file_hash.empty()) {
    throw IoError((root / kManifestFile).string() + " records no content hash for network '" +
                  row.network.id + "' (it was written by an older rnnatlas, or the network is " +
                  "pending): rerun `" + rerun + "`, which adds the hashes without retraining");
  }
  const std::string hash = file_content_hash(path);
  if (hash != row.file_hash) {
    throw IoError("network file '" + path + "' is not the one the sweep recorded for network '" +
                  row.network.id + "' (content hash " + hash + ", " + kManifestFile + " says " +
                  row.file_hash + "): it was replaced or changed. Restore it, or rerun `" + rerun +
                  "`, which keeps a file that is this network and retrains one that is not");
  }
  return path;
}

bool sweep_in_progress(const std::string& dir) {
  const std::string path = (fs::path(dir) / kLockFile).string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no run ever held it
  // A shared lock conflicts only with a run's exclusive one; it is released at once.
  const bool running = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return running;
}

std::string population_snapshot_note(const std::string& dir, const std::vector<ManifestRow>& rows) {
  int n_trained = 0;
  int n_kept = 0;
  for (const ManifestRow& row : rows) {
    n_trained += row.outcome != "pending";
    n_kept += row.kept;
  }
  const int n = static_cast<int>(rows.size());
  const std::string so_far = std::to_string(n_trained) + " of " + std::to_string(n) +
                             " networks trained, " + std::to_string(n_kept) + " kept";
  if (sweep_in_progress(dir)) {
    return "a sweep is still running on " + dir + " (" + so_far +
           "): this is a snapshot of the networks kept so far; run it again when the sweep has " +
           "finished to include the rest";
  }
  if (n_trained < n) {
    return "the sweep of " + dir + " is unfinished (" + so_far +
           "): this is a snapshot of the networks kept so far; rerun `rnnatlas sweep " +
           (fs::path(dir) / kConfigFile).string() + " --out " + dir + "` to train the rest";
  }
  return "";
}

std::vector<PopulationGroup> write_population_summary(const std::string& dir) {
  // The hash written into the summary is that of the bytes whose rows it counts.
  std::string text;
  std::vector<PopulationGroup> groups = summarize_population(read_manifest_and_text(dir, text));
  internal::write_file_atomically((fs::path(dir) / "summary.csv").string(),
                                  format_summary_csv(groups, content_hash(text)));
  return groups;
}

}  // namespace rnnatlas
