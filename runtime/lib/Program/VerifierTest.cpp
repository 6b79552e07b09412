//===- VerifierTest.cpp - One test per verification rule -----------------===//
//
// Each test breaks one rule of a valid sample program and checks the exact
// one-line message (where, rule, value, allowed range). The loader path is
// covered too: a broken program serializes fine but never loads.
//
//===----------------------------------------------------------------------===//

#include "TestPrograms.h"
#include "trn/runtime/Target.h"
#include "trn/runtime/Trnx.h"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace trnrt;
using AP = AccessPattern;

namespace {

/// The in-memory verifier only (for programs the format cannot even encode,
/// e.g. free rank 0 or 5: the loader rejects those structurally).
void expectVerifierError(const Program &p, const std::string &message) {
  auto err = verifyProgram(p);
  ASSERT_TRUE(err) << "expected: " << message;
  EXPECT_EQ(err->message, message);
}

void expectError(const Program &p, const std::string &message) {
  auto err = verifyProgram(p);
  ASSERT_TRUE(err) << "expected: " << message;
  EXPECT_EQ(err->message, message);
  // The loader reports the same error and returns no program.
  std::vector<uint8_t> bytes = serializeProgram(p);
  auto loaded = deserializeProgram(bytes.data(), bytes.size());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, message);
}

// gemm("trn2"): queues[0] = dma0 (load xT0, load xT1, store y), [1] = dma1,
// [2] = pe (matmul k0, matmul k1), [3] = act (relu).
Program gemm(const char *t = "trn2") { return testprog::gemm(t); }
Matmul &mm(Program &p, size_t i = 0) {
  for (Queue &q : p.queues)
    if (q.id == kQueuePE)
      return std::get<Matmul>(q.instructions.at(i).body);
  throw std::runtime_error("no pe queue");
}
DmaCopy &dma(Program &p, size_t q, size_t i) {
  return std::get<DmaCopy>(p.queues[q].instructions[i].body);
}
Activation &act(Program &p) { return std::get<Activation>(p.queues[3].instructions[0].body); }

// everyInstruction(): queues[0] = dma0, [1] = dve (memset, memset,
// quantize_mx, tensor_tensor, tensor_scalar, tensor_reduce, tensor_copy),
// [2] = pe (mx matmul, transpose, matmul, matmul), [3] = act, [4] = pool
// (iota, select), [5] = dma1.
Program every() { return testprog::everyInstruction(); }
template <typename T> T &body(Program &p, size_t q, size_t i) {
  return std::get<T>(p.queues[q].instructions[i].body);
}

} // namespace

TEST(Verifier, SampleProgramsAreValid) {
  for (const char *t : {"trn1", "trn2", "trn3"})
    EXPECT_FALSE(verifyProgram(testprog::gemm(t))) << t;
  EXPECT_FALSE(verifyProgram(testprog::fp8DoubleRow()));
  auto e = verifyProgram(testprog::everyInstruction());
  EXPECT_FALSE(e) << e->message;
}

//===--- program and tensors ----------------------------------------------===//

TEST(Verifier, UnknownTarget) {
  Program p = gemm();
  p.target = "trn9";
  expectError(p, "program: unknown target 'trn9' (known: trn1, trn2, trn3)");
}

TEST(Verifier, TooManySemaphores) {
  Program p = gemm();
  p.numSemaphores = 257;
  expectError(p, "program: 257 semaphores exceed 256 (trn2)");
}

TEST(Verifier, TensorNames) {
  Program p = gemm();
  p.tensors[1].name = "";
  expectError(p, "tensor 1: empty name");
  p = gemm();
  p.tensors[2].name = "xT";
  expectError(p, "tensor 2 'xT': duplicate name (also tensor 0)");
}

TEST(Verifier, TensorShapeDims) {
  Program p = gemm();
  p.tensors[0].shape = {256, 0};
  expectError(p, "tensor 0 'xT': shape dim 1 is 0, must be >= 1");
  p.tensors[0].shape = {-3};
  expectError(p, "tensor 0 'xT': shape dim 0 is -3, must be >= 1");
}

