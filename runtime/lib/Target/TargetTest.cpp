//===- TargetTest.cpp - constants, legality and cost model of the targets -===//
//
// Expected values are computed by hand from HARDWARE.md; the comments show
// the arithmetic so a reviewer can check them without running anything.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/Target.h"

#include <gtest/gtest.h>

using namespace trnrt;

namespace {

constexpr uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

const Target &T(const char *name) {
  const Target *t = Target::get(name);
  EXPECT_NE(t, nullptr) << name;
  return *t;
}

AccessPattern sbuf(DType t, uint32_t parts, std::vector<uint32_t> free,
                   MemSpace space = MemSpace::SBUF) {
  return AccessPattern::tile(space, t, 0, 0, parts, std::move(free));
}

Instruction inst(InstructionBody b) { return Instruction{std::move(b), {}, {}, ""}; }

Instruction matmul(DType t, uint32_t k, uint32_t m, uint32_t n, MatmulMode mode = MatmulMode::Normal) {
  const uint32_t rows = Target::matmulRowsPerPartition(mode);
  Matmul mm;
  mm.dst = sbuf(DType::F32, m, {n}, MemSpace::PSUM);
  mm.stationary = rows == 1 ? sbuf(t, k, {m}) : sbuf(t, k, {rows, m});
  mm.moving = rows == 1 ? sbuf(t, k, {n}) : sbuf(t, k, {rows, n});
  mm.mode = mode;
  return inst(mm);
}

//===----------------------------------------------------------------------===//
// Lookup and constants
//===----------------------------------------------------------------------===//

TEST(Target, Lookup) {
  EXPECT_EQ(Target::names(), (std::vector<std::string>{"trn1", "trn2", "trn3"}));
  for (const std::string &n : Target::names()) {
    const Target *t = Target::get(n);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->name, n);
    EXPECT_EQ(Target::get(n), t) << "lookup must return one shared instance";
  }
  EXPECT_EQ(Target::get("trn4"), nullptr);
  EXPECT_EQ(Target::get("TRN2"), nullptr);
  EXPECT_EQ(Target::get(""), nullptr);
  EXPECT_EQ(T("trn1").neuronCore, "NeuronCore-v2");
  EXPECT_EQ(T("trn2").neuronCore, "NeuronCore-v3");
  EXPECT_EQ(T("trn3").neuronCore, "NeuronCore-v4");
  EXPECT_EQ(T("trn1").generation, 2u);
  EXPECT_EQ(T("trn2").generation, 3u);
  EXPECT_EQ(T("trn3").generation, 4u);
  // The default target of Program is a real target.
  EXPECT_NE(Target::get(Program{}.target), nullptr);
}

TEST(Target, Memories) {
  for (const std::string &n : Target::names()) {
    const Target &t = *Target::get(n);
    EXPECT_EQ(t.numPartitions, 128u);
    EXPECT_EQ(t.psumBanks, 8u);
    EXPECT_EQ(t.psumBankBytes, 2 * KiB);
    EXPECT_EQ(t.psumBytesPerPartition(), 16 * KiB);
    EXPECT_EQ(t.psumBytesPerPartition() * t.numPartitions, 2 * MiB); // [ARCHv2] 2 MiB
    EXPECT_EQ(t.numSemaphores, 256u);
  }
  // SBUF: 24 / 28 / 32 MiB per core.
  EXPECT_EQ(T("trn1").sbufBytesPerPartition * 128, 24 * MiB);
  EXPECT_EQ(T("trn2").sbufBytesPerPartition * 128, 28 * MiB);
  EXPECT_EQ(T("trn3").sbufBytesPerPartition * 128, 32 * MiB);
  EXPECT_EQ(T("trn1").hbmBytesPerChip, 32 * GiB);
  EXPECT_EQ(T("trn2").hbmBytesPerChip, 96 * GiB);
  EXPECT_EQ(T("trn3").hbmBytesPerChip, 144 * GiB);
  EXPECT_DOUBLE_EQ(T("trn1").hbmBandwidthGBps, 820);
  EXPECT_DOUBLE_EQ(T("trn2").hbmBandwidthGBps, 2900);
  EXPECT_DOUBLE_EQ(T("trn3").hbmBandwidthGBps, 4900);
  EXPECT_EQ(T("trn1").coresPerChip, 2u);
  EXPECT_EQ(T("trn2").coresPerChip, 8u);
  EXPECT_EQ(T("trn3").coresPerChip, 8u);
  EXPECT_DOUBLE_EQ(T("trn2").hbmBandwidthPerCoreGBps(), 362.5); // 2900 / 8
}

