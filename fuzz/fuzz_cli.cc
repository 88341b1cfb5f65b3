// libFuzzer target: the command line of `rnnatlas` (run_cli, parse only; one argument a line).
// Run it with scripts/fuzz.sh; see targets.h.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rnnatlas::fuzz::cli_arguments(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
