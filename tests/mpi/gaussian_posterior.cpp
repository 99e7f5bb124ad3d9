// The GaussianPosterior tests again at 2 MPI ranks: vectors, the low-rank factor's rows
// and the data are split across ranks, the references are computed on every rank.
#include "../unit/gaussian_posterior.cpp"  // NOLINT(bugprone-suspicious-include)
