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

int main(int argc, char** argv) {
  priorbench::app::set_command_line(argc, argv);
  const auto arguments = priorbench::split_petsc_arguments(argc, argv);
  priorbench::Session session(arguments.petsc);

  CLI::App app{"priorbench: Bayesian inverse problems with deep generative priors"};
  app.set_version_flag("--version", std::string(priorbench::kVersion) + " (" + priorbench::kGitVersion + ")");
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, priorbench::app::CommandRunner>> commands;
  for (const auto& registrar : priorbench::app::subcommand_registrars()) {
    auto runner = registrar(app);
    // The subcommand the registrar just added (with a filter, CLI11 lists all, not only parsed ones).
    const auto all = app.get_subcommands([](const CLI::App*) { return true; });
    commands.emplace_back(all.back(), std::move(runner));
  }

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
    for (const auto& [command, run] : commands) {
      if (command->parsed()) run(session);
    }
  } catch (const priorbench::Error& error) {
    return report_failure(session, error.what());
  } catch (const std::exception& error) {
    return report_failure(session, error.what());
  }
  return 0;
}
