//===- TrnxFormatTest.cpp - Round trips, files, disassembly ---------------===//

#include "TestPrograms.h"
#include "trn/runtime/AccessPatternUtil.h"
#include "trn/runtime/Trnx.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

using namespace trnrt;

namespace {

std::string tempDir() {
  std::string tmpl = testing::TempDir() + "trnx_test_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  char *d = mkdtemp(buf.data());
  EXPECT_NE(d, nullptr);
  return d ? std::string(d) : std::string("/tmp");
}

std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = opendir(dir.c_str())) {
    while (dirent *e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..")
        names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void expectRoundTrip(const Program &p, const LoadOptions &opts = {}) {
  std::vector<uint8_t> bytes = serializeProgram(p);
  auto back = deserializeProgram(bytes.data(), bytes.size(), opts);
  ASSERT_TRUE(back) << back.error().message;
  auto d = diffPrograms(p, *back);
  EXPECT_FALSE(d) << *d;
  // Serialization is deterministic.
  EXPECT_EQ(serializeProgram(*back), bytes);
}

/// A program that sets every field of every instruction to a non-default,
/// unusual value. Not semantically valid: loaded with verify = false.
Program everyFieldUnusual() {
  auto ap = [](uint32_t seed) {
    AccessPattern a;
    a.space = static_cast<MemSpace>(seed % 3);
    a.dtype = static_cast<DType>(seed % kNumDTypes);
    a.tensor = 0xfffffff0u + seed % 7;
    a.offset = (uint64_t(1) << 63) + seed;
    a.startPartition = 0xffff0000u + seed;
    a.numPartitions = 0x7fffffffu - seed;
    a.partitionStride = std::numeric_limits<int64_t>::min() + seed;
    a.rank = 1 + seed % 4;
    for (unsigned d = 0; d < kMaxFreeDims; ++d) {
      a.sizes[d] = 0xfffffff0u - seed - d;
      a.strides[d] = (d % 2 ? -1 : 1) * (std::numeric_limits<int64_t>::max() - seed - d);
    }
    return a;
  };
  auto scalar = [&](uint32_t seed, bool withAp) {
    ScalarOperand s;
    s.imm = seed % 2 ? -0.0f : std::numeric_limits<float>::quiet_NaN();
    if (withAp)
      s.ap = ap(seed);
    return s;
  };
  Program p;
  p.target = "trn-unknown";
  p.name = std::string("name with \0 nul", 15);
  TensorDecl t;
  t.name = "t";
  t.kind = TensorKind::Scratch;
  t.dtype = DType::U8;
  t.shape = {-1, 0, std::numeric_limits<int64_t>::max()};
  t.data = {0, 1, 2, 255};
  t.scaleTensor = 0xffffffffu;
  p.tensors = {t, TensorDecl{}};
  p.buffers = {BufferDecl{"b", MemSpace::PSUM, ~uint64_t(0), 77, 5, 6}, BufferDecl{}};
  std::vector<InstructionBody> bodies;
  bodies.push_back(DmaCopy{ap(1), ap(2)});
  Matmul m{ap(3), ap(4), ap(5), true, MatmulMode::Mx, ap(6), ap(7)};
  bodies.push_back(m);
  m.stationaryScale.reset();
  m.mode = MatmulMode::Fp8DoubleRow;
  bodies.push_back(m);
  bodies.push_back(Transpose{ap(8), ap(9)});
  bodies.push_back(Activation{ap(10), ap(11), ActFunc::Abs, scalar(1, true), scalar(2, false), ap(12)});
  bodies.push_back(Activation{ap(10), ap(11), ActFunc::Erf, scalar(3, false), scalar(4, true), std::nullopt});
  bodies.push_back(TensorTensor{ap(13), ap(14), ap(15), AluOp::Or});
  bodies.push_back(TensorScalar{ap(16), ap(17), AluOp::Pow, scalar(5, true), true, AluOp::IsGe,
                                scalar(6, true), true});
  bodies.push_back(TensorReduce{ap(18), ap(19), AluOp::Min, 0xdeadbeef, true});
  bodies.push_back(TensorCopy{ap(20), ap(21)});
  bodies.push_back(Select{ap(22), ap(23), ap(24), ap(25)});
  bodies.push_back(Iota{ap(26), std::numeric_limits<int32_t>::min(), -7, {{1, -2, 3, std::numeric_limits<int32_t>::max()}}});
  bodies.push_back(Memset{ap(27), std::numeric_limits<float>::infinity()});
  bodies.push_back(QuantizeMx{ap(28), ap(29), ap(30)});
  Queue q0{kQueuePOOL, {}}, q1{kMaxQueues + 3, {}}, q2{kQueuePOOL, {}};
  for (size_t i = 0; i < bodies.size(); ++i) {
    Instruction inst;
    inst.body = bodies[i];
    inst.waits = {{static_cast<uint32_t>(i), 0xffffffffu}, {0, 0}};
    inst.signals = {static_cast<uint32_t>(i), 0xffffffffu, 3};
    inst.debug = i % 2 ? "" : "dbg \xe2\x9c\x93 " + std::to_string(i);
    (i % 2 ? q0 : q1).instructions.push_back(inst);
  }
  p.queues = {q0, q1, q2};
  p.numSemaphores = 0xfffffffeu;
  return p;
}

} // namespace

TEST(TrnxRoundTrip, SamplePrograms) {
  for (const char *t : {"trn1", "trn2", "trn3"}) {
    SCOPED_TRACE(t);
    expectRoundTrip(testprog::gemm(t));
  }
  expectRoundTrip(testprog::fp8DoubleRow());
  expectRoundTrip(testprog::everyInstruction());
}

TEST(TrnxRoundTrip, EveryInstructionTypeIsCovered) {
  Program p = testprog::everyInstruction();
  std::vector<bool> seen(kNumOpcodes, false);
  bool mx = false, acc = false, scaleAp = false, biasAp = false, accum = false, negStride = false,
       rank4 = false, rev = false;
  for (const Queue &q : p.queues)
    for (const Instruction &i : q.instructions) {
      seen[static_cast<int>(i.opcode())] = true;
      if (auto *m = std::get_if<Matmul>(&i.body)) {
        mx |= m->mode == MatmulMode::Mx && m->stationaryScale && m->movingScale;
        acc |= m->accumulate;
      }
      if (auto *a = std::get_if<Activation>(&i.body)) {
        scaleAp |= a->scale.ap.has_value();
        biasAp |= a->bias.ap.has_value();
        accum |= a->accumDst.has_value();
      }
      if (auto *ts = std::get_if<TensorScalar>(&i.body))
        rev |= ts->reverse0 && ts->reverse1 && ts->op1 != AluOp::Bypass;
      for (const ApOperand &o : instructionOperands(i)) {
        rank4 |= o.ap->rank == 4;
        for (unsigned d = 0; d < o.ap->rank; ++d)
          negStride |= o.ap->strides[d] < 0;
      }
    }
  for (int op = 0; op < kNumOpcodes; ++op)
    EXPECT_TRUE(seen[op]) << opcodeName(static_cast<Opcode>(op));
  EXPECT_TRUE(mx && acc && scaleAp && biasAp && accum && negStride && rank4 && rev);
  EXPECT_TRUE(p.tensors[1].scaleTensor.has_value());
}

TEST(TrnxRoundTrip, EveryFieldWithUnusualValuesUnverified) {
  expectRoundTrip(everyFieldUnusual(), LoadOptions{false});
}

TEST(TrnxRoundTrip, UnverifiedLoadStillVerifiesByDefault) {
  std::vector<uint8_t> bytes = serializeProgram(everyFieldUnusual());
  auto p = deserializeProgram(bytes.data(), bytes.size());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "program: unknown target 'trn-unknown' (known: trn1, trn2, trn3)");
}

