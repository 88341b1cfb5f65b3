// The experiment configs of `rnnatlas reproduce`, compiled in from experiments/*.toml so that the
// program needs no data files at run time.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace rnnatlas::cli {

/// File name (e.g. "flip_flop_demo.toml") -> the file's text, for every experiments/*.toml of the
/// source tree this program was built from.
const std::map<std::string, std::string_view>& builtin_experiments();

}  // namespace rnnatlas::cli
