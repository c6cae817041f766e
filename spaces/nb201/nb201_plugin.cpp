// Registers the NAS-Bench-201 space and its two benchmark tables.
#include <filesystem>
#include <memory>
#include <string>

#include "nas/error.h"
#include "nas/plugin.h"
#include "nb201_space.h"

namespace {

namespace fs = std::filesystem;

constexpr const char* kIndexTable = "accuracies.csv.gz";

// A user's index_file: a path as given (absolute, or relative to the working directory),
// else a file of that name among the tables this plugin ships.
std::string resolve_index_file(const std::string& requested, const std::string& shipped_table) {
  if (requested.empty()) return shipped_table;
  if (fs::exists(requested)) return fs::absolute(requested).string();
  if (!shipped_table.empty()) {
    const fs::path beside = fs::path(shipped_table).parent_path() / requested;
    if (fs::exists(beside)) return beside.string();
  }
  throw nas::Error("nb201: index_file '" + requested + "' does not exist (looked for it as given" +
                   (shipped_table.empty()
                        ? std::string()
                        : " and in " + fs::path(shipped_table).parent_path().string()) +
                   ")");
}

void register_nb201(nas::PluginRegistrar& registrar) {
  const std::string shipped_table = registrar.data_path(kIndexTable, registrar.source_data_dir);

  nas::ParamSchema schema;
  schema.add_string("index_file", "",
                    "CSV table (gzip allowed) whose `arch` column fixes the enumerate() order; "
                    "empty: the shipped accuracies.csv.gz, i.e. the official NAS-Bench-201 "
                    "index order");
  registrar.add_space(
      nb201::Nb201Space::kName,
      "NAS-Bench-201 cell space: 6 edges x 5 ops (15,625 cells), TinyNetwork C=16 N=5; "
      "arch strings |op~0|+|op~0|op~1|+|op~0|op~1|op~2|",
      schema, [shipped_table](const nas::Params& params) {
        return std::make_shared<nb201::Nb201Space>(
            resolve_index_file(params.get_string("index_file"), shipped_table));
      });

  registrar.add_benchmark("nb201", "nb201", kIndexTable,
                          "NAS-Bench-201 v1.1 / NATS-Bench topology space, all 15,625 cells: "
                          "200-epoch CIFAR-10 valid/test, CIFAR-100 and ImageNet16-120 test "
                          "accuracies (%) and 12-epoch columns (`*_12ep`); row i = index i");
  registrar.add_benchmark("nb201_v1_0", "nb201", "accuracies_v1_0.csv.gz",
                          "NAS-Bench-201 v1.0 (the file NASWOT and early proxy papers used): "
                          "CIFAR-10 valid/test and CIFAR-100 test accuracies (%), params_M");
}

}  // namespace

NAS_PLUGIN("nb201", "1.0.0", register_nb201)
