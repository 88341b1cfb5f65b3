// Text for numbers that people and programs both read. Module maintainer: rnnatlas core.
#pragma once

#include <string>

namespace rnnatlas {

/// The shortest decimal text that parses back to exactly `value`: "0.001", "1e-05", "3", "nan",
/// "-inf". Used wherever rnnatlas writes a number a user may copy (messages, manifests, CLI output).
std::string format_shortest(double value);

}  // namespace rnnatlas
