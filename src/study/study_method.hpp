#pragma once
// The methods a study compares (DESIGN §2), behind one interface: given a task's
// observation, return x̂, pixel std and cost counts. Methods keep what does not depend on
// the task (e.g. a prior built from the training set) between tasks.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/image_shape.hpp"
#include "core/petsc.hpp"
#include "operators/forward_operator.hpp"
#include "study/study_spec.hpp"
#include "study/tasks.hpp"

namespace priorbench {

class Generator;

// One task's observation y = A x† + σ ε, on the communicator of the ranks running it.
struct TaskProblem {
  const Task* task = nullptr;
  std::uint64_t seed = 0;  // the study seed
  ImageShape shape;
  std::shared_ptr<const ForwardOperator> forward;
  Vec data = nullptr;
  double sigma = 0;
};

class DiagonalPlusLowRankPrior;

struct MethodOutcome {
  petsc::Vector mean;
  petsc::Vector std;  // empty when the method gives no uncertainty
  bool std_exact = false;
  std::string std_method;  // woodbury, dense, samples, laplace, mcmc
  // False when the method returned an estimate but a solver did not converge (e.g. no
  // latent MAP start was accepted): the estimate is recorded and flagged.
  bool converged = true;
  std::string warning;
  std::string solver_reason;                              // the main solver's reason
  std::shared_ptr<const DiagonalPlusLowRankPrior> prior;  // variable-space methods
  std::vector<double> latent;                             // z*, z0 of laplace (if any)
  std::map<std::string, double> details;                  // method-specific numbers
  std::int64_t iterations = 0;
  std::int64_t forward_applications = 0;
  std::int64_t adjoint_applications = 0;
  std::int64_t decoder_passes = 0;
};

class StudyMethod {
 public:
  virtual ~StudyMethod() = default;
  virtual MethodOutcome run(const TaskProblem& problem) = 0;
};

struct TrainingImagesView {
  std::size_t count = 0;
  std::size_t pixels_per_image = 0;
  const double* pixels = nullptr;
};

// What methods may need from the study, loaded lazily and shared between methods.
struct StudyResources {
  std::function<const TrainingImagesView&()> training;
  std::function<std::shared_ptr<const Generator>()> generator;
};

struct PosteriorResult;
// A GaussianPosterior's result as a method outcome (shared by the variable-space methods).
MethodOutcome gaussian_outcome(PosteriorResult result);

// Builds the method a [[method]] table names; errors name "method.LABEL.KEY".
std::unique_ptr<StudyMethod> make_study_method(const MethodSpec& spec, const StudySpec& study,
                                               const StudyResources& resources, MPI_Comm comm);

// The method names a study may use.
const std::vector<std::string>& study_method_names();

}  // namespace priorbench
