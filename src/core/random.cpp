#include "core/random.hpp"

#include <Random123/philox.h>
#include <Random123/boxmuller.hpp>
#include <Random123/uniform.hpp>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "core/petsc.hpp"

namespace priorbench {
namespace {

using Philox = r123::Philox4x64;

Philox::ctr_type draw(std::uint64_t seed, std::uint64_t task, std::uint64_t purpose, std::uint64_t stream,
                      std::uint64_t index) {
  const Philox::key_type key = {{seed, task}};
  const Philox::ctr_type counter = {{purpose, stream, index, 0}};
  return Philox{}(counter, key);
}

}  // namespace

CounterRandom::CounterRandom(std::uint64_t seed, std::uint64_t task, Purpose purpose, std::uint64_t stream)
    : seed_(seed), task_(task), purpose_(static_cast<std::uint64_t>(purpose)), stream_(stream) {}

std::uint64_t CounterRandom::bits(std::uint64_t index) const {
  return draw(seed_, task_, purpose_, stream_, index).v[0];
}

double CounterRandom::uniform(std::uint64_t index) const {
  return r123::u01<double>(draw(seed_, task_, purpose_, stream_, index).v[0]);
}

double CounterRandom::normal(std::uint64_t index) const {
  const auto words = draw(seed_, task_, purpose_, stream_, index);
  return r123::boxmuller(words.v[0], words.v[1]).x;
}

void CounterRandom::fill_normal(std::span<double> out, std::uint64_t begin) const {
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = normal(begin + i);
  }
}

void CounterRandom::fill_normal(Vec vector, std::uint64_t offset) const {
  const auto [begin, end] = petsc::ownership(vector);
  petsc::WriteView view(vector);
  fill_normal(view.span(), offset + static_cast<std::uint64_t>(begin));
}

std::vector<std::int64_t> CounterRandom::sample_without_replacement(std::int64_t population, std::int64_t count) const {
  PB_REQUIRE(count >= 0 && count <= population, "cannot draw ", count, " distinct indices from ", population);
  // Partial Fisher–Yates shuffle; step i draws from counter position i.
  std::vector<std::int64_t> order(static_cast<std::size_t>(population));
  std::iota(order.begin(), order.end(), 0);
  for (std::int64_t i = 0; i < count; ++i) {
    const auto remaining = static_cast<std::uint64_t>(population - i);
    const auto pick = i + static_cast<std::int64_t>(bits(static_cast<std::uint64_t>(i)) % remaining);
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(pick)]);
  }
  order.resize(static_cast<std::size_t>(count));
  std::sort(order.begin(), order.end());
  return order;
}

std::uint64_t stable_key(std::string_view label) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : label) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace priorbench
