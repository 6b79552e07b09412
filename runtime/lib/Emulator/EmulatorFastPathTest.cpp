//===- EmulatorFastPathTest.cpp - Fast paths and the parallel executor -----===//
//
// The element-wise and DMA fast paths (direct rows, run-by-run copies) are
// checked against an element-by-element oracle of the ISA semantics (read
// every source element, then write the destination in walk order) on
// contiguous, partial-partition, odd, strided, negative-stride, zero-stride,
// in-place and overlapping patterns: patterns the fast paths must take and
// patterns they must decline. Every program runs with the sequential
// executor (checkers on) and the parallel one (4 threads), which must agree
// bit for bit. The parallel executor is also checked on programs whose
// instructions are ordered only by cross-engine semaphores.
//
//===----------------------------------------------------------------------===//

#include "EmulatorInternal.h"
#include "EmulatorTestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

using namespace trnrt;
using namespace trnrt::emutest;

namespace {

constexpr uint32_t kRowFloats = 1024; // the SBUF region every test uses: [128][1024] f32

/// Float index (partition * kRowFloats + element) of every element of an
/// f32 SBUF AP inside the region, in walk order.
std::vector<size_t> elems(const AccessPattern &ap) {
  std::vector<size_t> out;
  uint32_t sz[kMaxFreeDims] = {1, 1, 1, 1};
  int64_t st[kMaxFreeDims] = {0, 0, 0, 0};
  for (uint32_t k = 0; k < ap.rank; ++k) {
    sz[k] = ap.sizes[k];
    st[k] = ap.strides[k];
  }
  for (uint32_t p = 0; p < ap.numPartitions; ++p)
    for (uint32_t a = 0; a < sz[0]; ++a)
      for (uint32_t b = 0; b < sz[1]; ++b)
        for (uint32_t c = 0; c < sz[2]; ++c)
          for (uint32_t d = 0; d < sz[3]; ++d) {
            const int64_t e = static_cast<int64_t>(ap.offset / 4) + a * st[0] + b * st[1] +
                              c * st[2] + d * st[3];
            out.push_back((ap.startPartition + p) * size_t(kRowFloats) + static_cast<size_t>(e));
          }
  return out;
}

/// Runs `body` on `queue` after loading the region with `init`; returns the
/// region afterwards, from the sequential (checked) and the parallel run.
struct RegionRun {
  std::vector<float> seq, par;
};
RegionRun runOnRegion(QueueId queue, const InstructionBody &body, const std::vector<float> &init) {
  ProgramBuilder b("trn2", 4);
  const uint32_t x = b.tensor("x", TensorKind::Input, DType::F32, {128, kRowFloats});
  const uint32_t y = b.tensor("y", TensorKind::Output, DType::F32, {128, kRowFloats});
  b.add(kFirstDmaQueue, DmaCopy{sb(DType::F32, 0, 0, 128, {kRowFloats}), hbm2d(x, DType::F32, kRowFloats, 0, 0, 128, kRowFloats)}, {}, {0});
  b.add(queue, body, {{0, 1}}, {1});
  b.add(kFirstDmaQueue + 1, DmaCopy{hbm2d(y, DType::F32, kRowFloats, 0, 0, 128, kRowFloats), sb(DType::F32, 0, 0, 128, {kRowFloats})}, {{1, 1}}, {});
  std::vector<HostTensor> in{hostTensor(DType::F32, {128, kRowFloats}, init)};
  RegionRun r;
  for (int mode = 0; mode < 2; ++mode) {
    RunOptions o;
    o.check = mode == 0;
    o.threads = mode == 0 ? 1 : 4;
    auto res = createEmulatorDevice()->run(b.p, in, o);
    EXPECT_TRUE(res) << (res ? "" : res.error().message);
    if (!res)
      return r;
    std::vector<float> v = res->outputs[0].toF32();
    (mode == 0 ? r.seq : r.par) = std::move(v);
  }
  return r;
}

void expectSameBits(const std::vector<float> &got, const std::vector<float> &want,
                    const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    if (std::memcmp(&got[i], &want[i], 4) != 0) {
      ADD_FAILURE() << what << ": element " << i << " (partition " << i / kRowFloats
                    << ", float " << i % kRowFloats << ") is " << got[i] << ", expected "
                    << want[i];
      return;
    }
}

AccessPattern ap(uint64_t floatOffset, uint32_t p0, uint32_t np, std::vector<uint32_t> sizes,
                 std::vector<int64_t> strides) {
  return strided(MemSpace::SBUF, DType::F32, floatOffset * 4, p0, np, std::move(sizes),
                 std::move(strides));
}

/// A named pattern pair (source, destination) of the same shape.
struct Case {
  const char *name;
  AccessPattern src, dst;
};

std::vector<Case> elementwiseCases() {
  return {
      // Fast path: contiguous rows, all partitions.
      {"contiguous", ap(0, 0, 128, {64}, {1}), ap(512, 0, 128, {64}, {1})},
      // Fast path: partial partitions, odd length, dst in other partitions.
      {"partial-odd", ap(3, 32, 5, {33}, {1}), ap(700, 64, 5, {33}, {1})},
      // Fast path after coalescing ([4][8] contiguous = one run of 32).
      {"coalesced", ap(10, 0, 16, {4, 8}, {8, 1}), ap(600, 0, 16, {32}, {1})},
      // In place: the very same elements.
      {"in-place", ap(64, 32, 7, {45}, {1}), ap(64, 32, 7, {45}, {1})},
      // General: strided source.
      {"strided", ap(0, 0, 32, {8, 4}, {16, 2}), ap(800, 0, 32, {32}, {1})},
      // General: negative stride (reverses each row).
      {"negative", ap(300, 96, 9, {37}, {-1}), ap(400, 96, 9, {37}, {1})},
      // General: zero stride (broadcast read).
      {"broadcast", ap(5, 0, 128, {6, 10}, {1, 0}), ap(900, 0, 128, {60}, {1})},
      // General: destination overlaps the source shifted by one element (all
      // reads happen before the writes).
      {"shifted-overlap", ap(100, 0, 12, {50}, {1}), ap(101, 0, 12, {50}, {1})},
      {"shifted-overlap-back", ap(101, 0, 12, {50}, {1}), ap(100, 0, 12, {50}, {1})},
      // Fast path: tiles side by side in the same partitions (the rows'
      // overall spans interleave), and the same columns of other partitions.
      {"side-by-side", ap(40, 32, 32, {70}, {1}), ap(300, 32, 32, {70}, {1})},
      {"other-partitions", ap(100, 0, 32, {50}, {1}), ap(100, 32, 32, {50}, {1})},
      // Fast path, large enough for the rows to be split over two threads.
      {"large", ap(0, 0, 128, {500}, {1}), ap(510, 0, 128, {500}, {1})},
      {"large-in-place", ap(0, 0, 128, {1000}, {1}), ap(0, 0, 128, {1000}, {1})},
  };
}

std::vector<float> initRegion(uint32_t seed) {
  std::vector<float> v = randomFloats(size_t(128) * kRowFloats, seed, -4.0f, 4.0f);
  v[7] = -0.0f; // a signed zero in the region
  return v;
}

/// The oracle: gathers src, applies f, scatters into dst in walk order.
std::vector<float> oracleUnary(const std::vector<float> &init, const Case &c,
                               const std::function<float(float)> &f) {
  std::vector<float> img = init;
  const std::vector<size_t> s = elems(c.src), d = elems(c.dst);
  std::vector<float> vals;
  for (size_t i : s)
    vals.push_back(f(img[i]));
  for (size_t k = 0; k < d.size(); ++k)
    img[d[k]] = vals[k];
  return img;
}

TEST(EmulatorFastPath, TensorCopyMatchesOracle) {
  const std::vector<float> init = initRegion(1);
  for (const Case &c : elementwiseCases()) {
    RegionRun r = runOnRegion(kQueueDVE, TensorCopy{c.dst, c.src}, init);
    const std::vector<float> want = oracleUnary(init, c, [](float x) { return x; });
    expectSameBits(r.seq, want, std::string("tensor_copy sequential ") + c.name);
    expectSameBits(r.par, want, std::string("tensor_copy parallel ") + c.name);
  }
}

TEST(EmulatorFastPath, ActivationMatchesOracle) {
  const std::vector<float> init = initRegion(2);
  for (const Case &c : elementwiseCases()) {
    Activation a;
    a.dst = c.dst;
    a.src = c.src;
    a.func = ActFunc::Relu;
    a.scale.imm = 1.5f;
    a.bias.imm = -0.25f;
    RegionRun r = runOnRegion(kQueueACT, a, init);
    const std::vector<float> want = oracleUnary(init, c, [](float x) {
      const float prod = x * 1.5f;
      const float y = prod + -0.25f;
      return y < 0.0f ? 0.0f : y;
    });
    expectSameBits(r.seq, want, std::string("activation sequential ") + c.name);
    expectSameBits(r.par, want, std::string("activation parallel ") + c.name);
  }
}

TEST(EmulatorFastPath, ActivationAccumulateMatchesOracle) {
  // Row sums go to a column outside every operand, written after dst.
  const std::vector<float> init = initRegion(3);
  for (const Case &c : elementwiseCases()) {
    Activation a;
    a.dst = c.dst;
    a.src = c.src;
    a.func = ActFunc::Square;
    a.accumDst = ap(1023, c.dst.startPartition, c.dst.numPartitions, {1}, {1});
    RegionRun r = runOnRegion(kQueueACT, a, init);
    std::vector<float> want = oracleUnary(init, c, [](float x) { return (x * 1.0f + 0.0f) * (x * 1.0f + 0.0f); });
    // Recompute the row sums from the computed values (not from memory).
    const std::vector<size_t> s = elems(c.src);
    const size_t E = s.size() / c.src.numPartitions;
    for (uint32_t p = 0; p < c.src.numPartitions; ++p) {
      float sum = -0.0f;
      for (size_t e = 0; e < E; ++e) {
        const float x = init[s[p * E + e]] * 1.0f + 0.0f;
        sum += x * x;
      }
      want[(c.dst.startPartition + p) * size_t(kRowFloats) + 1023] = sum;
    }
    expectSameBits(r.seq, want, std::string("activation accum sequential ") + c.name);
    expectSameBits(r.par, want, std::string("activation accum parallel ") + c.name);
  }
}

TEST(EmulatorFastPath, TensorScalarMatchesOracle) {
  const std::vector<float> init = initRegion(4);
  for (const Case &c : elementwiseCases()) {
    for (int variant = 0; variant < 3; ++variant) {
      TensorScalar t;
      t.dst = c.dst;
      t.src = c.src;
      std::function<float(float)> f;
      if (variant == 0) { // two stages, the first reversed: (3 - x) * 0.5
        t.op0 = AluOp::Sub;
        t.scalar0.imm = 3.0f;
        t.reverse0 = true;
        t.op1 = AluOp::Mul;
        t.scalar1.imm = 0.5f;
        f = [](float x) { return (3.0f - x) * 0.5f; };
      } else if (variant == 1) { // only the second stage
        t.op0 = AluOp::Bypass;
        t.op1 = AluOp::Max;
        t.scalar1.imm = 0.0f;
        f = [](float x) { return std::isnan(x) ? x : (x > 0.0f ? x : (0.0f > x ? 0.0f : (std::signbit(x) ? 0.0f : x))); };
      } else { // both bypass: a copy
        t.op0 = AluOp::Bypass;
        t.op1 = AluOp::Bypass;
        f = [](float x) { return x; };
      }
      RegionRun r = runOnRegion(kQueueDVE, t, init);
      const std::vector<float> want = oracleUnary(init, c, f);
      const std::string what = std::string("tensor_scalar v") + std::to_string(variant) + " " + c.name;
      expectSameBits(r.seq, want, what + " sequential");
      expectSameBits(r.par, want, what + " parallel");
    }
  }
}

TEST(EmulatorFastPath, TensorTensorMatchesOracle) {
  const std::vector<float> init = initRegion(5);
  for (const Case &c : elementwiseCases()) {
    // in1: a contiguous operand of the same shape elsewhere, and in1 == dst
    // (the destination read as the second operand).
    const uint32_t E = static_cast<uint32_t>(c.src.elemsPerPartition());
    const AccessPattern other = ap(2, c.dst.startPartition, c.dst.numPartitions, {E}, {1});
    for (int variant = 0; variant < 2; ++variant) {
      const AccessPattern in1 = variant == 0 ? other : c.dst;
      RegionRun r = runOnRegion(kQueueDVE, TensorTensor{c.dst, c.src, in1, AluOp::Sub}, init);
      std::vector<float> img = init;
      const std::vector<size_t> s = elems(c.src), t = elems(in1), d = elems(c.dst);
      std::vector<float> vals;
      for (size_t k = 0; k < s.size(); ++k)
        vals.push_back(img[s[k]] - img[t[k]]);
      for (size_t k = 0; k < d.size(); ++k)
        img[d[k]] = vals[k];
      const std::string what = std::string("tensor_tensor v") + std::to_string(variant) + " " + c.name;
      expectSameBits(r.seq, img, what + " sequential");
      expectSameBits(r.par, img, what + " parallel");
    }
  }
}

/// Reshaping DMAs large enough for copyDenseRuns to split them over two
/// threads: [128][1280] HBM rows into 64 partitions of 2560 (split), then
/// into HBM rows 100 floats apart that overlap (each element keeps the last
/// write: never split). Sequential, checked and parallel runs all agree with
/// the element-order oracle.
TEST(EmulatorFastPath, LargeReshapingDmas) {
  constexpr uint32_t kE = 2560, kPitch = 100, kZ = 63 * kPitch + kE;
  ProgramBuilder b("trn2", 4);
  const uint32_t x = b.tensor("x", TensorKind::Input, DType::F32, {128, kE / 2});
  const uint32_t y = b.tensor("y", TensorKind::Output, DType::F32, {64, kE});
  const uint32_t z = b.tensor("z", TensorKind::Output, DType::F32, {1, kZ});
  b.add(kFirstDmaQueue,
        DmaCopy{sb(DType::F32, 0, 0, 64, {kE}), hbm2d(x, DType::F32, kE / 2, 0, 0, 128, kE / 2)},
        {}, {0});
  b.add(kFirstDmaQueue + 1,
        DmaCopy{hbm2d(y, DType::F32, kE, 0, 0, 64, kE), sb(DType::F32, 0, 0, 64, {kE})},
        {{0, 1}}, {});
  b.add(kFirstDmaQueue + 2,
        DmaCopy{hbm2d(z, DType::F32, kPitch, 0, 0, 64, kE), sb(DType::F32, 0, 0, 64, {kE})},
        {{0, 1}}, {});
  const std::vector<float> xv = randomFloats(size_t(128) * kE / 2, 5);
  std::vector<float> zv(kZ, 0.0f);
  for (uint32_t p = 0; p < 64; ++p)
    for (uint32_t e = 0; e < kE; ++e)
      zv[p * kPitch + e] = xv[p * kE + e];
  std::vector<HostTensor> in{hostTensor(DType::F32, {128, kE / 2}, xv)};
  for (unsigned threads : {0u, 1u, 4u}) {
    RunOptions o;
    o.check = threads == 0;
    o.threads = threads;
    auto r = createEmulatorDevice()->run(b.p, in, o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->outputs[0].toF32(), xv) << threads;
    expectSameBits(r->outputs[1].toF32(), zv, "overlapping rows, threads " + std::to_string(threads));
  }
}

TEST(EmulatorFastPath, WritesEachUnitOnce) {
  auto walkOf = [](const AccessPattern &a) {
    emu::Walk w;
    EXPECT_FALSE(emu::resolveWalk(a, *Target::get("trn2"), Program{}, w));
    return w;
  };
  const emu::Walk dense = walkOf(sb(DType::F32, 0, 0, 128, {64}));
  EXPECT_TRUE(emu::writesEachUnitOnce(dense, true));
  // Interleaved dims ([8][8] with strides 1 and 4 overlap); a zero stride.
  EXPECT_FALSE(emu::writesEachUnitOnce(walkOf(ap(0, 0, 4, {8, 8}, {4, 1})), true));
  EXPECT_FALSE(emu::writesEachUnitOnce(walkOf(ap(0, 0, 4, {8, 8}, {0, 1})), true));
  EXPECT_TRUE(emu::writesEachUnitOnce(walkOf(ap(200, 0, 4, {8, 8}, {-16, 2})), true));
  // On-chip rows are separate partitions; as HBM rows 2 elements apart they
  // would overlap.
  emu::Walk rows = walkOf(ap(0, 0, 4, {8}, {1}));
  EXPECT_TRUE(emu::writesEachUnitOnce(rows, true));
  rows.pitch = 8;
  EXPECT_FALSE(emu::writesEachUnitOnce(rows, false));
  rows.pitch = 32;
  EXPECT_TRUE(emu::writesEachUnitOnce(rows, false));
}

TEST(EmulatorFastPath, TransposeF32MatchesOracle) {
  // f32 SBUF -> PSUM transposes read rows in place (8 x 8 blocks): odd sizes
  // and a start partition leave partial blocks on both sides.
  const uint32_t P = 37, F = 21, P0 = 64;
  std::vector<float> x = randomFloats(size_t(P) * F, 11, -4.0f, 4.0f);
  x[3] = -0.0f;
  x[4] = std::nanf("");
  Harness h;
  h.load(DType::F32, MemSpace::SBUF, 40, P0, P, F, x);
  h.op(kQueuePE, Transpose{ps(DType::F32, 64, 0, F, {P}), sb(DType::F32, 40, P0, P, {F})});
  const size_t o = h.store(DType::F32, MemSpace::PSUM, 64, 0, F, P);
  for (bool check : {true, false}) {
    auto r = h.run(check);
    ASSERT_TRUE(r) << r.error().message;
    auto y = r->outputs[o].toF32();
    for (uint32_t p = 0; p < P; ++p)
      for (uint32_t f = 0; f < F; ++f)
        EXPECT_EQ(std::memcmp(&y[f * P + p], &x[p * F + f], 4), 0) << p << " " << f;
  }
}

TEST(EmulatorFastPath, DmaOnChipMatchesOracle) {
  const std::vector<float> init = initRegion(6);
  for (const Case &c : elementwiseCases()) {
    RegionRun r = runOnRegion(kFirstDmaQueue + 2, DmaCopy{c.dst, c.src}, init);
    const std::vector<float> want = oracleUnary(init, c, [](float x) { return x; });
    expectSameBits(r.seq, want, std::string("dma sbuf->sbuf sequential ") + c.name);
    expectSameBits(r.par, want, std::string("dma sbuf->sbuf parallel ") + c.name);
  }
}

/// Row-for-row DMAs with windowed (multi-dim) rows on one side and contiguous
/// rows on the other (im2col-style loads and their inverse) take nested loops
/// with inline copies of short runs: run lengths around the 8/16/32/64-byte
/// cases, negative and overlapping strides, and one large enough to split.
TEST(EmulatorFastPath, DmaWindowedRowsMatchOracle) {
  // Sources in partitions [0, 64), destinations in [64, 128): disjoint spans
  // (copyDenseRuns declines SBUF -> SBUF copies whose spans overlap).
  const std::vector<Case> cases = {
      {"7x7-window", ap(3, 0, 64, {7, 7}, {9, 1}), ap(600, 64, 64, {49}, {1})},
      {"window-4d", ap(0, 0, 64, {2, 2, 3, 5}, {200, 100, 20, 1}), ap(700, 64, 64, {60}, {1})},
      {"runs-8B", ap(1, 0, 16, {10, 2}, {3, 1}), ap(500, 64, 16, {20}, {1})},
      {"runs-12B", ap(1, 0, 16, {6, 3}, {4, 1}), ap(500, 64, 16, {18}, {1})},
      {"runs-64B", ap(1, 0, 16, {5, 16}, {20, 1}), ap(500, 64, 16, {80}, {1})},
      {"runs-68B", ap(1, 0, 16, {5, 17}, {20, 1}), ap(500, 64, 16, {85}, {1})},
      {"negative-outer", ap(500, 8, 32, {5, 12}, {-20, 1}), ap(800, 72, 32, {60}, {1})},
      {"to-window", ap(0, 0, 64, {49}, {1}), ap(600, 64, 64, {7, 7}, {10, 1})},
      // Destination runs overlap: each element keeps the last write.
      {"to-overlapping-window", ap(0, 0, 16, {32}, {1}), ap(600, 64, 16, {4, 8}, {5, 1})},
      {"large-window", ap(0, 0, 64, {20, 40}, {41, 1}), ap(100, 64, 64, {800}, {1})},
  };

  const std::vector<float> init = initRegion(9);
  for (const Case &c : cases) {
    RegionRun r = runOnRegion(kFirstDmaQueue + 2, DmaCopy{c.dst, c.src}, init);
    const std::vector<float> want = oracleUnary(init, c, [](float x) { return x; });
    expectSameBits(r.seq, want, std::string("dma sequential ") + c.name);
    expectSameBits(r.par, want, std::string("dma parallel ") + c.name);
  }
}

/// DMAs between differently shaped sides (rows of one side span several rows
/// of the other) and within one HBM tensor, against the oracle.
TEST(EmulatorFastPath, DmaReshapingAndOverlappingHbm) {
  struct HbmCase {
    const char *name;
    AccessPattern dst, src; // src on SBUF, dst on HBM tensor y, or both on y
  };
  constexpr uint32_t kY = 4096;
  auto yap = [](uint64_t off, uint32_t rows, int64_t ps, std::vector<uint32_t> sizes,
                std::vector<int64_t> strides) {
    AccessPattern a = AccessPattern::hbm(1, DType::F32, off, rows, ps, sizes);
    for (size_t i = 0; i < strides.size(); ++i)
      a.strides[i] = strides[i];
    return a;
  };
  const std::vector<HbmCase> cases = {
      // SBUF [7 partitions x 7] -> one HBM row of 49 (the compiler's padding stores).
      {"7x7-to-49", yap(13, 1, 0, {1, 7, 7}, {49, 7, 1}), ap(20, 4, 7, {7}, {1})},
      // SBUF [3 x 40] -> HBM [5 rows x 24] (runs split across both sides).
      {"3x40-to-5x24", yap(100, 5, 30, {24}, {1}), ap(0, 0, 3, {40}, {1})},
      // HBM rows with a negative partition stride.
      {"negative-rows", yap(2000, 4, -100, {16}, {1}), ap(50, 10, 4, {16}, {1})},
      // Within y: overlapping source and destination (memmove semantics).
      {"hbm-overlap", yap(501, 1, 0, {300}, {1}), yap(500, 1, 0, {300}, {1})},
      // Within y: disjoint source and destination, strided destination.
      {"hbm-strided", yap(3000, 2, 400, {50, 3}, {4, 1}), yap(10, 2, 150, {150}, {1})},
  };
  const std::vector<float> yInit = randomFloats(kY, 7);
  const std::vector<float> region = initRegion(8);
  for (const HbmCase &c : cases) {
    ProgramBuilder b("trn2", 4);
    const uint32_t x = b.tensor("x", TensorKind::Input, DType::F32, {128, kRowFloats});
    const uint32_t y = b.tensor("y", TensorKind::Output, DType::F32, {kY});
    const uint32_t y0 = b.tensor("y0", TensorKind::Input, DType::F32, {kY});
    ASSERT_EQ(y, 1u);
    b.add(kFirstDmaQueue, DmaCopy{sb(DType::F32, 0, 0, 128, {kRowFloats}), hbm2d(x, DType::F32, kRowFloats, 0, 0, 128, kRowFloats)}, {}, {0});
    b.add(kFirstDmaQueue + 1, DmaCopy{AccessPattern::hbm(y, DType::F32, 0, 1, kY, {kY}), AccessPattern::hbm(y0, DType::F32, 0, 1, kY, {kY})}, {}, {0});
    b.add(kFirstDmaQueue + 2, DmaCopy{c.dst, c.src}, {{0, 2}}, {});
    std::vector<HostTensor> in{hostTensor(DType::F32, {128, kRowFloats}, region),
                               hostTensor(DType::F32, {kY}, yInit)};
    // Oracle on y (and the region for SBUF sources).
    auto hbmElems = [](const AccessPattern &a) {
      std::vector<size_t> out;
      uint32_t sz[kMaxFreeDims] = {1, 1, 1, 1};
      int64_t st[kMaxFreeDims] = {0, 0, 0, 0};
      for (uint32_t k = 0; k < a.rank; ++k) {
        sz[k] = a.sizes[k];
        st[k] = a.strides[k];
      }
      for (uint32_t p = 0; p < a.numPartitions; ++p)
        for (uint32_t i = 0; i < sz[0]; ++i)
          for (uint32_t j = 0; j < sz[1]; ++j)
            for (uint32_t k = 0; k < sz[2]; ++k)
              out.push_back(static_cast<size_t>(static_cast<int64_t>(a.offset) + p * a.partitionStride +
                                                i * st[0] + j * st[1] + k * st[2]));
      return out;
    };
    std::vector<float> want = yInit, vals;
    if (c.src.space == MemSpace::HBM)
      for (size_t i : hbmElems(c.src))
        vals.push_back(want[i]);
    else
      for (size_t i : elems(c.src))
        vals.push_back(region[i]);
    const std::vector<size_t> d = hbmElems(c.dst);
    ASSERT_EQ(d.size(), vals.size()) << c.name;
    for (size_t k = 0; k < d.size(); ++k)
      want[d[k]] = vals[k];
    for (int mode = 0; mode < 2; ++mode) {
      RunOptions o;
      o.check = mode == 0;
      o.threads = mode == 0 ? 1 : 4;
      auto res = createEmulatorDevice()->run(b.p, in, o);
      ASSERT_TRUE(res) << c.name << ": " << res.error().message;
      expectSameBits(res->outputs[0].toF32(), want,
                     std::string("dma ") + c.name + (mode ? " parallel" : " sequential"));
    }
  }
}

/// Transposing DMA loads (partition stride 1 element, free stride a row of
/// the source: A^T from a row-major A) go through 16 x 16 tiles; odd sizes
/// leave partial tiles on both axes. 1-, 2- and 4-byte elements.
TEST(EmulatorFastPath, TransposingDmaLoads) {
  constexpr uint32_t kRows = 37, kCols = 21; // source [kRows][kCols]; SBUF [kCols][kRows]
  for (DType t : {DType::F32, DType::BF16, DType::U8}) {
    std::vector<float> v(kRows * kCols);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = static_cast<float>(i % 251);
    ProgramBuilder b("trn2", 2);
    const uint32_t x = b.tensor("x", TensorKind::Input, t, {kRows, kCols});
    const uint32_t y = b.tensor("y", TensorKind::Output, t, {kCols, kRows});
    // Partition p = source column p; element i = source row i.
    AccessPattern src = AccessPattern::hbm(x, t, 0, kCols, 1, {kRows});
    src.strides[0] = kCols;
    b.add(kFirstDmaQueue, DmaCopy{sb(t, 128, 0, kCols, {kRows}), src}, {}, {0});
    b.add(kFirstDmaQueue + 1, DmaCopy{AccessPattern::hbm(y, t, 0, kCols, kRows, {kRows}), sb(t, 128, 0, kCols, {kRows})}, {{0, 1}}, {});
    std::vector<HostTensor> in{hostTensor(t, {kRows, kCols}, v)};
    for (bool check : {true, false}) {
      RunOptions o;
      o.check = check;
      auto r = createEmulatorDevice()->run(b.p, in, o);
      ASSERT_TRUE(r) << r.error().message;
      const std::vector<float> out = r->outputs[0].toF32();
      for (uint32_t c = 0; c < kCols; ++c)
        for (uint32_t i = 0; i < kRows; ++i)
          ASSERT_EQ(out[c * kRows + i], v[i * kCols + c]) << dtypeName(t) << " at " << c << "," << i;
    }
  }
}

/// Same-dtype copies of 1- and 2-byte elements take the raw row path.
TEST(EmulatorFastPath, RawCopiesOfNarrowTypes) {
  for (DType t : {DType::BF16, DType::U8}) {
    Harness h;
    std::vector<float> v(5 * 40);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = static_cast<float>(i % 200);
    h.load(t, MemSpace::SBUF, 64, 32, 5, 40, v);
    // Contiguous rows (fast path) and a reversed copy (general path).
    h.op(kQueueDVE, TensorCopy{sb(t, 1000, 32, 5, {40}), sb(t, 64, 32, 5, {40})});
    h.op(kQueueDVE, TensorCopy{sb(t, 2000, 32, 5, {40}),
                               strided(MemSpace::SBUF, t, 1000 + 39 * dtypeBytes(t, 1), 32, 5, {40}, {-1})});
    const size_t o1 = h.store(t, MemSpace::SBUF, 1000, 32, 5, 40);
    const size_t o2 = h.store(t, MemSpace::SBUF, 2000, 32, 5, 40);
    for (bool check : {true, false}) {
      auto r = h.run(check);
      ASSERT_TRUE(r) << r.error().message;
      const std::vector<float> a = r->outputs[o1].toF32(), b = r->outputs[o2].toF32();
      for (uint32_t p = 0; p < 5; ++p)
        for (uint32_t e = 0; e < 40; ++e) {
          EXPECT_EQ(a[p * 40 + e], v[p * 40 + e]) << dtypeName(t);
          EXPECT_EQ(b[p * 40 + e], v[p * 40 + 39 - e]) << dtypeName(t);
        }
    }
  }
}

/// Footprint boxes contain every byte an operand touches (FP4 nibbles round
/// out to whole bytes), for strided, negative, zero-stride and HBM patterns.
TEST(EmulatorFastPath, FootprintBoxesAreConservative) {
  ProgramBuilder b("trn2", 1);
  b.tensor("t", TensorKind::Input, DType::F32, {4096});
  b.tensor("q", TensorKind::Input, DType::F4E2M1, {4096});
  const Target &target = *Target::get("trn2");
  std::vector<AccessPattern> aps = {
      ap(10, 3, 5, {33}, {1}),
      ap(300, 0, 2, {4, 37}, {-60, -1}),
      ap(5, 0, 128, {6, 10}, {1, 0}),
      AccessPattern::hbm(0, DType::F32, 2000, 4, -100, {16}),
      AccessPattern::hbm(0, DType::F32, 7, 3, 1, {5, 2}),
      AccessPattern::hbm(1, DType::F4E2M1, 3, 5, 7, {3}),
      strided(MemSpace::SBUF, DType::F4E2M1, 9, 1, 3, {5, 3}, {-2, 3}),
  };
  aps[4].strides = {2, 1000, 0, 0};
  for (const AccessPattern &a : aps) {
    emu::Walk w;
    auto err = emu::resolveWalk(a, target, b.p, w);
    ASSERT_FALSE(err) << *err;
    const emu::Box box = emu::footprintBox(a, w, true);
    // Host bytes per partition row (the walk's pitch, in bytes).
    const int64_t rowBytes = a.space == MemSpace::HBM ? 0 : w.pitch / (w.nibble ? 2 : 1);
    for (uint32_t p = 0; p < w.P; ++p)
      emu::forEachRun(w, p, [&](int64_t off, int64_t n, int64_t s, uint64_t) {
        for (int64_t i = 0; i < n; ++i) {
          const int64_t u = off + i * s;
          const int64_t firstByte = w.nibble ? u / 2 : u;
          const int64_t lastByte = w.nibble ? u / 2 : u + w.eb - 1;
          const int64_t part = rowBytes ? firstByte / rowBytes : 0;
          const int64_t inRow = rowBytes ? firstByte % rowBytes : firstByte;
          EXPECT_GE(part, box.p0);
          EXPECT_LT(part, box.p1);
          EXPECT_GE(inRow, box.lo);
          EXPECT_LE(inRow + (lastByte - firstByte), box.hi - 1);
        }
      });
  }
  // Overlap needs a write and a shared partition and byte.
  emu::Box r{0, 0, 4, 0, 16, false}, w{0, 3, 8, 12, 20, true}, w2{0, 4, 8, 0, 16, true};
  EXPECT_TRUE(emu::boxesConflict(&r, 1, &w, 1));
  EXPECT_FALSE(emu::boxesConflict(&r, 1, &w2, 1)); // partitions [0,4) vs [4,8)
  emu::Box r2 = w;
  r2.write = false;
  EXPECT_FALSE(emu::boxesConflict(&r, 1, &r2, 1)); // two reads
  emu::Box h{2, 0, 1, 0, 16, true};
  EXPECT_FALSE(emu::boxesConflict(&w, 1, &h, 1)); // SBUF vs HBM tensor 0
}

/// Device buffers are recycled between runs with only the written footprint
/// zeroed: a run that reads SBUF, PSUM and scratch it never wrote (allowed
/// without the checkers) must see zeros, not the previous run's data, even
/// after runs that wrote scattered tiles of those memories.
TEST(EmulatorFastPath, RecycledBuffersReadAsZero) {
  // Writer: fills SBUF tiles on various partitions/offsets, a PSUM bank and
  // a scratch tensor with non-zero data.
  ProgramBuilder w("trn2", 4);
  const uint32_t x = w.tensor("x", TensorKind::Input, DType::F32, {128, 512});
  const uint32_t scratch = w.tensor("s", TensorKind::Scratch, DType::F32, {128, 512});
  w.tensor("y", TensorKind::Output, DType::F32, {1});
  const std::vector<uint64_t> offsets = {0, 3000, 70000, 150000, 229000 - 2048};
  for (size_t i = 0; i < offsets.size(); ++i)
    w.add(kFirstDmaQueue, DmaCopy{sb(DType::F32, offsets[i], 32 * (i % 4), 32, {512}), hbm2d(x, DType::F32, 512, 0, 0, 32, 512)}, {}, {0});
  w.add(kFirstDmaQueue + 1, DmaCopy{ps(DType::F32, 4096, 0, 128, {512}), hbm2d(x, DType::F32, 512, 0, 0, 128, 512)}, {}, {1});
  w.add(kFirstDmaQueue + 2, DmaCopy{hbm2d(scratch, DType::F32, 512, 0, 0, 128, 512), hbm2d(x, DType::F32, 512, 0, 0, 128, 512)}, {}, {});
  std::vector<HostTensor> win{hostTensor(DType::F32, {128, 512}, randomFloats(128 * 512, 3, 1.0f, 2.0f))};

  // Reader: copies the same places (never written by it) to outputs.
  ProgramBuilder r("trn2", 4);
  const uint32_t rs = r.tensor("s", TensorKind::Scratch, DType::F32, {128, 512});
  std::vector<uint32_t> outs;
  for (size_t i = 0; i < offsets.size() + 2; ++i)
    outs.push_back(r.tensor("o" + std::to_string(i), TensorKind::Output, DType::F32, {128, 512}));
  for (size_t i = 0; i < offsets.size(); ++i)
    r.add(kFirstDmaQueue, DmaCopy{hbm2d(outs[i], DType::F32, 512, 0, 0, 128, 512), sb(DType::F32, offsets[i], 0, 128, {512})}, {}, {});
  r.add(kFirstDmaQueue + 1, DmaCopy{hbm2d(outs[offsets.size()], DType::F32, 512, 0, 0, 128, 512), ps(DType::F32, 4096, 0, 128, {512})}, {}, {});
  r.add(kFirstDmaQueue + 2, DmaCopy{hbm2d(outs[offsets.size() + 1], DType::F32, 512, 0, 0, 128, 512), hbm2d(rs, DType::F32, 512, 0, 0, 128, 512)}, {}, {});

  for (int round = 0; round < 3; ++round) {
    RunOptions o;
    o.threads = round == 2 ? 1 : 0;
    auto wr = createEmulatorDevice()->run(w.p, win, o);
    ASSERT_TRUE(wr) << wr.error().message;
    auto rr = createEmulatorDevice()->run(r.p, {}, o);
    ASSERT_TRUE(rr) << rr.error().message;
    for (size_t i = 0; i < rr->outputs.size(); ++i) {
      const std::vector<uint8_t> &d = rr->outputs[i].data;
      EXPECT_TRUE(std::all_of(d.begin(), d.end(), [](uint8_t b) { return b == 0; }))
          << "round " << round << ": output " << i << " saw a previous run's data";
    }
  }
}

/// A recycled buffer is zeroed only when the run may read bytes it did not
/// write itself. Reads fully covered by earlier dense writes skip the zeroing;
/// a read extending past a dense write, or over the gaps of a strided write,
/// must still see zeros there.
TEST(EmulatorFastPath, PartlyWrittenReadsSeeZeros) {
  // Dirty the pool: SBUF [0:128, 0:8 KiB) with non-zero data.
  ProgramBuilder w("trn2", 2);
  const uint32_t x = w.tensor("x", TensorKind::Input, DType::F32, {128, 2048});
  w.tensor("y", TensorKind::Output, DType::F32, {1});
  w.add(kFirstDmaQueue, DmaCopy{sb(DType::F32, 0, 0, 128, {2048}), hbm2d(x, DType::F32, 2048, 0, 0, 128, 2048)}, {}, {});
  std::vector<HostTensor> win{hostTensor(DType::F32, {128, 2048}, randomFloats(128 * 2048, 9, 1.0f, 2.0f))};

  // Reader: writes [0:64, 0:256) densely and every other element of
  // [0:64, 512:1024) (strided), then copies [0:64, 0:1024) out.
  ProgramBuilder r("trn2", 2);
  const uint32_t ones = r.tensor("ones", TensorKind::Input, DType::F32, {64, 256});
  const uint32_t o = r.tensor("o", TensorKind::Output, DType::F32, {64, 1024});
  r.add(kFirstDmaQueue, DmaCopy{sb(DType::F32, 0, 0, 64, {256}), hbm2d(ones, DType::F32, 256, 0, 0, 64, 256)}, {}, {0});
  r.add(kFirstDmaQueue, DmaCopy{strided(MemSpace::SBUF, DType::F32, 2048, 0, 64, {256}, {2}), hbm2d(ones, DType::F32, 256, 0, 0, 64, 256)}, {}, {0});
  r.add(kFirstDmaQueue + 1, DmaCopy{hbm2d(o, DType::F32, 1024, 0, 0, 64, 1024), sb(DType::F32, 0, 0, 64, {1024})}, {{0, 2}}, {});
  std::vector<HostTensor> rin{hostTensor(DType::F32, {64, 256}, std::vector<float>(64 * 256, 1.0f))};
  for (unsigned threads : {1u, 4u}) {
    RunOptions opt;
    opt.threads = threads;
    ASSERT_TRUE(createEmulatorDevice()->run(w.p, win, opt));
    auto rr = createEmulatorDevice()->run(r.p, rin, opt);
    ASSERT_TRUE(rr) << rr.error().message;
    const std::vector<float> v = rr->outputs[0].toF32();
    for (uint32_t p = 0; p < 64; ++p)
      for (uint32_t e = 0; e < 1024; ++e) {
        const float want = e < 256 ? 1.0f : (e >= 512 && e % 2 == 0) ? 1.0f : 0.0f;
        ASSERT_EQ(v[p * 1024 + e], want) << "partition " << p << " element " << e;
      }
  }
}

/// A pipeline whose correctness rests on cross-engine semaphores alone:
/// dma0 streams chunks into two rotating SBUF buffers; ACT transforms each
/// buffer into its own output slot (reading what DMA wrote: RAW); the DMA
/// refilling a buffer waits for ACT to have read it (WAR); DVE adds slot
/// pairs once both are written; dma1 stores everything. The parallel executor
/// must give the sequential result, the same every time.
TEST(EmulatorParallel, SemaphorePipelineMatchesSequential) {
  constexpr uint32_t kChunks = 48, kE = 96;
  ProgramBuilder b("trn2", 4);
  const uint32_t x = b.tensor("x", TensorKind::Input, DType::F32, {kChunks * 64, kE});
  const uint32_t y = b.tensor("y", TensorKind::Output, DType::F32, {64, kChunks * kE});
  const uint32_t z = b.tensor("z", TensorKind::Output, DType::F32, {64, kChunks / 2 * kE});
  // s0: chunk loaded; s1: chunk transformed; s2: pair added.
  for (uint32_t c = 0; c < kChunks; ++c) {
    std::vector<SemWait> waits;
    if (c >= 2)
      waits.push_back({1, c - 1}); // ACT has consumed the buffer's previous chunk
    b.add(kFirstDmaQueue,
          DmaCopy{sb(DType::F32, (c % 2) * kE * 4, 0, 64, {kE}),
                  hbm2d(x, DType::F32, kE, uint64_t(c) * 64, 0, 64, kE)},
          waits, {0});
    Activation a;
    a.src = sb(DType::F32, (c % 2) * kE * 4, 0, 64, {kE});
    a.dst = sb(DType::F32, 4096 + uint64_t(c) * kE * 4, 0, 64, {kE});
    a.func = ActFunc::Tanh;
    a.scale.imm = 0.75f;
    b.add(kQueueACT, a, {{0, c + 1}}, {1});
    if (c % 2 == 1) {
      const uint64_t s0 = 4096 + uint64_t(c - 1) * kE * 4;
      b.add(kQueueDVE,
            TensorTensor{sb(DType::F32, 65536 + uint64_t(c / 2) * kE * 4, 0, 64, {kE}),
                         sb(DType::F32, s0, 0, 64, {kE}), sb(DType::F32, s0 + kE * 4, 0, 64, {kE}),
                         AluOp::Mul},
            {{1, c + 1}}, {2});
    }
  }
  b.add(kFirstDmaQueue + 1,
        DmaCopy{AccessPattern::hbm(y, DType::F32, 0, 64, kChunks * kE, {kChunks * kE}),
                sb(DType::F32, 4096, 0, 64, {kChunks * kE})},
        {{1, kChunks}}, {});
  b.add(kFirstDmaQueue + 1,
        DmaCopy{AccessPattern::hbm(z, DType::F32, 0, 64, kChunks / 2 * kE, {kChunks / 2 * kE}),
                sb(DType::F32, 65536, 0, 64, {kChunks / 2 * kE})},
        {{2, kChunks / 2}}, {});
  std::vector<HostTensor> in{
      hostTensor(DType::F32, {kChunks * 64, kE}, randomFloats(size_t(kChunks) * 64 * kE, 11))};

  RunOptions seqOpts;
  seqOpts.check = true; // sequential, and proves the program race-free
  auto seq = createEmulatorDevice()->run(b.p, in, seqOpts);
  ASSERT_TRUE(seq) << seq.error().message;
  for (unsigned threads : {1u, 2u, 4u, 8u})
    for (int rep = 0; rep < 3; ++rep) {
      RunOptions o;
      o.threads = threads;
      auto par = createEmulatorDevice()->run(b.p, in, o);
      ASSERT_TRUE(par) << par.error().message;
      ASSERT_EQ(par->outputs.size(), 2u);
      for (size_t i = 0; i < 2; ++i)
        EXPECT_EQ(par->outputs[i].data, seq->outputs[i].data)
            << "output " << i << " with " << threads << " threads, repetition " << rep;
      // The timeline does not depend on how the arithmetic ran.
      EXPECT_EQ(par->stats.totalCycles, seq->stats.totalCycles);
    }
}

/// The tiled GEMM (semaphores between DMA, PE, ACT) through the parallel
/// executor equals the sequential run bit for bit, for both A layouts.
TEST(EmulatorParallel, GemmMatchesSequential) {
  for (bool transposedA : {false, true}) {
    const uint32_t M = 256, N = 512, K = 256;
    Program p = gemmProgram(M, N, K, transposedA);
    std::vector<HostTensor> in{
        hostTensor(DType::F32, transposedA ? std::vector<int64_t>{K, M} : std::vector<int64_t>{M, K},
                   randomFloats(size_t(M) * K, 21)),
        hostTensor(DType::F32, {K, N}, randomFloats(size_t(K) * N, 22))};
    RunOptions s;
    s.threads = 1;
    auto seq = createEmulatorDevice()->run(p, in, s);
    ASSERT_TRUE(seq) << seq.error().message;
    RunOptions o;
    o.threads = 4;
    auto par = createEmulatorDevice()->run(p, in, o);
    ASSERT_TRUE(par) << par.error().message;
    EXPECT_EQ(par->outputs[0].data, seq->outputs[0].data) << "transposedA " << transposedA;
  }
}

/// A prepared program (RunResult::prepared) makes later runs skip the
/// program analysis: they give the same outputs and stats as a fresh run, on
/// other inputs and any thread count; state from another program or from a
/// run with other options is not used.
TEST(EmulatorParallel, PreparedProgramRunsAlike) {
  const uint32_t M = 256, N = 512, K = 256;
  Program p = gemmProgram(M, N, K, false), other = gemmProgram(128, N, K, false);
  auto inputs = [&](uint32_t m, uint32_t seed) {
    return std::vector<HostTensor>{
        hostTensor(DType::F32, {m, K}, randomFloats(size_t(m) * K, seed)),
        hostTensor(DType::F32, {K, N}, randomFloats(size_t(K) * N, seed + 1))};
  };
  auto first = createEmulatorDevice()->run(p, inputs(M, 1), RunOptions{});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(first->prepared);
  for (unsigned threads : {1u, 2u, 4u}) {
    const auto in = inputs(M, 10 + threads);
    RunOptions fresh;
    fresh.threads = 1;
    auto want = createEmulatorDevice()->run(p, in, fresh);
    ASSERT_TRUE(want) << want.error().message;
    RunOptions o;
    o.threads = threads;
    o.prepared = first->prepared;
    auto got = createEmulatorDevice()->run(p, in, o);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->prepared, first->prepared);
    EXPECT_EQ(got->outputs[0].data, want->outputs[0].data) << threads << " threads";
    EXPECT_EQ(got->stats.totalCycles, want->stats.totalCycles);
    EXPECT_EQ(got->stats.dmaBytes, want->stats.dmaBytes);
    EXPECT_EQ(got->stats.engineBusy, want->stats.engineBusy);
  }
  // Another program: ignored (its own result, and its own prepared state).
  RunOptions o;
  o.prepared = first->prepared;
  auto got = createEmulatorDevice()->run(other, inputs(128, 3), o);
  auto want = createEmulatorDevice()->run(other, inputs(128, 3), RunOptions{});
  ASSERT_TRUE(got && want);
  EXPECT_EQ(got->outputs[0].data, want->outputs[0].data);
  EXPECT_NE(got->prepared, first->prepared);
  // Other options: a traced run records its trace; a checked run checks.
  o.recordTrace = true;
  auto traced = createEmulatorDevice()->run(p, inputs(M, 1), o);
  ASSERT_TRUE(traced) << traced.error().message;
  EXPECT_EQ(traced->stats.trace.size(), p.numInstructions());
  EXPECT_NE(traced->prepared, first->prepared);
  o.recordTrace = false;
  o.check = true;
  auto checked = createEmulatorDevice()->run(p, inputs(M, 1), o);
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_EQ(checked->outputs[0].data, first->outputs[0].data);
  EXPECT_FALSE(checked->prepared);
}

