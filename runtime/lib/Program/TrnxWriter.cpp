//===- TrnxWriter.cpp - Program -> .trnx FlatBuffers ----------------------===//

#include "trn/runtime/Trnx.h"
#include "trn/runtime/trnx_generated.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>

namespace trnrt {
namespace {

namespace fbs = trnrt::fb;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

template <typename E> auto raw(E e) { return static_cast<std::underlying_type_t<E>>(e); }

fbs::DType toFb(DType t) { return static_cast<fbs::DType>(raw(t)); }
fbs::MemSpace toFb(MemSpace m) { return static_cast<fbs::MemSpace>(raw(m)); }
fbs::AluOp toFb(AluOp o) { return static_cast<fbs::AluOp>(raw(o)); }
fbs::ActFunc toFb(ActFunc f) { return static_cast<fbs::ActFunc>(raw(f)); }
fbs::MatmulMode toFb(MatmulMode m) { return static_cast<fbs::MatmulMode>(raw(m)); }
fbs::TensorKind toFb(TensorKind k) { return static_cast<fbs::TensorKind>(raw(k)); }

class Writer {
public:
  explicit Writer(FlatBufferBuilder &b) : b_(b) {}

  Offset<fbs::AccessPattern> ap(const AccessPattern &a) {
    // Only the first `rank` free dims are meaningful; an out-of-range rank is
    // written as is (clamped to the array) so the loader reports it.
    uint32_t r = a.rank <= kMaxFreeDims ? a.rank : kMaxFreeDims;
    std::vector<uint32_t> sizes(a.sizes.begin(), a.sizes.begin() + r);
    std::vector<int64_t> strides(a.strides.begin(), a.strides.begin() + r);
    auto s = b_.CreateVector(sizes);
    auto st = b_.CreateVector(strides);
    return fbs::CreateAccessPattern(b_, toFb(a.space), toFb(a.dtype), a.tensor, a.offset,
                                    a.startPartition, a.numPartitions, a.partitionStride, s, st);
  }
  Offset<fbs::AccessPattern> ap(const std::optional<AccessPattern> &a) {
    return a ? ap(*a) : Offset<fbs::AccessPattern>();
  }
  Offset<fbs::ScalarOperand> scalar(const ScalarOperand &s) {
    auto a = ap(s.ap);
    return fbs::CreateScalarOperand(b_, s.imm, a);
  }

  Offset<void> body(const InstructionBody &body) {
    return std::visit([&](const auto &i) { return op(i).Union(); }, body);
  }

  Offset<fbs::DmaCopy> op(const DmaCopy &i) {
    auto d = ap(i.dst), s = ap(i.src);
    return fbs::CreateDmaCopy(b_, d, s);
  }
  Offset<fbs::Matmul> op(const Matmul &i) {
    auto d = ap(i.dst), st = ap(i.stationary), mv = ap(i.moving);
    auto sts = ap(i.stationaryScale), mvs = ap(i.movingScale);
    return fbs::CreateMatmul(b_, d, st, mv, i.accumulate, toFb(i.mode), sts, mvs);
  }
  Offset<fbs::Transpose> op(const Transpose &i) {
    auto d = ap(i.dst), s = ap(i.src);
    return fbs::CreateTranspose(b_, d, s);
  }
  Offset<fbs::Activation> op(const Activation &i) {
    auto d = ap(i.dst), s = ap(i.src);
    auto sc = scalar(i.scale), bi = scalar(i.bias);
    auto acc = ap(i.accumDst);
    return fbs::CreateActivation(b_, d, s, toFb(i.func), sc, bi, acc);
  }
  Offset<fbs::TensorTensor> op(const TensorTensor &i) {
    auto d = ap(i.dst), a = ap(i.in0), c = ap(i.in1);
    return fbs::CreateTensorTensor(b_, d, a, c, toFb(i.op));
  }
  Offset<fbs::TensorScalar> op(const TensorScalar &i) {
    auto d = ap(i.dst), s = ap(i.src);
    auto s0 = scalar(i.scalar0), s1 = scalar(i.scalar1);
    return fbs::CreateTensorScalar(b_, d, s, toFb(i.op0), s0, i.reverse0, toFb(i.op1), s1,
                                   i.reverse1);
  }
  Offset<fbs::TensorReduce> op(const TensorReduce &i) {
    auto d = ap(i.dst), s = ap(i.src);
    return fbs::CreateTensorReduce(b_, d, s, toFb(i.op), i.axisMask, i.negate);
  }
  Offset<fbs::TensorCopy> op(const TensorCopy &i) {
    auto d = ap(i.dst), s = ap(i.src);
    return fbs::CreateTensorCopy(b_, d, s);
  }
  Offset<fbs::Select> op(const Select &i) {
    auto d = ap(i.dst), p = ap(i.pred), t = ap(i.onTrue), f = ap(i.onFalse);
    return fbs::CreateSelect(b_, d, p, t, f);
  }
  Offset<fbs::Iota> op(const Iota &i) {
    auto d = ap(i.dst);
    std::vector<int32_t> m(i.multipliers.begin(), i.multipliers.end());
    auto mv = b_.CreateVector(m);
    return fbs::CreateIota(b_, d, i.base, i.channelMultiplier, mv);
  }
  Offset<fbs::Memset> op(const Memset &i) {
    auto d = ap(i.dst);
    return fbs::CreateMemset(b_, d, i.value);
  }
  Offset<fbs::QuantizeMx> op(const QuantizeMx &i) {
    auto d = ap(i.dst), sc = ap(i.scale), s = ap(i.src);
    return fbs::CreateQuantizeMx(b_, d, sc, s);
  }

