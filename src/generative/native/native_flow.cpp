#include "generative/native/native_flow.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "generative/memory_budget.hpp"
#include "generative/native/activations.hpp"

namespace priorbench {

// One step with its layers; sizes D (variables), a (conditioning), b = D − a, width.
struct NativeFlow::Step {
  explicit Step(native::FlowStepWeights w)
      : size(w.actnorm_log_scale.size()),
        a(size / 2),
        b(size - a),
        log_scale(std::move(w.actnorm_log_scale)),
        bias(std::move(w.actnorm_bias)),
        permutation(std::move(w.permutation)),
        layers{native::DenseLayer(std::move(w.conditioner[0])), native::DenseLayer(std::move(w.conditioner[1])),
               native::DenseLayer(std::move(w.conditioner[2]))} {
    inverse_permutation.assign(size, 0);
    std::vector<bool> seen(size, false);
    PB_REQUIRE(bias.size() == size && permutation.size() == size, "native flow: a step on ", size, " variables has ",
               bias.size(), " actnorm biases and a permutation of ", permutation.size());
    for (std::size_t i = 0; i < size; ++i) {
      const auto j = static_cast<std::size_t>(permutation[i]);
      PB_REQUIRE(permutation[i] >= 0 && j < size && !seen[j], "native flow: the permutation of a step on ", size,
                 " variables is not one");
      seen[j] = true;
      inverse_permutation[j] = static_cast<std::int64_t>(i);
    }
    PB_REQUIRE(layers[0].input_size() == a && layers[1].input_size() == layers[0].output_size() &&
                   layers[2].input_size() == layers[1].output_size() && layers[2].output_size() == 2 * b,
               "native flow: a coupling on ", size, " variables needs a conditioner ", a, " -> w -> w -> ", 2 * b);
    width = layers[0].output_size();
    for (const double value : log_scale) {
      scale.push_back(std::exp(value));
      inverse_scale.push_back(std::exp(-value));
    }
  }