TEST(Target, EngineClocksAndWidths) {
  const Target &t1 = T("trn1"), &t2 = T("trn2"), &t3 = T("trn3");
  EXPECT_DOUBLE_EQ(t1.pe.clockGHz, 2.8);
  EXPECT_DOUBLE_EQ(t1.dve.clockGHz, 1.12);
  EXPECT_DOUBLE_EQ(t1.act.clockGHz, 1.4);
  EXPECT_DOUBLE_EQ(t1.pool.clockGHz, 1.4);
  EXPECT_DOUBLE_EQ(t2.pe.clockGHz, 2.4);
  EXPECT_DOUBLE_EQ(t2.dve.clockGHz, 0.96);
  EXPECT_DOUBLE_EQ(t2.act.clockGHz, 1.2);
  EXPECT_DOUBLE_EQ(t2.pool.clockGHz, 1.2);
  EXPECT_DOUBLE_EQ(t3.pe.clockGHz, 2.4);
  EXPECT_DOUBLE_EQ(t3.dve.clockGHz, 1.2);
  EXPECT_DOUBLE_EQ(t3.act.clockGHz, 1.2);
  EXPECT_DOUBLE_EQ(t3.pool.clockGHz, 1.2);

  // v2: 128 elements/cycle everywhere.
  for (Engine e : {Engine::ACT, Engine::DVE, Engine::POOL})
    for (DType d : {DType::BF16, DType::F32, DType::F8E4M3})
      EXPECT_DOUBLE_EQ(t1.engine(e).widthFactor({d}), 1.0);
  // v3 VectorE: 512 bf16 / 256 other => 4x / 2x; ScalarE stays 128.
  EXPECT_DOUBLE_EQ(t2.dve.widthFactor({DType::BF16}), 4.0);
  EXPECT_DOUBLE_EQ(t2.dve.widthFactor({DType::BF16, DType::BF16}), 4.0);
  EXPECT_DOUBLE_EQ(t2.dve.widthFactor({DType::BF16, DType::F32}), 2.0);
  EXPECT_DOUBLE_EQ(t2.dve.widthFactor({DType::F8E4M3}), 2.0);
  EXPECT_DOUBLE_EQ(t2.dve.widthFactor({DType::F32}), 2.0);
  EXPECT_DOUBLE_EQ(t2.act.widthFactor({DType::BF16}), 1.0);
  // v4: VectorE 512 bf16-fp8 / 256 other; ScalarE 256 bf16-fp8 / 128 other.
  EXPECT_DOUBLE_EQ(t3.dve.widthFactor({DType::F8E5M2, DType::BF16}), 4.0);
  EXPECT_DOUBLE_EQ(t3.dve.widthFactor({DType::F16}), 2.0);
  EXPECT_DOUBLE_EQ(t3.act.widthFactor({DType::BF16, DType::F8E4M3}), 2.0);
  EXPECT_DOUBLE_EQ(t3.act.widthFactor({DType::F32}), 1.0);
  EXPECT_DOUBLE_EQ(t3.pool.widthFactor({DType::BF16}), 1.0);

  EXPECT_EQ(&t2.engine(Engine::PE), &t2.pe);
  EXPECT_EQ(&t2.engine(Engine::ACT), &t2.act);
  EXPECT_EQ(&t2.engine(Engine::DVE), &t2.dve);
  EXPECT_EQ(&t2.engine(Engine::POOL), &t2.pool);
  EXPECT_DOUBLE_EQ(t2.engine(Engine::DMA).clockGHz, 1.0); // DMA priced in ns
}

TEST(Target, FixedCostsAndApLimits) {
  for (const std::string &n : Target::names()) {
    const Target &t = *Target::get(n);
    EXPECT_EQ(t.minII, 64u);
    EXPECT_EQ(t.sramAccessCycles, 60u);
    EXPECT_EQ(t.dveStaticOverheadCycles, 100u);
    EXPECT_EQ(t.gpsimdFixedCycles, 150u);
    EXPECT_EQ(t.maxFreeDims, kMaxFreeDims);
    EXPECT_EQ(t.maxFreeElemsSbuf, 65536u);
    EXPECT_EQ(t.maxFreeElemsPsum, 4096u);
    EXPECT_EQ(t.maxApSize, 65535u);
    EXPECT_EQ(t.maxApStride, 32767);
    EXPECT_EQ(t.dma.numEngines, 16u);
    EXPECT_EQ(t.dma.numEngines, kMaxDmaQueues);
    EXPECT_EQ(t.dma.queuesPerEngine, 16u);
    EXPECT_DOUBLE_EQ(t.dma.fixedLatencyNs, 1300);
    EXPECT_DOUBLE_EQ(t.dma.descriptorNs, 600);
    EXPECT_EQ(t.dma.efficientBytesPerPartition, 2048u);
    EXPECT_EQ(t.dma.fullRateBytesPerPartition, 4096u);
  }
  EXPECT_DOUBLE_EQ(T("trn1").dma.bandwidthGBps, 272);
  EXPECT_DOUBLE_EQ(T("trn2").dma.bandwidthGBps, 368);
  EXPECT_DOUBLE_EQ(T("trn3").dma.bandwidthGBps, 528);
  EXPECT_DOUBLE_EQ(T("trn1").dma.queueBytesPerNs(), 17); // [TRN1] 17 B/ns per engine
  EXPECT_DOUBLE_EQ(T("trn2").dma.queueBytesPerNs(), 23); // 368 / 16
  EXPECT_DOUBLE_EQ(T("trn3").dma.queueBytesPerNs(), 33); // 528 / 16
}

//===----------------------------------------------------------------------===//
// Matmul limits and modes
//===----------------------------------------------------------------------===//

