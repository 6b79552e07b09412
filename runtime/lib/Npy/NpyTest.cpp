//===- NpyTest.cpp - .npy reader/writer and atomic output tests ------------===//
#include "trn/runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace trnrt;

namespace {

std::vector<uint8_t> bytesOf(const std::string &s) { return {s.begin(), s.end()}; }

/// A .npy image with a literal header (padded like numpy does) and payload.
std::vector<uint8_t> makeNpy(const std::string &dict, const std::vector<uint8_t> &payload,
                             unsigned major = 1, unsigned minor = 0) {
  size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::vector<uint8_t> out = bytesOf(std::string("\x93NUMPY", 6));
  out.push_back(static_cast<uint8_t>(major));
  out.push_back(static_cast<uint8_t>(minor));
  for (size_t i = 0; i < prefix - 8; ++i)
    out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::string parseError(const std::vector<uint8_t> &bytes) {
  auto t = parseNpy(bytes.data(), bytes.size());
  if (t)
    return "<parsed>";
  return t.error().message;
}

HostTensor makeTensor(DType dt, std::vector<int64_t> shape) {
  HostTensor t;
  t.dtype = dt;
  t.shape = std::move(shape);
  uint64_t n = 1;
  for (int64_t d : t.shape)
    n *= static_cast<uint64_t>(d);
  t.data.resize(n * dtypeBits(dt) / 8);
  for (size_t i = 0; i < t.data.size(); ++i)
    t.data[i] = static_cast<uint8_t>(i * 37 + 11);
  return t;
}

class TempDir {
public:
  TempDir() {
    std::string base = ::testing::TempDir() + "npytest-XXXXXX";
    std::vector<char> buf(base.begin(), base.end());
    buf.push_back(0);
    char *d = mkdtemp(buf.data());
    if (!d)
      std::abort();
    path_ = d;
  }
  ~TempDir() {
    for (const auto &f : entries())
      ::unlink((path_ + "/" + f).c_str());
    ::rmdir(path_.c_str());
  }
  const std::string &path() const { return path_; }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    if (DIR *d = opendir(path_.c_str())) {
      while (dirent *e = readdir(d))
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
          out.push_back(e->d_name);
      closedir(d);
    }
    return out;
  }

private:
  std::string path_;
};

std::vector<uint8_t> readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const char *kF32x2x3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

} // namespace

//===----------------------------------------------------------------------===//
// dtype mapping
//===----------------------------------------------------------------------===//

TEST(NpyDType, MappingRoundTrips) {
  for (int i = 0; i < kNumDTypes; ++i) {
    DType t = static_cast<DType>(i);
    auto d = npyDescr(t);
    if (!d)
      continue;
    auto back = dtypeFromNpyDescr(*d);
    ASSERT_TRUE(back) << *d;
    EXPECT_EQ(*back, t) << *d;
  }
  EXPECT_EQ(*npyDescr(DType::F32), "<f4");
  EXPECT_EQ(*npyDescr(DType::F16), "<f2");
  EXPECT_EQ(*npyDescr(DType::I32), "<i4");
  EXPECT_EQ(*npyDescr(DType::U32), "<u4");
  EXPECT_EQ(*npyDescr(DType::I8), "|i1");
  EXPECT_EQ(*npyDescr(DType::U8), "|u1");
  for (DType t : {DType::BF16, DType::F8E4M3, DType::F8E5M2, DType::F4E2M1, DType::E8M0})
    EXPECT_FALSE(npyDescr(t)) << dtypeName(t);
}

TEST(NpyDType, OneByteOrderCharsAccepted) {
  EXPECT_EQ(dtypeFromNpyDescr("<i1"), DType::I8);
  EXPECT_EQ(dtypeFromNpyDescr(">u1"), DType::U8);
  EXPECT_FALSE(dtypeFromNpyDescr(">f4"));
  EXPECT_FALSE(dtypeFromNpyDescr("|f4"));
  EXPECT_FALSE(dtypeFromNpyDescr("<f8"));
  EXPECT_FALSE(dtypeFromNpyDescr("<i8"));
  EXPECT_FALSE(dtypeFromNpyDescr("|b1"));
  EXPECT_FALSE(dtypeFromNpyDescr("f4"));
  EXPECT_FALSE(dtypeFromNpyDescr(""));
}

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST(NpyRoundTrip, EveryNumpyDType) {
  for (DType dt : {DType::F32, DType::F16, DType::I32, DType::U32, DType::I8, DType::U8}) {
    for (auto shape : std::vector<std::vector<int64_t>>{{}, {5}, {2, 3}, {2, 1, 4, 3}, {0, 7}}) {
      HostTensor t = makeTensor(dt, shape);
      auto bytes = serializeNpy(t);
      ASSERT_TRUE(bytes) << bytes.error().message;
      EXPECT_EQ(bytes->at(6), 1) << "small headers use version 1.0";
      auto back = parseNpy(bytes->data(), bytes->size());
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(back->dtype, dt);
      EXPECT_EQ(back->shape, shape);
      EXPECT_EQ(back->data, t.data);
    }
  }
}