TEST(TrnxRoundTrip, ComparatorFindsEveryKindOfDifference) {
  const Program base = testprog::everyInstruction();
  EXPECT_FALSE(diffPrograms(base, base));
  auto expectDiff = [&](auto mutate, const std::string &path) {
    Program p = base;
    mutate(p);
    auto d = diffPrograms(base, p);
    ASSERT_TRUE(d) << path;
    EXPECT_EQ(d->substr(0, path.size()), path) << *d;
    // ... and the round trip preserves the mutation.
    std::vector<uint8_t> bytes = serializeProgram(p);
    auto back = deserializeProgram(bytes.data(), bytes.size(), LoadOptions{false});
    ASSERT_TRUE(back);
    EXPECT_FALSE(diffPrograms(p, *back));
  };
  expectDiff([](Program &p) { p.name = "other"; }, "name");
  expectDiff([](Program &p) { p.numSemaphores = 9; }, "numSemaphores");
  expectDiff([](Program &p) { p.tensors[1].data[7] ^= 1; }, "tensors[1].data");
  expectDiff([](Program &p) { p.tensors[1].scaleTensor.reset(); }, "tensors[1].scaleTensor");
  expectDiff([](Program &p) { p.buffers[2].numPartitions = 8; }, "buffers[2].numPartitions");
  expectDiff([](Program &p) { std::get<Matmul>(p.queues[2].instructions[0].body).movingScale->offset = 4; },
             "queues[2].instructions[0].movingScale.offset");
  expectDiff([](Program &p) { std::get<Iota>(p.queues[4].instructions[0].body).multipliers[3] = 1; },
             "queues[4].instructions[0].multipliers[3]");
  expectDiff([](Program &p) { p.queues[1].instructions[1].debug = "x"; },
             "queues[1].instructions[1].debug");
  expectDiff([](Program &p) { p.queues[1].instructions[2].waits[0].value = 2; },
             "queues[1].instructions[2].waits[0].value");
  expectDiff([](Program &p) {
    auto &m = std::get<Memset>(p.queues[1].instructions[0].body);
    m.value = -m.value;
  }, "queues[1].instructions[0].value");
}

