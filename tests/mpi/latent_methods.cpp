// The latent-method tests again at 2 MPI ranks (operators, data and the laplace prior's
// factor are split across ranks; generators run replicated), plus rank-count
// independence: the same problem built on PETSC_COMM_SELF (one rank) gives the same
// latent MAP, and every rank returns the same numbers; the low-rank Laplace route at full
// rank equals the dense one.
#include "../unit/latent_methods.cpp"  // NOLINT(bugprone-suspicious-include)
#include "inference/low_rank_laplace.hpp"

namespace {

bool same_on_every_rank(const std::vector<double>& values) {
  std::vector<double> low = values, high = values;
  MPI_Allreduce(MPI_IN_PLACE, low.data(), static_cast<int>(low.size()), MPI_DOUBLE, MPI_MIN, PETSC_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, high.data(), static_cast<int>(high.size()), MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
  return low == high;
}

TEST(LatentMethodsAtTwoRanks, SameAsOneRankAndSameOnEveryRank) {
  int size = 0;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  EXPECT_EQ(size, 2);
  for (const std::string name : {"inpaint", "gaussian"}) {
    for (const auto likelihood : {LatentLikelihood::seeds, LatentLikelihood::marginal}) {
      const LinearOracle world = pb::testing_support::make_linear_oracle(PETSC_COMM_WORLD, name, 30);
      const LinearOracle self = pb::testing_support::make_linear_oracle(PETSC_COMM_SELF, name, 30);
      const auto world_problem = pb::testing_support::make_latent_problem(world, likelihood);
      const auto self_problem = pb::testing_support::make_latent_problem(self, likelihood);
      const pb::LatentMapResult world_map = pb::latent_map(*world_problem, tight_map_options());
      const pb::LatentMapResult self_map = pb::latent_map(*self_problem, tight_map_options());
      EXPECT_TRUE(same_on_every_rank(world_map.latent));
      EXPECT_LT(pb::testing_support::relative_difference(world_map.latent, self_map.latent), 1e-9) << name;
      EXPECT_EQ(world_map.starts.size(), self_map.starts.size());

      const auto world_laplace = pb::latent_laplace(*world_problem, self_map.latent);
      const auto self_laplace = pb::latent_laplace(*self_problem, self_map.latent);
      EXPECT_TRUE(same_on_every_rank(world_laplace.image_std));
      EXPECT_LT(pb::testing_support::relative_difference(world_laplace.image_std, self_laplace.image_std), 1e-12);

      // The low-rank route (flow_laplace's rank = k) with k = min(d, m), the rank of A J:
      // the same pixel std, from a SLEPc SVD on both ranks.
      if (likelihood != LatentLikelihood::seeds) continue;  // it needs Σ = σ² I
      pb::LowRankLaplaceOptions low_rank;
      low_rank.rank = std::min(world_problem->data_size(), world_problem->latent_dimension());
      const auto world_low_rank = pb::low_rank_laplace(*world_problem, self_map.latent, low_rank);
      EXPECT_TRUE(same_on_every_rank(world_low_rank.image_std));
      EXPECT_LT(pb::testing_support::relative_difference(world_low_rank.image_std, self_laplace.image_std), 1e-8)
          << name;
    }
  }
}

}  // namespace
