// loce report: Table 1 (Markdown and CSV) across methods, the paper's values beside ours.
#include <cstdio>

#include "analysis/table1_report.h"
#include "app/command.h"

namespace loce::app {
namespace {

struct ReportCli {
  std::vector<std::string> runs;
  std::string out;
};

const CommandRegistration register_report("report", [](CLI::App& cli) -> RunFn {
  auto c = std::make_shared<ReportCli>();
  auto* sub = cli.add_subcommand(
      "report", "Table 1 across methods from run folders (analysis.h5, eval.json) or results files");
  sub->add_option("runs", c->runs, "Run folders or results files (one per method)")->required();
  sub->add_option("--out", c->out, "Folder for table1.md and table1.csv")->required();
  return [c](const Context& ctx) {
    if (c->out.empty()) bad_input("--out is empty: give the folder for table1.md and table1.csv");
    std::vector<analysis::MethodResults> methods;
    for (const auto& run : c->runs) methods.push_back(analysis::read_method_results(run));
    analysis::Table1Report report = analysis::make_table1_report(methods);
    if (ctx.world.rank == 0) {
      analysis::write_table1_report(report, c->out);
      std::fputs(report.markdown.c_str(), stdout);
    }
    return 0;
  };
});

}  // namespace
}  // namespace loce::app
