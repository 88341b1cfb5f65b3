#include "train_config.h"

#include <toml++/toml.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <variant>

#include "cli.h"
#include "rnnatlas/error.h"
#include "rnnatlas/types.h"

namespace rnnatlas::cli {

/// The settings before validation, one field per flag / TOML key. Defaults are the library's.
struct TrainValues {
  std::string task = "flip_flop";
  TaskParams task_params;
  std::string cell{to_string(Architecture{}.cell)};
  std::string activation{to_string(Architecture{}.activation)};
  int n_hidden = Architecture{}.n_hidden;
  std::uint64_t init_seed = 0;
  TrainOptions options;
  std::string out;
};

namespace {

/// Where a value came from, as the user wrote it: "--n-hidden = 0", "--task-param n_time=0" or
/// "run.toml:6: [model] n_hidden = 0". Keyed by setting id ("model.n_hidden", "task.n_time").
using Origins = std::map<std::string, std::string>;

using Target = std::variant<int*, double*, std::uint64_t*, bool*, std::string*>;

/// One setting: a TOML key in a table and the flag that overrides it.
struct Setting {
  std::string table;  // TOML table: "task", "model", "training", or "" for the top level
  std::string key;    // TOML key: the library's field name
  std::string flags;  // CLI11 option names
  std::string group;  // section of --help
  std::string help;
  Target target;
  std::string deprecated{};  // an old spelling of the flag, accepted with a warning; or ""

