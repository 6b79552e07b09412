//===- TestPrograms.h - Small valid programs for tests (header-only) -*- C++ -*-===//
//
// Reusable sample programs for the format, verifier, emulator and tool tests:
//   gemm(target)        y = relu(xT^T @ w): bf16 inputs, K = 256 accumulated in two
//                       matmuls, every target; DMA queues, PE, ACT, semaphores.
//   fp8DoubleRow()      trn2 FP8 double-row matmul (E4M3 x E5M2, K = 256).
//   everyInstruction()  trn3: every opcode, every optional operand (MX matmul
//                       scales, activation scale/bias APs + accumulation,
//                       reversed tensor_scalar, negative strides, rank-4 APs,
//                       a constant with a scale tensor, a scratch tensor).
// Each is verified-valid for its target and its reads are initialised by
// earlier, semaphore-ordered writes (the race checker accepts them).
// Include as "../Program/TestPrograms.h" (components) or
// "../lib/Program/TestPrograms.h" (tools).
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_LIB_PROGRAM_TESTPROGRAMS_H
#define TRN_RUNTIME_LIB_PROGRAM_TESTPROGRAMS_H

#include "trn/runtime/ISA.h"

#include <cstring>
#include <string>
#include <vector>

namespace trnrt {
namespace testprog {

inline Instruction inst(InstructionBody body, std::vector<SemWait> waits = {},
                        std::vector<uint32_t> signals = {}, std::string debug = {}) {
  Instruction i;
  i.body = std::move(body);
  i.waits = std::move(waits);
  i.signals = std::move(signals);
  i.debug = std::move(debug);
  return i;
}

/// The queue `id` of `p`, appended if missing. Queues are reserved up front
/// so references returned earlier stay valid.
inline Queue &queue(Program &p, QueueId id) {
  if (p.queues.capacity() < kMaxQueues)
    p.queues.reserve(kMaxQueues);
  for (Queue &q : p.queues)
    if (q.id == id)
      return q;
  p.queues.push_back(Queue{id, {}});
  return p.queues.back();
}

inline TensorDecl tensor(std::string name, TensorKind kind, DType dtype,
                         std::vector<int64_t> shape) {
  TensorDecl t;
  t.name = std::move(name);
  t.kind = kind;
  t.dtype = dtype;
  t.shape = std::move(shape);
  return t;
}

/// Deterministic bytes for a constant: small exact values (k/8, k in
/// -8..8) for f32/bf16, a code pattern otherwise.
inline std::vector<uint8_t> constantBytes(DType t, uint64_t numel) {
  std::vector<uint8_t> out(dtypeBytes(t, numel));
  for (uint64_t i = 0; i < numel; ++i) {
    float v = static_cast<float>(static_cast<int>((i * 37) % 17) - 8) / 8.0f;
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    if (t == DType::F32) {
      std::memcpy(&out[i * 4], &bits, 4);
    } else if (t == DType::BF16) {
      uint16_t h = static_cast<uint16_t>(bits >> 16); // exact: k/8 fits in bf16
      std::memcpy(&out[i * 2], &h, 2);
    }
  }
  if (t != DType::F32 && t != DType::BF16)
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<uint8_t>((i * 29 + 7) % 0x70); // finite FP8/E8M0/FP4 codes
  return out;
}

inline BufferDecl buffer(std::string name, MemSpace space, uint64_t offset, uint64_t bytes,
                         uint32_t parts = 128) {
  BufferDecl b;
  b.name = std::move(name);
  b.space = space;
  b.offset = offset;
  b.bytesPerPartition = bytes;
  b.numPartitions = parts;
  return b;
}

/// y[128, 512] = relu(xT[256, 128]^T @ w[256, 512]), bf16 operands, f32 out.
inline Program gemm(const std::string &target = "trn2") {
  using AP = AccessPattern;
  Program p;
  p.target = target;
  p.name = "gemm";
  p.tensors.push_back(tensor("xT", TensorKind::Input, DType::BF16, {256, 128}));
  TensorDecl w = tensor("w", TensorKind::Constant, DType::BF16, {256, 512});
  w.data = constantBytes(DType::BF16, 256 * 512);
  p.tensors.push_back(std::move(w));
  p.tensors.push_back(tensor("y", TensorKind::Output, DType::F32, {128, 512}));
  p.buffers = {buffer("xT_k0", MemSpace::SBUF, 0x0, 256),
               buffer("xT_k1", MemSpace::SBUF, 0x100, 256),
               buffer("w_k0", MemSpace::SBUF, 0x200, 1024),
               buffer("w_k1", MemSpace::SBUF, 0x600, 1024),
               buffer("y_tile", MemSpace::SBUF, 0xa00, 2048),
               buffer("acc", MemSpace::PSUM, 0x0, 2048)};
  const QueueId dma0 = kFirstDmaQueue, dma1 = kFirstDmaQueue + 1;
  auto sb = [](uint64_t a, DType t, uint32_t n) { return AP::tile(MemSpace::SBUF, t, a, 0, 128, {n}); };
  queue(p, dma0).instructions = {
      inst(DmaCopy{sb(0x0, DType::BF16, 128), AP::hbm(0, DType::BF16, 0, 128, 128, {128})}, {},
           {0}, "load xT[0:128]"),
      inst(DmaCopy{sb(0x100, DType::BF16, 128), AP::hbm(0, DType::BF16, 128 * 128, 128, 128, {128})},
           {}, {0}, "load xT[128:256]"),
  };
  queue(p, dma1).instructions = {
      inst(DmaCopy{sb(0x200, DType::BF16, 512), AP::hbm(1, DType::BF16, 0, 128, 512, {512})}, {},
           {1}, "load w[0:128]"),
      inst(DmaCopy{sb(0x600, DType::BF16, 512), AP::hbm(1, DType::BF16, 128 * 512, 128, 512, {512})},
           {}, {1}, "load w[128:256]"),
  };
  const AP acc = AP::tile(MemSpace::PSUM, DType::F32, 0x0, 0, 128, {512});
  Matmul m0;
  m0.dst = acc;
  m0.stationary = sb(0x0, DType::BF16, 128);
  m0.moving = sb(0x200, DType::BF16, 512);
  m0.accumulate = false;
  Matmul m1 = m0;
  m1.stationary = sb(0x100, DType::BF16, 128);
  m1.moving = sb(0x600, DType::BF16, 512);
  m1.accumulate = true;
  queue(p, kQueuePE).instructions = {
      inst(m0, {{0, 1}, {1, 1}}, {}, "matmul k0"),
      inst(m1, {{0, 2}, {1, 2}}, {2}, "matmul k1"),
  };
  Activation relu;
  relu.dst = sb(0xa00, DType::F32, 512);
  relu.src = acc;
  relu.func = ActFunc::Relu;
  queue(p, kQueueACT).instructions = {inst(relu, {{2, 1}}, {3}, "relu")};
  queue(p, dma0).instructions.push_back(
      inst(DmaCopy{AP::hbm(2, DType::F32, 0, 128, 512, {512}), sb(0xa00, DType::F32, 512)},
           {{3, 1}}, {}, "store y"));
  p.numSemaphores = 4;
  return p;
}

/// trn2: y[128, 512] = a[256, 128]^T @ b[256, 512] with one FP8 double-row matmul.
inline Program fp8DoubleRow() {
  using AP = AccessPattern;
  Program p;
  p.target = "trn2";
  p.name = "fp8_double_row";
  p.tensors.push_back(tensor("a", TensorKind::Input, DType::F8E4M3, {256, 128}));
  p.tensors.push_back(tensor("b", TensorKind::Input, DType::F8E5M2, {256, 512}));
  p.tensors.push_back(tensor("y", TensorKind::Output, DType::F32, {128, 512}));
  // Contraction index k = row * 128 + partition.
  const QueueId dma0 = kFirstDmaQueue;
  AP st = AP::tile(MemSpace::SBUF, DType::F8E4M3, 0x0, 0, 128, {2, 128});
  AP mv = AP::tile(MemSpace::SBUF, DType::F8E5M2, 0x100, 0, 128, {2, 512});
  queue(p, dma0).instructions = {
      inst(DmaCopy{st, AP::hbm(0, DType::F8E4M3, 0, 128, 128, {2, 128}, {128 * 128, 1})}, {}, {0}),
      inst(DmaCopy{mv, AP::hbm(1, DType::F8E5M2, 0, 128, 512, {2, 512}, {128 * 512, 1})}, {}, {0}),
  };
  Matmul m;
  m.dst = AP::tile(MemSpace::PSUM, DType::F32, 0x800, 0, 128, {512});
  m.stationary = st;
  m.moving = mv;
  m.mode = MatmulMode::Fp8DoubleRow;
  queue(p, kQueuePE).instructions = {inst(m, {{0, 2}}, {1})};
  Activation copy;
  copy.dst = AP::tile(MemSpace::SBUF, DType::F32, 0x800, 0, 128, {512});
  copy.src = m.dst;
  queue(p, kQueueACT).instructions = {inst(copy, {{1, 1}}, {2})};
  queue(p, dma0).instructions.push_back(
      inst(DmaCopy{AP::hbm(2, DType::F32, 0, 128, 512, {512}), copy.dst}, {{2, 1}}, {}));
  p.numSemaphores = 3;
  return p;
}

/// trn3: every opcode and every optional field, in one dependency chain.
inline Program everyInstruction() {
  using AP = AccessPattern;
  const MemSpace S = MemSpace::SBUF, PS = MemSpace::PSUM;
  Program p;
  p.target = "trn3";
  p.name = "every_instruction";
  p.tensors.push_back(tensor("x", TensorKind::Input, DType::F32, {128, 64}));        // t0
  TensorDecl wq = tensor("wq", TensorKind::Constant, DType::F8E4M3, {512, 32});      // t1
  wq.data = constantBytes(DType::F8E4M3, 512 * 32);
  wq.scaleTensor = 2;
  p.tensors.push_back(std::move(wq));
  TensorDecl ws = tensor("wq_scale", TensorKind::Constant, DType::E8M0, {16, 32});   // t2
  ws.data = constantBytes(DType::E8M0, 16 * 32);
  p.tensors.push_back(std::move(ws));
  p.tensors.push_back(tensor("out", TensorKind::Output, DType::F32, {64, 64}));      // t3
  p.tensors.push_back(tensor("scratch", TensorKind::Scratch, DType::F8E5M2, {64, 64})); // t4
  p.tensors.push_back(tensor("out_red", TensorKind::Output, DType::F32, {64, 4}));   // t5

  // SBUF map (bytes per partition).
  const uint64_t aX = 0x0, aWq = 0x100, aWs = 0x180, aXq = 0x200, aXs = 0x240, aY = 0x300,
                 aAcc = 0x380, aSc = 0x384, aBias = 0x388, aIo = 0x400, aTt = 0x500, aTs = 0x600,
                 aRed = 0x700, aCp = 0x780, aSel = 0x800;
  p.buffers = {buffer("x", S, aX, 256),         buffer("wq", S, aWq, 128),
               buffer("wq_scale", S, aWs, 128, 4), buffer("xq", S, aXq, 64),
               buffer("xq_scale", S, aXs, 64, 4),  buffer("y", S, aY, 128, 64),
               buffer("misc", S, aAcc, 12, 64),    buffer("iota", S, aIo, 256, 64),
               buffer("work", S, aTt, 0x800 - aTt + 256, 64),
               buffer("mx_acc", PS, 0x0, 64, 32),  buffer("xT", PS, 0x800, 512, 64),
               buffer("acc", PS, 0x1000, 256, 64)};

  const QueueId dma0 = kFirstDmaQueue, dma1 = kFirstDmaQueue + 1;
  // Loads: x, the MX weight [k = row*128 + p, m] and its scales (block b = k/32).
  AP xTile = AP::tile(S, DType::F32, aX, 0, 128, {64});
  AP wqTile = AP::tile(S, DType::F8E4M3, aWq, 0, 128, {4, 32});
  AP wsTile = AP::tile(S, DType::E8M0, aWs, 0, 4, {4, 32});
  queue(p, dma0).instructions = {
      inst(DmaCopy{xTile, AP::hbm(0, DType::F32, 0, 128, 64, {64})}, {}, {0}, "load x"),
      inst(DmaCopy{wqTile, AP::hbm(1, DType::F8E4M3, 0, 128, 32, {4, 32}, {128 * 32, 1})}, {},
           {0}, "load wq"),
      inst(DmaCopy{wsTile, AP::hbm(2, DType::E8M0, 0, 4, 32, {4, 32}, {4 * 32, 1})}, {}, {0},
           "load wq scales"),
  };

  // DVE: scale/bias columns, then MX-quantize x viewed as [128, 4 rows, 16].
  AP sc = AP::tile(S, DType::F32, aSc, 0, 64, {1});
  AP bias = AP::tile(S, DType::F32, aBias, 0, 64, {1});
  AP xView = AP::tile(S, DType::F32, aX, 0, 128, {4, 16});
  AP xq = AP::tile(S, DType::F8E4M3, aXq, 0, 128, {4, 16});
  AP xs = AP::tile(S, DType::E8M0, aXs, 0, 4, {4, 16});
  Memset ms0{sc, 0.5f};
  Memset ms1{bias, -1.25f};
  auto &dve = queue(p, kQueueDVE).instructions;
  dve.push_back(inst(ms0));
  dve.push_back(inst(ms1, {}, {3}));
  dve.push_back(inst(QuantizeMx{xq, xs, xView}, {{0, 3}}, {1}, "quantize x"));

  // PE: MX matmul, transpose, f32 matmul group (overwrite + accumulate).
  Matmul mx;
  mx.dst = AP::tile(PS, DType::F32, 0x0, 0, 32, {16});
  mx.stationary = wqTile;
  mx.moving = xq;
  mx.mode = MatmulMode::Mx;
  mx.stationaryScale = wsTile;
  mx.movingScale = xs;
  Transpose tr{AP::tile(PS, DType::F32, 0x800, 0, 64, {128}), xTile};
  Matmul f0;
  f0.dst = AP::tile(PS, DType::F32, 0x1000, 0, 64, {64});
  f0.stationary = xTile;
  f0.moving = xTile;
  Matmul f1 = f0;
  f1.accumulate = true;
  queue(p, kQueuePE).instructions = {inst(mx, {{1, 1}}, {}, "mx matmul"), inst(tr),
                                     inst(f0), inst(f1, {}, {2})};

  // ACT: y = gelu(acc * sc + bias) with row sums.
  Activation act;
  act.dst = AP::tile(S, DType::BF16, aY, 0, 64, {64});
  act.src = f0.dst;
  act.func = ActFunc::Gelu;
  act.scale = ScalarOperand{0.0f, sc};
  act.bias = ScalarOperand{0.0f, bias};
  act.accumDst = AP::tile(S, DType::F32, aAcc, 0, 64, {1});
  queue(p, kQueueACT).instructions = {inst(act, {{2, 1}, {3, 1}}, {4}, "gelu")};

  // POOL: iota [64, 4, 16] i32.
  Iota io;
  io.dst = AP::tile(S, DType::I32, aIo, 0, 64, {4, 16});
  io.base = 3;
  io.channelMultiplier = 64;
  io.multipliers = {16, 1, 0, 0};
  queue(p, kQueuePOOL).instructions = {inst(io, {}, {5})};

  // DVE chain.
  AP tt = AP::tile(S, DType::F32, aTt, 0, 64, {64});
  AP ts = AP::tile(S, DType::F32, aTs, 0, 64, {64});
  AP x64 = AP::tile(S, DType::F32, aX, 0, 64, {64});
  dve.push_back(inst(TensorTensor{tt, act.dst, x64, AluOp::Mul}, {{4, 1}}));
  TensorScalar tsi;
  tsi.dst = ts;
  tsi.src = tt;
  tsi.op0 = AluOp::Sub;
  tsi.scalar0 = ScalarOperand{0.0f, sc};
  tsi.reverse0 = true;
  tsi.op1 = AluOp::Max;
  tsi.scalar1 = ScalarOperand{-0.25f, std::nullopt};
  tsi.reverse1 = true;
  dve.push_back(inst(tsi));
  TensorReduce red;
  red.dst = AP::tile(S, DType::F32, aRed, 0, 64, {4});
  red.src = AP::tile(S, DType::F32, aTs, 0, 64, {4, 16});
  red.op = AluOp::Max;
  red.axisMask = 0x2;
  red.negate = true;
  dve.push_back(inst(red));
  // Copy the iota rows reversed (negative inner stride), converting to e5m2.
  AP ioRev = AP::tile(S, DType::I32, aIo + 15 * 4, 0, 64, {4, 16});
  ioRev.strides = {16, -1, 0, 0};
  AP cp = AP::tile(S, DType::F8E5M2, aCp, 0, 64, {4, 16});
  dve.push_back(inst(TensorCopy{cp, ioRev}, {{5, 1}}, {6}));
  // POOL: select (a GpSimd instruction) once the DVE chain is done.
  queue(p, kQueuePOOL).instructions.push_back(
      inst(Select{AP::tile(S, DType::F32, aSel, 0, 64, {64}), tt, ts, act.dst}, {{6, 1}}, {7},
           "select"));

  // Stores: out, the reduction, and the e5m2 copy to scratch via a rank-4 view.
  AP scratchView = AP::hbm(4, DType::F8E5M2, 0, 64, 64, {2, 2, 4, 4}, {32, 16, 4, 1});
  AP cp4 = AP::tile(S, DType::F8E5M2, aCp, 0, 64, {2, 2, 4, 4});
  queue(p, dma1).instructions = {
      inst(DmaCopy{AP::hbm(3, DType::F32, 0, 64, 64, {64}), AP::tile(S, DType::F32, aSel, 0, 64, {64})},
           {{7, 1}}, {}, "store out"),
      inst(DmaCopy{AP::hbm(5, DType::F32, 0, 64, 4, {4}), red.dst}, {{6, 1}}),
      inst(DmaCopy{scratchView, cp4}, {{6, 1}}),
      // In-order queue: reads the scratch rows written just before.
      inst(DmaCopy{AP::tile(S, DType::F8E5M2, aCp, 0, 64, {64}),
                   AP::hbm(4, DType::F8E5M2, 0, 64, 64, {64})},
           {}, {}, "reload scratch"),
  };
  p.numSemaphores = 8;
  return p;
}

} // namespace testprog
} // namespace trnrt

#endif // TRN_RUNTIME_LIB_PROGRAM_TESTPROGRAMS_H
