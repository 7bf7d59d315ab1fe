// loce: distributed experiment runner for Local Concept Embeddings of self-supervised encoders.
// main only parses the command line, brings up the world and hands over to the subcommand.
#include <cctype>
#include <exception>
#include <string>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include "app/cli.h"
#include "core/cpu_tuning.h"
#include "core/error.h"
#include "core/log.h"
#include "core/onednn.h"
#include "train/stop_signal.h"

using namespace loce;

int main(int argc, char** argv) {
  app::Cli cli;
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ConfigError& e) {
    // Every rank parses the same command line: rank 0 speaks for all.
    if (dist::launcher_rank() == 0) log::error(cli.describe(e));
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    if (dist::launcher_rank() != 0) return e.get_exit_code();
    if (e.get_exit_code() == 0) return cli.app().exit(e);  // --help, --version
    log::error(cli.describe(e));
    return e.get_exit_code();
  }
  // After parsing, so that --help and a bad command line answer without it (a second).
  tune_cpu_environment(argv);  // may start the program again with better BLAS settings
  const std::string malloc_note = keep_freed_memory_in_heap();
  // A stop signal (SLURM's SIGUSR2/SIGTERM, Ctrl-C) during start-up, MPI and data loading
  // included, must already mean "checkpoint and exit for requeue" to the commands that train,
  // not the default action that kills the rank. After the re-exec above: exec resets handlers.
  const std::string command = cli.selected_name();
  if (command == "pretrain" || command == "finetune" || command == "run")
    train::install_stop_handlers();

  app::Context ctx;
  ctx.global = cli.global();
  ctx.command_line_globals = cli.command_line_globals();
  int rc = 1;
  try {
    log::set_level(log::parse_level(ctx.global.log_level));
    ctx.world = dist::init_world(&argc, &argv);
    ctx.device = dist::resolve_device(ctx.global.device, ctx.world);
    app::apply_global_options(ctx.global, ctx.world);
    // OpenBLAS's own threads follow LibTorch's count, not the CPU affinity mask.
    const std::string blas_note = match_blas_threads(at::get_num_threads());
    const std::string onednn_note = configure_onednn();
    log::debug("running '", command, "' on ", ctx.world.size, " rank(s), device ",
               ctx.device.str(), ", cuDNN benchmark ",
               at::globalContext().benchmarkCuDNN() ? "on" : "off");
    if (!cpu_tuning_note().empty()) log::debug("CPU tuning: ", cpu_tuning_note());
    if (!malloc_note.empty()) log::debug("CPU tuning: ", malloc_note);
    log::debug(onednn_note);
    if (!blas_note.empty()) log::debug(blas_note);
    rc = cli.run_selected(ctx);
  } catch (const CollectiveInputError& e) {
    // Every rank raised it together: print once, exit together.
    if (ctx.world.rank == 0) log::error(e.what());
    rc = 1;
  } catch (const c10::Error& e) {
    // LibTorch's own message (e.g. an allocation it could not make), on one line: what() would
    // add its C++ stack trace, some thirty lines no user can act on.
    std::string message = e.what_without_backtrace();
    while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back())))
      message.pop_back();
    for (size_t i; (i = message.find('\n')) != std::string::npos;)
      message.replace(i, 1, "; ");
    log::error(message);
    if (dist::world().size > 1) dist::abort_world(1);
    rc = 1;
  } catch (const std::exception& e) {
    log::error(e.what());
    // A rank that stops alone would leave the others waiting in a collective: end the job.
    if (dist::world().size > 1) dist::abort_world(1);
    rc = 1;
  }
  dist::finalize_world();
  return rc;
}