TEST(Verifier, TensorSizeOverflowAndCapacity) {
  Program p = gemm();
  p.tensors[2].shape = {int64_t(1) << 40, int64_t(1) << 30};
  expectError(p, "tensor 2 'y': element count overflows 64 bits");
}

TEST(Verifier, TensorCapacity) {
  Program p = gemm("trn1");
  p.tensors[2].shape = {(int64_t(1) << 33) + 1}; // f32: 32 GiB + 4 bytes
  expectError(p, "tensor 2 'y': size 34359738372 bytes exceeds the HBM capacity of 34359738368 "
                 "bytes (trn1)");
  p = gemm("trn1");
  p.tensors[2].shape = {int64_t(1) << 31}; // 8 GiB each
  p.tensors.push_back(testprog::tensor("s1", TensorKind::Scratch, DType::F32, {int64_t(1) << 31}));
  p.tensors.push_back(testprog::tensor("s2", TensorKind::Scratch, DType::F32, {int64_t(1) << 31}));
  p.tensors.push_back(testprog::tensor("s3", TensorKind::Scratch, DType::F32, {int64_t(1) << 31}));
  expectError(p, "program: HBM tensors total 34360066048 bytes, exceeding 34359738368 bytes (trn1)");
}

TEST(Verifier, ConstantDataSize) {
  Program p = gemm();
  p.tensors[1].data.pop_back();
  expectError(p, "tensor 1 'w': constant has 262143 data bytes, expected 262144 for bf16[256, 512]");
  p = gemm();
  p.tensors[0].data = {1, 2};
  expectError(p, "tensor 0 'xT': input tensor carries 2 data bytes (only constants may)");
}

TEST(Verifier, ScaleTensor) {
  Program p = every();
  p.tensors[1].scaleTensor = 6;
  expectError(p, "tensor 1 'wq': scale tensor index 6 out of range (0..5)");
  p.tensors[1].scaleTensor = 1;
  expectError(p, "tensor 1 'wq': is its own scale tensor");
  p.tensors[1].scaleTensor = 0;
  expectError(p, "tensor 1 'wq': scale tensor 0 'x' is input, must be a constant");
  p = every();
  p.tensors[2].dtype = DType::BF16;
  p.tensors[2].data.resize(16 * 32 * 2);
  expectError(p, "tensor 1 'wq': scale tensor 2 'wq_scale' has dtype bf16, must be e8m0 or f32");
  p = every();
  p.tensors[0].scaleTensor = 2;
  expectError(p, "tensor 0 'x': only constants may have a scale tensor");
}

//===--- memory plan -----------------------------------------------------===//

TEST(Verifier, Buffers) {
  Program p = gemm();
  p.buffers[0].space = MemSpace::HBM;
  expectError(p, "buffer 0 'xT_k0': memory plan buffers must be in sbuf or psum, got hbm");
  p = gemm();
  p.buffers[1].startPartition = 64;
  expectError(p, "buffer 1 'xT_k1': partitions [64, 192) outside 0..128");
  p = gemm();
  p.buffers[2].bytesPerPartition = 0;
  expectError(p, "buffer 2 'w_k0': size is 0 bytes per partition");
  p = gemm();
  p.buffers[5].offset = 0x3900; // psum: 16 KiB per partition
  expectError(p, "buffer 5 'acc': psum bytes [0x3900, 0x4100) exceed 16384 bytes per partition "
                 "(trn2)");
}

//===--- queues, engines, semaphores --------------------------------------===//

TEST(Verifier, QueueIds) {
  Program p = gemm();
  p.queues[1].id = kMaxQueues;
  expectError(p, "queues[1]: queue id 20 out of range 0..19");
  p.queues[1].id = kFirstDmaQueue;
  expectError(p, "queue dma0: appears more than once");
}

TEST(Verifier, OpcodeOnWrongEngine) {
  Program p = gemm();
  p.queues[3].id = kQueueDVE; // activation on VectorE
  expectError(p, "queue dve[0] activation: not executable on the dve engine (runs on: act)");
  p = gemm();
  p.queues[2].id = kQueuePOOL;
  expectError(p, "queue pool[0] matmul: not executable on the pool engine (runs on: pe)");
}