TEST(Target, MatmulModesAndLimits) {
  const Target &t1 = T("trn1"), &t2 = T("trn2"), &t3 = T("trn3");
  EXPECT_EQ(Target::matmulRowsPerPartition(MatmulMode::Normal), 1u);
  EXPECT_EQ(Target::matmulRowsPerPartition(MatmulMode::Fp8DoubleRow), 2u);
  EXPECT_EQ(Target::matmulRowsPerPartition(MatmulMode::Mx), 4u);
  EXPECT_EQ(t2.maxContraction(MatmulMode::Normal), 128u);
  EXPECT_EQ(t2.maxContraction(MatmulMode::Fp8DoubleRow), 256u);
  EXPECT_EQ(t3.maxContraction(MatmulMode::Mx), 512u);

  EXPECT_TRUE(t1.supportsMatmulMode(MatmulMode::Normal));
  EXPECT_FALSE(t1.supportsMatmulMode(MatmulMode::Fp8DoubleRow));
  EXPECT_FALSE(t1.supportsMatmulMode(MatmulMode::Mx));
  EXPECT_TRUE(t2.supportsMatmulMode(MatmulMode::Fp8DoubleRow));
  EXPECT_FALSE(t2.supportsMatmulMode(MatmulMode::Mx));
  EXPECT_TRUE(t3.supportsMatmulMode(MatmulMode::Fp8DoubleRow));
  EXPECT_TRUE(t3.supportsMatmulMode(MatmulMode::Mx));
  EXPECT_FALSE(t1.hasQuantizeMx);
  EXPECT_FALSE(t2.hasQuantizeMx);
  EXPECT_TRUE(t3.hasQuantizeMx);

  for (const Target *t : {&t1, &t2, &t3}) {
    EXPECT_EQ(t->maxStationaryFree, 128u);
    EXPECT_EQ(t->maxMovingFree, 512u);
    EXPECT_EQ(t->peRows, 128u);
    EXPECT_EQ(t->peCols, 128u);
    // One fp32 PSUM bank holds exactly maxMovingFree results.
    EXPECT_EQ(t->maxMovingFree * 4, t->psumBankBytes);
  }
  EXPECT_EQ(t2.maxMovingFreeFor(DType::F32), 512u);
  EXPECT_EQ(t2.maxMovingFreeFor(DType::BF16), 512u);
  EXPECT_EQ(t3.maxMovingFreeFor(DType::F32), 4096u);
  EXPECT_EQ(t3.maxMovingFreeFor(DType::BF16), 8192u);
  // v4's limits fill a whole PSUM partition.
  EXPECT_EQ(t3.maxMovingFreeFor(DType::F32) * 4, t3.psumBytesPerPartition());
  EXPECT_EQ(t3.maxMovingFreeFor(DType::BF16) * 2, t3.psumBytesPerPartition());

  EXPECT_TRUE(t2.isLegalMatmulOutput(DType::F32));
  EXPECT_FALSE(t2.isLegalMatmulOutput(DType::BF16));
  EXPECT_TRUE(t3.isLegalMatmulOutput(DType::BF16));
  EXPECT_FALSE(t3.isLegalMatmulOutput(DType::F16));
}

TEST(Target, MatmulOperandLegality) {
  const Target &t1 = T("trn1"), &t2 = T("trn2"), &t3 = T("trn3");
  for (const Target *t : {&t1, &t2, &t3}) {
    for (DType d : {DType::F32, DType::BF16, DType::F16, DType::F8E4M3, DType::F8E5M2})
      EXPECT_TRUE(t->isLegalMatmulOperand(MatmulMode::Normal, d)) << t->name << dtypeName(d);
    for (DType d : {DType::F4E2M1, DType::E8M0, DType::I8, DType::I32})
      EXPECT_FALSE(t->isLegalMatmulOperand(MatmulMode::Normal, d)) << t->name << dtypeName(d);
  }
  EXPECT_FALSE(t1.isLegalMatmulOperand(MatmulMode::Fp8DoubleRow, DType::F8E4M3));
  EXPECT_TRUE(t2.isLegalMatmulOperand(MatmulMode::Fp8DoubleRow, DType::F8E4M3));
  EXPECT_TRUE(t2.isLegalMatmulOperand(MatmulMode::Fp8DoubleRow, DType::F8E5M2));
  EXPECT_FALSE(t2.isLegalMatmulOperand(MatmulMode::Fp8DoubleRow, DType::BF16));
  EXPECT_FALSE(t2.isLegalMatmulOperand(MatmulMode::Mx, DType::F8E4M3));
  EXPECT_TRUE(t3.isLegalMatmulOperand(MatmulMode::Mx, DType::F4E2M1));
  EXPECT_TRUE(t3.isLegalMatmulOperand(MatmulMode::Mx, DType::F8E5M2));
  EXPECT_FALSE(t3.isLegalMatmulOperand(MatmulMode::Mx, DType::BF16));
  EXPECT_FALSE(t3.isLegalMatmulOperand(MatmulMode::Mx, DType::E8M0));
  EXPECT_TRUE(t3.isLegalMatmulScale(MatmulMode::Mx, DType::E8M0));
  EXPECT_FALSE(t3.isLegalMatmulScale(MatmulMode::Normal, DType::E8M0));
  EXPECT_FALSE(t3.isLegalMatmulScale(MatmulMode::Mx, DType::F8E4M3));
  EXPECT_FALSE(t2.isLegalMatmulScale(MatmulMode::Mx, DType::E8M0));
}

