// The latent NUTS tests again at 2 MPI ranks, plus rank-count independence: NUTS on the same
// problem built on PETSC_COMM_SELF (one rank) makes the same draws, because every random
// number is keyed by (seed, task, purpose, chain, counter) and never by rank, and every rank
// sees rank 0's U and ∇U, so every decision is the same on every rank.
#include "../unit/latent_nuts.cpp"  // NOLINT(bugprone-suspicious-include)

namespace {

TEST(LatentNutsAtTwoRanks, SameDrawsAsOneRankAndOnEveryRank) {
  for (const std::string name : {"inpaint", "gaussian"}) {
    const LinearOracle world = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, name, 30, 3, 0.2);
    const LinearOracle self = pb::testing_support::make_linear_oracle(PETSC_COMM_SELF, name, 30, 3, 0.2);
    pb::LatentNutsOptions options = oracle_options();
    options.warmup = 150;
    options.samples = 100;
    const pb::LatentNutsResult at_two =
        pb::latent_nuts_sample(*pb::testing_support::make_latent_problem(world, LatentLikelihood::marginal), options);
    const pb::LatentNutsResult at_one =
        pb::latent_nuts_sample(*pb::testing_support::make_latent_problem(self, LatentLikelihood::marginal), options);
    ASSERT_EQ(at_two.nuts.draws.size(), at_one.nuts.draws.size());
    // inpaint: A is a row selection, so the distributed products sum the same terms in the
    // same order as one rank and the draws agree to rounding. gaussian: A's products and
    // the marginal covariance reduce partial sums across ranks in another order, so U and
    // ∇U differ from one rank's in the last bits (~1e-16 relative); a Hamiltonian
    // trajectory is chaotic and grows that difference with every leapfrog step (measured:
    // 9e-7 in the draws after 250 transitions). What must not differ is every decision
    // the sampler takes (tree depths, gradient counts, divergences — checked below), and
    // the draws must stay within a bound far below their posterior spread (O(0.1–1)).
    const double tolerance = name == "inpaint" ? 1e-12 : 1e-5;
    EXPECT_LT(pb::testing_support::max_abs_difference(at_two.nuts.draws, at_one.nuts.draws), tolerance) << name;
    EXPECT_LT(pb::testing_support::max_abs_difference(at_two.image_std, at_one.image_std), tolerance) << name;
    EXPECT_EQ(at_two.nuts.gradient_evaluations, at_one.nuts.gradient_evaluations) << name;
    EXPECT_EQ(at_two.nuts.divergences, at_one.nuts.divergences);
    std::vector<std::size_t> depths_two, depths_one;  // the same trees
    for (const auto& t : at_two.nuts.transitions) depths_two.push_back(t.tree_depth);
    for (const auto& t : at_one.nuts.transitions) depths_one.push_back(t.tree_depth);
    EXPECT_EQ(depths_two, depths_one) << name;

    // Bit-identical across the ranks of one run.
    std::vector<double> mine = at_two.nuts.draws, first = mine;
    MPI_Bcast(first.data(), static_cast<int>(first.size()), MPI_DOUBLE, 0, PETSC_COMM_WORLD);
    int same = mine == first ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
    EXPECT_EQ(same, 1) << name;
  }
}

}  // namespace
