//===- EmulatorTimingTest.cpp - Event-driven timing vs hand-computed costs ===//

#include "EmulatorTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace trnrt;
using namespace trnrt::emutest;

namespace {

/// A small trn2 program whose timeline is computed by hand below.
Program chainProgram() {
  ProgramBuilder b("trn2", 4);
  const uint32_t x = b.tensor("x", TensorKind::Input, DType::F32, {128, 512});
  const uint32_t y = b.tensor("y", TensorKind::Output, DType::F32, {128, 512});
  const uint32_t z = b.tensor("z", TensorKind::Output, DType::I32, {128, 100});
  const QueueId dma0 = kFirstDmaQueue, dma1 = kFirstDmaQueue + 1;
  b.add(dma0, DmaCopy{sb(DType::F32, 0, 0, 128, {512}), hbm2d(x, DType::F32, 512, 0, 0, 128, 512)},
        {}, {0});
  Matmul mm;
  mm.dst = ps(DType::F32, 0, 0, 128, {512});
  mm.stationary = sb(DType::F32, 0, 0, 128, {128});
  mm.moving = sb(DType::F32, 0, 0, 128, {512});
  b.add(kQueuePE, mm, {{0, 1}}, {1});
  Activation act;
  act.src = ps(DType::F32, 0, 0, 128, {512});
  act.dst = sb(DType::F32, 4096, 0, 128, {512});
  b.add(kQueueACT, act, {{1, 1}}, {2});
  b.add(dma1, DmaCopy{hbm2d(y, DType::F32, 512, 0, 0, 128, 512), sb(DType::F32, 4096, 0, 128, {512})},
        {{2, 1}}, {});
  Iota io;
  io.dst = sb(DType::I32, 8192, 0, 128, {100});
  io.channelMultiplier = 100;
  io.multipliers = {1, 0, 0, 0};
  b.add(kQueuePOOL, io, {}, {3});
  b.add(dma0, DmaCopy{hbm2d(z, DType::I32, 100, 0, 0, 128, 100), sb(DType::I32, 8192, 0, 128, {100})},
        {{3, 1}}, {});
  return b.p;
}

TEST(EmulatorTiming, HandComputedTimelineOnTrn2) {
  // trn2 constants (Target.cpp): DMA 368 GB/s per core over 16 queues = 23 B/ns
  // per queue, efficiency min(1, run / 4096 B) from 2 KiB runs, below that
  // 0.5 * min(1, run / 512 B), 600 ns descriptor, +1300 ns
  // when a semaphore releases the DMA; PE 2.4 GHz, matmul max(min(64, M), N)
  // cycles x4 for fp32; ACT 1.2 GHz, max(64, N); POOL 1.2 GHz, iota 150 + N.
  //
  // dma0[0] x -> sbuf, 128 x 2048 B rows: 262144 B at 23 * 0.5 B/ns
  //         = 600 + 22795.130434782608            ends 23395.130434782608
  // pool[0] iota [128, 100]: (150 + 100) / 1.2    = 208.333 ns (parallel)
  // pe[0]   fp32 matmul M=128 N=512: 512*4 / 2.4   = 853.333... ns
  // act[0]  identity N=512: 512 / 1.2              = 426.666... ns
  // dma1[0] sbuf -> y, released by s2 (it was idle): 1300 + 600 + 22795.1304
  //         = 24695.130434782608
  // total   = 23395.1304 + 853.3333 + 426.6667 + 24695.1304 = 49370.260869565216
  // dma0[1] waits on s3 (pool, 208 ns) but its queue is busy until 23395 ns, so
  //         no trigger latency: 51200 B in 400 B runs (efficiency
  //         0.5 * 400/512): 600 + 51200 / (23 * 0.390625) = 6298.6087, ends 29693.74
  const double d0 = 600 + 262144 / 11.5, mm = 2048 / 2.4, act = 512 / 1.2;
  const double d1 = 1300 + 600 + 262144 / 11.5;
  const double total = d0 + mm + act + d1;
  const double z = 600 + 51200 / (23 * 0.5 * 400.0 / 512);
  const double iota = 250 / 1.2;
  ASSERT_NEAR(total, 49370.260869565216, 1e-6);

  RunOptions o;
  o.recordTrace = true;
  o.check = true;
  auto r = createEmulatorDevice()->run(chainProgram(), {HostTensor::fromF32({128, 512},
                                                        randomFloats(128 * 512, 1))}, o);
  ASSERT_TRUE(r) << r.error().message;
  const RunStats &s = r->stats;
  EXPECT_NEAR(s.totalNs, total, 1e-6);
  EXPECT_EQ(s.totalCycles, 118489u); // round(49370.2609 ns * 2.4 GHz) = round(118488.63)
  EXPECT_EQ(s.instructions, 6u);
  EXPECT_EQ(s.tensorFlops, 2.0 * 128 * 128 * 512);
  // fp32 peak: 2 * 128 * 128 * 2.4 / 4 flop/ns; the matmul runs at peak for mm ns.
  EXPECT_NEAR(s.tensorEngineUtilization, mm / total, 1e-12);
  EXPECT_EQ(s.dmaBytes, 2u * 262144 + 51200);
  EXPECT_NEAR(s.engineBusy.at("dma0"), (d0 + z) / total, 1e-12);
  EXPECT_NEAR(s.engineBusy.at("dma1"), d1 / total, 1e-12);
  EXPECT_NEAR(s.engineBusy.at("pe"), mm / total, 1e-12);
  EXPECT_NEAR(s.engineBusy.at("act"), act / total, 1e-12);
  EXPECT_NEAR(s.engineBusy.at("pool"), iota / total, 1e-12);
  EXPECT_EQ(s.criticalQueue, "dma0");

  ASSERT_EQ(s.trace.size(), 6u);
  auto find = [&](QueueId q, uint32_t i) -> const TraceEvent & {
    for (const TraceEvent &e : s.trace)
      if (e.queue == q && e.index == i)
        return e;
    ADD_FAILURE() << "no trace event";
    return s.trace[0];
  };
  const TraceEvent &ePe = find(kQueuePE, 0), &eAct = find(kQueueACT, 0);
  const TraceEvent &eOut = find(kFirstDmaQueue + 1, 0), &eZ = find(kFirstDmaQueue, 1);
  EXPECT_NEAR(ePe.startNs, d0, 1e-6);
  EXPECT_NEAR(eAct.startNs, d0 + mm, 1e-6);
  EXPECT_NEAR(eOut.startNs, d0 + mm + act, 1e-6);
  EXPECT_NEAR(eZ.startNs, d0, 1e-6);
  EXPECT_NEAR(eZ.endNs, d0 + z, 1e-6);
  ASSERT_TRUE(eAct.waitedOn.has_value());
  EXPECT_EQ(*eAct.waitedOn, std::make_pair(kQueuePE, 0u));
  EXPECT_EQ(eAct.waitedSem, 1u);
  ASSERT_TRUE(eZ.waitedOn.has_value());
  EXPECT_EQ(*eZ.waitedOn, std::make_pair(kQueuePOOL, 0u));
  EXPECT_EQ(eZ.waitedSem, 3u);
  EXPECT_FALSE(find(kFirstDmaQueue, 0).waitedOn.has_value());

  // The arithmetic happened too (iota value 100 p + i).
  EXPECT_EQ(r->outputs.size(), 2u);
  auto zv = r->outputs[1].toF32();
  EXPECT_EQ(zv[5 * 100 + 7], 507.0f);
}

TEST(EmulatorTiming, TimingOnlyModelsTheSameTimeWithoutOutputs) {
  auto dev = createEmulatorDevice();
  const Program p = chainProgram();
  const std::vector<HostTensor> in = {HostTensor::fromF32({128, 512}, randomFloats(128 * 512, 2))};
  auto full = dev->run(p, in, RunOptions{});
  RunOptions t;
  t.timingOnly = true;
  t.check = true; // ignored for data in timing-only runs
  auto timing = dev->run(p, in, t);
  ASSERT_TRUE(full) << full.error().message;
  ASSERT_TRUE(timing) << timing.error().message;
  EXPECT_TRUE(timing->outputs.empty());
  EXPECT_EQ(timing->stats.totalNs, full->stats.totalNs);
  EXPECT_EQ(timing->stats.engineBusy, full->stats.engineBusy);
  EXPECT_EQ(timing->stats.dmaBytes, full->stats.dmaBytes);
}

TEST(EmulatorTiming, DeterministicTieBreakingAndParallelQueues) {
  // Three engines start at t = 0 with equal-length work (memsets of
  // max(64, N) cycles at equal clocks on ACT and POOL): they overlap, so the
  // total is one duration, and completion order at a tie follows queue id.
  ProgramBuilder b("trn2", 2);
  b.add(kQueuePOOL, Memset{sb(DType::F32, 0, 0, 128, {512}), 1.0f}, {}, {0});
  Activation act;
  act.dst = sb(DType::F32, 4096, 0, 128, {512});
  act.src = sb(DType::F32, 8192, 0, 128, {512});
  b.add(kQueueACT, act, {}, {0});
  b.add(kQueueDVE, Memset{sb(DType::F32, 8192, 0, 128, {512}), 2.0f}, {}, {});
  RunOptions o;
  o.recordTrace = true;
  auto r1 = createEmulatorDevice()->run(b.p, {}, o);
  auto r2 = createEmulatorDevice()->run(b.p, {}, o);
  ASSERT_TRUE(r1) << r1.error().message;
  ASSERT_TRUE(r2);
  // POOL memset: 512 / 1.2 ns; ACT activation: 512 / 1.2 ns; DVE memset at
  // 0.96 GHz with the f32 width factor 2: 256 / 0.96 ns.
  EXPECT_NEAR(r1->stats.totalNs, 512 / 1.2, 1e-9);
  ASSERT_EQ(r1->stats.trace.size(), 3u);
  EXPECT_EQ(r1->stats.trace[0].queue, kQueueDVE); // shortest first
  EXPECT_EQ(r1->stats.trace[1].queue, kQueueACT); // tie at 426.67 ns: act (1) before pool (3)
  EXPECT_EQ(r1->stats.trace[2].queue, kQueuePOOL);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r1->stats.trace[i].queue, r2->stats.trace[i].queue);
    EXPECT_EQ(r1->stats.trace[i].endNs, r2->stats.trace[i].endNs);
  }
}

} // namespace