TEST(Target, EngineDTypeLegality) {
  const Target &t1 = T("trn1"), &t2 = T("trn2"), &t3 = T("trn3");
  // Rows: dtypes in enum order; columns: PE ACT DVE POOL DMA, for trn1/trn2
  // (identical) and trn3.
  const bool v2v3[kNumDTypes][5] = {
      {1, 1, 1, 1, 1}, // f32
      {1, 1, 1, 1, 1}, // bf16
      {1, 1, 1, 1, 1}, // f16
      {1, 1, 1, 0, 1}, // f8e4m3
      {1, 1, 1, 0, 1}, // f8e5m2
      {0, 0, 0, 0, 1}, // f4e2m1
      {0, 0, 0, 0, 1}, // e8m0
      {0, 1, 1, 1, 1}, // i32
      {0, 1, 1, 1, 1}, // u32
      {0, 1, 1, 1, 1}, // i8
      {0, 1, 1, 1, 1}, // u8
  };
  const Engine engines[] = {Engine::PE, Engine::ACT, Engine::DVE, Engine::POOL, Engine::DMA};
  for (int d = 0; d < kNumDTypes; ++d) {
    for (int e = 0; e < 5; ++e) {
      const DType dt = static_cast<DType>(d);
      EXPECT_EQ(t1.engineSupportsDType(engines[e], dt), v2v3[d][e])
          << "trn1 " << engineName(engines[e]) << " " << dtypeName(dt);
      EXPECT_EQ(t2.engineSupportsDType(engines[e], dt), v2v3[d][e])
          << "trn2 " << engineName(engines[e]) << " " << dtypeName(dt);
      bool v4 = v2v3[d][e];
      if (dt == DType::F4E2M1 && engines[e] == Engine::PE)
        v4 = true; // MXFP4 matmul operand
      if (dt == DType::E8M0 && (engines[e] == Engine::PE || engines[e] == Engine::DVE))
        v4 = true; // MX scale operand / QuantizeMX scale output
      EXPECT_EQ(t3.engineSupportsDType(engines[e], dt), v4)
          << "trn3 " << engineName(engines[e]) << " " << dtypeName(dt);
    }
  }
}

//===----------------------------------------------------------------------===//
// Start-partition rule
//===----------------------------------------------------------------------===//

TEST(Target, PartitionRuleTable) {
  const Target &t = T("trn2");
  // Independent statement of [ARCHv2]: 65-128 at 0; 33-64 at 0 or 64; 1-32
  // at 0/32/64/96; and the range must fit in 128 partitions.
  for (uint32_t count = 0; count <= 130; ++count) {
    for (uint32_t start = 0; start < 130; ++start) {
      bool legal = false;
      if (count >= 1 && count <= 128 && start + count <= 128) {
        if (count > 64)
          legal = start == 0;
        else if (count > 32)
          legal = start == 0 || start == 64;
        else
          legal = start % 32 == 0;
      }
      EXPECT_EQ(t.isLegalPartitionRange(start, count), legal) << start << "+" << count;
    }
  }
  EXPECT_EQ(t.legalStarts(128), (std::vector<uint32_t>{0}));
  EXPECT_EQ(t.legalStarts(65), (std::vector<uint32_t>{0}));
  EXPECT_EQ(t.legalStarts(64), (std::vector<uint32_t>{0, 64}));
  EXPECT_EQ(t.legalStarts(33), (std::vector<uint32_t>{0, 64}));
  EXPECT_EQ(t.legalStarts(32), (std::vector<uint32_t>{0, 32, 64, 96}));
  EXPECT_EQ(t.legalStarts(1), (std::vector<uint32_t>{0, 32, 64, 96}));
  EXPECT_TRUE(t.legalStarts(0).empty());
  EXPECT_TRUE(t.legalStarts(129).empty());
  EXPECT_EQ(t.legalStartsFor(100), "0");
  EXPECT_EQ(t.legalStartsFor(48), "0 or 64");
  EXPECT_EQ(t.legalStartsFor(7), "0, 32, 64 or 96");
  EXPECT_EQ(t.legalStartsFor(0), "none (1 to 128 partitions)");
}

//===----------------------------------------------------------------------===//
// Cost model: TensorE
//===----------------------------------------------------------------------===//

TEST(Cost, MatmulCycles) {
  const Target &t = T("trn2");
  // max(min(64, M), N)
  EXPECT_DOUBLE_EQ(t.cycles(matmul(DType::BF16, 128, 128, 512), kQueuePE), 512);
  EXPECT_DOUBLE_EQ(t.cycles(matmul(DType::BF16, 128, 128, 16), kQueuePE), 64);
  EXPECT_DOUBLE_EQ(t.cycles(matmul(DType::BF16, 128, 32, 16), kQueuePE), 32);
  EXPECT_DOUBLE_EQ(t.cycles(matmul(DType::F16, 64, 100, 80), kQueuePE), 80);
  EXPECT_DOUBLE_EQ(t.cycles(matmul(DType::F8E4M3, 128, 128, 300), kQueuePE), 300);
  // fp32: 4x.
  EXPECT_DOUBLE_EQ(t.cycles(matmul(DType::F32, 128, 128, 512), kQueuePE), 2048);
  EXPECT_DOUBLE_EQ(t.cycles(matmul(DType::F32, 128, 8, 4), kQueuePE), 32);
  // Double-row and MX: same cycles for 2x/4x the contraction.
  EXPECT_DOUBLE_EQ(t.cycles(matmul(DType::F8E4M3, 128, 128, 512, MatmulMode::Fp8DoubleRow), kQueuePE),
                   512);
  EXPECT_DOUBLE_EQ(T("trn3").cycles(matmul(DType::F8E4M3, 128, 128, 512, MatmulMode::Mx), kQueuePE),
                   512);
  // ns = cycles / 2.4 GHz.
  EXPECT_DOUBLE_EQ(t.durationNs(matmul(DType::BF16, 128, 128, 512), kQueuePE), 512 / 2.4);
  EXPECT_DOUBLE_EQ(T("trn1").durationNs(matmul(DType::BF16, 128, 128, 512), kQueuePE), 512 / 2.8);
}

