//===- Target.cpp - trn1/trn2/trn3 hardware constants and cost model ------===//
//
// Source keys in brackets refer to /work/shared/HARDWARE.md. "(derived)"
// marks values computed from sourced numbers. docs/target-model.md describes
// every table and formula here; keep the two in sync.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/Target.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace trnrt {

namespace {

constexpr uint64_t KiB = 1024, GiB = 1024ull * 1024 * 1024;

constexpr uint32_t bit(DType t) { return 1u << static_cast<unsigned>(t); }
constexpr uint32_t kFp8Mask = bit(DType::F8E4M3) | bit(DType::F8E5M2);

/// Fields shared by all three generations.
Target commonTarget() {
  Target t;
  t.numPartitions = 128;       // [ARCHv2] 128 SBUF/PSUM partitions, PE 128x128
  t.psumBanks = 8;             // [ARCHv2] 8 banks ...
  t.psumBankBytes = 2 * KiB;   // [ARCHv2] ... of 2 KiB per partition (16 KiB/partition)
  t.peRows = 128;              // [ARCHv2]
  t.peCols = 128;              // [ARCHv2]
  t.maxStationaryFree = 128;   // [ISA] M <= 128
  t.maxMovingFree = 512;       // [ISA] N <= 512 = one PSUM bank of fp32
  t.maxMovingFreeBf16Out = 512; // v2/v3 write fp32 only: one bank
  t.movingMayExceedBank = false;
  t.maxMovingFreeV4Fp32 = 0;
  t.numSemaphores = 256;       // [DRV] 256 hardware semaphores per core
  t.minII = 64;                // [ISA-OLD] MIN_II ~ 64 cycles
  t.sramAccessCycles = 60;     // [ARCHv2] ~60 cycles per SRAM tensor access request
  t.dveStaticOverheadCycles = 100; // [ARCHv2] ~100 cycles VectorE static overhead
  t.gpsimdFixedCycles = 150;   // [ISA-OLD] iota/affine_select ~150 + N
  t.maxFreeDims = 4;           // [ARCHv2] up to 4-D access patterns
  t.maxFreeElemsSbuf = 65536;  // [ARCHv2] 64K elements/partition in SBUF
  t.maxFreeElemsPsum = 4096;   // [ARCHv2] 4K elements/partition in PSUM
  t.maxApSize = 65535;         // [ARCHv2] uint16 size
  t.maxApStride = 32767;       // [ARCHv2] int16 stride

  t.dma.numEngines = 16;       // [TRN1..3] 16 DMA engines per core (all generations)
  t.dma.queuesPerEngine = 16;  // [DRV] 16 queues per engine
  t.dma.fixedLatencyNs = 1300; // [DMABW] ~1300 ns cross-engine semaphore -> DMA start
  // [DMABW][ARCHv3] hardware descriptor generation ~600 ns per DMA instruction
  // on v3. No v2/v4 figure is published; the DMA engine count and queue design
  // are unchanged across generations [DRV], so the v3 value is used for all.
  t.dma.descriptorNs = 600;
  t.dma.efficientBytesPerPartition = 2 * KiB; // [DMABW] efficient from >= 2 KiB
  t.dma.fullRateBytesPerPartition = 4 * KiB;  // [DMABW] full rate from >= 4 KiB
  // Not published: runs shorter than this cost the queue as much as this many
  // bytes at the "efficient" (2 KiB) rate. Calibrated on the NKI matmul
  // tutorial (HARDWARE.md "Reference results", docs/scheduling.md): its
  // 256 B- and 1 KiB-run kernels both sustain ~100 GB/s on trn1, i.e. the
  // same rate, well above a linear run/4096 curve.
  t.dma.minRunBytes = 512;
  return t;
}

Target makeTrn1() {
  Target t = commonTarget();
  t.name = "trn1";
  t.neuronCore = "NeuronCore-v2";
  t.generation = 2;
  t.sbufBytesPerPartition = 192 * KiB; // [TRN1] 24 MiB = 128 x 192 KiB
  t.hbmBytesPerChip = 32 * GiB;        // [TRN1] 32 GiB
  t.hbmBandwidthGBps = 820;            // [TRN1] 0.82 TB/s
  t.coresPerChip = 2;                  // [TRN1]
  t.hasFp8DoubleRow = false;           // [ISA] nc_matmul: no perf mode on v2
  t.hasMxMatmul = false;
  t.hasQuantizeMx = false;
  t.psumBf16Accumulate = false;
  t.peakBf16TFlops = 92; // [TRN1] ~92 (= 128*128*2*2.8 GHz = 91.75, derived)
  t.peakFp8TFlops = 92;  // [TRN1] FP8 runs at the bf16 rate on v2
  t.peakFp32TFlops = 23; // [TRN1] 23 (= 91.75 / 4, derived)

  t.pe.clockGHz = 2.8;   // [TRN1] TensorE 2.8 GHz
  t.act.clockGHz = 1.4;  // [TRN1] ScalarE 1.4 GHz, 128 elements/cycle
  t.dve.clockGHz = 1.12; // [TRN1] VectorE 1.12 GHz, 128 elements/cycle
  t.pool.clockGHz = 1.4; // [TRN1] GpSimd 1.4 GHz (8 x 512-bit cores = 128 fp32 lanes, derived)
  // [TRN1] 272 GB/s per core (17 B/ns per engine x 16). Another page gives
  // 27 GiB/s per engine (464 GB/s per core); we keep 272 because it is the
  // figure stated per core and it is self-consistent with 17 B/ns x 16.
  t.dma.bandwidthGBps = 272;
  return t;
}

Target makeTrn2() {
  Target t = commonTarget();
  t.name = "trn2";
  t.neuronCore = "NeuronCore-v3";
  t.generation = 3;
  t.sbufBytesPerPartition = 224 * KiB; // [TRN2][ARCHv3] 28 MiB = 128 x 224 KiB
  t.hbmBytesPerChip = 96 * GiB;        // [TRN2][ARCHv3] 96 GiB
  // [TRN2] 2.9 TB/s; [ARCHv3] says 3 TB/s. We keep the product page's 2.9
  // (the more precise and more conservative figure).
  t.hbmBandwidthGBps = 2900;
  t.coresPerChip = 8;                  // [TRN2][ARCHv3]
  t.hasFp8DoubleRow = true;            // [ARCHv3] FP8 double-row, [ISA] perf_mode double_row
  t.hasMxMatmul = false;
  t.hasQuantizeMx = false;
  t.psumBf16Accumulate = false;
  t.peakBf16TFlops = 79;  // [TRN2] 79 (= 128*128*2*2.4 GHz = 78.6, derived)
  t.peakFp8TFlops = 158;  // [TRN2] 158 with double-row (2 x 78.6, derived)
  t.peakFp32TFlops = 20;  // [TRN2] 20 (= 78.6 / 4 = 19.7, derived)

  t.pe.clockGHz = 2.4;    // [TRN2] TensorE 2.4 GHz
  t.act.clockGHz = 1.2;   // [TRN2] ScalarE 1.2 GHz, 128 elements/cycle
  t.dve.clockGHz = 0.96;  // [TRN2] VectorE 0.96 GHz, 512 bf16 / 256 other per cycle
  t.dve.narrowFactor = 4; // 512 / 128 (derived), bf16 only as the table states
  t.dve.wideFactor = 2;   // 256 / 128 (derived)
  t.dve.narrowDTypes = bit(DType::BF16);
  t.pool.clockGHz = 1.2;  // [TRN2] GpSimd 1.2 GHz
  t.dma.bandwidthGBps = 368; // [TRN2] 368 GB/s per core
  return t;
}

Target makeTrn3() {
  Target t = commonTarget();
  t.name = "trn3";
  t.neuronCore = "NeuronCore-v4";
  t.generation = 4;
  // [ARCHv4] 32 MiB SBUF per core; 32 MiB / 128 = 256 KiB per partition (derived).
  t.sbufBytesPerPartition = 256 * KiB;
  t.hbmBytesPerChip = 144 * GiB; // [TRN3][ARCHv4] 144 GiB
  // [TRN3] 4.9 TB/s; [ARCHv4] says 4.7 TB/s. We keep 4.9 from the product
  // page for symmetry with trn2 (both chip numbers from [TRN*]).
  t.hbmBandwidthGBps = 4900;
  t.coresPerChip = 8;            // [TRN3][ARCHv4]
  // [ISA] nc_matmul: "On NeuronCore-v3 and NeuronCore-v4, Tensor Engine
  // supports FP8 double performance mode (double_row)".
  t.hasFp8DoubleRow = true;
  t.hasMxMatmul = true;          // [ARCHv4] quad-MX matmul, K = 512 per instruction
  t.hasQuantizeMx = true;        // [ARCHv4] VectorE QuantizeMX
  t.psumBf16Accumulate = true;   // [ARCHv4] matmul output FP32 or BF16
  // [ISA][ARCHv4] moving free up to 4096 fp32 / 8192 bf16 (all 16 KiB of a
  // PSUM partition, i.e. 8 banks, derived).
  t.movingMayExceedBank = true;
  t.maxMovingFreeV4Fp32 = 4096;
  t.maxMovingFreeBf16Out = 8192;
  t.peakBf16TFlops = 79;  // [TRN3] 79 (671 / 8 = 83.9 per core from the chip figure;
                          // the per-core table value 79 = 128*128*2*2.4 GHz is kept)
  t.peakFp8TFlops = 315;  // [TRN3] 315 MXFP8/MXFP4 (= 4 x 78.6, derived)
  t.peakFp32TFlops = 20;  // [TRN3] 20 (183 / 8 = 22.9 from the chip figure; 78.6/4 kept)

  t.pe.clockGHz = 2.4;    // [TRN3] TensorE 2.4 GHz
  t.act.clockGHz = 1.2;   // [TRN3] ScalarE 1.2 GHz, 256 bf16-fp8 / 128 other per cycle
  t.act.narrowFactor = 2; // 256 / 128 (derived)
  t.act.wideFactor = 1;
  t.act.narrowDTypes = bit(DType::BF16) | kFp8Mask;
  t.dve.clockGHz = 1.2;   // [TRN3] VectorE 1.2 GHz, 512 bf16-fp8 / 256 other per cycle
  t.dve.narrowFactor = 4; // 512 / 128 (derived)
  t.dve.wideFactor = 2;   // 256 / 128 (derived)
  t.dve.narrowDTypes = bit(DType::BF16) | kFp8Mask;
  t.pool.clockGHz = 1.2;  // [TRN3] GpSimd 1.2 GHz / 128
  t.dma.bandwidthGBps = 528; // [TRN3] 528 GB/s per core
  return t;
}

const Target &trn1() {
  static const Target t = makeTrn1();
  return t;
}
const Target &trn2() {
  static const Target t = makeTrn2();
  return t;
}
const Target &trn3() {
  static const Target t = makeTrn3();
  return t;
}

/// DMA queues have no engine clock: their model ticks in nanoseconds.
const EngineModel &dmaClock() {
  static const EngineModel m{1.0, 128, 1.0, 1.0, 0};
  return m;
}

//===----------------------------------------------------------------------===//
// Cost-model helpers
//===----------------------------------------------------------------------===//

/// True if `ap` walks its elements densely in row-major order (stride-1
/// innermost, every outer stride = product of the inner sizes; size-1 dims
/// are ignored).
bool isContiguous(const AccessPattern &ap) {
  int64_t expect = 1;
  for (uint32_t i = std::min<uint32_t>(ap.rank, kMaxFreeDims); i-- > 0;) {
    if (ap.sizes[i] == 1)
      continue;
    if (ap.strides[i] != expect)
      return false;
    expect *= ap.sizes[i];
  }
  return true;
}

double maxD(double a, double b) { return a > b ? a : b; }

bool isSixteenBitFloat(DType t) { return t == DType::BF16 || t == DType::F16; }

} // namespace

