//===- Npy.cpp - NumPy .npy reader/writer ----------------------------------===//
//
// Format reference: numpy/lib/format.py ("NPY format"). A file is
//   "\x93NUMPY" major minor HEADER_LEN HEADER DATA
// with HEADER_LEN a little-endian uint16 (v1.0) or uint32 (v2.0, v3.0) and
// HEADER the repr of a Python dict with exactly the keys 'descr',
// 'fortran_order' and 'shape', padded with spaces and ended by '\n' (v3.0 is
// v2.0 with a UTF-8 instead of latin-1 header). We parse that literal with a
// small recursive-descent parser instead of evaluating it.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/Npy.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

namespace trnrt {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
/// Refuse absurd headers before scanning them (numpy itself caps at 10000 for
/// untrusted input; v2 headers may legitimately be larger for huge shapes).
constexpr size_t kMaxHeaderLen = 1u << 24;

Error err(std::string msg) { return Error{std::move(msg)}; }

/// Recursive-descent parser for the header dict literal.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : s_(text) {}

  std::optional<Error> parse(NpyHeader &out) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    skipWs();
    if (!eat('{'))
      return malformed("expected '{'");
    skipWs();
    while (!peek('}')) {
      std::string key;
      if (!parseString(key))
        return malformed("expected a quoted key");
      skipWs();
      if (!eat(':'))
        return malformed("expected ':' after key '" + key + "'");
      skipWs();
      if (key == "descr") {
        if (haveDescr)
          return malformed("duplicate key 'descr'");
        haveDescr = true;
        if (peek('['))
          return err("unsupported dtype: structured arrays are not supported");
        if (!parseString(out.descr))
          return malformed("'descr' must be a string");
      } else if (key == "fortran_order") {
        if (haveFortran)
          return malformed("duplicate key 'fortran_order'");
        haveFortran = true;
        if (!parseBool(out.fortranOrder))
          return malformed("'fortran_order' must be True or False");
      } else if (key == "shape") {
        if (haveShape)
          return malformed("duplicate key 'shape'");
        haveShape = true;
        if (auto e = parseShape(out.shape))
          return e;
      } else {
        return malformed("unexpected key '" + key + "'");
      }
      skipWs();
      if (eat(',')) {
        skipWs();
        continue;
      }
      if (!peek('}'))
        return malformed("expected ',' or '}'");
    }
    eat('}');
    skipWs();
    if (pos_ != s_.size())
      return malformed("unexpected text after the header dict");
    if (!haveDescr || !haveFortran || !haveShape)
      return malformed(std::string("missing key '") +
                       (!haveDescr ? "descr" : !haveFortran ? "fortran_order" : "shape") + "'");
    return std::nullopt;
  }

private:
  static Error malformed(const std::string &what) {
    return err("malformed .npy header: " + what);
  }
  void skipWs() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                s_[pos_] == '\r'))
      ++pos_;
  }
  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool eat(char c) {
    if (!peek(c))
      return false;
    ++pos_;
    return true;
  }
  bool eatWord(const char *w) {
    size_t n = std::strlen(w);
    if (s_.compare(pos_, n, w) != 0)
      return false;
    pos_ += n;
    return true;
  }
  bool parseString(std::string &out) {
    if (!peek('\'') && !peek('"'))
      return false;
    char q = s_[pos_++];
    out.clear();
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\' || s_[pos_] == '\n')
        return false; // numpy never writes escapes in these strings
      out.push_back(s_[pos_++]);
    }
    return eat(q);
  }
  bool parseBool(bool &out) {
    if (eatWord("True")) {
      out = true;
      return true;
    }
    if (eatWord("False")) {
      out = false;
      return true;
    }
    return false;
  }
  std::optional<Error> parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!eat('('))
      return malformed("'shape' must be a tuple");
    skipWs();
    bool needComma = false; // a 1-tuple must be written "(n,)"
    while (!peek(')')) {
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') {
        if (peek('-'))
          return malformed("negative dimension in 'shape'");
        return malformed("'shape' must contain non-negative integers");
      }
      uint64_t v = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        v = v * 10 + static_cast<uint64_t>(s_[pos_++] - '0');
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          return malformed("dimension in 'shape' too large");
      }
      eat('L'); // Python 2 long suffix
      shape.push_back(static_cast<int64_t>(v));
      skipWs();
      if (eat(',')) {
        skipWs();
        needComma = false;
        continue;
      }
      needComma = true;
      if (!peek(')'))
        return malformed("expected ',' or ')' in 'shape'");
    }
    eat(')');
    if (needComma && shape.size() == 1)
      return malformed("a 1-d 'shape' must be written (n,)");
    return std::nullopt;
  }

  const std::string &s_;
  size_t pos_ = 0;
};

