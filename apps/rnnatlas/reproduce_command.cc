// `rnnatlas reproduce`: the whole study, for each task: train the population, analyse its
// dynamics, compare the networks, embed the comparisons, and write the report (docs/pipeline.md).
//
// The driver runs each stage as the stage's own command (`rnnatlas sweep|dynamics|compare|embed`
// and `python3 -m rnnatlas.report`) in a child process, so that a stage behaves exactly as when run
// by hand, with its own validation, progress display and resume logic. A study config
// (experiments/study_<scale>.toml, compiled in) lists the tasks and the flags of each stage; a
// stage whose files exist is skipped by the stage itself, so rerunning resumes where it stopped.

#include <sys/prctl.h>
#include <sys/wait.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "app.h"
#include "cli.h"
#include "common/files.h"
#include "experiments.h"
#include "rnnatlas/config.h"
#include "rnnatlas/dynamics/analysis.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/pipeline/compare.h"
#include "rnnatlas/pipeline/embed.h"
#include "rnnatlas/schema.h"
#include "rnnatlas/sweep/sweep_spec.h"
#include "rnnatlas/tasks/task.h"

namespace rnnatlas::cli {
namespace {

namespace fs = std::filesystem;

struct ReproduceArgs {
  std::string scale = "demo";
  std::string out;
  std::string experiments_dir;  // empty: the compiled-in experiments/
  std::vector<std::string> tasks;
  int n_threads = 0;
  std::string python;
  std::string launcher;  // e.g. "mpirun -n 64": runs the stages that spread over MPI ranks
  bool no_report = false;
  bool check = false;      // check the configs and stop
  std::uint64_t seed = 0;  // added to every seed of the study (0: the configs as they are)
};

/// One child process: argv[0] is the program.
struct Step {
  std::string title;  // e.g. "dynamics"
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env = {};  // added to the environment
};

/// The study config of one scale: tasks, and the flags of each stage.
struct Study {
  std::string name;  // e.g. "study_demo.toml"
  std::vector<std::string> tasks;
  // Flags per stage, from the TOML tables; task-specific subtables override.
  toml::table dynamics, compare, embed, report;
  toml::table document;  // as parsed: its nodes keep their lines (copies do not)

