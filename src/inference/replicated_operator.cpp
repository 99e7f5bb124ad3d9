#include "inference/replicated_operator.hpp"

#include <algorithm>

namespace priorbench {
namespace {

void make_scatter_to_all(Vec distributed, petsc::Scatter& scatter, petsc::Vector& all) {
  VecScatter raw_scatter = nullptr;
  Vec raw_all = nullptr;
  PB_PETSC(VecScatterCreateToAll(distributed, &raw_scatter, &raw_all));
  scatter = petsc::Scatter(raw_scatter);
  all = petsc::Vector(raw_all);
}

}  // namespace

ReplicatedOperator::ReplicatedOperator(std::shared_ptr<const ForwardOperator> forward) : forward_(std::move(forward)) {
  PB_REQUIRE(forward_ != nullptr, "ReplicatedOperator needs an operator");
  image_ = forward_->make_domain_vector();
  data_ = forward_->make_range_vector();
  make_scatter_to_all(image_, image_to_all_, image_all_);
  make_scatter_to_all(data_, data_to_all_, data_all_);
}

void ReplicatedOperator::gather(Vec source, VecScatter scatter, Vec all, std::span<double> out) const {
  PB_PETSC(VecScatterBegin(scatter, source, all, INSERT_VALUES, SCATTER_FORWARD));
  PB_PETSC(VecScatterEnd(scatter, source, all, INSERT_VALUES, SCATTER_FORWARD));
  petsc::ReadView view(all);
  PB_REQUIRE(view.size() == out.size(), "ReplicatedOperator: output has ", out.size(), " entries, expected ",
             view.size());
  std::copy(view.span().begin(), view.span().end(), out.begin());
}

void ReplicatedOperator::apply(std::span<const double> image, std::span<double> data) const {
  PB_REQUIRE(data.size() == data_size(), "A x: data has ", data.size(), " entries, expected ", data_size());
  petsc::set_from_global(image_, image);
  forward_->apply(image_, data_);
  gather(data_, data_to_all_, data_all_, data);
}

void ReplicatedOperator::apply_transpose(std::span<const double> data, std::span<double> image) const {
  PB_REQUIRE(image.size() == image_size(), "A^T y: image has ", image.size(), " entries, expected ", image_size());
  petsc::set_from_global(data_, data);
  forward_->apply_transpose(data_, image_);
  gather(image_, image_to_all_, image_all_, image);
}

void ReplicatedOperator::apply_squared(std::span<const double> image, std::span<double> data) const {
  PB_REQUIRE(data.size() == data_size(), "(A.A) x: data has ", data.size(), " entries, expected ", data_size());
  petsc::set_from_global(image_, image);
  forward_->apply_squared(image_, data_);
  gather(data_, data_to_all_, data_all_, data);
}

std::vector<double> ReplicatedOperator::apply(std::span<const double> image) const {
  std::vector<double> data(data_size());
  apply(image, data);
  return data;
}

std::vector<double> ReplicatedOperator::apply_transpose(std::span<const double> data) const {
  std::vector<double> image(image_size());
  apply_transpose(data, image);
  return image;
}

petsc::Vector ReplicatedOperator::distribute_image(std::span<const double> image) const {
  auto vector = forward_->make_domain_vector();
  petsc::set_from_global(vector, image);
  return vector;
}

}  // namespace priorbench
