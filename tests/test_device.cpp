// Devices (nas/device.h) and the device an epoch loader moves its batches to.
//
// On a CPU-only LibTorch (Debian's) every CUDA name must be refused by name; on a CUDA build
// with a GPU (the GPU job, tests/gpu) the same tests check that batches land on the GPU and
// hold what the CPU batches hold.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "nas/dataset.h"
#include "nas/device.h"
#include "nas/epoch_loader.h"
#include "nas/error.h"

namespace {

void expect_usage_error(const std::string& name, const std::vector<std::string>& needles) {
  try {
    nas::resolve_device(name, "run.device");
    ADD_FAILURE() << "no error for '" << name << "'";
  } catch (const nas::UsageError& e) {
    for (const auto& n : needles)
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

TEST(Device, CpuIsAlwaysThere) {
  const c10::Device cpu = nas::resolve_device("cpu", "run.device");
  EXPECT_TRUE(cpu.is_cpu());
}

TEST(Device, OtherSpellingsAreRefusedWithTheValidNames) {
  for (const std::string bad :
       {"gpu", "CPU", "cuda:", "cuda:x", "cuda:-1", "cuda:0:1", "mps", "", " cpu", "cuda:123456"}) {
    expect_usage_error(bad, {"run.device", "unknown device", "cpu, cuda, cuda:<index>"});
  }
}

TEST(Device, CudaNeedsCudaAndAnExistingIndex) {
  if (!nas::cuda_available()) {
    for (const std::string name : {"cuda", "cuda:0", "cuda:3"})
      expect_usage_error(name, {"run.device", name, "needs CUDA", "is_available()"});
    return;
  }
  EXPECT_TRUE(nas::resolve_device("cuda", "run.device").is_cuda());
  EXPECT_EQ(nas::resolve_device("cuda:0", "run.device").index(), 0);
  expect_usage_error("cuda:9999", {"run.device", "does not exist"});
}

TEST(Device, MovingToTheDeviceABatchIsAlreadyOnIsFree) {
  const nas::Batch b{at::ones({2, 1, 3, 3}), at::zeros({2}, at::kLong)};
  const nas::Batch moved = nas::to_device(b, c10::Device(c10::DeviceType::CPU));
  EXPECT_EQ(moved.inputs.data_ptr(), b.inputs.data_ptr());
  EXPECT_EQ(moved.labels.data_ptr(), b.labels.data_ptr());
}

// Sample i: a 1x2x2 image filled with i, label i % 2.
class Counting : public nas::Dataset {
 public:
  nas::DataShape shape() const override { return {1, 2, 2}; }
  nas::Batch batch(std::int64_t, std::uint64_t, nas::Split) const override { return {}; }
  std::int64_t size(nas::Split) const override { return 6; }
  nas::Batch samples(nas::Split, const std::vector<std::int64_t>& indices) const override {
    at::Tensor x = at::empty({static_cast<std::int64_t>(indices.size()), 1, 2, 2});
    at::Tensor y = at::empty({static_cast<std::int64_t>(indices.size())}, at::kLong);
    for (std::size_t j = 0; j < indices.size(); ++j) {
      x[static_cast<std::int64_t>(j)].fill_(static_cast<double>(indices[j]));
      y[static_cast<std::int64_t>(j)] = indices[j] % 2;
    }
    return {x, y};
  }
};

TEST(Device, LoaderBatchesLandOnItsDevice) {
  auto data = std::make_shared<Counting>();
  nas::LoaderOptions cpu_options;
  cpu_options.epoch.batch_size = 4;
  const nas::EpochLoader cpu_loader(data, cpu_options);
  EXPECT_TRUE(cpu_loader.device().is_cpu());  // the default
  EXPECT_TRUE(cpu_loader.batch(0, 0).inputs.device().is_cpu());

  nas::LoaderOptions cuda_options = cpu_options;
  cuda_options.device = "cuda";
  if (!nas::cuda_available()) {
    try {
      nas::EpochLoader loader(data, cuda_options);
      ADD_FAILURE() << "a CUDA loader was built without CUDA";
    } catch (const nas::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("needs CUDA"), std::string::npos) << e.what();
    }
    return;
  }
  const nas::EpochLoader cuda_loader(data, cuda_options);
  for (std::int64_t b = 0; b < cuda_loader.num_batches(); ++b) {
    const nas::Batch on_gpu = cuda_loader.batch(3, b);
    const nas::Batch on_cpu = cpu_loader.batch(3, b);
    EXPECT_TRUE(on_gpu.inputs.device().is_cuda());
    EXPECT_TRUE(on_gpu.labels.device().is_cuda());
    EXPECT_TRUE(at::equal(on_gpu.inputs.cpu(), on_cpu.inputs));
    EXPECT_TRUE(at::equal(on_gpu.labels.cpu(), on_cpu.labels));
  }
}

}  // namespace
