#include "rnnatlas/sweep/sweep_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <type_traits>

#include "rnnatlas/error.h"

namespace rnnatlas {
namespace {

using ::testing::HasSubstr;

constexpr const char* kGood = R"(seed = 5
[task]
name = "flip_flop"
n_time = 50
n_bits = 2

[grid]
cell = ["vanilla", "gru"]
activation = ["tanh", "relu"]
n_hidden = [8, 16]
l2 = [0.0, 1e-4]
n_iterations = 20
seeds = 3

[evaluation]
n_eval_batch = 64
eval_seed = 11

[keep]
max_normalized_mse = 0.05
)";

TEST(SweepSpec, GoodConfigParses) {
  const SweepSpec spec = parse_sweep_config(kGood, "good.toml");
  EXPECT_EQ(spec.task_name, "flip_flop");
  EXPECT_EQ(spec.task_params.at("n_time"), 50);
  EXPECT_EQ(spec.task_params.at("n_bits"), 2);
  EXPECT_EQ(spec.n_input, 2);
  EXPECT_EQ(spec.n_output, 2);
  EXPECT_EQ(spec.seed, 5u);
  EXPECT_EQ(spec.seeds, (std::vector<std::uint64_t>{0, 1, 2}));
  EXPECT_EQ(spec.n_grid_points(), 16);
  EXPECT_EQ(spec.n_networks(), 48);
  EXPECT_EQ(spec.n_eval_batch, 64);
  EXPECT_EQ(spec.eval_seed, 11u);
  EXPECT_EQ(spec.max_normalized_mse, 0.05);

  const SweepNetwork last = spec.network(47);
  EXPECT_EQ(last.architecture.cell, CellKind::kGru);
  EXPECT_EQ(last.architecture.activation, Activation::kRelu);
  EXPECT_EQ(last.architecture.n_hidden, 16);
  EXPECT_EQ(last.architecture.n_input, 2);
  EXPECT_EQ(last.train_options.l2, 1e-4);
  EXPECT_EQ(last.train_options.n_iterations, 20);
  EXPECT_EQ(last.train_options.n_eval_batch, 64);
  EXPECT_EQ(last.train_options.eval_seed, 11u);
  // Fields not in the grid keep the library defaults.
  EXPECT_EQ(last.train_options.learning_rate, TrainOptions{}.learning_rate);
  EXPECT_EQ(last.train_options.n_batch, TrainOptions{}.n_batch);
  EXPECT_NO_THROW(last.architecture.validate());
  EXPECT_NO_THROW(last.train_options.validate());
}

TEST(SweepSpec, ExpansionOrderIsFixedLastAxisFastestSeedsInnermost) {
  const SweepSpec spec = parse_sweep_config(kGood, "good.toml");
  EXPECT_EQ(spec.network(0).id, "0000-vanilla-tanh-h8-l2_0-s0");
  EXPECT_EQ(spec.network(1).id, "0001-vanilla-tanh-h8-l2_0-s1");
  EXPECT_EQ(spec.network(3).id, "0003-vanilla-tanh-h8-l2_1e-4-s0");
  EXPECT_EQ(spec.network(6).id, "0006-vanilla-tanh-h16-l2_0-s0");
  EXPECT_EQ(spec.network(12).id, "0012-vanilla-relu-h8-l2_0-s0");
  EXPECT_EQ(spec.network(24).id, "0024-gru-tanh-h8-l2_0-s0");
  EXPECT_EQ(spec.network(47).id, "0047-gru-relu-h16-l2_1e-4-s2");
  for (int i = 0; i < spec.n_networks(); ++i) {
    EXPECT_EQ(spec.network(i).index, i);
    EXPECT_EQ(spec.network(i).grid_index, i / 3);
  }
  EXPECT_THROW(spec.network(48), InvalidArgument);
  EXPECT_THROW(spec.network(-1), InvalidArgument);
}

TEST(SweepSpec, KeyOrderInTheFileDoesNotChangeTheExpansion) {
  const std::string reordered = R"(
[keep]
max_normalized_mse = 0.05
[evaluation]
eval_seed = 11
n_eval_batch = 64
[grid]
seeds = [0, 1, 2]   # same as seeds = 3
n_iterations = [20]
l2 = [0, 0.0001]
n_hidden = [8, 16]
activation = ["tanh", "relu"]
cell = ["vanilla", "GRU"]
[task]
n_bits = 2
n_time = 50
name = "flipflop"
)";
  const SweepSpec a = parse_sweep_config(kGood, "a.toml");
  const SweepSpec b = parse_sweep_config("seed = 5\n" + reordered, "b.toml");
  EXPECT_EQ(a.canonical_text(), b.canonical_text());
  EXPECT_EQ(a.hash(), b.hash());
  for (int i = 0; i < a.n_networks(); ++i) {
    EXPECT_EQ(a.network(i).id, b.network(i).id);
    EXPECT_EQ(a.network(i).init_seed, b.network(i).init_seed);
    EXPECT_EQ(a.network(i).train_options.seed, b.network(i).train_options.seed);
  }
}

