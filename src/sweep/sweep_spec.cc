#include "rnnatlas/sweep/sweep_spec.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <utility>

#include "common/random.h"
#include "rnnatlas/error.h"
#include "rnnatlas/format.h"
#include "rnnatlas/types.h"

namespace rnnatlas {
namespace {

enum class FieldKind { kCell, kActivation, kInt, kDouble };

/// A grid field: its key, its type and the short label used in network names.
struct GridField {
  std::string_view key;
  FieldKind kind;
  std::string_view label;
};

// Expansion order: model first, then the training fields that studies vary most.
constexpr GridField kGridFields[] = {
    {"cell", FieldKind::kCell, ""},
    {"activation", FieldKind::kActivation, ""},
    {"n_hidden", FieldKind::kInt, "h"},
    {"learning_rate", FieldKind::kDouble, "lr"},
    {"lr_decay_rate", FieldKind::kDouble, "decay"},
    {"lr_decay_steps", FieldKind::kInt, "decaysteps"},
    {"l2", FieldKind::kDouble, "l2"},
    {"n_iterations", FieldKind::kInt, "it"},
    {"n_batch", FieldKind::kInt, "batch"},
    {"gradient_clip_norm", FieldKind::kDouble, "clip"},
    {"adam_beta1", FieldKind::kDouble, "beta1"},
    {"adam_beta2", FieldKind::kDouble, "beta2"},
    {"adam_epsilon", FieldKind::kDouble, "eps"},
    {"divergence_factor", FieldKind::kDouble, "divf"},
};
constexpr int kNumModelFields = 3;  // cell, activation, n_hidden: they alone seed the weights
constexpr std::int64_t kMaxNetworks = 10'000'000;

// Domains of derive_seed, so that the two seeds of a network are independent streams.
constexpr std::uint64_t kInitDomain = 0x696e6974;  // "init"
constexpr std::uint64_t kTrainDomain = 0x74726e;   // "trn"

const GridField& field(std::string_view key) {
  for (const GridField& f : kGridFields) {
    if (f.key == key) return f;
  }
  RNNATLAS_ASSERT(false, "unknown grid field " << key);
  return kGridFields[0];
}

/// Writes grid value `v` of `key` into the architecture or the options.
void apply(std::string_view key, double v, Architecture& a, TrainOptions& o) {
  // Only the integer fields convert: their values are whole numbers within int (read_grid_value
  // checks), while converting any other value (learning_rate = 1e23) would be undefined.
  const auto i = [v] { return static_cast<int>(v); };
  if (key == "cell") {
    a.cell = static_cast<CellKind>(i());
  } else if (key == "activation") {
    a.activation = static_cast<Activation>(i());
  } else if (key == "n_hidden") {
    a.n_hidden = i();
  } else {
    const OptionField<TrainOptions>* f = TrainOptions::schema().find(key);
    RNNATLAS_ASSERT(f != nullptr, "unknown grid field " << key);
    f->visit(o, [&](auto& value) {
      using T = std::decay_t<decltype(value)>;
      RNNATLAS_ASSERT((!std::is_same_v<T, std::uint64_t>), "grid field " << key << " is a seed");
      value = std::is_same_v<T, int> ? static_cast<T>(i()) : static_cast<T>(v);
    });
  }
}

/// The library default of grid field `key`.
double default_value(std::string_view key) {
  return grid_value(key, Architecture{}, TrainOptions{});
}

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// The shortest "%.*<conversion>" rendering of v that reads back exactly.
std::string shortest(double v, char conversion) {
  char buf[64];
  for (int precision = conversion == 'e' ? 0 : 1; precision <= 17; ++precision) {
    const char format[] = {'%', '.', '*', conversion, '\0'};
    std::snprintf(buf, sizeof buf, format, precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

/// "1e-04" -> "1e-4", "2.5e+06" -> "2.5e6".
std::string tidy_exponent(std::string s) {
  const std::size_t e = s.find('e');
  if (e == std::string::npos) return s;
  std::string mantissa = s.substr(0, e);
  std::string exponent = s.substr(e + 1);
  std::string sign;
  if (exponent[0] == '+' || exponent[0] == '-') {
    if (exponent[0] == '-') sign = "-";
    exponent = exponent.substr(1);
  }
  const std::size_t nonzero = exponent.find_first_not_of('0');
  exponent = nonzero == std::string::npos ? "0" : exponent.substr(nonzero);
  return mantissa + "e" + sign + exponent;
}

// ---- TOML reading -----------------------------------------------------------------------------

/// Builds "<source>:<line>: <message>" errors.
class Reader {
 public:
  explicit Reader(const std::string& source) : source_(source) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& message) const {
    throw InvalidArgument(source_ + ":" + std::to_string(where.begin.line) + ": " + message);
  }
  [[noreturn]] void fail(const std::string& message) const {
    throw InvalidArgument(source_ + ": " + message);
  }

 private:
  std::string source_;
};

std::string type_name(const toml::node& node) {
  std::ostringstream ss;
  ss << node.type();
  return ss.str();
}

std::string node_text(const toml::node& node) {
  std::ostringstream ss;
  ss << toml::node_view<const toml::node>(node);
  return ss.str();
}

/// A number (integer or float) or nullopt.
std::optional<double> as_number(const toml::node& node) {
  if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
  if (const auto* f = node.as_floating_point()) return f->get();
  return std::nullopt;
}

/// A non-negative 64-bit integer or nullopt.
std::optional<std::uint64_t> as_seed(const toml::node& node) {
  const auto* i = node.as_integer();
  if (i == nullptr || i->get() < 0) return std::nullopt;
  return static_cast<std::uint64_t>(i->get());
}

/// The elements of a grid entry: the array's elements, or the scalar itself.
std::vector<const toml::node*> elements(const toml::node& node) {
  std::vector<const toml::node*> out;
  if (const toml::array* array = node.as_array()) {
    for (const toml::node& element : *array) out.push_back(&element);
  } else {
    out.push_back(&node);
  }
  return out;
}

std::vector<std::string> grid_key_list() {
  std::vector<std::string> keys;
  for (const GridField& f : kGridFields) keys.emplace_back(f.key);
  return keys;
}

void read_task(const Reader& r,
               const toml::key& table_key,
               const toml::table& table,
               SweepSpec& spec) {
  std::string name;
  const toml::source_region* name_where = nullptr;
  TaskParams params;
  std::map<std::string, toml::source_region> where;
  for (auto&& [key, node] : table) {
    const std::string k(key.str());
    if (k == "name") {
      const auto* s = node.as_string();
      if (s == nullptr) {
        r.fail(key.source(),
               "[task] name: expected a string, got " + type_name(node) + " " + node_text(node));
      }
      name = s->get();
      name_where = &key.source();
      continue;
    }
    double value = 0;
    if (const auto* b = node.as_boolean()) {
      value = b->get() ? 1.0 : 0.0;
    } else if (std::optional<double> number = as_number(node)) {
      value = *number;
    } else {
      r.fail(key.source(), "[task] " + k + ": expected a number or a boolean, got " +
                               type_name(node) + " " + node_text(node));
    }
    params[k] = value;
    where[k] = key.source();
  }
  if (name_where == nullptr) {
    r.fail(table_key.source(), "[task] has no name; allowed: " + join(task_names(), ", "));
  }
  std::unique_ptr<Task> defaults;
  try {
    defaults = make_task(name);
  } catch (const InvalidArgument& e) {
    r.fail(*name_where, std::string("[task] name: ") + e.what());
  }
  const TaskParams known = defaults->params();
  std::vector<std::string> known_keys;
  for (const auto& [k, v] : known) known_keys.push_back(k);
  for (const auto& [k, v] : params) {
    if (known.count(k) == 0) {
      r.fail(where.at(k), "[task] " + k + ": unknown key; task " + std::string(defaults->name()) +
                              " has parameters " + join(known_keys, ", "));
    }
  }
  std::unique_ptr<Task> task;
  try {
    task = make_task(name, params);
  } catch (const InvalidArgument& e) {
    const auto k = where.find(e.field());
    r.fail(k != where.end() ? k->second : table_key.source(), "[task] " + std::string(e.what()));
  }
  spec.task_name = std::string(task->name());
  spec.task_params = task->params();
  spec.n_input = task->n_input();
  spec.n_output = task->n_output();
}

/// Reads one grid value of `f` from `node`; checks its type and validates it through the library.
double read_grid_value(const Reader& r,
                       const GridField& f,
                       const toml::node& node,
                       const SweepSpec& spec) {
  const std::string label = "[grid] " + std::string(f.key);
  const std::string got = ", got " + type_name(node) + " " + node_text(node);
  double value = 0;
  switch (f.kind) {
    case FieldKind::kCell:
    case FieldKind::kActivation: {
      const auto* s = node.as_string();
      if (s == nullptr) r.fail(node.source(), label + ": expected a string" + got);
      try {
        value = f.kind == FieldKind::kCell ? static_cast<double>(parse_cell_kind(s->get()))
                                           : static_cast<double>(parse_activation(s->get()));
      } catch (const InvalidArgument& e) {
        r.fail(node.source(), label + ": " + e.what());
      }
      break;
    }
    case FieldKind::kInt: {
      const auto* i = node.as_integer();
      if (i == nullptr) r.fail(node.source(), label + ": expected an integer" + got);
      if (i->get() < std::numeric_limits<int>::min() ||
          i->get() > std::numeric_limits<int>::max()) {
        r.fail(node.source(), label + ": integer out of range" + got);
      }
      value = static_cast<double>(i->get());
      break;
    }
    case FieldKind::kDouble: {
      const std::optional<double> number = as_number(node);
      if (!number) r.fail(node.source(), label + ": expected a number" + got);
      value = *number;
      break;
    }
  }
  Architecture a;
  a.n_input = spec.n_input;
  a.n_output = spec.n_output;
  TrainOptions o;
  apply(f.key, value, a, o);
  try {
    a.validate();
    o.validate();
  } catch (const InvalidArgument& e) {
    r.fail(node.source(), e.field() == f.key ? e.message_for(label)
                                             : label + " = " + node_text(node) + ": " + e.what());
  }
  return value;
}

void read_grid(const Reader& r, const toml::table& table, SweepSpec& spec) {
  for (auto&& [key, node] : table) {
    const std::string k(key.str());
    const std::vector<const toml::node*> items = elements(node);
    if (items.empty())
      r.fail(key.source(), "[grid] " + k + ": empty list; give at least one value");
    if (k == "seeds") {
      spec.seeds.clear();
      if (node.is_array()) {
        for (const toml::node* item : items) {
          const std::optional<std::uint64_t> seed = as_seed(*item);
          if (!seed) {
            r.fail(item->source(), "[grid] seeds: expected non-negative integers, got " +
                                       type_name(*item) + " " + node_text(*item));
          }
          for (std::uint64_t s : spec.seeds) {
            if (s == *seed) {
              r.fail(item->source(), "[grid] seeds: seed " + std::to_string(s) + " appears twice");
            }
          }
          spec.seeds.push_back(*seed);
        }
      } else {
        const auto* n = node.as_integer();
        if (n == nullptr || n->get() < 1 || n->get() > kMaxNetworks) {
          r.fail(key.source(), "[grid] seeds: expected a count in [1, " +
                                   std::to_string(kMaxNetworks) +
                                   "] (seeds 0..N-1) or a list of "
                                   "seeds, got " +
                                   type_name(node) + " " + node_text(node));
        }
        for (std::int64_t s = 0; s < n->get(); ++s)
          spec.seeds.push_back(static_cast<std::uint64_t>(s));
      }
      continue;
    }
    SweepAxis* axis = nullptr;
    for (SweepAxis& a : spec.axes) {
      if (a.key == k) axis = &a;
    }
    if (axis == nullptr) {
      r.fail(key.source(),
             "[grid] " + k + ": unknown key; allowed: " + join(grid_key_list(), ", ") + ", seeds");
    }
    const GridField& f = field(k);
    axis->values.clear();
    axis->given = true;
    axis->line = static_cast<int>(key.source().begin.line);
    for (const toml::node* item : items) {
      const double value = read_grid_value(r, f, *item, spec);
      for (double v : axis->values) {
        if (v == value) {
          r.fail(item->source(),
                 "[grid] " + k + ": value " + format_grid_value(k, value) + " appears twice");
        }
      }
      axis->values.push_back(value);
    }
  }
}

}  // namespace

const std::vector<std::string>& sweep_grid_keys() {
  static const std::vector<std::string> keys = grid_key_list();
  return keys;
}

double grid_value(std::string_view key, const Architecture& a, const TrainOptions& o) {
  if (key == "cell") return static_cast<double>(a.cell);
  if (key == "activation") return static_cast<double>(a.activation);
  if (key == "n_hidden") return a.n_hidden;
  const OptionField<TrainOptions>* f = TrainOptions::schema().find(key);
  RNNATLAS_ASSERT(f != nullptr, "unknown grid field " << key);
  return f->visit(o, [](const auto& value) { return static_cast<double>(value); });
}

std::string format_grid_value(const std::string& key, double value) {
  const GridField& f = field(key);
  switch (f.kind) {
    case FieldKind::kCell:
      return std::string(to_string(static_cast<CellKind>(static_cast<int>(value))));
    case FieldKind::kActivation:
      return std::string(to_string(static_cast<Activation>(static_cast<int>(value))));
    case FieldKind::kInt:
      return std::to_string(static_cast<long long>(value));
    case FieldKind::kDouble:
      break;
  }
  if (value == 0 || !std::isfinite(value)) return shortest(value, 'g');
  const double magnitude = std::fabs(value);
  if (magnitude < 1e-3 || magnitude >= 1e6) return tidy_exponent(shortest(value, 'e'));
  return tidy_exponent(shortest(value, 'g'));
}

int SweepSpec::n_grid_points() const {
  std::int64_t n = 1;
  for (const SweepAxis& axis : axes) n *= static_cast<std::int64_t>(axis.values.size());
  return static_cast<int>(n);
}

int SweepSpec::n_networks() const { return n_grid_points() * static_cast<int>(seeds.size()); }

SweepNetwork SweepSpec::network(int index) const {
  const int n = n_networks();
  RNNATLAS_CHECK_ARG(index >= 0 && index < n,
                     "network index " << index << " is out of range [0, " << n << ")");
  SweepNetwork net;
  net.index = index;
  const int n_seeds = static_cast<int>(seeds.size());
  net.grid_index = index / n_seeds;
  net.seed = seeds[index % n_seeds];

  Architecture& a = net.architecture;
  a.n_input = n_input;
  a.n_output = n_output;
  TrainOptions& o = net.train_options;
  o.n_eval_batch = n_eval_batch;
  o.eval_seed = eval_seed;

  // Mixed-radix digits of the grid index, the last axis fastest.
  std::vector<int> digit(axes.size());
  int rest = net.grid_index;
  for (int k = static_cast<int>(axes.size()) - 1; k >= 0; --k) {
    const int size = static_cast<int>(axes[k].values.size());
    digit[k] = rest % size;
    rest /= size;
  }
  std::vector<std::string> model_key;  // the model's values: the weights' seed depends on these
  std::vector<std::string> name;
  for (std::size_t k = 0; k < axes.size(); ++k) {
    const SweepAxis& axis = axes[k];
    const double value = axis.values[digit[k]];
    apply(axis.key, value, a, o);
    const std::string text = format_grid_value(axis.key, value);
    if (static_cast<int>(k) < kNumModelFields) model_key.push_back(axis.key + "=" + text);
    const GridField& f = field(axis.key);
    if (static_cast<int>(k) < kNumModelFields) {
      name.push_back(std::string(f.label) + text);  // gru, tanh, h64: always in the name
    } else if (axis.values.size() > 1) {
      name.push_back(std::string(f.label) + "_" + text);
    }
  }
  name.push_back("s" + std::to_string(net.seed));

  // The weights depend on (config seed, model, seed value); the trials on (config seed, seed
  // value): networks differing only in training settings start from the same weights and see the
  // same trials, which makes the comparison across training settings a controlled one.
  const std::uint64_t model_hash = fnv1a(join(model_key, ";"));
  net.init_seed =
      internal::derive_seed(internal::derive_seed(seed, model_hash, kInitDomain), net.seed);
  o.seed = internal::derive_seed(seed, net.seed, kTrainDomain);

  const int width = std::max<int>(4, static_cast<int>(std::to_string(std::max(n - 1, 0)).size()));
  std::string prefix = std::to_string(index);
  prefix.insert(0, static_cast<std::size_t>(std::max(0, width - static_cast<int>(prefix.size()))),
                '0');
  net.id = prefix + "-" + join(name, "-");
  return net;
}

std::string SweepSpec::canonical_text() const {
  std::ostringstream ss;
  ss << "rnnatlas sweep v1\n";
  ss << "task.name=" << task_name << '\n';
  for (const auto& [key, value] : task_params)
    ss << "task." << key << '=' << shortest(value, 'g') << '\n';
  ss << "seed=" << seed << '\n';
  for (const SweepAxis& axis : axes) {
    std::vector<std::string> values;
    for (double v : axis.values) values.push_back(format_grid_value(axis.key, v));
    ss << "grid." << axis.key << '=' << join(values, ",") << '\n';
  }
  std::vector<std::string> seed_text;
  for (std::uint64_t s : seeds) seed_text.push_back(std::to_string(s));
  ss << "grid.seeds=" << join(seed_text, ",") << '\n';
  ss << "evaluation.n_eval_batch=" << n_eval_batch << '\n';
  ss << "evaluation.eval_seed=" << eval_seed << '\n';
  ss << "keep.max_normalized_mse=" << shortest(max_normalized_mse, 'g') << '\n';
  return ss.str();
}

std::string SweepSpec::hash() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, fnv1a(canonical_text()));
  return buf;
}

SweepSpec parse_sweep_config(const std::string& text, const std::string& source_name) {
  const Reader r(source_name);
  toml::table doc;
  try {
    doc = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw InvalidArgument(source_name + ":" + std::to_string(e.source().begin.line) + ":" +
                          std::to_string(e.source().begin.column) + ": " +
                          std::string(e.description()));
  }

  SweepSpec spec;
  for (const GridField& f : kGridFields) {
    spec.axes.push_back({std::string(f.key), {default_value(f.key)}, false, 0});
  }
  const toml::table* grid = nullptr;
  bool has_task = false;
  auto expect_table = [&](const toml::key& key, const toml::node& node) -> const toml::table& {
    const toml::table* t = node.as_table();
    if (t == nullptr) {
      r.fail(key.source(), std::string(key.str()) + ": expected a table ([" +
                               std::string(key.str()) + "]), got " + type_name(node));
    }
    return *t;
  };
  // [task] first: the grid's architectures need the task's input and output sizes.
  for (auto&& [key, node] : doc) {
    if (key.str() == "task") {
      read_task(r, key, expect_table(key, node), spec);
      has_task = true;
    }
  }
  if (!has_task)
    r.fail("no [task] table; add [task] with name = one of " + join(task_names(), ", "));

  for (auto&& [key, node] : doc) {
    const std::string k(key.str());
    if (k == "task") continue;
    if (k == "seed") {
      const std::optional<std::uint64_t> seed = as_seed(node);
      if (!seed) {
        r.fail(key.source(), "seed: expected a non-negative integer, got " + type_name(node) + " " +
                                 node_text(node));
      }
      spec.seed = *seed;
    } else if (k == "grid") {
      grid = &expect_table(key, node);
    } else if (k == "evaluation") {
      for (auto&& [sub_key, sub] : expect_table(key, node)) {
        const std::string s(sub_key.str());
        if (s == "n_eval_batch") {
          const auto* i = sub.as_integer();
          if (i == nullptr || i->get() < 1 || i->get() > std::numeric_limits<int>::max()) {
            r.fail(sub_key.source(), "[evaluation] n_eval_batch: expected an integer >= 1, got " +
                                         type_name(sub) + " " + node_text(sub));
          }
          spec.n_eval_batch = static_cast<int>(i->get());
        } else if (s == "eval_seed") {
          const std::optional<std::uint64_t> seed = as_seed(sub);
          if (!seed) {
            r.fail(sub_key.source(),
                   "[evaluation] eval_seed: expected a non-negative integer, got " +
                       type_name(sub) + " " + node_text(sub));
          }
          spec.eval_seed = *seed;
        } else {
          r.fail(sub_key.source(),
                 "[evaluation] " + s + ": unknown key; allowed: n_eval_batch, eval_seed");
        }
      }
    } else if (k == "keep") {
      for (auto&& [sub_key, sub] : expect_table(key, node)) {
        const std::string s(sub_key.str());
        if (s != "max_normalized_mse") {
          r.fail(sub_key.source(), "[keep] " + s + ": unknown key; allowed: max_normalized_mse");
        }
        const std::optional<double> value = as_number(sub);
        if (!value || !(*value > 0)) {
          r.fail(sub_key.source(), "[keep] max_normalized_mse: expected a number > 0, got " +
                                       type_name(sub) + " " + node_text(sub));
        }
        spec.max_normalized_mse = *value;
      }
    } else {
      r.fail(key.source(),
             k + ": unknown key; allowed: seed, [task], [grid], [evaluation], [keep]");
    }
  }
  if (grid != nullptr) read_grid(r, *grid, spec);

  std::int64_t n = static_cast<std::int64_t>(spec.seeds.size());
  for (const SweepAxis& axis : spec.axes) {
    n *= static_cast<std::int64_t>(axis.values.size());
    if (n > kMaxNetworks) {
      r.fail("[grid]: the grid has more than " + std::to_string(kMaxNetworks) +
             " networks; split the sweep into several configs");
    }
  }
  return spec;
}

namespace {

/// A network's identity across configs: its value on every grid axis, then its seed value.
using NetworkKey = std::pair<std::vector<double>, std::uint64_t>;

NetworkKey network_key(const SweepSpec& spec, int index) {
  const int n_seeds = static_cast<int>(spec.seeds.size());
  NetworkKey key{std::vector<double>(spec.axes.size()), spec.seeds[index % n_seeds]};
  int rest = index / n_seeds;  // mixed-radix digits of the grid index, the last axis fastest
  for (int k = static_cast<int>(spec.axes.size()) - 1; k >= 0; --k) {
    const int size = static_cast<int>(spec.axes[k].values.size());
    key.first[k] = spec.axes[k].values[rest % size];
    rest /= size;
  }
  return key;
}

}  // namespace

std::string extension_mismatch(const SweepSpec& base, const SweepSpec& grown) {
  std::vector<std::string> problems;
  auto differs = [&](const std::string& what, const std::string& there, const std::string& here) {
    if (there != here) problems.push_back(what + ": " + there + " there, " + here + " here");
  };
  differs("[task] name", base.task_name, grown.task_name);
  if (base.task_name == grown.task_name) {
    for (const auto& [key, value] : base.task_params) {
      const auto it = grown.task_params.find(key);
      differs("[task] " + key, format_shortest(value),
              it == grown.task_params.end() ? "unset" : format_shortest(it->second));
    }
  }
  differs("seed", std::to_string(base.seed), std::to_string(grown.seed));
  differs("[evaluation] n_eval_batch", std::to_string(base.n_eval_batch),
          std::to_string(grown.n_eval_batch));
  differs("[evaluation] eval_seed", std::to_string(base.eval_seed),
          std::to_string(grown.eval_seed));
  differs("[keep] max_normalized_mse", format_shortest(base.max_normalized_mse),
          format_shortest(grown.max_normalized_mse));
  auto missing = [&](const std::string& key, const std::vector<std::string>& there,
                     const std::vector<std::string>& here) {
    std::vector<std::string> lost;
    for (const std::string& v : there) {
      if (std::find(here.begin(), here.end(), v) == here.end()) lost.push_back(v);
    }
    if (!lost.empty()) {
      problems.push_back("[grid] " + key + ": " + join(lost, ", ") +
                         (lost.size() == 1 ? " is" : " are") + " not in this config (it has " +
                         join(here, ", ") + ")");
    }
  };
  RNNATLAS_ASSERT(base.axes.size() == grown.axes.size(), "specs with different grid keys");
  for (std::size_t k = 0; k < base.axes.size(); ++k) {
    const std::string& key = base.axes[k].key;
    auto texts = [&](const SweepAxis& axis) {
      std::vector<std::string> t;
      for (double v : axis.values) t.push_back(format_grid_value(key, v));
      return t;
    };
    missing(key, texts(base.axes[k]), texts(grown.axes[k]));
  }
  auto seed_texts = [](const SweepSpec& s) {
    std::vector<std::string> t;
    for (std::uint64_t v : s.seeds) t.push_back(std::to_string(v));
    return t;
  };
  missing("seeds", seed_texts(base), seed_texts(grown));
  return join(problems, "; ");
}

std::vector<SweepNetwork> grown_networks(const std::vector<SweepSpec>& generations) {
  RNNATLAS_CHECK_ARG(!generations.empty(), "grown_networks: no generation");
  for (std::size_t g = 1; g < generations.size(); ++g) {
    const std::string mismatch = extension_mismatch(generations[g - 1], generations[g]);
    RNNATLAS_CHECK_ARG(mismatch.empty(), "generation " << g << " does not extend generation "
                                                       << g - 1 << ": " << mismatch);
  }
  const SweepSpec& last = generations.back();
  const int n = last.n_networks();
  std::map<NetworkKey, int> index_in_last;
  for (int i = 0; i < n; ++i) index_in_last.emplace(network_key(last, i), i);

  // Each network once, in the order the generations add them, with the name it was added under.
  std::vector<SweepNetwork> networks;
  networks.reserve(n);
  std::vector<char> placed(n, 0);
  const int width = std::max<int>(4, static_cast<int>(std::to_string(std::max(n - 1, 0)).size()));
  for (const SweepSpec& generation : generations) {
    for (int i = 0; i < generation.n_networks(); ++i) {
      const int j = index_in_last.at(network_key(generation, i));
      if (placed[j]) continue;
      placed[j] = 1;
      SweepNetwork net = last.network(j);
      const std::string added_as = generation.network(i).id;
      std::string prefix = std::to_string(networks.size());
      prefix.insert(
          0, static_cast<std::size_t>(std::max(0, width - static_cast<int>(prefix.size()))), '0');
      net.index = static_cast<int>(networks.size());
      net.id = prefix + added_as.substr(added_as.find('-'));
      networks.push_back(std::move(net));
    }
  }
  return networks;
}

SweepSpec read_sweep_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read sweep config '" + path + "': no such file or not readable");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IoError("cannot read sweep config '" + path + "'");
  return parse_sweep_config(ss.str(), path);
}

}  // namespace rnnatlas
