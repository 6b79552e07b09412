//===- GemmProgram.h - A hand-scheduled f32 GEMM device program -*- C++ -*-===//
//
// C[M, N] = A[M, K] @ B[K, N] in f32 for trn2, written directly with the
// Program API the way the compiler's scheduler lays it out:
//  - DMA queues dma0..dma3 load, per 128-row contraction tile kt,
//      A^T[kt] : SBUF [128 (k), M]  from A through a transposing HBM access
//                pattern (partition stride 1 element, free stride K), or,
//                with `aKMajor`, from A stored K-major ([K, M], the layout
//                trnc gives stationary weights) with contiguous rows, and
//      B[kt]   : SBUF [128 (k), N]  (contiguous rows);
//    both loads of tile kt signal semaphore kt.
//  - PE: for every output tile g = (mt, nt) of [128 (m), 512 (n)], K/128
//    matmuls accumulate stationary A^T[kt][:, mt*128 +: 128] x moving
//    B[kt][:, nt*512 +: 512] into PSUM bank g % 8; the last one signals
//    semaphore MM. Reusing a bank waits for the eviction of its previous tile.
//  - ACT (even g, activation identity) and DVE (odd g, tensor_copy) evict the
//    bank into the SBUF C tile and signal EV_ACT / EV_DVE.
//  - DMA stores each C tile to HBM once its eviction is done.
// SBUF use per partition: (M + N) * K / 128 * 4 + M * N / 128 * 4 bytes
// (96 KiB for 1024^3, within trn2's 224 KiB).
//
//===----------------------------------------------------------------------===//
#ifndef TRN_BENCH_GEMMPROGRAM_H
#define TRN_BENCH_GEMMPROGRAM_H

#include "trn/runtime/ISA.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace trnbench {

