#pragma once
// One exception type for every user-facing failure. Its message is one line that says what went
// wrong and where (file, key, rank); `main` prints it and exits non-zero.
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace loce {

// Concatenate anything streamable into a string: cat("read ", path, ": ", n, " bytes").
template <class... A>
std::string cat(A&&... a) {
  std::ostringstream os;
  (os << ... << std::forward<A>(a));
  return os.str();
}

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Raised when the input (a file, a flag, a config key) is wrong, as opposed to a bug.
class InputError : public Error {
 public:
  using Error::Error;
};

// An input error that every rank of the job raises together (the ranks agreed on it through a
// collective), so no rank is left waiting: main prints it once, on rank 0, and all ranks exit
// cleanly instead of aborting the job.
class CollectiveInputError : public InputError {
 public:
  using InputError::InputError;
};

template <class... A>
[[noreturn]] void fail(A&&... a) {
  throw Error(cat(std::forward<A>(a)...));
}

template <class... A>
[[noreturn]] void bad_input(A&&... a) {
  throw InputError(cat(std::forward<A>(a)...));
}

}  // namespace loce

// LOCE_CHECK(cond, "message parts", ...): throw loce::Error when cond is false.
#define LOCE_CHECK(cond, ...)            \
  do {                                   \
    if (!(cond)) ::loce::fail(__VA_ARGS__); \
  } while (0)
