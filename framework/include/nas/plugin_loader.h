// Finding and loading plugins at run time.
//
// Contract: plugins are shared libraries named libnas_*.so. They are searched, in this order,
// in the directories of $NAS_PLUGIN_PATH (colon-separated), in directories passed by the
// caller (a pipeline's `run.plugin_paths`), and in <dir of libnas.so>/nas/plugins, which is
// the plugin folder both in the build tree and in an install tree (wherever it was moved).
// A library whose file name was already loaded from an earlier directory is skipped, so
// $NAS_PLUGIN_PATH overrides the bundled plugins. A library that fails to load (not a plugin,
// missing symbols, API or LibTorch version mismatch, a registration that throws) is recorded
// with the reason and skipped: it is fatal only when a pipeline names one of its components.
// Each candidate is checked with plain file reads before it is mapped (a regular file, an ELF
// shared object of this process's class, byte order and machine, no shorter than its headers
// say), so a truncated or foreign file is listed as broken instead of crashing the process.
#pragma once

#include <string>
#include <vector>

#include "nas/registry.h"

namespace nas {

struct PluginLoadReport {
  std::string file;
  bool loaded = false;
  std::string plugin;  // name from the descriptor, when it could be read
  std::string version;
  std::string error;  // why it was refused or failed
};

// Directories searched by default (see above), existing ones only.
std::vector<std::string> default_plugin_dirs();

// Why `file` cannot be a shared library for this process ("not an ELF shared object",
// "truncated: N bytes, ..."), or "" when it looks loadable. Reads the file; never maps it.
std::string shared_object_problem(const std::string& file);

// Loads one library into `registry`. Never throws; the report says what happened.
PluginLoadReport load_plugin(const std::string& file, Registry& registry);

// Loads every plugin of the default directories plus `extra_dirs` into Registry::global(),
// once per directory per process. Returns all reports so far.
const std::vector<PluginLoadReport>& load_plugins(const std::vector<std::string>& extra_dirs = {});

}  // namespace nas
