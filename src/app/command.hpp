#pragma once
// Each subcommand of `priorbench` lives in its own file and registers itself here: it
// adds its options to the CLI11 app and returns the function to run once the
// MPI/PETSc session is up.

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/session.hpp"

namespace priorbench::app {

using CommandRunner = std::function<void(const Session&)>;

// The command line as typed, recorded in every output file.
void set_command_line(int argc, char** argv);
const std::string& command_line_text();

// Registers `priorbench solve`; the runner is called only if that subcommand was chosen.
CommandRunner register_solve(CLI::App& app);
// `priorbench inspect`: sensitivity analysis of a generator under an operator.
CommandRunner register_inspect(CLI::App& app);
// `priorbench merge`: one results file from the shards of a study.
CommandRunner register_merge(CLI::App& app);
// `priorbench run`: a Monte Carlo study on all ranks, resumable.
CommandRunner register_run(CLI::App& app);
// `priorbench submit`: a study as SLURM jobs (one job, or a shard array and a merge job).
CommandRunner register_submit(CLI::App& app);
// `priorbench report`: tables, contraction rates and figures from a results file (rank 0).
CommandRunner register_report(CLI::App& app);
// `priorbench train`: a VAE written as a TorchScript model file.
CommandRunner register_train(CLI::App& app);
// `priorbench model`: check a model file against the contract; evaluate it.
CommandRunner register_model(CLI::App& app);

// For -o and other paths: refuses an empty value (-o '') at parse time, before it could mean
// "the default" or reach the file system as the working directory.
const CLI::Validator& non_empty_path();

// Every subcommand's registration, in the order `priorbench --help` lists them.
using CommandRegistrar = CommandRunner (*)(CLI::App&);
const std::vector<CommandRegistrar>& subcommand_registrars();

}  // namespace priorbench::app
