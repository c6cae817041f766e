// The train stage: builds the architecture to train (train.arch, or the search's best) for the
// training data and trains it into DIR/train/ (nas/trainer.h).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "global_generator.h"
#include "json_params.h"
#include "nas/csv.h"
#include "nas/distributed.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/seed.h"
#include "nas/teacher.h"
#include "nas/trainer.h"
#include "nas/training_report.h"
#include "stages.h"

namespace nas::detail {
namespace fs = std::filesystem;

namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string percent_text(double v) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  s << v << "%";
  return s.str();
}

}  // namespace

namespace {

constexpr const char* kTrainKey = "train";

// The network train_stage trains for `arch`, built identically on every rank (and broadcast
// from rank 0 anyway).
std::shared_ptr<Network> training_network(Run& r, const Arch& arch, std::int64_t* flops) {
  const TrainStage& t = *r.cfg.train;
  NetSpec spec = net_spec_for(r.train_data->shape(), r.spec);
  spec.width = t.width;
  spec.depth = t.depth;
  const std::uint64_t seed = torch_seed(derive_seed(r.cfg.run.seed, "train", arch.str()));
  std::shared_ptr<Network> net = build_with_global_seed(seed, AfterBuild::kRestore,
                                                        [&] { return r.space->build(arch, spec); });
  if (flops) *flops = r.space->flops(arch, spec);
  return net;
}

// The distillation teacher of train.teacher, or null; a bad one names the pipeline's key.
std::unique_ptr<Teacher> training_teacher(Run& r) {
  const TrainStage& t = *r.cfg.train;
  if (t.options.teacher.empty()) return nullptr;
  try {
    return load_teacher(t.options.teacher, r.train_data->shape(), r.cfg.run.plugin_paths);
  } catch (const UsageError& e) {
    throw UsageError(t.where + ": `train.teacher`: " + e.what());
  }
}

}  // namespace

void release_followers(Communicator& comm, const std::exception* why) {
  nlohmann::json m;
  m["status"] = why ? "failed" : "none";
  m["error"] = why ? why->what() : "";
  // A usage error of rank 0 is one of every rank (the same pipeline): the same exit status.
  m["usage"] = dynamic_cast<const UsageError*>(why) != nullptr;
  try {
    comm.publish(kTrainKey, m.dump());
    comm.await_readers(kTrainKey, 30);
  } catch (const std::exception&) {
    // The other ranks report the store's loss themselves.
  }
}

void follow_train_stage(Run& r, Communicator& comm) {
  const nlohmann::json m = nlohmann::json::parse(comm.await(kTrainKey), nullptr, false);
  if (m.is_discarded() || !m.is_object()) throw Error("rank 0 sent an unreadable message");
  const std::string status = m.value("status", "");
  if (status == "none") return;
  if (status == "failed") {
    const std::string why = "rank " + std::to_string(comm.rank()) +
                            ": rank 0 stopped before training: " + m.value("error", std::string());
    if (m.value("usage", false)) throw UsageError(why);
    throw Error(why);
  }
  if (!r.cfg.train) throw Error("rank 0 trains, but this rank's pipeline has no train section");
  const Arch arch = r.space->parse(m.value("arch", std::string()));
  std::int64_t flops = 0;
  std::shared_ptr<Network> net = training_network(r, arch, &flops);
  std::unique_ptr<Teacher> teacher = training_teacher(r);
  train(*net, r.train_data, r.cfg.train->options, "", flops, {}, &comm, teacher.get());
}