TEST(TrnxRoundTrip, MisalignedBufferIsAccepted) {
  std::vector<uint8_t> bytes = serializeProgram(testprog::gemm());
  std::vector<uint8_t> shifted(bytes.size() + 3);
  std::copy(bytes.begin(), bytes.end(), shifted.begin() + 3);
  auto p = deserializeProgram(shifted.data() + 3, bytes.size());
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_FALSE(diffPrograms(*p, testprog::gemm()));
}

TEST(TrnxRoundTrip, FileIdentifierAndVersion) {
  std::vector<uint8_t> bytes = serializeProgram(testprog::gemm());
  ASSERT_GE(bytes.size(), 8u);
  EXPECT_EQ(std::string(bytes.begin() + 8, bytes.begin() + 12), kTrnxMagic); // after the size prefix
  auto v = peekFormatVersion(bytes.data(), bytes.size());
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, kTrnxFormatVersion);
}

TEST(TrnxFile, WriteReadOverwrite) {
  std::string dir = tempDir();
  std::string path = dir + "/g.trnx";
  ASSERT_FALSE(writeProgramFile(testprog::gemm("trn1"), path));
  ASSERT_FALSE(writeProgramFile(testprog::gemm("trn2"), path)); // replaces atomically
  auto p = readProgramFile(path);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_FALSE(diffPrograms(*p, testprog::gemm("trn2")));
  EXPECT_EQ(listDir(dir), std::vector<std::string>{"g.trnx"}); // no temp files left
  // Relative path (no directory part) works too.
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(dir.c_str()), 0);
  EXPECT_FALSE(writeProgramFile(testprog::gemm(), "rel.trnx"));
  ASSERT_EQ(chdir(cwd), 0);
  EXPECT_TRUE(readProgramFile(dir + "/rel.trnx"));
  std::remove((dir + "/rel.trnx").c_str());
  std::remove(path.c_str());
  rmdir(dir.c_str());
}

TEST(TrnxFile, UnwritablePathsLeaveNothingBehind) {
  std::string dir = tempDir();
  // Parent directory missing.
  auto e1 = writeProgramFile(testprog::gemm(), dir + "/missing/g.trnx");
  ASSERT_TRUE(e1);
  EXPECT_EQ(e1->message, "cannot write '" + dir + "/missing/g.trnx': No such file or directory");
  // Parent is a regular file.
  std::string file = dir + "/plain";
  std::ofstream(file) << "x";
  auto e2 = writeProgramFile(testprog::gemm(), file + "/g.trnx");
  ASSERT_TRUE(e2);
  EXPECT_NE(e2->message.find("Not a directory"), std::string::npos) << e2->message;
  // Destination is an existing directory: the rename fails, the temp is removed.
  std::string sub = dir + "/sub";
  ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
  auto e3 = writeProgramFile(testprog::gemm(), sub);
  ASSERT_TRUE(e3);
  EXPECT_EQ(e3->message.rfind("cannot write '" + sub + "': ", 0), 0u) << e3->message;
  auto e4 = writeProgramFile(testprog::gemm(), "");
  ASSERT_TRUE(e4);
  EXPECT_EQ(listDir(dir), (std::vector<std::string>{"plain", "sub"}));
  EXPECT_TRUE(listDir(sub).empty());
  rmdir(sub.c_str());
  std::remove(file.c_str());
  rmdir(dir.c_str());
}

