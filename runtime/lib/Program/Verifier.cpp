//===- Verifier.cpp - Semantic verification of a Program ------------------===//
//
// The single place for the rules a program must satisfy before anything
// executes (docs/program-format.md, "Verification rules"). Every rule reports
// one line naming where (queue and instruction index, opcode, operand), what
// rule, the offending value and the allowed range, e.g.
//   queue pe[12] matmul: moving free size 640 exceeds 512 (trn2)
//
//===----------------------------------------------------------------------===//

#include "trn/runtime/AccessPatternUtil.h"
#include "trn/runtime/Target.h"
#include "trn/runtime/Trnx.h"

#include <fmt/format.h>

#include <limits>
#include <map>
#include <set>
#include <type_traits>

namespace trnrt {
namespace {

/// Sanity bound on one access (2^40 elements per partition) so element
/// counts never overflow 64 bits; far above any memory's capacity.
constexpr uint64_t kMaxElemsPerPartition = uint64_t(1) << 40;

bool isFp8(DType t) { return t == DType::F8E4M3 || t == DType::F8E5M2; }

/// Thrown internally to unwind to verifyProgram on the first failure; never
/// escapes this file.
struct Failure {
  std::string message;
};

class ProgramVerifier {
public:
  explicit ProgramVerifier(const Program &p) : p_(p) {}

  void run() {
    t_ = Target::get(p_.target);
    if (!t_) {
      std::string known;
      for (const std::string &n : Target::names())
        known += (known.empty() ? "" : ", ") + n;
      fail("program", fmt::format("unknown target '{}' (known: {})", p_.target, known));
    }
    if (p_.numSemaphores > t_->numSemaphores)
      fail("program", fmt::format("{} semaphores exceed {} ({})", p_.numSemaphores,
                                  t_->numSemaphores, t_->name));
    verifyTensors();
    verifyBuffers();
    verifyQueues();
  }

private:
  const Program &p_;
  const Target *t_ = nullptr;
  std::vector<uint64_t> numel_; // per tensor, valid after verifyTensors
  std::string where_;           // "queue pe[12] matmul"
  Engine engine_ = Engine::PE;

  [[noreturn]] void fail(const std::string &where, const std::string &what) {
    throw Failure{where + ": " + what};
  }
  [[noreturn]] void failInst(const std::string &what) { fail(where_, what); }

  std::string tgt() const { return fmt::format("({})", t_->name); }

  //===--------------------------------------------------------------------===//
  // Tensors and the memory plan
  //===--------------------------------------------------------------------===//

