// What fuzzing the readers found (docs/fuzzing.md), one test per fault, each with the
// smallest file that showed it: every reader refuses hostile input with one line naming
// the file, the object and the value or limit at fault, before allocating for sizes it
// declares. Limits are tested under a fixed PRIORBENCH_MEMORY_LIMIT, so the outcome does
// not depend on the machine.

#include <gtest/gtest.h>
#include <hdf5.h>
#include <nifti2_io.h>
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/hdf5.hpp"
#include "core/memory_budget.hpp"
#include "core/paths.hpp"
#include "core/watchdog.hpp"
#include "data/fastmri.hpp"
#include "data/hdf5_images.hpp"
#include "data/idx.hpp"
#include "data/image_source.hpp"
#include "data/mri_source.hpp"
#include "generative/model_contract.hpp"
#include "methods/latent_mcmc_method.hpp"
#include "methods/method_options.hpp"
#include "operators/matrix_operator.hpp"
#include "operators/operator_factory.hpp"
#include "report/results_reader.hpp"
#include "study/merge.hpp"
#include "study/results_file.hpp"
#include "study/study_spec.hpp"
#include "study/tasks.hpp"
#include "test_support.hpp"

namespace pb = priorbench;
using pb::testing_support::expect_error;
using pb::testing_support::TempDir;

namespace {

// PRIORBENCH_MEMORY_LIMIT for one test, restored after it.
class MemoryLimit {
 public:
  explicit MemoryLimit(const char* value) {
    if (const char* old = std::getenv(pb::kMemoryLimitVariable)) previous_ = old;
    setenv(pb::kMemoryLimitVariable, value, 1);
  }
  ~MemoryLimit() {
    if (previous_) {
      setenv(pb::kMemoryLimitVariable, previous_->c_str(), 1);
    } else {
      unsetenv(pb::kMemoryLimitVariable);
    }
  }
  MemoryLimit(const MemoryLimit&) = delete;
  MemoryLimit& operator=(const MemoryLimit&) = delete;

 private:
  std::optional<std::string> previous_;
};

// A dataset of `extents` that declares its size but holds no data: chunked and never
// written, it costs no disk space, as a hostile file's would.
void write_unwritten_dataset(hid_t location, const std::string& name, hid_t type, const std::vector<hsize_t>& extents) {
  const pb::h5::Object space(H5Screate_simple(static_cast<int>(extents.size()), extents.data(), nullptr), H5Sclose);
  const pb::h5::Object properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  std::vector<hsize_t> chunk;
  for (const hsize_t extent : extents) chunk.push_back(std::min<hsize_t>(extent, 16));
  H5Pset_chunk(properties, static_cast<int>(chunk.size()), chunk.data());
  const pb::h5::Object dataset(H5Dcreate2(location, name.c_str(), type, space, H5P_DEFAULT, properties, H5P_DEFAULT),
                               H5Dclose);
  ASSERT_GE(dataset.id(), 0) << name;
}

void replace_dataset(const std::string& path, const std::string& name, hid_t type,
                     const std::vector<hsize_t>& extents) {
  const pb::h5::Object file = pb::h5::open_file(path, pb::h5::Mode::read_write);
  H5Ldelete(file, name.c_str(), H5P_DEFAULT);
  write_unwritten_dataset(file, name, type, extents);
}

// --- results files -----------------------------------------------------------------------

constexpr const char* kStudyText = R"([study]
name = "hostile"
save_reconstructions = 1

[truth]
kinds = ["test"]
test_count = 2

[operator]
name = "identity"

[noise]
sigmas = [0.1, 0.01]

[[method]]
name = "white"
)";

