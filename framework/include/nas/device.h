// Devices: where networks and batches live.
//
// Contract: a device is named as torch spells it, "cpu", "cuda" (the current CUDA device) or
// "cuda:<index>"; "cpu" is every default. resolve_device turns a name into a c10::Device and
// refuses, with a nas::UsageError that names `where` (the config key or option) and the valid
// names, any other spelling, and a CUDA device when this LibTorch build or this machine has no
// CUDA (torch::cuda::is_available() is false: Debian's LibTorch is CPU-only) or the index is
// not below the number of CUDA devices. So a configuration asking for `cuda` fails at once, by
// name, rather than at the first tensor moved. to_device moves a batch (inputs and labels) as
// the last step of producing it; a batch already there is returned as is, without a copy.
#pragma once

#include <string>

#include <c10/core/Device.h>

#include "nas/dataset.h"

namespace nas {

c10::Device resolve_device(const std::string& name, const std::string& where);
// Whether torch can use CUDA here (a CUDA build of LibTorch and at least one device).
bool cuda_available();
Batch to_device(const Batch& batch, const c10::Device& device);

}  // namespace nas