/// A semantic error found during execution names the same instruction with
/// the parallel executor as with the sequential one (the first in order).
TEST(EmulatorParallel, FirstErrorIsDeterministic) {
  ProgramBuilder b("trn2", 2);
  const uint32_t x = b.tensor("x", TensorKind::Input, DType::F32, {128, 64});
  b.add(kFirstDmaQueue, DmaCopy{sb(DType::F32, 0, 0, 128, {64}), hbm2d(x, DType::F32, 64, 0, 0, 128, 64)}, {}, {0});
  for (int i = 0; i < 20; ++i) // independent work before the bad instruction
  {
    Activation a;
    a.dst = sb(DType::F32, 1024 + i * 256, 0, 128, {64});
    a.src = sb(DType::F32, 0, 0, 128, {64});
    b.add(kQueueACT, a, {{0, 1}}, {});
  }
  // tensor_reduce with an axis mask beyond the rank: found only at execution.
  TensorReduce bad;
  bad.src = sb(DType::F32, 0, 0, 128, {64});
  bad.dst = sb(DType::F32, 8192, 0, 128, {1});
  bad.op = AluOp::Add;
  bad.axisMask = 0x6;
  b.add(kQueueDVE, bad, {{0, 1}}, {});
  b.add(kQueueDVE, bad, {}, {});
  std::vector<HostTensor> in{hostTensor(DType::F32, {128, 64}, randomFloats(128 * 64, 1))};
  std::string first;
  for (unsigned threads : {1u, 4u, 4u}) {
    RunOptions o;
    o.threads = threads;
    auto r = createEmulatorDevice()->run(b.p, in, o);
    ASSERT_FALSE(r);
    if (first.empty())
      first = r.error().message;
    EXPECT_EQ(r.error().message, first);
  }
  EXPECT_NE(first.find("dve[0] tensor_reduce"), std::string::npos) << first;
}

} // namespace
