// Writing a plugin: the one header a plugin author needs besides the interface it implements.
//
// A plugin is a shared library with one exported entry point, declared by NAS_PLUGIN, that
// returns a descriptor: the plugin API version, the LibTorch version and C++ ABI it was built
// with, its name and version, a function that registers its components, and a fingerprint of
// the layout of the types that cross the boundary (kPluginLayoutFingerprint). The loader
// refuses a library built for another API or LibTorch version, or with another layout, with a
// message naming the file and both values, before running any of its code beyond the
// descriptor. The fingerprint catches a field added to ProxyInfo (say) without a bump of
// kPluginApiVersion, which would otherwise be silent undefined behaviour.
//
//   #include "nas/plugin.h"
//   #include "nas/proxy.h"
//   class MyProxy : public nas::Proxy { ... };
//   void register_my_plugin(nas::PluginRegistrar& r) {
//     nas::ParamSchema schema;
//     schema.add_double("alpha", 1.0, "how much to weigh the thing");
//     r.add_proxy("my_proxy", "one line of help", schema,
//                 [](const nas::Params& p) { return std::make_shared<MyProxy>(p); });
//   }
//   NAS_PLUGIN("my_plugin", "1.0.0", register_my_plugin)
//
// Build it with find_package(nas) and nas_add_plugin(my_plugin SOURCES my_plugin.cpp); see
// plugins/template. Data files a plugin ships are found with PluginRegistrar::data_path().
// Test a proxy with the conformance kit (nas/testing/conformance_kit.h): one line,
// `nas::testing::ExpectProxyConforms("my_proxy")`, checks the Proxy contract (determinism,
// isolation, declared needs, re-entrancy on two workers); plugins/template/test_template.cpp
// shows it wired into ctest.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/version.h>
#include <boost/config.hpp>

#include "nas/arch.h"
#include "nas/evaluator.h"
#include "nas/params.h"
#include "nas/proxy.h"
#include "nas/registry.h"
#include "nas/search_space.h"

namespace nas {

// Bump when any interface a plugin implements or calls changes incompatibly.
// 2: the descriptor gained layout_fingerprint.
// 3: ParamSpec gained a range (schema-checked bounds); ParamSpec, Range and ParamValue joined
//    the layout fingerprint.
// 4: EvaluatorBackend gained serve_if_worker (a virtual: the vtable changed).
inline constexpr int kPluginApiVersion = 4;

class PluginRegistrar;

// Fields are only ever appended: the loader reads api_version first and refuses another
// version before it reads anything that version may lack.
struct PluginDescriptor {
  int api_version;
  const char* torch_version;
  int cxx11_abi;
  const char* name;
  const char* version;
  void (*register_components)(PluginRegistrar&);
  std::uint64_t layout_fingerprint;  // kPluginLayoutFingerprint as the plugin was compiled
};

// Handed to a plugin's registration function; stamps every component with the plugin's
// name and file and keeps the library loaded while any component object lives.
class PluginRegistrar {
 public:
  PluginRegistrar(Registry& registry, std::string plugin, std::string file,
                  std::shared_ptr<void> library_keepalive);

  void add_proxy(const std::string& name, const std::string& help, ParamSchema schema,
                 std::function<std::shared_ptr<Proxy>(const Params&)> create);
  void add_vote(const std::string& name, const std::string& help, ParamSchema schema,
                std::function<std::shared_ptr<Vote>(const Params&)> create);
  void add_space(const std::string& name, const std::string& help, ParamSchema schema,
                 std::function<std::shared_ptr<SearchSpace>(const Params&)> create);
  void add_strategy(const std::string& name, const std::string& help, ParamSchema schema,
                    std::function<std::shared_ptr<Strategy>(const Params&)> create);
  void add_dataset(const std::string& name, const std::string& help, ParamSchema schema,
                   std::function<std::shared_ptr<Dataset>(const Params&)> create);
  // An evaluator backend (`run.evaluator: {type: NAME}`): see nas/evaluator.h.
  void add_evaluator(const std::string& name, const std::string& help, ParamSchema schema,
                     std::function<std::shared_ptr<EvaluatorBackend>(const Params&)> create);
  // A benchmark table shipped by this plugin: `relative_path` is looked up with data_path().
  void add_benchmark(const std::string& name, const std::string& space,
                     const std::string& relative_path, const std::string& help);

  // Finds a data file this plugin ships: in $NAS_DATA_PATH/<plugin>, next to the installed
  // plugin (<prefix>/share/nas/data/<plugin>), then in the source tree it was built from
  // (`source_dir`, by default source_data_dir). Returns the first existing path, or "" when
  // none exists.
  std::string data_path(const std::string& relative_path) const;
  std::string data_path(const std::string& relative_path, const std::string& source_dir) const;

