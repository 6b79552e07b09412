//===- TrnxReader.cpp - .trnx FlatBuffers -> verified Program -------------===//
//
// Order of checks (each failure returns one Error, nothing is half-built):
//   1. size and file identifier ("TRNX"),
//   2. the FlatBuffers verifier with depth/table limits (every offset, vector
//      and string inside the buffer),
//   3. header present and format version supported,
//   4. conversion with enum-range and structural checks,
//   5. verifyProgram (semantics against the target).
//
//===----------------------------------------------------------------------===//

#include "trn/runtime/Trnx.h"
#include "trn/runtime/trnx_generated.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace trnrt {
namespace {

namespace fbs = trnrt::fb;

/// Nesting depth of the schema is 6 (Program > Queue > Instruction > op >
/// ScalarOperand > AccessPattern); leave room for appended tables.
constexpr flatbuffers::uoffset_t kMaxDepth = 16;

/// Conversion failure with a path into the program ("queues[2].instructions[7].dst").
struct DecodeError {
  std::string message;
};

class Decoder {
public:
  std::optional<DecodeError> error;

  template <typename E> bool enumInRange(E v, unsigned count, const std::string &where,
                                         const char *what) {
    unsigned raw = static_cast<unsigned>(v);
    if (raw < count)
      return true;
    fail(where, fmt::format("unknown {} value {} (file written by a newer trnc?)", what, raw));
    return false;
  }

  void fail(const std::string &where, const std::string &what) {
    if (!error)
      error = DecodeError{where.empty() ? what : where + ": " + what};
  }

  bool ap(const fbs::AccessPattern *in, AccessPattern &out, const std::string &where) {
    if (!in) {
      fail(where, "missing access pattern");
      return false;
    }
    if (!enumInRange(in->space(), 3, where, "memory space") ||
        !enumInRange(in->dtype(), kNumDTypes, where, "dtype"))
      return false;
    out.space = static_cast<MemSpace>(in->space());
    out.dtype = static_cast<DType>(in->dtype());
    out.tensor = in->tensor();
    out.offset = in->offset();
    out.startPartition = in->start_partition();
    out.numPartitions = in->num_partitions();
    out.partitionStride = in->partition_stride();
    const auto *sizes = in->sizes();
    const auto *strides = in->strides();
    size_t rank = sizes ? sizes->size() : 0;
    size_t nstrides = strides ? strides->size() : 0;
    if (rank < 1 || rank > kMaxFreeDims) {
      fail(where, fmt::format("free rank {} outside 1..{}", rank, kMaxFreeDims));
      return false;
    }
    if (nstrides != rank) {
      fail(where, fmt::format("{} strides for {} free dims", nstrides, rank));
      return false;
    }
    out.rank = static_cast<uint32_t>(rank);
    out.sizes = {1, 1, 1, 1};
    out.strides = {0, 0, 0, 0};
    for (size_t d = 0; d < rank; ++d) {
      out.sizes[d] = sizes->Get(static_cast<flatbuffers::uoffset_t>(d));
      out.strides[d] = strides->Get(static_cast<flatbuffers::uoffset_t>(d));
    }
    return true;
  }

  bool optAp(const fbs::AccessPattern *in, std::optional<AccessPattern> &out,
             const std::string &where) {
    if (!in) {
      out.reset();
      return true;
    }
    out.emplace();
    return ap(in, *out, where);
  }

  bool scalar(const fbs::ScalarOperand *in, ScalarOperand &out, const std::string &where) {
    if (!in) {
      fail(where, "missing scalar operand");
      return false;
    }
    out.imm = in->imm();
    return optAp(in->ap(), out.ap, where + ".ap");
  }

  bool aluOp(fbs::AluOp v, AluOp &out, const std::string &where) {
    if (!enumInRange(v, static_cast<unsigned>(AluOp::Bypass) + 1, where, "ALU op"))
      return false;
    out = static_cast<AluOp>(v);
    return true;
  }