  void verifyTensors() {
    std::map<std::string, size_t> names;
    unsigned __int128 total = 0;
    numel_.resize(p_.tensors.size());
    for (size_t i = 0; i < p_.tensors.size(); ++i) {
      const TensorDecl &d = p_.tensors[i];
      std::string w = fmt::format("tensor {} '{}'", i, d.name);
      if (d.name.empty())
        fail(fmt::format("tensor {}", i), "empty name");
      auto [it, fresh] = names.emplace(d.name, i);
      if (!fresh)
        fail(w, fmt::format("duplicate name (also tensor {})", it->second));
      unsigned __int128 n = 1;
      for (size_t k = 0; k < d.shape.size(); ++k) {
        if (d.shape[k] < 1)
          fail(w, fmt::format("shape dim {} is {}, must be >= 1", k, d.shape[k]));
        n *= static_cast<uint64_t>(d.shape[k]);
        if (n > std::numeric_limits<int64_t>::max())
          fail(w, "element count overflows 64 bits");
      }
      numel_[i] = static_cast<uint64_t>(n);
      unsigned __int128 bytes = (n * dtypeBits(d.dtype) + 7) / 8;
      if (t_->hbmBytesPerChip && bytes > t_->hbmBytesPerChip)
        fail(w, fmt::format("size {} bytes exceeds the HBM capacity of {} bytes {}",
                            static_cast<uint64_t>(bytes), t_->hbmBytesPerChip, tgt()));
      total += bytes;
      const uint64_t expect = dtypeBytes(d.dtype, numel_[i]);
      if (d.kind == TensorKind::Constant) {
        if (d.data.size() != expect)
          fail(w, fmt::format("constant has {} data bytes, expected {} for {}{}", d.data.size(),
                              expect, dtypeName(d.dtype), shapeString(d.shape)));
      } else if (!d.data.empty()) {
        fail(w, fmt::format("{} tensor carries {} data bytes (only constants may)",
                            tensorKindName(d.kind), d.data.size()));
      }
      if (d.scaleTensor) {
        uint32_t s = *d.scaleTensor;
        if (d.kind != TensorKind::Constant)
          fail(w, "only constants may have a scale tensor");
        if (s >= p_.tensors.size())
          fail(w, fmt::format("scale tensor index {} out of range (0..{})", s,
                              p_.tensors.size() - 1));
        if (s == i)
          fail(w, "is its own scale tensor");
        const TensorDecl &sd = p_.tensors[s];
        if (sd.kind != TensorKind::Constant)
          fail(w, fmt::format("scale tensor {} '{}' is {}, must be a constant", s, sd.name,
                              tensorKindName(sd.kind)));
        if (sd.dtype != DType::E8M0 && sd.dtype != DType::F32)
          fail(w, fmt::format("scale tensor {} '{}' has dtype {}, must be e8m0 or f32", s,
                              sd.name, dtypeName(sd.dtype)));
      }
    }
    if (t_->hbmBytesPerChip && total > t_->hbmBytesPerChip)
      fail("program", fmt::format("HBM tensors total {} bytes, exceeding {} bytes {}",
                                  static_cast<uint64_t>(total), t_->hbmBytesPerChip, tgt()));
  }

  static std::string shapeString(const std::vector<int64_t> &shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
      s += fmt::format("{}{}", i ? ", " : "", shape[i]);
    return s + "]";
  }

  uint64_t capacity(MemSpace m) const {
    return m == MemSpace::SBUF ? t_->sbufBytesPerPartition : t_->psumBytesPerPartition();
  }

  void verifyBuffers() {
    for (size_t i = 0; i < p_.buffers.size(); ++i) {
      const BufferDecl &b = p_.buffers[i];
      std::string w = fmt::format("buffer {} '{}'", i, b.name);
      if (b.space == MemSpace::HBM)
        fail(w, "memory plan buffers must be in sbuf or psum, got hbm");
      if (b.numPartitions < 1 ||
          static_cast<uint64_t>(b.startPartition) + b.numPartitions > t_->numPartitions)
        fail(w, fmt::format("partitions [{}, {}) outside 0..{}", b.startPartition,
                            static_cast<uint64_t>(b.startPartition) + b.numPartitions,
                            t_->numPartitions));
      if (b.bytesPerPartition == 0)
        fail(w, "size is 0 bytes per partition");
      const uint64_t cap = capacity(b.space);
      if (b.offset > cap || b.bytesPerPartition > cap - b.offset)
        fail(w, fmt::format("{} bytes [{:#x}, {:#x}) exceed {} bytes per partition {}",
                            memSpaceName(b.space), b.offset,
                            static_cast<unsigned __int128>(b.offset) + b.bytesPerPartition >
                                    std::numeric_limits<uint64_t>::max()
                                ? std::numeric_limits<uint64_t>::max()
                                : b.offset + b.bytesPerPartition,
                            cap, tgt()));
    }
  }

  //===--------------------------------------------------------------------===//
  // Queues and instructions
  //===--------------------------------------------------------------------===//

  void verifyQueues() {
    // Total increments per semaphore, for the static deadlock check on waits.
    std::map<uint32_t, uint64_t> signalCount;
    for (const Queue &q : p_.queues)
      for (const Instruction &inst : q.instructions)
        for (uint32_t s : inst.signals)
          ++signalCount[s];

    std::set<QueueId> seen;
    for (size_t qi = 0; qi < p_.queues.size(); ++qi) {
      const Queue &q = p_.queues[qi];
      if (q.id >= kMaxQueues)
        fail(fmt::format("queues[{}]", qi),
             fmt::format("queue id {} out of range 0..{}", q.id, kMaxQueues - 1));
      if (!seen.insert(q.id).second)
        fail(fmt::format("queue {}", queueName(q.id)), "appears more than once");
      engine_ = queueEngine(q.id);
      for (size_t ii = 0; ii < q.instructions.size(); ++ii) {
        const Instruction &inst = q.instructions[ii];
        where_ = fmt::format("queue {}[{}] {}", queueName(q.id), ii, opcodeName(inst.opcode()));
        verifyInstruction(inst, signalCount);
      }
    }
  }

