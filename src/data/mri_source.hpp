#pragma once
// Slices of brain MRI volumes as image sources (image_source.hpp), specified as
//   mri:VOLUME:AXIS:SIZE:PART[:INDEX][:KEY=VALUE]...
// VOLUME  ch2better, ch2, ch2bet or inia19 (the templates of the Debian package
//         mricron-data, read from $PRIORBENCH_MRI_DIR when set, else
//         /usr/share/mricron/templates), all (ch2better, ch2 and inia19 pooled), or the
//         path of a .nii / .nii.gz file (it may contain ':')
// AXIS    0, 1 or 2 (voxel axis the slices are perpendicular to), or all (the three pooled)
// SIZE    side of the square output images, at least 4
// PART    train, test (the held-out slabs) or all (every kept slice, no split)
// INDEX   one image of the part (for --image), counted in the order volume, axis, slice
// KEY     seed, slab (mm), period, guard (mm): the slab split (slab_split.hpp);
//         threshold, fraction: the empty-slice rule (brain_slices.hpp);
//         augment=K (part train only, K <= 10000): K augmented copies of every slice
//         are appended, copy e drawn as augment(..., epoch e) with the split's seed
//         (augmentation.hpp)
// Each volume is read once, its intensities scaled to [0, 1] (intensity_scaling.hpp),
// then sliced, resampled, dropped when empty and split. Before a volume is sliced, all
// its slices at SIZE x SIZE (with their augmented copies) must fit in the memory
// available (core/memory_budget.hpp).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "data/brain_slices.hpp"
#include "data/image_set.hpp"
#include "data/slab_split.hpp"

namespace priorbench::data {

inline constexpr const char* kMriDefaultDirectory = "/usr/share/mricron/templates";
inline constexpr const char* kMriDirectoryVariable = "PRIORBENCH_MRI_DIR";
// Output sizes allowed for MRI images (also fastMRI); the upper bound only keeps the
// numbers in their types.
inline constexpr PetscInt kMriMinimumSize = 4;
inline constexpr PetscInt kMriMaximumSize = 16384;

// $PRIORBENCH_MRI_DIR when set and non-empty, else the Debian directory.
std::string mri_directory();

// The file of a volume name (ch2better, ch2, ch2bet, inia19) in mri_directory(), or
// `volume` itself when it names a .nii or .nii.gz file. Throws for other names, and
// when the file does not exist.
std::string mri_volume_path(const std::string& volume);

enum class MriPart { train, test, all };

struct MriSpecification {
  std::string volume;                // as given: a name, "all" or a path
  std::vector<std::string> volumes;  // the volumes it stands for
  std::string axis;                  // as given: "0", "1", "2" or "all"
  std::vector<int> axes;             // the axes it stands for
  MriPart part = MriPart::train;
  std::optional<std::size_t> index;
  SliceOptions slicing;
  SlabSplitOptions split;
  std::size_t augment = 0;

  // The canonical text: defaults left out, keys in a fixed order.
  std::string text() const;
};

// `text` starts with "mri:". Errors say what is wrong without repeating `text`.
MriSpecification parse_mri_specification(const std::string& text);

// The images of the specification's part (all of them; `index` is not applied), with a
// description of every volume and axis: its slices, scale and held-out slabs.
ImageSet load_mri_images(const MriSpecification& specification);

}  // namespace priorbench::data
