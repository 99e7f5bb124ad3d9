// The fourier operator's acceleration option (docs/operators.md, "Acceleration"): the data
// size for R = n/d on both masks, the fully sampled centre, the errors of the factory, and
// the study field operator.accelerations with its tasks and errors.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <set>
#include <string>

#include "core/error.hpp"
#include "operators/fourier_mask.hpp"
#include "operators/fourier_operator.hpp"
#include "operators/operator_factory.hpp"
#include "study/study_spec.hpp"
#include "study/tasks.hpp"

namespace pb = priorbench;

namespace {

const MPI_Comm self = PETSC_COMM_SELF;

void expect_error(const std::function<void()>& body, const std::string& fragment) {
  try {
    body();
    ADD_FAILURE() << "expected an error containing: " << fragment;
  } catch (const pb::Error& error) {
    EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
  }
}

std::shared_ptr<pb::FourierOperator> accelerated(pb::ImageShape shape, const std::string& mask, double r,
                                                 double centre = 0.08) {
  pb::OperatorSpec spec;
  spec.name = "fourier";
  spec.fourier_mask = mask;
  spec.fourier_center_fraction = centre;
  spec.acceleration = r;
  spec.seed = 11;
  auto op = std::dynamic_pointer_cast<pb::FourierOperator>(pb::make_operator(self, shape, spec));
  EXPECT_NE(op, nullptr);
  return op;
}

std::set<std::int64_t> sampled_lines(const pb::FourierOperator& op) {
  std::set<std::int64_t> lines;
  for (const auto k : op.frequencies()) {
    const std::int64_t k1 = k / op.shape().width;
    lines.insert(k1);
    lines.insert((op.shape().height - k1) % op.shape().height);  // the conjugate line comes with it
  }
  return lines;
}

}  // namespace

TEST(FourierAcceleration, DataSizesOfTheDocumentedExamples) {
  const pb::ImageShape mri{256, 256};
  for (const char* mask : {"variable-density", "lines"}) {
    EXPECT_EQ(pb::fourier_data_size_for_acceleration(mri, mask, 1), 65536);
    EXPECT_EQ(pb::fourier_data_size_for_acceleration(mri, mask, 2), 32768);
    EXPECT_EQ(pb::fourier_data_size_for_acceleration(mri, mask, 4), 16384);
    EXPECT_EQ(pb::fourier_data_size_for_acceleration(mri, mask, 8), 8192);
  }
  const pb::ImageShape fmnist{28, 28};
  EXPECT_EQ(pb::fourier_data_size_for_acceleration(fmnist, "lines", 2), 14 * 28);
  EXPECT_EQ(pb::fourier_data_size_for_acceleration(fmnist, "lines", 4), 7 * 28);
  EXPECT_EQ(pb::fourier_data_size_for_acceleration(fmnist, "lines", 8), 4 * 28);          // round(3.5) = 4
  EXPECT_EQ(pb::fourier_data_size_for_acceleration(fmnist, "variable-density", 3), 261);  // round(261.33)
  // Odd rows: an even line count moves to the odd neighbour on the side of H/R.
  EXPECT_EQ(pb::fourier_data_size_for_acceleration({27, 27}, "lines", 4), 7 * 27);         // 6.75 → 7
  EXPECT_EQ(pb::fourier_data_size_for_acceleration({27, 27}, "lines", 27 / 8.2), 9 * 27);  // 8.2 → 8 → 9
  EXPECT_EQ(pb::fourier_data_size_for_acceleration({27, 27}, "lines", 27 / 7.8), 7 * 27);  // 7.8 → 8 → 7
  EXPECT_EQ(pb::fourier_data_size_for_acceleration({27, 27}, "lines", 27.0), 27);          // one line
  EXPECT_EQ(pb::fourier_data_size_for_acceleration({27, 27}, "lines", 1e9), 27);           // at least one line
  // Both sides odd, variable density: an even d moves to the odd neighbour (DC stays).
  EXPECT_EQ(pb::fourier_data_size_for_acceleration({27, 27}, "variable-density", 729 / 182.2), 183);
  EXPECT_EQ(pb::fourier_data_size_for_acceleration({27, 27}, "variable-density", 729 / 181.8), 181);
  EXPECT_EQ(pb::fourier_data_size_for_acceleration({27, 28}, "variable-density", 729 / 181.8 * 28 / 27), 182);
  EXPECT_EQ(pb::fourier_data_size_for_acceleration({27, 27}, "variable-density", 1e9), 1);
}