  void verifyInstruction(const Instruction &inst, const std::map<uint32_t, uint64_t> &signals) {
    const Opcode op = inst.opcode();
    if (!engineCanExecute(engine_, op)) {
      std::string on;
      for (Engine e : {Engine::PE, Engine::ACT, Engine::DVE, Engine::POOL, Engine::DMA})
        if (engineCanExecute(e, op))
          on += (on.empty() ? "" : ", ") + std::string(engineName(e));
      failInst(fmt::format("not executable on the {} engine (runs on: {})", engineName(engine_),
                           on));
    }
    for (const SemWait &w : inst.waits) {
      if (w.sem >= p_.numSemaphores)
        failInst(fmt::format("wait on semaphore {} out of range (program declares {})", w.sem,
                             p_.numSemaphores));
      auto it = signals.find(w.sem);
      uint64_t n = it == signals.end() ? 0 : it->second;
      if (w.value > n)
        failInst(fmt::format("waits for s{} >= {} but the program signals s{} only {} times "
                             "(deadlock)",
                             w.sem, w.value, w.sem, n));
    }
    for (uint32_t s : inst.signals)
      if (s >= p_.numSemaphores)
        failInst(fmt::format("signal of semaphore {} out of range (program declares {})", s,
                             p_.numSemaphores));

    for (const ApOperand &o : instructionOperands(inst))
      verifyAp(*o.ap, o.role, o.write);

    std::visit([&](const auto &b) { verifyBody(b); }, inst.body);
  }

  //===--------------------------------------------------------------------===//
  // Access patterns (rules common to every operand)
  //===--------------------------------------------------------------------===//

