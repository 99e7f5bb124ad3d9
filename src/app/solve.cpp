#include "app/command.hpp"

namespace priorbench::app {

CommandRunner register_solve(CLI::App& app) {
  auto* command = app.add_subcommand("solve", "Reconstruct one image with the variable-space Gaussian priors");
  return [command](const Session&) { (void)command; };
}

}  // namespace priorbench::app
