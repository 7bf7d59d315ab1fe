// loce run JOB: every stage of an experiment, in order, under the same world (one process,
// mpirun or srun). Each step is the `loce` command a user could type (`--dry-run` prints them);
// finished steps whose inputs and config are unchanged are skipped; an interrupted training
// stage resumes from its checkpoint (every training step runs with --resume), and one that must
// train again (its config or inputs changed, or --force) first has its old run folder moved
// aside. SIGUSR2/SIGTERM/SIGINT: a training step checkpoints and exits 75; any other step runs to
// its end (it has no checkpoint to resume from); then the runner exits 75 without starting
// another (a second SIGINT ends it at once). Every step's command line and config are checked
// before the first step runs (and before the run folder is created). A full run and a
// --combination run (job arrays) never work in the same folder at once.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include <torch/torch.h>

#include "app/cli.h"
#include "app/command.h"
#include "app/job.h"
#include "app/run_manifest.h"
#include "app/run_plan.h"
#include "core/error.h"
#include "core/lock_file.h"
#include "core/log.h"
#include "core/timer.h"
#include "dist/on_root.h"
#include "train/stop_signal.h"

namespace fs = std::filesystem;

namespace loce::app {
namespace {

struct RunOptions {
  std::string job, out;
  PlanFilter filter;
  bool dry_run = false, list = false, force = false;
};

// Runs one step in this process, as if its command line had been typed after the global
// options given to `loce run` itself (--log-level, --threads, --device...), which override the
// step's config as they would there. Not part of the step's hash: they do not change results.
int run_step(const Step& step, const Context& outer) {
  std::vector<std::string> args = outer.command_line_globals;
  args.insert(args.end(), step.args.begin(), step.args.end());
  Cli cli;
  try {
    cli.parse(args);
  } catch (const CLI::ConfigError& e) {
    bad_input("step ", step.key, ": ", cli.describe(e));
  } catch (const CLI::ParseError& e) {
    bad_input("step ", step.key, ": ", e.what(), " (command: ", quote_command(args), ")");
  }
  Context ctx = outer;
  ctx.global = cli.global();
  ctx.device = dist::resolve_device(ctx.global.device, ctx.world);
  apply_global_options(ctx.global, ctx.world);
  int rc = cli.run_selected(ctx);
  apply_global_options(outer.global, outer.world);
  dist::resolve_device(outer.global.device, outer.world);
  return rc;
}

// Whether `path` is `root` or below it.
bool under(const std::string& path, const std::string& root) {
  return path.compare(0, root.size(), root) == 0 && (path.size() == root.size() || path[root.size()] == '/');
}

// Parses every step's command line as run_step will, without running it, so that a typo in
// any config section (or a bad value) stops the job at once, naming the step, rather than hours
// later when its stage is reached. The paths below the run folder are left out, with the option
// naming each: they are mostly earlier steps' outputs, which do not exist yet, and CLI11 checks
// that an input exists. A final --help makes CLI11 stop (CallForHelp, nothing printed) after
// reading the config file and checking the values, before it checks that required options are
// there.
void check_steps(const std::vector<Step>& plan, const Context& outer, const std::string& out) {
  for (const auto& step : plan) {
    std::vector<std::string> args = outer.command_line_globals;
    const size_t first = args.size();
    for (size_t i = 0; i < step.args.size(); ++i) {
      if (!under(step.args[i], out)) {
        args.push_back(step.args[i]);
      } else if (i > 0 && args.size() > first && args.back() == step.args[i - 1] &&
                 step.args[i - 1].rfind("--", 0) == 0) {
        args.pop_back();  // "--out DIR": the option goes with its value
      }
    }
    args.push_back("--help");
    Cli cli;
    try {
      cli.parse(args);
    } catch (const CLI::CallForHelp&) {
      continue;  // read and checked
    } catch (const CLI::ConfigError& e) {
      throw CollectiveInputError(cat("step ", step.key, ": ", cli.describe(e)));
    } catch (const CLI::ParseError& e) {
      throw CollectiveInputError(cat("step ", step.key, ": ", e.what(), " (command: ",
                                     quote_command(step.args), ")"));
    }
  }
}

// Moves a training step's earlier run folder to RUN_DIR.replaced-<time> (kept, not deleted:
// it may be the only copy of a long training run). Returns the new name.
std::string set_aside(const std::string& run_dir) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  std::string aside = run_dir + ".replaced-" + stamp;
  for (int i = 2; fs::exists(aside); ++i) aside = run_dir + ".replaced-" + stamp + "-" + std::to_string(i);
  std::error_code ec;
  fs::rename(run_dir, aside, ec);
  if (ec) fail("cannot move ", run_dir, " aside to ", aside, ": ", ec.message());
  return aside;
}

// Whether any rank got SIGUSR2/SIGTERM/SIGINT: all ranks stop together.
bool stop_agreed(dist::Communicator& comm) {
  at::Tensor stop = at::full({1}, int64_t(train::stop_requested()), at::kLong);
  comm.all_reduce(stop, dist::ReduceOp::Max);
  return stop.item<int64_t>() != 0;
}

// The files of the folder named STEM-c<i>EXT (one per --combination i run): its .lock-c<i> or
// manifest-c<i>.tsv files, and with `plain` also STEMEXT itself (the full run's).
std::vector<std::string> combination_files(const std::string& out, const std::string& stem,
                                           const std::string& ext, bool plain) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out, ec)) {
    const std::string name = e.path().filename().string();
    const std::string head = stem + "-c";
    bool match = plain && name == stem + ext;
    if (name.size() > head.size() + ext.size() && name.rfind(head, 0) == 0 &&
        name.compare(name.size() - ext.size(), ext.size(), ext) == 0) {
      const std::string digits = name.substr(head.size(), name.size() - head.size() - ext.size());
      match = std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    }
    if (match) found.push_back(e.path().string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

int run_job(const RunOptions& o, const Context& ctx) {
  Job job = load_job(o.job);
  // Absolute and normal: `--out r`, `--out ./r` and `--out $PWD/r/` are one run folder.
  const std::string out = absolute_normal(o.out.empty() ? (fs::path("runs") / job.name).string() : o.out);
  std::vector<Step> plan = make_plan(job, out, o.filter);
  const bool root = ctx.world.rank == 0;
  // A job-array task owns one combination: its own lock and manifest, so tasks share the folder.
  const bool combination = o.filter.combination >= 0;
  const std::string suffix = combination ? "-c" + std::to_string(o.filter.combination) : "";
  const std::string manifest_path = (fs::path(out) / ("manifest" + suffix + ".tsv")).string();
  const std::string lock_path = (fs::path(out) / (".lock" + suffix)).string();
  // Every manifest of the folder counts: a plain run after a job array skips what the array did.
  auto open_manifest = [&] {
    auto m = std::make_unique<Manifest>(manifest_path);
    for (const auto& other : combination_files(out, "manifest", ".tsv", true))
      if (other != manifest_path) m->consult(other);
    return m;
  };

  if (o.list) {
    auto combos = combinations(job);
    if (root)
      for (size_t i = 0; i < combos.size(); ++i)
        std::printf("%zu\t%s\t%s\t%llu\n", i, combos[i].resolution.tag().c_str(),
                    combos[i].method.c_str(), (unsigned long long)combos[i].seed);
    return 0;
  }
  check_steps(plan, ctx, out);  // every rank alike, before the folder exists
  const std::string report_note =
      report_left_out(job, o.filter)
          ? cat("--combination ", o.filter.combination, " leaves out the report (one table across ",
                "methods): once every combination is done, `loce run ", job.path, " --out ", out,
                " --from report` writes it")
          : "";
  if (o.dry_run) {
    if (root) {
      auto manifest = open_manifest();
      std::printf("job %s: %zu step(s) in %s\n", job.path.c_str(), plan.size(), out.c_str());
      if (!report_note.empty()) std::printf("  (%s)\n", report_note.c_str());
      const auto what = forecast(plan, *manifest, o.force);
      for (size_t i = 0; i < plan.size(); ++i) {
        const Step& s = plan[i];
        std::printf("  [%s] %-28s %s\n", what[i].done ? "done" : "todo", s.key.c_str(),
                    quote_command(s.args).c_str());
        if (!what[i].after.empty() && manifest->find(s.key))  // it ran before: why not done now
          std::printf("         (due: it reads the outputs of %s, which runs first)\n", what[i].after.c_str());
        if (what[i].retrains)
          std::printf("         (retrains: %s is moved aside and training starts from step 0)\n",
                      s.run_dir.c_str());
        else if (what[i].resumes)
          std::printf("         (resumes the unfinished run in %s)\n", s.run_dir.c_str());
      }
    }
    return 0;
  }
  if (!report_note.empty()) log::info("run: ", report_note);

  auto comm = dist::cpu_communicator();
  std::unique_ptr<LockFile> lock;
  std::unique_ptr<Manifest> manifest;
  // Rank 0 owns the folder's lock and manifest; its decisions reach the others by broadcast.
  dist::on_root_collectively(*comm, [&] {
    auto mine = std::make_unique<LockFile>(lock_path, "run folder " + out);
    // A full run and a combination run would train the same folders at once: each takes its
    // own lock, then checks the other kind's (whichever comes second sees the first).
    if (combination)
      require_unlocked((fs::path(out) / ".lock").string(), "a full run (without --combination)");
    else
      for (const auto& other : combination_files(out, ".lock", "", false))
        require_unlocked(other, "a --combination run");
    lock = std::move(mine);
    manifest = open_manifest();
  });

  log::info("run: job ", job.path, ", ", plan.size(), " step(s), folder ", out, ", ",
            ctx.world.size, " rank(s)");
  train::install_stop_handlers();
  Timer total;
  int index = 0, ran = 0, skipped = 0;
  for (const auto& step : plan) {
    ++index;
    if (stop_agreed(*comm)) {
      log::info("run: stop signal: exiting for requeue before ", step.key, " (", plan.size() - index + 1,
                " step(s) left; `loce run` again continues)");
      return train::kExitRequeue;
    }
    std::string hash = step_hash(step);
    std::string decision = root && !o.force && manifest->is_done(step, hash) ? "skip" : "run";
    if (root && decision == "run") {
      if (must_set_aside(step, *manifest, hash, o.force)) {
        const std::string aside = set_aside(step.run_dir);
        log::info("run: ", step.key, ": its earlier run (finished, or trained from another config or ",
                  "other inputs) is now ", aside, "; training from step 0");
      }
      manifest->record(step, "running", hash, 0);  // a job killed outright leaves this line
    }
    comm->broadcast_bytes(decision, 0);
    if (decision == "skip") {
      log::info("run: [", index, "/", plan.size(), "] ", step.key, ": done earlier, unchanged; skipped");
      ++skipped;
      continue;
    }
    log::info("run: [", index, "/", plan.size(), "] ", step.key, ": ", quote_command(step.args));
    Timer t;
    int rc = 1;
    try {
      rc = run_step(step, ctx);
    } catch (...) {
      if (root) manifest->record(step, "failed", hash, t.seconds());
      throw;
    }
    if (rc != 0) {
      if (root) manifest->record(step, rc == train::kExitRequeue ? "interrupted" : "failed", hash, t.seconds());
      log::warn("run: step ", step.key, " ended with exit code ", rc,
                rc == train::kExitRequeue ? " (interrupted; `loce run` again resumes it)" : "");
      return rc;
    }
    // Inputs may be outputs of this very step's predecessors: hash after the run as well, so a
    // later run sees the same inputs as recorded.
    if (root) manifest->record(step, "done", step_hash(step), t.seconds());
    ++ran;
  }
  log::info("run: finished in ", total.seconds(), " s: ", ran, " step(s) run, ", skipped,
            " skipped", fs::exists(manifest_path) ? "; manifest " + manifest_path
                                                  : std::string(" (all done already: nothing to record)"));
  return 0;
}

const CommandRegistration register_run("run", [](CLI::App& cli) -> RunFn {
  auto o = std::make_shared<RunOptions>();
  auto* sub = cli.add_subcommand("run", "Run an experiment (jobs/*.toml): every stage, in order, resumable");
  sub->add_option("job", o->job, "Job file (TOML)")->required();
  sub->add_option("--out", o->out, "Run folder (default: runs/<job name>)");
  sub->add_option("--only", o->filter.only_methods, "Only these methods")->delimiter(',');
  sub->add_option("--from", o->filter.from_stage, "First stage to run");
  sub->add_option("--until", o->filter.until_stage, "Last stage to run");
  sub->add_option("--combination", o->filter.combination,
                  "Only the N-th (resolution, method, seed) combination (job arrays; see --list); "
                  "no report step")
      ->check(at_least(0));
  sub->add_flag("--dry-run", o->dry_run, "Print the plan (with done/todo) and exit");
  sub->add_flag("--list", o->list, "Print the numbered combinations and exit");
  sub->add_flag("--force", o->force,
                "Run every step even if the manifest says it is done (finished training runs are "
                "moved aside and trained again; unfinished ones resume)");
  return [o](const Context& ctx) { return run_job(*o, ctx); };
});

}  // namespace
}  // namespace loce::app