  void verifyAp(const AccessPattern &ap, const char *role, bool write) {
    auto failAp = [&](const std::string &what) { failInst(fmt::format("{}: {}", role, what)); };
    const bool compute = engine_ != Engine::DMA;
    if (ap.rank < 1 || ap.rank > t_->maxFreeDims || ap.rank > kMaxFreeDims)
      failAp(fmt::format("free rank {} outside 1..{}", ap.rank, t_->maxFreeDims));
    for (uint32_t d = 0; d < ap.rank; ++d) {
      if (ap.sizes[d] < 1)
        failAp(fmt::format("free dim {} has size 0, must be >= 1", d));
      if (compute && ap.sizes[d] > t_->maxApSize)
        failAp(fmt::format("free dim {} size {} exceeds {} {}", d, ap.sizes[d], t_->maxApSize,
                           tgt()));
      if (compute && (ap.strides[d] > t_->maxApStride || ap.strides[d] < -t_->maxApStride))
        failAp(fmt::format("free dim {} stride {} outside -{}..{} {}", d, ap.strides[d],
                           t_->maxApStride, t_->maxApStride, tgt()));
    }
    unsigned __int128 elems = 1;
    for (uint32_t d = 0; d < ap.rank; ++d)
      elems *= ap.sizes[d];
    if (elems > kMaxElemsPerPartition)
      failAp(fmt::format("{} elements per partition exceed {}", static_cast<uint64_t>(elems),
                         kMaxElemsPerPartition));
    if (ap.numPartitions < 1)
      failAp("0 partitions, must be >= 1");
    if (ap.numPartitions > t_->numPartitions)
      failAp(fmt::format("{} partitions exceed {} {}", ap.numPartitions, t_->numPartitions,
                         tgt()));
    if (!t_->engineSupportsDType(engine_, ap.dtype))
      failAp(fmt::format("dtype {} not supported by the {} engine {}", dtypeName(ap.dtype),
                         engineName(engine_), tgt()));

    if (ap.space == MemSpace::HBM) {
      if (compute)
        failAp(fmt::format("the {} engine cannot access hbm (only dma queues can)",
                           engineName(engine_)));
      verifyHbmAp(ap, role, write);
      return;
    }

    // On-chip (SBUF/PSUM).
    if (ap.partitionStride != 0)
      failAp(fmt::format("partition stride {} on {}, must be 0 (partitions are addressed by "
                         "start partition)",
                         ap.partitionStride, memSpaceName(ap.space)));
    const uint64_t partEnd = static_cast<uint64_t>(ap.startPartition) + ap.numPartitions;
    if (partEnd > t_->numPartitions)
      failAp(fmt::format("partitions [{}, {}) outside 0..{}", ap.startPartition, partEnd,
                         t_->numPartitions));
    if (compute && !t_->isLegalPartitionRange(ap.startPartition, ap.numPartitions))
      failAp(fmt::format("start partition {} illegal for {} partitions (allowed: {}) {}",
                         ap.startPartition, ap.numPartitions,
                         t_->legalStartsFor(ap.numPartitions), tgt()));
    if (engine_ == Engine::POOL && ap.space == MemSpace::PSUM)
      failAp("the pool engine cannot access psum");
    if (engine_ == Engine::ACT || engine_ == Engine::DVE || engine_ == Engine::POOL) {
      const uint64_t limit =
          ap.space == MemSpace::SBUF ? t_->maxFreeElemsSbuf : t_->maxFreeElemsPsum;
      if (ap.elemsPerPartition() > limit)
        failAp(fmt::format("{} elements per partition exceed {} in {} {}",
                           ap.elemsPerPartition(), limit, memSpaceName(ap.space), tgt()));
    }
    auto span = apFreeSpan(ap);
    auto range = apByteRange(ap);
    const uint64_t cap = capacity(ap.space);
    if (!span || !range)
      failAp(fmt::format("{} address below 0 or overflowing (offset {:#x}, free span {})",
                         memSpaceName(ap.space), ap.offset,
                         span ? fmt::format("[{}, {}] elements", span->min, span->max)
                              : std::string("overflows")));
    if (range->end > cap)
      failAp(fmt::format("{} bytes [{:#x}, {:#x}) exceed {} bytes per partition {}",
                         memSpaceName(ap.space), range->begin, range->end, cap, tgt()));
  }

  void verifyHbmAp(const AccessPattern &ap, const char *role, bool write) {
    auto failAp = [&](const std::string &what) { failInst(fmt::format("{}: {}", role, what)); };
    if (ap.startPartition != 0)
      failAp(fmt::format("start partition {} on hbm, must be 0", ap.startPartition));
    if (ap.tensor >= p_.tensors.size())
      failAp(fmt::format("hbm tensor index {} out of range ({} tensors)", ap.tensor,
                         p_.tensors.size()));
    const TensorDecl &d = p_.tensors[ap.tensor];
    if (ap.dtype != d.dtype)
      failAp(fmt::format("dtype {} differs from tensor '{}' dtype {}", dtypeName(ap.dtype),
                         d.name, dtypeName(d.dtype)));
    auto r = apHbmElementRange(ap);
    const uint64_t n = numel_[ap.tensor];
    if (!r)
      failAp(fmt::format("hbm element range of tensor '{}' overflows", d.name));
    if (r->min < 0 || static_cast<uint64_t>(r->max) >= n)
      failAp(fmt::format("hbm elements [{}, {}] outside tensor '{}' [0, {})", r->min, r->max,
                         d.name, n));
    if (write && (d.kind == TensorKind::Input || d.kind == TensorKind::Constant))
      failAp(fmt::format("writes {} tensor '{}' (read-only)", tensorKindName(d.kind), d.name));
  }

  //===--------------------------------------------------------------------===//
  // Per-opcode rules
  //===--------------------------------------------------------------------===//

