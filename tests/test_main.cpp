// Shared main of every test program: GoogleTest takes its flags first, then the
// MPI/PETSc/SLEPc session starts, so PETSc never sees --gtest_* options. On ranks other
// than 0 the default printer is silenced so a 2-rank run prints one report.

#include <gtest/gtest.h>

#include "core/session.hpp"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  priorbench::Session session(&argc, &argv);
  if (session.rank() != 0) {
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  return RUN_ALL_TESTS();
}
