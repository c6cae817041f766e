// Distillation teachers; see nas/teacher.h for the contract.
#include "nas/teacher.h"

#include <ATen/ATen.h>
#include <torch/script.h>

#include <filesystem>

#include "nas/error.h"
#include "nas/network.h"
#include "trained_network.h"

namespace nas {

namespace fs = std::filesystem;

Teacher::~Teacher() = default;

namespace {

class NetworkTeacher : public Teacher {
 public:
  NetworkTeacher(std::shared_ptr<Network> net, std::string description)
      : net_(std::move(net)), description_(std::move(description)) {
    net_->eval();
  }
  at::Tensor logits(const at::Tensor& input) override {
    at::NoGradGuard no_grad;
    if (!device_ || *device_ != input.device()) {
      net_->to(input.device());
      device_ = input.device();
    }
    return net_->forward(input);
  }
  std::string description() const override { return description_; }

 private:
  std::shared_ptr<Network> net_;
  std::string description_;
  std::optional<at::Device> device_;
};

class ScriptTeacher : public Teacher {
 public:
  ScriptTeacher(torch::jit::Module module, std::string description)
      : module_(std::move(module)), description_(std::move(description)) {
    module_.eval();
  }
  at::Tensor logits(const at::Tensor& input) override {
    at::NoGradGuard no_grad;
    if (!device_ || *device_ != input.device()) {
      module_.to(input.device());
      device_ = input.device();
    }
    const c10::IValue out = module_.forward({input});
    if (!out.isTensor()) throw Error(description_ + ": forward returned no tensor");
    return out.toTensor();
  }
  std::string description() const override { return description_; }

 private:
  torch::jit::Module module_;
  std::string description_;
  std::optional<at::Device> device_;
};

std::string shape_text(const at::Tensor& t) {
  std::string s = "[";
  for (std::int64_t d = 0; d < t.dim(); ++d) s += (d ? " x " : "") + std::to_string(t.size(d));
  return s + "]";
}

}  // namespace

std::unique_ptr<Teacher> load_teacher(const std::string& path, const DataShape& shape,
                                      const std::vector<std::string>& plugin_paths) {
  std::error_code ec;
  std::unique_ptr<Teacher> teacher;
  if (fs::is_directory(path, ec)) {
    const detail::TrainedNetworkFiles files = detail::read_trained_network(path);
    detail::BuiltNetwork built = detail::build_trained_network(files, shape, plugin_paths);
    teacher = std::make_unique<NetworkTeacher>(
        std::move(built.net), "teacher network " + built.arch + " from " + files.train_dir);
  } else if (fs::is_regular_file(path, ec)) {
    try {
      teacher = std::make_unique<ScriptTeacher>(torch::jit::load(path, at::kCPU),
                                                "teacher TorchScript module " + path);
    } catch (const c10::Error& e) {
      throw UsageError("teacher " + path +
                       ": not a TorchScript module (torch.jit.save writes one) nor a run "
                       "directory of a finished train stage: " +
                       std::string(e.what_without_backtrace()).substr(0, 200));
    }
  } else {
    throw UsageError("teacher " + path +
                     ": no such file or directory (expected a run directory whose train stage "
                     "finished, or a TorchScript module file)");
  }
  // One probe of the student's shape: the teacher must take it and give the student's classes.
  const at::Tensor probe = at::zeros({1, shape.channels, shape.size, shape.size});
  at::Tensor out;
  try {
    out = teacher->logits(probe);
  } catch (const std::exception& e) {
    throw UsageError(teacher->description() + " cannot take the student's input " +
                     shape_text(probe) + ": " + std::string(e.what()).substr(0, 300));
  }
  if (out.dim() != 2 || out.size(0) != 1 || out.size(1) != shape.num_classes) {
    throw UsageError(teacher->description() + " gives logits of shape " + shape_text(out) +
                     " for the student's input " + shape_text(probe) + "; expected [1 x " +
                     std::to_string(shape.num_classes) + "] (the student's classes)");
  }
  return teacher;
}

}  // namespace nas