// The results of shard `index` of `count` of kStudyText (4 tasks, 1 method, 2 x 2
// images), every task of the shard done, as `priorbench run --shard` writes them.
void write_results(const std::string& path, int index, int count) {
  const pb::StudySpec study = pb::parse_study(kStudyText, "hostile.toml");
  const std::vector<pb::Task> tasks = pb::enumerate_tasks(study);
  std::map<std::string, std::string> provenance = {{"git_version", "test"}};
  if (count > 1) provenance["shard"] = std::to_string(index) + "/" + std::to_string(count);
  pb::ResultsFile results(path, study, tasks, {2, 2}, MPI_COMM_SELF, provenance);
  for (const pb::Task& task : tasks) {
    if (task.id % count != index) continue;
    pb::TaskRecord record;
    record.task = task.id;
    record.data_size = 4;
    for (const auto& name : pb::result_metric_names()) record.metrics[name] = {0.5};
    record.truth = record.backprojection = {0, 0.25, 0.5, 1};
    record.means = record.stds = {{0.5, 0.5, 0.5, 0.5}};
    results.record(record, 0);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Messages and limits

TEST(HostileInput, ErrorMessagesStayOneLineWhateverTheyQuote) {
  // Found by the study and model harnesses: a value with a line break split the message.
  const pb::Error error("field 'name' is 'a\nb\tc\x1b[2J'", __FILE__, __LINE__);
  EXPECT_STREQ(error.what(), "field 'name' is 'a\\nb\\tc\\x1b[2J'");
}

TEST(HostileInput, MemoryLimitIsReadFromTheEnvironmentAndNamedInRefusals) {
  MemoryLimit limit("1K");
  EXPECT_EQ(pb::memory_budget().bytes, 1024u);
  pb::require_memory(128, 8, "fits");
  expect_error([] { pb::require_memory(129, 8, "x.h5:/data"); },
               {"x.h5:/data: 129 values (1.0 KiB) exceed the 1.0 KiB of memory available", "PRIORBENCH_MEMORY_LIMIT"});
  expect_error([] { pb::require_memory({1ull << 40, 1ull << 40}, 8, "x.h5:/data"); }, {"x.h5:/data", "2^64"});
  EXPECT_FALSE(pb::checked_product(std::vector<std::uint64_t>{1ull << 40, 1ull << 40}).has_value());
  EXPECT_EQ(pb::checked_product(std::vector<std::uint64_t>{1ull << 40, 0, 1ull << 40}), 0u);
  MemoryLimit bad("12Q");
  expect_error([] { pb::memory_budget(); }, {"PRIORBENCH_MEMORY_LIMIT must be a byte count", "12Q"});
}

TEST(HostileInput, PathsTooLongToExamineAreErrorsNamingThem) {
  // Found by the image specification harness: std::filesystem::exists threw
  // filesystem_error ("File name too long") past every reader's error handling.
  const std::string name(300, 'x');
  expect_error([&] { pb::path_exists(name); }, {"cannot access", "too long"});
  expect_error([&] { pb::data::load_image(name + ".h5:images:0"); }, {"--image", "cannot access"});
}

// ---------------------------------------------------------------------------------------
// Images

TEST(HostileInput, IdxHeaderClaimingBillionsOfImagesIsRefusedBeforeReading) {
  TempDir directory("hostile-idx");
  const std::string path = directory.file("images-idx3-ubyte");
  const unsigned char header[] = {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3};
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(header), sizeof header);
  MemoryLimit limit("1G");
  expect_error([&] { pb::data::read_idx_images(path, ""); }, {path, "4294967295 images of 28x28", "memory available"});
}

TEST(HostileInput, Hdf5StackClaimingHugeCountIsRefusedBeforeReading) {
  // Found by the HDF5 image harness: 10^11 images of 28 x 28 were allocated.
  TempDir directory("hostile-images");
  const std::string path = directory.file("images.h5");
  {
    const pb::h5::Object file = pb::h5::create_file(path, true);
    write_unwritten_dataset(file, "stack", H5T_IEEE_F64LE, {100000000000, 28, 28});
  }
  MemoryLimit limit("1G");
  EXPECT_EQ(pb::data::read_images(path, "stack", 2).count, 2u);  // a selection that fits is read
  expect_error([&] { pb::data::read_images(path, "stack"); },
               {path, ":/stack: 100000000000 images of 28x28", "memory available"});
}

TEST(HostileInput, FastMriKspaceClaimingHugeExtentsIsRefusedBeforeReading) {
  // Found by the fastMRI harness: 384 GiB were allocated for the reconstruction.
  TempDir directory("hostile-fastmri");
  const std::string path = directory.file("file_brain.h5");
  const pb::h5::Object complex(H5Tcreate(H5T_COMPOUND, 8), H5Tclose);
  H5Tinsert(complex, "r", 0, H5T_IEEE_F32LE);
  H5Tinsert(complex, "i", 4, H5T_IEEE_F32LE);
  {
    const pb::h5::Object file = pb::h5::create_file(path, true);
    write_unwritten_dataset(file, pb::data::kFastMriKspace, complex, {1000000000, 2, 64, 64});
  }
  MemoryLimit limit("1G");
  expect_error([&] { pb::data::reconstruct_rss(path); },
               {path, "1000000000 reconstructed slices of 64x64", "memory available"});
  {
    const pb::h5::Object file = pb::h5::create_file(path, true);
    write_unwritten_dataset(file, pb::data::kFastMriKspace, complex, {1, 1ull << 20, 1ull << 20});
  }
  expect_error([&] { pb::data::read_fastmri_info(path); }, {"kspace", "1048576 x 1048576", "too large for an image"});
}

TEST(HostileInput, FastMriKspaceThatIsMostlyUnwrittenIsNotReconstructed) {
  // Found by the fastMRI harness: 14 bytes of input declared 4096 slices x 255 coils of
  // 255 x 2 k-space in chunks never written, within the memory limit (a slice at a time);
  // reconstructing its fill values took minutes.
  TempDir directory("hostile-fastmri-unwritten");
  const std::string path = directory.file("file_brain.h5");
  const pb::h5::Object complex(H5Tcreate(H5T_COMPOUND, 8), H5Tclose);
  H5Tinsert(complex, "r", 0, H5T_IEEE_F32LE);
  H5Tinsert(complex, "i", 4, H5T_IEEE_F32LE);
  {
    const pb::h5::Object file = pb::h5::create_file(path, true);
    write_unwritten_dataset(file, pb::data::kFastMriKspace, complex, {4096, 255, 255, 2});
  }
  MemoryLimit limit("64M");
  expect_error([&] { pb::data::reconstruct_rss(path); },
               {path, "kspace", "stores 0 bytes of its 4261478400 declared bytes", "4096 slices x 255 coils x 255x2"});
}

namespace {

// A 10 x 9 x 8 float volume of 2 mm voxels holding a bright ellipsoid; with `offset`
// its sform moves it that far (mm) along x.
void write_volume(const std::string& path, double offset = 0) {
  const std::int64_t dims[8] = {3, 10, 9, 8, 1, 1, 1, 1};
  const std::unique_ptr<nifti_image, decltype(&nifti_image_free)> image(nifti_make_new_nim(dims, DT_FLOAT32, 1),
                                                                        nifti_image_free);
  image->dx = image->pixdim[1] = image->dy = image->pixdim[2] = image->dz = image->pixdim[3] = 2;
  auto* voxels = static_cast<float*>(image->data);
  for (std::int64_t k = 0; k < 8; ++k) {
    for (std::int64_t j = 0; j < 9; ++j) {
      for (std::int64_t i = 0; i < 10; ++i) {
        const double r = std::hypot((i - 4.5) / 4, (j - 4) / 3.5, (k - 3.5) / 3);
        voxels[i + 10 * (j + 9 * k)] = static_cast<float>(r < 1 ? 100 * (1.2 - r) : 0);
      }
    }
  }
  if (offset != 0) {
    image->sform_code = NIFTI_XFORM_MNI_152;
    for (int r = 0; r < 4; ++r) {
      for (int c = 0; c < 4; ++c) image->sto_xyz.m[r][c] = r == c ? 2 : 0;
    }
    image->sto_xyz.m[0][3] = offset;
    image->sto_xyz.m[3][3] = 1;
  }
  nifti_set_filenames(image.get(), path.c_str(), 0, 1);
  nifti_image_write(image.get());
}

}  // namespace

TEST(HostileInput, MriSpecificationsThatWouldHangOrExhaustMemoryAreRefused) {
  // Found with the image specification harness's dictionary: a slab width of 1e-300
  // and a guard of 1e300 converted out-of-range doubles to int64 (undefined behaviour)
  // and looped over 10^300 slabs; a size of 16384 made 2 GiB per slice; augment=10^9
  // looped for hours.
  TempDir directory("hostile-mri");
  const std::string path = directory.file("volume.nii");
  write_volume(path);
  const auto load = [&](const std::string& rest) { pb::data::load_training_set("mri:" + path + rest); };
  EXPECT_NO_THROW(load(":2:8:train:slab=4:guard=2"));
  expect_error([&] { load(":0:6:train:slab=1e-300"); }, {"slab width 1e-300 mm is not in [0.001, 1e+06] mm"});
  expect_error([&] { load(":0:6:train:guard=1e300"); }, {"guard 1e+300 mm is above the maximum 1e+06 mm"});
  expect_error([&] { load(":0:6:train:augment=1000000000"); }, {"augment 1000000000 is above the maximum 10000"});
  MemoryLimit limit("1G");
  expect_error([&] { load(":all:16384:all"); }, {path, "up to 27 slices of 16384x16384", "memory available"});
  const std::string far = directory.file("far.nii");
  write_volume(far, 1e30);
  expect_error([&] { pb::data::load_training_set("mri:" + far + ":0:6:train"); }, {"mm is too far from 0"});
}

// ---------------------------------------------------------------------------------------
// Matrices

TEST(HostileInput, CsrShapeBeyondMemoryIsRefusedBeforeTheOperatorAllocates) {
  // Found by the CSR harness: a 1-row file declaring 2^31 - 1 columns allocated 2 GiB.
  pb::CsrMatrix csr;
  csr.rows = 1;
  csr.cols = std::numeric_limits<PetscInt>::max();
  csr.indptr = {0, 0};
  MemoryLimit limit("1G");
  expect_error([&] { pb::validate_csr(csr, "m.h5:/"); }, {"m.h5:/shape: [1, 2147483647]", "memory available"});
}

// ---------------------------------------------------------------------------------------
// Results files: report, merge, submit

TEST(HostileInput, AttributeOfManyValuesIsRefusedNotReadIntoOne) {
  // Found by the report harness: an int64 attribute 'height' of shape [4] was read into
  // one int64 (a stack buffer overflow); the same for text read into one string.
  TempDir directory("hostile-attribute");
  const std::string path = directory.file("results.h5");
  write_results(path, 0, 1);
  {
    const pb::h5::Object file = pb::h5::open_file(path, pb::h5::Mode::read_write);
    H5Adelete(file, "height");
    const hsize_t four = 4;
    const pb::h5::Object space(H5Screate_simple(1, &four, nullptr), H5Sclose);
    const pb::h5::Object attribute(H5Acreate2(file, "height", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT),
                                   H5Aclose);
  }
  expect_error([&] { pb::report::read_results(path); }, {path, "height holds 4 values; expected a single value"});
}

TEST(HostileInput, ReportRefusesADatasetClaiming1e11RowsBeforeReadingIt) {
  TempDir directory("hostile-report");
  const std::string path = directory.file("results.h5");
  write_results(path, 0, 1);
  replace_dataset(path, "tasks/sigma", H5T_IEEE_F64LE, {100000000000});
  MemoryLimit limit("1G");
  expect_error([&] { pb::report::read_results(path); }, {path, ":/tasks/sigma: 100000000000 values", "memory"});
}

TEST(HostileInput, MergeChecksEveryShardDatasetAgainstTheStudyBeforeReading) {
  // Found by the merge harness: a shard whose tasks/seconds held fewer rows than the
  // study's tasks was read past its end (a heap buffer overflow).
  TempDir directory("hostile-merge");
  const std::string first = directory.file("shard-0.h5"), second = directory.file("shard-1.h5");
  write_results(first, 0, 2);
  write_results(second, 1, 2);
  replace_dataset(second, "tasks/seconds", H5T_IEEE_F64LE, {1});
  expect_error(
      [&] {
        pb::merge_results({first, second}, directory.file("merged.h5"));
      },
      {second, ":/tasks/seconds has shape [1]; the study needs [4]"});
  replace_dataset(second, "tasks/seconds", H5T_IEEE_F64LE, {100000000000});
  expect_error(
      [&] {
        pb::merge_results({first, second}, directory.file("merged.h5"));
      },
      {second, ":/tasks/seconds has shape [100000000000]; the study needs [4]"});
  EXPECT_FALSE(pb::path_exists(directory.file("merged.h5")));
}

TEST(HostileInput, MergeRefusesAStudyTextThatIsNotOneString) {
  // An array of fixed-length strings was read into the space of one (heap overflow).
  TempDir directory("hostile-study-text");
  const std::string first = directory.file("shard-0.h5"), second = directory.file("shard-1.h5");
  write_results(first, 0, 2);
  write_results(second, 1, 2);
  {
    const pb::h5::Object file = pb::h5::open_file(first, pb::h5::Mode::read_write);
    H5Ldelete(file, "study_text", H5P_DEFAULT);
    const pb::h5::Object type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type, 8);
    const hsize_t three = 3;
    const pb::h5::Object space(H5Screate_simple(1, &three, nullptr), H5Sclose);
    const pb::h5::Object text(H5Dcreate2(file, "study_text", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                              H5Dclose);
  }
  expect_error(
      [&] {
        pb::merge_results({first, second}, directory.file("merged.h5"));
      },
      {first, ":/study_text holds 3 values; expected a single value"});
}

// ---------------------------------------------------------------------------------------
// Study files

TEST(HostileInput, StudyCountsAreRefusedBeforeTasksAreMade) {
  const std::string base =
      "[study]\nname = \"s\"\n%s\n[truth]\nkinds = [\"test\"]\n%s\n[operator]\nname = "
      "\"identity\"\n[noise]\nsigmas = [0.1, 0.2]\n[[method]]\nname = \"white\"\n";
  const auto study = [&](const std::string& study_fields, const std::string& truth_fields) {
    std::string text = base;
    text.replace(text.find("%s"), 2, study_fields);
    text.replace(text.find("%s"), 2, truth_fields);
    return pb::parse_study(text, "s.toml");
  };
  EXPECT_EQ(study("replicates = 3", "test_count = 2").replicates, 3);
  // 2^32 + 1 used to wrap to 1 replicate.
  expect_error([&] { study("replicates = 4294967297", "test_count = 1"); },
               {"s.toml", "'study.replicates' must be an integer in [", "got 4294967297"});
  // 10^9 test indices used to be made one by one.
  expect_error([&] { study("", "test_count = 1000000000"); },
               {"s.toml", "'truth.test_count' is 1000000000, above the limit of 10000000"});
  expect_error([&] { study("replicates = 6000000", "test_count = 1"); },
               {"s.toml", "1 truths x 1 data sizes x 2 noise levels x 6000000 replicates make 12000000 tasks"});
}

TEST(HostileInput, StudyIntegerFieldWrittenAsAHugeFloatIsRefusedNotConverted) {
  // Found by the study_toml harness: `seed = 2e024` was converted to int64 before its
  // type was checked (undefined behaviour) instead of being refused.
  const std::string text =
      "[study]\nname = \"s\"\nseed = 2e024\n[truth]\nkinds = [\"test\"]\n[operator]\nname = "
      "\"identity\"\n[noise]\nsigmas = [0.1]\n[[method]]\nname = \"white\"\n";
  expect_error([&] { pb::parse_study(text, "s.toml"); }, {"s.toml", "'study.seed' must be an integer"});
}

TEST(HostileInput, StudyFileThatIsEndlessOrADirectoryIsRefused) {
  expect_error([] { pb::read_study("/dev/zero"); }, {"/dev/zero", "larger than 16 MiB"});
  TempDir directory("hostile-study");
  expect_error([&] { pb::read_study(directory.file("")); }, {"is a directory"});
}

// ---------------------------------------------------------------------------------------
// Model files (the checks without Torch)

namespace {

pb::ModelAttributes model_attributes(std::int64_t latent_dim) {
  return {{"format_version", {std::int64_t{1}, "Int"}},
          {"latent_dim", {latent_dim, "Int"}},
          {"image_height", {std::int64_t{28}, "Int"}},
          {"image_width", {std::int64_t{28}, "Int"}},
          {"variance_kind", {std::string("none"), "String"}}};
}

}  // namespace

TEST(HostileInput, ModelLatentDimensionBeyondPetscIndicesIsRefusedBeforeTheProbe) {
  EXPECT_EQ(pb::check_model_attributes(model_attributes(16), "m.pt", 2).latent_dim, 16u);
  expect_error([] { pb::check_model_attributes(model_attributes(1ll << 40), "m.pt", 2); },
               {"m.pt: attribute latent_dim 1099511627776 exceeds the largest vector length"});
  auto attributes = model_attributes(16);
  attributes["image_width"] = {std::int64_t{1} << 30, "Int"};
  expect_error([&] { pb::check_model_attributes(attributes, "m.pt", 2); }, {"m.pt: image_height x image_width"});
}

TEST(HostileInput, ModelDiagnosticsWithCountsThatAreNotCountsAreIgnored) {
  // Found by the model contract harness: diagnostics_images = -1.0 (or NaN, 1e300) was
  // converted to size_t, which is undefined behaviour.
  auto attributes = model_attributes(2);
  for (const char* name : {"diagnostics_kl", "diagnostics_activity", "diagnostics_mean_encoder_variance",
                           "diagnostics_decoder_column_norms"}) {
    attributes[name] = {std::vector<double>{0.5, 0.5}, "DoubleList"};
  }
  attributes["diagnostics_jacobian_images"] = {std::int64_t{8}, "Int"};
  attributes["diagnostics_activity_threshold"] = attributes["diagnostics_kl_threshold"] = {0.01, "Double"};
  attributes["diagnostics_images"] = {100.0, "Double"};
  EXPECT_TRUE(pb::check_model_attributes(attributes, "m.pt", 2).diagnostics.has_value());
  for (const double bad : {-1.0, 1e300, std::numeric_limits<double>::quiet_NaN(), 2.5}) {
    attributes["diagnostics_images"] = {bad, "Double"};
    EXPECT_FALSE(pb::check_model_attributes(attributes, "m.pt", 2).diagnostics.has_value()) << bad;
  }
}

// ---------------------------------------------------------------------------------------
// Hostile inputs found by trying the commands (tests/cli/bad_inputs.sh), below the commands

TEST(HostileInput, StudyDataSizeZeroIsRefusedNotReadAsTheDefault) {
  const std::string text =
      "[study]\nname = \"s\"\n[truth]\nkinds = [\"test\"]\ntest_count = 1\n[operator]\nname = \"inpaint\"\n"
      "data_sizes = [%s]\n"
      "[noise]\nsigmas = [0.1]\n[[method]]\nname = \"white\"\n";
  const auto study = [&](const std::string& sizes) {
    std::string filled = text;
    filled.replace(filled.find("%s"), 2, sizes);
    return pb::parse_study(filled, "s.toml");
  };
  EXPECT_EQ(study("100").data_sizes, std::vector<std::int64_t>{100});
  expect_error([&] { study("0"); }, {"s.toml", "'operator.data_sizes' has 0", "must be positive"});
  // Above PETSc's 32-bit indices it used to be cast (4294967396 became 100).
  expect_error([&] { study("4294967396"); }, {"s.toml", "has 4294967396"});
}

TEST(HostileInput, OperatorDataSizesAreCheckedWithoutBuildingTheOperator) {
  pb::OperatorSpec spec;
  spec.name = "inpaint";
  spec.data_size = 785;
  expect_error([&] { pb::check_operator_spec({28, 28}, spec); }, {"--data-size 785", "784"});
  spec.data_size = 0;  // the default, n/2
  EXPECT_NO_THROW(pb::check_operator_spec({28, 28}, spec));
  spec.name = "identity";
  spec.data_size = 100;
  expect_error([&] { pb::check_operator_spec({28, 28}, spec); }, {"--data-size 100", "identity"});
  // A gaussian operator's d x n matrix is checked against memory, not allocated.
  spec.name = "gaussian";
  spec.data_size = 1'000'000'000;
  MemoryLimit limit("1G");
  expect_error(
      [&] {
        pb::check_operator_spec({28, 28}, spec);
      },
      {"operator gaussian", "1000000000 x 784", "memory available"});
}

TEST(HostileInput, MethodCountsAboveTheirLimitsAreRefusedNamingTheLimit) {
  const pb::FieldNamer field = [](const std::string& key) { return "field '" + key + "'"; };
  pb::LatentMcmcOptions mcmc;
  EXPECT_NO_THROW(mcmc.validate(field));
  mcmc.chains = 1'000'000'000;
  expect_error([&] { mcmc.validate(field); }, {"field 'chains'", "[4, 1024]", "got 1000000000"});
  mcmc = {};
  mcmc.nuts.warmup = 1'000'000'000'000;
  expect_error([&] { mcmc.validate(field); }, {"field 'warmup'", "10000000", "iterations per chain"});
  mcmc = {};
  mcmc.nuts.samples = 1'000'000'000'000;
  expect_error([&] { mcmc.validate(field); }, {"field 'samples'", "10000000"});
  mcmc = {};
  mcmc.sampler = pb::LatentSampler::pcn;
  mcmc.pcn.burn_in = 1'000'000'000'000;
  expect_error([&] { mcmc.validate(field); }, {"field 'burn_in'", "10000000"});
  mcmc.pcn.burn_in = 10;
  mcmc.pcn.temperatures = 1'000'000'000;
  expect_error([&] { mcmc.validate(field); }, {"field 'temperatures'", "1024"});
  pb::GaussianStdOptions std_options;
  std_options.samples = 1'000'000'000;
  expect_error([&] { std_options.validate(field); }, {"field 'std_samples'", "[2, 100000]"});
  pb::LatentOptions latent;
  latent.map_prior_starts = 1'000'000'000;
  expect_error([&] { latent.validate(field); }, {"field 'map_prior_starts'", "[0, 10000]"});
}

TEST(HostileInput, ModelLoadBudgetIsReadFromTheEnvironment) {
  const char* variable = pb::kModelTimeoutVariable;
  const std::optional<std::string> previous =
      std::getenv(variable) ? std::optional<std::string>(std::getenv(variable)) : std::nullopt;
  unsetenv(variable);
  EXPECT_EQ(pb::model_timeout()->count(), 60.0);
  setenv(variable, "2.5", 1);
  EXPECT_EQ(pb::model_timeout()->count(), 2.5);
  setenv(variable, "0", 1);
  EXPECT_FALSE(pb::model_timeout().has_value());
  for (const char* bad : {"-1", "ten", "nan", "1e300"}) {
    setenv(variable, bad, 1);
    expect_error([] { pb::model_timeout(); }, {"PRIORBENCH_MODEL_TIMEOUT", bad});
  }
  if (previous) {
    setenv(variable, previous->c_str(), 1);
  } else {
    unsetenv(variable);
  }
  // Disarmed in time, a watchdog ends nothing (the command-line test bad_inputs.sh shows
  // one that fires: a model whose decode never returns).
  { const pb::Watchdog watchdog(std::chrono::duration<double>(30), "never shown"); }
  { const pb::Watchdog unlimited(std::nullopt, "never shown"); }
}
