#include "generative/torch/allocation_meter.hpp"

#include <cstdint>

namespace priorbench::torch_detail {
namespace {

// c10::SetCPUAllocator replaces the allocator only at a priority at least the current
// one; Torch registers its default at 0. The meter takes the highest priority and hands
// it back to the allocator it replaced.
constexpr std::uint8_t kPriority = 255;

// One counted block: the replaced allocator's pointer (which frees it) and its size.
struct CountedBlock {
  c10::DataPtr inner;
  std::int64_t bytes;
  std::shared_ptr<void> counters;
};

}  // namespace

AllocationMeter::AllocationMeter() : replaced_(c10::GetCPUAllocator()), counters_(std::make_shared<Counters>()) {
  c10::SetCPUAllocator(this, kPriority);
  installed_ = c10::GetCPUAllocator() == this;
}

AllocationMeter::~AllocationMeter() {
  if (installed_) c10::SetCPUAllocator(replaced_, kPriority);
}

c10::DataPtr AllocationMeter::allocate(std::size_t bytes) const {
  c10::DataPtr inner = replaced_->allocate(bytes);
  void* data = inner.get();
  const c10::Device device = inner.device();
  const auto size = static_cast<std::int64_t>(bytes);
  const std::int64_t now = counters_->current.fetch_add(size) + size;
  std::int64_t peak = counters_->peak.load();
  while (now > peak && !counters_->peak.compare_exchange_weak(peak, now)) {
  }
  auto* block = new CountedBlock{std::move(inner), size, counters_};
  const auto release = [](void* context) {
    auto* counted = static_cast<CountedBlock*>(context);
    static_cast<Counters*>(counted->counters.get())->current.fetch_sub(counted->bytes);
    delete counted;
  };
  return {data, block, release, device};
}

}  // namespace priorbench::torch_detail
