//===- LoaderRobustnessTest.cpp - Malformed .trnx buffers never crash -----===//
//
// Truncations, corruption, wrong identifiers, newer versions and structural
// problems that the FlatBuffers verifier accepts but the format does not.
// Run under ASan/UBSan in the sanitizer build; here they must simply return
// an Error and never crash.
//
//===----------------------------------------------------------------------===//

#include "TestPrograms.h"
#include "trn/runtime/Trnx.h"
#include "trn/runtime/trnx_generated.h"

#include <gtest/gtest.h>

#include <random>

using namespace trnrt;
namespace fbs = trnrt::fb;

namespace {

/// Loads with and without semantic verification; whatever decodes must also
/// disassemble and re-serialize losslessly.
void loadMustNotCrash(const std::vector<uint8_t> &bytes) {
  auto p = deserializeProgram(bytes.data(), bytes.size());
  auto raw = deserializeProgram(bytes.data(), bytes.size(), LoadOptions{false});
  if (p) {
    ASSERT_TRUE(raw);
    EXPECT_FALSE(verifyProgram(*p));
  }
  if (raw) {
    (void)disassembleProgram(*raw);
    (void)verifyProgram(*raw);
    std::vector<uint8_t> again = serializeProgram(*raw);
    auto back = deserializeProgram(again.data(), again.size(), LoadOptions{false});
    ASSERT_TRUE(back) << back.error().message;
    auto d = diffPrograms(*raw, *back);
    EXPECT_FALSE(d) << *d;
  }
}

/// A one-instruction program built directly with the FlatBuffers API, so
/// tests can produce what serializeProgram never writes.
struct RawBuilder {
  flatbuffers::FlatBufferBuilder b;
  uint32_t version = kTrnxFormatVersion;

  flatbuffers::Offset<fbs::AccessPattern> ap(std::vector<uint32_t> sizes,
                                             std::vector<int64_t> strides,
                                             fbs::DType dtype = fbs::DType::F32) {
    auto s = b.CreateVector(sizes);
    auto st = b.CreateVector(strides);
    return fbs::CreateAccessPattern(b, fbs::MemSpace::SBUF, dtype, 0, 0, 0, 1, 0, s, st);
  }

  std::vector<uint8_t> finish(fbs::Op type, flatbuffers::Offset<void> body, bool header = true) {
    auto inst = fbs::CreateInstruction(b, type, body);
    std::vector<flatbuffers::Offset<fbs::Instruction>> insts{inst};
    auto q = fbs::CreateQueue(b, kQueueDVE, b.CreateVector(insts));
    std::vector<flatbuffers::Offset<fbs::Queue>> qs{q};
    auto qv = b.CreateVector(qs);
    flatbuffers::Offset<fbs::Header> h;
    if (header)
      h = fbs::CreateHeader(b, version, b.CreateString("trn2"), b.CreateString("raw"));
    fbs::FinishSizePrefixedProgramBuffer(b, fbs::CreateProgram(b, h, 0, 0, qv, 0));
    return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  }

  std::vector<uint8_t> memset(std::vector<uint32_t> sizes, std::vector<int64_t> strides,
                              fbs::DType dtype = fbs::DType::F32) {
    auto dst = ap(std::move(sizes), std::move(strides), dtype);
    return finish(fbs::Op::Memset, fbs::CreateMemset(b, dst, 1.0f).Union());
  }
};

std::string expectedTruncated(size_t want, size_t have) {
  return "truncated .trnx program: " + std::to_string(want) + " bytes expected, " +
         std::to_string(have) + " present";
}

std::string loadError(const std::vector<uint8_t> &bytes, bool verify = true) {
  auto p = deserializeProgram(bytes.data(), bytes.size(), LoadOptions{verify});
  return p ? std::string("<loaded>") : p.error().message;
}

} // namespace

TEST(TrnxLoader, RawBuilderBaselineLoads) {
  RawBuilder r;
  auto bytes = r.memset({8}, {1});
  auto p = deserializeProgram(bytes.data(), bytes.size());
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->queues.size(), 1u);
  EXPECT_EQ(p->queues[0].instructions[0].opcode(), Opcode::Memset);
}

TEST(TrnxLoader, EveryPrefixIsRejected) {
  std::vector<uint8_t> full = serializeProgram(testprog::gemm());
  // Drop the 256 KiB constant to keep the loop quick: a smaller program.
  Program small = testprog::gemm();
  small.tensors[1].kind = TensorKind::Scratch;
  small.tensors[1].data.clear();
  small.queues[1].instructions.clear(); // (nothing loads the scratch w now)
  small.queues[2].instructions[0].waits = {{0, 1}};
  small.queues[2].instructions[1].waits = {{0, 2}};
  // The matmuls read w's tiles uninitialised, but that is the emulator's
  // concern; the program is structurally and semantically valid.
  ASSERT_FALSE(verifyProgram(small));
  std::vector<uint8_t> bytes = serializeProgram(small);
  ASSERT_LT(bytes.size(), 8192u);
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
    auto p = deserializeProgram(prefix.data(), prefix.size());
    EXPECT_FALSE(p) << "prefix of " << n << " bytes loaded";
    auto raw = deserializeProgram(prefix.data(), prefix.size(), LoadOptions{false});
    EXPECT_FALSE(raw) << "prefix of " << n << " bytes decoded";
  }
  auto whole = deserializeProgram(bytes.data(), bytes.size());
  EXPECT_TRUE(whole);
  // The big one: a sample of prefixes, including the ones cutting the constant.
  for (size_t n = 0; n < full.size(); n += 997)
    EXPECT_FALSE(deserializeProgram(full.data(), n)) << n;
}

