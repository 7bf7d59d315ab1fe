#include "train/stop_signal.h"

#include <csignal>

namespace loce::train {

namespace {
volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }  // async-signal-safe: one store
}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGUSR2, &sa, nullptr);
  // SIGINT (Ctrl-C) too, but once: SA_RESETHAND puts back the default action as the handler
  // runs, so a second Ctrl-C ends the program at once. Not again after a stop request (the
  // runner installs these before a training step does: re-arming would catch the second
  // Ctrl-C), and not where SIGINT is ignored (a background job of a shell: nohup-like).
  struct sigaction current {};
  sigaction(SIGINT, nullptr, &current);
  if (g_stop == 0 && current.sa_handler != SIG_IGN) {
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    sigaction(SIGINT, &sa, nullptr);
  }
}

bool stop_requested() { return g_stop != 0; }
void clear_stop_request() { g_stop = 0; }

}  // namespace loce::train
