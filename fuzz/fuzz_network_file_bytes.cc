// libFuzzer target: the bytes of a network file, mutated anywhere (HDF5 parser included).
// Run it with scripts/fuzz.sh; see targets.h.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rnnatlas::fuzz::network_file_bytes(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
