#include "rnnatlas/io/network_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "rnnatlas/config.h"
#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A record where every field differs from its default, so a field that is not stored shows up.
NetworkRecord make_record(CellKind cell) {
  NetworkRecord record;
  const Architecture arch{cell, Activation::kSoftplus, /*n_input=*/3, /*n_hidden=*/5,
                          /*n_output=*/2};
  record.init_seed = 0xFEDCBA9876543210ull;  // > 2^63: must survive as uint64
  record.network = Network(arch, record.init_seed);
  // Values whose bits are easy to lose: a subnormal, -0, the largest double, 1/3.
  Eigen::MatrixXd bias = record.network.parameter("readout.bias");
  bias(0, 0) = std::numeric_limits<double>::denorm_min();
  bias(1, 0) = -0.0;
  record.network.set_parameter("readout.bias", bias);
  Eigen::MatrixXd readout = record.network.parameter("readout.weight");
  readout(0, 0) = std::numeric_limits<double>::max();
  readout(1, 4) = 1.0 / 3.0;
  record.network.set_parameter("readout.weight", readout);

  record.task_name = "flip_flop";
  record.task_params = {{"n_bits", 3}, {"n_time", 100}, {"pulse_probability", 0.05}};

  TrainOptions& o = record.train_options;
  o.n_iterations = 7;
  o.n_batch = 9;
  o.learning_rate = 0.0123;
  o.adam_beta1 = 0.8;
  o.adam_beta2 = 0.99;
  o.adam_epsilon = 1e-7;
  o.lr_decay_rate = 0.5;
  o.lr_decay_steps = 11;
  o.gradient_clip_norm = -1.0;
  o.l2 = 1e-4;
  o.divergence_factor = 123.0;
  o.seed = std::numeric_limits<std::uint64_t>::max();
  o.eval_seed = 42;
  o.n_eval_batch = 13;
  o.progress_every = 3;

  TrainSummary& s = record.summary;
  s.termination = Termination::kDiverged;
  s.message = "loss → NaN at iteration 5 (ünïcode)";
  s.n_iterations_done = 5;
  s.loss_history = {1.5, 0.75, 1.0 / 3.0, kInf, kNaN};
  s.seconds = 0.25;
  s.eval.mse = 0.125;
  s.eval.normalized_mse = 0.0625;
  s.eval.sign_accuracy = kNaN;
  s.eval.n_trials = 17;
  return record;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

// A fresh directory per test, removed afterwards.
class NetworkFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    dir_ = fs::temp_directory_path() /
           ("rnnatlas_network_file_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(dir_, ignored);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::vector<std::string> directory_entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  // Saves a valid GRU file and returns its path.
  std::string saved_file(const std::string& name = "net.h5") const {
    std::string file = path(name);
    save_network_file(file, make_record(CellKind::kGru));
    return file;
  }

  fs::path dir_;
};

// Asserts that loading `file` throws IoError whose message contains every substring.
void expect_load_error(const std::string& file, const std::vector<std::string>& substrings) {
  try {
    load_network_file(file);
    ADD_FAILURE() << "expected IoError loading " << file;
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(file));
    for (const std::string& s : substrings) EXPECT_THAT(e.what(), HasSubstr(s));
  }
}