  /// The table `name` of the document as parsed (empty when absent), for messages with lines.
  const toml::table& parsed(const char* name) const {
    static const toml::table empty;
    const toml::table* t = document[name].as_table();
    return t != nullptr ? *t : empty;
  }
};

/// The text of experiments/<name> from --experiments DIR or the compiled-in copy.
std::string experiment_text(const ReproduceArgs& args, const std::string& name) {
  if (!args.experiments_dir.empty())
    return internal::read_text_file((fs::path(args.experiments_dir) / name).string());
  const auto& builtin = builtin_experiments();
  const auto it = builtin.find(name);
  if (it == builtin.end()) {
    std::vector<std::string> studies;
    for (const auto& [file, text] : builtin) {
      if (file.rfind("study_", 0) == 0) studies.push_back(file.substr(6, file.size() - 11));
    }
    throw UsageError("no experiment config '" + name + "' is built in; --scale must be one of " +
                     join(studies, ", ") + ", or give --experiments DIR holding " + name);
  }
  return std::string(it->second);
}

/// The text of a string or number node as a flag value; nullopt for any other node.
std::optional<std::string> scalar_text(const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) return format_shortest(f->get());
  return std::nullopt;
}

/// True for a subtable that overrides its table for one task (or, in [compare], is one metric's
/// table); any other subtable holds nested options.
using IsOverride = std::function<bool(const std::string& key)>;
/// The option path of a key of a table: the key itself, but in a [compare.<metric>] table
/// (compare_key_path()).
using KeyPath = std::function<std::string(const std::string& key)>;

bool is_task_name(const std::string& key) {
  static const std::vector<std::string> names = task_names();
  return std::find(names.begin(), names.end(), key) != names.end();
}

bool is_metric_name(const std::string& key) {
  const std::vector<std::string>& names = similarity::compare_metric_names();
  return std::find(names.begin(), names.end(), key) != names.end();
}

std::string same_path(const std::string& key) { return key; }

/// The subtables of [compare] that are not common keys of `metric`'s command: the metric tables,
/// and the options of the activity for a metric that does not use it (topology).
IsOverride not_common_to(const std::string& metric) {
  return [metric](const std::string& key) {
    return is_metric_name(key) || (key == "activity" && !similarity::uses_activity(metric));
  };
}

/// How the keys of a [compare.<metric>] table become option paths.
KeyPath metric_key_path(const std::string& metric) {
  return [metric](const std::string& key) { return compare_key_path(metric, key); };
}

/// The flags of a stage table: scalars (and arrays, comma-joined) become "--key value"; booleans
/// become "--key" when true. A subtable of nested options (or a dotted key,
/// `fixed_points.max_iters = 500`) gives "--fixed-points.max-iters 500"; the override subtables
/// (per task or per metric) are skipped here. The flag is that of path_of(key).
std::vector<std::string> table_flags(const toml::table& table,
                                     const std::string& where,
                                     const IsOverride& is_override = is_task_name,
                                     const std::string& prefix = {},
                                     const KeyPath& path_of = same_path) {
  std::vector<std::string> flags;
  for (const auto& [key, node] : table) {
    const std::string path = prefix + std::string(key.str());
    if (const toml::table* nested = node.as_table()) {
      if (prefix.empty() && is_override(path)) continue;
      std::vector<std::string> more = table_flags(*nested, where, is_override, path + ".", path_of);
      flags.insert(flags.end(), more.begin(), more.end());
      continue;
    }
    const std::string flag = flag_of(path_of(path));  // the key's flag (rnnatlas/schema.h)
    if (const auto* b = node.as_boolean()) {
      if (b->get()) flags.push_back(flag);
      continue;
    }
    std::optional<std::string> value = scalar_text(node);
    if (const auto* a = node.as_array()) {
      std::vector<std::string> items;
      for (const toml::node& item : *a) {
        std::optional<std::string> text = scalar_text(item);
        if (!text)
          throw UsageError(where + "." + path + ": array items must be strings or numbers");
        items.push_back(std::move(*text));
      }
      value = join(items, ",");
    }
    if (!value)
      throw UsageError(where + "." + path + ": must be a string, number, boolean or array");
    flags.push_back(flag);
    flags.push_back(std::move(*value));
  }
  return flags;
}

/// `table` flags, then those of its subtable `sub` (if any) which override them on the command
/// line (CLI11 keeps the last value of a repeated option).
std::vector<std::string> stage_flags(const toml::table& table,
                                     const std::string& sub,
                                     const std::string& where,
                                     const KeyPath& path_of = same_path) {
  std::vector<std::string> flags = table_flags(table, where, is_task_name, {}, path_of);
  if (const toml::table* t = table[sub].as_table()) {
    const std::vector<std::string> more =
        table_flags(*t, where + "." + sub, is_task_name, {}, path_of);
    flags.insert(flags.end(), more.begin(), more.end());
  }
  return flags;
}

/// The subtables of a stage table that override it (one per task, or in [compare] one per
/// metric): their names, and how each is checked (with its place, "[dynamics.flip_flop]").
struct Overrides {
  std::vector<std::string> names;
  std::function<void(const std::string& name, const toml::table& sub, const std::string& where)>
      check;
};

/// Checks every key of stage table `table` by parsing `command` plus that key's flags, as the
/// stage will be run: an unknown key or a value the flag refuses is a UsageError naming file:line,
/// the table and the key, before any stage runs. A subtable named in `overrides` is checked by
/// it; any other subtable holds nested options, whose keys are checked by their paths (`prefix` +
/// key, then path_of).
void check_stage_table(const toml::table& table,
                       const std::vector<std::string>& command,
                       const std::string& file,
                       const std::string& where,
                       const Overrides& overrides = {},
                       const std::string& prefix = {},
                       const KeyPath& path_of = same_path) {
  const std::vector<std::string>& subs = overrides.names;
  for (const auto& [key, node] : table) {
    const std::string k = prefix + std::string(key.str());
    const std::string at = file + ":" + std::to_string(node.source().begin.line) + ": " + where;
    if (const toml::table* sub = node.as_table()) {
      if (prefix.empty() && std::find(subs.begin(), subs.end(), k) != subs.end()) {
        // "[dynamics]" -> "[dynamics.flip_flop]"
        const std::string sub_where = where.ends_with(']')
                                          ? where.substr(0, where.size() - 1) + "." + k + "]"
                                          : where + " [" + k + "]";
        overrides.check(k, *sub, sub_where);
      } else {
        check_stage_table(*sub, command, file, where, overrides, k + ".", path_of);
      }
      continue;
    }
    toml::table one;
    one.insert(key, node);
    std::vector<std::string> argv = command;
    for (std::string& f : table_flags(one, where, is_task_name, prefix, path_of)) {
      argv.push_back(f);
    }
    const std::string problem = parse_problem(argv);
    if (!problem.empty()) {
      std::string hint = "a key is a flag of `rnnatlas " + command[0] +
                         "` with '_' for '-', a dotted key a nested option";
      if (!prefix.empty() && !subs.empty()) {
        hint += "; a subtable is a group of nested options or one of " + join(subs, ", ");
      }
      throw UsageError(at + " " + k + ": " + problem + " (" + hint + "; see `rnnatlas " +
                       command[0] + " --help`)");
    }
  }
}

/// Overrides per task of a stage table run as `command`, their keys checked like the table's.
Overrides task_overrides(const std::vector<std::string>& command,
                         const std::string& file,
                         const KeyPath& path_of = same_path) {
  return {task_names(), [=](const std::string&, const toml::table& sub, const std::string& where) {
            check_stage_table(sub, command, file, where, {}, {}, path_of);
          }};
}

/// `text` parsed as TOML; a syntax error is a UsageError naming name:line.
toml::table parse_toml(const std::string& text, const std::string& name) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    std::ostringstream ss;
    ss << name << ":" << e.source().begin.line << ": " << e.description();
    throw UsageError(ss.str());
  }
}