TEST(Cost, MatmulFlops) {
  EXPECT_DOUBLE_EQ(Target::flops(matmul(DType::BF16, 128, 128, 512)), 2.0 * 128 * 128 * 512);
  EXPECT_DOUBLE_EQ(Target::flops(matmul(DType::BF16, 64, 32, 10)), 2.0 * 64 * 32 * 10);
  EXPECT_DOUBLE_EQ(Target::flops(matmul(DType::F8E4M3, 128, 128, 512, MatmulMode::Fp8DoubleRow)),
                   2.0 * 256 * 128 * 512);
  EXPECT_DOUBLE_EQ(Target::flops(matmul(DType::F8E4M3, 128, 128, 512, MatmulMode::Mx)),
                   2.0 * 512 * 128 * 512);
  Transpose tr{sbuf(DType::BF16, 64, {128}, MemSpace::PSUM), sbuf(DType::BF16, 128, {64})};
  EXPECT_DOUBLE_EQ(Target::flops(inst(tr)), 0.0);
  EXPECT_DOUBLE_EQ(Target::flops(inst(Memset{sbuf(DType::F32, 128, {64}), 0.0f})), 0.0);
}

/// Full-tile matmuls reproduce the published per-core TFLOPS: the tables
/// round to whole TFLOPS, so the model must be within 1 TFLOPS.
TEST(Cost, TflopsConsistency) {
  struct Case {
    const char *target;
    DType dtype;
    MatmulMode mode;
    double tableTflops;
  } cases[] = {
      {"trn1", DType::BF16, MatmulMode::Normal, 92},     // 128*128*2*2.8 = 91.75
      {"trn1", DType::F8E4M3, MatmulMode::Normal, 92},   // fp8 at the bf16 rate on v2
      {"trn1", DType::F32, MatmulMode::Normal, 23},      // 91.75 / 4 = 22.9
      {"trn2", DType::BF16, MatmulMode::Normal, 79},     // 128*128*2*2.4 = 78.6
      {"trn2", DType::F8E4M3, MatmulMode::Fp8DoubleRow, 158}, // 2 x 78.6 = 157.3
      {"trn2", DType::F32, MatmulMode::Normal, 20},      // 78.6 / 4 = 19.7
      {"trn3", DType::BF16, MatmulMode::Normal, 79},
      {"trn3", DType::F8E4M3, MatmulMode::Mx, 315},      // 4 x 78.6 = 314.6
      {"trn3", DType::F32, MatmulMode::Normal, 20},
  };
  for (const Case &c : cases) {
    const Target &t = T(c.target);
    const unsigned k = t.maxContraction(c.mode);
    const Instruction mm = matmul(c.dtype, 128, 128, 512, c.mode);
    EXPECT_DOUBLE_EQ(Target::flops(mm), 2.0 * k * 128 * 512);
    const double tflops = Target::flops(mm) / t.durationNs(mm, kQueuePE) / 1000.0;
    EXPECT_NEAR(tflops, c.tableTflops, 1.0) << c.target << " " << dtypeName(c.dtype);
    EXPECT_NEAR(t.peakTensorFlopsPerNs(c.mode, c.dtype) / 1000.0, tflops, 1e-9);
  }
  // The target's own peak fields agree with the model too.
  for (const std::string &n : Target::names()) {
    const Target &t = *Target::get(n);
    EXPECT_NEAR(t.peakTensorFlopsPerNs(MatmulMode::Normal, DType::BF16) / 1000, t.peakBf16TFlops, 1);
    EXPECT_NEAR(t.peakTensorFlopsPerNs(MatmulMode::Normal, DType::F32) / 1000, t.peakFp32TFlops, 1);
  }
  EXPECT_NEAR(T("trn2").peakTensorFlopsPerNs(MatmulMode::Fp8DoubleRow, DType::F8E4M3) / 1000,
              T("trn2").peakFp8TFlops, 1);
  EXPECT_NEAR(T("trn3").peakTensorFlopsPerNs(MatmulMode::Mx, DType::F8E4M3) / 1000,
              T("trn3").peakFp8TFlops, 1);
  // Unsupported mode: no throughput.
  EXPECT_EQ(T("trn1").peakTensorFlopsPerNs(MatmulMode::Fp8DoubleRow, DType::F8E4M3), 0.0);
  EXPECT_EQ(T("trn2").peakTensorFlopsPerNs(MatmulMode::Mx, DType::F8E4M3), 0.0);
}

TEST(Cost, TransposeCycles) {
  const Target &t = T("trn2");
  // max(P, min(64, F)) for src [P, F].
  Transpose a{sbuf(DType::BF16, 32, {128}, MemSpace::PSUM), sbuf(DType::BF16, 128, {32})};
  EXPECT_DOUBLE_EQ(t.cycles(inst(a), kQueuePE), 128);
  Transpose b{sbuf(DType::BF16, 512, {16}, MemSpace::PSUM), sbuf(DType::BF16, 16, {512})};
  EXPECT_DOUBLE_EQ(t.cycles(inst(b), kQueuePE), 64);
  Transpose c{sbuf(DType::BF16, 40, {8}, MemSpace::PSUM), sbuf(DType::BF16, 8, {40})};
  EXPECT_DOUBLE_EQ(t.cycles(inst(c), kQueuePE), 40);
}

//===----------------------------------------------------------------------===//
// Cost model: ScalarE / VectorE / GpSimd
//===----------------------------------------------------------------------===//

