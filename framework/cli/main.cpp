// The `nas` command line: run pipelines, inspect plugins, print a config template.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "nas/distributed.h"
#include "nas/error.h"
#include "nas/eval_command.h"
#include "nas/launcher.h"
#include "nas/merge_command.h"
#include "nas/pipeline.h"
#include "nas/plugin_loader.h"
#include "nas/registry.h"
#include "nas/report.h"
#include "nas/report_command.h"

namespace {

template <class T>
void print_component(const nas::Component<T>& c, const std::string& kind) {
  std::printf("%s (%s)\n  %s\n  plugin: %s (%s)\n", c.name.c_str(), kind.c_str(), c.help.c_str(),
              c.plugin.c_str(), c.plugin_file.c_str());
  if (c.schema.specs().empty()) {
    std::printf("  parameters: none\n");
    return;
  }
  std::printf("  parameters:\n");
  for (const auto& s : c.schema.specs()) {
    std::string def = s.default_value ? nas::format_value(*s.default_value) : "(required)";
    std::printf("    %-18s %-16s default %-12s %s", s.name.c_str(), nas::to_string(s.type),
                def.c_str(), s.help.c_str());
    if (!s.choices.empty()) std::printf(" [choices: %s]", nas::join(s.choices, " | ").c_str());
    if (s.range.bounded()) std::printf(" [range: %s]", s.range.text().c_str());
    std::printf("\n");
  }
}

int list_plugins() {
  const auto& reports = nas::load_plugins();
  const auto& reg = nas::Registry::global();
  std::printf("plugins searched in: %s\n\n", nas::join(nas::default_plugin_dirs(), ":").c_str());
  for (const auto& r : reports) {
    if (r.loaded)
      std::printf("  loaded  %-16s %-8s %s\n", r.plugin.c_str(), r.version.c_str(), r.file.c_str());
  }
  bool failed = false;
  for (const auto& r : reports) {
    if (r.loaded) continue;
    if (!failed) std::printf("\nfailed to load:\n");
    failed = true;
    std::printf("  %s\n    %s\n", r.file.c_str(), r.error.c_str());
  }
  auto list = [](const std::string& title, const std::vector<std::string>& names) {
    std::printf("\n%s: %s\n", title.c_str(), names.empty() ? "(none)" : nas::join(names).c_str());
  };
  reg.for_each_table([&](const auto& table) { list(table.plural(), table.names()); });
  list("benchmarks", reg.benchmark_names());
  return 0;
}

void print_benchmark(const nas::BenchmarkTable& b) {
  std::printf("%s (benchmark)\n  %s\n  space: %s\n  table: %s\n  plugin: %s (%s)\n", b.name.c_str(),
              b.help.c_str(), b.space.c_str(), b.path.c_str(), b.plugin.c_str(),
              b.plugin_file.c_str());
}

int inspect(const std::string& name) {
  nas::load_plugins();
  const auto& reg = nas::Registry::global();
  bool found = false;
  std::vector<std::string> all;
  reg.for_each_table([&](const auto& table) {
    if (const auto* c = table.find(name)) {
      print_component(*c, table.kind());
      found = true;
    }
    for (const auto& n : table.names()) all.push_back(n);
  });
  if (const nas::BenchmarkTable* b = reg.find_benchmark(name)) {
    print_benchmark(*b);
    found = true;
  }
  for (const auto& n : reg.benchmark_names()) all.push_back(n);
  if (!found) {
    throw nas::UsageError("no component named '" + nas::printable(name) +
                          "'; known: " + nas::join(all));
  }
  return 0;
}

// `who` unless the message already starts with it.
std::string prefix(const std::string& who, const std::string& message) {
  return message.rfind(who, 0) == 0 ? std::string() : who;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nas: zero-shot neural architecture search"};
  app.require_subcommand(1);
  std::string log_format = "text";
  app.add_option("--log-format", log_format, "text (progress bar on a terminal) or jsonl")
      ->check(CLI::IsMember({"text", "jsonl"}));
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "no progress output");
  // The global options may also come after the subcommand (`nas run -q x.yaml`).
  app.fallthrough();

