#include "generative/torch/flow_model.hpp"

#include <cmath>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/random.hpp"
#include "generative/model_contract.hpp"
#include "generative/torch/flow_module.hpp"
#include "generative/torch/torch_model.hpp"
#include "generative/torch/vae_module.hpp"

namespace priorbench {
namespace {

// Hidden width of level ℓ (one value given: every level).
std::size_t hidden_width(const FlowModelOptions& o, std::size_t level) {
  return o.hidden.size() == 1 ? o.hidden.front() : o.hidden[level];
}

}  // namespace

const std::vector<std::string>& flow_preprocessing_names() {
  static const std::vector<std::string> names = {"none", "logit"};
  return names;
}

std::vector<std::size_t> flow_level_sizes(const FlowModelOptions& o) {
  std::vector<std::size_t> sizes;
  std::size_t size = static_cast<std::size_t>(o.shape.size());
  for (std::size_t level = 0; level < o.couplings.size(); ++level) {
    sizes.push_back(size);
    size = (size + 1) / 2;
  }
  return sizes;
}

void validate(const FlowModelOptions& o) {
  PB_REQUIRE(o.shape.height > 0 && o.shape.width > 0, "flow: image shape must be positive, got ", o.shape.height, "x",
             o.shape.width);
  PB_REQUIRE(!o.couplings.empty() && o.couplings.size() <= 8, "--couplings: a flow takes 1 to 8 levels, got ",
             o.couplings.size());
  for (const auto count : o.couplings) {
    PB_REQUIRE(count > 0 && count <= 64, "--couplings: 1 to 64 coupling steps per level, got ", count);
  }
  PB_REQUIRE(o.hidden.size() == 1 || o.hidden.size() == o.couplings.size(),
             "--hidden: give one width or one per level (", o.couplings.size(), "), got ", o.hidden.size());
  for (const auto width : o.hidden) PB_REQUIRE(width > 0 && width <= 65536, "--hidden: widths must be in [1, 65536]");
  PB_REQUIRE(flow_level_sizes(o).back() >= 2, "flow: ", o.couplings.size(), " levels halve ", o.shape.size(),
             " variables to fewer than 2; use fewer levels");
  PB_REQUIRE(o.preprocessing == FlowPreprocessing::none || (o.alpha > 0 && o.alpha < 0.5),
             "--alpha must be in (0, 0.5), got ", o.alpha);
  PB_REQUIRE(o.coupling_init_scale >= 0 && std::isfinite(o.coupling_init_scale),
             "flow: coupling_init_scale must be finite and non-negative");
}

std::string describe(const FlowModelOptions& o) {
  std::ostringstream out;
  const auto sizes = flow_level_sizes(o);
  out << "normalizing flow (RealNVP, multi-scale): ";
  if (o.preprocessing == FlowPreprocessing::logit) {
    out << "logit pre-processing (alpha " << o.alpha << "), ";
  } else {
    out << "centred pixels x - 1/2, ";
  }
  for (std::size_t level = 0; level < sizes.size(); ++level) {
    out << (level ? "; " : "") << "level " << level << ": " << o.couplings[level] << " x (actnorm, permutation, "
        << "affine coupling " << sizes[level] / 2 << "->" << hidden_width(o, level) << "->" << hidden_width(o, level)
        << "->" << 2 * (sizes[level] - sizes[level] / 2) << ") on " << sizes[level] << " variables";
  }
  out << ", softplus, tanh scales, m = n = " << o.shape.size();
  return out.str();
}

void save_untrained_flow(const FlowModelOptions& options, std::uint64_t seed, const std::string& path) {
  validate(options);
  torch::manual_seed(seed);
  auto module = torch_detail::build_flow_module(options, at::kDouble);
  {
    torch::NoGradGuard no_grad;
    for (const auto& parameter : module.named_parameters()) {
      const auto& name = parameter.name;
      if (name.find("_an_") != std::string::npos) parameter.value.uniform_(-0.2, 0.2);
    }
  }
  try {
    module.save(path);
  } catch (const std::exception& error) {
    PB_FAIL(path, ": cannot write the model: ", torch_detail::summarize(error));
  }
}

}  // namespace priorbench