Instruction activation(DType in, DType out, uint32_t n, bool accum = false) {
  Activation a;
  a.src = sbuf(in, 128, {n});
  a.dst = sbuf(out, 128, {n});
  a.func = ActFunc::Exp;
  if (accum)
    a.accumDst = sbuf(DType::F32, 128, {1});
  return inst(a);
}

TEST(Cost, Activation) {
  const Target &t1 = T("trn1"), &t2 = T("trn2"), &t3 = T("trn3");
  EXPECT_DOUBLE_EQ(t1.cycles(activation(DType::F32, DType::F32, 1024), kQueueACT), 1024);
  EXPECT_DOUBLE_EQ(t1.cycles(activation(DType::F32, DType::F32, 1024, true), kQueueACT), 1088);
  EXPECT_DOUBLE_EQ(t1.cycles(activation(DType::F32, DType::F32, 10), kQueueACT), 64);  // MIN_II
  EXPECT_DOUBLE_EQ(t1.cycles(activation(DType::F32, DType::F32, 10, true), kQueueACT), 128);
  EXPECT_DOUBLE_EQ(t1.durationNs(activation(DType::F32, DType::F32, 1024), kQueueACT), 1024 / 1.4);
  // v3 ScalarE is 128 wide for every dtype.
  EXPECT_DOUBLE_EQ(t2.cycles(activation(DType::BF16, DType::BF16, 1024), kQueueACT), 1024);
  EXPECT_DOUBLE_EQ(t2.durationNs(activation(DType::BF16, DType::BF16, 1024), kQueueACT), 1024 / 1.2);
  // v4 ScalarE: 256 bf16-fp8 => N/2 when input and output are narrow.
  EXPECT_DOUBLE_EQ(t3.cycles(activation(DType::BF16, DType::F8E4M3, 1024), kQueueACT), 512);
  EXPECT_DOUBLE_EQ(t3.cycles(activation(DType::BF16, DType::F32, 1024), kQueueACT), 1024);
  EXPECT_DOUBLE_EQ(t3.cycles(activation(DType::BF16, DType::BF16, 100), kQueueACT), 64);
}

TEST(Cost, TensorScalarAndCopy) {
  const Target &t1 = T("trn1"), &t2 = T("trn2");
  TensorScalar ts;
  ts.src = sbuf(DType::BF16, 128, {1024});
  ts.dst = sbuf(DType::BF16, 128, {1024});
  ts.op0 = AluOp::Mul;
  EXPECT_DOUBLE_EQ(t1.cycles(inst(ts), kQueueDVE), 1024);
  EXPECT_DOUBLE_EQ(t2.cycles(inst(ts), kQueueDVE), 256);  // 1024 / 4
  EXPECT_DOUBLE_EQ(t2.durationNs(inst(ts), kQueueDVE), 256 / 0.96);
  EXPECT_DOUBLE_EQ(t2.cycles(inst(ts), kQueuePOOL), 1024); // GpSimd is 128 wide
  ts.dst.dtype = DType::F32;
  EXPECT_DOUBLE_EQ(t2.cycles(inst(ts), kQueueDVE), 512);  // mixed => 1024 / 2
  ts.src = sbuf(DType::F32, 128, {100});
  ts.dst = sbuf(DType::F32, 128, {100});
  EXPECT_DOUBLE_EQ(t2.cycles(inst(ts), kQueueDVE), 64);   // max(64, 50)

  TensorCopy tc{sbuf(DType::BF16, 128, {2048}), sbuf(DType::F32, 128, {2048})};
  EXPECT_DOUBLE_EQ(t1.cycles(inst(tc), kQueueDVE), 2048);
  EXPECT_DOUBLE_EQ(t2.cycles(inst(tc), kQueueDVE), 1024);
  EXPECT_DOUBLE_EQ(t2.cycles(inst(tc), kQueueACT), 2048);
}

Instruction tensorTensor(DType t, uint32_t n, AluOp op, MemSpace in1Space = MemSpace::SBUF) {
  TensorTensor tt;
  tt.dst = sbuf(t, 128, {n});
  tt.in0 = sbuf(t, 128, {n});
  tt.in1 = sbuf(t, 128, {n}, in1Space);
  tt.op = op;
  return inst(tt);
}

