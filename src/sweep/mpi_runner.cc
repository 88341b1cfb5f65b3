// The work queue over MPI ranks (include/rnnatlas/sweep/mpi_runner.h). The only file of rnnatlas
// that calls MPI. Only the main thread of each rank calls MPI (MPI_THREAD_FUNNELED); the worker
// threads run work() and never communicate.
#include "rnnatlas/sweep/mpi_runner.h"

#include <mpi.h>

#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <thread>

#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

/// How long an idle main thread sleeps between two looks at its messages. Items take far
/// longer (a network trains for seconds), so this costs neither throughput nor a core.
constexpr std::chrono::microseconds kPollInterval{1000};

// Message tags. Worker rank -> rank 0: HELLO(n_threads, host), RESULT(item, record),
// FAILURE(item, error), or ABANDON(host, error) alone in place of HELLO. Rank 0 -> worker rank:
// ITEM(item), STOP(error).
constexpr int kHello = 1;
constexpr int kResult = 2;
constexpr int kFailure = 3;
constexpr int kItem = 4;
constexpr int kStop = 5;
constexpr int kAbandon = 6;

/// An error in a form that crosses process boundaries.
struct ErrorInfo {
  enum Kind : std::int64_t { kNone = 0, kIo = 1, kInvalidArgument = 2, kOther = 3 };
  std::int64_t kind = kNone;
  std::string message;
};

ErrorInfo describe(const std::exception_ptr& error) {
  if (!error) return {};
  try {
    std::rethrow_exception(error);
  } catch (const InvalidArgument& e) {
    return {ErrorInfo::kInvalidArgument, e.what()};
  } catch (const IoError& e) {
    return {ErrorInfo::kIo, e.what()};
  } catch (const std::bad_alloc&) {
    return {ErrorInfo::kOther, "out of memory"};
  } catch (const std::exception& e) {
    return {ErrorInfo::kOther, e.what()};
  } catch (...) {
    return {ErrorInfo::kOther, "an exception that is not a std::exception"};
  }
}

/// The exception `info` describes, with `prefix` before its message; null for kNone.
std::exception_ptr make_error(const ErrorInfo& info, const std::string& prefix = "") {
  const std::string message = prefix + info.message;
  switch (info.kind) {
    case ErrorInfo::kNone:
      return nullptr;
    case ErrorInfo::kIo:
      return std::make_exception_ptr(IoError(message));
    case ErrorInfo::kInvalidArgument:
      return std::make_exception_ptr(InvalidArgument(message));
    default:
      return std::make_exception_ptr(std::runtime_error(message));
  }
}

// Payloads are byte strings: integers as 8 little-endian bytes, then text to the end.

void put_int(std::string& out, std::int64_t value) {
  for (int b = 0; b < 8; ++b)
    out += static_cast<char>((static_cast<std::uint64_t>(value) >> (8 * b)) & 0xff);
}

std::int64_t get_int(const std::string& in, std::size_t& pos) {
  RNNATLAS_ASSERT(pos + 8 <= in.size(), "MPI message of " << in.size() << " bytes is too short");
  std::uint64_t value = 0;
  for (int b = 0; b < 8; ++b) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[pos + b])) << (8 * b);
  }
  pos += 8;
  return static_cast<std::int64_t>(value);
}

std::string pack_error(const ErrorInfo& info) {
  std::string out;
  put_int(out, info.kind);
  return out + info.message;
}

ErrorInfo unpack_error(const std::string& in, std::size_t pos) {
  ErrorInfo info;
  info.kind = get_int(in, pos);
  info.message = in.substr(pos);
  return info;
}

/// Waits for `request` without spinning (a blocking MPI wait would busy-poll a core).
void wait_politely(MPI_Request& request) {
  for (;;) {
    int complete = 0;
    MPI_Test(&request, &complete, MPI_STATUS_IGNORE);
    if (complete) return;
    std::this_thread::sleep_for(kPollInterval);
  }
}

struct Message {
  int source = 0;
  int tag = 0;
  std::string payload;
};

/// Non-blocking point-to-point messages on one communicator. Sends are MPI_Isend: the payload is
/// kept until the send completes, so two ranks sending to each other never deadlock.
class Channel {
 public:
  explicit Channel(MPI_Comm comm) : comm_(comm) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel() { flush(); }

  void send(int destination, int tag, std::string payload) {
    RNNATLAS_ASSERT(payload.size() <= INT_MAX, "MPI message of " << payload.size() << " bytes");
    Pending& p = pending_.emplace_back();
    p.payload = std::move(payload);
    MPI_Isend(p.payload.data(), static_cast<int>(p.payload.size()), MPI_BYTE, destination, tag,
              comm_, &p.request);
  }

