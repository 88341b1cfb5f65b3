#include "targets.h"

#include <string>
#include <vector>

#include "app.h"
#include "cli.h"
#include "io/network_file_image.h"
#include "rnnatlas/error.h"
#include "rnnatlas/sweep/sweep_spec.h"
#include "train_config.h"

namespace rnnatlas::fuzz {
namespace {

constexpr Outcome kAccepted{true, {}};

Outcome rejected(const std::exception& e) { return Outcome{false, e.what()}; }

}  // namespace

Outcome sweep_config(std::string_view data) {
  try {
    const SweepSpec spec = parse_sweep_config(std::string(data), "sweep.toml");
    // Everything a sweep derives from an accepted config must be computable.
    (void)spec.hash();
    if (spec.n_networks() > 0) (void)spec.network(spec.n_networks() - 1);
  } catch (const InvalidArgument& e) {
    return rejected(e);
  }
  return kAccepted;
}

Outcome train_config(std::string_view data) {
  try {
    (void)cli::parse_train_config(data, "train.toml");
  } catch (const cli::UsageError& e) {
    return rejected(e);
  }
  return kAccepted;
}

Outcome network_file(std::string_view data) {
  const std::vector<unsigned char> image(data.begin(), data.end());
  NetworkRecord record;
  try {
    record = internal::parse_network_file_image(image);
  } catch (const IoError& e) {
    return rejected(e);
  }
  // What was read can be written and read back to the same network. Neither may throw: the
  // record came from a valid file.
  const NetworkRecord again =
      internal::parse_network_file_image(internal::network_file_image(record));
  RNNATLAS_ASSERT(again.network.parameters() == record.network.parameters() &&
                      again.summary.loss_history.size() == record.summary.loss_history.size() &&
                      again.task_params == record.task_params,
                  "a network file read, written and read again changed");
  return kAccepted;
}

Outcome cli_arguments(std::string_view data) {
  // "rnnatlas" then one argument per line; a bounded number of arguments keeps runs fast.
  constexpr std::size_t kMaxArguments = 64;
  std::vector<std::string> arguments{"rnnatlas"};
  std::size_t begin = 0;
  while (begin <= data.size() && arguments.size() <= kMaxArguments) {
    std::size_t end = data.find('\n', begin);
    if (end == std::string_view::npos) end = data.size();
    arguments.emplace_back(data.substr(begin, end - begin));
    begin = end + 1;
  }
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  const int code =
      cli::run_cli(static_cast<int>(arguments.size()), argv.data(), cli::CliMode::kParseOnly);
  RNNATLAS_ASSERT(code == cli::kExitOk || code == cli::kExitUsage,
                  "parsing the command line returned exit code " << code);
  if (code == cli::kExitOk) return kAccepted;
  return Outcome{false, "exit code " + std::to_string(code)};
}

}  // namespace rnnatlas::fuzz
