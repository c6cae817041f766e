// PassResults: the results of the probe engine's shared passes for one architecture.
//
// Contract: engine plumbing, not plugin API. The probe engine fills one per architecture and
// hands proxies a ProbeContext that reads it; tests that drive a proxy directly fill one by
// hand. A proxy never sees this type: it asks the ProbeContext, which checks its declaration.
// This is a torch-level header.
#pragma once

#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

#include "nas/dataset.h"
#include "nas/proxy.h"

namespace nas {

class Network;

struct PassResults {
  std::shared_ptr<Network> network;
  Batch batch;
  std::vector<Batch> extra_batches;  // batches 1.. for proxies that declared batches > 1
  unsigned passes_run = kPassNone;
  at::Tensor logits;                      // kPassForward
  std::vector<at::Tensor> tap_responses;  // kPassForward, one per tap (undefined if silent)
  std::vector<at::Tensor> tap_gradients;  // kPassTapGradients, one per tap
  std::vector<at::Tensor>
      unit_gradients;         // kPassTapGradients, one per relu_conv_unit (dL/d conv output)
  at::Tensor input_jacobian;  // kPassInputJacobian
  double loss = 0.0;
};

}  // namespace nas