// Opens `file` read-write with HDF5 for tampering; closes on destruction.
class RawFile {
 public:
  explicit RawFile(const std::string& file)
      : id_(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {
    EXPECT_GE(id_, 0) << file;
  }
  ~RawFile() { H5Fclose(id_); }
  hid_t id() const { return id_; }

  // Overwrites an existing scalar attribute of the group (or "/") at `object`.
  void overwrite_attribute(const char* object,
                           const char* name,
                           hid_t mem_type,
                           const void* value) {
    // Open the object first: HDF5 1.10 cannot write an attribute opened with H5Aopen_by_name.
    const hid_t group = H5Oopen(id_, object, H5P_DEFAULT);
    const hid_t attribute = H5Aopen(group, name, H5P_DEFAULT);
    EXPECT_GE(H5Awrite(attribute, mem_type, value), 0) << object << " " << name;
    H5Aclose(attribute);
    H5Oclose(group);
  }

  void overwrite_string_attribute(const char* object, const char* name, const char* value) {
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    overwrite_attribute(object, name, type, &value);
    H5Tclose(type);
  }

  void replace_dataset(const char* path, const std::vector<hsize_t>& dims, double fill) {
    ASSERT_GE(H5Ldelete(id_, path, H5P_DEFAULT), 0);
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t dataset =
        H5Dcreate2(id_, path, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(dataset, 0);
    hsize_t n = 1;
    for (hsize_t d : dims) n *= d;
    const std::vector<double> values(n, fill);
    ASSERT_GE(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
              0);
    H5Dclose(dataset);
    H5Sclose(space);
  }

 private:
  hid_t id_;
};

// ---- Round trips --------------------------------------------------------------------------------

class NetworkFileRoundTrip : public NetworkFileTest,
                             public ::testing::WithParamInterface<CellKind> {};

TEST_P(NetworkFileRoundTrip, RestoresEveryParameterBitForBitAndAllMetadata) {
  const NetworkRecord saved = make_record(GetParam());
  const std::string file = path("net.h5");
  save_network_file(file, saved);
  const NetworkRecord loaded = load_network_file(file);

  const Architecture& a = saved.network.architecture();
  const Architecture& b = loaded.network.architecture();
  EXPECT_EQ(b.cell, a.cell);
  EXPECT_EQ(b.activation, a.activation);
  EXPECT_EQ(b.n_input, a.n_input);
  EXPECT_EQ(b.n_hidden, a.n_hidden);
  EXPECT_EQ(b.n_output, a.n_output);
  EXPECT_EQ(loaded.init_seed, saved.init_seed);
  const Eigen::VectorXd& p = saved.network.parameters();
  const Eigen::VectorXd& q = loaded.network.parameters();
  ASSERT_EQ(q.size(), p.size());
  EXPECT_EQ(std::memcmp(q.data(), p.data(), p.size() * sizeof(double)), 0)
      << "parameters differ in at least one bit";
  EXPECT_TRUE(std::signbit(loaded.network.parameter("readout.bias")(1, 0)));  // -0 kept

  EXPECT_EQ(loaded.task_name, saved.task_name);
  EXPECT_EQ(loaded.task_params, saved.task_params);
  EXPECT_EQ(loaded.library_version, RNNATLAS_VERSION);

  const TrainOptions& o = saved.train_options;
  const TrainOptions& r = loaded.train_options;
  EXPECT_EQ(r.n_iterations, o.n_iterations);
  EXPECT_EQ(r.n_batch, o.n_batch);
  EXPECT_EQ(r.learning_rate, o.learning_rate);
  EXPECT_EQ(r.adam_beta1, o.adam_beta1);
  EXPECT_EQ(r.adam_beta2, o.adam_beta2);
  EXPECT_EQ(r.adam_epsilon, o.adam_epsilon);
  EXPECT_EQ(r.lr_decay_rate, o.lr_decay_rate);
  EXPECT_EQ(r.lr_decay_steps, o.lr_decay_steps);
  EXPECT_EQ(r.gradient_clip_norm, o.gradient_clip_norm);
  EXPECT_EQ(r.l2, o.l2);
  EXPECT_EQ(r.divergence_factor, o.divergence_factor);
  EXPECT_EQ(r.seed, o.seed);
  EXPECT_EQ(r.eval_seed, o.eval_seed);
  EXPECT_EQ(r.n_eval_batch, o.n_eval_batch);
  EXPECT_EQ(r.progress_every, o.progress_every);

  const TrainSummary& s = saved.summary;
  const TrainSummary& t = loaded.summary;
  EXPECT_EQ(t.termination, s.termination);
  EXPECT_EQ(t.message, s.message);
  EXPECT_EQ(t.n_iterations_done, s.n_iterations_done);
  EXPECT_EQ(t.seconds, s.seconds);
  EXPECT_TRUE(same_bits(t.loss_history, s.loss_history)) << "loss history differs";
  EXPECT_EQ(t.eval.mse, s.eval.mse);
  EXPECT_EQ(t.eval.normalized_mse, s.eval.normalized_mse);
  EXPECT_TRUE(std::isnan(t.eval.sign_accuracy));
  EXPECT_EQ(t.eval.n_trials, s.eval.n_trials);

  // The loaded network computes what the saved one does.
  const Eigen::VectorXd state = Eigen::VectorXd::LinSpaced(b.n_state(), -0.5, 0.5);
  const Eigen::VectorXd input = Eigen::VectorXd::LinSpaced(b.n_input, 1.0, -1.0);
  EXPECT_EQ(loaded.network.step(state, input), saved.network.step(state, input));
}

INSTANTIATE_TEST_SUITE_P(
    AllCells,
    NetworkFileRoundTrip,
    ::testing::Values(CellKind::kVanilla, CellKind::kGru, CellKind::kLstm, CellKind::kUgrnn),
    [](const auto& info) { return std::string(to_string(info.param)); });

TEST_F(NetworkFileTest, UntrainedRecordWithEmptyHistoryRoundTrips) {
  NetworkRecord record;  // default architecture, no task, train() never called
  const std::string file = path("untrained.h5");
  save_network_file(file, record);
  const NetworkRecord loaded = load_network_file(file);
  EXPECT_EQ(loaded.network.parameters(), record.network.parameters());
  EXPECT_EQ(loaded.task_name, "");
  EXPECT_TRUE(loaded.task_params.empty());
  EXPECT_TRUE(loaded.summary.loss_history.empty());
  EXPECT_EQ(loaded.summary.termination, Termination::kNotRun);
  EXPECT_EQ(loaded.summary.message, record.summary.message);
  EXPECT_TRUE(std::isnan(loaded.summary.eval.mse));
}

// ---- Atomic writes ------------------------------------------------------------------------------

TEST_F(NetworkFileTest, SaveLeavesOnlyTheDestination) {
  saved_file("a.h5");
  saved_file("b.h5");
  auto entries = directory_entries();
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<std::string>{"a.h5", "b.h5"}));
}

