// The plugin loader: refusals with clear messages, failures recorded not fatal, components
// that outlive nothing they depend on, and an out-of-tree plugin built against an install.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

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

// A plugin compiled against headers whose boundary types have another layout (here: a
// descriptor built with a different fingerprint) is refused before its registration runs.
TEST(PluginLoader, RefusesAnotherInterfaceLayoutNamingBothFingerprints) {
  nas::Registry registry;
  const std::string file = library_in(fixture_plugins("wrong_layout"));
  auto report = nas::load_plugin(file, registry);
  EXPECT_FALSE(report.loaded);
  EXPECT_EQ(report.plugin, "wrong_layout");
  char mine[24];
  std::snprintf(mine, sizeof mine, "0x%016llx",
                static_cast<unsigned long long>(nas::kPluginLayoutFingerprint));
  EXPECT_EQ(report.error.rfind(file +
                                   ": built with plugin interface layout 0x0000000000001234, "
                                   "but this nas has layout " +
                                   std::string(mine) + " (",
                               0),
            0u)
      << report.error;
  EXPECT_NE(report.error.find("rebuild the plugin against this framework"), std::string::npos);
  EXPECT_TRUE(registry.proxies.names().empty());
}

TEST(PluginLoader, LayoutFingerprintFollowsTheBoundaryTypes) {
  EXPECT_EQ(nas::plugin_layout_problem(nas::kPluginLayoutFingerprint), "");
  EXPECT_NE(nas::plugin_layout_problem(nas::kPluginLayoutFingerprint ^ 1u), "");
  // One field more in a boundary type (eight bytes on this ABI) moves the fingerprint.
  const std::uint64_t basis = 0xcbf29ce484222325u;
  EXPECT_NE(nas::detail::fingerprint_mix(basis, 96), nas::detail::fingerprint_mix(basis, 104));
  EXPECT_NE(nas::detail::fingerprint_mix(nas::detail::fingerprint_mix(basis, 1), 2),
            nas::detail::fingerprint_mix(nas::detail::fingerprint_mix(basis, 2), 1));
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
  EXPECT_EQ(report.error, "no such file");
}

// The bundled plugin folder (the build tree's, which CTest puts on NAS_PLUGIN_PATH).
std::string bundled_plugin_dir() {
  return nas::test::env_or("NAS_PLUGIN_PATH", nas::test::binary_dir() + "/lib/nas/plugins");
}

// The first `bytes` bytes of `from` written to `to`.
void write_prefix(const std::string& from, const std::string& to, std::size_t bytes) {
  std::ifstream in(from, std::ios::binary);
  std::string data(bytes, '\0');
  in.read(data.data(), static_cast<std::streamsize>(bytes));
  ASSERT_EQ(in.gcount(), static_cast<std::streamsize>(bytes)) << from;
  std::ofstream(to, std::ios::binary).write(data.data(), static_cast<std::streamsize>(bytes));
}

