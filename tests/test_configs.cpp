// Every pipeline shipped in configs/ is valid as shipped: it loads (every section, key, type,
// range, component and parameter checked) without running, as `nas run --print-out-dir` does.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_support.h"

namespace {

TEST(ShippedConfigs, EveryPipelineLoads) {
  const std::filesystem::path dir = nas::test::source_dir() + "/configs";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    const auto r = nas::test::run_command("'" + nas::test::cli() + "' run '" +
                                          entry.path().string() + "' --print-out-dir");
    EXPECT_EQ(r.status, 0) << entry.path() << "\n" << r.output;
    EXPECT_NE(r.output.find("runs/"), std::string::npos) << entry.path() << "\n" << r.output;
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
