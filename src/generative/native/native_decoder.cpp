#include "generative/native/native_decoder.hpp"

#include <algorithm>
#include <type_traits>

#include "core/error.hpp"
#include "generative/native/activations.hpp"

namespace priorbench::native {

struct NativeDecoder::Buffers {
  Buffers(std::size_t block_values, std::size_t scratch_values, std::size_t slope_values)
      : current(block_values), next(block_values), scratch(scratch_values), slopes(slope_values) {}
  std::vector<double> current;  // the block a layer reads
  std::vector<double> next;     // the block it writes
  std::vector<double> scratch;  // a convolution's taps of one column
  std::vector<double> slopes;   // activation slopes of the current layer, when not kept
};

NativeDecoder::Layer NativeDecoder::make_layer(LayerWeights weights, Activation activation) {
  auto map = std::visit(
      [](auto&& w) -> std::unique_ptr<LinearLayer> {
        if constexpr (std::is_same_v<std::decay_t<decltype(w)>, DenseWeights>) {
          return std::make_unique<DenseLayer>(std::move(w));
        } else {
          return std::make_unique<TransposedConvolution>(std::move(w));
        }
      },
      std::move(weights));
  return {std::move(map), activation};
}

NativeDecoder::NativeDecoder(NativeDecoderWeights weights)
    : latent_dim_(weights.latent_dim),
      shape_(weights.shape),
      variance_(weights.variance),
      raw_log_variance_(weights.raw_log_variance),
      log_variance_floor_(weights.log_variance_floor) {
  for (auto& layer : weights.trunk) layers_.push_back(make_layer(std::move(layer), Activation::softplus));
  layers_.push_back(make_layer(std::move(weights.mean_head), Activation::sigmoid));
  std::size_t size = latent_dim_;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    PB_REQUIRE(layers_[l].map->input_size() == size, "native decoder: layer ", l, " takes ",
               layers_[l].map->input_size(), " inputs but the layer before gives ", size);
    size = layers_[l].map->output_size();
  }
  PB_REQUIRE(size == image_size(), "native decoder: the mean head gives ", size, " values for ", shape_.height, "x",
             shape_.width, " images");
  PB_REQUIRE(variance_ != DecoderVariance::per_pixel || weights.log_variance_head.has_value(),
             "native decoder: a per-pixel variance needs a log-variance head");
  if (variance_ == DecoderVariance::per_pixel) {
    log_variance_head_ = make_layer(std::move(*weights.log_variance_head), Activation::log_variance_floor);
    const auto& head = *log_variance_head_->map;
    PB_REQUIRE(head.input_size() == layers_.back().map->input_size() && head.output_size() == image_size(),
               "native decoder: the log-variance head maps ", head.input_size(), " to ", head.output_size(),
               " values; expected ", layers_.back().map->input_size(), " to ", image_size());
  }
}

std::size_t NativeDecoder::widest() const {
  std::size_t size = latent_dim_;
  for (const auto& layer : layers_) size = std::max({size, layer.map->input_size(), layer.map->output_size()});
  if (log_variance_head_) size = std::max(size, log_variance_head_->map->output_size());
  return size;
}

std::size_t NativeDecoder::scratch_values() const {
  std::size_t size = 0;
  for (const auto& layer : layers_) size = std::max(size, layer.map->scratch_size());
  if (log_variance_head_) size = std::max(size, log_variance_head_->map->scratch_size());
  return size;
}

std::int64_t NativeDecoder::multiply_adds() const {
  std::int64_t total = 0;
  for (const auto& layer : layers_) total += layer.map->multiply_adds();
  return total;
}

std::size_t NativeDecoder::weight_count() const {
  std::size_t total = 0;
  for (const auto& layer : layers_) total += layer.map->weight_count();
  return total;
}

std::size_t NativeDecoder::workspace_values(std::size_t items, std::size_t tangents_per_item, bool linearize) const {
  const std::size_t columns = items * (1 + tangents_per_item);
  const std::size_t sweep = 2 * widest() * columns + scratch_values() + (tangents_per_item > 0 ? widest() * items : 0);
  if (!linearize) return sweep;
  std::size_t kept = 0;
  for (const auto& layer : layers_) kept += layer.map->output_size() * items;
  const std::size_t pull_back = 2 * widest() * items + scratch_values();
  return kept + std::max(sweep, pull_back);
}

// Value columns: bias, activation and (when wanted) its slope. Tangent column t belongs to
// item t / k and is scaled by that item's slopes.
void NativeDecoder::activate(const Layer& layer, std::span<double> block, std::size_t items,
                             std::size_t tangents_per_item, std::span<double> slopes, bool want_slopes) const {
  const std::size_t size = layer.map->output_size();
  const auto bias = layer.map->bias();
  for (std::size_t item = 0; item < items; ++item) {
    const auto values = block.subspan(item * size, size);
    const auto slope = want_slopes ? slopes.subspan(item * size, size) : std::span<double>();
    switch (layer.activation) {
      case Activation::softplus:
        softplus_layer(values, bias, slope);
        break;
      case Activation::sigmoid:
        sigmoid_layer(values, bias, slope);
        break;
      case Activation::log_variance_floor:
        log_variance_floor_layer(values, bias, log_variance_floor_);
        break;
    }
  }
  for (std::size_t t = 0; t < items * tangents_per_item; ++t) {
    double* tangent = block.data() + (items + t) * size;
    const double* slope = slopes.data() + (t / tangents_per_item) * size;
    for (std::size_t i = 0; i < size; ++i) tangent[i] *= slope[i];
  }
}