TEST(SweepSpec, HashChangesWithAnyValue) {
  const SweepSpec a = parse_sweep_config(kGood, "a.toml");
  std::string changed = kGood;
  changed.replace(changed.find("n_time = 50"), 11, "n_time = 51");
  EXPECT_NE(a.hash(), parse_sweep_config(changed, "b.toml").hash());
  changed = kGood;
  changed.replace(changed.find("seed = 5"), 8, "seed = 6");
  EXPECT_NE(a.hash(), parse_sweep_config(changed, "b.toml").hash());
  EXPECT_EQ(a.hash().size(), 16u);
}

/// The network with the given model and seed value in `spec`.
SweepNetwork find(
    const SweepSpec& spec, CellKind cell, int n_hidden, double l2, std::uint64_t seed) {
  for (int i = 0; i < spec.n_networks(); ++i) {
    SweepNetwork n = spec.network(i);
    if (n.architecture.cell == cell && n.architecture.n_hidden == n_hidden &&
        n.train_options.l2 == l2 && n.seed == seed &&
        n.architecture.activation == Activation::kTanh) {
      return n;
    }
  }
  ADD_FAILURE() << "network not found";
  return {};
}

TEST(SweepSpec, SeedsDependOnlyOnConfigSeedModelAndSeedValue) {
  const SweepSpec big = parse_sweep_config(kGood, "big.toml");
  const SweepSpec small = parse_sweep_config(R"(seed = 5
[task]
name = "flip_flop"
n_time = 50
n_bits = 2
[grid]
cell = "gru"
n_hidden = [16]
seeds = [2]
)",
                                             "small.toml");
  ASSERT_EQ(small.n_networks(), 1);
  const SweepNetwork in_big = find(big, CellKind::kGru, 16, 0.0, 2);
  const SweepNetwork alone = small.network(0);
  EXPECT_NE(in_big.index, alone.index);
  EXPECT_EQ(in_big.init_seed, alone.init_seed);
  EXPECT_EQ(in_big.train_options.seed, alone.train_options.seed);

  // Networks differing only in a training field start from the same weights and trials.
  const SweepNetwork l2 = find(big, CellKind::kGru, 16, 1e-4, 2);
  EXPECT_EQ(l2.init_seed, in_big.init_seed);
  EXPECT_EQ(l2.train_options.seed, in_big.train_options.seed);
  // A different model or seed value gives different weights.
  EXPECT_NE(find(big, CellKind::kGru, 8, 0.0, 2).init_seed, in_big.init_seed);
  EXPECT_NE(find(big, CellKind::kVanilla, 16, 0.0, 2).init_seed, in_big.init_seed);
  EXPECT_NE(find(big, CellKind::kGru, 16, 0.0, 1).init_seed, in_big.init_seed);
  EXPECT_NE(find(big, CellKind::kGru, 16, 0.0, 1).train_options.seed, in_big.train_options.seed);

  // All init seeds of distinct (model, seed) pairs are distinct; the config seed changes them all.
  std::set<std::uint64_t> init_seeds;
  for (int i = 0; i < big.n_networks(); ++i) init_seeds.insert(big.network(i).init_seed);
  EXPECT_EQ(init_seeds.size(), 8u * 3u);  // 2 cells x 2 activations x 2 sizes x 3 seeds
  std::string other = kGood;
  other.replace(other.find("seed = 5"), 8, "seed = 6");
  const SweepSpec reseeded = parse_sweep_config(other, "other.toml");
  EXPECT_NE(reseeded.network(0).init_seed, big.network(0).init_seed);
  EXPECT_NE(reseeded.network(0).train_options.seed, big.network(0).train_options.seed);
}