TEST(PluginFileCheck, RefusesFilesThatAreNotLoadableBeforeMappingThem) {
  nas::test::TempDir t;
  const std::string real = bundled_plugin_dir() + "/libnas_params.so";
  const auto size = std::filesystem::file_size(real);
  ASSERT_GT(size, 4096u);
  EXPECT_EQ(nas::shared_object_problem(real), "");

  // Cut in the middle: the header is intact but the segments it maps are not there.
  write_prefix(real, t.file("libnas_half.so"), size / 2);
  nas::Registry registry;
  auto half = nas::load_plugin(t.file("libnas_half.so"), registry);
  EXPECT_FALSE(half.loaded);
  EXPECT_EQ(half.error.rfind("truncated: " + std::to_string(size / 2) +
                                 " bytes, but its ELF "
                                 "headers describe ",
                             0),
            0u)
      << half.error;

  write_prefix(real, t.file("libnas_stub.so"), 40);
  EXPECT_EQ(nas::shared_object_problem(t.file("libnas_stub.so")),
            "truncated: 40 bytes, shorter than an ELF header (64 bytes)");
  write_prefix(real, t.file("libnas_two.so"), 2);
  EXPECT_EQ(nas::shared_object_problem(t.file("libnas_two.so")),
            "truncated: 2 bytes, not an ELF shared object");

  t.write("libnas_x.so", "this is text, not a library\n");
  EXPECT_EQ(nas::shared_object_problem(t.file("libnas_x.so")),
            "not an ELF shared object (no ELF magic number)");
  std::filesystem::create_directory(t.file("libnas_dir.so"));
  EXPECT_EQ(nas::shared_object_problem(t.file("libnas_dir.so")), "not a regular file");
  // Whole copies with one header field changed (offsets from the ELF specification; the
  // plugins are little-endian 64-bit here).
  auto patched = [&](const std::string& name, std::size_t offset, unsigned char value) {
    write_prefix(real, t.file(name), size);
    std::fstream f(t.file(name), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(value));
    return t.file(name);
  };
  EXPECT_EQ(nas::shared_object_problem(patched("libnas_rel.so", 16, 1)),  // e_type = ET_REL
            "not an ELF shared object (ELF type 1, an object file)");
  EXPECT_EQ(nas::shared_object_problem(patched("libnas_32.so", 4, 1)),  // EI_CLASS = ELFCLASS32
            "built for 32-bit, but this nas is 64-bit");
  std::ifstream header(real, std::ios::binary);
  unsigned char machine[2] = {};
  header.seekg(18);
  header.read(reinterpret_cast<char*>(machine), 2);
  if (machine[0] == 62 && machine[1] == 0) {                                  // EM_X86_64
    EXPECT_EQ(nas::shared_object_problem(patched("libnas_arm.so", 18, 183)),  // EM_AARCH64
              "built for AArch64, but this nas runs on x86-64");
  } else {
    EXPECT_EQ(nas::shared_object_problem(patched("libnas_x86.so", 18, 62))
                  .rfind("built for x86-64, but this nas runs on ", 0),
              0u);
  }
  EXPECT_TRUE(registry.proxies.names().empty());
}

// Every command still works with broken files on the plugin path, and lists them as broken.
TEST(PluginFileCheck, BrokenFilesOnThePluginPathDoNotStopAnyCommand) {
  nas::test::TempDir t;
  const std::string dir = t.file("plugins");
  std::filesystem::create_directory(dir);
  const std::string real = bundled_plugin_dir() + "/libnas_params.so";
  const auto size = std::filesystem::file_size(real);
  write_prefix(real, dir + "/libnas_truncated.so", size / 3);
  std::ofstream(dir + "/libnas_x.so") << "not a library\n";
  const std::string env =
      "env NAS_PLUGIN_PATH='" + dir + ":" + bundled_plugin_dir() + "' '" + nas::test::cli() + "' ";

  auto list = nas::test::run_command(env + "plugins list");
  ASSERT_EQ(list.status, 0) << list.output;
  EXPECT_NE(list.output.find("loaded  params"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("failed to load:\n  " + dir + "/libnas_truncated.so\n    truncated: " +
                             std::to_string(size / 3) + " bytes"),
            std::string::npos)
      << list.output;
  EXPECT_NE(list.output.find(dir + "/libnas_x.so\n    not an ELF shared object"), std::string::npos)
      << list.output;

  auto inspect = nas::test::run_command(env + "plugins inspect params");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("params (proxy)"), std::string::npos) << inspect.output;

  const std::string yaml = t.write("p.yaml", "run: {out_dir: '" + t.file("out") +
                                                 "', seed: 1}\nsearch_space: {type: nb201}\n"
                                                 "proxies: [params]\nscore: {count: 2}\n");
  auto run = nas::test::run_command(env + "-q run '" + yaml + "'");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("plugin " + dir + "/libnas_truncated.so was not loaded: truncated: "),
            std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("plugin " + dir + "/libnas_x.so was not loaded: not an ELF"),
            std::string::npos)
      << run.output;
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

