#pragma once
// Resampling a 2-D image (a slice of a volume, an MRI reconstruction) to a square
// size x size image, for generators that take square images of a fixed size.
//
// Field of view: the square whose side is the longer physical side of the image
// (pixel count times pixel spacing); the image sits in its centre and the rest of the
// square is zero. So the aspect ratio is kept and the shorter side is padded with zeros.
//
// Interpolation: the image is the bilinear interpolant of its pixel values, with value
// zero beyond the pixels (as if padded with zeros without end), pixel centres at
// (index + 1/2) * spacing. Output pixel (i, j) covers a square of side f = field / size;
// its value is the mean of the interpolant over the central square of side
// max(f - s, 0) of that footprint, s the input spacing (per axis). Enlarging (f <= s)
// this is plain bilinear interpolation at the output pixel centre, and the same size
// (f = s) gives the image back exactly; reducing (f > s) it averages over the footprint
// less one input pixel (the interpolant itself spreads each sample over one pixel each
// way), so fine detail is smoothed instead of aliased. The weights are non-negative and
// sum to at most 1 (to rounding: clip if the bound matters). A linear function of position
// is reproduced exactly wherever the averaging square lies between the outermost pixel
// centres.

#include <span>
#include <vector>

#include "core/image_shape.hpp"

namespace priorbench::data {

struct PlanarImage {
  ImageShape shape;
  double row_spacing = 1;      // physical height of a pixel
  double column_spacing = 1;   // physical width of a pixel
  std::vector<double> pixels;  // row-major
};

// The size x size image described above; size >= 1.
std::vector<double> resample_to_square(const PlanarImage& image, PetscInt size);

// The centred square of side min(height, width): the longer side is cropped, keeping
// floor((longer - shorter) / 2) pixels' worth of offset at its start.
PlanarImage center_crop_square(const PlanarImage& image);

}  // namespace priorbench::data
