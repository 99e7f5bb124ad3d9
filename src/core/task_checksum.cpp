#include "core/task_checksum.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/sha256.hpp"

namespace priorbench {
namespace {

void add_integer(Sha256& hash, std::int64_t value) {
  std::uint8_t bytes[8];
  const auto bits = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(bits >> (8 * i));
  hash.update(bytes, sizeof bytes);
}

void add_real(Sha256& hash, double value) {
  // One NaN: the payload of a NaN is not a result, and HDF5 fill values and computed NaNs differ in it.
  const std::uint64_t bits = std::isnan(value) ? 0x7ff8000000000000ull : std::bit_cast<std::uint64_t>(value);
  add_integer(hash, static_cast<std::int64_t>(bits));
}

void add_reals(Sha256& hash, std::span<const double> values) {
  for (const double value : values) add_real(hash, value);
}

// Every dataset of the file, read whole once: name → values, with the shapes checked.
class FileRows {
 public:
  explicit FileRows(hid_t file) : file_(file) {
    const h5::Shape done_shape = h5::shape_of(file, "tasks/done");
    PB_REQUIRE(done_shape.size() == 1, h5::describe(file, "tasks/done"), " has shape ", h5::shape_text(done_shape),
               "; expected one entry per task");
    tasks_ = done_shape[0];
    const h5::Shape metric_shape = h5::shape_of(file, "metrics/relative_error");
    PB_REQUIRE(metric_shape.size() == 2 && metric_shape[0] == tasks_, h5::describe(file, "metrics/relative_error"),
               " has shape ", h5::shape_text(metric_shape), "; expected [", tasks_, ", methods]");
    methods_ = metric_shape[1];
    const h5::Shape saved_shape = h5::shape_of(file, "reconstructions/task");
    PB_REQUIRE(saved_shape.size() == 1, h5::describe(file, "reconstructions/task"), " has shape ",
               h5::shape_text(saved_shape), "; expected one entry per saved task");
    saved_ = saved_shape[0];
    const std::int64_t height = h5::read_integer_attribute(file, "height");
    const std::int64_t width = h5::read_integer_attribute(file, "width");
    PB_REQUIRE(height > 0 && width > 0, h5::describe(file, ""), ": image shape ", height, "x", width,
               " in the attributes height and width must be positive");
    height_ = static_cast<hsize_t>(height);
    width_ = static_cast<hsize_t>(width);
  }

  hsize_t tasks() const { return tasks_; }
  hsize_t methods() const { return methods_; }

  std::vector<std::int64_t> integers(const std::string& name, const h5::Shape& expected) const {
    require_shape(name, expected);
    return h5::read_integers(file_, name);
  }
  std::vector<double> doubles(const std::string& name, const h5::Shape& expected) const {
    require_shape(name, expected);
    return h5::read_doubles(file_, name);
  }
  std::vector<std::uint64_t> checksums() const {
    require_shape("tasks/checksum", {tasks_});
    return h5::read_unsigned_integers(file_, "tasks/checksum");
  }
  // The image dataset `name` of /reconstructions: [S, H, W], or [S, M, H, W] for mean and std.
  h5::Shape image_shape(const std::string& name) const {
    if (name == "mean" || name == "std") return {saved_, methods_, height_, width_};
    return {saved_, height_, width_};
  }
  std::vector<std::int64_t> saved_tasks() const { return integers("reconstructions/task", {saved_}); }

 private:
  void require_shape(const std::string& name, const h5::Shape& expected) const {
    PB_REQUIRE(h5::exists(file_, name), h5::describe(file_, name),
               " is missing; the file is not a complete results file");
    const h5::Shape shape = h5::shape_of(file_, name);
    PB_REQUIRE(shape == expected, h5::describe(file_, name), " has shape ", h5::shape_text(shape), "; expected ",
               h5::shape_text(expected));
  }

  hid_t file_;
  hsize_t tasks_ = 0, methods_ = 0, saved_ = 0, height_ = 0, width_ = 0;
};

std::vector<std::string> metric_dataset_names(hid_t file) {
  h5::Object group = h5::open_group(file, "metrics");
  H5G_info_t info;
  PB_REQUIRE(H5Gget_info(group, &info) >= 0, "cannot list ", h5::describe(file, "metrics"));
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    PB_REQUIRE(size >= 0, "cannot list ", h5::describe(file, "metrics"));
    std::string name(static_cast<std::size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(size));
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());  // the order the writer uses, whatever the file's index order
  return names;
}

}  // namespace

