#pragma once
// Who this process is, and whether another process of this host still runs: what the lock
// files (lock_file.h) and the temporary files (atomic_file.h) record of their owner, and how
// their leftovers are told from files still in use.
#include <sys/types.h>

#include <string>

namespace loce {

// This host's name (gethostname; "localhost" when it has none), '/' written as '_' so that it
// fits into a file name.
std::string host_name();

// Whether process `pid` of this host may still be running: false only when it certainly does
// not exist (a process of another user counts as running). False for pid <= 0.
bool process_may_run(pid_t pid);

}  // namespace loce
