#pragma once
// Valid results files for the results harnesses, written by priorbench's own
// ResultsFile (study/results_file.hpp): a study of 4 tasks and 2 methods on 2 x 3 images
// with 2 saved reconstructions, whole or as shard I of N of `priorbench run --shard`.

#include <string>

#include "hdf5_layout.hpp"
#include "study/study_spec.hpp"

namespace priorbench::fuzz {

const StudySpec& baseline_study();

// The layout of the results of shard `index` of `count` (0 of 1: the whole study), every
// task of the shard done. Needs initialize_process_with_petsc (parallel HDF5).
Hdf5Layout baseline_results(int index, int count);

// The names and texts of a results file, for edits that reach its readers.
Vocabulary results_vocabulary();

}  // namespace priorbench::fuzz