//===----------------------------------------------------------------------===//
// EngineModel / DmaModel
//===----------------------------------------------------------------------===//

double EngineModel::widthFactor(const std::vector<DType> &operands) const {
  if (operands.empty())
    return wideFactor;
  for (DType t : operands)
    if (!isNarrow(t))
      return wideFactor;
  return narrowFactor;
}

double DmaModel::efficiency(uint64_t runBytes) const {
  // [DMABW]: efficient from 2 KiB, full rate from 4 KiB per partition. From
  // 2 KiB up, linear in the run length: each run occupies the queue at least
  // as long as a fullRateBytesPerPartition run would, so 2 KiB runs reach 50%
  // and 4 KiB runs 100%. Below 2 KiB the rate stays at the 2 KiB ("efficient")
  // level down to minRunBytes, and below that each run costs as much as a
  // minRunBytes run (a per-run fixed cost): element-granular gathers stay
  // very slow. Calibration: docs/scheduling.md.
  if (runBytes == 0)
    return 1.0;
  const double run = static_cast<double>(runBytes);
  if (runBytes >= efficientBytesPerPartition)
    return std::min(1.0, run / fullRateBytesPerPartition);
  const double efficientRate =
      static_cast<double>(efficientBytesPerPartition) / fullRateBytesPerPartition;
  return efficientRate * std::min(1.0, run / std::max<uint64_t>(1, minRunBytes));
}