TEST(Verifier, Semaphores) {
  Program p = gemm();
  p.queues[2].instructions[0].waits[1].sem = 4;
  expectError(p, "queue pe[0] matmul: wait on semaphore 4 out of range (program declares 4)");
  p = gemm();
  p.queues[3].instructions[0].signals = {3, 7};
  expectError(p, "queue act[0] activation: signal of semaphore 7 out of range (program declares 4)");
  p = gemm();
  p.queues[2].instructions[1].waits[0].value = 3;
  expectError(p, "queue pe[1] matmul: waits for s0 >= 3 but the program signals s0 only 2 times "
                 "(deadlock)");
}

//===--- access patterns --------------------------------------------------===//

TEST(Verifier, ApRankAndSizes) {
  Program p = gemm();
  mm(p).moving.rank = 0;
  expectVerifierError(p, "queue pe[0] matmul: moving: free rank 0 outside 1..4");
  p = gemm();
  mm(p).moving.rank = 5;
  expectVerifierError(p, "queue pe[0] matmul: moving: free rank 5 outside 1..4");
  p = gemm();
  mm(p).moving.sizes = {512, 0, 1, 1};
  mm(p).moving.rank = 2;
  expectError(p, "queue pe[0] matmul: moving: free dim 1 has size 0, must be >= 1");
  p = gemm();
  act(p).src.sizes = {70000, 1, 1, 1};
  expectError(p, "queue act[0] activation: src: free dim 0 size 70000 exceeds 65535 (trn2)");
  p = gemm();
  act(p).src.rank = 2;
  act(p).src.sizes = {1, 512, 1, 1};
  act(p).src.strides = {40000, 1, 0, 0};
  expectError(p, "queue act[0] activation: src: free dim 0 stride 40000 outside -32767..32767 "
                 "(trn2)");
  p = gemm();
  dma(p, 0, 0).src.rank = 4;
  dma(p, 0, 0).src.sizes = {1u << 16, 1u << 16, 1u << 16, 1};
  dma(p, 0, 0).src.strides = {0, 0, 0, 0};
  expectError(p, "queue dma0[0] dma_copy: src: 281474976710656 elements per partition exceed "
                 "1099511627776");
}

TEST(Verifier, ApPartitions) {
  Program p = gemm();
  act(p).dst.numPartitions = 0;
  expectError(p, "queue act[0] activation: dst: 0 partitions, must be >= 1");
  p = gemm();
  act(p).dst.numPartitions = 129;
  expectError(p, "queue act[0] activation: dst: 129 partitions exceed 128 (trn2)");
  p = gemm();
  dma(p, 0, 0).dst.startPartition = 100; // DMA: any start, but inside 128
  expectError(p, "queue dma0[0] dma_copy: dst: partitions [100, 228) outside 0..128");
  p = gemm();
  act(p).src.startPartition = 32;
  act(p).src.numPartitions = 64;
  act(p).dst.startPartition = 32;
  act(p).dst.numPartitions = 64;
  expectError(p, "queue act[0] activation: dst: start partition 32 illegal for 64 partitions "
                 "(allowed: 0 or 64) (trn2)");
  p = gemm();
  act(p).dst.partitionStride = 8;
  expectError(p, "queue act[0] activation: dst: partition stride 8 on sbuf, must be 0 (partitions "
                 "are addressed by start partition)");
}

TEST(Verifier, DmaMayUseAnyStartPartition) {
  Program p = gemm();
  // A 16-partition DMA at start 16 is illegal for engines but fine for DMA.
  dma(p, 0, 0).dst.startPartition = 16;
  dma(p, 0, 0).dst.numPartitions = 16;
  dma(p, 0, 0).src.numPartitions = 16;
  EXPECT_FALSE(verifyProgram(p));
}

TEST(Verifier, ApDtypeForEngine) {
  Program p = every();
  auto &io = body<Iota>(p, 4, 0);
  io.dst.dtype = DType::F8E4M3;
  expectError(p, "queue pool[0] iota: dst: dtype f8e4m3 not supported by the pool engine (trn3)");
  p = gemm();
  act(p).dst.dtype = DType::F4E2M1;
  expectError(p, "queue act[0] activation: dst: dtype f4e2m1 not supported by the act engine (trn2)");
}