  std::string id() const { return table.empty() ? key : table + "." + key; }
};

template <typename Enum, std::size_t N>
std::string enum_names(const Enum (&values)[N]) {
  std::vector<std::string> names;
  for (Enum v : values) names.emplace_back(to_string(v));
  return join(names, ", ");
}

/// Every setting but the task parameters, bound to the fields of `v`. Calling this on two
/// TrainValues gives two tables whose entries correspond one to one.
std::vector<Setting> settings_table(TrainValues& v) {
  static constexpr CellKind kCells[] = {CellKind::kVanilla, CellKind::kUgrnn, CellKind::kGru,
                                        CellKind::kLstm};
  static constexpr Activation kActivations[] = {Activation::kTanh, Activation::kRelu,
                                                Activation::kSoftplus, Activation::kLinear};
  std::vector<Setting> table = {
      {"task", "name", "--task", "Task", "task: " + join(task_names(), ", "), &v.task},
      {"model", "cell", "--cell,--architecture", "Model", "recurrent cell: " + enum_names(kCells),
       &v.cell},
      {"model", "activation", "--activation", "Model", "nonlinearity: " + enum_names(kActivations),
       &v.activation},
      {"model", "n_hidden", "--n-hidden", "Model", "hidden units, >= 1", &v.n_hidden},
      {"model", "seed", "--seed", "Model", "seed of the weight initialisation", &v.init_seed},
      {"", "out", "-o,--out", "Output",
       "network file to write (HDF5, e.g. run.h5); its directory must exist", &v.out},
  };
  // [training]: the settable fields of TrainOptions::schema(), each flag the key in kebab-case but
  // --train-seed, since --seed is the weights' seed ([model] seed).
  for (const OptionField<TrainOptions>& f : TrainOptions::schema().fields) {
    if (!f.is(kSettable)) continue;
    const std::string key(f.name);
    const std::string rule = f.rule.text();
    Setting s{"training",
              key,
              key == "seed" ? "--train-seed" : flag_of(key),
              "Training",
              std::string(f.help) + (rule.empty() ? "" : ", " + rule),
              f.visit(v.options, [](auto& value) { return Target(&value); })};
    if (key == "n_iterations") s.deprecated = "--iterations";
    if (key == "gradient_clip_norm") s.deprecated = "--clip";
    table.push_back(std::move(s));
  }
  return table;
}

/// A usage error about setting `id`, prefixed by where its value came from if the user set it.
UsageError error_about(const Origins& origins, const std::string& id, const std::string& message) {
  const auto it = origins.find(id);
  return UsageError(it == origins.end() ? message : it->second + ": " + message);
}

// ---- TOML ------------------------------------------------------------------------------------

std::string toml_text(const toml::node& node) {
  std::ostringstream ss;
  ss << toml::node_view<const toml::node>(node);
  return ss.str();
}

std::string toml_type(const toml::node& node) {
  std::ostringstream ss;
  ss << node.type();
  return ss.str();
}

/// "run.toml:6" for the line of `region`.
std::string at(const std::string& path, const toml::source_region& region) {
  return path + ":" + std::to_string(region.begin.line);
}

/// Stores `node` in `target`, or returns what is wrong with its type or range.
std::optional<std::string> assign(const toml::node& node, const Target& target) {
  const std::string got = "got " + toml_type(node) + " " + toml_text(node);
  if (auto* p = std::get_if<std::string*>(&target)) {
    if (!node.is_string()) return "expected a string, " + got;
    **p = node.as_string()->get();
    return std::nullopt;
  }
  if (auto* p = std::get_if<bool*>(&target)) {
    if (!node.is_boolean()) return "expected true or false, " + got;
    **p = node.as_boolean()->get();
    return std::nullopt;
  }
  if (auto* p = std::get_if<double*>(&target)) {
    if (node.is_integer()) {
      **p = static_cast<double>(node.as_integer()->get());
    } else if (node.is_floating_point()) {
      **p = node.as_floating_point()->get();
    } else {
      return "expected a number, " + got;
    }
    return std::nullopt;
  }
  if (!node.is_integer()) return "expected an integer, " + got;
  const std::int64_t value = node.as_integer()->get();
  if (auto* p = std::get_if<int*>(&target)) {
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      return "integer out of range, " + got;
    }
    **p = static_cast<int>(value);
  } else {
    if (value < 0) return "expected a non-negative integer, " + got;
    *std::get<std::uint64_t*>(target) = static_cast<std::uint64_t>(value);
  }
  return std::nullopt;
}

/// Reads config `text` (from file `path`) into `values`, recording where each value came from.
void read_config_text(std::string_view text,
                      const std::string& path,
                      std::vector<Setting>& table,
                      TrainValues& values,
                      Origins& origins) {
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw UsageError(strprintf("%s:%u:%u: %s", path.c_str(), e.source().begin.line,
                               e.source().begin.column, std::string(e.description()).c_str()));
  }
  auto allowed = [&](const std::string& table_name) {
    std::vector<std::string> keys;
    for (const Setting& s : table) {
      if (s.table == table_name) keys.push_back(s.key);
    }
    if (table_name.empty()) keys.insert(keys.end(), {"[task]", "[model]", "[training]"});
    return join(keys, ", ");
  };
  // One entry: a key with its node in table `table_name` ("" = top level).
  auto read_entry = [&](const std::string& table_name, const toml::key& key,
                        const toml::node& node) {
    const std::string name = std::string(key.str());
    const std::string label = table_name.empty() ? name : "[" + table_name + "] " + name;
    const std::string where = at(path, key.source()) + ": " + label;
    if (table_name == "task" && name != "name") {  // a task parameter, checked by make_task
      double value = 0;
      if (node.is_boolean()) {
        value = node.as_boolean()->get() ? 1.0 : 0.0;
      } else if (std::optional<std::string> error = assign(node, Target(&value))) {
        throw UsageError(where + ": " + *error);
      }
      values.task_params[name] = value;
      origins["task." + name] = where + " = " + toml_text(node);
      return;
    }
    for (Setting& s : table) {
      if (s.table != table_name || s.key != name) continue;
      if (std::optional<std::string> error = assign(node, s.target)) {
        throw UsageError(where + ": " + *error);
      }
      origins[s.id()] = where + " = " + toml_text(node);
      return;
    }
    throw UsageError(strprintf("%s: unknown key `%s`%s; allowed: %s",
                               at(path, key.source()).c_str(), name.c_str(),
                               table_name.empty() ? "" : (" in [" + table_name + "]").c_str(),
                               allowed(table_name).c_str()));
  };

