// Python classes of options structs made from their schemas (rnnatlas/schema.h): one attribute
// per field, one per nested struct, validate(), and a static schema() listing every field of the
// tree.
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <tuple>
#include <type_traits>
#include <variant>

#include "rnnatlas/schema.h"

namespace rnnatlas::python {

namespace py = pybind11;

/// Every field of Options and of the structs it nests, as dicts: name (the path,
/// "fixed_points.max_iters"), type ("int", "float", "bool"), default, rule, help, stored, settable.
template <typename Options>
py::list schema_list() {
  py::list out;
  const Options defaults;
  for_each_field(defaults, [&](const std::string& path, const auto& field, const auto& value) {
    using T = std::decay_t<decltype(value)>;
    py::dict d;
    d["name"] = path;
    d["type"] = std::is_same_v<T, double> ? "float" : std::is_same_v<T, bool> ? "bool" : "int";
    d["default"] = value;
    d["rule"] = field.rule.text();
    d["help"] = std::string(field.help);
    d["stored"] = field.is(kStored);
    d["settable"] = field.is(kSettable);
    out.append(std::move(d));
  });
  return out;
}

/// Adds to `cls` a read-write attribute per field of Options::schema() (its help as the
/// docstring), one per nested struct, validate() and schema(). `keep(field)` selects the fields.
template <typename Options, typename Keep>
py::class_<Options>& def_schema(py::class_<Options>& cls, Keep&& keep) {
  for (const OptionField<Options>& f : Options::schema().fields) {
    if (!keep(f)) continue;
    // The names and help are string literals: null-terminated and never freed.
    std::visit([&](auto member) { cls.def_readwrite(f.name.data(), member, f.help.data()); },
               f.member);
  }
  if constexpr (HasNestedOptions<Options>) {
    std::apply(
        [&](const auto&... nest) { (cls.def_readwrite(nest.name.data(), nest.member), ...); },
        Options::nested());
  }
  cls.def("validate", &Options::validate,
          "Raises ValueError naming the first field that breaks its rule by its path.");
  cls.def_static("schema", &schema_list<Options>,
                 "Every field, nested ones by their path: name, type, default, rule, help, and "
                 "whether it is stored with a result and settable in a config or flag.");
  return cls;
}

template <typename Options>
py::class_<Options>& def_schema(py::class_<Options>& cls) {
  return def_schema(cls, [](const OptionField<Options>&) { return true; });
}

}  // namespace rnnatlas::python
