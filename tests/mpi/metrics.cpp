// The metric tests again at 2 MPI ranks (sums reduced across ranks).
#include "../unit/metrics.cpp"  // NOLINT(bugprone-suspicious-include)