TEST(TrnxLoader, RandomCorruptionNeverCrashes) {
  for (const Program &base : {testprog::everyInstruction(), testprog::fp8DoubleRow()}) {
    const std::vector<uint8_t> bytes = serializeProgram(base);
    std::mt19937 rng(12345);
    std::uniform_int_distribution<size_t> pos(0, bytes.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255), flips(1, 8);
    unsigned loaded = 0;
    for (int iter = 0; iter < 3000; ++iter) {
      std::vector<uint8_t> m = bytes;
      int k = flips(rng);
      for (int j = 0; j < k; ++j)
        m[pos(rng)] = static_cast<uint8_t>(byte(rng));
      // Also truncate a tenth of the cases.
      if (iter % 10 == 0)
        m.resize(pos(rng));
      loadMustNotCrash(m);
      if (HasFatalFailure())
        return;
      loaded += deserializeProgram(m.data(), m.size()) ? 1 : 0;
    }
    // Many flips land in padding/data bytes and are harmless; most others
    // must be caught. This only guards against a loader that rejects all.
    EXPECT_GT(loaded, 0u);
  }
}

TEST(TrnxLoader, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<uint8_t> m(rng() % 512);
    for (auto &c : m)
      c = static_cast<uint8_t>(rng());
    if (m.size() >= 8 && iter % 2 == 0)
      std::copy(kTrnxMagic, kTrnxMagic + 4, m.begin() + 4); // get past the identifier
    loadMustNotCrash(m);
    if (HasFatalFailure())
      return;
  }
}

TEST(TrnxLoader, EmptyAndTiny) {
  EXPECT_EQ(loadError({}), "empty file (not a .trnx program)");
  EXPECT_EQ(loadError({1, 2, 3}), "truncated file: 3 bytes is too small for a .trnx program");
  auto none = deserializeProgram(nullptr, 0);
  ASSERT_FALSE(none);
}

TEST(TrnxLoader, WrongIdentifier) {
  std::vector<uint8_t> bytes = serializeProgram(testprog::gemm());
  // [u32 size][u32 root]["TRNX"]
  ASSERT_EQ(std::string(bytes.begin() + 8, bytes.begin() + 12), "TRNX");
  bytes[8] = 'N';
  bytes[9] = 'P';
  bytes[10] = 'Y';
  bytes[11] = 0;
  EXPECT_EQ(loadError(bytes), "not a .trnx program (file identifier 'NPY\\x00', expected 'TRNX')");
  std::string npy("\x93NUMPY\x01\x00v\x00{'descr': '<f4'}", 26);
  EXPECT_EQ(loadError(std::vector<uint8_t>(npy.begin(), npy.end())),
            "not a .trnx program (file identifier 'v\\x00{'', expected 'TRNX')");
}

TEST(TrnxLoader, SizePrefixMismatch) {
  std::vector<uint8_t> bytes = serializeProgram(testprog::gemm());
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 1);
  EXPECT_EQ(loadError(cut), expectedTruncated(bytes.size(), cut.size()));
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  longer.push_back(0);
  EXPECT_EQ(loadError(longer), "corrupt .trnx program: 2 bytes of trailing data after the " +
                                   std::to_string(bytes.size()) + "-byte program");
}

TEST(TrnxLoader, Versions) {
  RawBuilder newer;
  newer.version = kTrnxFormatVersion + 1;
  auto bytes = newer.memset({8}, {1});
  EXPECT_EQ(loadError(bytes, false),
            "format version 2 is newer than the newest version this runtime reads (1); rebuild "
            "the trn tools");
  auto v = peekFormatVersion(bytes.data(), bytes.size());
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, kTrnxFormatVersion + 1);
  RawBuilder zero;
  zero.version = 0;
  EXPECT_EQ(loadError(zero.memset({8}, {1})), "corrupt .trnx program: format version 0");
  RawBuilder r2;
  auto dst = r2.ap({8}, {1});
  EXPECT_EQ(loadError(r2.finish(fbs::Op::Memset, fbs::CreateMemset(r2.b, dst).Union(), false)),
            "corrupt .trnx program: missing header");
}