TEST(TrnxFile, ReadErrors) {
  std::string dir = tempDir();
  auto missing = readProgramFile(dir + "/nope.trnx");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, dir + "/nope.trnx: cannot open: No such file or directory");
  auto isDir = readProgramFile(dir);
  ASSERT_FALSE(isDir);
  EXPECT_EQ(isDir.error().message, dir + ": is a directory");
  std::string empty = dir + "/empty.trnx";
  std::ofstream(empty).close();
  auto e = readProgramFile(empty);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, empty + ": empty file (not a .trnx program)");
  std::remove(empty.c_str());
  rmdir(dir.c_str());
}

TEST(Disassembler, AccessPatterns) {
  Program p = testprog::gemm();
  EXPECT_EQ(formatAccessPattern(p, AccessPattern::tile(MemSpace::PSUM, DType::F32, 0x800, 0, 128, {512})),
            "psum[0:128, @0x800, 512xf32]");
  EXPECT_EQ(formatAccessPattern(p, AccessPattern::tile(MemSpace::SBUF, DType::BF16, 0, 64, 32, {4, 8})),
            "sbuf[64:96, @0x0, 4x8xbf16]");
  EXPECT_EQ(formatAccessPattern(p, AccessPattern::hbm(1, DType::BF16, 1024, 128, 512, {512})),
            "hbm:w[0:128 ps=512, @+1024, 512xbf16]");
  AccessPattern strided = AccessPattern::tile(MemSpace::SBUF, DType::I32, 0x3c, 0, 64, {4, 16});
  strided.strides = {16, -1, 0, 0};
  EXPECT_EQ(formatAccessPattern(p, strided), "sbuf[0:64, @0x3c, 4x16xi32, strides=[16,-1]]");
  EXPECT_EQ(formatAccessPattern(p, AccessPattern::hbm(9, DType::F32, 0, 1, 0, {8})),
            "hbm:#9[0:1, @+0, 8xf32]");
}

TEST(Disassembler, Instructions) {
  Program p = testprog::gemm();
  const Queue &pe = p.queues[2];
  ASSERT_EQ(pe.id, kQueuePE);
  EXPECT_EQ(formatInstruction(p, pe.instructions[1]),
            "matmul psum[0:128, @0x0, 512xf32] <- st sbuf[0:128, @0x100, 128xbf16], "
            "mv sbuf[0:128, @0x600, 512xbf16] acc=1 wait(s0>=2, s1>=2) signal(s2)  ; matmul k1");
  Program e = testprog::everyInstruction();
  std::string all = disassembleProgram(e);
  for (const char *needle :
       {"program: every_instruction", "target: trn3", "input  0  x ", "output 1  out_red",
        "constant  f8e4m3[512, 32]  16384 bytes, 16384 data bytes, scales t2",
        "mode=mx st_scale sbuf[0:4, @0x180, 4x32xe8m0]",
        "activation sbuf[0:64, @0x300, 64xbf16] <- gelu(psum[0:64, @0x1000, 64xf32] * "
        "sbuf[0:64, @0x384, 1xf32] + sbuf[0:64, @0x388, 1xf32]) accum sbuf[0:64, @0x380, 1xf32]",
        "<- -0.25 max (sbuf[0:64, @0x384, 1xf32] sub sbuf[0:64, @0x500, 64xf32])",
        "<- -max(sbuf[0:64, @0x600, 4x16xf32], axes=0x2)", "iota sbuf[0:64, @0x400, 4x16xi32] <- "
        "base=3 chan=64 mul=[16,1,0,0]", "memset sbuf[0:64, @0x388, 1xf32] <- -1.25",
        "quantize_mx sbuf[0:128, @0x200, 4x16xf8e4m3], scale sbuf[0:4, @0x240, 4x16xe8m0] <- "
        "sbuf[0:128, @0x0, 4x16xf32]",
        "hbm:scratch[0:64 ps=64, @+0, 2x2x4x4xf8e5m2]", "semaphores: 8",
        "queue dma1 (4 instructions):"})
    EXPECT_NE(all.find(needle), std::string::npos) << needle << "\n" << all;
}

