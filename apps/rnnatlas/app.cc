// The `rnnatlas` command line: the subcommands, the parse, and errors turned into exit codes.
// See cli.h for the conventions (exit codes, where output goes).

#include "app.h"

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "rnnatlas/config.h"
#include "rnnatlas/error.h"
#include "rnnatlas/io/network_file.h"

namespace rnnatlas::cli {

namespace {

/// The program's parser with every subcommand registered.
struct Cli {
  std::unique_ptr<CLI::App> app;
  std::vector<Command> commands;
};

Cli make_cli() {
  Cli cli;
  cli.app = std::make_unique<CLI::App>(
      "rnnatlas " RNNATLAS_VERSION
      ": train recurrent networks on neuroscience tasks and inspect the saved networks.",
      "rnnatlas");
  CLI::App& app = *cli.app;
  app.set_version_flag("--version", "rnnatlas " RNNATLAS_VERSION " (network file format " +
                                        std::to_string(rnnatlas::kNetworkFileFormatVersion) + ")");
  app.require_subcommand(1);
  app.footer("Run `rnnatlas COMMAND --help` for the options of a command.");
  app.get_formatter()->column_width(34);
  cli.commands = {add_train_command(app),    add_eval_command(app),    add_info_command(app),
                  add_sweep_command(app),    add_summary_command(app), add_reproduce_command(app),
                  add_dynamics_command(app), add_compare_command(app), add_embed_command(app)};
  return cli;
}

}  // namespace

std::string parse_problem(const std::vector<std::string>& args) {
  Cli cli = make_cli();
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them reversed
  try {
    cli.app->parse(reversed);
  } catch (const CLI::ParseError& e) {
    return e.what();
  } catch (const std::exception& e) {  // a flag's own check (UsageError)
    return e.what();
  }
  return "";
}

int run_cli(int argc, char** argv, CliMode mode) {
  Cli cli;
  try {
    cli = make_cli();
  } catch (const std::exception& e) {  // building the help texts asks the library for task names
    print_error(std::string("internal: ") + e.what());
    return kExitFailure;
  }
  CLI::App& app = *cli.app;
  const std::vector<Command>& commands = cli.commands;

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::string command = "rnnatlas";
    for (const Command& c : commands) {
      if (c.app->parsed()) command += " " + c.app->get_name();
    }
    print_error(std::string(e.what()) + "\nRun `" + command + " --help` for usage.");
    return kExitUsage;
  }
  if (mode == CliMode::kParseOnly) return kExitOk;

  try {
    for (const Command& c : commands) {
      if (c.app->parsed()) return c.run();
    }
    return kExitUsage;  // unreachable: require_subcommand(1)
  } catch (...) {
    return exit_code_of(std::current_exception(), /*print=*/true);
  }
}

}  // namespace rnnatlas::cli
