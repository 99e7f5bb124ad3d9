#pragma once
// Every option of every method as named fields, for the code that reads options from text
// (the study file) or writes them as text (results files): one list of keys, so the
// reader, the writer and docs/study-format.md cannot drift apart.
//
// A Visitor has
//   number(key, double&)   integer(key, int&)   count(key, std::size_t&)   flag(key, bool&)
//   text(key, std::string&)   choice(key, Enum&, names)   (names in enum order)
// and visit_fields calls it once per option of the method `options` holds.

#include <string>
#include <variant>

#include "methods/method_factory.hpp"

namespace priorbench {

template <class Visitor>
void visit_std_fields(GaussianStdOptions& o, Visitor& v) {
  v.choice("std", o.route, variance_route_names());
  v.integer("std_samples", o.samples);
}

template <class Visitor>
void visit_latent_fields(LatentOptions& o, Visitor& v) {
  v.choice("likelihood", o.likelihood, likelihood_names());
  v.choice("map_solver", o.map_solver, latent_map_solver_names());
  v.integer("map_prior_starts", o.map_prior_starts);
}

template <class Visitor>
void visit_flow_fields(FlowOptions& o, Visitor& v) {
  v.choice("map_solver", o.map_solver, latent_map_solver_names());
  v.integer("map_prior_starts", o.map_prior_starts);
}

template <class Visitor>
struct MethodFields {
  Visitor& v;
  void operator()(WhiteOptions& o) const {
    v.number("tau2", o.tau2);
    visit_std_fields(o.std, v);
  }
  void operator()(EmpiricalOptions& o) const {
    v.number("delta", o.prior.delta);
    v.count("rank", o.prior.rank);
    visit_std_fields(o.std, v);
  }
  void operator()(FilePriorOptions& o) const {
    v.text("file", o.file);
    visit_std_fields(o.std, v);
  }
  void operator()(LaplaceOptions& o) const {
    visit_latent_fields(o.latent, v);
    v.choice("z0", o.z0, linearization_point_names());
    v.number("nugget", o.nugget);
    visit_std_fields(o.std, v);
  }
  void operator()(LatentMapMethodOptions& o) const { visit_latent_fields(o.latent, v); }
  void operator()(FlowMapMethodOptions& o) const { visit_flow_fields(o.flow, v); }
  void operator()(FlowLaplaceMethodOptions& o) const {
    visit_flow_fields(o.flow, v);
    v.count("rank", o.rank);
  }
  void operator()(LatentLaplaceMethodOptions& o) const { visit_latent_fields(o.latent, v); }
  // The sampler first: only its own keys follow, so a key of the other sampler is unknown.
  void operator()(LatentMcmcOptions& o) const {
    visit_latent_fields(o.latent, v);
    v.choice("sampler", o.sampler, latent_sampler_names());
    v.count("chains", o.chains);
    v.flag("predictive", o.predictive);
    if (o.sampler == LatentSampler::nuts) {
      v.count("warmup", o.nuts.warmup);
      v.count("samples", o.nuts.samples);
      v.count("max_tree_depth", o.nuts.max_tree_depth);
      v.number("target_acceptance", o.nuts.target_acceptance);
      v.choice("metric", o.nuts.metric, metric_kind_names());
      v.count("base_window", o.nuts.base_window);
      v.number("start_spread", o.nuts.start_spread);
    } else {
      v.count("temperatures", o.pcn.temperatures);
      v.count("burn_in", o.pcn.burn_in);
      v.count("samples", o.pcn.samples);
      v.count("thinning", o.pcn.thinning);
      v.number("hottest_inverse_temperature", o.pcn.hottest_inverse_temperature);
    }
  }
};

template <class Visitor>
void visit_fields(MethodOptions& options, Visitor& visitor) {
  std::visit(MethodFields<Visitor>{visitor}, options);
}

// "key = value" per line for every option (defaults included), values as a study file
// writes them: the record of what a method ran with.
std::string describe_fields(const MethodOptions& options);

// What a reader needs after "unknown field 'KEY' for method 'NAME'" when the keys a method
// accepts depend on a choice among its options (latent_mcmc's sampler); empty otherwise.
std::string field_context(const MethodOptions& options);

}  // namespace priorbench
