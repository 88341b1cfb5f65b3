// Training checkpoints: the network file layout plus /checkpoint (include/rnnatlas/io/
// train_checkpoint.h). Float32 optimiser values are stored as float64, which holds them exactly.
#include "rnnatlas/io/train_checkpoint.h"

#include <string>
#include <vector>

#include "io/h5.h"
#include "io/network_file_image.h"
#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

constexpr const char* kGroup = "checkpoint";

std::vector<double> widen(const Vec<float>& v) {
  return std::vector<double>(v.data(), v.data() + v.size());
}

Vec<float> read_state_vector(const h5::Node& group, const char* name, int n_params) {
  const h5::DoubleArray array = h5::read_dataset(group, name);
  const std::vector<hsize_t> expected{static_cast<hsize_t>(n_params)};
  if (array.dims != expected) {
    throw IoError("dataset " + group.child(name) + " has shape " + h5::shape_string(array.dims) +
                  ", expected " + h5::shape_string(expected) + " (one value per parameter)");
  }
  Vec<float> v(n_params);
  for (int i = 0; i < n_params; ++i) {
    const float value = static_cast<float>(array.values[i]);
    if (!std::isfinite(value) || static_cast<double>(value) != array.values[i]) {
      throw IoError("dataset " + group.child(name) +
                    " holds a value that is not a finite float32 (" +
                    std::to_string(array.values[i]) + " at index " + std::to_string(i) + ")");
    }
    v[i] = value;
  }
  return v;
}

}  // namespace

void save_train_checkpoint(const std::string& path,
                           const NetworkRecord& setup,
                           const TrainState& state) {
  const int n_params = setup.network.n_params();
  for (const Vec<float>* v :
       {&state.parameters, &state.previous_parameters, &state.adam_m, &state.adam_v}) {
    RNNATLAS_CHECK_ARG(v->size() == n_params, "save_train_checkpoint: a state vector has "
                                                  << v->size() << " values; the network has "
                                                  << n_params << " parameters");
  }
  RNNATLAS_CHECK_ARG(state.loss_history.size() == static_cast<std::size_t>(state.n_iterations_done),
                     "save_train_checkpoint: " << state.loss_history.size() << " losses for "
                                               << state.n_iterations_done << " iterations done");
  NetworkRecord record = setup;
  record.network.set_parameters(state.parameters.cast<double>());
  record.summary = TrainSummary{};
  record.summary.termination = Termination::kInterrupted;
  record.summary.message = "checkpoint after " + std::to_string(state.n_iterations_done) + " of " +
                           std::to_string(setup.train_options.n_iterations) + " iterations";
  record.summary.n_iterations_done = state.n_iterations_done;
  record.summary.loss_history = state.loss_history;
  record.summary.seconds = state.seconds;

  std::vector<unsigned char> image;
  {
    h5::ImageWriter writer;
    internal::write_network_record(writer.root(), record);
    const h5::Node group = h5::create_group(writer.root(), kGroup);
    const std::vector<hsize_t> dims{static_cast<hsize_t>(n_params)};
    h5::write_dataset(group, "previous_parameters", dims, widen(state.previous_parameters).data());
    h5::write_dataset(group, "adam_m", dims, widen(state.adam_m).data());
    h5::write_dataset(group, "adam_v", dims, widen(state.adam_v).data());
    image = writer.finish();
  }
  try {
    h5::write_file_atomically(path, image);
  } catch (const IoError& e) {
    throw IoError("cannot write training checkpoint '" + path + "': " + e.what());
  }
}

TrainCheckpoint load_train_checkpoint(const std::string& path) {
  try {
    const h5::ImageReader reader(h5::read_file(path));
    TrainCheckpoint checkpoint;
    checkpoint.record = internal::read_network_record(reader.root());
    if (!h5::has_child(reader.root(), kGroup)) {
      throw IoError("it is a network file without the group /checkpoint, not a checkpoint");
    }
    const h5::Node group = h5::open_group(reader.root(), kGroup);
    const NetworkRecord& record = checkpoint.record;
    const int n_params = record.network.n_params();
    TrainState& state = checkpoint.state;
    state.n_iterations_done = record.summary.n_iterations_done;
    state.loss_history = record.summary.loss_history;
    state.seconds = record.summary.seconds;
    state.parameters = record.network.parameters().cast<float>();
    if (state.parameters.cast<double>() != record.network.parameters()) {
      throw IoError("/model/parameters hold values that are not float32, as training writes");
    }
    state.previous_parameters = read_state_vector(group, "previous_parameters", n_params);
    state.adam_m = read_state_vector(group, "adam_m", n_params);
    state.adam_v = read_state_vector(group, "adam_v", n_params);
    return checkpoint;
  } catch (const IoError& e) {
    throw IoError("cannot read training checkpoint '" + path + "': " + e.what());
  }
}

}  // namespace rnnatlas