TEST(Verifier, ApMemoryAccessByEngine) {
  Program p = gemm();
  act(p).src = AP::hbm(0, DType::BF16, 0, 128, 128, {128});
  act(p).dst = AP::tile(MemSpace::SBUF, DType::F32, 0xa00, 0, 128, {128});
  expectError(p, "queue act[0] activation: src: the act engine cannot access hbm (only dma "
                 "queues can)");
  p = every();
  body<Iota>(p, 4, 0).dst.space = MemSpace::PSUM;
  expectError(p, "queue pool[0] iota: dst: the pool engine cannot access psum");
  p = gemm();
  act(p).src.sizes = {8192, 1, 1, 1}; // psum: 4K elements per partition for ACT/DVE
  act(p).dst.sizes = {8192, 1, 1, 1};
  expectError(p, "queue act[0] activation: src: 8192 elements per partition exceed 4096 in psum "
                 "(trn2)");
}

TEST(Verifier, ApOnChipBounds) {
  Program p = gemm();
  act(p).dst.offset = 224 * 1024 - 1024; // 2048 bytes at 223 KiB
  expectError(p, "queue act[0] activation: dst: sbuf bytes [0x37c00, 0x38400) exceed 229376 bytes "
                 "per partition (trn2)");
  p = gemm();
  act(p).dst.strides = {-1, 0, 0, 0};
  act(p).dst.offset = 0x10;
  expectError(p, "queue act[0] activation: dst: sbuf address below 0 or overflowing (offset 0x10, "
                 "free span [-511, 0] elements)");
  p = gemm();
  mm(p).dst.offset = 0x3f00; // psum 16 KiB
  expectError(p, "queue pe[0] matmul: dst: psum bytes [0x3f00, 0x4700) exceed 16384 bytes per "
                 "partition (trn2)");
}

TEST(Verifier, ApHbm) {
  Program p = gemm();
  dma(p, 0, 0).src.startPartition = 1;
  expectError(p, "queue dma0[0] dma_copy: src: start partition 1 on hbm, must be 0");
  p = gemm();
  dma(p, 0, 0).src.tensor = 3;
  expectError(p, "queue dma0[0] dma_copy: src: hbm tensor index 3 out of range (3 tensors)");
  p = gemm();
  dma(p, 0, 0).src.dtype = DType::F16;
  dma(p, 0, 0).dst.dtype = DType::F16;
  expectError(p, "queue dma0[0] dma_copy: src: dtype f16 differs from tensor 'xT' dtype bf16");
  p = gemm();
  dma(p, 0, 1).src.offset = 128 * 128 + 1; // one past the end on the last row
  expectError(p, "queue dma0[1] dma_copy: src: hbm elements [16385, 32768] outside tensor 'xT' "
                 "[0, 32768)");
  p = gemm();
  dma(p, 0, 0).src.partitionStride = -128; // rows walk backwards from element 0
  expectError(p, "queue dma0[0] dma_copy: src: hbm elements [-16256, 127] outside tensor 'xT' "
                 "[0, 32768)");
}

TEST(Verifier, WritesToReadOnlyTensors) {
  Program p = gemm();
  std::swap(dma(p, 0, 0).dst, dma(p, 0, 0).src); // store into the input
  expectError(p, "queue dma0[0] dma_copy: dst: writes input tensor 'xT' (read-only)");
  p = gemm();
  std::swap(dma(p, 1, 0).dst, dma(p, 1, 0).src);
  expectError(p, "queue dma1[0] dma_copy: dst: writes constant tensor 'w' (read-only)");
}

//===--- per-opcode rules -------------------------------------------------===//

TEST(Verifier, DmaCopy) {
  Program p = gemm();
  dma(p, 0, 0).src.sizes = {64, 1, 1, 1};
  expectError(p, "queue dma0[0] dma_copy: dst has 16384 elements but src has 8192 (dst [P=128, "
                 "128], src [P=128, 64])");
  p = gemm();
  dma(p, 0, 2).dst.dtype = DType::BF16;
  p.tensors[2].dtype = DType::BF16;
  expectError(p, "queue dma0[2] dma_copy: dst dtype bf16 differs from src dtype f32 (dma_copy "
                 "does not convert)");
}