TEST(TrnxLoader, StructuralProblems) {
  {
    RawBuilder r;
    EXPECT_EQ(loadError(r.memset({}, {})),
              "malformed .trnx program: queues[0].instructions[0].dst: free rank 0 outside 1..4");
  }
  {
    RawBuilder r;
    EXPECT_EQ(loadError(r.memset({1, 1, 1, 1, 1}, {0, 0, 0, 0, 0})),
              "malformed .trnx program: queues[0].instructions[0].dst: free rank 5 outside 1..4");
  }
  {
    RawBuilder r;
    EXPECT_EQ(loadError(r.memset({8, 2}, {1})),
              "malformed .trnx program: queues[0].instructions[0].dst: 1 strides for 2 free dims");
  }
  {
    RawBuilder r;
    EXPECT_EQ(loadError(r.memset({8}, {1}, static_cast<fbs::DType>(kNumDTypes))),
              "malformed .trnx program: queues[0].instructions[0].dst: unknown dtype value 11 "
              "(file written by a newer trnc?)");
  }
  {
    RawBuilder r;
    EXPECT_EQ(loadError(r.finish(fbs::Op::Memset, fbs::CreateMemset(r.b, 0).Union())),
              "malformed .trnx program: queues[0].instructions[0].dst: missing access pattern");
  }
  {
    RawBuilder r;
    auto dst = r.ap({8}, {1});
    // A union member from the future (opcode 12 = union type 13).
    EXPECT_EQ(loadError(r.finish(static_cast<fbs::Op>(kNumOpcodes + 1),
                                 fbs::CreateMemset(r.b, dst).Union())),
              "malformed .trnx program: queues[0].instructions[0]: unknown opcode 12 (file "
              "written by a newer trnc?)");
  }
  {
    RawBuilder r;
    EXPECT_EQ(loadError(r.finish(fbs::Op::NONE, 0)),
              "malformed .trnx program: queues[0].instructions[0]: missing instruction body");
  }
  {
    RawBuilder r;
    auto d = r.ap({8}, {1}), s = r.ap({8}, {1});
    auto tt = fbs::CreateTensorTensor(r.b, d, s, s, static_cast<fbs::AluOp>(16));
    EXPECT_EQ(loadError(r.finish(fbs::Op::TensorTensor, tt.Union())),
              "malformed .trnx program: queues[0].instructions[0]: unknown ALU op value 16 (file "
              "written by a newer trnc?)");
  }
  {
    RawBuilder r;
    auto d = r.ap({8}, {1});
    auto io = fbs::CreateIota(r.b, d, 0, 0, r.b.CreateVector(std::vector<int32_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(loadError(r.finish(fbs::Op::Iota, io.Union())),
              "malformed .trnx program: queues[0].instructions[0]: 5 iota multipliers, at most 4");
  }
  {
    RawBuilder r;
    auto d = r.ap({8}, {1}), s = r.ap({8}, {1});
    auto a = fbs::CreateActivation(r.b, d, s, fbs::ActFunc::Relu, 0, 0);
    EXPECT_EQ(loadError(r.finish(fbs::Op::Activation, a.Union())),
              "malformed .trnx program: queues[0].instructions[0].scale: missing scalar operand");
  }
}

TEST(TrnxLoader, DeepNestingIsBounded) {
  // The FlatBuffers verifier's depth/table limits bound the work on inputs
  // with many shared references: a vector of a million offsets to one table.
  flatbuffers::FlatBufferBuilder b;
  auto s = b.CreateVector(std::vector<uint32_t>{8});
  auto st = b.CreateVector(std::vector<int64_t>{1});
  auto ap = fbs::CreateAccessPattern(b, fbs::MemSpace::SBUF, fbs::DType::F32, 0, 0, 0, 1, 0, s, st);
  auto body = fbs::CreateMemset(b, ap, 0.0f);
  auto inst = fbs::CreateInstruction(b, fbs::Op::Memset, body.Union());
  std::vector<flatbuffers::Offset<fbs::Instruction>> insts(200000, inst);
  auto q = fbs::CreateQueue(b, kQueueDVE, b.CreateVector(insts));
  std::vector<flatbuffers::Offset<fbs::Queue>> qs{q};
  auto qv = b.CreateVector(qs);
  auto h = fbs::CreateHeader(b, kTrnxFormatVersion, b.CreateString("trn2"), b.CreateString("d"));
  fbs::FinishSizePrefixedProgramBuffer(b, fbs::CreateProgram(b, h, 0, 0, qv, 0));
  std::vector<uint8_t> bytes(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  // 200k references to one 3-table chain in ~800 KB: 600k table visits
  // exceed the limit of size / 4 + 1024 (a writer that never shares tables
  // needs at most size / 8), so the DAG is rejected instead of amplified.
  EXPECT_EQ(loadError(bytes),
            "corrupt or truncated .trnx program (FlatBuffers verification failed)");
  // The same count without sharing loads fine.
  Program big;
  big.target = "trn2";
  big.name = "big";
  Memset m{AccessPattern::tile(MemSpace::SBUF, DType::F32, 0, 0, 1, {8}), 0.0f};
  testprog::queue(big, kQueueDVE).instructions.assign(200000, testprog::inst(m));
  std::vector<uint8_t> ok = serializeProgram(big);
  auto p = deserializeProgram(ok.data(), ok.size());
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->numInstructions(), 200000u);
}
