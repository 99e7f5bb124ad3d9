#pragma once
// Internal to activations.cpp: the AVX2 + FMA versions of the layer functions, compiled
// with -mavx2 -mfma (CMakeLists.txt) and called only where the CPU has both. Raw pointers
// and no inline functions shared with other translation units, so that no code compiled
// for AVX2 can be picked by the linker for a caller on another CPU. `slopes` may be null.

#include <cstddef>

namespace priorbench::native::avx2 {

void softplus_layer(double* values, const double* bias, double* slopes, std::size_t size);
void sigmoid_layer(double* values, const double* bias, double* slopes, std::size_t size);

}  // namespace priorbench::native::avx2