TEST(Verifier, MatmulModeAndSpaces) {
  Program p = testprog::fp8DoubleRow();
  p.target = "trn1";
  expectError(p, "queue pe[0] matmul: mode fp8_double_row not supported by trn1");
  p = gemm();
  mm(p).dst.space = MemSpace::SBUF;
  expectError(p, "queue pe[0] matmul: dst must be in psum, got sbuf");
  p = gemm();
  mm(p).moving.space = MemSpace::PSUM;
  expectError(p, "queue pe[0] matmul: moving must be in sbuf, got psum");
}

TEST(Verifier, MatmulDtypes) {
  Program p = gemm("trn3");
  mm(p).stationary.dtype = DType::F4E2M1;
  expectError(p, "queue pe[0] matmul: stationary dtype f4e2m1 not allowed in normal mode "
                 "(allowed: f32, bf16, f16, f8e4m3, f8e5m2)");
  p = gemm();
  mm(p).stationary.dtype = DType::F32;
  mm(p).stationary.sizes[0] = 64; // same bytes per partition
  mm(p).dst.numPartitions = 64;
  expectError(p, "queue pe[0] matmul: stationary dtype f32 and moving dtype bf16 mix f32 with a "
                 "narrow type");
  p = gemm();
  mm(p).dst.dtype = DType::BF16;
  expectError(p, "queue pe[0] matmul: dst dtype bf16 not supported for matmul output (allowed: "
                 "f32) (trn2)");
  p = testprog::fp8DoubleRow();
  mm(p).moving.dtype = DType::BF16;
  mm(p).moving.sizes = {2, 256, 1, 1};
  mm(p).dst.sizes = {256, 1, 1, 1};
  expectError(p, "queue pe[0] matmul: moving dtype bf16 not allowed in fp8_double_row mode "
                 "(allowed: f8e4m3, f8e5m2)");
}

TEST(Verifier, MatmulShapes) {
  Program p = gemm();
  mm(p).moving.sizes = {640, 1, 1, 1};
  expectError(p, "queue pe[0] matmul: moving free size 640 exceeds 512 (trn2)");
  p = gemm();
  mm(p).stationary.sizes = {256, 1, 1, 1};
  expectError(p, "queue pe[0] matmul: stationary free size 256 exceeds 128 (trn2)");
  p = gemm();
  mm(p).moving.numPartitions = 64;
  expectError(p, "queue pe[0] matmul: stationary K 128 (partitions) differs from moving K 64");
  p = gemm();
  mm(p).stationary.sizes = {64, 1, 1, 1};
  expectError(p, "queue pe[0] matmul: dst partitions 128 differ from the stationary free size "
                 "M = 64");
  p = gemm();
  mm(p).moving.sizes = {256, 1, 1, 1};
  expectError(p, "queue pe[0] matmul: dst free size 512 differs from the moving free size N = 256");
  p = gemm();
  mm(p).dst.offset = 0x100; // 2 KiB tile at 0x100 crosses into bank 1
  expectError(p, "queue pe[0] matmul: dst: psum bytes [0x100, 0x900) cross a 2048-byte bank "
                 "boundary (trn2)");
  p = testprog::fp8DoubleRow();
  mm(p).stationary.sizes = {128, 2, 1, 1};
  expectError(p, "queue pe[0] matmul: stationary: fp8_double_row mode needs a leading free dim of "
                 "2 rows, got [P=128, 128x2]");
}

