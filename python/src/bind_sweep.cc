// Binds the population reader of include/rnnatlas/sweep/: the manifest of a sweep directory as the
// C++ stages read it (one reader for the CLI, rnnatlas.Population and the report), the check of a
// network file against it, and whether a sweep is still running there.
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.h"
#include "rnnatlas/io/content_hash.h"
#include "rnnatlas/sweep/manifest.h"
#include "rnnatlas/sweep/sweep.h"

namespace rnnatlas::python {

namespace {

/// The fields of `row` that read_manifest() reads back, under their manifest column names.
py::dict row_dict(const ManifestRow& row) {
  py::dict d;
  const SweepNetwork& n = row.network;
  d["index"] = n.index;
  d["id"] = n.id;
  d["cell"] = std::string(to_string(n.architecture.cell));
  d["activation"] = std::string(to_string(n.architecture.activation));
  d["n_hidden"] = n.architecture.n_hidden;
  d["seed"] = n.seed;
  d["init_seed"] = n.init_seed;
  d["train_seed"] = n.train_options.seed;
  d["outcome"] = row.outcome;
  d["n_iterations_done"] = row.n_iterations_done;
  d["final_loss"] = row.final_loss;
  d["mse"] = row.mse;
  d["normalized_mse"] = row.normalized_mse;
  d["sign_accuracy"] = row.sign_accuracy;
  d["kept"] = row.kept;
  d["seconds"] = row.seconds;
  d["file"] = row.file;
  d["file_hash"] = row.file_hash;
  return d;
}

const ManifestRow& row_of(const std::vector<ManifestRow>& rows,
                          const std::string& id,
                          const std::string& dir) {
  for (const ManifestRow& row : rows) {
    if (row.network.id == id) return row;
  }
  throw InvalidArgument("no network '" + id + "' in the manifest of " + dir);
}

}  // namespace

void bind_sweep(py::module_& m) {
  const py::call_guard<py::gil_scoped_release> no_gil;

  m.def(
      "read_manifest",
      [](const std::string& dir) {
        std::vector<ManifestRow> rows;
        {
          const py::gil_scoped_release release;
          rows = read_manifest(dir);
        }
        py::list out;
        for (const ManifestRow& row : rows) out.append(row_dict(row));
        return out;
      },
      py::arg("dir"),
      "The rows of DIR/manifest.csv as dicts, checked as one population exactly as the CLI "
      "stages check it (unique ids, indices, files and contents; files inside DIR). OSError "
      "naming the line and the problem otherwise.");

  m.def(
      "summarize_population",
      [](const std::string& dir) {
        std::vector<PopulationGroup> groups;
        {
          const py::gil_scoped_release release;
          groups = summarize_population(read_manifest(dir));
        }
        py::list out;
        for (const PopulationGroup& g : groups) {
          py::dict d;
          d["cell"] = std::string(to_string(g.cell));
          d["activation"] = std::string(to_string(g.activation));
          d["networks"] = g.n_networks;
          d["trained"] = g.n_trained;
          d["kept"] = g.n_kept;
          d["diverged"] = g.n_diverged;
          d["median_normalized_mse"] = g.median_normalized_mse;
          d["seconds"] = g.seconds;
          out.append(d);
        }
        return out;
      },
      py::arg("dir"),
      "The table of `rnnatlas summary`, computed from DIR/manifest.csv now: one dict per cell x "
      "activation.");

  m.def(
      "verified_network_file",
      [](const std::string& dir, const std::string& id) {
        return verified_network_file(dir, row_of(read_manifest(dir), id, dir));
      },
      py::arg("dir"), py::arg("id"), no_gil,
      "The path of network `id`'s file after checking its content hash against the manifest; "
      "OSError when it was replaced or changed, or the manifest records no hash.");

  m.def(
      "verify_kept_network_files",
      [](const std::string& dir) {
        for (const ManifestRow& row : read_manifest(dir)) {
          if (row.kept) verified_network_file(dir, row);
        }
      },
      py::arg("dir"), no_gil,
      "Checks every kept network file of DIR against its content hash in the manifest (read "
      "once); OSError naming the first one that was replaced or changed, or lacks a hash.");

  m.def("sweep_in_progress", &sweep_in_progress, py::arg("dir"), no_gil,
        "True while a `rnnatlas sweep` run holds DIR's lock.");

  m.def(
      "population_snapshot_note",
      [](const std::string& dir) { return population_snapshot_note(dir, read_manifest(dir)); },
      py::arg("dir"), no_gil,
      "'' when DIR's sweep is finished and not running; otherwise the sentence the stages warn "
      "with: what is read now is a snapshot.");

  m.def("file_content_hash", &file_content_hash, py::arg("path"), no_gil,
        "The content hash (64-bit FNV-1a, 16 hex digits) of the file at `path`, as the manifest "
        "and the derived files record it.");
}

}  // namespace rnnatlas::python
