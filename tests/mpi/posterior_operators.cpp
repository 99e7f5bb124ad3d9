// Every operator with both priors against the dense closed form, at 2 MPI ranks.
#include "../unit/posterior_operators.cpp"  // NOLINT(bugprone-suspicious-include)