TEST(NpyRoundTrip, HeaderMatchesNumpyLayout) {
  HostTensor t = makeTensor(DType::F32, {2, 3});
  auto bytes = serializeNpy(t);
  ASSERT_TRUE(bytes);
  // numpy.save output for np.zeros((2,3), np.float32): 128-byte file.
  std::string expectHeader = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + kF32x2x3;
  ASSERT_GE(bytes->size(), expectHeader.size());
  EXPECT_EQ(std::string(bytes->begin(), bytes->begin() + expectHeader.size()), expectHeader);
  EXPECT_EQ(bytes->size(), 128u + 24u);
  EXPECT_EQ((*bytes)[127], '\n');
  auto one = serializeNpy(makeTensor(DType::I8, {4}));
  ASSERT_TRUE(one);
  std::string s(one->begin(), one->end());
  EXPECT_NE(s.find("'descr': '|i1'"), std::string::npos);
  EXPECT_NE(s.find("'shape': (4,)"), std::string::npos);
}

TEST(NpyRoundTrip, ForcedVersions2And3) {
  HostTensor t = makeTensor(DType::I32, {3, 4});
  for (unsigned v : {1u, 2u, 3u}) {
    auto bytes = serializeNpy(t, v);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(bytes->at(6), v);
    auto h = parseNpyHeader(bytes->data(), bytes->size());
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ(h->majorVersion, v);
    EXPECT_EQ(h->dataOffset % 64, 0u);
    auto back = parseNpy(bytes->data(), bytes->size());
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->data, t.data);
    EXPECT_EQ(back->shape, t.shape);
  }
  EXPECT_FALSE(serializeNpy(t, 4));
}

TEST(NpyRoundTrip, HugeHeaderSwitchesToVersion2) {
  // 30000 dims of size 1 (90 KB of "1, "): the header no longer fits a uint16 length.
  HostTensor t;
  t.dtype = DType::U8;
  t.shape.assign(30000, 1);
  t.data = {42};
  auto bytes = serializeNpy(t);
  ASSERT_TRUE(bytes) << bytes.error().message;
  EXPECT_EQ(bytes->at(6), 2);
  auto back = parseNpy(bytes->data(), bytes->size());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->shape.size(), 30000u);
  EXPECT_EQ(back->data, t.data);
  EXPECT_FALSE(serializeNpy(t, 1)) << "version 1.0 cannot hold this header";
}

TEST(NpyRoundTrip, ParsesHandWrittenHeaders) {
  // Key order, quoting and spacing vary between writers; all are valid.
  std::vector<uint8_t> payload(6 * 4, 0);
  for (std::string dict : {
           std::string("{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}"),
           std::string("{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(2,3)}"),
           std::string("{ 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }"),
           std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }"),
       }) {
    auto v = makeNpy(dict, payload);
    auto t = parseNpy(v.data(), v.size());
    ASSERT_TRUE(t) << dict << ": " << t.error().message;
    EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
  }
  // Version 3.0: the header is UTF-8 (otherwise identical).
  auto v3 = makeNpy(kF32x2x3, payload, 3);
  EXPECT_TRUE(parseNpy(v3.data(), v3.size()));
}

//===----------------------------------------------------------------------===//
// Rejections
//===----------------------------------------------------------------------===//

TEST(NpyReject, BadMagic) {
  auto v = makeNpy(kF32x2x3, std::vector<uint8_t>(24));
  v[1] = 'X';
  EXPECT_EQ(parseError(v), "not a .npy file (bad magic)");
  EXPECT_EQ(parseError(bytesOf("PK\x03\x04 a zip file")), "not a .npy file (bad magic)");
  EXPECT_EQ(parseError({}), "not a .npy file (bad magic)");
  EXPECT_EQ(parseError(bytesOf("\x93NUMP")), "not a .npy file (bad magic)");
}

TEST(NpyReject, UnsupportedVersion) {
  auto v = makeNpy(kF32x2x3, std::vector<uint8_t>(24));
  v[6] = 4;
  EXPECT_EQ(parseError(v), "unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)");
  v[6] = 0;
  EXPECT_NE(parseError(v).find("unsupported .npy format version 0.0"), std::string::npos);
  v[6] = 1;
  v[7] = 1;
  EXPECT_NE(parseError(v).find("unsupported .npy format version 1.1"), std::string::npos);
}