  void requireSpace(const AccessPattern &ap, const char *role, MemSpace want) {
    if (ap.space != want)
      failInst(fmt::format("{} must be in {}, got {}", role, memSpaceName(want),
                           memSpaceName(ap.space)));
  }

  void requireSameShape(const AccessPattern &a, const char *aRole, const AccessPattern &ref,
                        const char *refRole) {
    if (a.numPartitions != ref.numPartitions || a.elemsPerPartition() != ref.elemsPerPartition())
      failInst(fmt::format("{} shape {} does not match {} shape {}", aRole, apShapeString(a),
                           refRole, apShapeString(ref)));
  }

  /// A per-partition scalar column [P, 1].
  void requireColumn(const AccessPattern &a, const char *role, uint32_t partitions,
                     const char *refRole) {
    if (a.numPartitions != partitions || a.elemsPerPartition() != 1)
      failInst(fmt::format("{} must be a [P={}, 1] column like {}, got {}", role, partitions,
                           refRole, apShapeString(a)));
    if (!isFloatType(a.dtype))
      failInst(fmt::format("{} dtype {} must be a float type", role, dtypeName(a.dtype)));
  }

  void requireScalar(const ScalarOperand &s, const char *role, const AccessPattern &ref) {
    if (s.ap)
      requireColumn(*s.ap, role, ref.numPartitions, "src");
  }

  /// PSUM tiles written by the PE must stay inside one bank unless the
  /// target lets the moving free size exceed a bank (v4).
  void requireOneBank(const AccessPattern &dst) {
    if (t_->movingMayExceedBank)
      return;
    auto r = apByteRange(dst);
    const uint64_t bank = t_->psumBankBytes;
    if (r && r->begin / bank != (r->end - 1) / bank)
      failInst(fmt::format("dst: psum bytes [{:#x}, {:#x}) cross a {}-byte bank boundary {}",
                           r->begin, r->end, bank, tgt()));
  }

  void verifyBody(const DmaCopy &b) {
    if (b.dst.numElements() != b.src.numElements())
      failInst(fmt::format("dst has {} elements but src has {} (dst {}, src {})",
                           b.dst.numElements(), b.src.numElements(), apShapeString(b.dst),
                           apShapeString(b.src)));
    if (b.dst.dtype != b.src.dtype)
      failInst(fmt::format("dst dtype {} differs from src dtype {} (dma_copy does not convert)",
                           dtypeName(b.dst.dtype), dtypeName(b.src.dtype)));
  }

