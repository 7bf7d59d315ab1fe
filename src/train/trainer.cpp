#include "train/trainer.h"

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <torch/torch.h>

#ifdef LOCE_HAVE_CUDA
#include <ATen/cuda/CUDAGeneratorImpl.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <filesystem>
#include <optional>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/hdf5.h"
#include "core/json.h"
#include "core/lock_file.h"
#include "core/log.h"
#include "core/seed.h"
#include "core/timer.h"
#include "core/version.h"
#include "data/batch_prefetcher.h"
#include "data/cache.h"
#include "data/sampler.h"
#include "dist/data_parallel.h"
#include "dist/object_io.h"
#include "dist/on_root.h"
#include "dist/watchdog.h"
#include "dist/world.h"
#include "train/autocast.h"
#include "train/checkpoint.h"
#include "train/grad_clip.h"
#include "train/lr_schedule.h"
#include "train/optimizer.h"
#include "train/run_dir.h"
#include "train/sha256.h"
#include "train/stop_signal.h"

namespace loce::train {

namespace {

// The newest of `checkpoints` that reads back, read. A damaged newest one (a node lost
// mid-write, a truncated copy) would make every requeue of the job fail: it is moved aside as
// .bad and dropped from the list, and the one before tried (the trainer keeps a few).
std::optional<RunState> read_newest_readable(std::vector<std::string>& checkpoints) {
  while (!checkpoints.empty()) {
    try {
      return read_checkpoint(checkpoints.back());
    } catch (const UnreadableCheckpoint& e) {
      const std::string bad = checkpoints.back() + ".bad";
      std::error_code ec;
      std::filesystem::rename(checkpoints.back(), bad, ec);
      if (ec) throw;
      log::warn(e.what(), "; moved to ", bad, checkpoints.size() > 1 ? ", resuming from the one before" : "");
      checkpoints.pop_back();
    }
  }
  return std::nullopt;
}

// Stream ids for derive_seed: augmentations are (seed, rank, kAugmentStream + step).
constexpr uint64_t kAugmentStream = uint64_t(1) << 32;

std::string tensor_bytes(const at::Tensor& t) {
  auto c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), size_t(c.nbytes()));
}

at::Tensor bytes_tensor(const std::string& s) {
  auto t = at::empty({int64_t(s.size())}, at::kByte);
  std::memcpy(t.data_ptr(), s.data(), s.size());
  return t;
}

void save_rng(RunState& st, const c10::Device& device) {
  st.cpu_rng_state = tensor_bytes(at::detail::getDefaultCPUGenerator().get_state());
#ifdef LOCE_HAVE_CUDA
  if (device.is_cuda())
    st.cuda_rng_state =
        tensor_bytes(at::cuda::detail::getDefaultCUDAGenerator(device.index()).get_state());
#endif
}

void restore_rng(const RunState& st, const c10::Device& device) {
  if (!st.cpu_rng_state.empty())
    at::Generator(at::detail::getDefaultCPUGenerator()).set_state(bytes_tensor(st.cpu_rng_state));
#ifdef LOCE_HAVE_CUDA
  if (device.is_cuda() && !st.cuda_rng_state.empty())
    at::Generator(at::cuda::detail::getDefaultCUDAGenerator(device.index()))
        .set_state(bytes_tensor(st.cuda_rng_state));
#endif
}