TEST(SweepSpec, GridValuesAreFormattedShortAndExact) {
  EXPECT_EQ(format_grid_value("l2", 1e-4), "1e-4");
  EXPECT_EQ(format_grid_value("l2", 0), "0");
  EXPECT_EQ(format_grid_value("l2", 2.5e-5), "2.5e-5");
  EXPECT_EQ(format_grid_value("learning_rate", 0.001), "0.001");
  EXPECT_EQ(format_grid_value("learning_rate", 0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_grid_value("n_hidden", 64), "64");
  EXPECT_EQ(format_grid_value("cell", static_cast<double>(CellKind::kLstm)), "lstm");
  EXPECT_EQ(format_grid_value("activation", static_cast<double>(Activation::kRelu)), "relu");
}

// ---- Errors: each names the file, the line and the key -----------------------------------------

struct BadConfig {
  std::string name;
  std::string text;
  std::vector<std::string> expected;  // substrings of the message
};

class SweepSpecError : public ::testing::TestWithParam<BadConfig> {};

TEST_P(SweepSpecError, NamesFileLineAndKey) {
  const BadConfig& c = GetParam();
  try {
    parse_sweep_config(c.text, "bad.toml");
    FAIL() << "no error for " << c.name;
  } catch (const InvalidArgument& e) {
    for (const std::string& s : c.expected) EXPECT_THAT(e.what(), HasSubstr(s));
    // The key the user typed, never the C++ type behind it.
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("Options")));
  }
}

const char* kTask = "[task]\nname = \"flip_flop\"\n";  // lines 1-2

INSTANTIATE_TEST_SUITE_P(
    Configs,
    SweepSpecError,
    ::testing::Values(
        BadConfig{"unknown_top_key",
                  "oops = 1\n" + std::string(kTask),
                  {"bad.toml:1:", "oops", "unknown key", "[grid]"}},
        BadConfig{"unknown_table",
                  std::string(kTask) + "[model]\ncell = \"gru\"\n",
                  {"bad.toml:3:", "model", "unknown key"}},
        BadConfig{"unknown_grid_key",
                  std::string(kTask) + "[grid]\nhidden = [8]\n",
                  {"bad.toml:4:", "[grid] hidden", "unknown key", "n_hidden"}},
        BadConfig{"wrong_type_int",
                  std::string(kTask) + "[grid]\nn_hidden = [8, \"big\"]\n",
                  {"bad.toml:4:", "[grid] n_hidden", "expected an integer", "big"}},
        BadConfig{"float_for_int",
                  std::string(kTask) + "[grid]\nn_iterations = 1.5\n",
                  {"bad.toml:4:", "[grid] n_iterations", "expected an integer"}},
        BadConfig{"wrong_type_double",
                  std::string(kTask) + "[grid]\nl2 = \"none\"\n",
                  {"bad.toml:4:", "[grid] l2", "expected a number"}},
        BadConfig{"empty_list",
                  std::string(kTask) + "[grid]\n\nl2 = []\n",
                  {"bad.toml:5:", "[grid] l2", "empty list"}},
        BadConfig{"impossible_n_hidden",
                  std::string(kTask) + "[grid]\nn_hidden = [\n  8,\n  0,\n]\n",
                  {"bad.toml:6:", "[grid] n_hidden = 0: must be >= 1"}},
        BadConfig{"impossible_learning_rate",
                  std::string(kTask) + "[grid]\nlearning_rate = -1e-3\n",
                  {"bad.toml:4:", "[grid] learning_rate = -0.001: must be > 0"}},
        BadConfig{"impossible_beta",
                  std::string(kTask) + "[grid]\nadam_beta1 = [0.9, 1.0]\n",
                  {"bad.toml:4:", "adam_beta1", "[0, 1)"}},
        BadConfig{"duplicate_value",
                  std::string(kTask) + "[grid]\ncell = [\"gru\", \"GRU\"]\n",
                  {"bad.toml:4:", "[grid] cell", "gru", "twice"}},
        BadConfig{"unknown_cell",
                  std::string(kTask) + "[grid]\ncell = [\"gru\", \"transformer\"]\n",
                  {"bad.toml:4:", "[grid] cell", "transformer", "lstm"}},
        BadConfig{"zero_seeds",
                  std::string(kTask) + "[grid]\nseeds = 0\n",
                  {"bad.toml:4:", "seeds", "count"}},
        BadConfig{"negative_seed",
                  std::string(kTask) + "[grid]\nseeds = [1, -2]\n",
                  {"bad.toml:4:", "seeds", "non-negative"}},
        BadConfig{"duplicate_seed",
                  std::string(kTask) + "[grid]\nseeds = [1, 1]\n",
                  {"bad.toml:4:", "seeds", "twice"}},
        BadConfig{"no_task", "[grid]\nn_hidden = 8\n", {"bad.toml", "[task]", "flip_flop"}},
        BadConfig{"task_without_name", "[task]\nn_time = 5\n", {"bad.toml:1:", "name"}},
        BadConfig{"unknown_task",
                  "[task]\nname = \"juggling\"\n",
                  {"bad.toml:2:", "[task] name", "juggling"}},
        BadConfig{"top_level_key_after_task_is_a_task_param",
                  std::string(kTask) + "seed = 3\n",
                  {"bad.toml:3:", "[task] seed", "unknown key"}},
        BadConfig{"unknown_task_param",
                  std::string(kTask) + "n_tme = 5\n",
                  {"bad.toml:3:", "[task] n_tme", "unknown key", "n_time"}},
        BadConfig{"bad_task_value",
                  std::string(kTask) + "n_bits = 3\nn_time = 0\n",
                  {"bad.toml:4:", "[task] n_time = 0: must be >= 1"}},
        BadConfig{"task_param_type",
                  std::string(kTask) + "n_time = \"long\"\n",
                  {"bad.toml:3:", "[task] n_time", "expected a number"}},
        BadConfig{"bad_keep",
                  std::string(kTask) + "[keep]\nmax_normalized_mse = 0\n",
                  {"bad.toml:4:", "[keep] max_normalized_mse", "> 0"}},
        BadConfig{"unknown_keep_key",
                  std::string(kTask) + "[keep]\nmax_mse = 0.1\n",
                  {"bad.toml:4:", "[keep] max_mse", "max_normalized_mse"}},
        BadConfig{"bad_eval",
                  std::string(kTask) + "[evaluation]\nn_eval_batch = 0\n",
                  {"bad.toml:4:", "[evaluation] n_eval_batch", ">= 1"}},
        BadConfig{"negative_config_seed",
                  "seed = -1\n" + std::string(kTask),
                  {"bad.toml:1:", "seed", "non-negative"}},
        BadConfig{"syntax_error", std::string(kTask) + "[grid]\nn_hidden = [8,\n", {"bad.toml:"}},
        BadConfig{
            "too_many_networks",
            std::string(kTask) +
                "[grid]\nn_hidden = [1,2,3,4,5,6,7,8,9,10]\nn_batch = [1,2,3,4,5,6,7,8,9,10]\n"
                "n_iterations = [1,2,3,4,5,6,7,8,9,10]\nseeds = 100000\n",
            {"bad.toml", "more than"}}),
    [](const ::testing::TestParamInfo<BadConfig>& info) { return info.param.name; });

