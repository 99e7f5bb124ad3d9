#pragma once
// Internal to priorbench_torch (includes Torch): the peak of the memory Torch's CPU
// allocator hands out during a scope, so the memory of one evaluation can be measured
// rather than guessed — a model file is arbitrary TorchScript, whose activations nothing
// else reveals.
//
//   {
//     AllocationMeter meter;
//     ... Torch work ...
//     meter.peak_bytes();   // highest (allocated − freed) since the meter was made
//   }
//
// While a meter lives it is Torch's CPU allocator: it forwards every request to the
// allocator it replaced and counts it. Memory allocated before the meter and freed during
// it is not counted (it was never counted in). Not thread-safe against other threads
// allocating through Torch meanwhile; Torch's intra-op threads only run inside the calls
// the scope makes, and the counters are atomic.

#include <atomic>
#include <cstddef>
#include <memory>

#include <c10/core/CPUAllocator.h>

#include "generative/torch/torch_includes.hpp"

namespace priorbench::torch_detail {

class AllocationMeter final : public c10::Allocator {
 public:
  AllocationMeter();
  ~AllocationMeter() override;
  AllocationMeter(const AllocationMeter&) = delete;
  AllocationMeter& operator=(const AllocationMeter&) = delete;

  c10::DataPtr allocate(std::size_t bytes) const override;
  // False when Torch kept another allocator of higher priority: nothing is then counted.
  bool installed() const { return installed_; }
  std::size_t peak_bytes() const { return static_cast<std::size_t>(counters_->peak.load()); }

 private:
  struct Counters {
    std::atomic<std::int64_t> current{0};
    std::atomic<std::int64_t> peak{0};
  };
  c10::Allocator* replaced_;
  std::shared_ptr<Counters> counters_;  // shared with blocks that outlive the meter
  bool installed_ = false;
};

}  // namespace priorbench::torch_detail
