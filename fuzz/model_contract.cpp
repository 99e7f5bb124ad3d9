// The model-file contract checks (generative/model_contract.hpp) without Torch: the
// attributes of a conforming model (with the provenance of `priorbench train`) and the
// shapes its probe calls return, edited by the input — attributes removed, of another
// kind, with other values (2^40 latent dimensions, negative sizes, NaN diagnostics),
// shapes of other ranks and extents — then checked as torch_model.cpp checks a module.

#include <fuzzer/FuzzedDataProvider.h>

#include <limits>

#include "generative/model_contract.hpp"
#include "support.hpp"

namespace pb = priorbench;
namespace pf = priorbench::fuzz;

namespace {

constexpr std::int64_t kBatch = 2;

pb::ModelAttribute integer(std::int64_t value) { return {value, "Int"}; }
pb::ModelAttribute number(double value) { return {value, "Double"}; }
pb::ModelAttribute text(std::string value) { return {std::move(value), "String"}; }
pb::ModelAttribute list(std::vector<double> values) { return {std::move(values), "DoubleList"}; }

pb::ModelAttributes conforming_attributes() {
  const std::size_t m = 4;
  return {{"format_version", integer(1)},
          {"latent_dim", integer(m)},
          {"image_height", integer(3)},
          {"image_width", integer(2)},
          {"variance_kind", text("per_pixel")},
          {"description", text("fuzz VAE")},
          {"test_elbo", number(-12.5)},
          {"training_log", text("priorbench train\nepoch 1\n")},
          {"diagnostics_kl", list({0.5, 0.001, 1.25, 0.0})},
          {"diagnostics_activity", list({0.2, 0.0, 0.9, 0.005})},
          {"diagnostics_mean_encoder_variance", list({0.5, 1.0, 0.1, 0.99})},
          {"diagnostics_decoder_column_norms", list({1.0, 0.01, 2.0, 0.0})},
          {"diagnostics_images", integer(100)},
          {"diagnostics_jacobian_images", number(64)},
          {"diagnostics_activity_threshold", number(0.01)},
          {"diagnostics_kl_threshold", number(0.01)}};
}

std::int64_t interesting_integer(FuzzedDataProvider& input) {
  if (input.ConsumeBool()) return input.ConsumeIntegral<std::int64_t>();
  return input.PickValueInArray<std::int64_t>({0, 1, 2, 3, 4, -1, 28, 784, 65536, 2147483647, 2147483648, 1ll << 40,
                                               std::numeric_limits<std::int64_t>::max(),
                                               std::numeric_limits<std::int64_t>::min()});
}

double interesting_double(FuzzedDataProvider& input) {
  if (input.ConsumeBool()) return input.ConsumeFloatingPoint<double>();
  return input.PickValueInArray<double>({0.0, -1.0, 0.5, 64.0, 1e300, -1e300, 1e20, 9007199254740993.0,
                                         std::numeric_limits<double>::quiet_NaN(),
                                         std::numeric_limits<double>::infinity()});
}

pb::ModelAttribute interesting_attribute(FuzzedDataProvider& input) {
  switch (input.ConsumeIntegralInRange(0, 4)) {
    case 0:
      return integer(interesting_integer(input));
    case 1:
      return number(interesting_double(input));
    case 2:
      return text(input.PickValueInArray<std::string>({"none", "scalar", "per_pixel", "", "Scalar"}) +
                  input.ConsumeRandomLengthString(8));
    case 3: {
      std::vector<double> values(input.ConsumeIntegralInRange<std::size_t>(0, 6));
      for (auto& value : values) value = interesting_double(input);
      return list(std::move(values));
    }
    default:
      return {std::monostate{}, input.PickValueInArray<std::string>({"Tensor", "None", "IntList", "Bool"})};
  }
}

void edit_attributes(pb::ModelAttributes& attributes, FuzzedDataProvider& input) {
  const auto& names = pb::model_attribute_names();
  const std::size_t edits = input.ConsumeIntegralInRange<std::size_t>(0, 6);
  for (std::size_t edit = 0; edit < edits; ++edit) {
    const std::string& name = names[input.ConsumeIntegralInRange<std::size_t>(0, names.size() - 1)];
    if (input.ConsumeIntegralInRange(0, 3) == 0) {
      attributes.erase(name);
    } else {
      attributes[name] = interesting_attribute(input);
    }
  }
}

// A shape close to `valid`: as is, or with an extent changed, added or removed.
std::vector<std::int64_t> probe_shape(std::vector<std::int64_t> valid, FuzzedDataProvider& input) {
  switch (input.ConsumeIntegralInRange(0, 3)) {
    case 0:
      if (!valid.empty())
        valid[input.ConsumeIntegralInRange<std::size_t>(0, valid.size() - 1)] = interesting_integer(input);
      break;
    case 1:
      valid.push_back(interesting_integer(input));
      break;
    case 2:
      if (!valid.empty()) valid.pop_back();
      break;
    default:
      break;
  }
  return valid;
}

void check(const pb::ModelAttributes& attributes, FuzzedDataProvider& input) {
  const std::string name = "model.pt";
  const pb::ModelInfo info = pb::check_model_attributes(attributes, name, kBatch);
  const std::int64_t h = info.shape.height, w = info.shape.width, m = static_cast<std::int64_t>(info.latent_dim);
  const auto decoded = probe_shape({kBatch, h, w}, input);
  pb::check_decode_shape(decoded, info, kBatch, name, "decode(z) on z of shape [2, m]");
  const auto log_variance =
      probe_shape(info.variance_kind == pb::DecoderVariance::scalar ? std::vector<std::int64_t>{kBatch}
                                                                    : std::vector<std::int64_t>{kBatch, h * w},
                  input);
  pb::check_log_variance_shape(log_variance, info, kBatch, name, "decoder_log_variance(z)");
  const auto encoded = probe_shape({kBatch, m}, input);
  pb::check_encoding_shape(encoded, info, kBatch, name, "encode(x)");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  pf::initialize_process();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  pb::ModelAttributes attributes = conforming_attributes();
  edit_attributes(attributes, input);
  pf::expect_success_or_error([&] { check(attributes, input); });
  return 0;
}
