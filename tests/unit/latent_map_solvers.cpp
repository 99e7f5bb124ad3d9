// The latent MAP's default solver, Levenberg–Marquardt, against L-BFGS (PETSc TAO lmvm) on
// every task of the quickstart study (studies/quickstart.toml: the shipped VAE,
// Fashion-MNIST inpainting, test and generated truths, three noise levels), built exactly
// as `priorbench run` builds them: from the same starts, Levenberg–Marquardt ends every
// task accepted and at an objective no higher than L-BFGS's plus 1e-8 relative, and on no
// task on an iteration limit.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "generative/torch/generator_loader.hpp"
#include "inference/latent_map.hpp"
#include "methods/latent_common.hpp"
#include "methods/method_resources.hpp"
#include "study/study_spec.hpp"
#include "study/task_inputs.hpp"
#include "study/tasks.hpp"

namespace pb = priorbench;
namespace fs = std::filesystem;

namespace {

fs::path source_root() {
  const char* source = std::getenv("PRIORBENCH_SOURCE_DIR");
  return source != nullptr ? fs::path(source) : fs::path(__FILE__).parent_path().parent_path().parent_path();
}

}  // namespace

TEST(LatentMapSolvers, LevenbergMarquardtMatchesOrBeatsLbfgsOnEveryQuickstartTask) {
  const fs::path root = source_root();
  pb::StudySpec study = pb::read_study((root / "studies" / "quickstart.toml").string());
  study.model_file = (root / study.model_file).string();
  pb::LazyMethodResources files(pb::study_resource_files(study),
                                [](const std::string& path) { return pb::load_generator(path); });
  const pb::MethodResources resources = files.view();
  const pb::TaskInputs inputs(study, [&resources](const std::string&) { return resources; });
  const auto tasks = pb::enumerate_tasks(study);
  ASSERT_EQ(tasks.size(), 36u);
  for (const pb::Task& task : tasks) {
    SCOPED_TRACE("task " + std::to_string(task.id));
    const auto forward = inputs.forward(task);
    const pb::Observation observation = inputs.observe(task, forward, inputs.truth(task));
    const pb::LatentProblem problem = pb::make_latent_problem(observation, resources.generator(), {});
    pb::LatentMapOptions options = pb::latent_map_options({}, observation.random);  // as the methods set them
    const pb::LatentMapResult lm = pb::latent_map(problem, options);
    options.solver = pb::LatentMapSolver::lbfgs;
    const pb::LatentMapResult lbfgs = pb::latent_map(problem, options);
    EXPECT_TRUE(lm.converged) << lm.warning;
    EXPECT_LE(lm.objective, lbfgs.objective * (1 + 1e-8)) << "L-BFGS " << lbfgs.objective;
    for (const auto& start : lm.starts) {
      EXPECT_NE(start.reason_name, "LM_DIVERGED_MAXITS") << start.kind;
      EXPECT_NE(start.reason_name, "LM_DIVERGED_DAMPING") << start.kind;
    }
  }
}