const std::vector<std::string>& checksummed_image_datasets() {
  static const std::vector<std::string> names = {"truth", "backprojection", "zero_filled", "sampling", "mean", "std"};
  return names;
}

std::uint64_t task_checksum(const TaskRows& rows) {
  Sha256 hash;
  for (const std::int64_t value : {rows.task, rows.truth_kind, rows.truth_number, rows.test_index, rows.replicate}) {
    add_integer(hash, value);
  }
  add_real(hash, rows.sigma);
  add_integer(hash, rows.data_size);
  add_integer(hash, rows.rank);
  for (const double value : {rows.seconds, rows.truth_norm, rows.range_distance}) add_real(hash, value);
  for (const auto& row : rows.metric_rows) add_reals(hash, row);
  for (const auto& row : rows.image_rows) add_reals(hash, row);
  const Sha256::Digest digest = hash.finish();
  std::uint64_t checksum = 0;
  for (int i = 7; i >= 0; --i) checksum = checksum << 8 | digest[static_cast<std::size_t>(i)];
  return checksum == 0 ? 1 : checksum;
}

TaskIntegrity verify_task_checksums(hid_t file) {
  const FileRows rows(file);
  const hsize_t t = rows.tasks(), m = rows.methods();
  std::map<std::string, std::vector<std::int64_t>> integers;
  for (const char* name : {"truth_kind", "truth_number", "test_index", "replicate", "data_size", "rank", "done"}) {
    integers[name] = rows.integers(std::string("tasks/") + name, {t});
  }
  std::map<std::string, std::vector<double>> reals;
  for (const char* name : {"sigma", "seconds", "truth_norm", "range_distance"}) {
    reals[name] = rows.doubles(std::string("tasks/") + name, {t});
  }
  const std::vector<std::uint64_t> recorded = rows.checksums();
  std::vector<std::vector<double>> metrics;
  for (const auto& name : metric_dataset_names(file)) metrics.push_back(rows.doubles("metrics/" + name, {t, m}));
  const std::vector<std::int64_t> saved = rows.saved_tasks();
  std::vector<std::pair<std::vector<double>, std::size_t>> images;  // values, row length
  for (const auto& name : checksummed_image_datasets()) {
    const std::string path = "reconstructions/" + name;
    if (!h5::exists(file, path)) continue;
    const h5::Shape shape = rows.image_shape(name);
    std::size_t row = 1;
    for (std::size_t k = 1; k < shape.size(); ++k) row *= static_cast<std::size_t>(shape[k]);
    images.emplace_back(rows.doubles(path, shape), row);
  }

  TaskIntegrity integrity;
  integrity.complete.assign(static_cast<std::size_t>(t), false);
  for (std::size_t task = 0; task < t; ++task) {
    if (!integers["done"][task]) continue;
    TaskRows task_rows{static_cast<std::int64_t>(task),
                       integers["truth_kind"][task],
                       integers["truth_number"][task],
                       integers["test_index"][task],
                       integers["replicate"][task],
                       reals["sigma"][task],
                       integers["data_size"][task],
                       integers["rank"][task],
                       reals["seconds"][task],
                       reals["truth_norm"][task],
                       reals["range_distance"][task],
                       {},
                       {}};
    for (const auto& values : metrics) task_rows.metric_rows.emplace_back(values.data() + task * m, m);
    const auto slot = std::find(saved.begin(), saved.end(), static_cast<std::int64_t>(task));
    if (slot != saved.end()) {
      const auto s = static_cast<std::size_t>(slot - saved.begin());
      for (const auto& [values, length] : images) task_rows.image_rows.emplace_back(values.data() + s * length, length);
    }
    const bool valid = task_checksum(task_rows) == recorded[task];
    integrity.complete[task] = valid;
    if (!valid) integrity.damaged.push_back(static_cast<std::int64_t>(task));
  }
  return integrity;
}

std::string task_list_text(const std::vector<std::int64_t>& tasks, std::size_t limit) {
  std::string text;
  for (std::size_t i = 0; i < tasks.size() && i < limit; ++i) text += (i ? ", " : "") + std::to_string(tasks[i]);
  if (tasks.size() > limit) text += " and " + std::to_string(tasks.size() - limit) + " more";
  return text;
}

}  // namespace priorbench