Study parse_study(const std::string& text, const std::string& name) {
  toml::table doc = parse_toml(text, name);
  Study study;
  study.name = name;
  for (const auto& [key, node] : doc) {
    const std::string k(key.str());
    const std::string at = name + ":" + std::to_string(node.source().begin.line);
    if (k == "tasks") {
      const toml::array* tasks = node.as_array();
      if (tasks == nullptr || tasks->empty()) {
        throw UsageError(at + ": tasks must be a non-empty array of task names");
      }
      for (const toml::node& t : *tasks) {
        if (!t.is_string()) throw UsageError(at + ": tasks must hold strings");
        study.tasks.push_back(t.as_string()->get());
      }
    } else if (k == "dynamics" || k == "compare" || k == "embed" || k == "report") {
      if (!node.is_table()) throw UsageError(at + ": [" + k + "] must be a table");
      toml::table& slot = k == "dynamics"  ? study.dynamics
                          : k == "compare" ? study.compare
                          : k == "embed"   ? study.embed
                                           : study.report;
      slot = *node.as_table();
    } else {
      throw UsageError(at + ": unknown key '" + k +
                       "'; a study config has tasks, [dynamics], [compare], [embed], [report]");
    }
  }
  if (study.tasks.empty()) throw UsageError(name + ": missing `tasks = [...]`");
  study.document = std::move(doc);
  return study;
}

/// This program's own path, to run its other subcommands.
std::string self_path() {
  std::error_code error;
  const fs::path path = fs::read_symlink("/proc/self/exe", error);
  if (error) throw IoError("cannot find this program's path (/proc/self/exe): " + error.message());
  return path.string();
}

