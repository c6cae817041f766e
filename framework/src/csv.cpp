#include "nas/csv.h"

#include <zlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "nas/error.h"

namespace nas {

std::vector<unsigned char> read_binary_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open file (" + std::strerror(errno) + ")");
  std::vector<unsigned char> raw((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
  if (raw.size() < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;

  // gzip: inflate in one go (windowBits 15 + 16 selects the gzip wrapper).
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw Error(path + ": zlib initialisation failed");
  std::vector<unsigned char> out;
  out.resize(raw.size() * 4 + 1024);
  zs.next_in = raw.data();
  zs.avail_in = static_cast<uInt>(raw.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.total_out == out.size()) out.resize(out.size() * 2);
    zs.next_out = out.data() + zs.total_out;
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      throw Error(path + ": truncated gzip data");
    }
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      std::string why = zs.msg ? zs.msg : "error " + std::to_string(rc);
      inflateEnd(&zs);
      throw Error(path + ": corrupt gzip data (" + why + ")");
    }
  }
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::string read_text_file(const std::string& path) {
  std::vector<unsigned char> bytes = read_binary_file(path);
  return std::string(bytes.begin(), bytes.end());
}

std::size_t CsvTable::column(const std::string& name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  throw UsageError(path + ": no column '" + name + "'; columns: " + join(header));
}

CsvTable parse_csv(const std::string& text, const std::string& path) {
  CsvTable table;
  table.path = path;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, field_started = false;
  std::size_t line = 1, row_line = 1;
  auto end_row = [&]() {
    row.push_back(field);
    field.clear();
    field_started = false;
    bool blank = row.size() == 1 && row[0].empty();
    if (!blank) {
      if (table.header.empty()) {
        table.header = std::move(row);
      } else {
        if (row.size() != table.header.size()) {
          throw Error(path + ":" + std::to_string(row_line) + ": expected " +
                      std::to_string(table.header.size()) + " fields, found " +
                      std::to_string(row.size()));
        }
        table.rows.push_back(std::move(row));
        table.lines.push_back(row_line);
      }
    }
    row.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
      field_started = false;
    } else if (c == '\n') {
      end_row();
      ++line;
      row_line = line;
    } else if (c != '\r') {
      field += c;
      field_started = true;
    }
  }
  if (quoted) throw Error(path + ":" + std::to_string(row_line) + ": unterminated quoted field");
  if (!field.empty() || !row.empty()) end_row();
  if (table.header.empty()) throw Error(path + ": empty CSV file (no header row)");
  return table;
}

CsvTable read_csv(const std::string& path) { return parse_csv(read_text_file(path), path); }

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

double parse_double(const std::string& text, const std::string& where) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(begin, &end);
  if (text.empty() || end == begin || *end != '\0') {
    throw Error(where + ": expected a number, found '" + text + "'");
  }
  return v;
}

}  // namespace nas
