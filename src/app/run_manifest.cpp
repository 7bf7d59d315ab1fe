#include "app/run_manifest.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/lock_file.h"
#include "core/log.h"

namespace fs = std::filesystem;

namespace loce::app {
namespace {

uint64_t fnv1a(uint64_t h, const std::string& s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", std::localtime(&t));
  return buf;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

// A path as it enters a hash: relative to the run folder when below it ("@run/32x64/..."), so
// that a run folder moved or copied elsewhere (mv keeps modification times) is recognised.
std::string hashed_path(const std::string& path, const std::string& folder) {
  if (folder.empty() || path.compare(0, folder.size(), folder) != 0) return path;
  if (path.size() == folder.size()) return "@run";
  if (path[folder.size()] != '/') return path;  // "/x/run2" is not below "/x/run"
  return "@run" + path.substr(folder.size());
}

// Size and modification time of a file, or of every file below a folder.
void stamp(uint64_t& h, const fs::path& p, const std::string& folder) {
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    std::vector<fs::path> files;
    for (auto& e : fs::recursive_directory_iterator(p, ec))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) stamp(h, f, folder);
    return;
  }
  const std::string name = hashed_path(p.string(), folder);
  if (!fs::exists(p, ec)) {
    h = fnv1a(h, name + ":missing");
    return;
  }
  auto t = fs::last_write_time(p, ec).time_since_epoch().count();
  h = fnv1a(h, name + ":" + std::to_string(fs::file_size(p, ec)) + ":" + std::to_string(t));
}

}  // namespace

namespace {

// The subcommand a step runs: the first argument after the global --config and --seed.
std::string subcommand_of(const Step& step) {
  for (size_t i = 0; i < step.args.size(); ++i) {
    if (step.args[i] == "--config" || step.args[i] == "--seed") ++i;
    else return step.args[i];
  }
  return "";
}

// A TOML line as it means: without its comment and without the white space outside quoted
// strings ("steps = 6  # short" and "steps=6" are the same setting).
std::string toml_meaning(const std::string& line) {
  std::string out;
  char quote = 0;  // the open string's quote character
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      out += c;
      if (c == '\\' && quote == '"' && i + 1 < line.size()) out += line[++i];  // "a\"b"
      else if (c == quote) quote = 0;
    } else if (c == '#') {
      break;
    } else if (c == '"' || c == '\'') {
      quote = c;
      out += c;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      out += c;
    }
  }
  return out;
}

// The lines of a config file that decide a step's result: its top-level keys (global options,
// except log-level and threads, which change only how it runs) and the section of the step's
// own subcommand. An edit anywhere else (another stage's section, a comment) leaves the step
// alone: tuning [analyze] must not retrain the encoders.
std::string relevant_config(const std::string& path, const std::string& subcommand) {
  std::ifstream in(path);
  std::string line, section, out;
  while (std::getline(in, line)) {
    const std::string t = toml_meaning(line);
    if (t.empty()) continue;
    if (t[0] == '[') {
      section = t.substr(1, t.find(']') - 1);
      continue;
    }
    const std::string key = t.substr(0, t.find('='));
    const bool global = section.empty() && key != "log-level" && key != "threads";
    if (global || section == subcommand || section.rfind(subcommand + ".", 0) == 0)
      out += "[" + section + "]" + t + "\n";
  }
  return out;
}

// The command line with paths below the run folder relative to it, and a config file by what
// it says (not where it is).
uint64_t hash_config(const Step& step) {
  uint64_t h = 0xcbf29ce484222325ULL;
  const std::string subcommand = subcommand_of(step);
  for (size_t i = 0; i < step.args.size(); ++i) {
    h = fnv1a(h, hashed_path(step.args[i], step.folder) + "\x1f");
    if (step.args[i] == "--config" && i + 1 < step.args.size())
      h = fnv1a(h, relevant_config(step.args[++i], subcommand));
  }
  return h;
}

std::string hex(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
  return buf;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ";") + i;
  return out;
}

}  // namespace

std::string config_hash(const Step& step) { return hex(hash_config(step)); }

std::string step_hash(const Step& step) {
  uint64_t h = hash_config(step);
  for (const auto& input : step.inputs) stamp(h, input, step.folder);
  return hex(h);
}

namespace {

// A manifest's lines in file order (a damaged line is skipped; a key's last line counts).
std::vector<std::pair<std::string, ManifestEntry>> read_manifest(const std::string& path) {
  std::vector<std::pair<std::string, ManifestEntry>> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, '\t');
    // key status hash config_hash seconds finished_at inputs outputs
    if (f.size() < 6) continue;
    ManifestEntry e{f[1], f[2], f[3], std::atof(f[4].c_str()), f[5], {}, {}};
    if (f.size() > 6) e.inputs = split(f[6], ';');
    if (f.size() > 7) e.outputs = split(f[7], ';');
    out.emplace_back(f[0], e);
  }
  return out;
}

