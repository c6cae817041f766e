// Zen on a space whose networks have no head tap (the last cell goes straight to the global
// pooling): `nas run` scores two sampled architectures through Network::pooled_features, each
// row ok and finite. Shared by the darts and nb101 tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "nas/csv.h"
#include "test_support.h"

namespace nas::test {

// `space` is the pipeline's search_space mapping, e.g. "{type: nb101}".
inline void expect_zen_scores_sampled_archs(const std::string& space) {
  TempDir dir;
  const std::string yaml = dir.write("zen.yaml", "run: {out_dir: '" + dir.file("run") +
                                                     "', seed: 0, torch_threads: 1}\n"
                                                     "data: {type: synthetic, batch_size: 4}\n"
                                                     "search_space: " +
                                                     space +
                                                     "\n"
                                                     "proxies: [{type: zen, params: {batch: 4}}]\n"
                                                     "score: {archs: sample, count: 2}\n");
  const auto r = nas_run(yaml);
  ASSERT_EQ(r.status, 0) << r.output;
  const CsvTable scores = read_csv(dir.file("run") + "/scores.csv");
  ASSERT_EQ(scores.rows.size(), 2u);
  for (const auto& row : scores.rows) {
    EXPECT_EQ(row[scores.column("status")], "ok") << row[scores.column("message")];
    EXPECT_TRUE(std::isfinite(std::stod(row[scores.column("score")])));
  }
}

}  // namespace nas::test