TEST(FourierAcceleration, EveryRateGivesAboutNOverRRowsAndAValidMask) {
  for (const pb::ImageShape shape : {pb::ImageShape{64, 64}, pb::ImageShape{28, 28}, pb::ImageShape{27, 27},
                                     pb::ImageShape{31, 20}, pb::ImageShape{20, 31}}) {
    for (const double r : {1.0, 1.5, 2.0, 3.7, 4.0, 8.0, 12.0}) {
      SCOPED_TRACE(testing::Message() << shape.height << "x" << shape.width << " R " << r);
      const double n = static_cast<double>(shape.size());
      const auto density = accelerated(shape, "variable-density", r);
      EXPECT_EQ(density->rows(), pb::fourier::data_rows(shape, density->frequencies()));
      EXPECT_LE(std::abs(static_cast<double>(density->rows()) - n / r), 1.5);  // rounding, then parity
      EXPECT_EQ(density->frequencies().front(), 0) << "DC is always sampled";

      const auto lines = accelerated(shape, "lines", r);
      EXPECT_EQ(lines->rows() % shape.width, 0);
      const double line_count = static_cast<double>(lines->rows() / shape.width);
      EXPECT_LE(std::abs(line_count - shape.height / r), 1.5);
      EXPECT_EQ(static_cast<double>(sampled_lines(*lines).size()), line_count);
      EXPECT_TRUE(sampled_lines(*lines).count(0)) << "the DC line is always sampled";
    }
  }
}

TEST(FourierAcceleration, TheCentreIsFullySampledAtTwoFourAndEight) {
  const double fraction = 0.08;
  const double centre_radius = std::sqrt(fraction / std::numbers::pi);
  for (const pb::ImageShape shape : {pb::ImageShape{64, 64}, pb::ImageShape{256, 256}}) {
    for (const double r : {2.0, 4.0, 8.0}) {
      SCOPED_TRACE(testing::Message() << shape.height << "x" << shape.width << " R " << r);
      const auto density = accelerated(shape, "variable-density", r, fraction);
      const std::set<std::int64_t> chosen(density->frequencies().begin(), density->frequencies().end());
      std::int64_t centre = 0;
      for (std::int64_t k = 0; k < shape.size(); ++k) {
        if (!pb::fourier::in_half_plane(shape, k) || pb::fourier::normalized_radius(shape, k) > centre_radius) continue;
        ++centre;
        EXPECT_TRUE(chosen.count(k)) << "centre frequency " << k << " missing";
      }
      EXPECT_GT(centre, 10);

      const auto lines = sampled_lines(*accelerated(shape, "lines", r, fraction));
      for (std::int64_t k1 = 0; k1 < shape.height; ++k1) {
        const std::int64_t signed_k1 = k1 <= shape.height - k1 ? k1 : k1 - shape.height;
        if (std::abs(static_cast<double>(signed_k1)) / shape.height <= 0.5 * fraction) {
          EXPECT_TRUE(lines.count(k1)) << "centre line " << k1 << " missing";
        }
      }
    }
  }
}