// Growing: kGood with two more seeds, another n_hidden and another l2 (which makes l2 appear in
// the names of the networks it adds).
std::string grown_config() {
  std::string text = kGood;
  text.replace(text.find("n_hidden = [8, 16]"), 18, "n_hidden = [8, 16, 32]");
  text.replace(text.find("l2 = [0.0, 1e-4]"), 16, "l2 = [0.0, 1e-4, 1e-3]");
  text.replace(text.find("seeds = 3"), 9, "seeds = 5");
  return text;
}

TEST(SweepSpec, AGrownGridExtendsTheOriginal) {
  const SweepSpec base = parse_sweep_config(kGood, "base.toml");
  const SweepSpec grown = parse_sweep_config(grown_config(), "grown.toml");
  EXPECT_EQ(extension_mismatch(base, grown), "");
  EXPECT_EQ(extension_mismatch(base, base), "");
  EXPECT_THAT(extension_mismatch(grown, base),
              HasSubstr("[grid] n_hidden: 32 is not in this config (it has 8, 16)"));
  EXPECT_THAT(extension_mismatch(grown, base), HasSubstr("[grid] seeds: 3, 4 are not in"));

  // A training key not in [grid] before had its default: listing it with another value extends.
  const std::string default_rate = format_grid_value("learning_rate", TrainOptions{}.learning_rate);
  std::string text = kGood;
  text.replace(text.find("seeds = 3"), 9, "seeds = 3\nlearning_rate = [0.5, " + default_rate + "]");
  const SweepSpec with_rate = parse_sweep_config(text, "rate.toml");
  EXPECT_EQ(extension_mismatch(base, with_rate), "");
  EXPECT_EQ(grown_networks({base, with_rate})[0].id, base.network(0).id);
  text = kGood;
  text.replace(text.find("seeds = 3"), 9, "seeds = 3\nlearning_rate = 0.5");
  EXPECT_THAT(extension_mismatch(base, parse_sweep_config(text, "rate.toml")),
              HasSubstr("[grid] learning_rate: " + default_rate + " is not in this config"));
}

