//===- Device.h - Runtime API: load, bind, run, read, profile -*- C++ -*-===//
//
// The thin runtime over a verified Program. A `Device` executes programs; the
// reference CPU emulator is the first backend (Emulator.h). Errors are
// reported as `trnrt::Error` values with a one-line message; nothing throws
// across this API and nothing executes after a failed check.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_DEVICE_H
#define TRN_RUNTIME_DEVICE_H

#include "trn/runtime/ISA.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trnrt {

/// A failure with a one-line, user-facing message ("where: what").
struct Error {
  std::string message;
};

/// Either a value or an Error.
template <typename T> class Expected {
public:
  Expected(T v) : value_(std::move(v)) {}
  Expected(Error e) : error_(std::move(e)) {}
  explicit operator bool() const { return value_.has_value(); }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  const Error &error() const { return *error_; }

private:
  std::optional<T> value_;
  std::optional<Error> error_;
};

/// A host-side tensor: dtype, shape and packed little-endian bytes (the same
/// layout as the program's HBM tensors and .npy payloads).
struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  uint64_t numElements() const;
  static HostTensor fromF32(const std::vector<int64_t> &shape, const std::vector<float> &values);
  /// Decodes any dtype to f32 values.
  std::vector<float> toF32() const;
};

/// What a device derives from a program alone (verification, resolved
/// operands, the modeled timeline, instruction dependencies), returned by a
/// run (RunResult::prepared) so that later runs of the same program can skip
/// that work (RunOptions::prepared). Immutable; may be shared by concurrent
/// runs.
class PreparedProgram {
public:
  virtual ~PreparedProgram() = default;
};

struct RunOptions {
  /// Skip arithmetic; model time only (for huge programs).
  bool timingOnly = false;
  /// Race checker + uninitialised-read detection.
  bool check = false;
  /// Record a per-instruction trace for the profile.
  bool recordTrace = false;
  /// Emulator threads for the arithmetic: 0 = the TBB arena's concurrency
  /// for programs of 16+ instructions, unless the machine is busy (1-minute
  /// load average >= cores + 2); 1 = sequential. Results never depend on it (the
  /// checkers always run sequentially).
  unsigned threads = 0;
  /// From an earlier run of this very Program object, which must not have
  /// been modified since. Ignored when it belongs to another program or other
  /// options (a fresh one is returned).
  std::shared_ptr<const PreparedProgram> prepared = nullptr;
};

/// One executed instruction in the modeled timeline.
struct TraceEvent {
  QueueId queue = 0;
  uint32_t index = 0;      // position in its queue
  double startNs = 0, endNs = 0;
  /// The instruction whose signal last satisfied a wait (queue, index), if any.
  std::optional<std::pair<QueueId, uint32_t>> waitedOn;
  uint32_t waitedSem = 0;
};

struct RunStats {
  double totalNs = 0;
  uint64_t totalCycles = 0;        // in TensorE clock cycles
  double tensorEngineUtilization = 0; // achieved TensorE FLOPs / peak over the run
  double tensorFlops = 0;
  std::map<std::string, double> engineBusy; // queue name -> busy fraction 0..1
  uint64_t dmaBytes = 0;
  uint64_t instructions = 0;
  std::string criticalQueue;       // the busiest queue
  std::vector<TraceEvent> trace;   // when recordTrace
};

/// Everything a run produces.
struct RunResult {
  std::vector<HostTensor> outputs; // in program output order (empty if timingOnly)
  RunStats stats;
  /// Reusable for later runs of the same program (RunOptions::prepared), if
  /// the device supports it.
  std::shared_ptr<const PreparedProgram> prepared = nullptr;
};

class Device {
public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;
  /// Runs a verified program on inputs given in the program's input order.
  /// Inputs are checked against the signature (dtype, shape) first.
  virtual Expected<RunResult> run(const Program &program, const std::vector<HostTensor> &inputs,
                                  const RunOptions &options) = 0;
};

/// The reference CPU emulator backend.
std::unique_ptr<Device> createEmulatorDevice();

/// Writes the Chrome trace-event JSON profile of a run (opens in Perfetto):
/// one track per queue, one slice per instruction with its operands, flow
/// arrows for cross-queue semaphore dependencies. Returns an Error on I/O
/// failure (no partial file is left behind).
std::optional<Error> writeChromeTrace(const Program &program, const RunStats &stats,
                                      const std::string &path);
/// Stats as JSON: total_cycles, time_us, tensor_engine_utilization,
/// engine_busy, dma_bytes, instructions, critical_queue.
std::string statsToJson(const Program &program, const RunStats &stats);
/// Readable table of the same (for --stats).
std::string statsToTable(const Program &program, const RunStats &stats);

/// Modeled busy time of one source operation (from a traced run), keyed by
/// the instructions' provenance: the name location (the source model's module
/// path) if the compiler recorded one, else the file location.
struct SourceCost {
  std::string source;
  uint64_t instructions = 0;
  std::map<std::string, double> engineNs; // pe/act/dve/pool -> busy ns
  double dmaNs = 0;                       // summed over DMA queues
  uint64_t dmaBytes = 0;
  double firstNs = 0, lastNs = 0;         // span of its instructions
};
/// The source key of an Instruction::debug string ("op in NAME at FILE:L:C"):
/// NAME, else the base name of FILE with its line and column.
std::string sourceOfDebug(const std::string &debug);
/// Per-source costs of a run recorded with RunOptions::recordTrace, most
/// expensive first (larger of any engine's time and DMA time per queue).
std::vector<SourceCost> costBySource(const Program &program, const RunStats &stats);
/// The top `maxRows` of costBySource as a table (empty without a trace).
std::string costBySourceTable(const Program &program, const RunStats &stats, size_t maxRows);

} // namespace trnrt

#endif // TRN_RUNTIME_DEVICE_H