  const std::string& plugin() const { return plugin_; }
  const std::string& file() const { return file_; }

  // The plugin's source data folder, set by NAS_PLUGIN from the build (may be empty).
  std::string source_data_dir;

 private:
  template <class T>
  void add(ComponentRegistry<T>& table, const std::string& name, const std::string& help,
           ParamSchema schema, std::function<std::shared_ptr<T>(const Params&)> create);
  template <class T>
  Component<T> wrap(const std::string& name, const std::string& help, ParamSchema schema,
                    std::function<std::shared_ptr<T>(const Params&)> create) const;

  Registry& registry_;
  std::string plugin_;
  std::string file_;
  std::shared_ptr<void> keepalive_;
};

namespace detail {
// FNV-1a over the eight bytes of `value`, little end first.
constexpr std::uint64_t fingerprint_mix(std::uint64_t hash, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    hash ^= (value >> (8 * i)) & 0xffu;
    hash *= 0x100000001b3u;
  }
  return hash;
}
}  // namespace detail

// The API version and the sizes of the types a plugin and the core exchange by value or
// reach into, as the including translation unit sees them. Computed in each plugin when it
// is built and compared by the loader with the core's own.
inline constexpr std::uint64_t kPluginLayoutFingerprint = [] {
  std::uint64_t h = 0xcbf29ce484222325u;
  for (std::uint64_t v :
       {std::uint64_t{static_cast<std::uint64_t>(kPluginApiVersion)},
        std::uint64_t{sizeof(ProxyInfo)}, std::uint64_t{sizeof(ScoreRecord)},
        std::uint64_t{sizeof(NetSpec)}, std::uint64_t{sizeof(Params)},
        std::uint64_t{sizeof(ParamSchema)}, std::uint64_t{sizeof(ParamSpec)},
        std::uint64_t{sizeof(Range)}, std::uint64_t{sizeof(ParamValue)}, std::uint64_t{sizeof(Arch)},
        std::uint64_t{sizeof(Component<Proxy>)}, std::uint64_t{sizeof(PluginRegistrar)},
        std::uint64_t{sizeof(PluginDescriptor)}}) {
    h = detail::fingerprint_mix(h, v);
  }
  return h;
}();

// Why a plugin whose descriptor carries `plugin_fingerprint` cannot be used by this core (a
// message naming both fingerprints in hex), or "" when the layouts agree.
std::string plugin_layout_problem(std::uint64_t plugin_fingerprint);

}  // namespace nas

#ifndef NAS_PLUGIN_SOURCE_DATA_DIR
#define NAS_PLUGIN_SOURCE_DATA_DIR ""
#endif
// Tests override these to build deliberately incompatible plugins.
#ifndef NAS_PLUGIN_API_VERSION_OVERRIDE
#define NAS_PLUGIN_API_VERSION_OVERRIDE ::nas::kPluginApiVersion
#endif
#ifndef NAS_PLUGIN_TORCH_VERSION_OVERRIDE
#define NAS_PLUGIN_TORCH_VERSION_OVERRIDE TORCH_VERSION
#endif
#ifndef NAS_PLUGIN_LAYOUT_OVERRIDE
#define NAS_PLUGIN_LAYOUT_OVERRIDE ::nas::kPluginLayoutFingerprint
#endif
// libstdc++'s std::string/std::list ABI switch; -1 where the standard library is another one
// (libc++), so that a plugin and a core built against different libraries are told apart.
#ifdef _GLIBCXX_USE_CXX11_ABI
#define NAS_PLUGIN_CXX11_ABI _GLIBCXX_USE_CXX11_ABI
#else
#define NAS_PLUGIN_CXX11_ABI (-1)
#endif

#define NAS_PLUGIN(NAME, VERSION, REGISTER_FUNCTION)                                      \
  static void nas_plugin_register_trampoline_(::nas::PluginRegistrar& registrar) {        \
    registrar.source_data_dir = NAS_PLUGIN_SOURCE_DATA_DIR;                               \
    REGISTER_FUNCTION(registrar);                                                         \
  }                                                                                       \
  extern "C" BOOST_SYMBOL_EXPORT const ::nas::PluginDescriptor* nas_plugin_descriptor() { \
    static const ::nas::PluginDescriptor descriptor{NAS_PLUGIN_API_VERSION_OVERRIDE,      \
                                                    NAS_PLUGIN_TORCH_VERSION_OVERRIDE,    \
                                                    NAS_PLUGIN_CXX11_ABI,                 \
                                                    NAME,                                 \
                                                    VERSION,                              \
                                                    &nas_plugin_register_trampoline_,     \
                                                    NAS_PLUGIN_LAYOUT_OVERRIDE};          \
    return &descriptor;                                                                   \
  }
