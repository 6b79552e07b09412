//===- Target.h - Trainium target model: one source of hardware truth -*- C++ -*-===//
//
// Every hardware constant that the verifiers, tiling, memory planning, the
// scheduler's cost model and the emulator need, for trn1 (NeuronCore-v2),
// trn2 (v3) and trn3 (v4). Each constant cites its source key from
// ../shared/HARDWARE.md in Target.cpp. MLIR-free.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_TARGET_H
#define TRN_RUNTIME_TARGET_H

#include "trn/runtime/ISA.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trnrt {

/// Clock and datapath width of one compute engine.
struct EngineModel {
  double clockGHz = 1.0;
  /// Elements processed per cycle per instruction stream: for the cost
  /// formulas, N elements per partition take N cycles at 128 lanes; wider
  /// engines (v3/v4 VectorE) divide by widthFactor for the listed dtypes.
  unsigned lanes = 128;
  /// Throughput multiplier for 16-bit/8-bit dtypes (v3 DVE: 512 bf16 vs 256
  /// other elements per cycle relative to 128 lanes => 4x / 2x).
  double narrowFactor = 1.0;
  double wideFactor = 1.0;
  /// Bit (1 << DType) set for the dtypes that run at narrowFactor; an
  /// instruction gets narrowFactor only if all its data operands qualify.
  uint32_t narrowDTypes = 0;

  bool isNarrow(DType t) const { return (narrowDTypes >> static_cast<unsigned>(t)) & 1u; }
  /// Element-rate multiplier relative to 1 element/partition/cycle for an
  /// instruction whose data operands have the given dtypes.
  double widthFactor(const std::vector<DType> &operands) const;
};

struct DmaModel {
  unsigned numEngines = 16;
  unsigned queuesPerEngine = 16;
  double bandwidthGBps = 0;       // per NeuronCore, all engines together
  double fixedLatencyNs = 0;      // semaphore -> DMA start
  double descriptorNs = 0;        // per DMA instruction (descriptor generation)
  uint64_t efficientBytesPerPartition = 2048; // efficient from this chunk size
  uint64_t fullRateBytesPerPartition = 4096;  // full rate from this chunk size
  uint64_t minRunBytes = 512; // shorter runs cost as much as this (calibrated)

  /// Bandwidth of one DMA queue in bytes/ns (= GB/s): core bandwidth split
  /// evenly over the engines (one trnc DMA queue per engine).
  double queueBytesPerNs() const { return bandwidthGBps / numEngines; }
  /// Fraction of queueBytesPerNs() achieved when every contiguous run is
  /// `runBytes` long: min(1, runBytes / fullRateBytesPerPartition) from
  /// efficientBytesPerPartition up; below, the efficient rate
  /// (efficient / fullRate) times min(1, runBytes / minRunBytes).
  double efficiency(uint64_t runBytes) const;
};

struct Target {
  std::string name;          // "trn1"
  std::string neuronCore;    // "NeuronCore-v2"
  unsigned generation = 2;   // NeuronCore version: 2, 3, 4

  // Memories.
  unsigned numPartitions = 128;
  uint64_t sbufBytesPerPartition = 0;
  unsigned psumBanks = 8;
  uint64_t psumBankBytes = 2048;          // per partition
  uint64_t psumBytesPerPartition() const { return psumBanks * psumBankBytes; }
  uint64_t hbmBytesPerChip = 0;
  double hbmBandwidthGBps = 0;            // per chip
  unsigned coresPerChip = 0;

  // Tensor engine.
  unsigned peRows = 128, peCols = 128;
  unsigned maxStationaryFree = 128;       // M
  unsigned maxMovingFree = 512;           // N (fp32 elements per PSUM bank)
  unsigned maxMovingFreeBf16Out = 512;    // v4: 8192 bf16 outputs
  bool movingMayExceedBank = false;       // v4: moving free up to 4096 fp32
  unsigned maxMovingFreeV4Fp32 = 0;
  bool hasFp8DoubleRow = false;           // v3 and v4 ([ISA] nc_matmul perf_mode)
  bool hasMxMatmul = false;               // v4
  bool hasQuantizeMx = false;             // v4 VectorE
  bool psumBf16Accumulate = false;        // v4
  double peakBf16TFlops = 0;              // per core, dense
  double peakFp8TFlops = 0;               // fastest fp8 path: v2 normal, v3 double-row, v4 MX
  double peakFp32TFlops = 0;

  EngineModel pe, act, dve, pool;
  DmaModel dma;
  unsigned numSemaphores = 256;