TEST(NpyReject, MalformedHeaders) {
  std::vector<uint8_t> p(24);
  struct Case {
    std::string dict, expect;
  } cases[] = {
      {"", "expected '{'"},
      {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
      {"{'fortran_order': False, 'shape': (2, 3)}", "missing key 'descr'"},
      {"{'descr': '<f4', 'shape': (2, 3)}", "missing key 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}",
       "unexpected key 'x'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}",
       "duplicate key 'descr'"},
      {"{'descr': <f4, 'fortran_order': False, 'shape': (2, 3)}", "'descr' must be a string"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}",
       "'fortran_order' must be True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", "'shape' must be a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", "negative dimension"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3.5)}", "expected ',' or ')'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6)}", "must be written (n,)"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
       "too large"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", "expected ',' or '}'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk",
       "unexpected text after the header dict"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}", "expected ',' or '}'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'unterminated}",
       "expected a quoted key"},
  };
  for (const Case &c : cases) {
    std::string msg = parseError(makeNpy(c.dict, p));
    EXPECT_EQ(msg.rfind("malformed .npy header: ", 0), 0u) << c.dict << " -> " << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.dict << " -> " << msg;
  }
}

TEST(NpyReject, HeaderLengthPastEndOfFile) {
  auto v = makeNpy(kF32x2x3, {});
  v.resize(40); // cut inside the header
  EXPECT_NE(parseError(v).find("header length 118 exceeds the file size"), std::string::npos);
  auto w = makeNpy(kF32x2x3, {});
  w.resize(9); // cut inside the length field
  EXPECT_NE(parseError(w).find("file ends inside the header length"), std::string::npos);
  auto big = makeNpy(kF32x2x3, {}, 2);
  big[8] = big[9] = big[10] = big[11] = 0xff;
  EXPECT_NE(parseError(big).find("too large"), std::string::npos);
}

TEST(NpyReject, NonAsciiAndNulHeaderBytes) {
  std::string dict = std::string(kF32x2x3);
  dict[dict.size() - 2] = '\0';
  EXPECT_NE(parseError(makeNpy(dict, std::vector<uint8_t>(24))).find("non-ASCII"),
            std::string::npos);
}

TEST(NpyReject, BigEndian) {
  auto v = makeNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",
                   std::vector<uint8_t>(24));
  std::string msg = parseError(v);
  EXPECT_EQ(msg.rfind("big-endian dtype '>f4' is not supported", 0), 0u) << msg;
  auto i = makeNpy("{'descr': '>i4', 'fortran_order': False, 'shape': (6,), }",
                   std::vector<uint8_t>(24));
  EXPECT_NE(parseError(i).find("big-endian dtype '>i4'"), std::string::npos);
}

TEST(NpyReject, FortranOrder) {
  auto v = makeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                   std::vector<uint8_t>(24));
  EXPECT_NE(parseError(v).find("fortran_order arrays are not supported"), std::string::npos);
}

TEST(NpyReject, UnsupportedDTypes) {
  for (std::string d : {"<f8", "<i8", "|b1", "<c8", "|O", "<U3", "|S4", "<u2"}) {
    auto v = makeNpy("{'descr': '" + d + "', 'fortran_order': False, 'shape': (1,), }",
                     std::vector<uint8_t>(16));
    std::string msg = parseError(v);
    EXPECT_EQ(msg.rfind("unsupported dtype '" + d + "'", 0), 0u) << msg;
  }
  auto structured = makeNpy(
      "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }",
      std::vector<uint8_t>(8));
  EXPECT_NE(parseError(structured).find("structured arrays are not supported"),
            std::string::npos);
}

TEST(NpyReject, TruncatedAndTrailingData) {
  std::string msg = parseError(makeNpy(kF32x2x3, std::vector<uint8_t>(23)));
  EXPECT_EQ(msg, "truncated data: shape (2, 3) of <f4 needs 24 bytes, file has 23");
  msg = parseError(makeNpy(kF32x2x3, {}));
  EXPECT_EQ(msg, "truncated data: shape (2, 3) of <f4 needs 24 bytes, file has 0");
  msg = parseError(makeNpy(kF32x2x3, std::vector<uint8_t>(25)));
  EXPECT_EQ(msg, "trailing data: 1 bytes after the 24 bytes of shape (2, 3) of <f4");
  // Element-count overflow is rejected before any allocation.
  msg = parseError(makeNpy(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", {}));
  EXPECT_NE(msg.find("too large"), std::string::npos) << msg;
}

TEST(NpyReject, SerializeErrors) {
  HostTensor bf = makeTensor(DType::BF16, {2});
  auto r = serializeNpy(bf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "dtype bf16 has no NumPy equivalent (convert it to f32 first)");
  HostTensor wrong = makeTensor(DType::F32, {2, 2});
  wrong.data.pop_back();
  r = serializeNpy(wrong);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("tensor data has 15 bytes"), std::string::npos);
  HostTensor neg = makeTensor(DType::F32, {1});
  neg.shape = {-1};
  EXPECT_FALSE(serializeNpy(neg));
}

//===----------------------------------------------------------------------===//
// Files and atomic output
//===----------------------------------------------------------------------===//

TEST(NpyFile, WriteThenRead) {
  TempDir dir;
  std::string path = dir.path() + "/x.npy";
  HostTensor t = makeTensor(DType::F16, {3, 5});
  ASSERT_FALSE(writeNpyFile(path, t));
  auto back = readNpyFile(path);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->data, t.data);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"x.npy"}) << "no temporary left";
  // Overwrite in place.
  HostTensor u = makeTensor(DType::U8, {2});
  ASSERT_FALSE(writeNpyFile(path, u));
  EXPECT_EQ(readNpyFile(path)->dtype, DType::U8);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IRUSR);
}