TEST_F(NetworkFileTest, SaveOverwritesAnExistingFile) {
  const std::string file = path("net.h5");
  save_network_file(file, make_record(CellKind::kLstm));
  const NetworkRecord second = make_record(CellKind::kVanilla);
  save_network_file(file, second);
  const NetworkRecord loaded = load_network_file(file);
  EXPECT_EQ(loaded.network.architecture().cell, CellKind::kVanilla);
  EXPECT_EQ(loaded.network.parameters(), second.network.parameters());
  EXPECT_EQ(directory_entries(), std::vector<std::string>{"net.h5"});
}

TEST_F(NetworkFileTest, SaveIntoMissingDirectoryThrowsAndLeavesNothing) {
  const std::string file = path("missing/net.h5");
  try {
    save_network_file(file, make_record(CellKind::kGru));
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(file), HasSubstr("No such file or directory")));
  }
  EXPECT_TRUE(directory_entries().empty());
}

TEST_F(NetworkFileTest, SaveBelowARegularFileThrows) {
  const std::string blocker = saved_file("blocker");
  const std::string file = blocker + "/net.h5";
  try {
    save_network_file(file, make_record(CellKind::kGru));
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(file), HasSubstr("Not a directory")));
  }
  EXPECT_EQ(directory_entries(), std::vector<std::string>{"blocker"});
}

TEST_F(NetworkFileTest, SaveOverADirectoryThrowsAndRemovesTheTemporaryFile) {
  fs::create_directory(path("net.h5"));
  try {
    save_network_file(path("net.h5"), make_record(CellKind::kGru));
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(path("net.h5")), HasSubstr("rename")));
  }
  EXPECT_EQ(directory_entries(), std::vector<std::string>{"net.h5"});  // the directory only
}

