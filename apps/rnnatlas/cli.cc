#include "cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <new>
#include <thread>

#include "rnnatlas/config.h"
#include "rnnatlas/error.h"
#include "rnnatlas/io/output_path.h"
#include "rnnatlas/sweep/sweep.h"
#include "schema_flags.h"

namespace rnnatlas::cli {

void print_error(std::string_view message) {
  std::cout.flush();  // keep results and the error in order when both go to one terminal
  std::cerr << "rnnatlas: error: " << message << '\n';
}

void print_note(std::string_view message) { std::cerr << "rnnatlas: " << message << '\n'; }

CLI::Option* deprecated_alias(CLI::Option* alias, const std::string& current) {
  // Listed in its own --help group rather than hidden: CLI11 drops the name of a hidden option
  // from its parse errors.
  const std::string old = alias->get_name();
  alias->description("old spelling of " + current + ", removed in the next release");
  return alias->group("Deprecated")->each([old, current](const std::string&) {
    print_note("warning: " + old + " is deprecated and will be removed in the next release; use " +
               current);
  });
}

bool ThreadsFlag::given() const { return flag->count() + old->count() > 0; }

ThreadsFlag add_threads_flag(CLI::App& cmd, int& n_threads, const std::string& help) {
  ThreadsFlag t;
  t.flag = cmd.add_option("-j,--n-threads", n_threads, help)
               ->check(at_least(0))
               ->capture_default_str()
               ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  t.old = deprecated_alias(cmd.add_option("--threads", n_threads)->check(at_least(0)),
                           t.flag->get_name())
              ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  return t;
}

void warn_if_snapshot(const std::string& dir) {
  // Without a manifest the stage itself says what DIR lacks.
  std::error_code error;
  if (!std::filesystem::is_regular_file(std::filesystem::path(dir) / "manifest.csv", error)) return;
  const std::string note = population_snapshot_note(dir, read_manifest(dir));
  if (!note.empty()) print_note("warning: " + note);
}

std::string strprintf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string out(n > 0 ? static_cast<std::size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, format, args);
  va_end(args);
  return out;
}

std::string seed_error(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  std::strtoull(text.c_str(), &end, 10);
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (digits && errno != ERANGE && end == text.c_str() + text.size()) return {};
  return "must be an integer in [0, 2^64 - 1], got " + text;
}

std::string format_metrics(double mse, double normalized_mse, double sign_accuracy) {
  std::string out = strprintf("mse %.4e  normalized mse %.4e", mse, normalized_mse);
  if (!std::isnan(sign_accuracy)) out += strprintf("  sign accuracy %.2f%%", 100.0 * sign_accuracy);
  return out;
}

CLI::Validator rule_check(const Rule& rule, bool integer) {
  return CLI::Validator(
      [rule, integer](std::string& text) -> std::string {
        const char* end = text.data() + text.size();
        double value = 0;
        bool parsed = false;
        if (integer) {
          long long n = 0;
          const auto [ptr, error] = std::from_chars(text.data(), end, n);
          parsed = error == std::errc() && ptr == end;
          value = static_cast<double>(n);
        } else {
          const auto [ptr, error] = std::from_chars(text.data(), end, value);
          parsed = error == std::errc() && ptr == end;
        }
        if (!parsed) {
          // "must be an integer >= 1, got 'two'"; "must be a number, got 'x'"
          const std::string what = integer ? "an integer" : "a number";
          const std::string bounds = rule.text();
          return "must be " +
                 (bounds.starts_with("a number") || !integer ? what : what + " " + bounds) +
                 ", got '" + text + "'";
        }
        return rule.holds(value) ? std::string() : "must be " + rule.text() + ", got " + text;
      },
      rule.text());
}

CLI::Validator at_least(long long min) {
  const std::string rule = ">= " + std::to_string(min);
  return CLI::Validator(
      [min, rule](std::string& text) -> std::string {
        long long value = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, error] = std::from_chars(text.data(), end, value);
        if (error != std::errc() || ptr != end) {
          return "must be an integer " + rule + ", got '" + text + "'";
        }
        return value >= min ? std::string() : "must be " + rule + ", got " + text;
      },
      "at least " + std::to_string(min));  // --help: "INT:at least 1=10" (10 the default)
}

CLI::Validator in_range(double lo, double hi) {
  const std::string rule = "in [" + format_shortest(lo) + ", " + format_shortest(hi) + "]";
  return CLI::Validator(
      [lo, hi, rule](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE) {
          return "must be a number " + rule + ", got '" + text + "'";
        }
        return value >= lo && value <= hi ? std::string() : "must be " + rule + ", got " + text;
      },
      rule);
}

std::string count_of(long long n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  if (s < 60) return strprintf("%lds", s);
  if (s < 3600) return strprintf("%ldm%02lds", s / 60, s % 60);
  return strprintf("%ldh%02ldm", s / 3600, (s % 3600) / 60);
}

bool started_by_mpi_launcher(int& size) {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    if (const char* value = std::getenv(name)) {
      size = std::atoi(value);
      return true;
    }
  }
  size = 0;
  return std::getenv("PMIX_RANK") != nullptr;
}

void check_output_file(const std::string& label, const std::string& path) {
  try {
    check_file_writable(path);
  } catch (const IoError& e) {
    throw UsageError(label + ": " + e.what());
  }
}

void check_output_directory(const std::string& label, const std::string& dir) {
  try {
    check_directory_writable(dir);
  } catch (const IoError& e) {
    throw UsageError(label + ": " + e.what());
  }
}

int thread_count(int n_threads_flag) {
  return n_threads_flag > 0 ? n_threads_flag
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

int threads_per_rank(bool given, int n_threads_flag) {
  return given ? thread_count(n_threads_flag) : 1;
}

bool use_mpi_ranks(bool mpi_flag) {
  int launch_size = 0;
  const bool launched = started_by_mpi_launcher(launch_size);
  if (RNNATLAS_WITH_MPI) return mpi_flag || launched;
  if (mpi_flag) {
    throw UsageError(
        "--mpi: this rnnatlas was built without MPI (RNNATLAS_WITH_MPI=OFF); install "
        "libopenmpi-dev and rebuild, or run without --mpi");
  }
  if (launched && launch_size != 1) {
    throw UsageError(
        "started by an MPI launcher (mpirun or srun), but this rnnatlas was built without MPI "
        "(RNNATLAS_WITH_MPI=OFF), so its processes cannot share the work: install "
        "libopenmpi-dev and rebuild, or run it without mpirun");
  }
  return false;
}

void rethrow_naming_flag(const InvalidArgument& error, const FlagNames& flags) {
  const auto flag = flags.find(error.field());
  if (flag == flags.end()) throw error;
  throw UsageError(error.message_for(flag->second));
}

int exit_code_of(const std::exception_ptr& error, bool print) {
  const auto report = [&](int status, const std::string& message) {
    if (print) print_error(message);
    return status;
  };
  try {
    std::rethrow_exception(error);
  } catch (const UsageError& e) {
    return report(kExitUsage, e.what());
  } catch (const InvalidArgument& e) {
    return report(kExitUsage, e.what());
  } catch (const IoError& e) {
    return report(kExitFailure, e.what());
  } catch (const std::bad_alloc&) {
    return report(kExitFailure, "out of memory");
  } catch (const std::exception& e) {
    return report(kExitFailure, std::string("unexpected failure: ") + e.what());
  } catch (...) {
    return report(kExitFailure, "unexpected failure: an exception of unknown type");
  }
}

}  // namespace rnnatlas::cli
