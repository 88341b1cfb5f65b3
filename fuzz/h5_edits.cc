#include "h5_edits.h"

#include <hdf5.h>

#include <functional>
#include <limits>

#include "io/h5.h"
#include "pipeline/h5_params.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"

namespace rnnatlas::fuzz {
namespace {

const std::vector<std::int64_t> kInts = {0,
                                         -1,
                                         1,
                                         2,
                                         3,
                                         16384,
                                         16385,
                                         1 << 20,
                                         (1 << 20) + 1,
                                         INT32_MAX,
                                         static_cast<std::int64_t>(INT32_MAX) + 1,
                                         INT64_MIN};
const std::vector<double> kDoubles = {0.0,
                                      -0.0,
                                      0.5,
                                      -1.0,
                                      1e300,
                                      -1e300,
                                      1e-320,
                                      3.0,
                                      2.5e9,
                                      std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity()};
const std::vector<std::string> kStrings = {"",
                                           "vanilla",
                                           "ugrnn",
                                           "gru",
                                           "lstm",
                                           "tanh",
                                           "relu",
                                           "flip_flop",
                                           "sine_wave",
                                           "context_integration",
                                           "completed",
                                           "diverged",
                                           "not_run",
                                           "cell",
                                           "cka",
                                           "rnnatlas.network",
                                           "rnnatlas.dynamics",
                                           "rnnatlas.distances",
                                           "rnnatlas.embedding",
                                           std::string(300, 'x'),
                                           std::string("nul\0inside", 10)};

/// Calls f(group) for `node` and every group below it, parents first, children in name order.
void for_each_group(const h5::Node& node, const std::function<void(const h5::Node&)>& f) {
  f(node);
  for (const std::string& name : h5::child_names(node)) {
    const hid_t id = H5Gopen2(node.id(), name.c_str(), H5P_DEFAULT);
    if (id < 0) continue;  // a dataset
    for_each_group(h5::Node{h5::Handle(id, H5Gclose), node.child(name)}, f);
  }
}

h5::Node open_root(hid_t file) {
  return h5::Node{
      h5::Handle(h5::check(H5Gopen2(file, "/", H5P_DEFAULT), "cannot open /"), H5Gclose), "/"};
}

/// An entry of the file: attribute `name` of `group`, or link `name` in `group`.
struct Entry {
  std::string group;
  std::string name;
  bool is_attribute = false;
};

std::vector<Entry> entries(hid_t file) {
  std::vector<Entry> found;
  for_each_group(open_root(file), [&](const h5::Node& group) {
    for (const std::string& name : h5::attribute_names(group)) {
      found.push_back({group.path, name, true});
    }
    for (const std::string& name : h5::child_names(group))
      found.push_back({group.path, name, false});
  });
  return found;
}

/// Replaces (or adds) attribute or link `name` of `node` by a value drawn from the input.
void write_value(const h5::Node& node, const std::string& name, Bytes& in) {
  switch (in.next() % 8) {
    case 0:
      h5::write_attribute(node, name, in.pick(kInts));
      break;
    case 1:
      h5::write_attribute(node, name, in.pick(kDoubles));
      break;
    case 2:
      h5::write_attribute(node, name, in.pick(kStrings));
      break;
    case 3:
      h5::write_attribute(node, name, in.text(40));
      break;
    case 4:
      h5::write_attribute(node, name, std::numeric_limits<std::uint64_t>::max());
      break;
    case 5:
      h5::write_attribute(node, name, in.next() % 2 == 1);
      break;
    case 6: {  // a dataset of 0 to 3 strings
      std::vector<std::string> strings(in.next() % 4);
      for (std::string& s : strings) s = in.pick(kStrings);
      h5::write_strings(node, name, strings);
      break;
    }
    default: {  // a dataset: rank 0 to 3, small dims, values of any range, one of three types
      std::vector<hsize_t> dims(in.next() % 4);
      std::size_t size = 1;
      for (hsize_t& d : dims) size *= (d = in.next() % 5);
      std::vector<double> values(size);
      for (double& v : values) v = in.pick(kDoubles);
      switch (in.next() % 3) {
        case 0:
          h5::write_dataset(node, name, dims, values.data());
          break;
        case 1: {
          std::vector<std::int64_t> ints(size);
          for (std::int64_t& v : ints) v = in.pick(kInts);
          h5::write_dataset(node, name, dims, ints.data());
          break;
        }
        default: {
          std::vector<std::uint8_t> bytes(size, 1);
          h5::write_dataset(node, name, dims, bytes.data());
        }
      }
    }
  }
}

/// One edit of the file, chosen by the input.
void edit(hid_t file, Bytes& in) {
  const std::vector<Entry> all = entries(file);
  if (all.empty()) return;
  const Entry& entry = all[in.next() % all.size()];
  const hid_t group = H5Gopen2(file, entry.group.c_str(), H5P_DEFAULT);
  if (group < 0) return;
  const h5::Node node{h5::Handle(group, H5Gclose), entry.group};
  const int action = in.next() % 4;
  try {
    if (action == 0) {  // delete
      if (entry.is_attribute) {
        H5Adelete(node.id(), entry.name.c_str());
      } else {
        H5Ldelete(node.id(), entry.name.c_str(), H5P_DEFAULT);
      }
    } else if (action == 1 && !entry.is_attribute) {  // rename
      H5Lmove(node.id(), entry.name.c_str(), node.id(), (entry.name + "_").c_str(), H5P_DEFAULT,
              H5P_DEFAULT);
    } else if (action == 3) {  // an unknown entry beside it, which readers must ignore
      write_value(node, "unknown_" + std::to_string(in.next()), in);
    } else {  // replace
      if (entry.is_attribute) {
        H5Adelete(node.id(), entry.name.c_str());
      } else {
        H5Ldelete(node.id(), entry.name.c_str(), H5P_DEFAULT);
      }
      write_value(node, entry.name, in);
    }
  } catch (const IoError&) {
  }
}

/// The class of the type of attribute or dataset `name` of `node`.
H5T_class_t type_class(const h5::Node& node, const std::string& name, bool is_attribute) {
  const h5::Handle object =
      is_attribute ? h5::Handle(H5Aopen(node.id(), name.c_str(), H5P_DEFAULT), H5Aclose)
                   : h5::Handle(H5Dopen2(node.id(), name.c_str(), H5P_DEFAULT), H5Dclose);
  h5::check(object.get(), "cannot open " + node.child(name));
  const h5::Handle type(is_attribute ? H5Aget_type(object.get()) : H5Dget_type(object.get()),
                        H5Tclose);
  return H5Tget_class(h5::check(type.get(), "cannot read the type of " + node.child(name)));
}

/// "[2, 3] v v v v v v": a dataset's shape and values.
template <typename T, typename Format>
std::string array_text(const std::vector<hsize_t>& dims,
                       const std::vector<T>& values,
                       Format format) {
  std::string text = h5::shape_string(dims);
  for (const T& v : values) text += " " + format(v);
  return text;
}

std::string dataset_text(const h5::Node& node, const std::string& name) {
  switch (type_class(node, name, false)) {
    case H5T_STRING: {
      const std::vector<std::string> strings = h5::read_strings(node, name);
      return array_text({strings.size()}, strings, [](const std::string& s) { return s; });
    }
    case H5T_INTEGER: {
      const h5::IntArray a = h5::read_int_dataset(node, name);
      return array_text(a.dims, a.values, [](std::int64_t v) { return std::to_string(v); });
    }
    default: {
      const h5::DoubleArray a = h5::read_dataset(node, name);
      return array_text(a.dims, a.values, [](double v) { return format_shortest(v); });
    }
  }
}

}  // namespace

std::vector<unsigned char> edited(std::vector<unsigned char> image, Bytes& in) {
  const int n_edits = in.next() % 4;
  if (n_edits == 0) return image;
  const h5::Session session;  // the HDF5 lock; no automatic error printing
  const h5::Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_core(fapl.get(), 1 << 16, /*backing_store=*/false);
  H5Pset_file_image(fapl.get(), image.data(), image.size());
  const h5::Handle file(H5Fopen("fuzz_edited.h5", H5F_ACC_RDWR, fapl.get()), H5Fclose);
  RNNATLAS_ASSERT(file.get() >= 0, "cannot open the file image read-write");
  for (int k = 0; k < n_edits; ++k) edit(file.get(), in);
  RNNATLAS_ASSERT(H5Fflush(file.get(), H5F_SCOPE_GLOBAL) >= 0, "cannot flush the edited image");
  const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
  RNNATLAS_ASSERT(size > 0, "cannot get the size of the edited image");
  image.resize(static_cast<std::size_t>(size));
  H5Fget_file_image(file.get(), image.data(), image.size());
  return image;
}

std::string contents(const std::vector<unsigned char>& image) {
  const h5::ImageReader reader(image);
  std::string text;
  for_each_group(reader.root(), [&](const h5::Node& group) {
    for (const std::string& name : h5::attribute_names(group)) {
      if (group.path == "/" && name == "created") continue;
      text += h5::attribute_label(group, name) + " = " +
              similarity::to_string(similarity::internal::read_param(group, name)) + "\n";
    }
    for (const std::string& name : h5::child_names(group)) {
      const hid_t id = H5Gopen2(group.id(), name.c_str(), H5P_DEFAULT);
      if (id >= 0) {
        H5Gclose(id);
        text += group.child(name) + "/\n";
      } else {
        text += group.child(name) + " = " + dataset_text(group, name) + "\n";
      }
    }
  });
  return text;
}

void assert_no_open_hdf5_objects() {
  const ssize_t n_open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  RNNATLAS_ASSERT(n_open == 0, n_open << " HDF5 objects are still open");
}

}  // namespace rnnatlas::fuzz