TEST_F(NetworkFileTest, SaveIntoReadOnlyDirectoryThrowsAndLeavesNothing) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  try {
    save_network_file(path("net.h5"), make_record(CellKind::kGru));
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(path("net.h5")), HasSubstr("Permission denied")));
  }
  fs::permissions(dir_, fs::perms::owner_all);
  EXPECT_TRUE(directory_entries().empty());
}

// ---- Unreadable files ---------------------------------------------------------------------------

TEST_F(NetworkFileTest, MissingFileIsReported) {
  expect_load_error(path("nothing.h5"), {"no such file"});
}

TEST_F(NetworkFileTest, DirectoryIsReported) {
  expect_load_error(dir_.string(), {"is a directory"});
}

TEST_F(NetworkFileTest, EmptyFileIsNotReadableHdf5) {
  std::ofstream(path("empty.h5")).close();
  expect_load_error(path("empty.h5"), {"not a readable HDF5 file (truncated or corrupt)", "empty"});
}

TEST_F(NetworkFileTest, TruncatedFileIsNotReadableHdf5) {
  const std::string file = saved_file();
  fs::resize_file(file, fs::file_size(file) / 2);
  expect_load_error(file, {"not a readable HDF5 file (truncated or corrupt)", "truncated"});
}

TEST_F(NetworkFileTest, GarbageIsNotReadableHdf5) {
  std::ofstream out(path("garbage.h5"), std::ios::binary);
  for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 7919) % 251));
  out.close();
  expect_load_error(path("garbage.h5"), {"not a readable HDF5 file (truncated or corrupt)"});
}

TEST_F(NetworkFileTest, ForeignHdf5FileIsNotANetworkFile) {
  const std::string file = path("foreign.h5");
  const hid_t id = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(id, 0);
  H5Fclose(id);
  expect_load_error(file, {"not an rnnatlas network file", "'format'"});
}

TEST_F(NetworkFileTest, WrongFormatNameIsNotANetworkFile) {
  const std::string file = saved_file();
  RawFile(file).overwrite_string_attribute("/", "format", "someone.else");
  expect_load_error(file, {"not an rnnatlas network file", "someone.else"});
}

TEST_F(NetworkFileTest, NewerFormatVersionAsksForAnUpgrade) {
  const std::string file = saved_file();
  const std::int64_t version = 99;
  RawFile(file).overwrite_attribute("/", "format_version", H5T_NATIVE_INT64, &version);
  expect_load_error(
      file, {"newer rnnatlas", "99 > " + std::to_string(kNetworkFileFormatVersion), "upgrade"});
}

// ---- Damaged contents ---------------------------------------------------------------------------

TEST_F(NetworkFileTest, MissingDatasetIsNamed) {
  const std::string file = saved_file();
  {
    RawFile raw(file);
    ASSERT_GE(H5Ldelete(raw.id(), "/model/parameters/weight_hh_l0", H5P_DEFAULT), 0);
  }
  expect_load_error(file, {"missing dataset /model/parameters/weight_hh_l0"});
}

TEST_F(NetworkFileTest, MissingAttributeIsNamed) {
  const std::string file = saved_file();
  {
    RawFile raw(file);
    ASSERT_GE(H5Adelete_by_name(raw.id(), "/training", "learning_rate", H5P_DEFAULT), 0);
  }
  expect_load_error(file, {"missing attribute 'learning_rate' of /training"});
}

TEST_F(NetworkFileTest, MisShapedDatasetGivesBothShapes) {
  const std::string file = saved_file();  // GRU, n_input 3, n_hidden 5: weight_hh_l0 is [15, 5]
  RawFile(file).replace_dataset("/model/parameters/weight_hh_l0", {5, 15}, 0.5);
  expect_load_error(file, {"/model/parameters/weight_hh_l0", "[5, 15]", "expected [15, 5]"});
}