// Whether the file or folder `a` is `b`, or one holds the other.
bool overlaps(const std::string& a, const std::string& b) {
  auto below = [](const std::string& x, const std::string& root) {
    return x.size() > root.size() && x.compare(0, root.size(), root) == 0 && x[root.size()] == '/';
  };
  return a == b || below(a, b) || below(b, a);
}

}  // namespace

Manifest::Manifest(std::string path) : path_(std::move(path)) {
  for (auto& [key, e] : read_manifest(path_)) {
    if (!entries_.count(key)) order_.push_back(key);
    entries_[key] = e;
  }
}

void Manifest::consult(const std::string& other_path) {
  for (auto& [key, e] : read_manifest(other_path)) {
    auto it = consulted_.find(key);
    if (it == consulted_.end() || e.finished_at >= it->second.finished_at) consulted_[key] = e;
  }
}

const ManifestEntry* Manifest::find(const std::string& key) const {
  auto own = entries_.find(key);
  auto other = consulted_.find(key);
  if (other == consulted_.end()) return own == entries_.end() ? nullptr : &own->second;
  if (own == entries_.end()) return &other->second;
  // finished_at is local time, YYYY-MM-DDTHH:MM:SS: its text order is its time order.
  return other->second.finished_at > own->second.finished_at ? &other->second : &own->second;
}

bool Manifest::is_done(const Step& step, const std::string& hash) const {
  const ManifestEntry* e = find(step.key);
  if (!e || e->status != "done" || e->hash != hash) return false;
  for (const auto& o : step.outputs)
    if (!fs::exists(o)) return false;
  return true;
}

bool Manifest::can_resume(const Step& step, const std::string& hash) const {
  const ManifestEntry* e = find(step.key);
  if (!e) return true;
  return e->status != "done" && e->hash == hash;
}

bool must_set_aside(const Step& step, const Manifest& manifest, const std::string& hash, bool force) {
  std::error_code ec;
  if (step.run_dir.empty() || !fs::exists(step.run_dir, ec)) return false;
  // --force retrains finished runs; an unfinished one of the same config and inputs still
  // resumes (the same result: resuming is exact), so a requeued `run --force` keeps going.
  return !manifest.can_resume(step, hash) || (force && !manifest.find(step.key));
}

std::vector<StepForecast> forecast(const std::vector<Step>& plan, const Manifest& manifest, bool force) {
  std::vector<StepForecast> out(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    const Step& s = plan[i];
    StepForecast& f = out[i];
    for (size_t j = 0; j < i && f.after.empty(); ++j) {
      if (out[j].done) continue;
      for (const auto& input : s.inputs)
        for (const auto& output : plan[j].outputs)
          if (f.after.empty() && overlaps(input, output)) f.after = plan[j].key;
    }
    // Its hash now, unless an earlier step that runs changes its inputs first.
    const std::string hash = f.after.empty() ? step_hash(s) : "";
    f.done = f.after.empty() && !force && manifest.is_done(s, hash);
    if (f.done || s.run_dir.empty()) continue;
    f.retrains = must_set_aside(s, manifest, hash, force);
    std::error_code ec;
    f.resumes = !f.retrains && fs::exists(s.run_dir, ec);
  }
  return out;
}

void Manifest::record(const Step& step, const std::string& status, const std::string& hash,
                      double seconds) {
  if (!entries_.count(step.key)) order_.push_back(step.key);
  entries_[step.key] = {status, hash, config_hash(step), seconds, now_iso(), step.inputs, step.outputs};
  save();
}

void Manifest::save() const {
  std::ostringstream out;
  out << "# key\tstatus\thash\tconfig_hash\tseconds\tfinished_at\tinputs\toutputs\n";
  for (const auto& key : order_) {
    const auto& e = entries_.at(key);
    out << key << '\t' << e.status << '\t' << e.hash << '\t' << e.config_hash << '\t'
        << e.seconds << '\t' << e.finished_at << '\t' << join(e.inputs) << '\t'
        << join(e.outputs) << '\n';
  }
  AtomicFile f(path_);
  f.write_text(out.str());
  f.commit();
}

void require_unlocked(const std::string& lock_path, const std::string& holder) {
  const std::string who = LockFile::live_holder(lock_path);
  if (!who.empty())
    bad_input("run folder ", fs::path(lock_path).parent_path().string(), " is in use by ", holder, ", ",
              who, " (", lock_path, "); wait for it, or remove the lock if that job is gone");
}

}  // namespace loce::app