  auto* run =
      app.add_subcommand("run", "run a pipeline: nas run PIPELINE.yaml [section.key=value ...]");
  std::string pipeline;
  std::vector<std::string> overrides;
  run->add_option("pipeline", pipeline, "pipeline YAML file")->required();
  run->add_option("overrides", overrides, "overrides such as run.seed=3 strategy.budget=50");
  bool force_new = false;
  run->add_flag("--force-new", force_new,
                "when run.out_dir holds a run of another configuration, start over in a new "
                "directory beside it");
  std::string shard_text;
  run->add_option("--shard", shard_text,
                  "score only shard i of N of the score stage (i counts from 0), into "
                  "<run.out_dir>-shard-<i>-of-<N>; join them with `nas merge`");

  bool print_out_dir = false;
  run->add_flag("--print-out-dir", print_out_dir,
                "print the run directory the pipeline resolves to (with overrides) and exit");

  auto* merge_cmd = app.add_subcommand(
      "merge", "join the shards of a score stage: nas merge OUT_DIR SHARD_DIR...");
  std::string merge_out;
  std::vector<std::string> merge_shards;
  nas::ReportCommandOptions merge_report_opts;
  merge_cmd->add_option("out_dir", merge_out, "the merged run directory (new or empty)")
      ->required();
  merge_cmd->add_option("shard_dirs", merge_shards, "every shard's directory")->required();
  merge_cmd->add_option("--plugin-path", merge_report_opts.plugin_paths,
                        "more plugin directories (for votes in the report)");
  merge_cmd->add_option("--plots", merge_report_opts.plot_format, "png, svg or none")
      ->check(CLI::IsMember({"png", "svg", "none"}));

  int nproc = 1;
  run->add_option("--nproc", nproc,
                  "data-parallel training in N local processes (rank 0 runs the pipeline and "
                  "writes the run; torchrun's MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE "
                  "start the ranks by hand)")
      ->check(CLI::Range(1, 1024));

  auto* plugins = app.add_subcommand("plugins", "list or inspect plugins");
  plugins->require_subcommand(1);
  auto* plugins_list = plugins->add_subcommand("list", "every plugin found, and the failed loads");
  auto* plugins_inspect = plugins->add_subcommand("inspect", "a component's parameters and help");
  std::string component;
  plugins_inspect->add_option("name", component, "component name")->required();

  auto* config = app.add_subcommand("config", "configuration helpers");
  config->require_subcommand(1);
  auto* config_template = config->add_subcommand("template", "print a commented pipeline");

  auto* report_cmd =
      app.add_subcommand("report", "rebuild the correlation report of a run: nas report RUN_DIR");
  std::string report_dir;
  nas::ReportCommandOptions report_opts;
  report_cmd->add_option("run_dir", report_dir, "run directory (config.resolved.yaml, scores.csv)")
      ->required();
  report_cmd->add_option("--column", report_opts.column,
                         "ground-truth column (overrides the config)");
  report_cmd->add_option("--benchmark", report_opts.benchmark,
                         "benchmark table by name (overrides the config)");
  report_cmd->add_option("--path", report_opts.path, "ground-truth CSV (overrides the config)");
  report_cmd->add_option("--arch-column", report_opts.arch_column,
                         "architecture column of that CSV");
  report_cmd->add_option("--plugin-path", report_opts.plugin_paths,
                         "more plugin directories (the run directory's are never used)");
  report_cmd->add_option("--plots", report_opts.plot_format, "png, svg or none")
      ->check(CLI::IsMember({"png", "svg", "none"}));

  auto* eval_cmd = app.add_subcommand(
      "eval", "judge a trained network: nas eval RUN_DIR [--split test] [--data TYPE]");
  std::string eval_dir;
  nas::EvalCommandOptions eval_opts;
  eval_cmd->add_option("run_dir", eval_dir, "run directory with a train/ folder (or that folder)")
      ->required();
  eval_cmd->add_option("--split", eval_opts.split, "train, validation or test")
      ->check(CLI::IsMember({"train", "validation", "test"}));
  eval_cmd->add_option("--data", eval_opts.data_type,
                       "another dataset (default: the one it was trained on)");
  eval_cmd->add_option("--data-param", eval_opts.data_params,
                       "dataset parameter overrides, key=value (repeatable)");
  eval_cmd->add_option("--batch-size", eval_opts.batch_size, "images per batch")
      ->check(CLI::Range(1, 1 << 20));
  eval_cmd->add_option("--batches", eval_opts.batches, "only the first N batches (0: all)")
      ->check(CLI::Range(0, 1 << 30));
  eval_cmd->add_option("--plugin-path", eval_opts.plugin_paths, "more plugin directories");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  auto logger = spdlog::stderr_color_mt("nas");
  spdlog::set_default_logger(logger);
  if (log_format == "jsonl") {
    spdlog::set_pattern(
        R"({"event":"log","time":"%Y-%m-%dT%H:%M:%S.%e","level":"%l","text":"%v"})");
  } else {
    spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  }

