#include "app/command.hpp"

namespace priorbench::app {
namespace {
std::string the_command_line;
}  // namespace

void set_command_line(int argc, char** argv) {
  the_command_line.clear();
  for (int i = 0; i < argc; ++i) the_command_line += (i ? " " : "") + std::string(argv[i]);
}

const std::string& command_line_text() { return the_command_line; }

const CLI::Validator& non_empty_path() {
  static const CLI::Validator validator(
      [](const std::string& value) { return value.empty() ? std::string("the path is empty") : std::string(); }, "PATH",
      "non-empty path");
  return validator;
}

const std::vector<CommandRegistrar>& subcommand_registrars() {
  static const std::vector<CommandRegistrar> registrars = {register_solve, register_inspect, register_run,
                                                           register_merge, register_submit,  register_report,
                                                           register_train, register_model};
  return registrars;
}

}  // namespace priorbench::app
