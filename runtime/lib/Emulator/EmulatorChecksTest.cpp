//===- EmulatorChecksTest.cpp - Races, deadlocks, uninitialised reads -----===//

#include "EmulatorTestUtil.h"

#include <gtest/gtest.h>

using namespace trnrt;
using namespace trnrt::emutest;

namespace {

const QueueId kDma0 = kFirstDmaQueue, kDma1 = kFirstDmaQueue + 1;

Expected<RunResult> runChecked(const Program &p, const std::vector<HostTensor> &in,
                               bool check = true) {
  RunOptions o;
  o.check = check;
  return createEmulatorDevice()->run(p, in, o);
}

::testing::AssertionResult failsWith(const Expected<RunResult> &r,
                                     std::initializer_list<const char *> parts) {
  if (r)
    return ::testing::AssertionFailure() << "run succeeded";
  for (const char *s : parts)
    if (r.error().message.find(s) == std::string::npos)
      return ::testing::AssertionFailure() << "'" << s << "' not in: " << r.error().message;
  return ::testing::AssertionSuccess();
}

Activation copyAct(AccessPattern dst, AccessPattern src) {
  Activation a;
  a.dst = dst;
  a.src = src;
  return a;
}

/// dve zeroes sbuf[0:128, 0:2048) (s2); dma0 then loads x there (s0); act
/// copies it to sbuf 4096 (s1); dma1 stores the copy. `actWaits` decides
/// whether ACT waits for the load or only for the zeroing.
Program loadComputeStore(bool actWaits) {
  ProgramBuilder b("trn2", 3);
  const uint32_t x = b.tensor("x", TensorKind::Input, DType::F32, {128, 512});
  const uint32_t y = b.tensor("y", TensorKind::Output, DType::F32, {128, 512});
  b.add(kQueueDVE, Memset{sb(DType::F32, 0, 0, 128, {512}), 0.0f}, {}, {2});
  b.add(kDma0, DmaCopy{sb(DType::F32, 0, 0, 128, {512}), hbm2d(x, DType::F32, 512, 0, 0, 128, 512)},
        {{2, 1}}, {0});
  b.add(kQueueACT, copyAct(sb(DType::F32, 4096, 0, 128, {512}), sb(DType::F32, 0, 0, 128, {512})),
        actWaits ? std::vector<SemWait>{{0, 1}} : std::vector<SemWait>{{2, 1}}, {1});
  b.add(kDma1, DmaCopy{hbm2d(y, DType::F32, 512, 0, 0, 128, 512), sb(DType::F32, 4096, 0, 128, {512})},
        {{1, 1}}, {});
  return b.p;
}

std::vector<HostTensor> xInput() {
  return {HostTensor::fromF32({128, 512}, randomFloats(128 * 512, 4))};
}

TEST(EmulatorChecks, CorrectlySynchronisedProgramHasNoReports) {
  auto r = runChecked(loadComputeStore(true), xInput());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outputs[0].data, xInput()[0].data);
}

TEST(EmulatorChecks, MissingWaitIsAReadAfterWriteRace) {
  // ACT reads the tile while the DMA is still writing it. With checks off
  // the run completes (and reads zeros: a wrong answer).
  auto r = runChecked(loadComputeStore(false), xInput());
  EXPECT_TRUE(failsWith(r, {"race: dma0[0] dma_copy writes dst sbuf p[0:128] bytes [0,2048)",
                            "act[0] activation reads src sbuf p[0:128] bytes [0,2048)",
                            "with no semaphore ordering them"}));
  auto unchecked = runChecked(loadComputeStore(false), xInput(), false);
  ASSERT_TRUE(unchecked) << unchecked.error().message;
}

TEST(EmulatorChecks, WriteAfterReadWithoutWaitIsARace) {
  // ACT reads tile A; dma0 then reloads A without waiting for ACT.
  for (bool ordered : {true, false}) {
    ProgramBuilder b("trn2", 3);
    const uint32_t x = b.tensor("x", TensorKind::Input, DType::F32, {128, 512});
    const uint32_t y = b.tensor("y", TensorKind::Output, DType::F32, {128, 512});
    b.add(kDma0, DmaCopy{sb(DType::F32, 0, 0, 128, {512}), hbm2d(x, DType::F32, 512, 0, 0, 128, 512)},
          {}, {0});
    b.add(kQueueACT, copyAct(sb(DType::F32, 4096, 0, 128, {512}), sb(DType::F32, 0, 0, 128, {512})),
          {{0, 1}}, {1});
    b.add(kDma0, DmaCopy{sb(DType::F32, 1024, 0, 128, {256}), hbm2d(x, DType::F32, 512, 0, 0, 128, 256)},
          ordered ? std::vector<SemWait>{{1, 1}} : std::vector<SemWait>{}, {2});
    b.add(kDma1, DmaCopy{hbm2d(y, DType::F32, 512, 0, 0, 128, 512), sb(DType::F32, 4096, 0, 128, {512})},
          {{1, 1}, {2, 1}}, {});
    auto r = runChecked(b.p, xInput());
    if (ordered)
      EXPECT_TRUE(r) << r.error().message;
    else
      EXPECT_TRUE(failsWith(r, {"race:", "dma0[1] dma_copy writes dst sbuf p[0:128] bytes [1024,2048)",
                                "act[0] activation reads src"}));
  }
}

