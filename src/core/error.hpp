#pragma once
// One error type for the whole code base. It carries the source location where it was
// raised and a message written for the user: name the file, field and value at fault.
// A message is one line: control characters in the values it quotes from files and
// arguments (a line break in a model attribute, an escape sequence in a study name) are
// shown escaped, as \n or \x1b, so a hostile file can neither split the message nor
// drive the terminal it is printed on.

#include <petscsys.h>

#include <sstream>
#include <stdexcept>
#include <string>

namespace priorbench {

// `message` with every control character escaped (\n, \t, \r, else \xNN).
std::string one_line(const std::string& message);

class Error : public std::runtime_error {
 public:
  Error(const std::string& message, const char* file, int line)
      : std::runtime_error(one_line(message)), file_(file), line_(line) {}

  const char* file() const noexcept { return file_; }
  int line() const noexcept { return line_; }

 private:
  const char* file_;
  int line_;
};

// A solver that did not converge. Studies record it (converged = 0) and go on with the
// next task; single solves report it as any other error.
class ConvergenceError : public Error {
 public:
  using Error::Error;
};

[[noreturn]] void throw_petsc_error(PetscErrorCode code, const char* call, const char* file, int line);

namespace detail {
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  out.precision(17);
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

}  // namespace priorbench

// PB_FAIL("field 'sigma' in ", path, " must be positive, got ", sigma)
#define PB_FAIL(...) throw ::priorbench::Error(::priorbench::detail::concat(__VA_ARGS__), __FILE__, __LINE__)

#define PB_REQUIRE(condition, ...) \
  do {                             \
    if (!(condition)) {            \
      PB_FAIL(__VA_ARGS__);        \
    }                              \
  } while (false)

// Every PETSc/SLEPc call goes through this: a non-zero code becomes an Error.
#define PB_PETSC(call)                                                            \
  do {                                                                            \
    const PetscErrorCode pb_petsc_code_ = (call);                                 \
    if (pb_petsc_code_ != 0) {                                                    \
      ::priorbench::throw_petsc_error(pb_petsc_code_, #call, __FILE__, __LINE__); \
    }                                                                             \
  } while (false)