//===----------------------------------------------------------------------===//
// Lookup
//===----------------------------------------------------------------------===//

const Target *Target::get(const std::string &name) {
  if (name == "trn1")
    return &trn1();
  if (name == "trn2")
    return &trn2();
  if (name == "trn3")
    return &trn3();
  return nullptr;
}

std::vector<std::string> Target::names() { return {"trn1", "trn2", "trn3"}; }

const EngineModel &Target::engine(Engine e) const {
  switch (e) {
  case Engine::PE:
    return pe;
  case Engine::ACT:
    return act;
  case Engine::DVE:
    return dve;
  case Engine::POOL:
    return pool;
  case Engine::DMA:
    break;
  }
  return dmaClock();
}

//===----------------------------------------------------------------------===//
// Partition rules and legality
//===----------------------------------------------------------------------===//

std::vector<uint32_t> Target::legalStarts(uint32_t count) const {
  // [ARCHv2]: 65-128 partitions start at 0; 33-64 at 0 or 64; 1-32 at
  // 0/32/64/96. Expressed as "start is a multiple of the quadrant group
  // size", where the group is 128, 64 or 32 partitions.
  if (count == 0 || count > numPartitions)
    return {};
  const uint32_t quadrant = numPartitions / 4; // 32
  const uint32_t group = count > 2 * quadrant ? numPartitions : count > quadrant ? 2 * quadrant
                                                                                 : quadrant;
  std::vector<uint32_t> r;
  for (uint32_t s = 0; s + count <= numPartitions; s += group)
    r.push_back(s);
  return r;
}