/// Element count of a shape, or nullopt on overflow past 2^62.
std::optional<uint64_t> checkedNumel(const std::vector<int64_t> &shape) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && n > (uint64_t(1) << 62) / static_cast<uint64_t>(d))
      return std::nullopt;
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

} // namespace

//===----------------------------------------------------------------------===//
// dtype mapping
//===----------------------------------------------------------------------===//

std::optional<std::string> npyDescr(DType t) {
  switch (t) {
  case DType::F32:
    return "<f4";
  case DType::F16:
    return "<f2";
  case DType::I32:
    return "<i4";
  case DType::U32:
    return "<u4";
  case DType::I8:
    return "|i1";
  case DType::U8:
    return "|u1";
  case DType::BF16:
  case DType::F8E4M3:
  case DType::F8E5M2:
  case DType::F4E2M1:
  case DType::E8M0:
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<DType> dtypeFromNpyDescr(const std::string &descr) {
  if (descr.size() != 3)
    return std::nullopt;
  char order = descr[0];
  std::string kind = descr.substr(1);
  if (kind == "i1" || kind == "u1") {
    if (order != '|' && order != '<' && order != '>')
      return std::nullopt;
    return kind == "i1" ? DType::I8 : DType::U8;
  }
  if (order != '<')
    return std::nullopt;
  if (kind == "f4")
    return DType::F32;
  if (kind == "f2")
    return DType::F16;
  if (kind == "i4")
    return DType::I32;
  if (kind == "u4")
    return DType::U32;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

Expected<NpyHeader> parseNpyHeader(const uint8_t *data, size_t size) {
  if (size < kMagicLen + 2 || std::memcmp(data, kMagic, kMagicLen) != 0)
    return err("not a .npy file (bad magic)");
  NpyHeader h;
  h.majorVersion = data[6];
  h.minorVersion = data[7];
  if (h.majorVersion < 1 || h.majorVersion > 3 || h.minorVersion != 0)
    return err(fmt::format("unsupported .npy format version {}.{} (supported: 1.0, 2.0, 3.0)",
                           h.majorVersion, h.minorVersion));
  size_t lenBytes = h.majorVersion == 1 ? 2 : 4;
  size_t prefix = kMagicLen + 2 + lenBytes;
  if (size < prefix)
    return err("malformed .npy header: file ends inside the header length");
  size_t headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i)
    headerLen |= static_cast<size_t>(data[kMagicLen + 2 + i]) << (8 * i);
  if (headerLen > kMaxHeaderLen)
    return err(fmt::format("malformed .npy header: header length {} is too large", headerLen));
  if (size - prefix < headerLen)
    return err(fmt::format("malformed .npy header: header length {} exceeds the file size",
                           headerLen));
  std::string text(reinterpret_cast<const char *>(data + prefix), headerLen);
  for (unsigned char c : text)
    if (c == 0 || (c >= 0x80 && h.majorVersion < 3))
      return err("malformed .npy header: non-ASCII byte in the header");
  HeaderParser parser(text);
  if (auto e = parser.parse(h))
    return *e;
  h.dataOffset = prefix + headerLen;
  return h;
}

Expected<HostTensor> parseNpy(const uint8_t *data, size_t size) {
  auto header = parseNpyHeader(data, size);
  if (!header)
    return header.error();
  const NpyHeader &h = *header;
  if (!h.descr.empty() && h.descr[0] == '>' && !dtypeFromNpyDescr(h.descr))
    return err(fmt::format("big-endian dtype '{}' is not supported (convert with "
                           "arr.astype(arr.dtype.newbyteorder('<')))",
                           h.descr));
  auto dt = dtypeFromNpyDescr(h.descr);
  if (!dt)
    return err(fmt::format("unsupported dtype '{}' (supported: <f4, <f2, <i4, <u4, |i1, |u1)",
                           h.descr));
  if (h.fortranOrder)
    return err("fortran_order arrays are not supported (save a C-contiguous array, e.g. "
               "np.ascontiguousarray)");
  auto numel = checkedNumel(h.shape);
  if (!numel)
    return err(fmt::format("shape {} is too large", shapeText(h.shape)));
  uint64_t itemBytes = dtypeBits(*dt) / 8;
  uint64_t expected = *numel * itemBytes;
  uint64_t actual = size - h.dataOffset;
  if (actual < expected)
    return err(fmt::format("truncated data: shape {} of {} needs {} bytes, file has {}",
                           shapeText(h.shape), h.descr, expected, actual));
  if (actual > expected)
    return err(fmt::format("trailing data: {} bytes after the {} bytes of shape {} of {}",
                           actual - expected, expected, shapeText(h.shape), h.descr));
  HostTensor t;
  t.dtype = *dt;
  t.shape = h.shape;
  t.data.assign(data + h.dataOffset, data + size);
  return t;
}

Expected<HostTensor> readNpyFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return err(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad())
    return err(fmt::format("{}: read error", path));
  auto t = parseNpy(bytes.data(), bytes.size());
  if (!t)
    return err(path + ": " + t.error().message);
  return t;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

Expected<std::vector<uint8_t>> serializeNpy(const HostTensor &tensor, unsigned majorVersion) {
  auto descr = npyDescr(tensor.dtype);
  if (!descr)
    return err(fmt::format("dtype {} has no NumPy equivalent (convert it to f32 first)",
                           dtypeName(tensor.dtype)));
  if (majorVersion > 3)
    return err(fmt::format("unsupported .npy format version {}", majorVersion));
  auto numel = checkedNumel(tensor.shape);
  if (!numel)
    return err(fmt::format("invalid shape {}", shapeText(tensor.shape)));
  uint64_t expected = *numel * (dtypeBits(tensor.dtype) / 8);
  if (tensor.data.size() != expected)
    return err(fmt::format("tensor data has {} bytes, shape {} of {} needs {}",
                           tensor.data.size(), shapeText(tensor.shape), dtypeName(tensor.dtype),
                           expected));
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 *descr, shapeText(tensor.shape));
  // Pad with spaces so that magic + version + length + header is a multiple of
  // 64 bytes (numpy >= 1.18 aligns to 64), ending in '\n'.
  auto paddedLen = [&](size_t prefix) {
    size_t total = prefix + dict.size() + 1;
    return dict.size() + 1 + (64 - total % 64) % 64;
  };
  unsigned version = majorVersion;
  if (version == 0)
    version = paddedLen(10) <= 0xffff ? 1 : 2;
  size_t prefix = version == 1 ? 10 : 12;
  size_t headerLen = paddedLen(prefix);
  if (version == 1 && headerLen > 0xffff)
    return err("header too large for .npy version 1.0");
  std::vector<uint8_t> out;
  out.reserve(prefix + headerLen + tensor.data.size());
  out.insert(out.end(), kMagic, kMagic + kMagicLen);
  out.push_back(static_cast<uint8_t>(version));
  out.push_back(0);
  for (size_t i = 0; i < prefix - 8; ++i)
    out.push_back(static_cast<uint8_t>(headerLen >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), headerLen - dict.size() - 1, ' ');
  out.push_back('\n');
  out.insert(out.end(), tensor.data.begin(), tensor.data.end());
  return out;
}

std::optional<Error> writeNpyFile(const std::string &path, const HostTensor &tensor) {
  auto bytes = serializeNpy(tensor);
  if (!bytes)
    return err(path + ": " + bytes.error().message);
  return writeFileAtomic(path, bytes->data(), bytes->size());
}

} // namespace trnrt
