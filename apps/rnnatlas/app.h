// The `rnnatlas` command line as a function, so that the program (main.cc) and the fuzzer of its
// argument layer (fuzz/fuzz_cli.cc) run the same code.
#pragma once

#include <string>
#include <vector>

namespace rnnatlas::cli {

/// What run_cli() does once the arguments are parsed.
enum class CliMode {
  kRun,        ///< run the subcommand: the program
  kParseOnly,  ///< stop after a successful parse with kExitOk; nothing runs, nothing is written
};

/// Runs `rnnatlas` on argv[0, argc) (argv[0] is the program name): parses the arguments, runs the
/// subcommand, and turns every error into one message on stderr and an exit code (cli.h): 0 ok,
/// 1 failure, 2 usage error. Help and --version print to stdout and return 0.
int run_cli(int argc, char** argv, CliMode mode = CliMode::kRun);

/// "" when `args` (a command line without the program name, e.g. {"dynamics", "DIR",
/// "--fixed-points.max-iters", "100"}) parses; otherwise the parser's message. Nothing runs. Lets
/// `reproduce` check every stage's flags before the first stage starts.
std::string parse_problem(const std::vector<std::string>& args);

}  // namespace rnnatlas::cli
