#include "nas/device.h"

#include <cctype>
#include <cstdint>

#include <torch/cuda.h>

#include "nas/error.h"

namespace nas {

namespace {

constexpr const char* kValid = "valid: cpu, cuda, cuda:<index>";

}  // namespace

bool cuda_available() { return torch::cuda::is_available(); }

c10::Device resolve_device(const std::string& name, const std::string& where) {
  if (name == "cpu") return c10::Device(c10::DeviceType::CPU);
  const std::string prefix = "cuda:";
  int index = -1;
  if (name != "cuda") {
    const bool has_prefix = name.compare(0, prefix.size(), prefix) == 0;
    const std::string digits = has_prefix ? name.substr(prefix.size()) : std::string();
    bool ok = has_prefix && !digits.empty() && digits.size() <= 4;
    for (char c : digits) ok = ok && std::isdigit(static_cast<unsigned char>(c));
    if (!ok)
      throw UsageError(where + ": unknown device '" + printable(name) + "' (" + kValid + ")");
    index = std::stoi(digits);
  }
  if (!cuda_available()) {
    throw UsageError(where + ": device '" + printable(name) +
                     "' needs CUDA, but this LibTorch build or this machine has none "
                     "(torch::cuda::is_available() is false); use cpu");
  }
  if (index >= 0) {
    const auto count = static_cast<int>(torch::cuda::device_count());
    if (index >= count) {
      throw UsageError(where + ": device '" + name + "' does not exist: this machine has " +
                       std::to_string(count) + " CUDA device" + (count == 1 ? "" : "s") +
                       " (cuda:0 .. cuda:" + std::to_string(count - 1) + ")");
    }
  }
  return c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index));
}

Batch to_device(const Batch& batch, const c10::Device& device) {
  // Tensor::to returns the tensor itself when it is already on the device.
  Batch out = batch;
  if (out.inputs.defined()) out.inputs = out.inputs.to(device);
  if (out.labels.defined()) out.labels = out.labels.to(device);
  return out;
}

}  // namespace nas
