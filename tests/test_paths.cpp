// Path helpers: PATH-style lists split as a shell splits $PATH (empty entries dropped), and
// temporary directories that are fresh, distinct and created under $TMPDIR.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "nas/error.h"
#include "nas/paths.h"

namespace {

using Strings = std::vector<std::string>;

TEST(SplitPathList, KeepsOrderAndDropsEmptyEntries) {
  EXPECT_EQ(nas::split_path_list("/a:/b/c:rel"), (Strings{"/a", "/b/c", "rel"}));
  EXPECT_EQ(nas::split_path_list("::/a::/b:"), (Strings{"/a", "/b"}));
  EXPECT_EQ(nas::split_path_list("/only"), (Strings{"/only"}));
  EXPECT_EQ(nas::split_path_list(""), Strings{});
  EXPECT_EQ(nas::split_path_list(":"), Strings{});
  EXPECT_EQ(nas::split_path_list(static_cast<const char*>(nullptr)), Strings{});
  EXPECT_EQ(nas::split_path_list("with space:x"), (Strings{"with space", "x"}));
}

TEST(MakeTempDir, FreshDistinctDirectoriesUnderTmpdir) {
  namespace fs = std::filesystem;
  const std::string a = nas::make_temp_dir("nas_paths_test_");
  const std::string b = nas::make_temp_dir("nas_paths_test_");
  EXPECT_NE(a, b);
  for (const auto& d : {a, b}) {
    EXPECT_TRUE(fs::is_directory(d)) << d;
    EXPECT_TRUE(fs::is_empty(d)) << d;
    EXPECT_EQ(fs::path(d).parent_path(), fs::temp_directory_path());
    EXPECT_EQ(fs::path(d).filename().string().rfind("nas_paths_test_", 0), 0u) << d;
    fs::remove_all(d);
  }
}

TEST(MakeTempDir, UnwritableTmpdirIsAnErrorNamingIt) {
  const char* old = std::getenv("TMPDIR");
  const std::string saved = old ? old : "";
  setenv("TMPDIR", "/nonexistent/nas_tmp", 1);
  try {
    nas::make_temp_dir("x_");
    ADD_FAILURE() << "no error";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/nas_tmp"), std::string::npos) << e.what();
  }
  if (old) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
}

}  // namespace
