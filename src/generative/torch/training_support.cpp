#include "generative/torch/training_support.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <map>
#include <sstream>

namespace priorbench::torch_detail::training {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::uint64_t epoch_seed(std::uint64_t seed, std::size_t epoch) {
  std::uint64_t x = seed + 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(epoch) + 1);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

at::Tensor image_tensor(const data::ImageSet& set, std::size_t count, at::ScalarType dtype) {
  const auto n = static_cast<std::int64_t>(set.shape.size());
  return at::from_blob(const_cast<double*>(set.pixels.data()), {static_cast<std::int64_t>(count), n},
                       at::TensorOptions().dtype(at::kDouble))
      .to(dtype);
}

std::string duration_text(double seconds) {
  std::ostringstream out;
  const auto total = static_cast<long>(std::lround(seconds));
  if (total >= 3600)
    out << total / 3600 << "h " << (total % 3600) / 60 << "m";
  else if (total >= 60)
    out << total / 60 << "m " << std::setw(2) << std::setfill('0') << total % 60 << "s";
  else
    out << total << "s";
  return out.str();
}

std::string settings_difference(const std::string& checkpoint, const std::string& now) {
  const auto parse = [](const std::string& text) {
    std::map<std::string, std::string> values;
    std::istringstream in(text);
    std::string item;
    while (in >> item) {
      const auto equals = item.find('=');
      values[item.substr(0, equals)] = equals == std::string::npos ? "" : item.substr(equals + 1);
    }
    return values;
  };
  const auto before = parse(checkpoint), after = parse(now);
  std::string difference;
  for (const auto& [key, value] : after) {
    const auto found = before.find(key);
    const std::string old_value = found == before.end() ? "(none)" : found->second;
    if (old_value != value) {
      difference += (difference.empty() ? "" : "; ") + key + " " + old_value + " in the checkpoint, " + value + " now";
    }
  }
  return difference;
}

std::string module_bytes(const torch::jit::Module& module) {
  std::ostringstream out;
  module.save(out);
  return out.str();
}

torch::jit::Module module_from_bytes(const std::string& bytes) {
  std::istringstream in(bytes);
  return torch::jit::load(in, at::kCPU);
}

at::Tensor bytes_tensor(const std::string& bytes) {
  auto tensor = at::empty({static_cast<std::int64_t>(bytes.size())}, at::TensorOptions().dtype(at::kByte));
  std::memcpy(tensor.data_ptr<std::uint8_t>(), bytes.data(), bytes.size());
  return tensor;
}

std::string tensor_bytes(const at::Tensor& tensor) {
  const auto contiguous = tensor.contiguous();
  return std::string(reinterpret_cast<const char*>(contiguous.data_ptr<std::uint8_t>()),
                     static_cast<std::size_t>(contiguous.numel()));
}

void set_attribute(torch::jit::Module& module, const std::string& name, const c10::TypePtr& type, c10::IValue value) {
  if (module.hasattr(name)) {
    module.setattr(name, std::move(value));
  } else {
    module.register_attribute(name, type, std::move(value));
  }
}

c10::List<double> double_list(const std::vector<double>& values) { return c10::List<double>(values); }

void write_trained_model(torch::jit::Module& model, const TrainedModelOutput& output, double seconds,
                         double cpu_seconds, std::size_t epochs, const std::string& summary_suffix, ProgressLog& log) {
  {
    std::ostringstream line;
    line << "training time " << std::fixed << std::setprecision(1) << seconds << " s wall-clock ("
         << duration_text(seconds) << "), " << cpu_seconds << " s processor time (" << duration_text(cpu_seconds)
         << ") over " << epochs << " epochs" << summary_suffix;
    log.line(line.str());
  }
  set_attribute(model, "training_seconds", c10::FloatType::get(), seconds);
  set_attribute(model, "training_cpu_seconds", c10::FloatType::get(), cpu_seconds);
  const std::string command = output.command_line.empty() ? "" : "command: " + output.command_line + "\n";
  set_attribute(model, "training_log", c10::StringType::get(), command + log.text());
  validate_module(model, output.output);
  PB_REQUIRE(output.force || !std::filesystem::exists(output.output), "output model ", output.output,
             " appeared during training; pass --force to replace it");
  write_atomically(output.output, [&](const std::string& temporary) { model.save(temporary); });
  log.line("wrote " + output.output + " (" + std::to_string(std::filesystem::file_size(output.output)) + " bytes" +
           output.written_note + "); checkpoint " + output.checkpoint);
}

}  // namespace priorbench::torch_detail::training