  for (auto&& [key, node] : doc) {
    const std::string name = std::string(key.str());
    if (name == "task" || name == "model" || name == "training") {
      const toml::table* sub = node.as_table();
      if (sub == nullptr) {
        throw UsageError(strprintf("%s: `%s` must be a table ([%s]), got %s",
                                   at(path, key.source()).c_str(), name.c_str(), name.c_str(),
                                   toml_type(node).c_str()));
      }
      for (auto&& [sub_key, sub_node] : *sub) read_entry(name, sub_key, sub_node);
    } else {
      read_entry("", key, node);
    }
  }
}

/// Reads the config file at `path` into `values`, recording where each value came from.
void read_config(const std::string& path,
                 std::vector<Setting>& table,
                 TrainValues& values,
                 Origins& origins) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw UsageError("--config " + path + ": no such file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("--config " + path + ": cannot open: " + std::strerror(errno));
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw IoError("--config " + path + ": cannot read: " + std::strerror(errno));
  read_config_text(text, path, table, values, origins);
}

// ---- Flags -----------------------------------------------------------------------------------

/// Parses "--task-param KEY=VALUE" (VALUE a number, or true/false).
std::pair<std::string, double> parse_task_param(const std::string& text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw UsageError("--task-param " + text + ": expected KEY=VALUE, e.g. n_time=50");
  }
  const std::string key = text.substr(0, eq);
  const std::string value_text = text.substr(eq + 1);
  if (value_text == "true") return {key, 1.0};
  if (value_text == "false") return {key, 0.0};
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(value_text.c_str(), &end);
  if (end != value_text.c_str() + value_text.size() || errno == ERANGE) {
    throw UsageError("--task-param " + text + ": `" + value_text +
                     "` is not a number (nor true/false)");
  }
  return {key, value};
}

/// Copies the value of `from` (a flag) into `to` (the merged settings); same alternative.
void copy_value(const Target& from, const Target& to) {
  std::visit(
      [&](auto* destination) {
        using T = std::remove_pointer_t<decltype(destination)>;
        *destination = *std::get<T*>(from);
      },
      to);
}

// ---- Validation ------------------------------------------------------------------------------

std::vector<std::string> keys_of(const TaskParams& params) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : params) keys.push_back(key);
  return keys;
}

/// Builds the task, the architecture and the options through the library, turning its
/// InvalidArgument into a UsageError that says which flag or config key to fix.
TrainPlan build_plan(const TrainValues& v, const Origins& origins) {
  TrainPlan plan;
  // The task: its name, then its parameter names (the defaults list them), then their values.
  std::unique_ptr<Task> defaults;
  try {
    defaults = make_task(v.task);
  } catch (const InvalidArgument& e) {
    throw error_about(origins, "task.name", e.what());
  }
  const TaskParams known = defaults->params();
  for (const auto& [key, value] : v.task_params) {
    if (known.count(key) == 0) {
      throw error_about(origins, "task." + key,
                        strprintf("task %s has no parameter `%s`; its parameters are %s",
                                  std::string(defaults->name()).c_str(), key.c_str(),
                                  join(keys_of(known), ", ").c_str()));
    }
  }
  try {
    plan.task = make_task(v.task, v.task_params);
  } catch (const InvalidArgument& e) {
    if (e.field().empty())
      throw UsageError("task " + std::string(defaults->name()) + ": " + e.what());
    throw error_about(origins, "task." + e.field(), e.what());
  }

  Architecture& a = plan.architecture;
  try {
    a.cell = parse_cell_kind(v.cell);
  } catch (const InvalidArgument& e) {
    throw error_about(origins, "model.cell", e.what());
  }
  try {
    a.activation = parse_activation(v.activation);
  } catch (const InvalidArgument& e) {
    throw error_about(origins, "model.activation", e.what());
  }
  a.n_hidden = v.n_hidden;
  a.n_input = plan.task->n_input();
  a.n_output = plan.task->n_output();
  try {
    a.validate();
  } catch (const InvalidArgument& e) {
    throw error_about(origins, "model." + e.field(), e.what());
  }
  plan.init_seed = v.init_seed;

  plan.options = v.options;
  // The training trials follow the weights' seed unless [training] seed / --train-seed is given.
  if (origins.count("training.seed") == 0) plan.options.seed = v.init_seed;
  try {
    plan.options.validate();
  } catch (const InvalidArgument& e) {
    throw error_about(origins, "training." + e.field(), e.what());
  }

  if (v.out.empty()) {
    throw UsageError("no output file: give --out FILE, or out = \"FILE\" in the config file");
  }
  plan.out = v.out;
  return plan;
}

}  // namespace