  // Fixed instruction costs (engine cycles).
  unsigned minII = 64;                    // MIN_II
  unsigned sramAccessCycles = 60;         // per SRAM tensor access request
  unsigned dveStaticOverheadCycles = 100; // small dependent VectorE instructions
  unsigned gpsimdFixedCycles = 150;       // iota / affine_select

  // Access-pattern limits.
  unsigned maxFreeDims = 4;
  uint64_t maxFreeElemsSbuf = 65536;      // Vector/Scalar per partition in SBUF
  uint64_t maxFreeElemsPsum = 4096;       // ... in PSUM
  uint32_t maxApSize = 65535;             // uint16 size
  int64_t maxApStride = 32767;            // int16 stride

  /// Looks up "trn1" | "trn2" | "trn3"; nullptr if unknown.
  static const Target *get(const std::string &name);
  static std::vector<std::string> names();

  const EngineModel &engine(Engine e) const;

  /// Start-partition rule: 65-128 partitions start at 0; 33-64 at 0 or 64;
  /// 1-32 at 0/32/64/96 (HARDWARE.md [ARCHv2]).
  bool isLegalPartitionRange(uint32_t start, uint32_t count) const;
  /// Human-readable allowed starts for a partition count, e.g. "0 or 64".
  std::string legalStartsFor(uint32_t count) const;

  /// Whether `engine` may read/write elements of `t` (dtype legality).
  bool engineSupportsDType(Engine e, DType t) const;
  /// Whether `mode` matmul is available, and its operand dtypes legal.
  bool supportsMatmulMode(MatmulMode m) const;
  /// Legal data dtype of a stationary/moving operand in `mode` (false if the
  /// mode is unsupported). E8M0 is never data; see isLegalMatmulScale.
  bool isLegalMatmulOperand(MatmulMode m, DType t) const;
  /// Legal MX scale dtype (E8M0, Mx mode only).
  bool isLegalMatmulScale(MatmulMode m, DType t) const;
  /// Legal PSUM output dtype of matmul (F32; v4 also BF16).
  bool isLegalMatmulOutput(DType t) const;
  /// Largest contraction K of one matmul: partitions x rows per partition.
  unsigned maxContraction(MatmulMode m) const {
    return numPartitions * matmulRowsPerPartition(m);
  }
  /// Largest moving free size N for a matmul writing `out` to PSUM.
  unsigned maxMovingFreeFor(DType out) const;
  /// The allowed start partitions for `count` partitions (empty if count is
  /// 0 or exceeds numPartitions).
  std::vector<uint32_t> legalStarts(uint32_t count) const;
  /// Per-core share of the chip's HBM bandwidth (derived).
  double hbmBandwidthPerCoreGBps() const { return hbmBandwidthGBps / coresPerChip; }
  /// Contraction rows per partition for the mode: 1, 2 (double-row), 4 (MX).
  static unsigned matmulRowsPerPartition(MatmulMode m);

  /// Modeled duration in engine cycles of `inst` run on queue `q`, and in
  /// nanoseconds (cycles / engine clock; DMA computed directly in ns).
  /// For DMA queues cycles() returns nanoseconds (a notional 1 GHz clock).
  double cycles(const Instruction &inst, QueueId q) const;
  /// DMA instructions that wait on a semaphore pay the cross-engine trigger
  /// latency (dma.fixedLatencyNs); this overload assumes they do iff
  /// `inst.waits` is non-empty.
  double durationNs(const Instruction &inst, QueueId q) const;
  /// As above with the trigger decided by the caller (the emulator knows
  /// whether the DMA was actually released by a semaphore).
  double durationNs(const Instruction &inst, QueueId q, bool semaphoreTriggered) const;
  /// DMA transfer model: [semaphore latency] + descriptor cost +
  /// bytes / (queueBytesPerNs * efficiency(runBytes)).
  double dmaDurationNs(uint64_t bytes, uint64_t runBytes, bool semaphoreTriggered) const;
  /// Longest contiguous byte run the DMA walks in one partition/row of `ap`
  /// (capped at the bytes per partition).
  static uint64_t contiguousRunBytes(const AccessPattern &ap);
  /// FLOPs performed by a matmul (2*K*M*N) or transpose (0); 0 otherwise.
  static double flops(const Instruction &inst);
  /// Peak TensorE FLOP/s for the dtype path (bf16 rate for Normal 8/16-bit,
  /// fp32 rate for f32 operands, 2x for double-row, 4x for MX).
  double peakTensorFlopsPerNs(MatmulMode m, DType operand) const;
};

} // namespace trnrt

#endif // TRN_RUNTIME_TARGET_H
