#include "nas/plugin_loader.h"

#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <vector>

#include <torch/version.h>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "nas/paths.h"
#include "nas/plugin.h"

namespace nas {

namespace fs = std::filesystem;

namespace {

// Directory of libnas.so itself: its plugins sit in <that>/nas/plugins in the build tree and
// in every install tree.
fs::path core_library_dir() { return boost::dll::this_line_location().parent_path(); }

// The ELF types of this process's own word size: a plugin must be of the same class.
#if UINTPTR_MAX == 0xffffffffffffffffu
using NativeEhdr = Elf64_Ehdr;
using NativePhdr = Elf64_Phdr;
constexpr unsigned char kNativeClass = ELFCLASS64;
#else
using NativeEhdr = Elf32_Ehdr;
using NativePhdr = Elf32_Phdr;
constexpr unsigned char kNativeClass = ELFCLASS32;
#endif

std::string machine_name(unsigned machine) {
  switch (machine) {
    case EM_X86_64:
      return "x86-64";
    case EM_386:
      return "i386";
    case EM_AARCH64:
      return "AArch64";
    case EM_ARM:
      return "ARM";
    case EM_RISCV:
      return "RISC-V";
    case EM_PPC64:
      return "PowerPC64";
    case EM_S390:
      return "s390";
    default:
      return "ELF machine " + std::to_string(machine);
  }
}

// Reads `size` bytes at `offset`; false when the file is shorter.
bool read_at(std::ifstream& in, std::uint64_t offset, void* out, std::size_t size) {
  in.clear();
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(static_cast<char*>(out), static_cast<std::streamsize>(size));
  return in.gcount() == static_cast<std::streamsize>(size);
}

// e_machine of libnas.so itself (0 when it cannot be read, which skips that check).
unsigned native_machine() {
  static const unsigned machine = [] {
    std::ifstream in(boost::dll::this_line_location(), std::ios::binary);
    NativeEhdr h{};
    if (!in || !read_at(in, 0, &h, sizeof h) || std::memcmp(h.e_ident, ELFMAG, SELFMAG) != 0) {
      return 0u;
    }
    return static_cast<unsigned>(h.e_machine);
  }();
  return machine;
}

}  // namespace

std::string shared_object_problem(const std::string& file) {
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (ec || !fs::exists(status)) return "no such file";
  if (!fs::is_regular_file(status)) return "not a regular file";
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) return "cannot read its size (" + ec.message() + ")";
  std::ifstream in(file, std::ios::binary);
  if (!in) return "cannot be opened for reading";
  NativeEhdr h{};
  unsigned char ident[EI_NIDENT] = {};
  const std::size_t ident_bytes =
      static_cast<std::size_t>(std::min<std::uintmax_t>(size, EI_NIDENT));
  read_at(in, 0, ident, ident_bytes);
  if (ident_bytes < SELFMAG || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    return size < SELFMAG
               ? "truncated: " + std::to_string(size) + " bytes, not an ELF shared object"
               : "not an ELF shared object (no ELF magic number)";
  }
  if (ident_bytes >= EI_CLASS + 1 && ident[EI_CLASS] != kNativeClass) {
    const bool is64 = ident[EI_CLASS] == ELFCLASS64;
    return std::string("built for ") + (is64 ? "64" : "32") + "-bit, but this nas is " +
           (is64 ? "32" : "64") + "-bit";
  }
  if (size < sizeof(NativeEhdr)) {
    return "truncated: " + std::to_string(size) + " bytes, shorter than an ELF header (" +
           std::to_string(sizeof(NativeEhdr)) + " bytes)";
  }
  read_at(in, 0, &h, sizeof h);
  const unsigned char native_data = [] {
    const std::uint16_t probe = 1;
    unsigned char first;
    std::memcpy(&first, &probe, 1);
    return first == 1 ? ELFDATA2LSB : ELFDATA2MSB;
  }();
  if (h.e_ident[EI_DATA] != native_data) return "built for the other byte order";
  if (h.e_type != ET_DYN) {
    return "not an ELF shared object (ELF type " + std::to_string(h.e_type) +
           (h.e_type == ET_EXEC  ? ", an executable)"
            : h.e_type == ET_REL ? ", an object file)"
                                 : ")");
  }
  if (const unsigned native = native_machine(); native != 0 && h.e_machine != native) {
    return "built for " + machine_name(h.e_machine) + ", but this nas runs on " +
           machine_name(native);
  }
  // The loader maps every loadable segment: a file cut short of one faults (SIGBUS) on first
  // touch, so each must lie inside the file, and so must the section header table.
  std::uintmax_t needed = 0;
  if (h.e_shnum > 0) {
    needed = std::max<std::uintmax_t>(
        needed, std::uintmax_t{h.e_shoff} + std::uintmax_t{h.e_shnum} * h.e_shentsize);
  }
  if (h.e_phnum == 0 || h.e_phentsize != sizeof(NativePhdr)) {
    return "not a loadable ELF shared object (no program headers)";
  }
  const std::uintmax_t ph_end =
      std::uintmax_t{h.e_phoff} + std::uintmax_t{h.e_phnum} * sizeof(NativePhdr);
  if (ph_end > size) {
    return "truncated: " + std::to_string(size) + " bytes, but its program headers end at byte " +
           std::to_string(ph_end);
  }
  for (unsigned i = 0; i < h.e_phnum; ++i) {
    NativePhdr ph{};
    read_at(in, h.e_phoff + std::uintmax_t{i} * sizeof(NativePhdr), &ph, sizeof ph);
    if (ph.p_type == PT_LOAD) {
      needed = std::max<std::uintmax_t>(needed, std::uintmax_t{ph.p_offset} + ph.p_filesz);
    }
  }
  if (needed > size) {
    return "truncated: " + std::to_string(size) + " bytes, but its ELF headers describe " +
           std::to_string(needed) + " bytes";
  }
  return "";
}