TEST(FourierAcceleration, ErrorsNameTheOptionAndValue) {
  const pb::ImageShape shape{28, 28};
  pb::OperatorSpec spec;
  spec.name = "fourier";
  const auto make = [&] { pb::make_operator(self, shape, spec); };
  spec.acceleration = 0.5;
  expect_error(make, "--acceleration 0.5 must be a real number >= 1 (the undersampling factor n/d of fourier)");
  spec.acceleration = -2;
  expect_error(make, "--acceleration -2 must be a real number >= 1");
  spec.acceleration = std::numeric_limits<double>::quiet_NaN();
  expect_error(make, "must be a real number >= 1");
  spec.acceleration = std::numeric_limits<double>::infinity();
  expect_error(make, "must be a real number >= 1");
  spec.acceleration = 4;
  spec.data_size = 200;
  expect_error(make, "give either --data-size (200) or --acceleration (4), not both");
  spec.data_size = 0;
  spec.fourier_mask = "spiral";
  expect_error(make, "--fourier-mask 'spiral' is not one of: variable-density, lines");
  spec.fourier_mask = "lines";
  spec.name = "inpaint";
  expect_error(make, "--acceleration applies only to operator fourier, not inpaint");
  spec.name = "fourier";
  EXPECT_EQ(pb::make_operator(self, shape, spec)->rows(), 196);
}

// ---------------------------------------------------------------- study files

namespace {

std::string study_text(const std::string& operator_table) {
  return "[study]\nname = \"a\"\n[truth]\nkinds = [\"test\"]\ntest_count = 2\n[operator]\n" + operator_table +
         "\n[noise]\nsigmas = [0.1, 0.01]\n[[method]]\nname = \"white\"\n";
}

}  // namespace

TEST(FourierAcceleration, StudyAccelerationsAreTheDataSizeAxis) {
  const auto spec = pb::parse_study(study_text("name = \"fourier\"\naccelerations = [2, 4.5, 8]"), "a.toml");
  EXPECT_EQ(spec.accelerations, (std::vector<double>{2, 4.5, 8}));
  EXPECT_TRUE(spec.data_sizes.empty());
  const auto tasks = pb::enumerate_tasks(spec);
  ASSERT_EQ(tasks.size(), 2u * 3u * 2u);
  // kind → truth → acceleration → σ → replicate
  EXPECT_EQ(tasks[0].acceleration, 2);
  EXPECT_EQ(tasks[1].acceleration, 2);
  EXPECT_EQ(tasks[2].acceleration, 4.5);
  EXPECT_EQ(tasks[4].acceleration, 8);
  EXPECT_EQ(tasks[6].acceleration, 2);
  for (const auto& task : tasks) EXPECT_EQ(task.data_size, 0);

  const auto sized = pb::parse_study(study_text("name = \"fourier\"\ndata_sizes = [100, 200]"), "b.toml");
  for (const auto& task : pb::enumerate_tasks(sized)) EXPECT_EQ(task.acceleration, 0);
}

TEST(FourierAcceleration, StudyErrorsNameFileFieldAndValue) {
  const auto parse = [](const std::string& table) { return [table] { pb::parse_study(study_text(table), "x.toml"); }; };
  expect_error(parse("name = \"fourier\"\naccelerations = [2, 0.5]"),
               "x.toml: field 'operator.accelerations' has 0.5; accelerations (undersampling factors n/d) must be at "
               "least 1");
  expect_error(parse("name = \"fourier\"\naccelerations = [4]\ndata_sizes = [100]"),
               "x.toml: give either 'operator.data_sizes' or 'operator.accelerations', not both");
  expect_error(parse("name = \"inpaint\"\naccelerations = [4]"),
               "x.toml: field 'operator.accelerations' applies only to operator fourier, not 'inpaint'");
  expect_error(parse("name = \"fourier\"\naccelerations = []"),
               "x.toml: field 'operator.accelerations' must list at least one acceleration");
  expect_error(parse("name = \"fourier\"\naccelerations = [\"4\"]"),
               "x.toml: field 'operator.accelerations' entry 0 must be a number");
  expect_error(parse("name = \"fourier\"\naccelerations = 4"),
               "x.toml: field 'operator.accelerations' must be an array");
}