TEST(Verifier, MatmulV4Limits) {
  // trn3: moving free up to 4096 fp32 outputs, may span banks.
  Program p = gemm("trn3");
  for (int i = 0; i < 2; ++i) {
    mm(p, i).moving.sizes[0] = 1024;
    mm(p, i).dst.sizes[0] = 1024;
  }
  p.tensors[1].shape = {256, 1024};
  p.tensors[1].data = testprog::constantBytes(DType::BF16, 256 * 1024);
  // A 4 KiB fp32 accumulation tile spanning PSUM banks 0-1 is legal on v4.
  auto err = verifyProgram(p);
  EXPECT_FALSE(err) << err->message;
  // BF16 output: up to 8192 columns (all of PSUM).
  p = gemm("trn3");
  mm(p).moving.sizes[0] = 8192;
  mm(p).dst.sizes[0] = 8192;
  mm(p).dst.dtype = DType::BF16;
  p.queues[2].instructions.pop_back();
  p.queues[3].instructions[0].waits.clear();
  p.queues[0].instructions.back().waits.clear();
  p.queues[2].instructions[0].signals = {2};
  err = verifyProgram(p);
  EXPECT_FALSE(err) << err->message;
  // 8192 fp32 columns would need 32 KiB of PSUM: the capacity rule fires.
  mm(p).dst.dtype = DType::F32;
  expectError(p, "queue pe[0] matmul: dst: psum bytes [0x0, 0x8000) exceed 16384 bytes per "
                 "partition (trn3)");
}

TEST(Verifier, MatmulMxScales) {
  Program p = every(); // queues[2].instructions[0] is the mx matmul
  body<Matmul>(p, 2, 0).movingScale.reset();
  expectError(p, "queue pe[0] matmul: mx mode needs both stationary_scale and moving_scale");
  p = every();
  body<Matmul>(p, 2, 0).movingScale->dtype = DType::F8E4M3;
  expectError(p, "queue pe[0] matmul: moving_scale dtype f8e4m3 must be e8m0");
  p = every();
  body<Matmul>(p, 2, 0).stationaryScale->sizes = {4, 16, 1, 1};
  expectError(p, "queue pe[0] matmul: stationary_scale shape [P=4, 4x16] must be [P=4, free shape "
                 "of the data [P=128, 4x32]]");
  p = every();
  auto &m = body<Matmul>(p, 2, 0);
  m.stationary.numPartitions = m.moving.numPartitions = 48;
  expectError(p, "queue pe[0] matmul: mx mode needs a multiple of 32 contraction partitions, got 48");
  p = gemm("trn3");
  mm(p).stationaryScale = AP::tile(MemSpace::SBUF, DType::E8M0, 0x2000, 0, 4, {128});
  expectError(p, "queue pe[0] matmul: scale operands are only allowed in mx mode, not normal");
}

TEST(Verifier, Transpose) {
  Program p = every(); // pe[1]: psum [64, 128] <- sbuf [128, 64]
  body<Transpose>(p, 2, 1).dst.sizes[0] = 64;
  expectError(p, "queue pe[1] transpose: dst shape [P=64, 64] is not the transpose of src shape "
                 "[P=128, 64]");
  p = every();
  body<Transpose>(p, 2, 1).dst.dtype = DType::BF16;
  expectError(p, "queue pe[1] transpose: dst dtype bf16 must be f32 or src's dtype f32");
  p = every();
  body<Transpose>(p, 2, 1).src.space = MemSpace::PSUM;
  expectError(p, "queue pe[1] transpose: src must be in sbuf, got psum");
}

TEST(Verifier, Activation) {
  Program p = gemm();
  act(p).src.sizes[0] = 256;
  expectError(p, "queue act[0] activation: src shape [P=128, 256] does not match dst shape "
                 "[P=128, 512]");
  p = every();
  body<Activation>(p, 3, 0).scale.ap->sizes[0] = 2;
  expectError(p, "queue act[0] activation: scale must be a [P=64, 1] column like src, got [P=64, 2]");
  p = every();
  body<Activation>(p, 3, 0).bias.ap->dtype = DType::I32;
  expectError(p, "queue act[0] activation: bias dtype i32 must be a float type");
  p = every();
  body<Activation>(p, 3, 0).accumDst->numPartitions = 32;
  expectError(p, "queue act[0] activation: accum_dst must be a [P=64, 1] column like dst, got "
                 "[P=32, 1]");
}