  /// The next message that has arrived, if any; does not wait.
  std::optional<Message> receive() {
    int arrived = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &arrived, &status);
    if (!arrived) return std::nullopt;
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    Message m{status.MPI_SOURCE, status.MPI_TAG, std::string(count, '\0')};
    MPI_Recv(m.payload.data(), count, MPI_BYTE, m.source, m.tag, comm_, MPI_STATUS_IGNORE);
    return m;
  }

  /// Forgets the sends that have completed.
  void progress() {
    for (auto it = pending_.begin(); it != pending_.end();) {
      int complete = 0;
      MPI_Test(&it->request, &complete, MPI_STATUS_IGNORE);
      it = complete ? pending_.erase(it) : std::next(it);
    }
  }

  /// Waits until every send has completed.
  void flush() {
    for (Pending& p : pending_) wait_politely(p.request);
    pending_.clear();
  }

 private:
  struct Pending {
    std::string payload;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  MPI_Comm comm_;
  std::list<Pending> pending_;  // a list: payloads must not move while MPI reads them
};

/// What a worker thread made of one item.
struct Outcome {
  int item = 0;
  std::string record;
  std::exception_ptr error;  ///< set when work() threw
};

/// `n_threads` threads that call work() on the items given to them. Used by the main thread only
/// (submit, collect); the threads hand back outcomes through a queue.
class LocalPool {
 public:
  LocalPool(int n_threads, const Runner::RecordWork& work) : work_(work) {
    for (int t = 0; t < n_threads; ++t) threads_.emplace_back([this] { serve(); });
  }
  LocalPool(const LocalPool&) = delete;
  LocalPool& operator=(const LocalPool&) = delete;
  /// Lets the items being worked on finish; items not started are dropped.
  ~LocalPool() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      closing_ = true;
    }
    item_ready_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }

  int n_idle() const { return static_cast<int>(threads_.size()) - n_in_hand_; }
  int n_in_hand() const { return n_in_hand_; }  ///< submitted and not collected yet

  void submit(int item) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      inbox_.push_back(item);
    }
    ++n_in_hand_;
    item_ready_.notify_one();
  }

  /// The outcomes ready now; when there are none, waits up to `wait` for one. The main threads'
  /// idle wait: it wakes at once when a local item finishes.
  std::vector<Outcome> collect(std::chrono::microseconds wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (outbox_.empty() && wait.count() > 0) {
      outcome_ready_.wait_for(lock, wait, [&] { return !outbox_.empty(); });
    }
    std::vector<Outcome> out;
    out.swap(outbox_);
    n_in_hand_ -= static_cast<int>(out.size());
    return out;
  }

 private:
  void serve() {
    for (;;) {
      Outcome outcome;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        item_ready_.wait(lock, [&] { return closing_ || !inbox_.empty(); });
        if (closing_) return;
        outcome.item = inbox_.front();
        inbox_.pop_front();
      }
      try {
        outcome.record = work_(outcome.item);
      } catch (...) {
        outcome.error = std::current_exception();
      }
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        outbox_.push_back(std::move(outcome));
      }
      outcome_ready_.notify_one();
    }
  }

  const Runner::RecordWork& work_;
  std::vector<std::thread> threads_;
  int n_in_hand_ = 0;  // main thread only
  std::mutex mutex_;   // guards the three below
  std::condition_variable item_ready_;
  std::condition_variable outcome_ready_;
  std::deque<int> inbox_;
  std::vector<Outcome> outbox_;
  bool closing_ = false;
};

std::string processor_name() {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  return std::string(name, length);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// MpiSession

MpiSession::MpiSession() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) throw IoError("MPI is already initialized in this process");
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    throw IoError("cannot start MPI (MPI_Init_thread failed)");
  }
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    throw IoError(
        "the MPI library does not support threads (MPI_THREAD_FUNNELED); rnnatlas "
        "runs its worker threads beside MPI");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  MPI_Request barrier = MPI_REQUEST_NULL;
  MPI_Ibarrier(MPI_COMM_WORLD, &barrier);
  wait_politely(barrier);
  MPI_Finalize();
}