bool Target::isLegalPartitionRange(uint32_t start, uint32_t count) const {
  const std::vector<uint32_t> starts = legalStarts(count);
  return std::find(starts.begin(), starts.end(), start) != starts.end();
}

std::string Target::legalStartsFor(uint32_t count) const {
  const std::vector<uint32_t> starts = legalStarts(count);
  if (starts.empty())
    return "none (1 to " + std::to_string(numPartitions) + " partitions)";
  std::string s;
  for (size_t i = 0; i < starts.size(); ++i) {
    if (i)
      s += i + 1 == starts.size() ? " or " : ", ";
    s += std::to_string(starts[i]);
  }
  return s;
}

bool Target::engineSupportsDType(Engine e, DType t) const {
  switch (e) {
  case Engine::PE:
    // Any dtype that is a legal data or scale operand of some matmul mode, or
    // the BF16 output on v4.
    return isLegalMatmulOperand(MatmulMode::Normal, t) ||
           isLegalMatmulOperand(MatmulMode::Mx, t) || isLegalMatmulScale(MatmulMode::Mx, t);
  case Engine::ACT:
  case Engine::DVE:
    // [TRN1..3] Vector/Scalar handle cFP8, FP16, BF16, FP32 and INT8..INT32
    // on every generation (the ISA's u8/u32 are the unsigned views). FP4 is
    // never produced or consumed on device (MXFP4 weights are packed at
    // compile time, QUANT.md). E8M0 only as the v4 QuantizeMX scale output.
    switch (t) {
    case DType::F4E2M1:
      return false;
    case DType::E8M0:
      return e == Engine::DVE && hasQuantizeMx;
    default:
      return true;
    }
  case Engine::POOL:
    // GpSimd: 8 general-purpose 512-bit SIMD cores [TRN1]; we allow the
    // 16/32-bit float and integer types. No source lists FP8 for GpSimd, so
    // low-precision formats are kept on Vector/Scalar.
    switch (t) {
    case DType::F32:
    case DType::BF16:
    case DType::F16:
    case DType::I32:
    case DType::U32:
    case DType::I8:
    case DType::U8:
      return true;
    default:
      return false;
    }
  case Engine::DMA:
    return true; // DMA moves bytes; packed FP4 moves whole bytes.
  }
  return false;
}

