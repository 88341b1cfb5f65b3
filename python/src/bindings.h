// Shared declarations of the Python binding (rnnatlas._core).
//
// One bind_<dir>() per include/rnnatlas/<dir>/, called in that order by module.cc, plus the layout
// helpers that move data between numpy's batch-major (row-per-item) arrays and the library's
// time-major (column-per-item) matrices. Nothing here computes anything.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <Eigen/Core>
#include <string>

#include "rnnatlas/error.h"

namespace rnnatlas::python {

namespace py = pybind11;

/// Keys of a Python Network's __dict__: the seed it was built from (bind_models.cc), and the
/// NetworkRecord of its training, whose `network` is the network as training left it
/// (bind_training.cc sets it; bind_io.cc reads it).
inline constexpr const char* kInitSeedKey = "_init_seed";
inline constexpr const char* kTrainingKey = "_training";

void bind_tasks(py::module_& m);
void bind_models(py::module_& m);
void bind_training(py::module_& m);
void bind_io(py::module_& m);
void bind_sweep(py::module_& m);
void bind_dynamics(py::module_& m);
void bind_analysis(py::module_& m);
void bind_similarity(py::module_& m);
void bind_embedding(py::module_& m);

/// `value` (an array, list or number) as a float64 array, for the argument named `what`. Complex
/// values are refused with InvalidArgument (ValueError): numpy would drop the imaginary part
/// with only a warning.
inline py::array_t<double, py::array::forcecast> real_array(const py::handle& value,
                                                            const std::string& what) {
  const py::array array = py::array::ensure(value);
  RNNATLAS_CHECK_ARG(array, what << " is not convertible to an array");
  RNNATLAS_CHECK_ARG(array.dtype().kind() != 'c',
                     what << " is complex (dtype " << std::string(py::str(array.dtype()))
                          << "); pass real values (e.g. its .real part)");
  auto result = py::array_t<double, py::array::forcecast>::ensure(array);
  RNNATLAS_CHECK_ARG(result, what << " is not convertible to a float64 array");
  return result;
}

/// A numpy array [n_batch, n_time, n_channel] that views the time-major matrix `m`
/// [n_channel, n_time * n_batch] (column t * n_batch + b, see TrialBatch) without copying.
/// `owner` keeps the memory alive; the array is writable and aliases `m`.
inline py::array batch_major_view(const Eigen::MatrixXd& m,
                                  int n_batch,
                                  int n_time,
                                  py::handle owner) {
  const auto item = static_cast<py::ssize_t>(sizeof(double));
  const py::ssize_t n_channel = m.rows();
  return py::array(py::dtype::of<double>(), {py::ssize_t{n_batch}, py::ssize_t{n_time}, n_channel},
                   {n_channel * item, n_channel * n_batch * item, item}, m.data(), owner);
}

/// Copies a numpy array [n_batch, n_time, n_channel] into a time-major matrix
/// [n_channel, n_time * n_batch].
inline Eigen::MatrixXd time_major_copy(const py::array_t<double, py::array::forcecast>& array) {
  const auto a = array.unchecked<3>();
  const py::ssize_t n_batch = a.shape(0), n_time = a.shape(1), n_channel = a.shape(2);
  Eigen::MatrixXd m(n_channel, n_time * n_batch);
  for (py::ssize_t t = 0; t < n_time; ++t) {
    for (py::ssize_t b = 0; b < n_batch; ++b) {
      for (py::ssize_t c = 0; c < n_channel; ++c) m(c, t * n_batch + b) = a(b, t, c);
    }
  }
  return m;
}

/// A numpy array [n, n_cols] of row vectors, copied into the library's column layout
/// [n_cols, n] (column i = row i). `what` names the argument in the shape error.
inline Eigen::MatrixXd rows_to_columns(const py::array_t<double, py::array::forcecast>& array,
                                       const char* what,
                                       py::ssize_t n_cols) {
  if (array.ndim() != 2 || array.shape(1) != n_cols) {
    std::string shape = "(";
    for (py::ssize_t i = 0; i < array.ndim(); ++i) {
      shape += (i ? ", " : "") + std::to_string(array.shape(i));
    }
    shape += array.ndim() == 1 ? ",)" : ")";
    RNNATLAS_CHECK_ARG(false, what << " must have shape [n, " << n_cols << "], got " << shape);
  }
  const auto a = array.unchecked<2>();
  Eigen::MatrixXd m(n_cols, a.shape(0));
  for (py::ssize_t j = 0; j < a.shape(0); ++j) {
    for (py::ssize_t i = 0; i < n_cols; ++i) m(i, j) = a(j, i);
  }
  return m;
}

}  // namespace rnnatlas::python