void NativeDecoder::run_layers(std::size_t count, Buffers& buffers, std::size_t items, std::size_t tangents_per_item,
                               Linearization* kept) const {
  const std::size_t columns = items * (1 + tangents_per_item);
  for (std::size_t l = 0; l < count; ++l) {
    const Layer& layer = layers_[l];
    const std::size_t in = layer.map->input_size(), out = layer.map->output_size();
    const auto block = std::span(buffers.next).first(out * columns);
    layer.map->apply(std::span<const double>(buffers.current).first(in * columns), block, columns, buffers.scratch);
    std::span<double> slopes = buffers.slopes;
    if (kept != nullptr) {
      kept->slopes[l].resize(out * items);
      slopes = kept->slopes[l];
    }
    activate(layer, block, items, tangents_per_item, slopes, kept != nullptr || tangents_per_item > 0);
    std::swap(buffers.current, buffers.next);
  }
}

void NativeDecoder::sweep(std::span<const double> latents, std::size_t items, std::span<double> means,
                          std::size_t tangents_per_item, std::span<const double> directions,
                          std::span<double> tangents) const {
  const std::size_t m = latent_dim_, n = image_size(), columns = items * (1 + tangents_per_item);
  PB_REQUIRE(latents.size() == items * m && means.size() == items * n &&
                 directions.size() == items * tangents_per_item * m && tangents.size() == items * tangents_per_item * n,
             "native decoder: sweep of ", items, " latents with ", tangents_per_item,
             " directions each got blocks of the wrong sizes");
  Buffers buffers(widest() * columns, scratch_values(), tangents_per_item > 0 ? widest() * items : 0);
  std::copy(latents.begin(), latents.end(), buffers.current.begin());
  std::copy(directions.begin(), directions.end(), buffers.current.begin() + static_cast<std::ptrdiff_t>(items * m));
  run_layers(layers_.size(), buffers, items, tangents_per_item, nullptr);
  const auto result = buffers.current.begin();
  std::copy_n(result, items * n, means.begin());
  std::copy_n(result + static_cast<std::ptrdiff_t>(items * n), tangents.size(), tangents.begin());
}

Linearization NativeDecoder::linearize(std::span<const double> latents, std::size_t items,
                                       std::span<double> means) const {
  const std::size_t m = latent_dim_, n = image_size();
  PB_REQUIRE(latents.size() == items * m && means.size() == items * n, "native decoder: linearize of ", items,
             " latents got blocks of the wrong sizes");
  Linearization linearization{items, std::vector<std::vector<double>>(layers_.size())};
  Buffers buffers(widest() * items, scratch_values(), 0);
  std::copy(latents.begin(), latents.end(), buffers.current.begin());
  run_layers(layers_.size(), buffers, items, 0, &linearization);
  std::copy_n(buffers.current.begin(), items * n, means.begin());
  return linearization;
}

void NativeDecoder::pull_back(const Linearization& linearization, std::span<const double> cotangents,
                              std::span<double> gradients) const {
  const std::size_t items = linearization.items, m = latent_dim_, n = image_size();
  PB_REQUIRE(
      cotangents.size() == items * n && gradients.size() == items * m && linearization.slopes.size() == layers_.size(),
      "native decoder: pull-back of ", items, " cotangents got blocks of the wrong sizes");
  std::vector<double> current(widest() * items), next(widest() * items), scratch(scratch_values());
  const auto& mean_slopes = linearization.slopes.back();
  for (std::size_t i = 0; i < items * n; ++i) current[i] = cotangents[i] * mean_slopes[i];
  for (std::size_t l = layers_.size(); l-- > 0;) {
    const std::size_t in = layers_[l].map->input_size(), out = layers_[l].map->output_size();
    layers_[l].map->apply_transpose(std::span<const double>(current).first(out * items),
                                    std::span(next).first(in * items), items, scratch);
    if (l > 0) {
      const auto& slopes = linearization.slopes[l - 1];
      for (std::size_t i = 0; i < in * items; ++i) next[i] *= slopes[i];
    }
    std::swap(current, next);
  }
  std::copy_n(current.begin(), items * m, gradients.begin());
}

void NativeDecoder::log_variance(std::span<const double> latent, std::span<double> out) const {
  PB_REQUIRE(latent.size() == latent_dim_ && out.size() == image_size(),
             "native decoder: log_variance got vectors of the wrong sizes");
  PB_REQUIRE(variance_ != DecoderVariance::none, "native decoder: no decoder variance (variance kind none)");
  if (variance_ == DecoderVariance::scalar) {
    std::fill(out.begin(), out.end(), logaddexp(raw_log_variance_, log_variance_floor_));
    return;
  }
  Buffers buffers(widest(), scratch_values(), 0);
  std::copy(latent.begin(), latent.end(), buffers.current.begin());
  run_layers(layers_.size() - 1, buffers, 1, 0, nullptr);  // the trunk
  const Layer& head = *log_variance_head_;
  const auto block = std::span(buffers.next).first(head.map->output_size());
  head.map->apply(std::span<const double>(buffers.current).first(head.map->input_size()), block, 1, buffers.scratch);
  activate(head, block, 1, 0, {}, false);
  std::copy(block.begin(), block.end(), out.begin());
}

}  // namespace priorbench::native