TEST(AccessPatternUtil, RangesAndFootprints) {
  AccessPattern a = AccessPattern::tile(MemSpace::SBUF, DType::F32, 0x100, 32, 32, {4, 16});
  a.strides = {16, -1, 0, 0};
  a.offset = 0x100 + 15 * 4;
  auto span = apFreeSpan(a);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->min, -15);
  EXPECT_EQ(span->max, 48);
  auto r = apByteRange(a);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->begin, 0x100u);
  EXPECT_EQ(r->end, 0x100u + 64 * 4);
  // FP4 rounds out to whole bytes.
  AccessPattern f4 = AccessPattern::tile(MemSpace::SBUF, DType::F4E2M1, 0x10, 0, 1, {3});
  ASSERT_TRUE(apByteRange(f4));
  EXPECT_EQ(apByteRange(f4)->end, 0x12u);
  // Below zero and overflow.
  AccessPattern neg = a;
  neg.offset = 0;
  EXPECT_FALSE(apByteRange(neg));
  AccessPattern huge = a;
  huge.strides = {std::numeric_limits<int64_t>::max(), 1, 0, 0};
  EXPECT_FALSE(apFreeSpan(huge));
  EXPECT_FALSE(apByteRange(huge));
  // HBM element ranges with negative row stride.
  AccessPattern h = AccessPattern::hbm(0, DType::F32, 1000, 4, -100, {10});
  auto er = apHbmElementRange(h);
  ASSERT_TRUE(er);
  EXPECT_EQ(er->min, 700);
  EXPECT_EQ(er->max, 1009);
  auto fh = apFootprint(h);
  ASSERT_TRUE(fh);
  EXPECT_EQ(fh->byteBegin, 2800u);
  EXPECT_EQ(fh->byteEnd, 4040u);
  // Overlap needs the same space (and tensor), partitions and bytes.
  auto fa = apFootprint(a);
  ASSERT_TRUE(fa);
  AccessPattern b = AccessPattern::tile(MemSpace::SBUF, DType::F32, 0x1fc, 63, 1, {1});
  EXPECT_TRUE(footprintsOverlap(*fa, *apFootprint(b)));
  b.startPartition = 64;
  EXPECT_FALSE(footprintsOverlap(*fa, *apFootprint(b)));
  b.startPartition = 63;
  b.offset = 0x200;
  EXPECT_FALSE(footprintsOverlap(*fa, *apFootprint(b)));
  b.offset = 0x1fc;
  b.space = MemSpace::PSUM;
  EXPECT_FALSE(footprintsOverlap(*fa, *apFootprint(b)));
  AccessPattern h2 = AccessPattern::hbm(1, DType::F32, 1000, 4, -100, {10});
  EXPECT_FALSE(footprintsOverlap(*fh, *apFootprint(h2)));
  EXPECT_TRUE(footprintsOverlap(*fh, *apFootprint(h)));
}

TEST(AccessPatternUtil, OperandsInOrder) {
  Program p = testprog::everyInstruction();
  const Instruction &mx = p.queues[2].instructions[0];
  auto ops = instructionOperands(mx);
  ASSERT_EQ(ops.size(), 5u);
  EXPECT_STREQ(ops[0].role, "dst");
  EXPECT_TRUE(ops[0].write);
  EXPECT_STREQ(ops[4].role, "moving_scale");
  EXPECT_FALSE(ops[4].write);
  const Instruction &q = p.queues[1].instructions[2];
  auto qops = instructionOperands(q);
  ASSERT_EQ(qops.size(), 3u);
  EXPECT_TRUE(qops[1].write); // the scale output
  EXPECT_FALSE(qops[2].write);
}