  bool body(const fbs::Instruction *in, InstructionBody &out, const std::string &w) {
    auto type = in->op_type();
    if (type == fbs::Op::NONE || in->op() == nullptr) {
      fail(w, "missing instruction body");
      return false;
    }
    if (static_cast<unsigned>(type) > static_cast<unsigned>(kNumOpcodes)) {
      fail(w, fmt::format("unknown opcode {} (file written by a newer trnc?)",
                          static_cast<unsigned>(type) - 1));
      return false;
    }
    switch (type) {
    case fbs::Op::DmaCopy: {
      const auto *i = in->op_as_DmaCopy();
      DmaCopy o;
      bool ok = ap(i->dst(), o.dst, w + ".dst") && ap(i->src(), o.src, w + ".src");
      out = std::move(o);
      return ok;
    }
    case fbs::Op::Matmul: {
      const auto *i = in->op_as_Matmul();
      Matmul o;
      bool ok = ap(i->dst(), o.dst, w + ".dst") &&
                ap(i->stationary(), o.stationary, w + ".stationary") &&
                ap(i->moving(), o.moving, w + ".moving") &&
                enumInRange(i->mode(), 3, w, "matmul mode") &&
                optAp(i->stationary_scale(), o.stationaryScale, w + ".stationary_scale") &&
                optAp(i->moving_scale(), o.movingScale, w + ".moving_scale");
      o.accumulate = i->accumulate();
      o.mode = static_cast<MatmulMode>(i->mode());
      out = std::move(o);
      return ok;
    }
    case fbs::Op::Transpose: {
      const auto *i = in->op_as_Transpose();
      Transpose o;
      bool ok = ap(i->dst(), o.dst, w + ".dst") && ap(i->src(), o.src, w + ".src");
      out = std::move(o);
      return ok;
    }
    case fbs::Op::Activation: {
      const auto *i = in->op_as_Activation();
      Activation o;
      bool ok = ap(i->dst(), o.dst, w + ".dst") && ap(i->src(), o.src, w + ".src") &&
                enumInRange(i->func(), static_cast<unsigned>(ActFunc::Abs) + 1, w,
                            "activation function") &&
                scalar(i->scale(), o.scale, w + ".scale") &&
                scalar(i->bias(), o.bias, w + ".bias") &&
                optAp(i->accum_dst(), o.accumDst, w + ".accum_dst");
      o.func = static_cast<ActFunc>(i->func());
      out = std::move(o);
      return ok;
    }
    case fbs::Op::TensorTensor: {
      const auto *i = in->op_as_TensorTensor();
      TensorTensor o;
      bool ok = ap(i->dst(), o.dst, w + ".dst") && ap(i->in0(), o.in0, w + ".in0") &&
                ap(i->in1(), o.in1, w + ".in1") && aluOp(i->op(), o.op, w);
      out = std::move(o);
      return ok;
    }
    case fbs::Op::TensorScalar: {
      const auto *i = in->op_as_TensorScalar();
      TensorScalar o;
      bool ok = ap(i->dst(), o.dst, w + ".dst") && ap(i->src(), o.src, w + ".src") &&
                aluOp(i->op0(), o.op0, w) && scalar(i->scalar0(), o.scalar0, w + ".scalar0") &&
                aluOp(i->op1(), o.op1, w) && scalar(i->scalar1(), o.scalar1, w + ".scalar1");
      o.reverse0 = i->reverse0();
      o.reverse1 = i->reverse1();
      out = std::move(o);
      return ok;
    }
    case fbs::Op::TensorReduce: {
      const auto *i = in->op_as_TensorReduce();
      TensorReduce o;
      bool ok = ap(i->dst(), o.dst, w + ".dst") && ap(i->src(), o.src, w + ".src") &&
                aluOp(i->op(), o.op, w);
      o.axisMask = i->axis_mask();
      o.negate = i->negate();
      out = std::move(o);
      return ok;
    }
    case fbs::Op::TensorCopy: {
      const auto *i = in->op_as_TensorCopy();
      TensorCopy o;
      bool ok = ap(i->dst(), o.dst, w + ".dst") && ap(i->src(), o.src, w + ".src");
      out = std::move(o);
      return ok;
    }
    case fbs::Op::Select: {
      const auto *i = in->op_as_Select();
      Select o;
      bool ok = ap(i->dst(), o.dst, w + ".dst") && ap(i->pred(), o.pred, w + ".pred") &&
                ap(i->on_true(), o.onTrue, w + ".on_true") &&
                ap(i->on_false(), o.onFalse, w + ".on_false");
      out = std::move(o);
      return ok;
    }
    case fbs::Op::Iota: {
      const auto *i = in->op_as_Iota();
      Iota o;
      bool ok = ap(i->dst(), o.dst, w + ".dst");
      o.base = i->base();
      o.channelMultiplier = i->channel_multiplier();
      if (const auto *m = i->multipliers()) {
        if (m->size() > kMaxFreeDims) {
          fail(w, fmt::format("{} iota multipliers, at most {}", m->size(), kMaxFreeDims));
          return false;
        }
        for (flatbuffers::uoffset_t d = 0; d < m->size(); ++d)
          o.multipliers[d] = m->Get(d);
      }
      out = std::move(o);
      return ok;
    }
    case fbs::Op::Memset: {
      const auto *i = in->op_as_Memset();
      Memset o;
      bool ok = ap(i->dst(), o.dst, w + ".dst");
      o.value = i->value();
      out = std::move(o);
      return ok;
    }
    case fbs::Op::QuantizeMx: {
      const auto *i = in->op_as_QuantizeMx();
      QuantizeMx o;
      bool ok = ap(i->dst(), o.dst, w + ".dst") && ap(i->scale(), o.scale, w + ".scale") &&
                ap(i->src(), o.src, w + ".src");
      out = std::move(o);
      return ok;
    }
    case fbs::Op::NONE:
      break;
    }
    fail(w, "missing instruction body");
    return false;
  }