std::string MpiSession::broadcast(const std::function<std::string()>& produce) const {
  std::exception_ptr error;
  std::string text;
  if (rank_ == 0) {
    try {
      text = produce();
    } catch (...) {
      error = std::current_exception();
      text = describe(error).message;
    }
  }
  std::int64_t header[2] = {describe(error).kind, static_cast<std::int64_t>(text.size())};
  MPI_Bcast(header, 2, MPI_INT64_T, 0, MPI_COMM_WORLD);
  RNNATLAS_ASSERT(header[1] <= INT_MAX, "broadcast of " << header[1] << " bytes");
  text.resize(static_cast<std::size_t>(header[1]));
  MPI_Bcast(text.data(), static_cast<int>(header[1]), MPI_BYTE, 0, MPI_COMM_WORLD);
  if (error) std::rethrow_exception(error);
  if (header[0] != ErrorInfo::kNone) std::rethrow_exception(make_error({header[0], text}));
  return text;
}

// ---------------------------------------------------------------------------------------------
// MpiRunner

struct MpiRunner::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  int n_threads = 1;
  bool ran = false;  // run_with_records() or abandon() was called

  /// Rank 0's side of one run. `initial_error`, when set, stops everything from the start.
  void coordinate(const std::vector<int>& items,
                  const RecordWork& work,
                  const RecordDone& done,
                  std::exception_ptr initial_error);
  /// Another rank's side of one run.
  void serve(const RecordWork& work);
  /// Another rank's side of a run it cannot make: tells rank 0, which throws `error`.
  void abandon_as_worker(const std::exception_ptr& error);
};

void MpiRunner::Impl::coordinate(const std::vector<int>& items,
                                 const RecordWork& work,
                                 const RecordDone& done,
                                 std::exception_ptr initial_error) {
  Channel channel(comm);
  LocalPool pool(initial_error ? 0 : n_threads, work);
  std::size_t next = 0;  // items[next] is the next one to hand out
  std::exception_ptr first_error = std::move(initial_error);
  int n_ranks_heard = 0;                 // worker ranks that said HELLO
  std::vector<int> open_slots(size, 0);  // per rank: threads not told to STOP yet
  std::vector<std::string> hosts(size);

  auto fail = [&](std::exception_ptr error) {
    if (!first_error) first_error = std::move(error);
  };
  auto more_to_hand_out = [&] { return !first_error && next < items.size(); };
  auto reply = [&](int rank) {  // one item for a free thread of `rank`, or STOP
    std::string payload;
    if (more_to_hand_out()) {
      put_int(payload, items[next++]);
      channel.send(rank, kItem, std::move(payload));
    } else {
      channel.send(rank, kStop, pack_error(describe(first_error)));
      --open_slots[rank];
    }
  };
  auto finish = [&](int item, const std::string& record) {
    try {
      done(item, record);
    } catch (...) {
      fail(std::current_exception());
    }
  };
  auto from = [&](int rank) { return "rank " + std::to_string(rank) + " (" + hosts[rank] + "): "; };

  for (;;) {
    // This rank's own threads take items without a message.
    while (pool.n_idle() > 0 && more_to_hand_out()) pool.submit(items[next++]);

    bool busy = false;
    while (std::optional<Message> m = channel.receive()) {
      busy = true;
      std::size_t pos = 0;
      switch (m->tag) {
        case kHello: {
          const int n = static_cast<int>(get_int(m->payload, pos));
          hosts[m->source] = m->payload.substr(pos);
          open_slots[m->source] = n;
          ++n_ranks_heard;
          for (int t = 0; t < n; ++t) reply(m->source);
          break;
        }
        case kResult: {
          const int item = static_cast<int>(get_int(m->payload, pos));
          reply(m->source);  // first, so that the worker does not wait for done()
          finish(item, m->payload.substr(pos));
          break;
        }
        case kFailure: {
          get_int(m->payload, pos);  // the item: not done; a later run redoes it
          fail(make_error(unpack_error(m->payload, pos), from(m->source)));
          reply(m->source);
          break;
        }
        case kAbandon: {  // in place of HELLO: the rank takes no item and waits for no reply
          const auto host_size = static_cast<std::size_t>(get_int(m->payload, pos));
          hosts[m->source] = m->payload.substr(pos, host_size);
          ++n_ranks_heard;
          fail(make_error(unpack_error(m->payload, pos + host_size), from(m->source)));
          break;
        }
        default:
          RNNATLAS_ASSERT(false,
                          "unexpected MPI message tag " << m->tag << " from rank " << m->source);
      }
    }

    for (Outcome& outcome : pool.collect(busy ? std::chrono::microseconds(0) : kPollInterval)) {
      if (outcome.error) {
        fail(outcome.error);
      } else {
        finish(outcome.item, outcome.record);
      }
    }
    channel.progress();

    bool everyone_stopped = n_ranks_heard == size - 1 && pool.n_in_hand() == 0;
    for (int r = 1; r < size; ++r) everyone_stopped = everyone_stopped && open_slots[r] == 0;
    if (everyone_stopped && !more_to_hand_out()) break;
  }
  channel.flush();
  if (first_error) std::rethrow_exception(first_error);
}

