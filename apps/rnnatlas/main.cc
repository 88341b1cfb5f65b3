// rnnatlas: train recurrent networks and inspect their network files.
// See cli.h for the conventions (exit codes, where output goes).

#include "app.h"

int main(int argc, char** argv) { return rnnatlas::cli::run_cli(argc, argv); }
