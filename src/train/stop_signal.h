#pragma once
// SIGTERM and SIGUSR2 (what SLURM sends before a time limit or preemption), and a first SIGINT
// (Ctrl-C), only set a flag; the training loop looks at it between steps, agrees with the other
// ranks, writes a checkpoint and exits with kExitRequeue so the batch script can requeue the
// job. A second SIGINT has its default action: Ctrl-C twice ends the program at once.
namespace loce::train {

constexpr int kExitRequeue = 75;  // EX_TEMPFAIL: "try again later"

void install_stop_handlers();
bool stop_requested();
void clear_stop_request();

}  // namespace loce::train
