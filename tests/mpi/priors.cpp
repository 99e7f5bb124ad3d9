// The prior tests again at 2 MPI ranks (the factor's rows are split across ranks).
#include "../unit/priors.cpp"  // NOLINT(bugprone-suspicious-include)
