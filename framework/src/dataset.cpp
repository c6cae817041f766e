// Splits and the defaults of the Dataset interface's indexed access (the destructor, which
// anchors the vtable, is in interfaces.cpp).
#include "nas/dataset.h"

#include "nas/error.h"
#include "nas/transform.h"

namespace nas {

NetSpec net_spec_for(const DataShape& shape, NetSpec base) {
  base.in_channels = shape.channels;
  base.input_size = shape.size;
  base.num_classes = shape.num_classes;
  return base;
}

const char* to_string(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kValidation:
      return "validation";
    case Split::kTest:
      return "test";
  }
  return "unknown";
}

Split parse_split(const std::string& text, const std::string& where) {
  for (Split s : {Split::kTrain, Split::kValidation, Split::kTest}) {
    if (text == to_string(s)) return s;
  }
  throw UsageError(where + ": unknown split '" + printable(text) +
                   "' (valid: train, validation, test)");
}

std::int64_t Dataset::size(Split split) const {
  throw Error(std::string("this dataset draws probe batches only: it cannot report the size of "
                          "its ") +
              to_string(split) + " split");
}

Batch Dataset::samples(Split split, const std::vector<std::int64_t>&) const {
  throw Error(std::string("this dataset draws probe batches only: it has no indexed samples in "
                          "its ") +
              to_string(split) + " split");
}

std::shared_ptr<const Transform> Dataset::normalization() const { return nullptr; }
std::shared_ptr<const Transform> Dataset::augmentation() const { return nullptr; }

}  // namespace nas