TEST(SweepSpec, ChangedSettingsOutsideTheGridDoNotExtend) {
  const SweepSpec base = parse_sweep_config(kGood, "base.toml");
  auto changed = [&](const std::string& from, const std::string& to) {
    std::string text = grown_config();
    text.replace(text.find(from), from.size(), to);
    return extension_mismatch(base, parse_sweep_config(text, "changed.toml"));
  };
  EXPECT_EQ(changed("n_time = 50", "n_time = 40"), "[task] n_time: 50 there, 40 here");
  EXPECT_EQ(changed("seed = 5", "seed = 6"), "seed: 5 there, 6 here");
  EXPECT_EQ(changed("eval_seed = 11", "eval_seed = 12"),
            "[evaluation] eval_seed: 11 there, 12 here");
  EXPECT_EQ(changed("max_normalized_mse = 0.05", "max_normalized_mse = 0.1"),
            "[keep] max_normalized_mse: 0.05 there, 0.1 here");
  EXPECT_EQ(changed("n_iterations = 20", "n_iterations = 30"),
            "[grid] n_iterations: 20 is not in this config (it has 30)");
  EXPECT_THAT(changed("name = \"flip_flop\"\nn_time = 50\nn_bits = 2", "name = \"sine_wave\""),
              HasSubstr("[task] name: flip_flop there, sine_wave here"));
}

TEST(SweepSpec, GrownNetworksKeepTheirIdsAndSettings) {
  const SweepSpec base = parse_sweep_config(kGood, "base.toml");
  const SweepSpec grown = parse_sweep_config(grown_config(), "grown.toml");
  const std::vector<SweepNetwork> networks = grown_networks({base, grown});
  ASSERT_EQ(static_cast<int>(networks.size()), grown.n_networks());  // 4 x 3 x 3 x 5 = 180
  std::set<std::string> ids;
  for (int i = 0; i < base.n_networks(); ++i) {  // the original networks first, unchanged
    const SweepNetwork old = base.network(i);
    EXPECT_EQ(networks[i].id, old.id);
    EXPECT_EQ(networks[i].index, i);
    EXPECT_EQ(networks[i].seed, old.seed);
    EXPECT_EQ(networks[i].init_seed, old.init_seed);
    EXPECT_EQ(networks[i].train_options.seed, old.train_options.seed);
    EXPECT_EQ(networks[i].train_options.l2, old.train_options.l2);
    EXPECT_EQ(networks[i].architecture.n_hidden, old.architecture.n_hidden);
  }
  for (const SweepNetwork& n : networks) ids.insert(n.id);
  EXPECT_EQ(ids.size(), networks.size());
  // Then the added ones, in the grown config's order, numbered on: its first is vanilla tanh
  // h8 l2 0 with seed 3, named as the grown config names it.
  EXPECT_EQ(networks[48].id, "0048-vanilla-tanh-h8-l2_0-s3");
  EXPECT_EQ(networks[48].index, 48);
  const SweepNetwork& last = networks.back();
  EXPECT_EQ(last.id, "0179-gru-relu-h32-l2_0.001-s4");
  const SweepNetwork expected = grown.network(grown.n_networks() - 1);
  EXPECT_EQ(last.init_seed, expected.init_seed);
  EXPECT_EQ(last.grid_index, expected.grid_index);
  // One generation: the config's own order.
  const std::vector<SweepNetwork> plain = grown_networks({grown});
  for (int i = 0; i < grown.n_networks(); i += 17) EXPECT_EQ(plain[i].id, grown.network(i).id);
  // A chain that shrinks is refused.
  EXPECT_THROW(grown_networks({grown, base}), InvalidArgument);
}

}  // namespace
}  // namespace rnnatlas

namespace rnnatlas {
namespace {

// The training axes of a grid are fields of TrainOptions::schema(): stored with each network, set
// and read back through the schema without rounding.
TEST(SweepSpec, TrainingGridKeysAreStoredSchemaFields) {
  const Architecture a;
  for (const std::string& key : sweep_grid_keys()) {
    if (key == "cell" || key == "activation" || key == "n_hidden") continue;
    const OptionField<TrainOptions>* f = TrainOptions::schema().find(key);
    ASSERT_NE(f, nullptr) << key;
    EXPECT_TRUE(f->is(kStored) && f->is(kSettable)) << key;
    TrainOptions o;
    const double value = f->visit(o, [](auto& v) {
      v = std::is_same_v<std::decay_t<decltype(v)>, double> ? 0.375 : 7;
      return static_cast<double>(v);
    });
    EXPECT_EQ(grid_value(key, a, o), value) << key;
    EXPECT_NE(grid_value(key, a, TrainOptions{}), value) << key;
  }
}

}  // namespace
}  // namespace rnnatlas