TEST(PluginLoader, EveryBundledPluginLoads) {
  const auto& reports = nas::load_plugins();
  namespace fs = std::filesystem;
  const fs::path bundled = fs::canonical(bundled_plugin_dir());
  std::set<std::string> on_disk;
  for (const auto& e : fs::directory_iterator(bundled)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("libnas_", 0) == 0 && e.path().extension() == ".so") on_disk.insert(name);
  }
  std::set<std::string> reported;
  for (const auto& r : reports) {
    if (fs::weakly_canonical(fs::path(r.file).parent_path()) != bundled) continue;
    EXPECT_TRUE(r.loaded) << r.file << ": " << r.error;
    reported.insert(fs::path(r.file).filename().string());
  }
  EXPECT_EQ(reported, on_disk);
  EXPECT_GE(on_disk.size(), 10u);
  auto& reg = nas::Registry::global();
  EXPECT_NE(reg.proxies.find("params"), nullptr);
  EXPECT_NE(reg.proxies.find("flops"), nullptr);
  EXPECT_NE(reg.strategies.find("random"), nullptr);
}

TEST(Registry, EveryKindHasItsNameAndPluralInOneList) {
  const nas::Registry registry;
  std::vector<std::string> kinds, plurals;
  registry.for_each_table([&](const auto& table) {
    kinds.push_back(table.kind());
    plurals.push_back(table.plural());
  });
  EXPECT_EQ(kinds, (std::vector<std::string>{"search space", "dataset", "proxy", "vote", "strategy",
                                             "evaluator"}));
  EXPECT_EQ(plurals, (std::vector<std::string>{"search spaces", "datasets", "proxies", "votes",
                                               "strategies", "evaluators"}));
  try {
    registry.strategies.get("evolution");
    FAIL();
  } catch (const nas::UsageError& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown strategy 'evolution'; valid strategies: (none loaded)");
  }
  // The process-wide registry has the built-in evaluator before any plugin is loaded.
  EXPECT_NE(nas::Registry::global().evaluators.find("local"), nullptr);
}

TEST(Registry, BenchmarksAreDataWithUniqueNames) {
  nas::Registry registry;
  registry.add_benchmark({"b", "space", "/data/b.csv", "help", "p1", "/lib/libnas_p1.so"});
  const nas::BenchmarkTable* b = registry.find_benchmark("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->path, "/data/b.csv");
  EXPECT_EQ(registry.find_benchmark("c"), nullptr);
  EXPECT_EQ(registry.benchmark_names(), std::vector<std::string>{"b"});
  try {
    registry.add_benchmark({"b", "space", "/data/b2.csv", "", "p2", "/lib/libnas_p2.so"});
    FAIL();
  } catch (const nas::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "benchmark 'b' is registered twice: by /lib/libnas_p1.so and by /lib/libnas_p2.so");
  }
}

// data_path looks in $NAS_DATA_PATH/<plugin>, then beside an installed plugin, then in the
// registrar's own source data folder, without the caller passing that folder.
TEST(Registry, DataPathDefaultsToTheRegistrarsSourceFolder) {
  namespace fs = std::filesystem;
  nas::test::TempDir t;
  fs::create_directories(t.file("src"));
  fs::create_directories(t.file("env/demo"));
  fs::create_directories(t.file("prefix/lib/nas/plugins"));
  t.write("src/table.csv", "arch,acc\n");
  t.write("src/only_here.csv", "arch,acc\n");
  t.write("env/demo/table.csv", "arch,acc\n");
  nas::Registry registry;
  nas::PluginRegistrar r(registry, "demo", t.file("prefix/lib/nas/plugins/libnas_demo.so"),
                         nullptr);
  r.source_data_dir = t.file("src");
  const char* old = std::getenv("NAS_DATA_PATH");
  const std::string saved = old ? old : "";
  unsetenv("NAS_DATA_PATH");
  EXPECT_EQ(r.data_path("table.csv"), fs::canonical(t.file("src/table.csv")).string());
  setenv("NAS_DATA_PATH", ("/nonexistent:" + t.file("env")).c_str(), 1);
  EXPECT_EQ(r.data_path("table.csv"), fs::canonical(t.file("env/demo/table.csv")).string());
  EXPECT_EQ(r.data_path("only_here.csv"), fs::canonical(t.file("src/only_here.csv")).string());
  EXPECT_EQ(r.data_path("absent.csv"), "");
  r.add_benchmark("demo_bench", "nb201", "only_here.csv", "a demo table");
  ASSERT_NE(registry.find_benchmark("demo_bench"), nullptr);
  EXPECT_EQ(registry.find_benchmark("demo_bench")->path,
            fs::canonical(t.file("src/only_here.csv")).string());
  EXPECT_EQ(registry.find_benchmark("demo_bench")->plugin, "demo");
  if (old) {
    setenv("NAS_DATA_PATH", saved.c_str(), 1);
  } else {
    unsetenv("NAS_DATA_PATH");
  }
}

