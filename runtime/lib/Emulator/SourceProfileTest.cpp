//===- SourceProfileTest.cpp - time grouped by source operation -----------===//
#include "trn/runtime/Device.h"

#include <gtest/gtest.h>

using namespace trnrt;

namespace {

TEST(SourceProfile, SourceKeyPrefersTheNameLocation) {
  EXPECT_EQ(sourceOfDebug("trn.matmul in layer1.0.conv1 at m.mlir:3:7"), "layer1.0.conv1");
  EXPECT_EQ(sourceOfDebug("trn.matmul in fc"), "fc");
  EXPECT_EQ(sourceOfDebug("trn.dma_copy at m.mlir:12:5"), "m.mlir:12:5");
  EXPECT_EQ(sourceOfDebug("trn.dma_copy at /work/models/m.mlir:12:5"), "m.mlir:12:5");
  EXPECT_EQ(sourceOfDebug("trn.memset"), "");
  EXPECT_EQ(sourceOfDebug(""), "");
}

/// conv: a 600 ns load on dma0 (64 KiB) and a 100 ns matmul; fc: a 300 ns
/// matmul and a 400 ns eviction on ACT, plus a 200 ns load on dma1 (4 KiB);
/// one instruction without provenance.
struct Sample {
  Program program;
  RunStats stats;
};

Sample sample() {
  Sample s;
  Program &p = s.program;
  p.target = "trn2";
  auto sb = AccessPattern::tile(MemSpace::SBUF, DType::F32, 0, 0, 128, {128});
  auto ps = AccessPattern::tile(MemSpace::PSUM, DType::F32, 0, 0, 128, {128});
  auto inst = [](InstructionBody body, std::string debug) {
    Instruction i;
    i.body = std::move(body);
    i.debug = std::move(debug);
    return i;
  };
  DmaCopy big{sb, AccessPattern::hbm(0, DType::F32, 0, 128, 128, {128})};
  DmaCopy small{AccessPattern::tile(MemSpace::SBUF, DType::F32, 0, 0, 8, {128}),
                AccessPattern::hbm(0, DType::F32, 0, 8, 128, {128})};
  Matmul mm{ps, sb, sb, false, MatmulMode::Normal, std::nullopt, std::nullopt};
  Activation evict;
  evict.dst = sb;
  evict.src = ps;
  p.queues = {
      Queue{kQueuePE, {inst(mm, "trn.matmul in conv at m.mlir:2:3"), inst(mm, "trn.matmul in fc")}},
      Queue{kQueueACT, {inst(evict, "trn.activation in fc"), inst(evict, "")}},
      Queue{kFirstDmaQueue, {inst(big, "trn.dma_copy in conv")}},
      Queue{kFirstDmaQueue + 1, {inst(small, "trn.dma_copy in fc")}}};
  auto ev = [](QueueId q, uint32_t i, double b, double e) {
    TraceEvent t;
    t.queue = q;
    t.index = i;
    t.startNs = b;
    t.endNs = e;
    return t;
  };
  s.stats.trace = {ev(kFirstDmaQueue, 0, 0, 600),     ev(kQueuePE, 0, 600, 700),
                   ev(kFirstDmaQueue + 1, 0, 0, 200), ev(kQueuePE, 1, 700, 1000),
                   ev(kQueueACT, 0, 1000, 1400),      ev(kQueueACT, 1, 1400, 1450)};
  return s;
}

TEST(SourceProfile, GroupsBusyTimeAndBytesBySource) {
  Sample s = sample();
  std::vector<SourceCost> costs = costBySource(s.program, s.stats);
  ASSERT_EQ(costs.size(), 3u);
  // conv weighs 600 ns of DMA / 2 queues = 300 ns; fc's heaviest engine is
  // ACT at 400 ns; the unlabelled eviction 50 ns.
  EXPECT_EQ(costs[0].source, "fc");
  EXPECT_EQ(costs[0].instructions, 3u);
  EXPECT_DOUBLE_EQ(costs[0].engineNs.at("pe"), 300.0);
  EXPECT_DOUBLE_EQ(costs[0].engineNs.at("act"), 400.0);
  EXPECT_DOUBLE_EQ(costs[0].dmaNs, 200.0);
  EXPECT_EQ(costs[0].dmaBytes, 8u * 128 * 4);
  EXPECT_DOUBLE_EQ(costs[0].firstNs, 0.0);
  EXPECT_DOUBLE_EQ(costs[0].lastNs, 1400.0);
  EXPECT_EQ(costs[1].source, "conv");
  EXPECT_EQ(costs[1].instructions, 2u);
  EXPECT_DOUBLE_EQ(costs[1].dmaNs, 600.0);
  EXPECT_EQ(costs[1].dmaBytes, 128u * 128 * 4);
  EXPECT_DOUBLE_EQ(costs[1].engineNs.at("pe"), 100.0);
  EXPECT_EQ(costs[2].source, "(no location)");
  EXPECT_DOUBLE_EQ(costs[2].engineNs.at("act"), 50.0);
}

TEST(SourceProfile, TableListsTheTopRows) {
  Sample s = sample();
  std::string t = costBySourceTable(s.program, s.stats, 2);
  EXPECT_NE(t.find("busy time by source op"), std::string::npos) << t;
  size_t fc = t.find("  fc "), conv = t.find("  conv ");
  ASSERT_NE(fc, std::string::npos) << t;
  ASSERT_NE(conv, std::string::npos) << t;
  EXPECT_LT(fc, conv) << t;
  EXPECT_NE(t.find("0.06"), std::string::npos) << t; // conv: 64 KiB = 0.06 MiB
  EXPECT_EQ(t.find("(no location)"), std::string::npos) << t;
  EXPECT_NE(t.find("... 1 more sources"), std::string::npos) << t;
}

TEST(SourceProfile, EmptyWithoutATrace) {
  Sample s = sample();
  s.stats.trace.clear();
  EXPECT_TRUE(costBySource(s.program, s.stats).empty());
  EXPECT_EQ(costBySourceTable(s.program, s.stats, 10), "");
}

} // namespace