inline trnrt::Program buildGemmProgram(uint32_t M, uint32_t N, uint32_t K,
                                       unsigned numDmaQueues = 4, bool aKMajor = false) {
  using namespace trnrt;
  constexpr uint32_t kTileK = 128, kTileM = 128, kTileN = 512, kBanks = 8, kBankBytes = 2048;
  if (M % kTileM || N % kTileN || K % kTileK || numDmaQueues == 0 ||
      numDmaQueues > kMaxDmaQueues)
    throw std::invalid_argument("GEMM sizes must be multiples of M 128, N 512, K 128");
  const uint32_t KT = K / kTileK, MT = M / kTileM, NTN = N / kTileN;
  const uint64_t aBase = 0;
  const uint64_t bBase = aBase + uint64_t(KT) * M * 4;
  const uint64_t cBase = bBase + uint64_t(KT) * N * 4;
  const uint32_t semMM = KT, semEvAct = KT + 1, semEvDve = KT + 2;

  Program p;
  p.target = "trn2";
  p.name = "gemm_" + std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K);
  p.numSemaphores = KT + 3;
  p.tensors.push_back({aKMajor ? "A_T" : "A", TensorKind::Input, DType::F32,
                       aKMajor ? std::vector<int64_t>{K, M} : std::vector<int64_t>{M, K}, {},
                       std::nullopt});
  p.tensors.push_back({"B", TensorKind::Input, DType::F32, {K, N}, {}, std::nullopt});
  p.tensors.push_back({"C", TensorKind::Output, DType::F32, {M, N}, {}, std::nullopt});
  p.buffers.push_back({"AT", MemSpace::SBUF, aBase, bBase - aBase, 0, 128});
  p.buffers.push_back({"B", MemSpace::SBUF, bBase, cBase - bBase, 0, 128});
  p.buffers.push_back({"C", MemSpace::SBUF, cBase, uint64_t(MT) * N * 4, 0, 128});
  p.buffers.push_back({"acc", MemSpace::PSUM, 0, kBanks * kBankBytes, 0, 128});

  Queue pe{kQueuePE, {}}, act{kQueueACT, {}}, dve{kQueueDVE, {}};
  std::vector<Queue> dma;
  for (unsigned q = 0; q < numDmaQueues; ++q)
    dma.push_back(Queue{static_cast<QueueId>(kFirstDmaQueue + q), {}});

  auto sbuf = [](uint64_t addr, uint32_t free) {
    return AccessPattern::tile(MemSpace::SBUF, DType::F32, addr, 0, 128, {free});
  };
  auto loadTag = [](const char *what, uint32_t kt) {
    return std::string("load ") + what + "[" + std::to_string(kt) + "]";
  };

  // Loads, tile kt on queues (2kt) % Q and (2kt + 1) % Q.
  unsigned nextDma = 0;
  for (uint32_t kt = 0; kt < KT; ++kt) {
    Instruction la;
    la.body = DmaCopy{
        sbuf(aBase + uint64_t(kt) * M * 4, M),
        aKMajor ? AccessPattern::hbm(0, DType::F32, uint64_t(kt) * kTileK * M, kTileK, M, {M})
                // Row p of the tile is column kt*128 + p of A: the partition
                // stride is one element, the free stride K.
                : AccessPattern::hbm(0, DType::F32, uint64_t(kt) * kTileK, kTileK, 1, {M},
                                     {static_cast<int64_t>(K)})};
    la.signals = {kt};
    la.debug = loadTag("A^T", kt);
    dma[nextDma++ % numDmaQueues].instructions.push_back(la);
    Instruction lb;
    lb.body = DmaCopy{sbuf(bBase + uint64_t(kt) * N * 4, N),
                      AccessPattern::hbm(1, DType::F32, uint64_t(kt) * kTileK * N, kTileK, N, {N})};
    lb.signals = {kt};
    lb.debug = loadTag("B", kt);
    dma[nextDma++ % numDmaQueues].instructions.push_back(lb);
  }

  uint32_t g = 0;
  for (uint32_t mt = 0; mt < MT; ++mt) {
    for (uint32_t nt = 0; nt < NTN; ++nt, ++g) {
      AccessPattern acc =
          AccessPattern::tile(MemSpace::PSUM, DType::F32, (g % kBanks) * kBankBytes, 0, 128, {kTileN});
      const std::string tag = "C[" + std::to_string(mt) + "," + std::to_string(nt) + "]";
      for (uint32_t kt = 0; kt < KT; ++kt) {
        Instruction mm;
        mm.body = Matmul{acc,
                         sbuf(aBase + uint64_t(kt) * M * 4 + uint64_t(mt) * kTileM * 4, kTileM),
                         sbuf(bBase + uint64_t(kt) * N * 4 + uint64_t(nt) * kTileN * 4, kTileN),
                         kt > 0, MatmulMode::Normal, std::nullopt, std::nullopt};
        if (g == 0)
          mm.waits.push_back({kt, 2}); // both loads of tile kt
        if (kt == 0 && g >= kBanks) {
          // The bank's previous tile (g - 8) must have been evicted.
          uint32_t prev = g - kBanks;
          mm.waits.push_back({prev % 2 == 0 ? semEvAct : semEvDve, prev / 2 + 1});
        }
        if (kt + 1 == KT)
          mm.signals = {semMM};
        mm.debug = tag + " k" + std::to_string(kt);
        pe.instructions.push_back(mm);
      }
      AccessPattern cTile = sbuf(cBase + uint64_t(mt) * N * 4 + uint64_t(nt) * kTileN * 4, kTileN);
      Instruction ev;
      if (g % 2 == 0) {
        Activation a;
        a.dst = cTile;
        a.src = acc;
        a.func = ActFunc::Identity;
        ev.body = a;
        ev.signals = {semEvAct};
      } else {
        ev.body = TensorCopy{cTile, acc};
        ev.signals = {semEvDve};
      }
      ev.waits = {{semMM, g + 1}};
      ev.debug = "evict " + tag;
      (g % 2 == 0 ? act : dve).instructions.push_back(ev);

      Instruction st;
      st.body = DmaCopy{AccessPattern::hbm(2, DType::F32, uint64_t(mt) * kTileM * N + uint64_t(nt) * kTileN,
                                           kTileM, N, {kTileN}),
                        cTile};
      st.waits = {{g % 2 == 0 ? semEvAct : semEvDve, g / 2 + 1}};
      st.debug = "store " + tag;
      dma[g % numDmaQueues].instructions.push_back(st);
    }
  }
  p.queues = {pe, act, dve};
  for (Queue &q : dma)
    p.queues.push_back(q);
  return p;
}

} // namespace trnbench

#endif // TRN_BENCH_GEMMPROGRAM_H