void write_curves(const std::string& run_dir, const RunState& st) {
  const std::string path = curves_path(run_dir);
  AtomicFile file(path);
  {
    auto f = h5::File::create(file.temp_path());
    const auto& c = st.curves;
    const int64_t n = int64_t(c.step.size());
    h5::write_tensor(f, "/train/step", at::from_blob(const_cast<int64_t*>(c.step.data()), {n}, at::kLong));
    h5::write_tensor(f, "/train/loss", at::from_blob(const_cast<float*>(c.loss.data()), {n}, at::kFloat));
    h5::write_tensor(f, "/train/lr", at::from_blob(const_cast<float*>(c.lr.data()), {n}, at::kFloat));
    for (const auto& [name, values] : c.metrics)
      h5::write_tensor(f, "/train/" + name,
                       at::from_blob(const_cast<float*>(values.data()), {int64_t(values.size())}, at::kFloat));
    h5::set_attr(f, "/train", "method", st.method);
    h5::set_attr(f, "/train", "kind", st.kind);
    h5::set_attr(f, "/train", "config", format_entries(st.config));
    h5::set_attr(f, "/train", "config_hash", st.config_hash);
    h5::set_attr(f, "/train", "git_revision", st.git_revision);
    h5::set_attr(f, "/train", "step", st.step);
    f.close();
  }
  file.commit();
}

void write_run_info(const std::string& run_dir, const RunState& st) {
  std::ostringstream js;
  js << "{\n  \"kind\": " << json_string(st.kind) << ",\n  \"method\": " << json_string(st.method)
     << ",\n  \"config_hash\": " << json_string(st.config_hash) << ",\n  \"git_revision\": "
     << json_string(st.git_revision) << ",\n  \"world_size\": " << st.world_size << ",\n  \"config\": {";
  for (size_t i = 0; i < st.config.size(); ++i)
    js << (i ? ",\n    " : "\n    ") << json_string(st.config[i].first) << ": " << json_string(st.config[i].second);
  js << "\n  }\n}\n";
  AtomicFile file(run_info_path(run_dir));  // makes the folder
  file.write_text(js.str());
  file.commit();
}

std::string model_bytes(models::Network& net) {
  std::ostringstream os;
  torch::save(net, os);
  return os.str();
}

void channels_last(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& p : m.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
}

// A run that fails before its first checkpoint leaves nothing behind (rank 0): its run.json,
// unless the folder held checkpoints before, and the folder itself (with an empty checkpoints/)
// when this process created it and nothing else is in it. Declared before the run's lock, so the
// lock is gone when the folder is removed. Runs only while an exception unwinds the trainer.
struct FailureCleanup {
  std::string run_dir;
  const TrainOutcome& out;
  bool created_dir = false;
  bool wrote_run_info = false;
  const int exceptions = std::uncaught_exceptions();
  FailureCleanup(std::string dir, const TrainOutcome& o) : run_dir(std::move(dir)), out(o) {}
  ~FailureCleanup() {
    if (std::uncaught_exceptions() <= exceptions || !out.checkpoint.empty()) return;
    std::error_code ec;
    if (wrote_run_info) std::filesystem::remove(run_info_path(run_dir), ec);
    if (created_dir) {
      std::filesystem::remove(checkpoints_dir(run_dir), ec);  // only if empty
      std::filesystem::remove(run_dir, ec);                   // only if empty
    }
  }
};

}  // namespace

std::string data_fingerprint(const data::Cache& cache, const std::string& split) {
  // Names, sizes and a fixed sample of at most 8 rows (the first, the last and evenly spaced
  // between, images and labels): a fingerprint, not a checksum of every byte, so that it costs
  // a few reads even for a full-resolution cache of tens of GB. It tells datasets apart (other
  // frames, another rendering, another seed of the synthetic set); an edit confined to rows
  // outside the sample goes unseen.
  constexpr int64_t kSampled = 8;
  Sha256 h;
  const int64_t n = cache.size(split);
  std::ostringstream head;
  head << "loce-data-fingerprint-1\n" << split << '\n' << n << ' ' << cache.height() << ' '
       << cache.width() << '\n';
  h.update(head.str());
  for (const auto& name : cache.names(split)) h.update(name + "\n");
  const int64_t k = std::min(n, kSampled);
  for (int64_t j = 0; j < k; ++j) {
    const int64_t i = k == 1 ? 0 : j * (n - 1) / (k - 1);
    const data::Batch b = cache.read(split, {i});
    const at::Tensor images = b.images.contiguous(), labels = b.labels.contiguous();
    h.update(images.data_ptr(), size_t(images.nbytes()));
    h.update(labels.data_ptr(), size_t(labels.nbytes()));
  }
  return h.hex_digest();
}