  Offset<fbs::Instruction> instruction(const Instruction &inst) {
    auto body = this->body(inst.body);
    auto type = static_cast<fbs::Op>(static_cast<uint8_t>(inst.opcode()) + 1);
    std::vector<fbs::SemWait> waits;
    waits.reserve(inst.waits.size());
    for (const SemWait &w : inst.waits)
      waits.emplace_back(w.sem, w.value);
    auto wv = b_.CreateVectorOfStructs(waits);
    auto sv = b_.CreateVector(inst.signals);
    auto dbg = b_.CreateString(inst.debug);
    return fbs::CreateInstruction(b_, type, body, wv, sv, dbg);
  }

  Offset<fbs::Program> program(const Program &p) {
    std::vector<Offset<fbs::Tensor>> tensors;
    for (const TensorDecl &t : p.tensors) {
      auto name = b_.CreateString(t.name);
      auto shape = b_.CreateVector(t.shape);
      auto data = b_.CreateVector(t.data);
      flatbuffers::Optional<uint32_t> scale = flatbuffers::nullopt;
      if (t.scaleTensor)
        scale = *t.scaleTensor;
      tensors.push_back(
          fbs::CreateTensor(b_, name, toFb(t.kind), toFb(t.dtype), shape, data, scale));
    }
    auto tv = b_.CreateVector(tensors);

    std::vector<Offset<fbs::Buffer>> buffers;
    for (const BufferDecl &bd : p.buffers) {
      auto name = b_.CreateString(bd.name);
      buffers.push_back(fbs::CreateBuffer(b_, name, toFb(bd.space), bd.offset,
                                          bd.bytesPerPartition, bd.startPartition,
                                          bd.numPartitions));
    }
    auto bv = b_.CreateVector(buffers);

    std::vector<Offset<fbs::Queue>> queues;
    for (const Queue &q : p.queues) {
      std::vector<Offset<fbs::Instruction>> insts;
      insts.reserve(q.instructions.size());
      for (const Instruction &inst : q.instructions)
        insts.push_back(instruction(inst));
      auto iv = b_.CreateVector(insts);
      queues.push_back(fbs::CreateQueue(b_, q.id, iv));
    }
    auto qv = b_.CreateVector(queues);

    auto target = b_.CreateString(p.target);
    auto name = b_.CreateString(p.name);
    auto header = fbs::CreateHeader(b_, kTrnxFormatVersion, target, name);
    return fbs::CreateProgram(b_, header, tv, bv, qv, p.numSemaphores);
  }

private:
  FlatBufferBuilder &b_;
};

std::string errnoText(int err) { return std::strerror(err); }

/// Directory part of `path` ("." when there is none).
std::string dirName(const std::string &path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

std::string baseName(const std::string &path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

std::vector<uint8_t> serializeProgram(const Program &program) {
  FlatBufferBuilder b(4096);
  // Write every field, even those equal to the schema default: -0.0f must
  // survive a round trip (the builder compares with ==), and readers never
  // depend on an absent field meaning "default" for values we wrote.
  b.ForceDefaults(true);
  Writer w(b);
  auto root = w.program(program);
  // Size-prefixed: any truncation (or trailing garbage) is detectable.
  fb::FinishSizePrefixedProgramBuffer(b, root);
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

std::optional<Error> writeProgramFile(const Program &program, const std::string &path) {
  auto fail = [&](const std::string &why) {
    return Error{fmt::format("cannot write '{}': {}", path, why)};
  };
  if (path.empty())
    return Error{"cannot write '': empty output path"};
  if (!path.empty() && path.back() == '/')
    return fail("is a directory");
  std::vector<uint8_t> bytes = serializeProgram(program);

  // A unique temporary in the destination directory, so rename() is atomic.
  static std::atomic<unsigned> counter{0};
  const std::string dir = dirName(path);
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = fmt::format("{}/.{}.tmp.{}.{}", dir, baseName(path), static_cast<long>(::getpid()),
                      counter.fetch_add(1));
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST)
      return fail(errnoText(errno));
  }
  if (fd < 0)
    return fail("cannot create a temporary file");

  auto abandon = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(errnoText(err));
  };
  const uint8_t *p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return abandon(errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return abandon(errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(errnoText(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(errnoText(err));
  }
  return std::nullopt;
}

} // namespace trnrt
