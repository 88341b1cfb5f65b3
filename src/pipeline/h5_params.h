// Reading and writing Params (distance_file.h) as the attributes of one HDF5 group (internal).
#pragma once

#include <string>
#include <variant>

#include "io/h5.h"
#include "rnnatlas/error.h"
#include "rnnatlas/pipeline/distance_file.h"

namespace rnnatlas::similarity::internal {

/// One attribute per parameter, typed as its alternative (bool as uint8).
inline void write_params(const h5::Node& node, const Params& params) {
  for (const auto& entry : params) {
    const std::string& name = entry.first;  // no structured binding: clang < 16 cannot capture one
    std::visit([&](const auto& v) { h5::write_attribute(node, name, v); }, entry.second);
  }
}

/// An attribute read back into the alternative it was written from: a string, a float, a 1-byte
/// unsigned integer (a flag), another unsigned integer (a seed) or a signed integer.
inline ParamValue read_param(const h5::Node& node, const std::string& name) {
  const std::string label = h5::attribute_label(node, name);
  H5T_class_t type_class = H5T_NO_CLASS;
  H5T_sign_t sign = H5T_SGN_ERROR;
  std::size_t size = 0;
  {
    const h5::Handle attribute(
        h5::check(H5Aopen(node.id(), name.c_str(), H5P_DEFAULT), "cannot open " + label), H5Aclose);
    const h5::Handle type(h5::check(H5Aget_type(attribute.get()), "cannot read " + label),
                          H5Tclose);
    type_class = H5Tget_class(type.get());
    if (type_class == H5T_INTEGER) {
      sign = H5Tget_sign(type.get());
      size = H5Tget_size(type.get());
    }
  }
  switch (type_class) {
    case H5T_STRING:
      return h5::read_string(node, name);
    case H5T_FLOAT:
      return h5::read_double(node, name);
    case H5T_INTEGER:
      if (sign == H5T_SGN_NONE) {
        if (size == 1) return h5::read_bool(node, name);
        return h5::read_uint64(node, name);
      }
      return h5::read_int64(node, name);
    default:
      throw IoError(label + " must be a number or a string");
  }
}

/// Every attribute of `node`.
inline Params read_params(const h5::Node& node) {
  Params params;
  for (const std::string& name : h5::attribute_names(node)) params[name] = read_param(node, name);
  return params;
}

}  // namespace rnnatlas::similarity::internal