TrainOutcome run_training(const TrainerSetup& setup, const ssl::Task& task, models::Network net,
                          std::shared_ptr<torch::nn::Module> trained) {
  TrainConfig cfg = setup.config;
  const auto& world = dist::world();
  const c10::Device device = setup.device;
  auto comm = dist::make_communicator(device);
  auto control = dist::cpu_communicator();
  const bool root = world.rank == 0;

  data::Cache cache(cfg.data);
  cfg.world_size = world.size;
  cfg.dataset_size = cache.size(cfg.split);
  cfg.image_height = cache.height();
  cfg.image_width = cache.width();
  {
    std::string fingerprint = root ? data_fingerprint(cache, cfg.split) : std::string();
    if (world.size > 1) control->broadcast_bytes(fingerprint, 0);
    cfg.data_fingerprint = fingerprint;
  }
  cfg.threads = at::get_num_threads();
  cfg.validate();
  data::DistributedSampler sampler(cfg.dataset_size, world.rank, world.size, cfg.batch_size,
                                   cfg.seed);
  const int64_t per_epoch = sampler.batches_per_epoch();
  const int64_t total = task.trains() ? (cfg.steps > 0 ? cfg.steps : cfg.epochs * per_epoch) : 0;

  RunState st;
  st.kind = setup.kind;
  st.method = cfg.method;
  st.config = cfg.entries();
  st.config_hash = config_hash(st.config);
  st.git_revision = loce::git_revision();
  st.total_steps = total;
  st.world_size = world.size;

  net->to(device);
  const bool cl = cfg.channels_last && device.is_cuda();
  std::vector<at::Tensor> params;
  int64_t n_params = 0;
  for (auto& p : trained->parameters())
    if (p.requires_grad()) {
      params.push_back(p);
      n_params += p.numel();
    }
  log::info(cfg.method, ": ", n_params, " trainable parameters, batch ", cfg.batch_size, " x ",
            world.size, world.size == 1 ? " rank" : " ranks", " on ", device.str(),
            cfg.bf16 && device.is_cuda() ? " (bf16 autocast)" : "", cl ? " (channels-last)" : "");
  auto optimizer = make_optimizer(
      params, {cfg.optimizer, cfg.lr, cfg.weight_decay, cfg.momentum, cfg.lars_eta});
  WarmupCosine schedule{cfg.lr, cfg.warmup_steps, std::max<int64_t>(1, total), cfg.final_lr_fraction};

  TrainOutcome out;
  FailureCleanup cleanup(setup.run_dir, out);  // rank 0's; before the lock (see there)

  // ---- lock, resume
  // Rank 0 takes the folder's lock before it looks at the checkpoints, so two processes
  // training into one folder (a second submission, a duplicate requeue) cannot both go on; the
  // lock is removed when run_training ends, normally, by an exception or for the requeue.
  // Rank 0's listing for every rank: a rank that looked after rank 0 had saved (a run with
  // nothing to train saves at once) would otherwise refuse the run alone. A failure on rank 0
  // (a lock held by another process, an unusable checkpoint) stops every rank.
  std::vector<std::string> existing;
  std::optional<RunState> newest;  // rank 0's, read once
  std::optional<LockFile> lock;    // rank 0's
  dist::on_root_collectively(*control, [&] {
    cleanup.created_dir = !std::filesystem::exists(setup.run_dir);
    lock.emplace(lock_path(setup.run_dir), "training run folder " + setup.run_dir);
    existing = list_checkpoints(setup.run_dir);
    if (setup.resume) newest = read_newest_readable(existing);
  });
  if (world.size > 1) dist::broadcast_object(*control, existing);
  if (!existing.empty() && !setup.resume)
    throw CollectiveInputError(cat(setup.run_dir, " already holds checkpoints (newest ",
                                   existing.back(),
                                   "): pass --resume to continue it, or choose another --out"));
  if (setup.resume && !existing.empty()) {
    RunState saved = newest ? std::move(*newest) : read_checkpoint(existing.back());
    check_resumable(saved.config, st.config);
    if (saved.method != st.method)
      bad_input("cannot resume: ", existing.back(), " is a '", saved.method, "' run, not '", st.method, "'");
    // The thread count changes how CPU reductions round, not what the run computes: a resume
    // under another count goes on, but its weights will differ in the last bits from those of
    // an uninterrupted run.
    for (const auto& [key, value] : saved.config)
      if (key == "threads" && value != std::to_string(cfg.threads) && !device.is_cuda() && root)
        log::warn("resuming with ", cfg.threads, " CPU thread(s) a run that computed with ", value,
                  " so far: the result will not be bit-identical to an uninterrupted run (pass "
                  "--threads ", value, " for that)");
    std::istringstream mb(saved.model);
    // Onto this rank's device: unmapped, tensors return to the device that saved them (rank 0's
    // GPU), which on a multi-GPU node is another rank's, and absent on a CPU-only machine.
    torch::load(net, mb, device);
    net->to(device);
    optimizer->load(saved.optimizer);
    restore_rng(saved, device);
    st.step = saved.step;
    st.curves = saved.curves;
    log::info("resuming ", existing.back(), " at step ", st.step, " of ", total);
  } else if (setup.resume) {
    log::info("--resume: no checkpoint in ", setup.run_dir, ", starting from step 0");
  }
  if (cl) channels_last(*net);
  if (root) {
    write_run_info(setup.run_dir, st);
    cleanup.wrote_run_info = existing.empty();
  }

  std::unique_ptr<dist::DataParallel> dp;
  if (task.trains() && world.size > 1) dp = std::make_unique<dist::DataParallel>(*trained, comm);

  auto last_good_checkpoint = [&]() -> std::string {
    if (!out.checkpoint.empty()) return out.checkpoint;
    return existing.empty() ? std::string("none") : existing.back();
  };

  // Each step's loss and metrics (averaged over ranks) stay on the device until they are
  // drained, every log_every steps and around checkpoints, in one copy: a step has no host
  // synchronisation, so the host queues the next step while the device runs this one. Draining
  // stops the run at the first non-finite loss, naming its step.
  struct PendingStep {
    int64_t step;
    double lr;
    at::Tensor scalars;  // [1 + metrics] float64: loss, then the task's metrics
  };
  std::vector<PendingStep> pending;
  std::vector<std::string> metric_names;
  std::vector<double> metric_sums;
  double loss_sum = 0;
  int64_t logged_steps = 0;
  // NCCL calls only queue work on the GPU: a collective that never completes (a peer gone, a
  // network fault) shows as the host waiting in checked() or capture() forever. The collective
  // timeout bounds these waits as it bounds every MPI call (LOCE_COLLECTIVE_TIMEOUT).
  const bool queued_collectives = device.is_cuda() && world.size > 1;
  auto watch_host_wait = [&](const char* what) {
    if (!queued_collectives) return dist::WatchdogScope("", 0.0);  // not watched: no message
    return dist::WatchdogScope(
        cat("the GPU's queued work (", what, ", step ", st.step, "; an NCCL collective that never completes?)"),
        dist::collective_settings().timeout_seconds);
  };
  // The pending values on the host, [steps, 1 + metrics]; throws at a non-finite loss.
  auto checked = [&]() {
    std::vector<at::Tensor> all;
    for (const auto& p : pending) all.push_back(p.scalars);
    const auto watch = watch_host_wait("reading the losses");
    const at::Tensor values = at::stack(all).cpu();
    const auto v = values.accessor<double, 2>();
    for (size_t i = 0; i < pending.size(); ++i) {
      const double loss = v[int64_t(i)][0];
      if (!std::isfinite(loss))
        fail("non-finite loss (", loss, ") at step ", pending[i].step, " of the ", cfg.method,
             " run; stopped without saving, the last good checkpoint is ",
             last_good_checkpoint());
    }
    return values;
  };
  auto drain = [&]() {  // into the curves and the logged sums
    if (pending.empty()) return;
    const at::Tensor values = checked();
    const auto v = values.accessor<double, 2>();
    for (size_t i = 0; i < pending.size(); ++i) {
      const double loss = v[int64_t(i)][0];
      if (pending[i].step == 0) out.first_loss = float(loss);
      out.last_loss = float(loss);
      st.curves.step.push_back(pending[i].step);
      st.curves.loss.push_back(float(loss));
      st.curves.lr.push_back(float(pending[i].lr));
      loss_sum += loss;
      ++logged_steps;
      for (size_t m = 0; m < metric_names.size(); ++m) {
        st.curves.metrics[metric_names[m]].push_back(float(v[int64_t(i)][int64_t(m) + 1]));
        metric_sums[m] += v[int64_t(i)][int64_t(m) + 1];
      }
    }
    pending.clear();
  };

  // A checkpoint is taken in two halves. capture() copies the state after st.step steps into
  // memory; flush() writes it. A periodic checkpoint is flushed only once the next step's loss
  // has come out finite: weights an update has blown up (finite or not) are never written over,
  // or pruned in place of, the last good checkpoint. Ranks hold identical weights, so each
  // decides alone and all stop together. Ranks hold identical buffers too (synchronised after
  // every step), so capturing changes nothing in the live model: when and how often checkpoints
  // are taken cannot change the result.
  bool captured = false;
  auto capture = [&]() {
    drain();  // a non-finite loss is reported as such, at its step
    std::vector<at::Tensor> finite;
    for (const auto& p : params) finite.push_back(torch::isfinite(p).all());
    const auto watch = watch_host_wait("checking the weights");
    if (!finite.empty() && !torch::stack(finite).all().item<bool>())  // one read for all
      fail("non-finite weights after step ", st.step, " of the ", cfg.method,
           " run (the last update diverged; lower --lr or set --clip-grad-norm); stopped "
           "without saving, the last good checkpoint is ", last_good_checkpoint());
    st.epoch = st.step / std::max<int64_t>(1, per_epoch);
    st.batch_in_epoch = st.step % std::max<int64_t>(1, per_epoch);
    if (root) {
      save_rng(st, device);
      st.model = model_bytes(net);
      st.optimizer = optimizer->save();
    }
    captured = true;
  };
  auto flush = [&]() {
    if (!captured) return;
    if (root) {
      const std::string path = checkpoint_path(setup.run_dir, st.step);
      write_checkpoint(path, st);
      prune_checkpoints(setup.run_dir, cfg.keep_checkpoints);
      write_curves(setup.run_dir, st);
      st.model.clear();
      st.optimizer.clear();
      out.checkpoint = path;
      log::debug("checkpoint ", path);
    }
    captured = false;
    control->barrier();
  };
  auto checkpoint = [&]() {
    capture();
    flush();
  };

  if (!task.trains()) {  // the baseline: its initialisation is its final state
    checkpoint();
    out.step = 0;
    return out;
  }

  install_stop_handlers();
  Timer since_log, total_time;
  int64_t images_since_log = 0, steps_this_run = 0;
  if (st.step > 0 && !st.curves.loss.empty()) out.first_loss = st.curves.loss.front();
  // The batches of the remaining steps, read ahead (pinned for the copy to a CUDA device).
  data::BatchPrefetcher batches(cache, cfg.split, sampler, st.step, total, cfg.prefetch,
                                device.is_cuda());

  while (st.step < total) {
    // Every rank must agree to stop at the same step.
    at::Tensor stop = at::full({1}, int64_t(stop_requested()), at::kLong);
    if (world.size > 1) control->all_reduce(stop, dist::ReduceOp::Max);
    if (stop.item<int64_t>() != 0) {
      log::info("stop signal: checkpointing at step ", st.step, " and exiting for requeue");
      checkpoint();
      out.interrupted = true;
      out.step = st.step;
      return out;
    }

    data::Batch batch = batches.next();
    at::Generator gen = make_generator(cfg.seed, uint64_t(world.rank), kAugmentStream + uint64_t(st.step));
    ssl::TaskBatch tb = task.make_batch(batch, device, gen);
    if (cl)
      for (auto& x : tb.inputs) x = x.contiguous(at::MemoryFormat::ChannelsLast);

    const double lr = schedule(st.step);
    optimizer->set_lr(lr);
    task.set_train_mode(*net);
    optimizer->zero_grad();
    ssl::TaskLoss result;
    {
      Bf16Autocast autocast(cfg.bf16, device);
      result = task.loss(*net, tb, *comm);
    }
    result.loss.backward();
    if (dp) dp->synchronize_gradients();
    if (cfg.clip_grad_norm > 0)  // on the averaged gradients; the norm is logged as a metric
      result.metrics.emplace_back("grad_norm", clip_grad_norm(params, cfg.clip_grad_norm));

    // Loss and metrics averaged over ranks: one small collective per step, left on the device.
    std::vector<at::Tensor> scalars{result.loss.detach().to(at::kDouble).reshape({1})};
    if (metric_names.empty()) {  // the first step names the metrics
      for (auto& m : result.metrics) metric_names.push_back(m.first);
      metric_sums.assign(metric_names.size(), 0.0);
    }
    for (auto& m : result.metrics) scalars.push_back(m.second.detach().to(at::kDouble).reshape({1}));
    at::Tensor reduced = at::cat(scalars);
    if (world.size > 1) comm->all_reduce(reduced, dist::ReduceOp::Avg);
    pending.push_back({st.step, lr, reduced});
    if (captured) {  // the state this step started from must have given a finite loss
      checked();
      flush();       // (its curves end before this step)
    }
    optimizer->step();
    // BatchNorm statistics: each rank's forward updated them from its own batch. Averaged over
    // ranks after every step (one all-reduce of a few KB, queued on the device like the loss),
    // every rank holds the same statistics at every step, so rank 0's checkpoint is every rank's
    // state and a resume is bit-exact. (DDP's alternative, broadcasting rank 0's statistics
    // before each forward, would make them estimates from rank 0's batches alone; averaging
    // keeps the whole global batch in them, as the average at checkpoint time did before.)
    // Averaging only at checkpoints changed the live model whenever one was taken.
    if (dp) dp->synchronize_buffers();

    ++st.step;
    ++steps_this_run;
    images_since_log += cfg.batch_size * world.size;

    if (st.step % cfg.log_every == 0 || st.step == total) {
      drain();
      const double secs = since_log.seconds();
      std::ostringstream line;
      line << cfg.method << " step " << st.step << "/" << total << " loss "
           << loss_sum / double(std::max<int64_t>(1, logged_steps)) << " lr " << lr;
      for (size_t i = 0; i < metric_names.size(); ++i)
        line << " " << metric_names[i] << " "
             << metric_sums[i] / double(std::max<int64_t>(1, logged_steps));
      line << " " << (secs > 0 ? double(images_since_log) / secs : 0.0) << " img/s";
      log::info(line.str());
      since_log.reset();
      images_since_log = 0;
      loss_sum = 0;
      logged_steps = 0;
      std::fill(metric_sums.begin(), metric_sums.end(), 0.0);
    }
    if (st.step == total)
      checkpoint();
    else if (st.step % cfg.checkpoint_every == 0)
      capture();
  }
  const double secs = total_time.seconds();
  out.step = st.step;
  out.images_per_second =
      secs > 0 ? double(steps_this_run * cfg.batch_size * world.size) / secs : 0.0;
  return out;
}

}  // namespace loce::train
