// NetworkIdentity: when two architectures of a space count as the same network.
//
// Contract: many architecture strings can describe one network. A search space groups its
// architectures into classes at three levels, each coarser than the one before:
// * kArch: every architecture is its own class (nothing is shared).
// * kStructure: the architectures differ only by a relabelling of the graph that keeps every
//   op, so the networks hold the same layers, the same parameter shapes and the same taps,
//   in another order. Scores that depend on the set of layers and taps but not on their order
//   (parameter counts, sums or kernels over all taps) agree on a class.
// * kFunction: as kStructure, after every op that cannot affect the output (it reads a node
//   that is exactly zero and maps zeros to zeros, or nothing it feeds reaches the output) is
//   removed. Networks of one class compute the same output from the same live weights; a
//   dead op may still own parameters and taps, which scores that read only the output, its
//   gradients or the gradients of live weights never see.
// Each space documents its rule (SearchSpace::network_key). Each proxy declares the coarsest
// level its formula cannot tell apart (ProxyInfo::identity), and the pipeline then scores one
// network per class: the class's representative, under that representative's own seeds.
// Levels are ordered: kArch < kStructure < kFunction, and sharing at a level implies sharing
// at every finer one (a proxy declared kFunction may be shared at kStructure too).
#pragma once

#include <string>

namespace nas {

enum class NetworkIdentity { kArch = 0, kStructure = 1, kFunction = 2 };

// "arch", "structure", "function".
const char* to_string(NetworkIdentity level);
// Throws nas::Error listing the valid names.
NetworkIdentity network_identity_from_string(const std::string& text);
// The finer of two levels: sharing that both allow.
inline NetworkIdentity finer(NetworkIdentity a, NetworkIdentity b) {
  return static_cast<int>(a) < static_cast<int>(b) ? a : b;
}

}  // namespace nas
