// The parsers of outside input, driven the way the fuzzers and the regression test drive them.
// See docs/reliability.md.
//
// Each function feeds bytes to one parser exactly as rnnatlas reads that input from a user. A
// clean rejection -- the parser's documented exception, or for the command line an exit code of
// 1 or 2 -- comes back as an Outcome. Anything else escapes: an exception of another type, an
// abort, a crash or a sanitizer report. Each of those is a bug, and libFuzzer reports it.
#pragma once

#include <string>
#include <string_view>

namespace rnnatlas::fuzz {

/// What the parser made of one input.
struct Outcome {
  bool accepted = false;  ///< parsed and validated
  std::string error;      ///< the message of the clean rejection; empty when accepted
};

/// parse_sweep_config(data, "sweep.toml"); rejects with InvalidArgument.
Outcome sweep_config(std::string_view data);

/// cli::parse_train_config(data, "train.toml") (= `rnnatlas train --config train.toml`); rejects
/// with cli::UsageError.
Outcome train_config(std::string_view data);

/// A valid network file edited at the level of HDF5 objects as `data` directs (attributes and
/// datasets deleted, renamed, replaced by values of another type, rank, shape or range; unknown
/// entries added: h5_edits.h), then read by internal::parse_network_file_image (=
/// load_network_file after reading the file); rejects with IoError. An accepted file must also
/// survive a round trip: written back and read again, it gives a file of the same contents. Every
/// HDF5 object opened is closed.
Outcome network_file(std::string_view data);

/// The bytes of a network file, mutated anywhere, read as network_file() reads its edited files.
/// This also fuzzes HDF5's own parser, which (Debian's 1.10) fails on some damaged files; run it
/// by hand (scripts/fuzz.sh SECONDS network_file_bytes), not in CI.
Outcome network_file_bytes(std::string_view data);

/// A valid dynamics file edited as network_file() edits network files, read by
/// internal::parse_dynamics_file_image (= load_dynamics_file) and by
/// internal::parse_topology_summary_image (= load_topology_summary), which must accept every file
/// the full reader accepts and give its topology; rejects with IoError; round trip as above.
Outcome dynamics_file(std::string_view data);

/// A valid distance file edited as network_file() edits network files, read by
/// similarity::internal::parse_distance_file_image (= load_distance_file); rejects with IoError;
/// round trip as above.
Outcome distance_file(std::string_view data);

/// A valid embedding file edited as network_file() edits network files, read by
/// embedding::internal::parse_embedding_file_image (= load_embedding_file); rejects with IoError;
/// round trip as above.
Outcome embedding_file(std::string_view data);

/// parse_manifest_csv(data, "manifest.csv") (a sweep's manifest.csv); rejects with IoError. The
/// rows of an accepted manifest must format to a manifest that reads back to the same rows, and
/// summarize_population must count each row once.
Outcome manifest_csv(std::string_view data);

/// cli::run_cli in parse-only mode on "rnnatlas" followed by one argument per line of `data`;
/// rejects with exit code 2 (usage error). Nothing is run, so nothing is written.
Outcome cli_arguments(std::string_view data);

}  // namespace rnnatlas::fuzz