bool Target::supportsMatmulMode(MatmulMode m) const {
  switch (m) {
  case MatmulMode::Normal:
    return true;
  case MatmulMode::Fp8DoubleRow:
    return hasFp8DoubleRow;
  case MatmulMode::Mx:
    return hasMxMatmul;
  }
  return false;
}

bool Target::isLegalMatmulOperand(MatmulMode m, DType t) const {
  if (!supportsMatmulMode(m))
    return false;
  switch (m) {
  case MatmulMode::Normal:
    // [TRN1..3] BF16/FP16/TF32/FP32 and cFP8 inputs on every generation (v2
    // runs FP8 at the bf16 rate). Integer matmul is not modeled.
    return t == DType::F32 || t == DType::BF16 || t == DType::F16 || t == DType::F8E4M3 ||
           t == DType::F8E5M2;
  case MatmulMode::Fp8DoubleRow:
    // HARDWARE.md "Low-precision": E4M3 and E5M2 may mix.
    return t == DType::F8E4M3 || t == DType::F8E5M2;
  case MatmulMode::Mx:
    // [ARCHv4] MXFP8 (E4M3/E5M2) and MXFP4 (E2M1), which may mix.
    return t == DType::F8E4M3 || t == DType::F8E5M2 || t == DType::F4E2M1;
  }
  return false;
}

bool Target::isLegalMatmulScale(MatmulMode m, DType t) const {
  return m == MatmulMode::Mx && hasMxMatmul && t == DType::E8M0; // [ARCHv4]
}

bool Target::isLegalMatmulOutput(DType t) const {
  // [ISA] accumulation in FP32 in PSUM; [ARCHv4] v4 may write BF16.
  return t == DType::F32 || (t == DType::BF16 && psumBf16Accumulate);
}

unsigned Target::maxMovingFreeFor(DType out) const {
  if (!movingMayExceedBank)
    return maxMovingFree; // one PSUM bank of fp32
  return out == DType::BF16 ? maxMovingFreeBf16Out : maxMovingFreeV4Fp32;
}

unsigned Target::matmulRowsPerPartition(MatmulMode m) {
  switch (m) {
  case MatmulMode::Normal:
    return 1;
  case MatmulMode::Fp8DoubleRow:
    return 2; // [ARCHv3] stationary [128, 2, 128], moving [128, 2, 512]
  case MatmulMode::Mx:
    return 4; // [ARCHv4] quad-MX: K = 512 per instruction
  }
  return 1;
}

//===----------------------------------------------------------------------===//
// Cost model
//===----------------------------------------------------------------------===//

double Target::peakTensorFlopsPerNs(MatmulMode m, DType operand) const {
  if (!supportsMatmulMode(m))
    return 0.0;
  // One full tile: 2 * K * M * N flops in max(min(64, M), N) = N cycles with
  // K = 128 * rows, M = 128: 2 * 128 * 128 * rows flops per PE cycle
  // (the [TRN*] TFLOPS rows follow from this, derived).
  const double perCycle = 2.0 * peRows * peCols * matmulRowsPerPartition(m);
  const double fp32Slowdown = operand == DType::F32 ? 4.0 : 1.0; // [ISA-OLD] fp32: 4x
  return perCycle * pe.clockGHz / fp32Slowdown;
}