  void verifyBody(const Matmul &b) {
    if (!t_->supportsMatmulMode(b.mode))
      failInst(fmt::format("mode {} not supported by {}", matmulModeName(b.mode), t_->name));
    requireSpace(b.dst, "dst", MemSpace::PSUM);
    requireSpace(b.stationary, "stationary", MemSpace::SBUF);
    requireSpace(b.moving, "moving", MemSpace::SBUF);

    // Operand and output dtypes: the target model owns the rules.
    auto allowedOperands = [&] {
      std::string list;
      for (int i = 0; i < kNumDTypes; ++i)
        if (t_->isLegalMatmulOperand(b.mode, DType(i)))
          list += (list.empty() ? "" : ", ") + std::string(dtypeName(DType(i)));
      return list;
    };
    auto checkOperand = [&](const AccessPattern &a, const char *role) {
      if (!t_->isLegalMatmulOperand(b.mode, a.dtype))
        failInst(fmt::format("{} dtype {} not allowed in {} mode (allowed: {})", role,
                             dtypeName(a.dtype), matmulModeName(b.mode), allowedOperands()));
    };
    checkOperand(b.stationary, "stationary");
    checkOperand(b.moving, "moving");
    if ((b.stationary.dtype == DType::F32) != (b.moving.dtype == DType::F32))
      failInst(fmt::format("stationary dtype {} and moving dtype {} mix f32 with a narrow type",
                           dtypeName(b.stationary.dtype), dtypeName(b.moving.dtype)));
    if (!t_->isLegalMatmulOutput(b.dst.dtype))
      failInst(fmt::format("dst dtype {} not supported for matmul output (allowed: {}) {}",
                           dtypeName(b.dst.dtype), t_->psumBf16Accumulate ? "f32, bf16" : "f32",
                           tgt()));

    // Shapes: K on partitions (times rows), M = stationary free, N = moving free.
    const uint32_t rows = Target::matmulRowsPerPartition(b.mode);
    auto checkRows = [&](const AccessPattern &a, const char *role) {
      if (rows > 1 && (a.rank < 2 || a.sizes[0] != rows))
        failInst(fmt::format("{}: {} mode needs a leading free dim of {} rows, got {}", role,
                             matmulModeName(b.mode), rows, apShapeString(a)));
    };
    checkRows(b.stationary, "stationary");
    checkRows(b.moving, "moving");
    if (b.stationary.numPartitions != b.moving.numPartitions)
      failInst(fmt::format("stationary K {} (partitions) differs from moving K {}",
                           b.stationary.numPartitions, b.moving.numPartitions));
    if (b.stationary.numPartitions > t_->peRows)
      failInst(fmt::format("contraction partitions {} exceed {} {}", b.stationary.numPartitions,
                           t_->peRows, tgt()));
    const uint64_t m = b.stationary.elemsPerPartition() / rows;
    const uint64_t n = b.moving.elemsPerPartition() / rows;
    if (m > t_->maxStationaryFree)
      failInst(fmt::format("stationary free size {} exceeds {} {}", m, t_->maxStationaryFree,
                           tgt()));
    const uint64_t nMax = t_->maxMovingFreeFor(b.dst.dtype);
    if (n > nMax)
      failInst(fmt::format("moving free size {} exceeds {} {}", n, nMax, tgt()));
    if (b.dst.numPartitions != m)
      failInst(fmt::format("dst partitions {} differ from the stationary free size M = {}",
                           b.dst.numPartitions, m));
    if (b.dst.elemsPerPartition() != n)
      failInst(fmt::format("dst free size {} differs from the moving free size N = {}",
                           b.dst.elemsPerPartition(), n));
    requireOneBank(b.dst);

    // MX scales.
    if (b.mode != MatmulMode::Mx) {
      if (b.stationaryScale || b.movingScale)
        failInst(fmt::format("scale operands are only allowed in mx mode, not {}",
                             matmulModeName(b.mode)));
      return;
    }
    if (!b.stationaryScale || !b.movingScale)
      failInst(fmt::format("mx mode needs both stationary_scale and moving_scale"));
    const uint32_t k = b.stationary.numPartitions;
    if (k % 32 != 0)
      failInst(fmt::format("mx mode needs a multiple of 32 contraction partitions, got {}", k));
    auto checkScale = [&](const AccessPattern &s, const AccessPattern &data, const char *role) {
      requireSpace(s, role, MemSpace::SBUF);
      if (!t_->isLegalMatmulScale(b.mode, s.dtype))
        failInst(fmt::format("{} dtype {} must be e8m0", role, dtypeName(s.dtype)));
      if (s.numPartitions != k / 32 || s.freeShape() != data.freeShape())
        failInst(fmt::format("{} shape {} must be [P={}, free shape of the data {}]", role,
                             apShapeString(s), k / 32, apShapeString(data)));
    };
    checkScale(*b.stationaryScale, b.stationary, "stationary_scale");
    checkScale(*b.movingScale, b.moving, "moving_scale");
  }

  void verifyBody(const Transpose &b) {
    requireSpace(b.dst, "dst", MemSpace::PSUM);
    requireSpace(b.src, "src", MemSpace::SBUF);
    if (b.dst.numPartitions != b.src.elemsPerPartition() ||
        b.dst.elemsPerPartition() != b.src.numPartitions)
      failInst(fmt::format("dst shape {} is not the transpose of src shape {}",
                           apShapeString(b.dst), apShapeString(b.src)));
    if (b.dst.dtype != b.src.dtype && b.dst.dtype != DType::F32)
      failInst(fmt::format("dst dtype {} must be f32 or src's dtype {}", dtypeName(b.dst.dtype),
                           dtypeName(b.src.dtype)));
    requireOneBank(b.dst);
  }

