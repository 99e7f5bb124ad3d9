// Study files (study/study_spec.hpp, docs/study-format.md): the input is the TOML file.
// It is read and validated (every [[method]]'s options through study/method_tables), its
// tasks enumerated, and every method made from its options (methods/method_factory; a
// method loads its training set or generator and makes PETSc objects only when it runs,
// so neither is needed here).

#include "core/error.hpp"
#include "methods/method_factory.hpp"
#include "study/study_spec.hpp"
#include "study/tasks.hpp"
#include "support.hpp"

namespace pb = priorbench;
namespace pf = priorbench::fuzz;

namespace {

void read_study(const std::string& path) {
  const pb::StudySpec study = pb::read_study(path);
  pb::enumerate_tasks(study);
  pb::MethodResources resources;
  resources.training = []() -> pb::TrainingImages { PB_FAIL("fuzzing loads no training set"); };
  resources.generator = []() -> std::shared_ptr<const pb::Generator> { PB_FAIL("fuzzing loads no generator"); };
  for (const auto& method : study.methods) pb::make_method(method.options, resources);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pf::initialize_process();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = pf::write_scratch_file("study.toml", std::span(data, size));
  pf::expect_success_or_error([&] { read_study(path); });
  return 0;
}