TrainSettings::TrainSettings(CLI::App& cmd) : flag_values_(std::make_unique<TrainValues>()) {
  cmd.add_option("--config", config_path_, "TOML file of settings (see below); flags override it")
      ->type_name("FILE");
  for (const Setting& s : settings_table(*flag_values_)) {
    CLI::Option* option = std::visit(
        [&](auto* target) { return cmd.add_option(s.flags, *target, s.help); }, s.target);
    option->group(s.group);
    option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // a repeated flag: last wins
    if (std::holds_alternative<std::string*>(s.target)) {
      option->type_name(s.key == "out" ? "FILE" : "NAME");
    }
    if (std::holds_alternative<std::uint64_t*>(s.target)) {
      option->check(CLI::Validator(seed_error, ""));
    }
    if (s.id() == "training.seed") {
      option->default_str("same as --seed");
    } else if (s.id() != "out") {
      option->capture_default_str();
    }
    options_.push_back(option);
    CLI::Option* alias = nullptr;
    if (!s.deprecated.empty()) {
      alias =
          std::visit([&](auto* target) { return cmd.add_option(s.deprecated, *target); }, s.target);
      deprecated_alias(alias, option->get_name())
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    aliases_.push_back(alias);
    if (s.id() == "task.name") {
      cmd.add_option("--task-param", task_param_flags_,
                     "task parameter (repeatable), e.g. --task-param n_time=50; see below")
          ->group("Task")
          ->type_name("KEY=VALUE");
    }
  }
  cmd.add_flag("-q,--quiet", quiet_, "no progress output")->group("Output");
  cmd.add_option("--checkpoint-every", checkpoint_every_,
                 "iterations between checkpoints (OUT.checkpoint; also written on SIGINT and "
                 "SIGTERM), >= 0; 0 = only on those signals")
      ->group("Output")
      ->check(at_least(0))
      ->capture_default_str();
  cmd.add_flag("--resume", resume_,
               "continue the run saved in OUT.checkpoint (bit-identical to an uninterrupted run); "
               "starts afresh when there is none")
      ->group("Output");
}

TrainSettings::~TrainSettings() = default;

TrainPlan parse_train_config(std::string_view text, const std::string& source_name) {
  TrainValues values;  // the library's defaults
  std::vector<Setting> table = settings_table(values);
  Origins origins;
  read_config_text(text, source_name, table, values, origins);
  return build_plan(values, origins);
}

TrainPlan TrainSettings::resolve() const {
  TrainValues values;  // the library's defaults
  std::vector<Setting> table = settings_table(values);
  Origins origins;
  if (!config_path_.empty()) read_config(config_path_, table, values, origins);

  const std::vector<Setting> flags = settings_table(*flag_values_);
  for (std::size_t i = 0; i < flags.size(); ++i) {
    const CLI::Option* option = options_[i];
    // Both spellings set the same value, the old one last (CLI11 calls options in the order they
    // were added), so a used old spelling is where the value came from.
    std::string name = option->get_name();
    if (aliases_[i] != nullptr && aliases_[i]->count() > 0) {
      option = aliases_[i];
      name = flags[i].deprecated;
    }
    if (option->count() == 0) continue;
    copy_value(flags[i].target, table[i].target);
    origins[table[i].id()] = name + " = " + option->results().back();
  }
  for (const std::string& text : task_param_flags_) {
    const auto [key, value] = parse_task_param(text);
    values.task_params[key] = value;
    origins["task." + key] = "--task-param " + text;
  }

  TrainPlan plan = build_plan(values, origins);
  plan.quiet = quiet_;
  plan.resume = resume_;
  plan.options.checkpoint_every = checkpoint_every_;
  return plan;
}

}  // namespace rnnatlas::cli