TEST(Verifier, ElementwiseShapes) {
  Program p = every();
  body<TensorTensor>(p, 1, 3).in1.numPartitions = 32;
  expectError(p, "queue dve[3] tensor_tensor: in1 shape [P=32, 64] does not match dst shape "
                 "[P=64, 64]");
  p = every();
  body<TensorScalar>(p, 1, 4).scalar0.ap->numPartitions = 128;
  expectError(p, "queue dve[4] tensor_scalar: scalar0 must be a [P=64, 1] column like src, got "
                 "[P=128, 1]");
  p = every();
  body<TensorCopy>(p, 1, 6).src.sizes[1] = 8;
  expectError(p, "queue dve[6] tensor_copy: src shape [P=64, 4x8] does not match dst shape "
                 "[P=64, 4x16]");
  p = every();
  body<Select>(p, 4, 1).onFalse.sizes[0] = 32;
  expectError(p, "queue pool[1] select: on_false shape [P=64, 32] does not match dst shape "
                 "[P=64, 64]");
}

TEST(Verifier, TensorReduce) {
  Program p = every(); // dve[5]: [64, 4] <- max over dim 1 of [64, 4x16]
  body<TensorReduce>(p, 1, 5).op = AluOp::Sub;
  expectError(p, "queue dve[5] tensor_reduce: reduction op sub not allowed (allowed: add, max, "
                 "min, mul)");
  p = every();
  body<TensorReduce>(p, 1, 5).axisMask = 0;
  expectError(p, "queue dve[5] tensor_reduce: axis mask 0x0 invalid for free rank 2 (allowed: "
                 "0x1..0x3)");
  p = every();
  body<TensorReduce>(p, 1, 5).axisMask = 0x4;
  expectError(p, "queue dve[5] tensor_reduce: axis mask 0x4 invalid for free rank 2 (allowed: "
                 "0x1..0x3)");
  p = every();
  body<TensorReduce>(p, 1, 5).axisMask = 0x1;
  expectError(p, "queue dve[5] tensor_reduce: dst shape [P=64, 4] does not match src [P=64, 4x16] "
                 "reduced over mask 0x1 ([P=64, 16])");
}

TEST(Verifier, QuantizeMx) {
  Program p = every(); // dve[2]
  p.target = "trn2";
  // Queues are checked in program order (dma0, dve, pe, ...): on trn2 the E8M0
  // scale output of quantize_mx is the first illegal thing.
  expectError(p, "queue dve[2] quantize_mx: scale: dtype e8m0 not supported by the dve engine (trn2)");
  p = every();
  body<QuantizeMx>(p, 1, 2).src.dtype = DType::I32;
  expectError(p, "queue dve[2] quantize_mx: src dtype i32 must be f32, bf16 or f16");
  p = every();
  body<QuantizeMx>(p, 1, 2).dst.dtype = DType::BF16;
  expectError(p, "queue dve[2] quantize_mx: dst dtype bf16 must be f8e4m3, f8e5m2 or f4e2m1");
  p = every();
  auto &q = body<QuantizeMx>(p, 1, 2);
  q.src.numPartitions = q.dst.numPartitions = 96;
  expectError(p, "queue dve[2] quantize_mx: scale shape [P=4, 4x16] must be [P=3, 64] (one "
                 "partition per 32 of src)");
  p = every();
  auto &q2 = body<QuantizeMx>(p, 1, 2);
  q2.src.numPartitions = q2.dst.numPartitions = 64 + 16;
  expectError(p, "queue dve[2] quantize_mx: src partitions 80 must be a multiple of the "
                 "32-partition MX block");
}

TEST(Verifier, QuantizeMxNeedsTrn3) {
  // A DVE-only program on trn2 whose scale dtype is legal there only because
  // of quantize_mx: the opcode rule itself fires.
  Program p;
  p.target = "trn2";
  p.name = "q";
  QuantizeMx q{AP::tile(MemSpace::SBUF, DType::F8E4M3, 0x100, 0, 32, {8}),
               AP::tile(MemSpace::SBUF, DType::U8, 0x200, 0, 1, {8}),
               AP::tile(MemSpace::SBUF, DType::F32, 0x0, 0, 32, {8})};
  testprog::queue(p, kQueueDVE).instructions.push_back(testprog::inst(q));
  expectError(p, "queue dve[0] quantize_mx: quantize_mx not supported by trn2");
}
