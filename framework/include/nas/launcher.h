// `nas run --nproc N`: a local launcher in the manner of torchrun --standalone.
//
// Contract: launch_local starts `nproc` copies of `argv` (argv[0] the program) with
// MASTER_ADDR=127.0.0.1, MASTER_PORT a free TCP port of this host, WORLD_SIZE=nproc,
// LOCAL_WORLD_SIZE=nproc and RANK=LOCAL_RANK=0..nproc-1, each inheriting stdout and stderr (so
// their output is this command's). It returns 0 when every rank exits with status 0. When a
// rank fails (a non-zero status or a signal) it says which rank and how on stderr, stops the
// other ranks (SIGTERM, then SIGKILL after 10 s) and returns that rank's status when it is 2 (a
// usage error), else 1. SIGINT and SIGTERM sent to the launcher go to every rank.
#pragma once

#include <string>
#include <vector>

namespace nas {

int launch_local(int nproc, const std::vector<std::string>& argv);

// A TCP port of 127.0.0.1 that was free a moment ago (the kernel's choice).
int free_local_port();

}  // namespace nas
