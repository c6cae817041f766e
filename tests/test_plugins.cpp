// The plugin loader: refusals with clear messages, failures recorded not fatal, components
// that outlive nothing they depend on, and an out-of-tree plugin built against an install.
#include <gtest/gtest.h>

#include <filesystem>

#include "nas/error.h"
#include "nas/plugin.h"
#include "nas/plugin_loader.h"
#include "nas/proxy.h"
#include "nas/registry.h"
#include "test_support.h"

namespace {

using nas::test::fixture_plugins;

std::string library_in(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) return e.path().string();
  return "";
}

TEST(PluginLoader, RefusesAnotherApiVersionNamingFileAndBothVersions) {
  nas::Registry registry;
  const std::string file = library_in(fixture_plugins("wrong_api"));
  auto report = nas::load_plugin(file, registry);
  EXPECT_FALSE(report.loaded);
  EXPECT_NE(report.error.find(file), std::string::npos) << report.error;
  EXPECT_NE(report.error.find("API version 999"), std::string::npos) << report.error;
  EXPECT_NE(report.error.find("API version " + std::to_string(nas::kPluginApiVersion)),
            std::string::npos)
      << report.error;
  EXPECT_TRUE(registry.proxies.names().empty());
}

TEST(PluginLoader, RefusesAnotherLibTorchVersion) {
  nas::Registry registry;
  auto report = nas::load_plugin(library_in(fixture_plugins("wrong_torch")), registry);
  EXPECT_FALSE(report.loaded);
  EXPECT_NE(report.error.find("LibTorch 0.4.1"), std::string::npos) << report.error;
  EXPECT_NE(report.error.find(std::string("LibTorch ") + TORCH_VERSION), std::string::npos);
}

TEST(PluginLoader, RegistrationThatThrowsLeavesNothingBehind) {
  nas::Registry registry;
  auto report = nas::load_plugin(library_in(fixture_plugins("throwing_registration")), registry);
  EXPECT_FALSE(report.loaded);
  EXPECT_NE(report.error.find("registration failed on purpose"), std::string::npos);
  EXPECT_TRUE(registry.proxies.names().empty());
}

TEST(PluginLoader, LibraryWithoutEntryPointIsNotAPlugin) {
  nas::Registry registry;
  auto report = nas::load_plugin(library_in(fixture_plugins("not_a_plugin")), registry);
  EXPECT_FALSE(report.loaded);
  EXPECT_NE(report.error.find("not a nas plugin"), std::string::npos) << report.error;
}

TEST(PluginLoader, MissingFileIsReportedNotThrown) {
  nas::Registry registry;
  auto report = nas::load_plugin("/nonexistent/libnas_nothing.so", registry);
  EXPECT_FALSE(report.loaded);
  EXPECT_FALSE(report.error.empty());
}

TEST(PluginLoader, DuplicateNamesAreRefused) {
  nas::Registry registry;
  const std::string file = library_in(fixture_plugins("fault"));
  ASSERT_TRUE(nas::load_plugin(file, registry).loaded);
  auto second = nas::load_plugin(file, registry);
  EXPECT_FALSE(second.loaded);
  EXPECT_NE(second.error.find("registered twice"), std::string::npos) << second.error;
}

TEST(PluginLoader, ComponentKeepsItsLibraryAlive) {
  std::shared_ptr<nas::Proxy> proxy;
  {
    nas::Registry registry;
    ASSERT_TRUE(nas::load_plugin(library_in(fixture_plugins("fault")), registry).loaded);
    const auto& c = registry.proxies.get("fault_proxy");
    proxy = c.create(nas::Params::defaults(c.schema, "fault_proxy"));
  }
  // The registry (and its handle on the library) is gone; the object still works.
  EXPECT_FALSE(proxy->info().needs_network);
  proxy.reset();
}

TEST(PluginLoader, UnknownComponentListsValidNames) {
  nas::load_plugins();
  try {
    nas::Registry::global().proxies.get("no_such_proxy");
    FAIL();
  } catch (const nas::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("params"), std::string::npos) << e.what();
  }
}

TEST(PluginLoader, BundledPluginsAreFound) {
  const auto& reports = nas::load_plugins();
  int loaded = 0;
  for (const auto& r : reports) loaded += r.loaded;
  EXPECT_GE(loaded, 3);
  auto& reg = nas::Registry::global();
  EXPECT_NE(reg.proxies.find("params"), nullptr);
  EXPECT_NE(reg.proxies.find("flops"), nullptr);
  EXPECT_NE(reg.strategies.find("random"), nullptr);
}

// Installs the framework into a temporary prefix, builds plugins/template out of tree against
// it with find_package(nas), and loads the result through the installed `nas`.
TEST(OutOfTreePlugin, TemplateBuildsAgainstInstallAndLoads) {
  nas::test::TempDir tmp;
  const std::string prefix = tmp.file("prefix");
  auto install = nas::test::run_command("cmake --install '" + nas::test::binary_dir() +
                                        "' --prefix '" + prefix + "'");
  ASSERT_EQ(install.status, 0) << install.output;
  const std::string build = tmp.file("template-build");
  auto configure =
      nas::test::run_command("cmake -S '" + prefix + "/share/nas/template' -B '" + build +
                             "' -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH='" + prefix + "'");
  ASSERT_EQ(configure.status, 0) << configure.output;
  auto compile = nas::test::run_command("cmake --build '" + build + "'");
  ASSERT_EQ(compile.status, 0) << compile.output;
  auto inspect = nas::test::run_command("env -u NAS_PLUGIN_PATH NAS_PLUGIN_PATH='" + build +
                                        "/lib/nas/plugins' '" + prefix +
                                        "/bin/nas' plugins inspect template_logit_std");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("std of the logits"), std::string::npos) << inspect.output;
  EXPECT_NE(inspect.output.find("scale"), std::string::npos);
  // The installed nas finds its own bundled plugins next to it, without NAS_PLUGIN_PATH.
  auto list =
      nas::test::run_command("env -u NAS_PLUGIN_PATH '" + prefix + "/bin/nas' plugins list");
  ASSERT_EQ(list.status, 0) << list.output;
  EXPECT_NE(list.output.find(prefix + "/lib/nas/plugins/libnas_params.so"), std::string::npos)
      << list.output;
}

}  // namespace
