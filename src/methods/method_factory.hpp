#pragma once
// The methods of DESIGN §2 by name, each with its typed options. A parser (the study file,
// the command line) asks for a method's default options by name, fills them, validates
// them with its own FieldNamer, and hands them to make_method.

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "methods/empirical_method.hpp"
#include "methods/file_prior_method.hpp"
#include "methods/flow_laplace_method.hpp"
#include "methods/flow_map_method.hpp"
#include "methods/laplace_method.hpp"
#include "methods/latent_laplace_method.hpp"
#include "methods/latent_map_method.hpp"
#include "methods/latent_mcmc_method.hpp"
#include "methods/white_method.hpp"

namespace priorbench {

using MethodOptions =
    std::variant<WhiteOptions, EmpiricalOptions, FilePriorOptions, LaplaceOptions, LatentMapMethodOptions,
                 LatentLaplaceMethodOptions, LatentMcmcOptions, FlowMapMethodOptions, FlowLaplaceMethodOptions>;

// white, empirical, file, laplace, latent_map, latent_laplace, latent_mcmc, flow_map,
// flow_laplace (variant order).
const std::vector<std::string>& method_names();
const std::string& method_name(const MethodOptions& options);
// The default options of the method called `name`; an error listing the valid names
// (opened by `where`, e.g. "--method") otherwise.
MethodOptions default_method_options(const std::string& name, const std::string& where);

bool needs_generator(const MethodOptions& options);
// white without tau2 (its τ² is the training set's mean squared pixel) and empirical.
bool needs_training(const MethodOptions& options);
void validate(const MethodOptions& options, const FieldNamer& field);

// Why a method cannot run with this generator, known before any work (empty when it can):
// the flow methods need a normalizing flow; laplace without a nugget needs a decoder
// variance. The methods refuse the same when they run; a study asks here first, so that
// it fails before its results file exists.
std::string generator_mismatch(const MethodOptions& options, const Generator& generator);

std::unique_ptr<ReconstructionMethod> make_method(const MethodOptions& options, const MethodResources& resources);

}  // namespace priorbench
