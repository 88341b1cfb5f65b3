// Training checkpoints: a run saved between iterations so that it can continue after a kill.
//
// A checkpoint file is a network file (docs/network-file.md) of the run so far, with termination
// "interrupted", plus the group /checkpoint holding what the optimiser needs beyond the weights
// (the Adam moments and the parameters before the last update, float64 [n_params] each, in the
// order of Network::parameters()). `rnnatlas info` and h5py read it like any network file.
// Written atomically, like every rnnatlas file: a kill during the write leaves the previous one.
#pragma once

#include <string>

#include "rnnatlas/io/network_file.h"
#include "rnnatlas/training/train.h"

namespace rnnatlas {

/// A checkpoint as read back: the run's setup and progress as a network record, and the state
/// that continues it through train(options, task, network, &state).
struct TrainCheckpoint {
  NetworkRecord record;
  TrainState state;
};

/// Writes the run set up as `setup` (architecture, init seed, task, options; its parameters and
/// summary are ignored) at `state` to `path`, atomically. Throws InvalidArgument when the state's
/// sizes do not fit the network, IoError naming the path when the file cannot be written.
void save_train_checkpoint(const std::string& path,
                           const NetworkRecord& setup,
                           const TrainState& state);

/// Reads a checkpoint written by save_train_checkpoint(). Throws IoError naming the path and the
/// problem for a missing, damaged or foreign file, or a network file that is not a checkpoint.
TrainCheckpoint load_train_checkpoint(const std::string& path);

}  // namespace rnnatlas