TEST(Cost, TensorTensor) {
  const Target &t1 = T("trn1"), &t2 = T("trn2");
  // General case: max(MIN_II, 2N).
  EXPECT_DOUBLE_EQ(t1.cycles(tensorTensor(DType::F32, 1024, AluOp::Add), kQueueDVE), 2048);
  EXPECT_DOUBLE_EQ(t1.cycles(tensorTensor(DType::F32, 20, AluOp::Add), kQueueDVE), 64);
  // An input in PSUM: max(MIN_II, N).
  EXPECT_DOUBLE_EQ(t1.cycles(tensorTensor(DType::F32, 1024, AluOp::Add, MemSpace::PSUM), kQueueDVE),
                   1024);
  // Contiguous bf16 add/mul/sub: N; other ops 2N.
  EXPECT_DOUBLE_EQ(t1.cycles(tensorTensor(DType::BF16, 1024, AluOp::Add), kQueueDVE), 1024);
  EXPECT_DOUBLE_EQ(t1.cycles(tensorTensor(DType::BF16, 1024, AluOp::Sub), kQueueDVE), 1024);
  EXPECT_DOUBLE_EQ(t1.cycles(tensorTensor(DType::BF16, 1024, AluOp::Mul), kQueueDVE), 1024);
  EXPECT_DOUBLE_EQ(t1.cycles(tensorTensor(DType::BF16, 1024, AluOp::Max), kQueueDVE), 2048);
  // Strided bf16 add loses the fast path.
  Instruction strided = tensorTensor(DType::BF16, 1024, AluOp::Add);
  std::get<TensorTensor>(strided.body).in1.strides[0] = 2;
  EXPECT_DOUBLE_EQ(t1.cycles(strided, kQueueDVE), 2048);
  // A [P, 4, 256] view that is dense is still contiguous.
  Instruction dense4 = tensorTensor(DType::BF16, 1024, AluOp::Add);
  auto &tt = std::get<TensorTensor>(dense4.body);
  tt.in0 = sbuf(DType::BF16, 128, {4, 256});
  EXPECT_DOUBLE_EQ(t1.cycles(dense4, kQueueDVE), 1024);
  // v3 VectorE widths: bf16 N/4, fp32 2N/2.
  EXPECT_DOUBLE_EQ(t2.cycles(tensorTensor(DType::BF16, 1024, AluOp::Add), kQueueDVE), 256);
  EXPECT_DOUBLE_EQ(t2.cycles(tensorTensor(DType::F32, 1024, AluOp::Add), kQueueDVE), 1024);
  EXPECT_DOUBLE_EQ(t2.cycles(tensorTensor(DType::F32, 1024, AluOp::Add, MemSpace::PSUM), kQueueDVE),
                   512);
}

Instruction reduce(DType t, uint32_t n, AluOp op) {
  TensorReduce r;
  r.src = sbuf(t, 128, {n});
  r.dst = sbuf(t, 128, {1});
  r.op = op;
  r.axisMask = 1;
  return inst(r);
}

TEST(Cost, TensorReduce) {
  const Target &t1 = T("trn1"), &t2 = T("trn2");
  EXPECT_DOUBLE_EQ(t1.cycles(reduce(DType::BF16, 1024, AluOp::Add), kQueueDVE), 512);
  EXPECT_DOUBLE_EQ(t1.cycles(reduce(DType::BF16, 1024, AluOp::Max), kQueueDVE), 512);
  EXPECT_DOUBLE_EQ(t1.cycles(reduce(DType::BF16, 1024, AluOp::Min), kQueueDVE), 1024);
  EXPECT_DOUBLE_EQ(t1.cycles(reduce(DType::F32, 1024, AluOp::Add), kQueueDVE), 1024);
  EXPECT_DOUBLE_EQ(t1.cycles(reduce(DType::BF16, 64, AluOp::Add), kQueueDVE), 64); // MIN_II
  // v3: the 4x bf16 width supersedes (does not compound with) the 2x.
  EXPECT_DOUBLE_EQ(t2.cycles(reduce(DType::BF16, 1024, AluOp::Add), kQueueDVE), 256);
  EXPECT_DOUBLE_EQ(t2.cycles(reduce(DType::BF16, 1024, AluOp::Min), kQueueDVE), 256);
  EXPECT_DOUBLE_EQ(t2.cycles(reduce(DType::F32, 1024, AluOp::Add), kQueueDVE), 512);
}

TEST(Cost, Memset) {
  const Target &t1 = T("trn1"), &t2 = T("trn2");
  EXPECT_DOUBLE_EQ(t1.cycles(inst(Memset{sbuf(DType::BF16, 128, {1024}), 0.0f}), kQueueDVE), 512);
  EXPECT_DOUBLE_EQ(t1.cycles(inst(Memset{sbuf(DType::F16, 128, {1024}), 0.0f}), kQueueDVE), 512);
  EXPECT_DOUBLE_EQ(t1.cycles(inst(Memset{sbuf(DType::BF16, 128, {1024}), 1.0f}), kQueueDVE), 1024);
  EXPECT_DOUBLE_EQ(t1.cycles(inst(Memset{sbuf(DType::F32, 128, {1024}), 0.0f}), kQueueDVE), 1024);
  EXPECT_DOUBLE_EQ(t1.cycles(inst(Memset{sbuf(DType::F32, 128, {8}), 0.0f}), kQueueDVE), 64);
  EXPECT_DOUBLE_EQ(t2.cycles(inst(Memset{sbuf(DType::F32, 128, {1024}), 0.0f}), kQueueDVE), 512);
  EXPECT_DOUBLE_EQ(t2.cycles(inst(Memset{sbuf(DType::F32, 128, {1024}), 0.0f}), kQueuePOOL), 1024);
}

TEST(Cost, GpSimdIotaSelect) {
  const Target &t2 = T("trn2");
  Iota io;
  io.dst = sbuf(DType::I32, 128, {1000});
  EXPECT_DOUBLE_EQ(t2.cycles(inst(io), kQueuePOOL), 1150); // 150 + N
  EXPECT_DOUBLE_EQ(t2.durationNs(inst(io), kQueuePOOL), 1150 / 1.2);
  Select s{sbuf(DType::F32, 128, {10}), sbuf(DType::F32, 128, {10}), sbuf(DType::F32, 128, {10}),
           sbuf(DType::F32, 128, {10})};
  EXPECT_DOUBLE_EQ(t2.cycles(inst(s), kQueuePOOL), 160);
  EXPECT_DOUBLE_EQ(T("trn1").durationNs(inst(s), kQueuePOOL), 160 / 1.4);
}

