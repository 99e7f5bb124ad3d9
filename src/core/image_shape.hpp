#pragma once
// Images are stored as vectors in row-major order: pixel (row, col) is entry
// row * width + col. Operators that need the geometry (blur, fourier) take this shape.

#include <petscsys.h>

namespace priorbench {

struct ImageShape {
  PetscInt height = 0;
  PetscInt width = 0;
  PetscInt size() const { return height * width; }
  bool operator==(const ImageShape&) const = default;
};

}  // namespace priorbench
