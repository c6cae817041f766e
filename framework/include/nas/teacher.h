// A teacher for knowledge distillation: the logits a trained network gives the student's batch.
//
// Contract: load_teacher(path, shape) accepts
// * a run directory of this tool whose train stage finished (or its train/ folder): the
//   network is rebuilt from train/network.json for the student's data shape and model.pt is
//   loaded into it; weights that do not fit the recorded architecture at that shape (another
//   architecture, another class count) are refused naming model.pt and the first mismatch;
// * a TorchScript module (a file saved with torch.jit.save, e.g. a torchvision ResNet traced or
//   scripted in Python) whose forward takes an N x C x H x W float batch and returns N x K logits.
// Either way the teacher is put in eval mode (BatchNorm on its running statistics; the WRCor
// reference calls its teacher in train mode under no_grad, so its statistics drift, a quirk
// not reproduced) and probed once with a zero batch of the student's shape: logits of another
// shape than 1 x shape.num_classes, or a forward that throws, are nas::UsageError naming the
// path and what came back. A path that is neither is nas::UsageError saying what was expected.
//
// logits() runs without gradient, on the batch's device (the teacher is moved there on first
// use), and is not thread-safe (one teacher per trainer).
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "nas/dataset.h"

namespace nas {

class Teacher {
 public:
  virtual ~Teacher();
  virtual at::Tensor logits(const at::Tensor& input) = 0;
  // "network <arch> from DIR" or "TorchScript module FILE".
  virtual std::string description() const = 0;
};

std::unique_ptr<Teacher> load_teacher(const std::string& path, const DataShape& shape,
                                      const std::vector<std::string>& plugin_paths = {});

}  // namespace nas