void MpiRunner::Impl::serve(const RecordWork& work) {
  Channel channel(comm);
  LocalPool pool(n_threads, work);
  std::string hello;
  put_int(hello, n_threads);
  channel.send(0, kHello, hello + processor_name());
  int open_slots = n_threads;  // threads not told to STOP yet
  std::exception_ptr own_error;
  ErrorInfo stop_error;
  while (open_slots > 0) {
    bool busy = false;
    while (std::optional<Message> m = channel.receive()) {
      busy = true;
      std::size_t pos = 0;
      if (m->tag == kItem) {
        pool.submit(static_cast<int>(get_int(m->payload, pos)));
      } else {
        RNNATLAS_ASSERT(m->tag == kStop, "unexpected MPI message tag " << m->tag);
        --open_slots;
        const ErrorInfo error = unpack_error(m->payload, pos);
        if (stop_error.kind == ErrorInfo::kNone) stop_error = error;
      }
    }
    for (Outcome& outcome : pool.collect(busy ? std::chrono::microseconds(0) : kPollInterval)) {
      std::string payload;
      put_int(payload, outcome.item);
      if (outcome.error) {
        if (!own_error) own_error = outcome.error;
        channel.send(0, kFailure, payload + pack_error(describe(outcome.error)));
      } else {
        channel.send(0, kResult, payload + outcome.record);
      }
    }
    channel.progress();
  }
  // Every thread got a STOP in reply to its last message, so none holds an item.
  channel.flush();
  if (own_error) std::rethrow_exception(own_error);
  if (stop_error.kind != ErrorInfo::kNone) std::rethrow_exception(make_error(stop_error));
}

void MpiRunner::Impl::abandon_as_worker(const std::exception_ptr& error) {
  // Rank 0 does not return before it has heard from every rank, so the error always reaches it,
  // however early its own threads finish the items.
  const std::string host = processor_name();
  std::string payload;
  put_int(payload, static_cast<std::int64_t>(host.size()));
  Channel channel(comm);
  channel.send(0, kAbandon, payload + host + pack_error(describe(error)));
  channel.flush();
}

MpiRunner::MpiRunner(const MpiSession& session, int n_threads) : impl_(std::make_unique<Impl>()) {
  RNNATLAS_CHECK_ARG(n_threads >= 1, "n_threads = " << n_threads << ": must be >= 1");
  impl_->rank = session.rank();
  impl_->size = session.size();
  impl_->n_threads = n_threads;
  MPI_Comm_dup(MPI_COMM_WORLD, &impl_->comm);
  int total = 0;
  MPI_Allreduce(&n_threads, &total, 1, MPI_INT, MPI_SUM, impl_->comm);
  n_workers_ = total;
}

MpiRunner::~MpiRunner() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;  // the session ended first: nothing left to release
  // A rank that never made its call would leave the others waiting for it forever.
  if (!impl_->ran) {
    abandon(std::make_exception_ptr(std::runtime_error("rank " + std::to_string(impl_->rank) +
                                                       " stopped before the work was handed out")));
  }
  MPI_Comm_free(&impl_->comm);
}

bool MpiRunner::is_coordinator() const { return impl_->rank == 0; }

void MpiRunner::run(const std::vector<int>& items,
                    const std::function<void(int)>& work,
                    const std::function<void(int)>& done) {
  run_with_records(
      items,
      [&](int i) {
        work(i);
        return std::string();
      },
      [&](int i, const std::string&) { done(i); });
}

void MpiRunner::run_with_records(const std::vector<int>& items,
                                 const RecordWork& work,
                                 const RecordDone& done) {
  impl_->ran = true;
  if (impl_->rank == 0) {
    impl_->coordinate(items, work, done, nullptr);
  } else {
    impl_->serve(work);
  }
}

void MpiRunner::abandon(const std::exception_ptr& error) {
  impl_->ran = true;
  try {
    if (impl_->rank == 0) {
      impl_->coordinate({}, {}, {}, error);
    } else {
      impl_->abandon_as_worker(error);
    }
  } catch (...) {
    // The error is the caller's to report.
  }
}

}  // namespace rnnatlas