TEST(EmulatorChecks, InterleavedDisjointElementsDoNotRaceButOverlapDoes) {
  // ACT writes the even columns and POOL the odd columns of the same tile,
  // concurrently: the bounding boxes overlap, the element sets do not.
  for (bool overlap : {false, true}) {
    ProgramBuilder b("trn2", 2);
    const uint32_t y = b.tensor("y", TensorKind::Output, DType::F32, {64, 256});
    Memset even{strided(MemSpace::SBUF, DType::F32, 0, 0, 64, {128}, {2}), 1.0f};
    Memset odd{strided(MemSpace::SBUF, DType::F32, overlap ? 8 : 4, 0, 64, {128}, {2}), 2.0f};
    b.add(kQueueDVE, even, {}, {0});
    b.add(kQueuePOOL, odd, {}, {0});
    b.add(kDma0, DmaCopy{hbm2d(y, DType::F32, 256, 0, 0, 64, 256), sb(DType::F32, 0, 0, 64, {256})},
          {{0, 2}}, {});
    auto r = runChecked(b.p, {});
    if (!overlap) {
      ASSERT_TRUE(r) << r.error().message;
      auto v = r->outputs[0].toF32();
      EXPECT_EQ(v[0], 1.0f);
      EXPECT_EQ(v[1], 2.0f);
    } else {
      // Columns 2, 4, ... are written by both; column 1 by neither.
      EXPECT_TRUE(failsWith(r, {"race:", "dve[0] memset writes dst", "pool[0] memset writes dst"}));
    }
  }
}

TEST(EmulatorChecks, CountingSemaphoreWithTwoSignallers) {
  // Two DMA queues each load half of a tile and signal s0; PE must wait for
  // s0 >= 2 to read both halves. Waiting for 1 only orders it after the
  // first DMA to finish: the second one races with the matmul.
  for (uint32_t need : {2u, 1u}) {
    ProgramBuilder b("trn2", 2);
    const uint32_t x = b.tensor("x", TensorKind::Input, DType::BF16, {128, 256});
    const uint32_t y = b.tensor("y", TensorKind::Output, DType::F32, {128, 256});
    b.add(kDma0, DmaCopy{sb(DType::BF16, 0, 0, 128, {128}), hbm2d(x, DType::BF16, 256, 0, 0, 128, 128)},
          {}, {0});
    b.add(kDma1, DmaCopy{sb(DType::BF16, 256, 0, 128, {128}), hbm2d(x, DType::BF16, 256, 0, 128, 128, 128)},
          {}, {0});
    Matmul mm;
    mm.dst = ps(DType::F32, 0, 0, 128, {256});
    mm.stationary = sb(DType::BF16, 0, 0, 128, {128});
    mm.moving = sb(DType::BF16, 0, 0, 128, {256});
    b.add(kQueuePE, mm, {{0, need}}, {1});
    b.add(kQueueACT, copyAct(sb(DType::F32, 1024, 0, 128, {256}), ps(DType::F32, 0, 0, 128, {256})),
          {{1, 1}}, {1});
    b.add(kFirstDmaQueue + 2,
          DmaCopy{hbm2d(y, DType::F32, 256, 0, 0, 128, 256), sb(DType::F32, 1024, 0, 128, {256})},
          {{1, 2}}, {});
    HostTensor in = hostTensor(DType::BF16, {128, 256}, randomFloats(128 * 256, 5));
    auto r = runChecked(b.p, {in});
    if (need == 2)
      EXPECT_TRUE(r) << r.error().message;
    else
      EXPECT_TRUE(failsWith(r, {"race:", "pe[0] matmul reads moving"}));
  }
}

