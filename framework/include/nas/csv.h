// Reading and writing small CSV tables (RFC 4180 quoting), gzip-compressed or not.
//
// Contract: read_text_file() returns the whole content of a file, transparently inflating
// gzip (by magic number, not by name); a missing or corrupt file throws nas::Error naming it.
// CsvTable parses a header row and data rows; a row with a different number of fields is an
// error naming the file and line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nas {

std::string read_text_file(const std::string& path);
// Whole file as bytes, gzip inflated when the file is gzip.
std::vector<unsigned char> read_binary_file(const std::string& path);

struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> lines;  // 1-based line of each row in the file

  // Index of a column; throws nas::Error listing the columns when absent.
  std::size_t column(const std::string& name) const;
};

CsvTable read_csv(const std::string& path);
CsvTable parse_csv(const std::string& text, const std::string& path_for_errors);
// Quotes a field when it holds a comma, quote or newline.
std::string csv_field(const std::string& text);
// Parses a double; throws nas::Error naming file, line and column when it is not a number.
double parse_double(const std::string& text, const std::string& where);

}  // namespace nas
