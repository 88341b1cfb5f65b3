// libFuzzer target: the distance file reader, on valid files edited object by object.
// Run it with scripts/fuzz.sh; see targets.h.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rnnatlas::fuzz::distance_file(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