// Every bundled dataset is listed: cifar10 and cifar100 (one plugin), fashion_mnist, synthetic,
// and imagenet where libturbojpeg was found at configure time (its plugin file exists).
TEST(PluginsCommand, ListsTheBundledDatasets) {
  auto list = nas::test::run_command("'" + nas::test::cli() + "' plugins list");
  ASSERT_EQ(list.status, 0) << list.output;
  const std::size_t at = list.output.find("\ndatasets: ");
  ASSERT_NE(at, std::string::npos) << list.output;
  const std::size_t start = at + 11;
  const std::string line =
      ", " + list.output.substr(start, list.output.find('\n', start) - start) + ",";
  std::vector<std::string> expected = {"cifar10", "cifar100", "fashion_mnist", "synthetic"};
  if (std::filesystem::exists(bundled_plugin_dir() + "/libnas_imagenet.so"))
    expected.push_back("imagenet");
  for (const std::string& name : expected)
    EXPECT_NE(line.find(", " + name + ","), std::string::npos) << name << " missing from: " << line;
}

TEST(PluginsCommand, ListsEveryKindAndInspectsABenchmark) {
  auto list = nas::test::run_command("'" + nas::test::cli() + "' plugins list");
  ASSERT_EQ(list.status, 0) << list.output;
  // One line per kind, in listing order, each naming a component known to be bundled.
  auto line_of = [&](const std::string& title) {
    const std::size_t at = list.output.find("\n" + title + ": ");
    if (at == std::string::npos) return std::string("(missing)");
    const std::size_t start = at + title.size() + 3;
    return list.output.substr(start, list.output.find('\n', start) - start);
  };
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"search spaces", "nb201"},  {"datasets", "synthetic"}, {"proxies", "params"},
      {"votes", "majority"},       {"strategies", "random"},  {"evaluators", "local"},
      {"benchmarks", "nb201_v1_0"}};
  std::size_t previous = 0;
  for (const auto& [title, member] : kinds) {
    const std::string line = line_of(title);
    EXPECT_NE((", " + line + ",").find(", " + member + ","), std::string::npos)
        << title << ": " << line;
    const std::size_t at = list.output.find("\n" + title + ": ");
    EXPECT_GT(at, previous) << title << " out of order";
    previous = at == std::string::npos ? previous : at;
  }
  // The bundled MobileNetV2-like space is listed with nb201.
  EXPECT_NE((", " + line_of("search spaces") + ",").find(", mobilenet,"), std::string::npos)
      << line_of("search spaces");
  auto inspect = nas::test::run_command("'" + nas::test::cli() + "' plugins inspect nb201_v1_0");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("nb201_v1_0 (benchmark)"), std::string::npos) << inspect.output;
  EXPECT_NE(inspect.output.find("  space: nb201\n"), std::string::npos) << inspect.output;
  EXPECT_NE(inspect.output.find("accuracies_v1_0.csv.gz"), std::string::npos) << inspect.output;
  auto unknown = nas::test::run_command("'" + nas::test::cli() + "' plugins inspect nope");
  EXPECT_EQ(unknown.status, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("no component named 'nope'; known: "), std::string::npos)
      << unknown.output;
  EXPECT_NE(unknown.output.find("nb201_v1_0"), std::string::npos) << unknown.output;
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
