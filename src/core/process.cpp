#include "core/process.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace loce {

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  std::string h = buf;
  for (char& c : h)
    if (c == '/') c = '_';
  return h;
}

bool process_may_run(pid_t pid) {
  if (pid <= 0) return false;
  // Signal 0 only asks; EPERM means it exists as another user's.
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

}  // namespace loce