  std::size_t size, a, b, width = 0;
  std::vector<double> log_scale, bias;
  std::vector<double> scale, inverse_scale;  // e^λ and e^−λ, as Torch evaluates them
  std::vector<std::int64_t> permutation, inverse_permutation;
  native::DenseLayer layers[3];
};

// What the reverse sweep needs of one step of the forward (decode) sweep, per item.
struct StepTape {
  std::vector<double> slopes[2];  // softplus' of the two hidden layers (width × items)
  std::vector<double> scale;      // s (b × items)
  std::vector<double> output;     // the transformed half after the coupling (b × items)
};

struct NativeFlow::Tape {
  std::size_t items = 0;
  std::vector<std::vector<StepTape>> steps;  // as steps_
};

namespace {

// The conditioner (s, t) = (tanh c_s, c_t) of one coupling on the first `a` rows of every
// column of `block` (rows × columns, leading dimension `rows`): value columns first
// (`items`), then `tangents_per_item` tangent columns per item, pushed forward with the
// value columns' slopes. Writes c (2b × columns; s already tanh'd for value columns, ṡ
// for tangent columns) and, when not null, the hidden layers' slopes (width × items each).
void conditioner(const native::DenseLayer (&layers)[3], std::span<const double> block, std::size_t rows, std::size_t a,
                 std::size_t columns, std::size_t items, std::size_t tangents_per_item, std::vector<double>& out,
                 std::vector<double> (&slopes)[2]) {
  std::vector<double> input(a * columns);
  for (std::size_t c = 0; c < columns; ++c) std::copy_n(block.data() + c * rows, a, input.data() + c * a);
  for (int l = 0; l < 2; ++l) {
    const std::size_t width = layers[l].output_size();
    std::vector<double> hidden(width * columns);
    layers[l].apply(input, hidden, columns, {});
    slopes[l].resize(width * items);
    for (std::size_t item = 0; item < items; ++item) {
      native::softplus_layer(std::span(hidden).subspan(item * width, width), layers[l].bias(),
                             std::span(slopes[l]).subspan(item * width, width));
    }
    for (std::size_t t = 0; t < items * tangents_per_item; ++t) {
      double* tangent = hidden.data() + (items + t) * width;
      const double* slope = slopes[l].data() + (t / tangents_per_item) * width;
      for (std::size_t i = 0; i < width; ++i) tangent[i] *= slope[i];
    }
    input = std::move(hidden);
  }
  const std::size_t outputs = layers[2].output_size(), b = outputs / 2;
  out.resize(outputs * columns);
  layers[2].apply(input, out, columns, {});
  const auto bias = layers[2].bias();
  for (std::size_t item = 0; item < items; ++item) {
    double* c = out.data() + item * outputs;
    for (std::size_t i = 0; i < outputs; ++i) c[i] += bias[i];
    for (std::size_t i = 0; i < b; ++i) c[i] = std::tanh(c[i]);
  }
  for (std::size_t t = 0; t < items * tangents_per_item; ++t) {
    double* c = out.data() + (items + t) * outputs;
    const double* s = out.data() + (t / tangents_per_item) * outputs;
    for (std::size_t i = 0; i < b; ++i) c[i] *= 1.0 - s[i] * s[i];
  }
}

// h[0..size) ← h[index[j]] for every column (rows apart).
void gather_columns(std::vector<double>& block, std::size_t rows, std::size_t columns,
                    const std::vector<std::int64_t>& index) {
  std::vector<double> column(index.size());
  for (std::size_t c = 0; c < columns; ++c) {
    double* h = block.data() + c * rows;
    for (std::size_t j = 0; j < index.size(); ++j) column[j] = h[index[j]];
    std::copy(column.begin(), column.end(), h);
  }
}

}  // namespace

NativeFlow::NativeFlow(native::NativeFlowWeights weights, std::string description, std::size_t memory_budget)
    : Generator(static_cast<std::size_t>(weights.shape.size()), weights.shape, DecoderVariance::none),
      level_sizes_(weights.level_sizes),
      memory_budget_(jacobian_memory_budget(memory_budget)),
      description_(std::move(description)) {
  PB_REQUIRE(
      !level_sizes_.empty() && level_sizes_.size() == weights.steps.size() && level_sizes_.front() == image_size(),
      "native flow: ", weights.steps.size(), " levels of steps for ", level_sizes_.size(), " level sizes");
  for (std::size_t level = 0; level < level_sizes_.size(); ++level) {
    PB_REQUIRE(level == 0 || level_sizes_[level] == (level_sizes_[level - 1] + 1) / 2,
               "native flow: level sizes must halve (rounding up)");
    steps_.emplace_back();
    for (auto& step : weights.steps[level]) {
      PB_REQUIRE(step.actnorm_log_scale.size() == level_sizes_[level], "native flow: a step of level ", level,
                 " acts on ", step.actnorm_log_scale.size(), " variables, not ", level_sizes_[level]);
      actnorm_log_det_ += std::accumulate(step.actnorm_log_scale.begin(), step.actnorm_log_scale.end(), 0.0);
      steps_.back().push_back(std::make_unique<Step>(std::move(step)));
    }
  }
}

NativeFlow::~NativeFlow() = default;

// Level ℓ's own variables — those not carried on to level ℓ + 1 (all of the last level's) —
// are entries [kept, D_ℓ) of h and [offset, offset + D_ℓ − kept) of z: the parts sit in z
// in level order, so the last level's variables end it.
NativeFlow::LevelPart NativeFlow::level_part(std::size_t level) const {
  LevelPart part;
  part.kept = level + 1 < level_sizes_.size() ? level_sizes_[level + 1] : 0;
  for (std::size_t j = 0; j < level; ++j) part.offset += level_sizes_[j] - level_sizes_[j + 1];
  return part;
}

std::vector<double> NativeFlow::forward(std::span<const double> latents, std::size_t items, std::span<double> images,
                                        std::size_t tangents_per_item, std::span<const double> directions,
                                        std::span<double> tangents, Tape* tape) const {
  const std::size_t n = image_size(), columns = items * (1 + tangents_per_item), levels = level_sizes_.size();
  const auto source = [&](std::size_t c) {
    return c < items ? latents.data() + c * n : directions.data() + (c - items) * n;
  };
  std::vector<double> block(n * columns), log_dets(items, actnorm_log_det_), c, update;
  if (tape != nullptr) {
    tape->items = items;
    tape->steps.assign(levels, {});
  }
  for (std::size_t level = levels; level-- > 0;) {
    const std::size_t size = level_sizes_[level];
    const auto [kept, offset] = level_part(level);  // the variables that join at this level
    for (std::size_t col = 0; col < columns; ++col) {
      std::copy_n(source(col) + offset, size - kept, block.data() + col * n + kept);
    }
    if (tape != nullptr) tape->steps[level].resize(steps_[level].size());
    for (std::size_t k = steps_[level].size(); k-- > 0;) {
      const Step& step = *steps_[level][k];
      std::vector<double> slopes[2];
      conditioner(step.layers, block, n, step.a, columns, items, tangents_per_item, c, slopes);
      const std::size_t b = step.b, outputs = 2 * b;
      std::vector<double> shrink(b * items);  // e^−s per item
      for (std::size_t item = 0; item < items; ++item) {
        double* h = block.data() + item * n + step.a;
        const double* s = c.data() + item * outputs;
        const double* t = s + b;
        double* e = shrink.data() + item * b;
        for (std::size_t i = 0; i < b; ++i) {
          e[i] = std::exp(-s[i]);
          h[i] = (h[i] - t[i]) * e[i];
          log_dets[item] += s[i];
        }
      }
      for (std::size_t j = 0; j < items * tangents_per_item; ++j) {
        const std::size_t item = j / tangents_per_item;
        double* dh = block.data() + (items + j) * n + step.a;
        const double* h = block.data() + item * n + step.a;
        const double* e = shrink.data() + item * b;
        const double* ds = c.data() + (items + j) * outputs;
        const double* dt = ds + b;
        for (std::size_t i = 0; i < b; ++i) dh[i] = (dh[i] - dt[i]) * e[i] - h[i] * ds[i];
      }
      if (tape != nullptr) {
        StepTape& record = tape->steps[level][k];
        record.slopes[0] = std::move(slopes[0]);
        record.slopes[1] = std::move(slopes[1]);
        record.scale.resize(b * items);
        record.output.resize(b * items);
        for (std::size_t item = 0; item < items; ++item) {
          std::copy_n(c.data() + item * outputs, b, record.scale.data() + item * b);
          std::copy_n(block.data() + item * n + step.a, b, record.output.data() + item * b);
        }
      }
      gather_columns(block, n, columns, step.inverse_permutation);
      for (std::size_t col = 0; col < columns; ++col) {
        double* h = block.data() + col * n;
        const bool value = col < items;
        if (value) {
          for (std::size_t i = 0; i < size; ++i) h[i] = h[i] * step.inverse_scale[i] - step.bias[i];
        } else {
          for (std::size_t i = 0; i < size; ++i) h[i] *= step.inverse_scale[i];
        }
      }
    }
  }
  for (std::size_t item = 0; item < items; ++item) {
    for (std::size_t i = 0; i < n; ++i) images[item * n + i] = block[item * n + i] + 0.5;
  }
  std::copy_n(block.data() + items * n, items * tangents_per_item * n, tangents.data());
  return log_dets;
}

void NativeFlow::backward(const Tape& tape, std::span<const double> cotangents, double log_det_weight,
                          std::span<double> gradients) const {
  const std::size_t n = image_size(), items = tape.items, levels = level_sizes_.size();
  std::vector<double> block(cotangents.begin(), cotangents.end());  // h̄, n apart per item
  for (std::size_t level = 0; level < levels; ++level) {
    const std::size_t size = level_sizes_[level];
    for (std::size_t k = 0; k < steps_[level].size(); ++k) {
      const Step& step = *steps_[level][k];
      const StepTape& record = tape.steps[level][k];
      for (std::size_t item = 0; item < items; ++item) {
        double* h = block.data() + item * n;
        for (std::size_t i = 0; i < size; ++i) h[i] *= step.inverse_scale[i];
      }
      gather_columns(block, n, items, step.permutation);
      const std::size_t a = step.a, b = step.b, width = step.width;
      std::vector<double> c_bar(2 * b * items);
      for (std::size_t item = 0; item < items; ++item) {
        double* h = block.data() + item * n + a;  // b̄ after the coupling, then before it
        const double* s = record.scale.data() + item * b;
        const double* out = record.output.data() + item * b;
        double* cs = c_bar.data() + item * 2 * b;
        double* ct = cs + b;
        for (std::size_t i = 0; i < b; ++i) {
          const double e = std::exp(-s[i]);
          ct[i] = -h[i] * e;
          cs[i] = (-h[i] * out[i] - log_det_weight) * (1.0 - s[i] * s[i]);
          h[i] *= e;
        }
      }
      std::vector<double> hidden(width * items), previous(width * items), a_bar(a * items);
      step.layers[2].apply_transpose(c_bar, hidden, items, {});
      for (std::size_t i = 0; i < width * items; ++i) hidden[i] *= record.slopes[1][i];
      step.layers[1].apply_transpose(hidden, previous, items, {});
      for (std::size_t i = 0; i < width * items; ++i) previous[i] *= record.slopes[0][i];
      step.layers[0].apply_transpose(previous, a_bar, items, {});
      for (std::size_t item = 0; item < items; ++item) {
        double* h = block.data() + item * n;
        for (std::size_t i = 0; i < a; ++i) h[i] += a_bar[item * a + i];
      }
    }
    const auto [kept, offset] = level_part(level);
    for (std::size_t item = 0; item < items; ++item) {
      std::copy_n(block.data() + item * n + kept, size - kept, gradients.data() + item * n + offset);
    }
  }
}

void NativeFlow::inverse_pass(std::span<const double> images, std::size_t items, std::span<double> latents,
                              std::span<double> log_dets) const {
  const std::size_t n = image_size(), levels = level_sizes_.size();
  std::vector<double> block(images.begin(), images.end()), c;
  for (double& value : block) value -= 0.5;
  std::fill(log_dets.begin(), log_dets.end(), actnorm_log_det_);
  for (std::size_t level = 0; level < levels; ++level) {
    const std::size_t size = level_sizes_[level];
    for (const auto& pointer : steps_[level]) {
      const Step& step = *pointer;
      for (std::size_t item = 0; item < items; ++item) {
        double* h = block.data() + item * n;
        for (std::size_t i = 0; i < size; ++i) h[i] = (h[i] + step.bias[i]) * step.scale[i];
      }
      gather_columns(block, n, items, step.permutation);
      std::vector<double> slopes[2];
      conditioner(step.layers, block, n, step.a, items, items, 0, c, slopes);
      for (std::size_t item = 0; item < items; ++item) {
        double* h = block.data() + item * n + step.a;
        const double* s = c.data() + item * 2 * step.b;
        const double* t = s + step.b;
        for (std::size_t i = 0; i < step.b; ++i) {
          h[i] = h[i] * std::exp(s[i]) + t[i];
          log_dets[item] += s[i];
        }
      }
    }
    const auto [kept, offset] = level_part(level);
    for (std::size_t item = 0; item < items; ++item) {
      std::copy_n(block.data() + item * n + kept, size - kept, latents.data() + item * n + offset);
    }
  }
}

void NativeFlow::decode_impl(std::span<const double> latents, std::size_t batch, std::span<double> means) const {
  forward(latents, batch, means, 0, {}, {}, nullptr);
}

void NativeFlow::decoder_variance_impl(std::span<const double>, std::span<double> variance) const {
  std::fill(variance.begin(), variance.end(), 0.0);
}

void NativeFlow::jvp_impl(std::span<const double> latent, std::span<const double> direction,
                          std::span<double> out) const {
  batched_jvp_impl(latent, 1, direction, out);
}

void NativeFlow::batched_jvp_impl(std::span<const double> latents, std::size_t batch,
                                  std::span<const double> directions, std::span<double> out) const {
  std::vector<double> images(latents.size());
  forward(latents, batch, images, 1, directions, out, nullptr);
}

void NativeFlow::vjp_impl(std::span<const double> latent, std::span<const double> cotangent,
                          std::span<double> out) const {
  batched_vjp_impl(latent, 1, cotangent, out);
}

void NativeFlow::batched_vjp_impl(std::span<const double> latents, std::size_t batch,
                                  std::span<const double> cotangents, std::span<double> out) const {
  std::vector<double> images(latents.size());
  Tape tape;
  forward(latents, batch, images, 0, {}, {}, &tape);
  backward(tape, cotangents, 0.0, out);
}

// The n unit vectors as tangents of z, in chunks whose blocks (the sweep's block and the
// conditioner's, about 3n + 4·width values per column) fit in the Jacobian memory budget.
void NativeFlow::jacobian_impl(std::span<const double> latent, DenseMatrix& jacobian) const {
  const std::size_t n = image_size();
  jacobian = DenseMatrix(n, n);
  std::size_t widest = 0;
  for (const auto& level : steps_) {
    for (const auto& step : level) widest = std::max(widest, step->width);
  }
  const std::size_t per_column = (3 * n + 4 * widest) * sizeof(double);
  const std::size_t chunk = std::clamp<std::size_t>(memory_budget_ / per_column, 1, n);
  std::vector<double> image(n), directions;
  for (std::size_t first = 0; first < n; first += chunk) {
    const std::size_t count = std::min(chunk, n - first);
    directions.assign(count * n, 0.0);
    for (std::size_t j = 0; j < count; ++j) directions[j * n + first + j] = 1.0;
    forward(latent, 1, image, count, directions, std::span(jacobian.values()).subspan(first * n, count * n), nullptr);
  }
}

void NativeFlow::decode_and_vjp_impl(std::span<const double> latents, std::size_t batch, std::span<double> means,
                                     const CotangentFunction& cotangents, std::span<double> gradients) const {
  Tape tape;
  forward(latents, batch, means, 0, {}, {}, &tape);
  std::vector<double> cotangent_values(means.size());
  cotangents(means, cotangent_values);
  backward(tape, cotangent_values, 0.0, gradients);
}

void NativeFlow::inverse(std::span<const double> images, std::size_t batch, std::span<double> latents) const {
  PB_REQUIRE(images.size() == batch * image_size() && latents.size() == batch * image_size(),
             "native flow: inverse of ", batch, " images got blocks of the wrong sizes");
  std::vector<double> log_dets(batch);
  inverse_pass(images, batch, latents, log_dets);
}

void NativeFlow::log_det_inverse(std::span<const double> images, std::size_t batch, std::span<double> log_dets) const {
  PB_REQUIRE(images.size() == batch * image_size() && log_dets.size() == batch, "native flow: log_det_inverse of ",
             batch, " images got blocks of the wrong sizes");
  std::vector<double> latents(images.size());
  inverse_pass(images, batch, latents, log_dets);
}

// ℓ(f(z)) from the decode sweep itself (each coupling's s is the same function of the same
// conditioning half in both directions), and its gradient in the same reverse sweep as Jᵀ u.
void NativeFlow::decode_and_log_det_gradient(std::span<const double> latents, std::size_t batch,
                                             std::span<double> images, const CotangentFunction& cotangents,
                                             std::span<double> gradients, std::span<double> log_dets) const {
  const std::size_t n = image_size();
  PB_REQUIRE(latents.size() == batch * n && images.size() == batch * n && gradients.size() == batch * n &&
                 log_dets.size() == batch,
             "native flow: decode_and_log_det_gradient of ", batch, " items got blocks of the wrong sizes");
  Tape tape;
  const std::vector<double> values = forward(latents, batch, images, 0, {}, {}, &tape);
  std::copy(values.begin(), values.end(), log_dets.begin());
  std::vector<double> cotangent_values(images.size());
  cotangents(images, cotangent_values);
  backward(tape, cotangent_values, 1.0, gradients);
  add_counts({.decoder_passes = static_cast<std::int64_t>(batch), .vjp = static_cast<std::int64_t>(batch)});
}

}  // namespace priorbench
