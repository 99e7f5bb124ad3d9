#include "data/mri_source.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "core/paths.hpp"
#include "data/augmentation.hpp"
#include "data/intensity_scaling.hpp"
#include "data/nifti_volume.hpp"
#include "data/source_fields.hpp"

namespace priorbench::data {
namespace {

constexpr const char* kMriForm = "expected mri:VOLUME:AXIS:SIZE:PART[:INDEX][:KEY=VALUE]...";

struct NamedVolume {
  const char* name;
  const char* file;
};
constexpr std::array<NamedVolume, 4> kNamedVolumes = {{{"ch2better", "ch2better.nii.gz"},
                                                       {"ch2", "ch2.nii.gz"},
                                                       {"ch2bet", "ch2bet.nii.gz"},
                                                       {"inia19", "inia19-t1-brain.nii.gz"}}};
// ch2bet is ch2 without the skull, so pooling it as well would count one brain twice more.
constexpr std::array<const char*, 3> kPooledVolumes = {"ch2better", "ch2", "inia19"};
constexpr const char* kWorldAxes = "xyz";
// Keeps the period in an int; nothing sensible comes near it.
constexpr std::size_t kMaximumPeriod = 1000000;
// Augmented copies of a training set; each is a pass over all its images.
constexpr std::size_t kMaximumAugment = 10000;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_nifti_path(const std::string& text) { return ends_with(text, ".nii") || ends_with(text, ".nii.gz"); }

std::vector<std::string> expand_volume(const std::string& volume) {
  if (volume == "all") {
    return {kPooledVolumes.begin(), kPooledVolumes.end()};
  }
  const bool named = std::any_of(kNamedVolumes.begin(), kNamedVolumes.end(),
                                 [&](const NamedVolume& named) { return volume == named.name; });
  PB_REQUIRE(named || is_nifti_path(volume), "unknown MRI volume '", volume,
             "'; expected ch2better, ch2, ch2bet, inia19, all or a FILE.nii[.gz]");
  return {volume};
}

std::vector<int> expand_axis(const std::string& axis) {
  if (axis == "all") {
    return {0, 1, 2};
  }
  PB_REQUIRE(axis == "0" || axis == "1" || axis == "2", "axis '", axis, "' is not 0, 1, 2 or all");
  return {axis[0] - '0'};
}

MriPart parse_part(const std::string& text) {
  if (text == "train") return MriPart::train;
  if (text == "test") return MriPart::test;
  if (text == "all") return MriPart::all;
  PB_FAIL("part '", text, "' is not train, test or all");
}

const char* part_name(MriPart part) {
  switch (part) {
    case MriPart::train:
      return "train";
    case MriPart::test:
      return "test";
    default:
      return "all";
  }
}

void apply_option(MriSpecification& specification, const std::string& field) {
  const std::size_t equals = field.find('=');
  const std::string key = field.substr(0, equals), value = field.substr(equals + 1);
  if (key == "seed") {
    specification.split.seed = parse_count(value, "seed");
  } else if (key == "slab") {
    specification.split.slab_width = parse_number(value, "slab");
  } else if (key == "period") {
    const std::size_t period = parse_count(value, "period");
    PB_REQUIRE(period <= kMaximumPeriod, "period ", period, " is above the maximum ", kMaximumPeriod);
    specification.split.period = static_cast<int>(period);
  } else if (key == "guard") {
    specification.split.guard = parse_number(value, "guard");
  } else if (key == "threshold") {
    specification.slicing.tissue_threshold = parse_number(value, "threshold");
  } else if (key == "fraction") {
    specification.slicing.min_tissue_fraction = parse_number(value, "fraction");
  } else if (key == "augment") {
    specification.augment = parse_count(value, "augment");
    PB_REQUIRE(specification.augment <= kMaximumAugment, "augment ", specification.augment, " is above the maximum ",
               kMaximumAugment);
  } else {
    PB_FAIL("unknown option '", key, "'; valid options are seed, slab, period, guard, threshold, fraction, augment");
  }
}

void validate(const MriSpecification& specification) {
  PB_REQUIRE(specification.slicing.size >= kMriMinimumSize, "size ", specification.slicing.size,
             " is below the minimum ", kMriMinimumSize);
  validate(specification.split);
  const double threshold = specification.slicing.tissue_threshold;
  const double fraction = specification.slicing.min_tissue_fraction;
  PB_REQUIRE(threshold >= 0 && threshold < 1, "threshold ", threshold, " is not in [0, 1)");
  PB_REQUIRE(fraction >= 0 && fraction <= 1, "fraction ", fraction, " is not in [0, 1]");
  PB_REQUIRE(specification.augment == 0 || specification.part == MriPart::train,
             "augment applies to the train part only");
}

// Scales the volume's intensities to [0, 1]; returns the divisor.
double scale_volume(Volume& volume) {
  PB_REQUIRE(std::any_of(volume.voxels.begin(), volume.voxels.end(), [](double value) { return value > 0; }),
             volume.path, ": no voxel is positive; there is no intensity to scale by");
  const double scale = positive_percentile(volume.voxels);
  scale_to_unit_interval(volume.voxels, scale);
  return scale;
}

struct RoleCounts {
  std::size_t train = 0, test = 0, guard = 0;
  void add(SlabRole role) {
    switch (role) {
      case SlabRole::train:
        ++train;
        break;
      case SlabRole::test:
        ++test;
        break;
      case SlabRole::guard:
        ++guard;
        break;
    }
  }
};

// Appends the slices of the specification's part to `set`; counts every role.
RoleCounts append_part(const VolumeSlices& slices, const MriSpecification& specification, ImageSet& set) {
  RoleCounts counts;
  for (std::size_t i = 0; i < slices.images.count; ++i) {
    const SlabRole role = slab_role(slices.positions[i], slices.world_axis, specification.split);
    counts.add(role);
    const bool wanted = specification.part == MriPart::all ||
                        (specification.part == MriPart::train && role == SlabRole::train) ||
                        (specification.part == MriPart::test && role == SlabRole::test);
    if (wanted) {
      const auto image = slices.images.image(i);
      set.pixels.insert(set.pixels.end(), image.begin(), image.end());
      ++set.count;
    }
  }
  return counts;
}

std::string describe_slices(const std::string& name, const Volume& volume, const VolumeSlices& slices, double scale,
                            const RoleCounts& counts, const MriSpecification& specification) {
  const auto axis = static_cast<std::size_t>(slices.axis);
  const double first = slice_position(volume, slices.axis, 0);
  const double last = slice_position(volume, slices.axis, slices.total - 1);
  std::string line = detail::concat("  ", name, " axis ", slices.axis, " (world ", kWorldAxes[slices.world_axis], ", ",
                                    slices.total, " slices of ", number_text(volume.spacing[axis]), " mm from ",
                                    number_text(first), " to ", number_text(last), " mm): ", slices.images.count,
                                    " kept, intensities divided by ", number_text(scale));
  if (specification.part != MriPart::all) {
    line += detail::concat(
        "; held out ",
        held_out_intervals(std::min(first, last), std::max(first, last), slices.world_axis, specification.split), ": ",
        counts.train, " train, ", counts.test, " test, ", counts.guard, " guard");
  }
  return line + "\n";
}

std::string describe_rules(const MriSpecification& specification) {
  const SliceOptions& slicing = specification.slicing;
  std::string text = detail::concat("MRI slices ", specification.text(), ": ", slicing.size, "x", slicing.size,
                                    " (bilinear, zero-padded square field of view), intensities / 99.5th percentile "
                                    "of positive voxels clipped to [0, 1], slices with less than ",
                                    number_text(slicing.min_tissue_fraction), " of voxels above ",
                                    number_text(slicing.tissue_threshold), " dropped");
  if (specification.part != MriPart::all) {
    text += "; split: " + describe(specification.split);
  }
  return text + "\n";
}

// The images of `volume` (every slice along the specification's axes) with their
// augmented copies, on top of the `kept` images so far, must fit in memory before any is
// made: size is the specification's, up to 16384, whatever the volume holds.
void require_slice_memory(const Volume& volume, const MriSpecification& specification, std::size_t kept) {
  std::uint64_t slices = kept;
  for (const int axis : specification.axes)
    slices += static_cast<std::uint64_t>(volume.extent[static_cast<std::size_t>(axis)]);
  const auto side = static_cast<std::uint64_t>(specification.slicing.size);
  require_memory({slices, side * side, specification.augment + 1}, sizeof(double),
                 detail::concat(volume.path, ": up to ", slices, " slices of ", side, "x", side, " (x ",
                                specification.augment + 1, " with augmented copies)"));
}

void append_augmented_copies(const MriSpecification& specification, ImageSet& set) {
  if (specification.augment == 0) {
    return;
  }
  AugmentationOptions options;
  options.seed = specification.split.seed;
  const ImageSet originals = set;
  for (std::uint64_t epoch = 1; epoch <= specification.augment; ++epoch) {
    const ImageSet copy = augment(originals, options, epoch);
    set.pixels.insert(set.pixels.end(), copy.pixels.begin(), copy.pixels.end());
    set.count += copy.count;
  }
  set.description += detail::concat(
      "  plus ", specification.augment, " augmented copies (epochs 1..", specification.augment, ", seed ", options.seed,
      ": flip probability ", number_text(options.flip_probability), ", rotation up to ",
      number_text(options.max_rotation_degrees), " degrees, shift up to ", number_text(options.max_shift_fraction),
      " of the side, intensity factor 1 +- ", number_text(options.max_intensity_change), ")\n");
}

}  // namespace

std::string mri_directory() {
  const char* directory = std::getenv(kMriDirectoryVariable);
  return directory != nullptr && *directory != '\0' ? directory : kMriDefaultDirectory;
}

std::string mri_volume_path(const std::string& volume) {
  for (const NamedVolume& named : kNamedVolumes) {
    if (volume == named.name) {
      const std::string path = (std::filesystem::path(mri_directory()) / named.file).string();
      PB_REQUIRE(path_exists(path), path, ": MRI volume does not exist; install the Debian package ",
                 "mricron-data or set ", kMriDirectoryVariable, " to a directory holding it");
      return path;
    }
  }
  PB_REQUIRE(is_nifti_path(volume), "unknown MRI volume '", volume,
             "'; expected ch2better, ch2, ch2bet, inia19 or a FILE.nii[.gz]");
  PB_REQUIRE(path_exists(volume), volume, ": file does not exist");
  return volume;
}

std::string MriSpecification::text() const {
  const MriSpecification defaults;
  std::string text = detail::concat("mri:", volume, ":", axis, ":", slicing.size, ":", part_name(part));
  if (index) text += detail::concat(":", *index);
  if (split.seed != defaults.split.seed) text += detail::concat(":seed=", split.seed);
  if (split.slab_width != defaults.split.slab_width) text += ":slab=" + number_text(split.slab_width);
  if (split.period != defaults.split.period) text += detail::concat(":period=", split.period);
  if (split.guard != defaults.split.guard) text += ":guard=" + number_text(split.guard);
  if (slicing.tissue_threshold != defaults.slicing.tissue_threshold)
    text += ":threshold=" + number_text(slicing.tissue_threshold);
  if (slicing.min_tissue_fraction != defaults.slicing.min_tissue_fraction)
    text += ":fraction=" + number_text(slicing.min_tissue_fraction);
  if (augment != defaults.augment) text += detail::concat(":augment=", augment);
  return text;
}

MriSpecification parse_mri_specification(const std::string& text) {
  std::vector<std::string> fields = split_fields(text);
  PB_REQUIRE(fields.front() == "mri", kMriForm);
  MriSpecification specification;
  std::vector<std::string> options;
  while (fields.size() > 1 && fields.back().find('=') != std::string::npos) {
    options.insert(options.begin(), fields.back());
    fields.pop_back();
  }
  if (fields.size() >= 6 && looks_like_integer(fields.back())) {
    specification.index = parse_index(fields.back());
    fields.pop_back();
  }
  PB_REQUIRE(fields.size() >= 5 && !fields[1].empty(), kMriForm, ", e.g. mri:ch2better:2:64:train");
  const std::size_t count = fields.size();
  specification.volume = join_fields(fields, 1, count - 4);
  specification.volumes = expand_volume(specification.volume);
  specification.axis = fields[count - 3];
  specification.axes = expand_axis(specification.axis);
  const std::size_t size = parse_count(fields[count - 2], "size");
  PB_REQUIRE(size <= static_cast<std::size_t>(kMriMaximumSize), "size ", size, " is above the maximum ",
             kMriMaximumSize);
  specification.slicing.size = static_cast<PetscInt>(size);
  specification.part = parse_part(fields[count - 1]);
  for (const std::string& option : options) {
    apply_option(specification, option);
  }
  validate(specification);
  return specification;
}

ImageSet load_mri_images(const MriSpecification& specification) {
  validate(specification);
  ImageSet set;
  set.shape = ImageShape{specification.slicing.size, specification.slicing.size};
  set.description = describe_rules(specification);
  for (const std::string& name : specification.volumes) {
    Volume volume = read_nifti_volume(mri_volume_path(name));
    require_slice_memory(volume, specification, set.count);
    const double scale = scale_volume(volume);
    for (const int axis : specification.axes) {
      const VolumeSlices slices = slice_volume(volume, axis, specification.slicing);
      const RoleCounts counts = append_part(slices, specification, set);
      set.description += describe_slices(name, volume, slices, scale, counts, specification);
    }
  }
  append_augmented_copies(specification, set);
  set.description += detail::concat("  ", set.count, " images in part ", part_name(specification.part), "\n");
  return set;
}

}  // namespace priorbench::data
