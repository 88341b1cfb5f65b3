// `rnnatlas info`: describe a network file, as text or as JSON.

#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>
#include <memory>
#include <type_traits>
#include <utility>

#include "cli.h"
#include "rnnatlas/config.h"
#include "rnnatlas/io/network_file.h"

namespace rnnatlas::cli {
namespace {

struct InfoArgs {
  std::string file;
  bool json = false;
};

// ---- A small JSON writer: values are rendered to text, objects keep their key order. ----------

using Members = std::vector<std::pair<std::string, std::string>>;  // key, rendered JSON value

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += strprintf("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

/// JSON has no NaN or infinity: they become null.
std::string json_number(double value) {
  return std::isfinite(value) ? format_shortest(value) : "null";
}

/// `items` (rendered JSON values) between `open` and `close`, one per line, indented by two.
std::string json_block(const std::vector<std::string>& items, char open, char close) {
  if (items.empty()) return {open, close};
  std::string out(1, open);
  out += '\n';
  for (std::size_t i = 0; i < items.size(); ++i) {
    // Nested objects were rendered at indent 0: shift their inner lines too.
    std::string item = "  " + items[i];
    for (std::size_t pos = item.find('\n'); pos != std::string::npos;
         pos = item.find('\n', pos + 1)) {
      item.insert(pos + 1, "  ");
    }
    out += item + (i + 1 < items.size() ? ",\n" : "\n");
  }
  return out + close;
}

std::string json_object(const Members& members) {
  std::vector<std::string> items;
  for (const auto& [key, value] : members) items.push_back(json_string(key) + ": " + value);
  return json_block(items, '{', '}');
}

std::string json_array(const std::vector<std::string>& items) {
  return json_block(items, '[', ']');
}

// ---- What info shows, shared by the text and JSON forms --------------------------------------

/// Every stored training option (TrainOptions::schema()) as (field name, value as a JSON/TOML
/// number).
Members training_fields(const TrainOptions& o) {
  Members members;
  for (const OptionField<TrainOptions>& f : TrainOptions::schema().fields) {
    if (!f.is(kStored)) continue;
    f.visit(o, [&](const auto& value) {
      if constexpr (std::is_same_v<std::decay_t<decltype(value)>, double>) {
        members.emplace_back(f.name, json_number(value));
      } else {
        members.emplace_back(f.name, std::to_string(value));
      }
    });
  }
  return members;
}

std::string shape_of(const ParameterInfo& p) {
  return p.is_bias ? strprintf("[%d]", p.rows) : strprintf("[%d, %d]", p.rows, p.cols);
}

double final_loss(const TrainSummary& s) {
  return s.loss_history.empty() ? NAN : s.loss_history.back();
}

std::string info_json(const std::string& file, const NetworkRecord& r) {
  const Architecture& a = r.network.architecture();
  const bool trained = r.summary.termination != Termination::kNotRun;
  const Members architecture = {
      {"cell", json_string(to_string(a.cell))},
      {"activation", json_string(to_string(a.activation))},
      {"n_input", std::to_string(a.n_input)},
      {"n_hidden", std::to_string(a.n_hidden)},
      {"n_output", std::to_string(a.n_output)},
      {"n_state", std::to_string(a.n_state())},
  };
  std::vector<std::string> parameters;
  for (const ParameterInfo& p : r.network.parameter_table()) {
    parameters.push_back("{\"name\": " + json_string(p.name) + ", \"shape\": " + shape_of(p) + "}");
  }
  Members task_params;
  for (const auto& [key, value] : r.task_params) task_params.emplace_back(key, json_number(value));
  const TrainSummary& s = r.summary;
  const Members outcome = {
      {"termination", json_string(to_string(s.termination))},
      {"message", json_string(s.message)},
      {"n_iterations_done", std::to_string(s.n_iterations_done)},
      {"final_loss", json_number(final_loss(s))},
      {"seconds", json_number(s.seconds)},
  };
  const Members eval = {
      {"mse", json_number(s.eval.mse)},
      {"normalized_mse", json_number(s.eval.normalized_mse)},
      {"sign_accuracy", json_number(s.eval.sign_accuracy)},
      {"n_trials", std::to_string(s.eval.n_trials)},
  };
  const Members root = {
      {"file", json_string(file)},
      {"library_version", json_string(r.library_version)},
      {"format_version", std::to_string(kNetworkFileFormatVersion)},
      {"architecture", json_object(architecture)},
      {"n_params", std::to_string(r.network.n_params())},
      {"parameters", json_array(parameters)},
      {"init_seed", std::to_string(r.init_seed)},
      {"task",
       json_object({{"name", json_string(r.task_name)}, {"params", json_object(task_params)}})},
      {"training", trained ? json_object(training_fields(r.train_options)) : "null"},
      {"outcome", json_object(outcome)},
      {"eval", json_object(eval)},
  };
  return json_object(root);
}

std::string info_text(const std::string& file, const NetworkRecord& r) {
  const Architecture& a = r.network.architecture();
  std::string out;
  auto line = [&out](std::string_view label, const std::string& value) {
    out += value.empty() ? std::string(label) + "\n"
                         : strprintf("%-22.*s%s\n", static_cast<int>(label.size()), label.data(),
                                     value.c_str());
  };
  line("file", file);
  line("written by", "rnnatlas " + (r.library_version.empty() ? "?" : r.library_version) +
                         strprintf(", network file format %d", kNetworkFileFormatVersion));
  line("architecture", strprintf("%s, %s: n_input %d, n_hidden %d, n_output %d (n_state %d)",
                                 std::string(to_string(a.cell)).c_str(),
                                 std::string(to_string(a.activation)).c_str(), a.n_input,
                                 a.n_hidden, a.n_output, a.n_state()));
  line("init seed", std::to_string(r.init_seed));
  line("parameters",
       strprintf("%d in %zu tensors", r.network.n_params(), r.network.parameter_table().size()));
  for (const ParameterInfo& p : r.network.parameter_table()) line("  " + p.name, shape_of(p));
  line("task", r.task_name.empty() ? "(none: never trained)" : r.task_name);
  for (const auto& [key, value] : r.task_params) line("  " + key, format_shortest(value));
  const TrainSummary& s = r.summary;
  if (s.termination == Termination::kNotRun) {
    line("training", "none: the network was never trained");
    line("this program", "rnnatlas " RNNATLAS_VERSION);
    return out;
  }
  line("training", "");
  for (const auto& [key, value] : training_fields(r.train_options)) line("  " + key, value);
  line("outcome", std::string(to_string(s.termination)));
  line("message", s.message);
  line("iterations done",
       strprintf("%d of %d in %s", s.n_iterations_done, r.train_options.n_iterations,
                 format_duration(s.seconds).c_str()));
  line("final loss", strprintf("%.6e", final_loss(s)));
  line("held-out", strprintf("%d trials, eval seed %llu: ", s.eval.n_trials,
                             static_cast<unsigned long long>(r.train_options.eval_seed)) +
                       format_metrics(s.eval.mse, s.eval.normalized_mse, s.eval.sign_accuracy));
  line("this program", "rnnatlas " RNNATLAS_VERSION);
  return out;
}

int run_info(const InfoArgs& args) {
  const NetworkRecord record = load_network_file(args.file);
  std::cout << (args.json ? info_json(args.file, record) + "\n" : info_text(args.file, record));
  return kExitOk;
}

}  // namespace

Command add_info_command(CLI::App& parent) {
  CLI::App* cmd =
      parent.add_subcommand("info", "Describe a network file: model, task, training, results");
  auto args = std::make_shared<InfoArgs>();
  cmd->add_option("file", args->file, "network file written by `rnnatlas train`")
      ->required()
      ->type_name("FILE");
  cmd->add_flag("--json", args->json, "print the same as a JSON object");
  cmd->footer("Exit status: 0 ok; 1 the file is missing, unreadable or not a network file.");
  return {cmd, [args] { return run_info(*args); }};
}

}  // namespace rnnatlas::cli
