// The sensitivity, range-distance and collapse tests again at 2 MPI ranks: latent
// vectors (m = 5) and data (d = 20) are split across ranks, the data set of the collapse
// diagnostics is split in blocks, and every rank must return the same numbers as the
// serial references.
#include "../unit/sensitivity.cpp"  // NOLINT(bugprone-suspicious-include)