/// The interpreter for the report, and the PYTHONPATH entry of the build tree's package (when
/// this program runs from its build tree).
std::pair<std::string, std::string> python_for_report(const std::string& requested) {
  std::string python = requested;
  if (python.empty()) {
    const char* env = std::getenv("RNNATLAS_PYTHON");
    python = env != nullptr && *env ? env : RNNATLAS_PYTHON_EXECUTABLE;
  }
  std::string path;
  const fs::path build_package = fs::path(RNNATLAS_BUILD_PYTHON_DIR) / "rnnatlas" / "report";
  if (fs::exists(build_package)) path = RNNATLAS_BUILD_PYTHON_DIR;
  return {python, path};
}

/// Runs `step` and waits; returns its exit status (128 + signal when killed). The child dies
/// with this process (PR_SET_PDEATHSIG), so killing `reproduce` never leaves a stage running.
int run_step(const Step& step) {
  std::vector<char*> argv;
  for (const std::string& a : step.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw IoError(std::string("cannot start a process: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    for (const auto& [name, value] : step.env) ::setenv(name.c_str(), value.c_str(), 1);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "rnnatlas: error: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw IoError(std::string("waitpid failed: ") + std::strerror(errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& a : argv) {
    if (!line.empty()) line += ' ';
    const bool plain = a.find_first_of(" \t'\"$\\") == std::string::npos && !a.empty();
    line += plain ? a : "'" + a + "'";
  }
  return line;
}

/// Writes `text` to `path` unless it already holds exactly that (so a rerun keeps the file and
/// the sweep directory's config check sees the same config).
void write_config(const fs::path& path, const std::string& text) {
  std::error_code error;
  if (fs::exists(path, error) && internal::read_text_file(path.string()) == text) return;
  fs::create_directories(path.parent_path());
  internal::write_file_atomically(path.string(), text);
}

/// The sweep config `text` with its top-level `seed` (0 when absent) increased by `offset`; the
/// text itself when the offset is 0. The copy keeps every key; comments give way to one line that
/// names the change.
std::string offset_sweep_seed(const std::string& text,
                              const std::string& name,
                              std::uint64_t offset) {
  if (offset == 0) return text;
  toml::table doc = parse_toml(text, name);
  std::int64_t seed = 0;
  if (const toml::node* node = doc.get("seed")) {
    const auto value = node->value<std::int64_t>();
    if (!value || *value < 0) {
      throw UsageError(name + ":" + std::to_string(node->source().begin.line) +
                       ": seed must be a non-negative integer");
    }
    seed = *value;
  }
  doc.insert_or_assign("seed", static_cast<std::int64_t>(seed + static_cast<std::int64_t>(offset)));
  std::ostringstream out;
  out << "# " << name << " with every seed offset by " << offset << " (rnnatlas reproduce --seed)\n"
      << doc << "\n";
  return out.str();
}

/// Adds `offset` to the value of `--seed` in argv, or appends `--seed default + offset`.
void offset_seed_flag(std::vector<std::string>& argv,
                      std::uint64_t fallback,
                      std::uint64_t offset) {
  if (offset == 0) return;
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] != "--seed") continue;
    const std::string problem = seed_error(argv[i + 1]);
    if (!problem.empty()) throw UsageError("--seed of a study stage: " + problem);
    argv[i + 1] = std::to_string(std::stoull(argv[i + 1]) + offset);
    return;
  }
  argv.insert(argv.end(), {"--seed", std::to_string(fallback + offset)});
}

/// The words of --launcher ("mpirun -n 64" -> {"mpirun", "-n", "64"}); no shell quoting.
std::vector<std::string> launcher_words(const std::string& launcher) {
  std::vector<std::string> words;
  std::istringstream in(launcher);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

/// Parses every task's population config and checks every key of every stage table of `study`,
/// before any work. Throws UsageError naming the file, line and key at fault.
void check_study(const ReproduceArgs& args,
                 const Study& study,
                 const std::vector<std::string>& tasks) {
  for (const std::string& task : tasks) {
    const std::string name = task + "_" + args.scale + ".toml";
    try {
      parse_sweep_config(experiment_text(args, name), name);
    } catch (const InvalidArgument& e) {
      throw UsageError(e.what());
    }
  }
  const std::vector<std::string> dynamics = {"dynamics", "DIR"};
  check_stage_table(study.parsed("dynamics"), dynamics, study.name, "[dynamics]",
                    task_overrides(dynamics, study.name));
  const std::vector<std::string> embed = {"embed", "DIR", "--metric", "svcca"};
  check_stage_table(study.parsed("embed"), embed, study.name, "[embed]",
                    task_overrides(embed, study.name));
  // [compare]: its keys apply to every metric of the study, so they are checked with each (with
  // svcca when the study compares by none); a [compare.<metric>] table holds the metric's own keys
  // (compare_key_path), and may override them per task.
  const auto compare = [](const std::string& metric) {
    return std::vector<std::string>{"compare", "DIR", "--metric", metric};
  };
  const toml::table& table = study.parsed("compare");
  std::vector<std::string> metrics;
  for (const auto& [key, node] : table) {
    if (node.is_table() && is_metric_name(std::string(key.str()))) metrics.emplace_back(key.str());
  }
  if (metrics.empty()) metrics.emplace_back("svcca");
  // The activity's options with no metric of the study to take them.
  const toml::node* activity = table.get("activity");
  if (activity != nullptr && activity->is_table() &&
      std::none_of(metrics.begin(), metrics.end(), similarity::uses_activity)) {
    std::vector<std::string> users;
    for (const std::string& m : similarity::compare_metric_names()) {
      if (similarity::uses_activity(m)) users.push_back(m);
    }
    throw UsageError(study.name + ":" + std::to_string(activity->source().begin.line) +
                     ": [compare] activity: the activity's options apply to " + join(users, ", ") +
                     ", and this study compares by " + join(metrics, ", ") +
                     " only; remove them or add a table [compare.<metric>] for one of those");
  }
  bool first = true;  // the metric tables are checked once, in the first round
  for (const std::string& metric : metrics) {
    std::vector<std::string> names = similarity::compare_metric_names();
    if (!similarity::uses_activity(metric)) names.emplace_back("activity");
    const Overrides subtables = {
        names, [&, check_tables = first](const std::string& name, const toml::table& sub,
                                         const std::string& where) {
          if (!check_tables || !is_metric_name(name)) return;
          const KeyPath path_of = metric_key_path(name);
          check_stage_table(sub, compare(name), study.name, where,
                            task_overrides(compare(name), study.name, path_of), {}, path_of);
        }};
    check_stage_table(table, compare(metric), study.name, "[compare]", subtables);
    first = false;
  }
}

/// Appends `flags` to `step`'s command line.
void append(Step& step, std::vector<std::string> flags) {
  for (std::string& f : flags) step.argv.push_back(std::move(f));
}

/// The stages of one task: train the population (over `launcher` when given), its summary, the
/// dynamics, then for each [compare.<metric>] table (in name order; toml++ sorts keys) the
/// distances and their embedding. The population config goes to OUT/configs/ with its seed offset.
std::vector<Step> task_steps(const ReproduceArgs& args,
                             const Study& study,
                             const std::vector<std::string>& launcher,
                             const std::string& task) {
  const fs::path out(args.out);
  const std::string self = self_path();
  const std::string threads = std::to_string(args.n_threads);
  const std::string sweep_name = task + "_" + args.scale + ".toml";
  const fs::path config = out / "configs" / sweep_name;
  write_config(config, offset_sweep_seed(experiment_text(args, sweep_name), sweep_name, args.seed));
  const std::string dir = (out / task).string();
  const std::string& where = study.name;

  std::vector<Step> steps;
  if (launcher.empty()) {
    steps.push_back({task + ": train the population",
                     {self, "sweep", config.string(), "--out", dir, "--n-threads", threads}});
  } else {  // one thread per rank, the sweep's default under MPI
    Step sweep{task + ": train the population over MPI ranks", launcher};
    sweep.argv.insert(sweep.argv.end(), {self, "sweep", config.string(), "--out", dir});
    steps.push_back(std::move(sweep));
  }
  steps.push_back({task + ": summary", {self, "summary", dir}});
  Step dynamics{task + ": fixed points, linearizations, transitions",
                {self, "dynamics", dir, "--n-threads", threads}};
  append(dynamics, stage_flags(study.dynamics, task, where + " [dynamics]"));
  offset_seed_flag(dynamics.argv, AnalysisOptions{}.seed, args.seed);
  steps.push_back(std::move(dynamics));
  // [compare] keys (not metric tables) apply to every metric that uses them; a metric's
  // [compare.<metric>.<task>] overrides for one task.
  for (const auto& [metric_key, metric_node] : study.compare) {
    const toml::table* metric_table = metric_node.as_table();
    const std::string metric(metric_key.str());
    if (metric_table == nullptr || !is_metric_name(metric)) continue;
    Step compare{task + ": " + metric + " distances",
                 {self, "compare", dir, "--metric", metric, "--n-threads", threads}};
    append(compare, table_flags(study.compare, where + " [compare]", not_common_to(metric)));
    append(compare, stage_flags(*metric_table, task, where + " [compare." + metric + "]",
                                metric_key_path(metric)));
    steps.push_back(std::move(compare));
    Step embed{task + ": " + metric + " embedding and cluster statistics",
               {self, "embed", dir, "--metric", metric}};
    append(embed, stage_flags(study.embed, task, where + " [embed]"));
    offset_seed_flag(embed.argv, embedding::EmbedOptions{}.seed, args.seed);
    steps.push_back(std::move(embed));
  }
  return steps;
}

/// The report of the study's tasks, run by the Python that has the rnnatlas package.
Step report_step(const ReproduceArgs& args,
                 const Study& study,
                 const std::vector<std::string>& tasks) {
  const auto [python, python_path] = python_for_report(args.python);
  Step report{"report", {python, "-m", "rnnatlas.report", args.out, "--tasks", join(tasks, ",")}};
  append(report, table_flags(study.report, study.name + " [report]"));
  if (!python_path.empty()) {
    const char* existing = std::getenv("PYTHONPATH");
    report.env.emplace_back("PYTHONPATH", existing != nullptr && *existing
                                              ? python_path + ":" + existing
                                              : python_path);
  }
  return report;
}

/// Runs `steps` in order, each printed with its command line; stops at the first that fails.
int run_steps(const ReproduceArgs& args, std::size_t n_tasks, const std::vector<Step>& steps) {
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  print_note(strprintf("reproduce --scale %s: %zu tasks, %zu stages, into %s", args.scale.c_str(),
                       n_tasks, steps.size(), args.out.c_str()));
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    std::cerr << strprintf("\n== [%zu/%zu %s] %s\n", i + 1, steps.size(),
                           format_duration(elapsed()).c_str(), step.title.c_str())
              << "   $ " << command_line(step.argv) << std::endl;
    const int status = run_step(step);
    if (status != 0) {
      print_error(
          strprintf("stage %zu/%zu (%s) failed with exit status %d; its messages are "
                    "above. Fix the cause and rerun the same command: finished work "
                    "is kept.",
                    i + 1, steps.size(), step.title.c_str(), status));
      return status == kExitUsage ? kExitUsage : kExitFailure;
    }
  }
  std::cout << strprintf("reproduce --scale %s done in %s\n", args.scale.c_str(),
                         format_duration(elapsed()).c_str());
  return kExitOk;
}

int run_reproduce(const ReproduceArgs& args) {
  if (args.out.empty() && !args.check) {
    throw UsageError("--out DIR is required (the directory of the study's results)");
  }
  int n_ranks = 0;
  if (started_by_mpi_launcher(n_ranks)) {
    throw UsageError(
        "reproduce was started by an MPI launcher (mpirun or srun), so every rank would run the "
        "whole study; run it as one process and give the launcher to the stages that spread over "
        "ranks instead: rnnatlas reproduce --launcher 'mpirun -n K' ...");
  }
  const std::vector<std::string> launcher = launcher_words(args.launcher);
  const std::string study_file = "study_" + args.scale + ".toml";
  const Study study = parse_study(experiment_text(args, study_file), study_file);
  const std::vector<std::string> tasks = args.tasks.empty() ? study.tasks : args.tasks;
  // Everything is checked before the first network trains.
  check_study(args, study, tasks);
  if (args.check) {
    std::cout << study.name << " and the configs of " << join(tasks, ", ")
              << ": every key and flag checked, nothing run\n";
    return kExitOk;
  }

  fs::create_directories(fs::path(args.out) / "configs");
  std::vector<Step> steps;
  for (const std::string& task : tasks) {
    std::vector<Step> more = task_steps(args, study, launcher, task);
    steps.insert(steps.end(), std::make_move_iterator(more.begin()),
                 std::make_move_iterator(more.end()));
  }
  if (!args.no_report) steps.push_back(report_step(args, study, tasks));
  const int status = run_steps(args, tasks.size(), steps);
  if (status == kExitOk && !args.no_report) {
    std::cout << "report: " << (fs::path(args.out) / "report" / "index.html").string() << '\n';
  }
  return status;
}

}  // namespace