TEST(EmulatorChecks, DeadlockListsEveryBlockedQueue) {
  // pe waits for act's signal and act for pe's: a cycle.
  ProgramBuilder b("trn2", 2);
  b.add(kQueuePE, Memset{ps(DType::F32, 0, 0, 1, {1}), 0.0f}, {}, {});
  b.p.queues.clear(); // PE cannot memset; build the cycle on DVE and ACT
  b.add(kQueueDVE, Memset{sb(DType::F32, 0, 0, 1, {4}), 0.0f}, {{0, 1}}, {1});
  b.add(kQueueACT, copyAct(sb(DType::F32, 64, 0, 1, {4}), sb(DType::F32, 128, 0, 1, {4})), {{1, 1}},
        {0});
  auto r = runChecked(b.p, {}, false);
  EXPECT_TRUE(failsWith(r, {"deadlock", "act[0] activation waits on sem 1 (value 0, needs 1)",
                            "dve[0] memset waits on sem 0 (value 0, needs 1)"}));
}

TEST(EmulatorChecks, WaitThatNothingSignalsIsRejectedBeforeRunning) {
  ProgramBuilder b("trn2", 4);
  b.add(kQueueDVE, Memset{sb(DType::F32, 0, 0, 1, {4}), 0.0f}, {{3, 1}}, {});
  auto r = runChecked(b.p, {});
  EXPECT_TRUE(failsWith(r, {"dve[0] memset", "3"}));
}

TEST(EmulatorChecks, UninitialisedSbufReadIsReported) {
  // ACT reads bytes [0, 64) of partitions 0..31 but only [0, 32) were set.
  ProgramBuilder b("trn2", 2);
  b.add(kQueueDVE, Memset{sb(DType::F32, 0, 0, 32, {8}), 1.0f}, {}, {0});
  b.add(kQueueACT, copyAct(sb(DType::F32, 256, 0, 32, {16}), sb(DType::F32, 0, 0, 32, {16})),
        {{0, 1}}, {});
  auto r = runChecked(b.p, {});
  EXPECT_TRUE(failsWith(r, {"act[0] activation: uninitialised read: src sbuf p[0:32] bytes [0,64)",
                            "partition 0 byte 32 was never written"}));
  EXPECT_TRUE(runChecked(b.p, {}, false)); // without checks it just reads zeros
}

TEST(EmulatorChecks, AccumulatingIntoFreshPsumIsAnUninitialisedRead) {
  ProgramBuilder b("trn2", 2);
  b.add(kQueueDVE, Memset{sb(DType::BF16, 0, 0, 128, {128}), 1.0f}, {}, {0});
  Matmul mm;
  mm.dst = ps(DType::F32, 2048, 0, 128, {128});
  mm.stationary = sb(DType::BF16, 0, 0, 128, {128});
  mm.moving = sb(DType::BF16, 0, 0, 128, {128});
  mm.accumulate = true; // no group start: PSUM holds garbage on hardware
  b.add(kQueuePE, mm, {{0, 1}}, {});
  auto r = runChecked(b.p, {});
  EXPECT_TRUE(failsWith(r, {"pe[0] matmul: uninitialised read: dst psum p[0:128] bytes [2048,2560)"}));
}

TEST(EmulatorChecks, ReadingAnUnwrittenOutputTensorIsReported) {
  ProgramBuilder b("trn2", 2);
  const uint32_t y = b.tensor("y", TensorKind::Output, DType::F32, {4, 8});
  b.add(kDma0, DmaCopy{sb(DType::F32, 0, 0, 4, {8}), hbm2d(y, DType::F32, 8, 0, 0, 4, 8)}, {}, {});
  auto r = runChecked(b.p, {});
  EXPECT_TRUE(failsWith(r, {"dma0[0] dma_copy: uninitialised read: src hbm 'y' bytes [0,128)",
                            "byte 0 of 'y' was never written"}));
}

TEST(EmulatorChecks, OutOfBoundsAccessIsAnErrorNotACrash) {
  ProgramBuilder b("trn2", 1);
  // 8 f32 at the last 16 bytes of a 224 KiB partition: 16 bytes past the end.
  b.add(kQueueDVE, Memset{sb(DType::F32, 224 * 1024 - 16, 0, 1, {8}), 0.0f}, {}, {});
  auto r = runChecked(b.p, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("dve[0] memset"), std::string::npos) << r.error().message;
  ProgramBuilder h("trn2", 1);
  const uint32_t y = h.tensor("y", TensorKind::Output, DType::F32, {4, 8});
  h.add(kDma0, DmaCopy{hbm2d(y, DType::F32, 8, 1, 0, 4, 8), sb(DType::F32, 0, 0, 4, {8})}, {}, {});
  auto rh = runChecked(h.p, {});
  ASSERT_FALSE(rh);
  EXPECT_NE(rh.error().message.find("'y'"), std::string::npos) << rh.error().message;
}

} // namespace