  // In a distributed run, errors say which rank reports them.
  std::string who;
  try {
    if (*run) {
      if (nproc > 1) {
        std::vector<std::string> args{std::filesystem::read_symlink("/proc/self/exe").string(),
                                      "--log-format", log_format};
        if (quiet) args.push_back("-q");
        args.insert(args.end(), {"run", pipeline});
        if (force_new) args.push_back("--force-new");
        args.insert(args.end(), overrides.begin(), overrides.end());
        return nas::launch_local(nproc, args);
      }
      nas::RunOptions options;
      options.log_format =
          log_format == "jsonl" ? nas::LogFormat::kJsonLines : nas::LogFormat::kText;
      options.progress = !quiet;
      options.force_new = force_new;
      if (!shard_text.empty()) options.shard = nas::parse_shard(shard_text);
      const auto dist = nas::distributed_env_from_environment();
      if (dist) who = "rank " + std::to_string(dist->rank) + ": ";
      // One of the ranks of mpirun (or another MPI launcher): its errors say which.
      if (const auto launched = nas::launcher_rank(); launched && !dist) {
        who = "rank " + std::to_string(launched->rank) + ": ";
      }
      auto cfg = nas::load_pipeline(pipeline, overrides);
      if (print_out_dir) {
        std::printf("%s\n", nas::pipeline_out_dir(*cfg).c_str());
        return 0;
      }
      if (dist && options.shard) {
        throw nas::UsageError("--shard scores one shard in one process; it does not combine with "
                              "a distributed launch (RANK/WORLD_SIZE are set)");
      }
      // One of several ranks (mpirun): a worker serves the coordinator and never runs the
      // pipeline itself, so only the coordinator opens the run directory.
      if (const std::optional<int> status = nas::serve_if_worker(*cfg)) return *status;
      std::unique_ptr<nas::Communicator> comm;
      if (dist) {
        comm = nas::Communicator::connect(*dist, nas::training_device(*cfg));
        options.communicator = comm.get();
        // Rank 0 speaks for the run.
        if (dist->rank != 0) options.progress = false;
      }
      nas::run_pipeline(*cfg, options);
      return 0;
    }
    if (*report_cmd) {
      auto r = nas::report_run_dir(report_dir, report_opts);
      if (!quiet) std::fputs(nas::format_report(r.report).c_str(), stdout);
      for (const auto& w : r.files.warnings) spdlog::warn("{}", w);
      std::printf("report: %s/report.md\n", report_dir.c_str());
      return 0;
    }
    if (*merge_cmd) {
      const nas::MergeResult r = nas::merge_shards(merge_out, merge_shards, merge_report_opts);
      if (r.reported && !quiet) std::fputs(nas::format_report(r.report.report).c_str(), stdout);
      std::printf("merged %zu shards: %zu architectures, %zu score rows into %s%s\n", r.shards,
                  r.rows, r.score_rows, merge_out.c_str(),
                  r.reported ? " (report.md written)" : "");
      return 0;
    }
    if (*eval_cmd) {
      const nas::EvalCommandResult r = nas::eval_trained(eval_dir, eval_opts);
      std::printf("%s on %s %s (%lld images): top-1 %.2f%%, top-5 %.2f%%, loss %.4f\n",
                  r.arch.c_str(), r.dataset.c_str(), r.split.c_str(),
                  static_cast<long long>(r.samples), r.top1, r.top5, r.loss);
      return 0;
    }
    if (*plugins_list) return list_plugins();
    if (*plugins_inspect) return inspect(component);
    if (*config_template) {
      std::fputs(nas::pipeline_template().c_str(), stdout);
      return 0;
    }
  } catch (const nas::UsageError& e) {
    std::fprintf(stderr, "error: %s%s\n", prefix(who, e.what()).c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s%s\n", prefix(who, e.what()).c_str(), e.what());
    return 1;
  }
  return 0;
}
