// Execution: how a call uses the machine, passed beside an algorithm's options.
//
// An algorithm's options say what it computes; an Execution says on how many threads (or over
// which Runner) it does so. Every function that takes one returns bit-identical results for any
// Execution, so it is never stored in a file nor compared when a result is reused.
#pragma once

namespace rnnatlas {

class Runner;  // rnnatlas/runner.h

struct Execution {
  /// Threads of this process, >= 1.
  int n_threads = 1;
  /// When set, the function's independent items (the pairs of a distance matrix, the networks of
  /// a population) are spread by this runner instead (with an MpiRunner, over the ranks of an MPI
  /// job); n_threads still sets the threads of the work each process does itself. Not owned; the
  /// call must come from the thread that may use it.
  Runner* runner = nullptr;

  /// Throws InvalidArgument "n_threads = <value>: must be >= 1" when it is not.
  void validate() const;
};

}  // namespace rnnatlas