TEST(NpyFile, ReadErrorsNameThePath) {
  TempDir dir;
  auto missing = readNpyFile(dir.path() + "/nope.npy");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message.rfind(dir.path() + "/nope.npy: cannot open: ", 0), 0u);
  std::string bad = dir.path() + "/bad.npy";
  ASSERT_FALSE(writeFileAtomic(bad, "hello", 5));
  auto r = readNpyFile(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, bad + ": not a .npy file (bad magic)");
}

TEST(NpyFile, UnwritablePathLeavesNothing) {
  TempDir dir;
  HostTensor t = makeTensor(DType::F32, {4});
  auto e = writeNpyFile(dir.path() + "/no/such/dir/out.npy", t);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("cannot write: No such file or directory"), std::string::npos)
      << e->message;
  // Destination is a directory: rename fails, the temporary must be removed.
  std::string sub = dir.path() + "/sub";
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  e = writeNpyFile(sub, t);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message.rfind(sub + ": cannot write: ", 0), 0u) << e->message;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"sub"});
  ::rmdir(sub.c_str());
  // A dtype without a NumPy equivalent writes nothing.
  e = writeNpyFile(dir.path() + "/bf.npy", makeTensor(DType::BF16, {2}));
  ASSERT_TRUE(e);
  EXPECT_TRUE(dir.entries().empty());
}

TEST(StagedFilesTest, CommitPublishesAll) {
  TempDir dir;
  StagedFiles files;
  ASSERT_FALSE(files.stage(dir.path() + "/a", "A", 1));
  ASSERT_FALSE(files.stage(dir.path() + "/b", "BB", 2));
  EXPECT_EQ(dir.entries().size(), 2u);
  for (const auto &name : dir.entries())
    EXPECT_NE(name.find(".tmp-"), std::string::npos) << "only temporaries before commit";
  ASSERT_FALSE(files.commit());
  EXPECT_EQ(readAll(dir.path() + "/a"), bytesOf("A"));
  EXPECT_EQ(readAll(dir.path() + "/b"), bytesOf("BB"));
  EXPECT_EQ(dir.entries().size(), 2u);
}

TEST(StagedFilesTest, DiscardAndDestructorRemoveTemporaries) {
  TempDir dir;
  {
    StagedFiles files;
    ASSERT_FALSE(files.stage(dir.path() + "/a", "A", 1));
  }
  EXPECT_TRUE(dir.entries().empty());
  StagedFiles files;
  ASSERT_FALSE(files.stage(dir.path() + "/a", "A", 1));
  files.discard();
  EXPECT_TRUE(dir.entries().empty());
  EXPECT_EQ(files.size(), 0u);
}

TEST(StagedFilesTest, FailedCommitRemovesEarlierOutputs) {
  TempDir dir;
  std::string sub = dir.path() + "/blocker";
  StagedFiles files;
  ASSERT_FALSE(files.stage(dir.path() + "/first", "1", 1));
  ASSERT_FALSE(files.stage(sub, "2", 1));
  // After staging, make the second destination un-renamable (a non-empty dir).
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  std::string inner = sub + "/keep";
  ASSERT_FALSE(writeFileAtomic(inner, "k", 1));
  auto e = files.commit();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message.rfind(sub + ": cannot write: ", 0), 0u) << e->message;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"blocker"}) << "first output removed";
  ::unlink(inner.c_str());
  ::rmdir(sub.c_str());
}

TEST(StagedFilesTest, SamePathTwiceRejected) {
  TempDir dir;
  StagedFiles files;
  ASSERT_FALSE(files.stage(dir.path() + "/a", "A", 1));
  auto e = files.stage(dir.path() + "/a", "B", 1);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("named twice"), std::string::npos);
}