namespace priorbench::torch_detail {
namespace {

std::string step_name(std::size_t level, std::size_t step) {
  return "c" + std::to_string(level) + "_" + std::to_string(step);
}

// A permutation of D entries fixed by (level, step) alone (Fisher–Yates on counter-based
// uniforms), so two flows of the same options mix the same variables.
std::vector<std::int64_t> fixed_permutation(std::size_t size, std::size_t level, std::size_t step) {
  std::vector<std::int64_t> permutation(size);
  std::iota(permutation.begin(), permutation.end(), 0);
  const CounterRandom random(0x666c6f77, level, Purpose::flow_permutations, step);
  for (std::size_t i = size; i-- > 1;) {
    const auto j = static_cast<std::size_t>(random.uniform(i) * static_cast<double>(i + 1));
    std::swap(permutation[i], permutation[std::min(j, i)]);
  }
  return permutation;
}

std::vector<std::int64_t> inverse_permutation(const std::vector<std::int64_t>& permutation) {
  std::vector<std::int64_t> inverse(permutation.size());
  for (std::size_t i = 0; i < permutation.size(); ++i) inverse[static_cast<std::size_t>(permutation[i])] = i;
  return inverse;
}

void register_step(torch::jit::Module& module, const FlowModelOptions& o, std::size_t level, std::size_t step,
                   std::size_t size, at::ScalarType dtype) {
  const std::string name = step_name(level, step);
  const auto options = at::TensorOptions().dtype(dtype);
  const auto d = static_cast<std::int64_t>(size), a = d / 2, b = d - a;
  const auto width = static_cast<std::int64_t>(hidden_width(o, level));
  module.register_parameter(name + "_an_logs", at::zeros({d}, options), false);
  module.register_parameter(name + "_an_bias", at::zeros({d}, options), false);
  const auto permutation = fixed_permutation(size, level, step);
  module.register_attribute(name + "_perm", c10::ListType::ofInts(), c10::List<std::int64_t>(permutation));
  module.register_attribute(name + "_iperm", c10::ListType::ofInts(),
                            c10::List<std::int64_t>(inverse_permutation(permutation)));
  dense(module, name + "_c0", a, width, dtype);
  dense(module, name + "_c1", width, width, dtype);
  dense(module, name + "_c2", width, 2 * b, dtype);
  torch::NoGradGuard no_grad;
  const double bound = o.coupling_init_scale / std::sqrt(static_cast<double>(width));
  for (const auto* part : {"_c2_w", "_c2_b"}) {
    auto values = module.attr(name + part).toTensor();
    if (bound > 0) {
      values.uniform_(-bound, bound);
    } else {
      values.zero_();
    }
  }
}

// (s, t) of a coupling from its conditioning half.
std::string conditioner_source() {
  return "def conditioner(self, a: Tensor, w0: Tensor, b0: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor,\n"
         "                half: int) -> Tuple[Tensor, Tensor]:\n"
         "    h = torch.softplus(torch.addmm(b0, a, w0.t()))\n"
         "    h = torch.softplus(torch.addmm(b1, h, w1.t()))\n"
         "    c = torch.addmm(b2, h, w2.t())\n"
         "    return (torch.tanh(c[:, :half]), c[:, half:])\n\n";
}

std::string conditioner_call(const std::string& name, std::int64_t b) {
  std::ostringstream s;
  s << "self.conditioner(h[:, :a], self." << name << "_c0_w, self." << name << "_c0_b, self." << name << "_c1_w, self."
    << name << "_c1_b, self." << name << "_c2_w, self." << name << "_c2_b, " << b << ")";
  return s.str();
}

// The first lines of inverse_and_log_det: h and ld from x.
std::string preprocessing_source(const FlowModelOptions& o) {
  const auto n = o.shape.size();
  std::ostringstream s;
  s.precision(17);
  if (o.preprocessing == FlowPreprocessing::none) {
    s << "    h = x.reshape([x.shape[0], " << n << "]) - 0.5\n"
      << "    ld = torch.zeros_like(h[:, 0])\n";
    return s.str();
  }
  s << "    p = " << o.alpha << " + " << 1 - 2 * o.alpha << " * x.reshape([x.shape[0], " << n << "])\n"
    << "    log_p = torch.log(p)\n"
    << "    log_q = torch.log1p(-p)\n"
    << "    h = log_p - log_q\n"
    << "    ld = (" << std::log(1 - 2 * o.alpha) << " - log_p - log_q).sum(1)\n";
  return s.str();
}

// inverse_and_log_det(x): data → latent, with log|det ∂z/∂x|.
std::string inverse_source(const FlowModelOptions& o, const std::vector<std::size_t>& sizes) {
  std::ostringstream s;
  s.precision(17);
  s << "def inverse_and_log_det(self, x: Tensor) -> Tuple[Tensor, Tensor]:\n" << preprocessing_source(o);
  s << "    out: List[Tensor] = []\n";
  for (std::size_t level = 0; level < sizes.size(); ++level) {
    const auto d = static_cast<std::int64_t>(sizes[level]), a = d / 2, b = d - a;
    s << "    a = " << a << "\n";
    for (std::size_t step = 0; step < o.couplings[level]; ++step) {
      const std::string name = step_name(level, step);
      s << "    h = (h + self." << name << "_an_bias) * torch.exp(self." << name << "_an_logs)\n"
        << "    ld = ld + self." << name << "_an_logs.sum()\n"
        << "    h = h.index_select(1, torch.tensor(self." << name << "_perm))\n"
        << "    st = " << conditioner_call(name, b) << "\n"
        << "    h = torch.cat([h[:, :a], h[:, a:] * torch.exp(st[0]) + st[1]], 1)\n"
        << "    ld = ld + st[0].sum(1)\n";
    }
    if (level + 1 < sizes.size()) {
      const auto keep = static_cast<std::int64_t>(sizes[level + 1]);
      s << "    out.append(h[:, " << keep << ":])\n"
        << "    h = h[:, :" << keep << "]\n";
    }
  }
  s << "    out.append(h)\n"
    << "    return (torch.cat(out, 1), ld)\n\n"
    << "def inverse(self, x: Tensor) -> Tensor:\n"
    << "    return self.inverse_and_log_det(x)[0]\n\n"
    << "def log_det_jacobian(self, x: Tensor) -> Tensor:\n"
    << "    return self.inverse_and_log_det(x)[1]\n\n";
  return s.str();
}

// decode(z): latent → data, the steps of inverse_and_log_det undone in reverse order.
std::string decode_source(const FlowModelOptions& o, const std::vector<std::size_t>& sizes) {
  std::ostringstream s;
  s.precision(17);
  s << "def decode(self, z: Tensor) -> Tensor:\n";
  // The factored-out parts sit in z in level order, the last level's variables at the end.
  std::vector<std::int64_t> offsets;  // start of level ℓ's factored-out part in z
  std::int64_t offset = 0;
  for (std::size_t level = 0; level + 1 < sizes.size(); ++level) {
    offsets.push_back(offset);
    offset += static_cast<std::int64_t>(sizes[level] - sizes[level + 1]);
  }
  s << "    h = z[:, " << offset << ":]\n";
  for (std::size_t level = sizes.size(); level-- > 0;) {
    const auto d = static_cast<std::int64_t>(sizes[level]), a = d / 2, b = d - a;
    if (level + 1 < sizes.size()) {
      const auto begin = offsets[level], end = begin + d - static_cast<std::int64_t>(sizes[level + 1]);
      s << "    h = torch.cat([h, z[:, " << begin << ":" << end << "]], 1)\n";
    }
    s << "    a = " << a << "\n";
    for (std::size_t step = o.couplings[level]; step-- > 0;) {
      const std::string name = step_name(level, step);
      s << "    st = " << conditioner_call(name, b) << "\n"
        << "    h = torch.cat([h[:, :a], (h[:, a:] - st[1]) * torch.exp(-st[0])], 1)\n"
        << "    h = h.index_select(1, torch.tensor(self." << name << "_iperm))\n"
        << "    h = h * torch.exp(-self." << name << "_an_logs) - self." << name << "_an_bias\n";
    }
  }
  if (o.preprocessing == FlowPreprocessing::logit) {
    s << "    x = (torch.sigmoid(h) - " << o.alpha << ") / " << 1 - 2 * o.alpha << "\n";
  } else {
    s << "    x = h + 0.5\n";
  }
  s << "    return x.reshape([z.shape[0], " << o.shape.height << ", " << o.shape.width << "])\n\n";
  return s.str();
}

}  // namespace

std::string first_actnorm_name() { return step_name(0, 0) + "_an"; }

torch::jit::Module build_flow_module(const FlowModelOptions& o, at::ScalarType dtype) {
  validate(o);
  torch::jit::Module module("PriorbenchFlow");
  const auto sizes = flow_level_sizes(o);
  for (std::size_t level = 0; level < sizes.size(); ++level) {
    for (std::size_t step = 0; step < o.couplings[level]; ++step)
      register_step(module, o, level, step, sizes[level], dtype);
  }
  const auto n = static_cast<std::int64_t>(o.shape.size());
  module.register_attribute("format_version", c10::IntType::get(), kModelFormatVersion);
  module.register_attribute("kind", c10::StringType::get(), generator_kind_name(GeneratorKind::flow));
  module.register_attribute("latent_dim", c10::IntType::get(), n);
  module.register_attribute("image_height", c10::IntType::get(), static_cast<std::int64_t>(o.shape.height));
  module.register_attribute("image_width", c10::IntType::get(), static_cast<std::int64_t>(o.shape.width));
  module.register_attribute("variance_kind", c10::StringType::get(), variance_kind_name(DecoderVariance::none));
  module.register_attribute("description", c10::StringType::get(), describe(o));
  module.register_attribute("architecture", c10::StringType::get(), std::string("realnvp-mlp"));
  module.register_attribute("preprocessing", c10::StringType::get(),
                            flow_preprocessing_names()[static_cast<std::size_t>(o.preprocessing)]);
  if (o.preprocessing == FlowPreprocessing::logit) module.register_attribute("alpha", c10::FloatType::get(), o.alpha);
  try {
    module.define(conditioner_source() + inverse_source(o, sizes) + decode_source(o, sizes));
  } catch (const std::exception& error) {
    PB_FAIL("flow model source does not compile (a bug): ", summarize(error));
  }
  return module;
}

}  // namespace priorbench::torch_detail