void train_stage(Run& r, Communicator* comm) {
  bool told = false;
  try {
    const TrainStage& t = *r.cfg.train;
    std::shared_ptr<const Dataset> data = r.train_data;

    Arch arch;
    if (!t.arch.empty()) {
      try {
        arch = r.space->parse(t.arch);
      } catch (const Error& e) {
        throw UsageError(t.where + ": `train.arch`: " + e.what());
      }
    } else {
      const std::string best = r.dir + "/best_arch.txt";
      std::error_code ec;
      if (!fs::exists(best, ec)) {
        throw Error("train: the search found no best architecture (" + best +
                    " is missing); give `train.arch`");
      }
      arch = r.space->parse(first_line(best));
    }

    // The training run's directory belongs to one architecture.
    const std::string dir = r.dir + "/train";
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string arch_file = dir + "/arch.txt";
    if (fs::exists(arch_file, ec)) {
      const std::string before = first_line(arch_file);
      if (before != arch.str()) {
        throw UsageError(dir + " holds the training of " + before + ", not of " + arch.str() +
                         "; remove it or train into another run directory");
      }
    } else {
      write_file_atomic(arch_file, arch.str() + "\n");
    }

    // What `nas eval` needs to rebuild the network: architecture, space, shape, dataset.
    const ComponentConfig& data_config = t.data ? *t.data : *r.cfg.data;
    nlohmann::json network;
    network["arch"] = arch.str();
    network["space"] = {{"type", r.cfg.space.type}, {"params", params_to_json(r.cfg.space.params)}};
    network["data"] = {{"type", data_config.type}, {"params", params_to_json(data_config.params)}};
    network["width"] = t.width;
    network["depth"] = t.depth;
    write_file_atomic(dir + "/network.json", network.dump(2) + "\n");

    std::int64_t flops = 0;
    std::shared_ptr<Network> net = training_network(r, arch, &flops);
    std::unique_ptr<Teacher> teacher = training_teacher(r);
    if (teacher) r.progress->message("distilling from " + teacher->description());

    if (comm) {
      nlohmann::json m;
      m["status"] = "train";
      m["arch"] = arch.str();
      comm->publish(kTrainKey, m.dump());
      told = true;
    }
    r.progress->message(
        "training " + arch.str() + " (" + std::to_string(t.options.epochs) + " epochs" +
        (comm ? ", " + std::to_string(comm->world_size()) + " processes" : "") + ") into " + dir);
    bool bar_started = false;
    const TrainMetrics m = train(
        *net, data, t.options, dir, flops,
        [&](const TrainLogRow& row) {
          if (row.split == "validation") {
            r.progress->message("  epoch " + std::to_string(row.epoch) + ": validation top-1 " +
                                percent_text(row.top1));
          }
        },
        comm, teacher.get(),
        [&](const TrainStep& step) {
          if (!bar_started) {
            // JSON progress events every few seconds: a training step is short.
            r.progress->start("train", step.total_steps, step.step - 1, 5.0);
            bar_started = true;
          }
          char text[128];
          std::snprintf(text, sizeof text, "epoch %lld  loss %.4f  top-1 %.2f%%  %.0f img/s",
                        static_cast<long long>(step.epoch), step.loss, step.top1,
                        step.images_per_second);
          r.progress->update(step.step, text,
                             {{"epoch", step.epoch},
                              {"loss", step.loss},
                              {"top1", step.top1},
                              {"images_per_second", step.images_per_second}});
        });
    if (bar_started) r.progress->finish();
    r.notes.push_back("trained " + arch.str() + ": test top-1 " + percent_text(m.test_top1) +
                      ", top-5 " + percent_text(m.test_top5) +
                      (m.best_validation_epoch > 0
                           ? ", best validation top-1 " + percent_text(m.best_validation_top1) +
                                 " at epoch " + std::to_string(m.best_validation_epoch)
                           : std::string()) +
                      "; weights in " + dir + "/model.pt");

    // The training report, and its summary in the run's report when the run wrote one.
    const TrainingReport report = write_training_report(dir);
    for (const auto& w : report.warnings) r.progress->message("training report: " + w);
    const std::string run_report = r.dir + "/report.md";
    if (fs::exists(run_report, ec)) {
      std::string text = read_text_file(run_report);
      const std::string heading = "\n## The trained network\n";
      if (const auto at = text.find(heading); at != std::string::npos) text.resize(at);
      text += heading + "\n`" + arch.str() + "` trained on `" + data_config.type + "` (" +
              "[train/report.md](train/report.md)):\n\n" + report.summary;
      if (!report.curve.empty()) text += "\n![training curve](train/" + report.curve + ")\n";
      write_file_atomic(run_report, text);
    }
  } catch (const std::exception& e) {
    if (comm && !told) release_followers(*comm, &e);
    throw;
  }
}

}  // namespace nas::detail
