// Path helpers shared by the loader, the report and the tests.
//
// Contract: split_path_list reads a PATH-style list (":"-separated, as in $NAS_PLUGIN_PATH
// and $NAS_DATA_PATH) into its entries in order, dropping empty ones; a null pointer is an
// empty list. make_temp_dir creates a fresh, empty directory of its own under the system
// temporary folder ($TMPDIR or /tmp), named <prefix>XXXXXX, and returns its path; it throws
// nas::Error naming the folder when it cannot. The caller removes the directory.
#pragma once

#include <string>
#include <vector>

namespace nas {

std::vector<std::string> split_path_list(const std::string& list);
std::vector<std::string> split_path_list(const char* list);

std::string make_temp_dir(const std::string& prefix);

}  // namespace nas