  void verifyBody(const Activation &b) {
    requireSameShape(b.src, "src", b.dst, "dst");
    requireScalar(b.scale, "scale", b.src);
    requireScalar(b.bias, "bias", b.src);
    if (b.accumDst)
      requireColumn(*b.accumDst, "accum_dst", b.dst.numPartitions, "dst");
  }

  void verifyBody(const TensorTensor &b) {
    requireSameShape(b.in0, "in0", b.dst, "dst");
    requireSameShape(b.in1, "in1", b.dst, "dst");
  }

  void verifyBody(const TensorScalar &b) {
    requireSameShape(b.src, "src", b.dst, "dst");
    requireScalar(b.scalar0, "scalar0", b.src);
    requireScalar(b.scalar1, "scalar1", b.src);
  }

  void verifyBody(const TensorReduce &b) {
    if (b.op != AluOp::Add && b.op != AluOp::Max && b.op != AluOp::Min && b.op != AluOp::Mul)
      failInst(fmt::format("reduction op {} not allowed (allowed: add, max, min, mul)",
                           aluOpName(b.op)));
    const uint32_t all = (1u << b.src.rank) - 1;
    if (b.axisMask == 0 || (b.axisMask & ~all) != 0)
      failInst(fmt::format("axis mask {:#x} invalid for free rank {} (allowed: 0x1..{:#x})",
                           b.axisMask, b.src.rank, all));
    uint64_t kept = 1;
    for (uint32_t d = 0; d < b.src.rank; ++d)
      if (!(b.axisMask & (1u << d)))
        kept *= b.src.sizes[d];
    if (b.dst.numPartitions != b.src.numPartitions || b.dst.elemsPerPartition() != kept)
      failInst(fmt::format("dst shape {} does not match src {} reduced over mask {:#x} "
                           "([P={}, {}])",
                           apShapeString(b.dst), apShapeString(b.src), b.axisMask,
                           b.src.numPartitions, kept));
  }

  void verifyBody(const TensorCopy &b) { requireSameShape(b.src, "src", b.dst, "dst"); }

  void verifyBody(const Select &b) {
    requireSameShape(b.pred, "pred", b.dst, "dst");
    requireSameShape(b.onTrue, "on_true", b.dst, "dst");
    requireSameShape(b.onFalse, "on_false", b.dst, "dst");
  }

  void verifyBody(const Iota &) {}
  void verifyBody(const Memset &) {}

  void verifyBody(const QuantizeMx &b) {
    if (!t_->hasQuantizeMx)
      failInst(fmt::format("quantize_mx not supported by {}", t_->name));
    if (b.src.dtype != DType::F32 && b.src.dtype != DType::BF16 && b.src.dtype != DType::F16)
      failInst(fmt::format("src dtype {} must be f32, bf16 or f16", dtypeName(b.src.dtype)));
    if (!isFp8(b.dst.dtype) && b.dst.dtype != DType::F4E2M1)
      failInst(fmt::format("dst dtype {} must be f8e4m3, f8e5m2 or f4e2m1",
                           dtypeName(b.dst.dtype)));
    if (b.scale.dtype != DType::E8M0)
      failInst(fmt::format("scale dtype {} must be e8m0", dtypeName(b.scale.dtype)));
    if (b.src.numPartitions % 32 != 0)
      failInst(fmt::format("src partitions {} must be a multiple of the 32-partition MX block",
                           b.src.numPartitions));
    requireSameShape(b.dst, "dst", b.src, "src");
    if (b.scale.numPartitions != b.src.numPartitions / 32 ||
        b.scale.elemsPerPartition() != b.src.elemsPerPartition())
      failInst(fmt::format("scale shape {} must be [P={}, {}] (one partition per 32 of src)",
                           apShapeString(b.scale), b.src.numPartitions / 32,
                           b.src.elemsPerPartition()));
  }
};

} // namespace

std::optional<Error> verifyProgram(const Program &program) {
  try {
    ProgramVerifier v(program);
    v.run();
  } catch (const Failure &f) {
    return Error{f.message};
  }
  return std::nullopt;
}

} // namespace trnrt
