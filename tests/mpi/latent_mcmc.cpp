// The latent_mcmc tests again at 2 MPI ranks, plus rank-count independence: pCN on the
// same problem built on PETSC_COMM_SELF (one rank) makes the same draws, because every
// random number is keyed by (seed, task, purpose, chain, counter) and never by rank.
#include "../unit/latent_mcmc.cpp"  // NOLINT(bugprone-suspicious-include)

namespace {

TEST(LatentMcmcAtTwoRanks, SameDrawsAsOneRank) {
  for (const std::string name : {"inpaint", "gaussian"}) {
    const LinearOracle world = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, name, 30, 3, 0.2);
    const LinearOracle self = pb::testing_support::make_linear_oracle(PETSC_COMM_SELF, name, 30, 3, 0.2);
    pb::PcnOptions options = oracle_options();
    options.burn_in = 200;
    options.samples = 300;
    const pb::PcnResult at_two =
        pb::pcn_sample(*pb::testing_support::make_latent_problem(world, pb::LatentLikelihood::marginal), options);
    const pb::PcnResult at_one =
        pb::pcn_sample(*pb::testing_support::make_latent_problem(self, pb::LatentLikelihood::marginal), options);
    ASSERT_EQ(at_two.draws.size(), at_one.draws.size());
    EXPECT_LT(pb::testing_support::max_abs_difference(at_two.draws, at_one.draws), 1e-12) << name;
    EXPECT_LT(pb::testing_support::max_abs_difference(at_two.image_std, at_one.image_std), 1e-12) << name;
    EXPECT_EQ(at_two.acceptance_rates, at_one.acceptance_rates);
    EXPECT_EQ(at_two.swap_rates, at_one.swap_rates);
  }
}

}  // namespace
