// priorbench: Bayesian inverse problems with deep generative priors, benchmarked.
//
// Sample runs:
//   priorbench solve --image fashion-mnist:test:17 --operator inpaint --data-size 392
//                    --sigma 0.01 --method white,empirical --seed 1 -o out.h5
//   mpirun -n 2 priorbench solve --image fashion-mnist:test:3 --operator blur --sigma 0.01
//                    --method white -o blur.h5 -ksp_monitor
//   priorbench inspect --model models/fmnist-vae-mlp-m16.pt --image fashion-mnist:test:0
//                      --operator inpaint --data-size 196 --sigma 0.05 -o inspect.h5
//   mpirun -n 2 priorbench run studies/quickstart.toml -o results/quickstart.h5
//   priorbench submit studies/quickstart.toml -o results/quickstart.h5 --shards 2 --dry-run
//   priorbench train -o model.pt --epochs 30 --report report.h5
//   priorbench model models/fmnist-vae-mlp-m16.pt
//
// Options with a single dash and a name (-ksp_type cg, -log_view) go to PETSc/SLEPc
// unchanged; everything else is parsed here.

#include <CLI/CLI.hpp>

#include <iostream>
#include <vector>

#include "app/command.hpp"
#include "core/error.hpp"
#include "core/session.hpp"
#include "core/version.hpp"

namespace {

// Every rank meets the same errors (inputs are read on all ranks), so rank 0 speaks for all.
int report_failure(const priorbench::Session& session, const std::string& message) {
  if (session.rank() == 0) {
    std::cerr << "priorbench: error: " << message << std::endl;
  }
  if (session.size() > 1) {
    // Other ranks may be waiting in a collective call; end them all with a failure.
    MPI_Abort(session.comm(), 1);
  }
  return 1;
}

}  // namespace

namespace priorbench::app {
namespace {
std::string the_command_line;
}
void set_command_line(int argc, char** argv) {
  the_command_line.clear();
  for (int i = 0; i < argc; ++i) the_command_line += (i ? " " : "") + std::string(argv[i]);
}
const std::string& command_line_text() { return the_command_line; }
}  // namespace priorbench::app

int main(int argc, char** argv) {
  priorbench::app::set_command_line(argc, argv);
  const auto arguments = priorbench::split_petsc_arguments(argc, argv);
  priorbench::Session session(arguments.petsc);

  CLI::App app{"priorbench: Bayesian inverse problems with deep generative priors"};
  app.set_version_flag("--version", std::string(priorbench::kVersion) + " (" + priorbench::kGitVersion + ")");
  app.require_subcommand(1);
  const auto run_solve = priorbench::app::register_solve(app);
  const auto run_study = priorbench::app::register_run(app);
  const auto run_merge = priorbench::app::register_merge(app);
  const auto run_submit = priorbench::app::register_submit(app);
  const auto run_inspect = priorbench::app::register_inspect(app);
  const auto run_report = priorbench::app::register_report(app);
  const auto run_train = priorbench::app::register_train(app);
  const auto run_model = priorbench::app::register_model(app);

  try {
    std::vector<std::string> reversed(arguments.application.rbegin(), arguments.application.rend() - 1);
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    if (session.rank() == 0) {
      return app.exit(error);
    }
    return error.get_exit_code();
  }

  try {
    if (app.got_subcommand("solve")) {
      run_solve(session);
    } else if (app.got_subcommand("inspect")) {
      run_inspect(session);
    } else if (app.got_subcommand("merge")) {
      run_merge(session);
    } else if (app.got_subcommand("submit")) {
      run_submit(session);
    } else if (app.got_subcommand("run")) {
      run_study(session);
    } else if (app.got_subcommand("report")) {
      run_report(session);
    } else if (app.got_subcommand("train")) {
      run_train(session);
    } else if (app.got_subcommand("model")) {
      run_model(session);
    }
  } catch (const priorbench::Error& error) {
    return report_failure(session, error.what());
  } catch (const std::exception& error) {
    return report_failure(session, error.what());
  }
  return 0;
}
