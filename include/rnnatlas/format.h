// Text that people and programs both read: numbers, lists.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rnnatlas {

/// The shortest decimal text that parses back to exactly `value`: "0.001", "1e-05", "3", "nan",
/// "-inf". Used wherever rnnatlas writes a number a user may copy (messages, manifests, CLI
/// output).
std::string format_shortest(double value);

/// The items with `separator` between them: join({"a", "b"}, ", ") == "a, b".
std::string join(const std::vector<std::string>& items, std::string_view separator);

}  // namespace rnnatlas