Command add_reproduce_command(CLI::App& parent) {
  CLI::App* cmd = parent.add_subcommand(
      "reproduce",
      "Run the whole study (train, dynamics, similarity, embedding, report) for each task");
  auto args = std::make_shared<ReproduceArgs>();
  cmd->add_option("-s,--scale", args->scale,
                  "demo (minutes), small (about 30 minutes on 2 cores) or paper (a cluster)")
      ->capture_default_str();
  cmd->add_option("-o,--out", args->out,
                  "output directory (rerun the same command to resume); required unless --check")
      ->type_name("DIR");
  cmd->add_option("--tasks", args->tasks, "only these tasks (default: the study config's)")
      ->delimiter(',')
      ->type_name("TASK,...");
  cmd->add_option("--experiments", args->experiments_dir,
                  "read study_<scale>.toml and <task>_<scale>.toml from DIR instead of the "
                  "compiled-in experiments/")
      ->type_name("DIR");
  add_threads_flag(*cmd, args->n_threads, "threads per stage; 0 = all cores");
  cmd->add_option("--python", args->python,
                  "Python interpreter with numpy, h5py and matplotlib for the report "
                  "(default: $RNNATLAS_PYTHON, else the one rnnatlas was built with)")
      ->type_name("EXE");
  cmd->add_option("--launcher", args->launcher,
                  "run the training of each population under this MPI launcher, e.g. "
                  "'mpirun -n 64' or 'srun' (words split at spaces); the other stages run here")
      ->type_name("CMD");
  cmd->add_flag("--no-report", args->no_report, "stop before the report");
  cmd->add_flag("--check", args->check,
                "check the study config and the population configs (every key of every stage, "
                "with the stage's own parser) and stop; --out is not needed");
  cmd->add_option("--seed", args->seed,
                  "add S to every seed of the study: each population's `seed` (its weights and "
                  "training trials) and the seeds of the dynamics and embedding stages; the "
                  "held-out trials stay the same. Run several S into different --out to see "
                  "which verdicts survive a change of seed (scripts/reproduction_seeds.py)")
      ->type_name("S")
      ->capture_default_str();
  cmd->footer(
      "Stages per task: rnnatlas sweep, summary, dynamics, then compare and embed for each metric\n"
      "of the study config; finally python3 -m rnnatlas.report. Each stage is resumable, so a\n"
      "killed run continues where it stopped. Layout of DIR: docs/pipeline.md.\n"
      "On a cluster, run reproduce once (not under mpirun) with --launcher 'mpirun -n K'.\n"
      "\n"
      "Exit status: 0 done; 1 a stage failed (files, training); 2 invalid flags or configs.");
  return {cmd, [args] { return run_reproduce(*args); }};
}

}  // namespace rnnatlas::cli