TEST_F(NetworkFileTest, TwoDimensionalBiasIsRejected) {
  const std::string file = saved_file();
  RawFile(file).replace_dataset("/model/parameters/bias_ih_l0", {15, 1}, 0.5);
  expect_load_error(file, {"/model/parameters/bias_ih_l0", "[15, 1]", "expected [15]"});
}

TEST_F(NetworkFileTest, NonFiniteParameterIsRejected) {
  const std::string file = saved_file();
  RawFile(file).replace_dataset("/model/parameters/readout.weight", {2, 5}, kNaN);
  expect_load_error(file, {"/model/parameters/readout.weight", "non-finite"});
}

TEST_F(NetworkFileTest, InvalidArchitectureIsReported) {
  const std::string file = saved_file();
  const std::int64_t n_hidden = 0;
  RawFile(file).overwrite_attribute("/model", "n_hidden", H5T_NATIVE_INT64, &n_hidden);
  expect_load_error(file, {"invalid architecture", "n_hidden"});
}

TEST_F(NetworkFileTest, UnknownCellNameIsReported) {
  const std::string file = saved_file();
  RawFile(file).overwrite_string_attribute("/model", "cell", "transformer");
  expect_load_error(file, {"attribute 'cell' of /model", "transformer"});
}

TEST_F(NetworkFileTest, AttributeOfWrongTypeIsReported) {
  const std::string file = saved_file();
  {
    RawFile raw(file);
    ASSERT_GE(H5Adelete_by_name(raw.id(), "/training", "n_batch", H5P_DEFAULT), 0);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t attribute = H5Acreate_by_name(raw.id(), "/training", "n_batch", H5T_IEEE_F64LE,
                                              space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const double value = 9.5;
    ASSERT_GE(H5Awrite(attribute, H5T_NATIVE_DOUBLE, &value), 0);
    H5Aclose(attribute);
    H5Sclose(space);
  }
  expect_load_error(file, {"attribute 'n_batch' of /training", "must be an integer"});
}

// Found by fuzzing: a NaN task parameter was read, and the record then differed from itself.
TEST_F(NetworkFileTest, TaskThatCannotBeBuiltIsReported) {
  const std::string nan_param = saved_file("nan_param.h5");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  RawFile(nan_param).overwrite_attribute("/task/params", "pulse_probability", H5T_NATIVE_DOUBLE,
                                         &nan);
  expect_load_error(nan_param, {"group /task does not describe a valid task",
                                "pulse_probability = nan", "must be finite"});

  const std::string unknown_param = saved_file("unknown_param.h5");
  ASSERT_GE(H5Arename_by_name(RawFile(unknown_param).id(), "/task/params", "pulse_probability",
                              "p_flip", H5P_DEFAULT),
            0);
  expect_load_error(unknown_param, {"group /task", "unknown parameter 'p_flip'"});

  NetworkRecord record = make_record(CellKind::kGru);
  record.task_params["p_flip"] = 0.05;
  EXPECT_THROW(save_network_file(path("refused.h5"), record), InvalidArgument);
}

TEST_F(NetworkFileTest, LossHistoryMustMatchIterationsDone) {
  NetworkRecord record = make_record(CellKind::kGru);
  record.summary.n_iterations_done = 4;  // the history has 5 entries
  EXPECT_THROW(save_network_file(path("net.h5"), record), InvalidArgument);
  EXPECT_TRUE(directory_entries().empty());

  const std::string file = saved_file();
  RawFile(file).replace_dataset("/training/loss", {3}, 1.0);
  expect_load_error(file, {"/training/loss", "[3]", "expected [5]"});
}

// HDF5's own error printing is silenced: a failed load writes nothing to stderr.
TEST_F(NetworkFileTest, FailuresPrintNothing) {
  const std::string file = saved_file();
  fs::resize_file(file, fs::file_size(file) / 2);
  ::testing::internal::CaptureStderr();
  EXPECT_THROW(load_network_file(file), IoError);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace rnnatlas