TEST(Cost, QuantizeMx) {
  // Derived: two passes at the v4 VectorE bf16-fp8 width (4x): 2 * 1024 / 4.
  QuantizeMx q{sbuf(DType::F8E4M3, 128, {1024}), sbuf(DType::E8M0, 4, {1024}),
               sbuf(DType::BF16, 128, {1024})};
  EXPECT_DOUBLE_EQ(T("trn3").cycles(inst(q), kQueueDVE), 512);
  q.src.dtype = DType::F32;
  EXPECT_DOUBLE_EQ(T("trn3").cycles(inst(q), kQueueDVE), 1024);
}

//===----------------------------------------------------------------------===//
// Cost model: DMA
//===----------------------------------------------------------------------===//

TEST(Dma, Efficiency) {
  const DmaModel &d = T("trn2").dma;
  EXPECT_DOUBLE_EQ(d.efficiency(4096), 1.0);
  EXPECT_DOUBLE_EQ(d.efficiency(65536), 1.0);
  EXPECT_DOUBLE_EQ(d.efficiency(2048), 0.5);
  EXPECT_DOUBLE_EQ(d.efficiency(3072), 0.75);
  // Below 2 KiB: the 2 KiB rate down to minRunBytes (512, calibrated on the
  // NKI matmul tutorial), then a per-run cost of a 512 B run.
  EXPECT_EQ(d.minRunBytes, 512u);
  EXPECT_DOUBLE_EQ(d.efficiency(1024), 0.5);
  EXPECT_DOUBLE_EQ(d.efficiency(512), 0.5);
  EXPECT_DOUBLE_EQ(d.efficiency(256), 0.25);
  EXPECT_DOUBLE_EQ(d.efficiency(4), 0.5 * 4 / 512);
}

TEST(Dma, ContiguousRuns) {
  EXPECT_EQ(Target::contiguousRunBytes(sbuf(DType::F32, 64, {4, 8})), 128u);
  EXPECT_EQ(Target::contiguousRunBytes(AccessPattern::hbm(0, DType::F32, 0, 4, 1000, {4, 8}, {16, 1})),
            32u); // rows of 8 with a gap after each
  EXPECT_EQ(Target::contiguousRunBytes(AccessPattern::hbm(0, DType::BF16, 0, 4, 1000, {8}, {2})), 2u);
  EXPECT_EQ(Target::contiguousRunBytes(sbuf(DType::F4E2M1, 128, {4096})), 2048u);
  AccessPattern bcast = sbuf(DType::F32, 128, {16, 32});
  bcast.strides[0] = 0; // broadcast outer dim: runs of 32 elements
  EXPECT_EQ(Target::contiguousRunBytes(bcast), 128u);
}

TEST(Dma, DurationHandComputed) {
  const Target &t2 = T("trn2");
  const QueueId q = kFirstDmaQueue + 3;
  // HBM [128 x 2048] f32 -> SBUF: 8 KiB contiguous per partition (full rate),
  // 1 MiB total at 23 B/ns + 600 ns descriptors.
  DmaCopy big{sbuf(DType::F32, 128, {2048}), AccessPattern::hbm(0, DType::F32, 0, 128, 2048, {2048})};
  Instruction i = inst(big);
  EXPECT_NEAR(t2.durationNs(i, q), 600 + 1048576.0 / 23, 1e-6);
  EXPECT_NEAR(t2.durationNs(i, q, true), 1300 + 600 + 1048576.0 / 23, 1e-6);
  EXPECT_DOUBLE_EQ(t2.cycles(i, q), t2.durationNs(i, q)); // DMA cycles are ns
  // The default overload charges the trigger latency iff the DMA waits.
  i.waits.push_back(SemWait{0, 1});
  EXPECT_NEAR(t2.durationNs(i, q), 1300 + 600 + 1048576.0 / 23, 1e-6);

  // 1 KiB per partition (512 bf16): efficiency 0.5 (the 2 KiB rate).
  DmaCopy small{sbuf(DType::BF16, 128, {512}), AccessPattern::hbm(0, DType::BF16, 0, 128, 4096, {512})};
  EXPECT_NEAR(t2.durationNs(inst(small), q), 600 + 131072.0 / (23 * 0.5), 1e-6);

  // Transposing gather: HBM innermost stride 128 => 4-byte runs.
  DmaCopy gather{sbuf(DType::F32, 128, {64}), AccessPattern::hbm(0, DType::F32, 0, 128, 1, {64}, {128})};
  EXPECT_NEAR(t2.durationNs(inst(gather), q), 600 + 32768.0 / (23 * 0.5 * 4.0 / 512), 1e-3);

  // The shorter side limits the run: SBUF dst split in 2 KiB halves.
  AccessPattern dst = sbuf(DType::F32, 128, {2, 512});
  dst.strides[0] = 1024;
  DmaCopy split{dst, AccessPattern::hbm(0, DType::F32, 0, 128, 1024, {1024})};
  EXPECT_NEAR(t2.durationNs(inst(split), q), 600 + 524288.0 / (23 * 0.5), 1e-6);

  // trn1: 17 B/ns per queue.
  EXPECT_NEAR(T("trn1").durationNs(inst(big), q), 600 + 1048576.0 / 17, 1e-6);
  EXPECT_NEAR(t2.dmaDurationNs(0, 0, false), 600, 1e-12);
  EXPECT_NEAR(t2.dmaDurationNs(4096, 4096, true), 1300 + 600 + 4096.0 / 23, 1e-9);
}

} // namespace