std::vector<std::string> default_plugin_dirs() {
  std::vector<std::string> dirs = split_path_list(std::getenv("NAS_PLUGIN_PATH"));
  fs::path bundled = core_library_dir() / "nas" / "plugins";
  dirs.push_back(bundled.string());
  std::vector<std::string> existing;
  for (const auto& d : dirs) {
    std::error_code ec;
    if (fs::is_directory(d, ec)) existing.push_back(fs::weakly_canonical(d, ec).string());
  }
  return existing;
}

PluginLoadReport load_plugin(const std::string& file, Registry& registry) {
  PluginLoadReport report;
  report.file = file;
  // Checked before dlopen: mapping a truncated library kills the process with SIGBUS.
  if (std::string problem = shared_object_problem(file); !problem.empty()) {
    report.error = problem;
    return report;
  }
  try {
    auto library = std::make_shared<boost::dll::shared_library>(
        file, boost::dll::load_mode::rtld_lazy | boost::dll::load_mode::rtld_local);
    if (!library->has("nas_plugin_descriptor")) {
      report.error = "not a nas plugin: no nas_plugin_descriptor entry point";
      return report;
    }
    auto& entry = library->get<const PluginDescriptor*()>("nas_plugin_descriptor");
    const PluginDescriptor* d = entry();
    if (!d) {
      report.error = "the entry point returned no descriptor";
      return report;
    }
    report.plugin = d->name ? d->name : "";
    report.version = d->version ? d->version : "";
    if (d->api_version != kPluginApiVersion) {
      report.error = file + ": built for plugin API version " + std::to_string(d->api_version) +
                     ", but this nas runs API version " + std::to_string(kPluginApiVersion) +
                     "; rebuild the plugin against this framework";
      return report;
    }
    if (std::string problem = plugin_layout_problem(d->layout_fingerprint); !problem.empty()) {
      report.error = file + ": " + problem;
      return report;
    }
    const std::string torch_version = d->torch_version ? d->torch_version : "?";
    if (torch_version != TORCH_VERSION) {
      report.error = file + ": built against LibTorch " + torch_version +
                     ", but this nas runs LibTorch " + std::string(TORCH_VERSION) +
                     "; rebuild the plugin against the same LibTorch";
      return report;
    }
    if (d->cxx11_abi != NAS_PLUGIN_CXX11_ABI) {
      report.error = file + ": built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(d->cxx11_abi) +
                     ", but this nas uses " + std::to_string(NAS_PLUGIN_CXX11_ABI) +
                     " (-1: not libstdc++)";
      return report;
    }
    // Register into a scratch registry first, so a registration that throws half-way leaves
    // nothing behind, and duplicates are reported before anything is added.
    Registry scratch;
    PluginRegistrar registrar(scratch, report.plugin, fs::weakly_canonical(file).string(),
                              std::static_pointer_cast<void>(library));
    d->register_components(registrar);
    // Every name is checked against the target before anything is added.
    Registry::for_each_kind([&](auto table) {
      for (const auto& [name, component] : (scratch.*table).entries()) {
        if (const auto* existing = (registry.*table).find(name)) {
          throw Error((scratch.*table).kind() + " '" + name + "' is registered twice: by " +
                      existing->plugin_file + " and by " + component.plugin_file);
        }
      }
    });
    for (const auto& [name, table] : scratch.benchmarks()) {
      if (const BenchmarkTable* existing = registry.find_benchmark(name)) {
        throw Error("benchmark '" + name + "' is registered twice: by " + existing->plugin_file +
                    " and by " + table.plugin_file);
      }
    }
    Registry::for_each_kind([&](auto table) {
      for (const auto& [name, component] : (scratch.*table).entries()) {
        (registry.*table).add(component);
      }
    });
    for (const auto& [name, table] : scratch.benchmarks()) registry.add_benchmark(table);
    report.loaded = true;
  } catch (const std::exception& e) {
    report.error = e.what();
  }
  return report;
}

const std::vector<PluginLoadReport>& load_plugins(const std::vector<std::string>& extra_dirs) {
  static std::mutex mutex;
  static std::vector<PluginLoadReport> reports;
  static std::set<std::string> scanned_dirs;
  static std::set<std::string> loaded_names;
  std::lock_guard<std::mutex> lock(mutex);

  std::vector<std::string> dirs = split_path_list(std::getenv("NAS_PLUGIN_PATH"));
  for (const auto& d : extra_dirs) dirs.push_back(d);
  for (const auto& d : default_plugin_dirs()) dirs.push_back(d);
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::string key = fs::weakly_canonical(dir, ec).string();
    if (!scanned_dirs.insert(key).second) continue;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("libnas_", 0) == 0 && entry.path().extension() == ".so") {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (!loaded_names.insert(f.filename().string()).second) continue;
      reports.push_back(load_plugin(f.string(), Registry::global()));
    }
  }
  return reports;
}

}  // namespace nas