  bool program(const fbs::Program *in, Program &out) {
    const fbs::Header *h = in->header();
    out.target = h->target() ? h->target()->str() : "";
    out.name = h->name() ? h->name()->str() : "";
    out.numSemaphores = in->num_semaphores();

    if (const auto *ts = in->tensors()) {
      out.tensors.reserve(ts->size());
      for (flatbuffers::uoffset_t i = 0; i < ts->size(); ++i) {
        const fbs::Tensor *t = ts->Get(i);
        std::string w = fmt::format("tensors[{}]", i);
        if (!t) {
          fail(w, "missing tensor");
          return false;
        }
        if (!enumInRange(t->kind(), 4, w, "tensor kind") ||
            !enumInRange(t->dtype(), kNumDTypes, w, "dtype"))
          return false;
        TensorDecl d;
        d.name = t->name() ? t->name()->str() : "";
        d.kind = static_cast<TensorKind>(t->kind());
        d.dtype = static_cast<DType>(t->dtype());
        if (t->shape())
          d.shape.assign(t->shape()->begin(), t->shape()->end());
        if (t->data())
          d.data.assign(t->data()->begin(), t->data()->end());
        if (t->scale_tensor())
          d.scaleTensor = *t->scale_tensor();
        out.tensors.push_back(std::move(d));
      }
    }
    if (const auto *bs = in->buffers()) {
      out.buffers.reserve(bs->size());
      for (flatbuffers::uoffset_t i = 0; i < bs->size(); ++i) {
        const fbs::Buffer *b = bs->Get(i);
        std::string w = fmt::format("buffers[{}]", i);
        if (!b) {
          fail(w, "missing buffer");
          return false;
        }
        if (!enumInRange(b->space(), 3, w, "memory space"))
          return false;
        BufferDecl d;
        d.name = b->name() ? b->name()->str() : "";
        d.space = static_cast<MemSpace>(b->space());
        d.offset = b->offset();
        d.bytesPerPartition = b->bytes_per_partition();
        d.startPartition = b->start_partition();
        d.numPartitions = b->num_partitions();
        out.buffers.push_back(std::move(d));
      }
    }
    if (const auto *qs = in->queues()) {
      out.queues.reserve(qs->size());
      for (flatbuffers::uoffset_t qi = 0; qi < qs->size(); ++qi) {
        const fbs::Queue *q = qs->Get(qi);
        if (!q) {
          fail(fmt::format("queues[{}]", qi), "missing queue");
          return false;
        }
        Queue outQ;
        outQ.id = q->id();
        if (const auto *insts = q->instructions()) {
          outQ.instructions.reserve(insts->size());
          for (flatbuffers::uoffset_t ii = 0; ii < insts->size(); ++ii) {
            const fbs::Instruction *inst = insts->Get(ii);
            std::string w = fmt::format("queues[{}].instructions[{}]", qi, ii);
            if (!inst) {
              fail(w, "missing instruction");
              return false;
            }
            Instruction o;
            if (!body(inst, o.body, w))
              return false;
            if (const auto *ws = inst->waits())
              for (const fbs::SemWait *sw : *ws)
                o.waits.push_back(SemWait{sw->sem(), sw->value()});
            if (const auto *ss = inst->signals())
              o.signals.assign(ss->begin(), ss->end());
            if (inst->debug())
              o.debug = inst->debug()->str();
            outQ.instructions.push_back(std::move(o));
          }
        }
        out.queues.push_back(std::move(outQ));
      }
    }
    return true;
  }
};

/// Layout: [u32 size of the rest][u32 root offset]["TRNX"][...].
constexpr size_t kIdentifierOffset = 2 * sizeof(flatbuffers::uoffset_t);
constexpr size_t kMinSize = kIdentifierOffset + flatbuffers::kFileIdentifierLength;

/// Size prefix, identifier, FlatBuffers verifier. Returns the root or an Error.
Expected<const fbs::Program *> verifyBuffer(const uint8_t *data, size_t size) {
  if (size == 0)
    return Error{"empty file (not a .trnx program)"};
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return Error{fmt::format("file of {} bytes exceeds the .trnx limit of {} bytes", size,
                             static_cast<uint64_t>(FLATBUFFERS_MAX_BUFFER_SIZE) - 1)};
  if (size < kMinSize)
    return Error{fmt::format("truncated file: {} bytes is too small for a .trnx program", size)};
  if (!fbs::SizePrefixedProgramBufferHasIdentifier(data)) {
    std::string id;
    for (size_t i = kIdentifierOffset; i < kMinSize; ++i) {
      char c = static_cast<char>(data[i]);
      id += (c >= 0x20 && c < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", data[i]);
    }
    return Error{fmt::format("not a .trnx program (file identifier '{}', expected '{}')", id,
                             kTrnxMagic)};
  }
  const uint64_t expect =
      uint64_t(flatbuffers::ReadScalar<flatbuffers::uoffset_t>(data)) + sizeof(flatbuffers::uoffset_t);
  if (expect > size)
    return Error{fmt::format("truncated .trnx program: {} bytes expected, {} present", expect,
                             size)};
  if (expect < size)
    return Error{fmt::format("corrupt .trnx program: {} bytes of trailing data after the "
                             "{}-byte program",
                             size - expect, expect)};
  // Each table reference costs at least 4 bytes of buffer (a writer that
  // never shares tables needs at most size / 8), so this bound only stops
  // DAG-shaped inputs from making verification superlinear.
  flatbuffers::uoffset_t maxTables = static_cast<flatbuffers::uoffset_t>(size / 4 + 1024);
  flatbuffers::Verifier verifier(data, size, kMaxDepth, maxTables);
  if (!fbs::VerifySizePrefixedProgramBuffer(verifier))
    return Error{"corrupt or truncated .trnx program (FlatBuffers verification failed)"};
  const fbs::Program *root = fbs::GetSizePrefixedProgram(data);
  if (!root->header())
    return Error{"corrupt .trnx program: missing header"};
  return root;
}

/// verifyBuffer plus the format version check.
Expected<const fbs::Program *> openBuffer(const uint8_t *data, size_t size) {
  auto root = verifyBuffer(data, size);
  if (!root)
    return root;
  const fbs::Header *h = (*root)->header();
  if (h->format_version() == 0)
    return Error{"corrupt .trnx program: format version 0"};
  if (h->format_version() > kTrnxFormatVersion)
    return Error{fmt::format("format version {} is newer than the newest version this runtime "
                             "reads ({}); rebuild the trn tools",
                             h->format_version(), kTrnxFormatVersion)};
  return root;
}

/// FlatBuffers needs 8-byte alignment for 64-bit scalars; copy otherwise.
struct Aligned {
  std::vector<uint64_t> storage;
  const uint8_t *data;
  Aligned(const uint8_t *p, size_t n) : data(p) {
    if (n < FLATBUFFERS_MAX_BUFFER_SIZE &&
        reinterpret_cast<uintptr_t>(p) % alignof(uint64_t) != 0) {
      storage.resize((n + 7) / 8);
      std::memcpy(storage.data(), p, n);
      data = reinterpret_cast<const uint8_t *>(storage.data());
    }
  }
};

} // namespace

Expected<uint32_t> peekFormatVersion(const uint8_t *data, size_t size) {
  if (size == 0 || data == nullptr)
    return Error{"empty file (not a .trnx program)"};
  Aligned a(data, size);
  auto root = verifyBuffer(a.data, size);
  if (!root)
    return root.error();
  return (*root)->header()->format_version();
}

Expected<Program> deserializeProgram(const uint8_t *data, size_t size) {
  return deserializeProgram(data, size, LoadOptions{});
}

Expected<Program> deserializeProgram(const uint8_t *data, size_t size,
                                     const LoadOptions &options) {
  if (data == nullptr || size == 0)
    return Error{"empty file (not a .trnx program)"};
  Aligned a(data, size);
  auto root = openBuffer(a.data, size);
  if (!root)
    return root.error();
  Program program;
  Decoder dec;
  dec.program(*root, program);
  if (dec.error)
    return Error{"malformed .trnx program: " + dec.error->message};
  if (options.verify)
    if (auto err = verifyProgram(program))
      return *err;
  return program;
}

Expected<Program> readProgramFile(const std::string &path) {
  return readProgramFile(path, LoadOptions{});
}

Expected<Program> readProgramFile(const std::string &path, const LoadOptions &options) {
  auto fail = [&](const std::string &why) { return Error{path + ": " + why}; };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fail(fmt::format("cannot stat: {}", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) >= FLATBUFFERS_MAX_BUFFER_SIZE) {
    ::close(fd);
    return fail(fmt::format("file of {} bytes exceeds the .trnx limit", st.st_size));
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      ::close(fd);
      return fail(fmt::format("read error: {}", std::strerror(err)));
    }
    if (n == 0)
      break; // file shrank while reading: verify what we have
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(got);
  auto p = deserializeProgram(bytes.data(), bytes.size(), options);
  if (!p)
    return fail(p.error().message);
  return p;
}

} // namespace trnrt