double Target::flops(const Instruction &inst) {
  const auto *mm = std::get_if<Matmul>(&inst.body);
  if (!mm)
    return 0.0;
  const unsigned rows = matmulRowsPerPartition(mm->mode);
  const double k = static_cast<double>(mm->moving.numPartitions) * rows;
  const double m = static_cast<double>(mm->stationary.elemsPerPartition()) / rows;
  const double n = static_cast<double>(mm->moving.elemsPerPartition()) / rows;
  return 2.0 * k * m * n;
}

uint64_t Target::contiguousRunBytes(const AccessPattern &ap) {
  // Walk from the innermost dim outwards while the dims stay dense; a
  // non-unit innermost stride gives one-element runs.
  uint64_t run = 1;
  int64_t expect = 1;
  for (uint32_t i = std::min<uint32_t>(ap.rank, kMaxFreeDims); i-- > 0;) {
    if (ap.sizes[i] == 1)
      continue;
    if (ap.strides[i] != expect)
      break;
    run *= ap.sizes[i];
    expect *= ap.sizes[i];
  }
  return dtypeBytes(ap.dtype, run);
}

double Target::dmaDurationNs(uint64_t bytes, uint64_t runBytes, bool semaphoreTriggered) const {
  const double transfer =
      bytes == 0 ? 0.0 : static_cast<double>(bytes) / (dma.queueBytesPerNs() * dma.efficiency(runBytes));
  return (semaphoreTriggered ? dma.fixedLatencyNs : 0.0) + dma.descriptorNs + transfer;
}

double Target::cycles(const Instruction &inst, QueueId q) const {
  // DmaCopy is priced in ns by durationNs (on any queue); other opcodes on a
  // DMA queue are illegal (the verifier rejects them) and priced at 1 GHz.
  const Engine e = queueEngine(q);
  const EngineModel &em = engine(e);
  const double minII = this->minII;

  return std::visit(
      [&](const auto &op) -> double {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, Matmul>) {
          // [ISA-OLD] back-to-back: max(min(64, M), N); fp32 operands 4x.
          // Double-row/MX move 2/4 rows of K per partition in the same cycles.
          const unsigned rows = matmulRowsPerPartition(op.mode);
          const double m = static_cast<double>(op.stationary.elemsPerPartition()) / rows;
          const double n = static_cast<double>(op.moving.elemsPerPartition()) / rows;
          const bool fp32 = op.stationary.dtype == DType::F32 || op.moving.dtype == DType::F32;
          return maxD(std::min(64.0, m), n) * (fp32 ? 4.0 : 1.0);
        } else if constexpr (std::is_same_v<T, Transpose>) {
          // [ISA-OLD] max(P, min(64, F)) for src [P, F].
          const double f = static_cast<double>(op.src.elemsPerPartition());
          return maxD(op.src.numPartitions, std::min(64.0, f));
        } else if constexpr (std::is_same_v<T, DmaCopy>) {
          return durationNs(inst, q); // a DMA on a compute queue: priced as DMA
        } else {
          // Element-wise families: N = elements per partition, divided by the
          // engine's per-generation width factor.
          if constexpr (std::is_same_v<T, Activation>) {
            // [ISA-OLD] max(MIN_II, N), + MIN_II with the free-dim reduce.
            const double n = op.dst.elemsPerPartition() / em.widthFactor({op.src.dtype, op.dst.dtype});
            return maxD(minII, n) + (op.accumDst ? minII : 0.0);
          } else if constexpr (std::is_same_v<T, TensorScalar>) {
            const double n = op.dst.elemsPerPartition() / em.widthFactor({op.src.dtype, op.dst.dtype});
            return maxD(minII, n); // [ISA-OLD]
          } else if constexpr (std::is_same_v<T, TensorCopy>) {
            const double n = op.dst.elemsPerPartition() / em.widthFactor({op.src.dtype, op.dst.dtype});
            return maxD(minII, n); // [ISA-OLD]
          } else if constexpr (std::is_same_v<T, TensorTensor>) {
            // [ISA-OLD] one pass if an input is in PSUM or for contiguous bf16
            // add/mul/sub; otherwise the two inputs are read in two passes.
            const double n = op.dst.elemsPerPartition() /
                             em.widthFactor({op.in0.dtype, op.in1.dtype, op.dst.dtype});
            const bool psumIn = op.in0.space == MemSpace::PSUM || op.in1.space == MemSpace::PSUM;
            const bool fastOp = op.op == AluOp::Add || op.op == AluOp::Mul || op.op == AluOp::Sub;
            const bool bf16Dense = op.in0.dtype == DType::BF16 && op.in1.dtype == DType::BF16 &&
                                   op.dst.dtype == DType::BF16 && isContiguous(op.in0) &&
                                   isContiguous(op.in1) && isContiguous(op.dst);
            return maxD(minII, (psumIn || (fastOp && bf16Dense)) ? n : 2.0 * n);
          } else if constexpr (std::is_same_v<T, TensorReduce>) {
            // [ISA-OLD] N/2 for bf16 add/max, else N (N = source elements).
            // The v2 bf16 fast path and the v3/v4 wider datapath are the same
            // 16-bit lanes, so the speed-ups do not compound: divide by the
            // larger of the two. MIN_II bounds every instruction's issue.
            const double w = em.widthFactor({op.src.dtype, op.dst.dtype});
            const bool fast = op.src.dtype == DType::BF16 &&
                              (op.op == AluOp::Add || op.op == AluOp::Max);
            return maxD(minII, op.src.elemsPerPartition() / maxD(w, fast ? 2.0 : 1.0));
          } else if constexpr (std::is_same_v<T, Memset>) {
            // [ISA-OLD] N/2 for zero into bf16/fp16, else N (same rule as above).
            const double w = em.widthFactor({op.dst.dtype});
            const bool fast = op.value == 0.0f && isSixteenBitFloat(op.dst.dtype);
            return maxD(minII, op.dst.elemsPerPartition() / maxD(w, fast ? 2.0 : 1.0));
          } else if constexpr (std::is_same_v<T, Iota>) {
            // [ISA-OLD] ~150 + N on GpSimd.
            return gpsimdFixedCycles + op.dst.elemsPerPartition() / em.widthFactor({op.dst.dtype});
          } else if constexpr (std::is_same_v<T, Select>) {
            // [ISA-OLD] affine_select ~150 + N on GpSimd.
            return gpsimdFixedCycles +
                   op.dst.elemsPerPartition() /
                       em.widthFactor({op.pred.dtype, op.onTrue.dtype, op.onFalse.dtype, op.dst.dtype});
          } else if constexpr (std::is_same_v<T, QuantizeMx>) {
            // No published cost (derived): one pass for the block absolute
            // maximum and one to scale and convert, like a two-pass
            // tensor_tensor: max(MIN_II, 2N).
            const double n = op.src.elemsPerPartition() / em.widthFactor({op.src.dtype, op.dst.dtype});
            return maxD(minII, 2.0 * n);
          } else {
            static_assert(sizeof(T) == 0, "unhandled instruction in the cost model");
          }
        }
      },
      inst.body);
}

double Target::durationNs(const Instruction &inst, QueueId q) const {
  return durationNs(inst, q, !inst.waits.empty());
}

double Target::durationNs(const Instruction &inst, QueueId q, bool semaphoreTriggered) const {
  if (const auto *d = std::get_if<DmaCopy>(&inst.body)) {
    const uint64_t bytes = dtypeBytes(d->src.dtype, d->src.numElements());
    const uint64_t perPartition = dtypeBytes(d->src.dtype, d->src.elemsPerPartition());
    const uint64_t run = std::min({contiguousRunBytes(d->src), contiguousRunBytes(d->dst), perPartition});
    return dmaDurationNs(bytes, run, semaphoreTriggered);
  }
  return cycles(inst, q) / engine(queueEngine(q)).clockGHz;
}

} // namespace trnrt
