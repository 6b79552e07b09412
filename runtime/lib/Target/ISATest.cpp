//===- ISATest.cpp - names, sizes and helpers of the instruction set ------===//
#include "trn/runtime/ISA.h"

#include <gtest/gtest.h>

#include <set>

using namespace trnrt;

namespace {

TEST(ISA, DTypeBitsAndNames) {
  const std::pair<DType, unsigned> bits[] = {
      {DType::F32, 32},    {DType::BF16, 16},  {DType::F16, 16}, {DType::F8E4M3, 8},
      {DType::F8E5M2, 8},  {DType::F4E2M1, 4}, {DType::E8M0, 8}, {DType::I32, 32},
      {DType::U32, 32},    {DType::I8, 8},     {DType::U8, 8}};
  static_assert(sizeof(bits) / sizeof(bits[0]) == kNumDTypes);
  for (auto [t, b] : bits)
    EXPECT_EQ(dtypeBits(t), b) << dtypeName(t);
  EXPECT_STREQ(dtypeName(DType::F32), "f32");
  EXPECT_STREQ(dtypeName(DType::BF16), "bf16");
  EXPECT_STREQ(dtypeName(DType::F8E4M3), "f8e4m3");
  EXPECT_STREQ(dtypeName(DType::F4E2M1), "f4e2m1");
  EXPECT_STREQ(dtypeName(DType::E8M0), "e8m0");
  EXPECT_STREQ(dtypeName(DType::U8), "u8");
}

TEST(ISA, DTypeRoundTrip) {
  std::set<std::string> seen;
  for (int i = 0; i < kNumDTypes; ++i) {
    const DType t = static_cast<DType>(i);
    EXPECT_EQ(parseDType(dtypeName(t)), t);
    EXPECT_TRUE(seen.insert(dtypeName(t)).second) << "duplicate name " << dtypeName(t);
  }
  EXPECT_EQ(parseDType("float32"), std::nullopt);
  EXPECT_EQ(parseDType("F32"), std::nullopt);
  EXPECT_EQ(parseDType(""), std::nullopt);
}

TEST(ISA, IsFloatType) {
  for (DType t : {DType::F32, DType::BF16, DType::F16, DType::F8E4M3, DType::F8E5M2,
                  DType::F4E2M1, DType::E8M0})
    EXPECT_TRUE(isFloatType(t)) << dtypeName(t);
  for (DType t : {DType::I32, DType::U32, DType::I8, DType::U8})
    EXPECT_FALSE(isFloatType(t)) << dtypeName(t);
}

TEST(ISA, DTypeBytesIncludingFp4Packing) {
  EXPECT_EQ(dtypeBytes(DType::F32, 5), 20u);
  EXPECT_EQ(dtypeBytes(DType::BF16, 3), 6u);
  EXPECT_EQ(dtypeBytes(DType::F8E5M2, 7), 7u);
  EXPECT_EQ(dtypeBytes(DType::E8M0, 4), 4u);
  EXPECT_EQ(dtypeBytes(DType::F4E2M1, 0), 0u);
  EXPECT_EQ(dtypeBytes(DType::F4E2M1, 1), 1u); // half a byte rounds up
  EXPECT_EQ(dtypeBytes(DType::F4E2M1, 2), 1u);
  EXPECT_EQ(dtypeBytes(DType::F4E2M1, 3), 2u);
  EXPECT_EQ(dtypeBytes(DType::F4E2M1, 4096), 2048u);
  EXPECT_EQ(dtypeBytes(DType::I32, 0), 0u);
}

TEST(ISA, MemSpaceAndEngineNames) {
  EXPECT_STREQ(memSpaceName(MemSpace::HBM), "hbm");
  EXPECT_STREQ(memSpaceName(MemSpace::SBUF), "sbuf");
  EXPECT_STREQ(memSpaceName(MemSpace::PSUM), "psum");
  EXPECT_STREQ(engineName(Engine::PE), "pe");
  EXPECT_STREQ(engineName(Engine::ACT), "act");
  EXPECT_STREQ(engineName(Engine::DVE), "dve");
  EXPECT_STREQ(engineName(Engine::POOL), "pool");
  EXPECT_STREQ(engineName(Engine::DMA), "dma");
}

TEST(ISA, QueueNamesRoundTrip) {
  EXPECT_EQ(queueName(kQueuePE), "pe");
  EXPECT_EQ(queueName(kQueueACT), "act");
  EXPECT_EQ(queueName(kQueueDVE), "dve");
  EXPECT_EQ(queueName(kQueuePOOL), "pool");
  EXPECT_EQ(queueName(kFirstDmaQueue), "dma0");
  EXPECT_EQ(queueName(kFirstDmaQueue + 15), "dma15");
  for (QueueId q = 0; q < kMaxQueues; ++q) {
    EXPECT_EQ(parseQueueName(queueName(q)), q) << queueName(q);
    EXPECT_EQ(queueEngine(q), q < kFirstDmaQueue ? static_cast<Engine>(q) : Engine::DMA);
  }
  for (const char *bad : {"dma16", "dma01", "dma", "DMA0", "dma-1", "dma1x", "pe0", "", "dma100"})
    EXPECT_EQ(parseQueueName(bad), std::nullopt) << bad;
}

TEST(ISA, AluOpRoundTrip) {
  std::set<std::string> seen;
  for (int i = 0; i <= static_cast<int>(AluOp::Bypass); ++i) {
    const AluOp op = static_cast<AluOp>(i);
    EXPECT_EQ(parseAluOp(aluOpName(op)), op);
    EXPECT_TRUE(seen.insert(aluOpName(op)).second);
  }
  EXPECT_STREQ(aluOpName(AluOp::IsGe), "is_ge");
  EXPECT_EQ(parseAluOp("plus"), std::nullopt);
}

TEST(ISA, ActFuncRoundTrip) {
  std::set<std::string> seen;
  for (int i = 0; i <= static_cast<int>(ActFunc::Abs); ++i) {
    const ActFunc f = static_cast<ActFunc>(i);
    EXPECT_EQ(parseActFunc(actFuncName(f)), f);
    EXPECT_TRUE(seen.insert(actFuncName(f)).second);
  }
  // The spellings DESIGN.md section 4.3 lists.
  for (const char *n : {"identity", "relu", "gelu", "gelu_tanh", "silu", "sigmoid", "tanh", "exp",
                        "log", "sqrt", "rsqrt", "square", "reciprocal"})
    EXPECT_TRUE(parseActFunc(n).has_value()) << n;
  EXPECT_EQ(parseActFunc("softmax"), std::nullopt);
}

TEST(ISA, MatmulModeOpcodeTensorKindRoundTrip) {
  for (MatmulMode m : {MatmulMode::Normal, MatmulMode::Fp8DoubleRow, MatmulMode::Mx})
    EXPECT_EQ(parseMatmulMode(matmulModeName(m)), m);
  EXPECT_STREQ(matmulModeName(MatmulMode::Fp8DoubleRow), "fp8_double_row");
  std::set<std::string> seen;
  for (int i = 0; i < kNumOpcodes; ++i) {
    const Opcode op = static_cast<Opcode>(i);
    EXPECT_EQ(parseOpcode(opcodeName(op)), op);
    EXPECT_TRUE(seen.insert(opcodeName(op)).second);
  }
  for (TensorKind k : {TensorKind::Input, TensorKind::Output, TensorKind::Constant,
                       TensorKind::Scratch})
    EXPECT_EQ(parseTensorKind(tensorKindName(k)), k);
  EXPECT_EQ(parseOpcode("nop"), std::nullopt);
}

TEST(ISA, OpcodeMatchesVariantIndex) {
  EXPECT_EQ(opcodeOf(InstructionBody{DmaCopy{}}), Opcode::DmaCopy);
  EXPECT_EQ(opcodeOf(InstructionBody{Matmul{}}), Opcode::Matmul);
  EXPECT_EQ(opcodeOf(InstructionBody{Activation{}}), Opcode::Activation);
  EXPECT_EQ(opcodeOf(InstructionBody{Memset{}}), Opcode::Memset);
  EXPECT_EQ(opcodeOf(InstructionBody{QuantizeMx{}}), Opcode::QuantizeMx);
  EXPECT_STREQ(opcodeName(Opcode::DmaCopy), "dma_copy");
  EXPECT_STREQ(opcodeName(Opcode::TensorTensor), "tensor_tensor");
  EXPECT_STREQ(opcodeName(Opcode::QuantizeMx), "quantize_mx");
}

TEST(ISA, EngineCanExecute) {
  const Engine engines[] = {Engine::PE, Engine::ACT, Engine::DVE, Engine::POOL, Engine::DMA};
  // Rows: opcodes in enum order; columns: PE ACT DVE POOL DMA.
  const bool table[kNumOpcodes][5] = {
      {0, 0, 0, 0, 1}, // dma_copy
      {1, 0, 0, 0, 0}, // matmul
      {1, 0, 0, 0, 0}, // transpose
      {0, 1, 0, 0, 0}, // activation
      {0, 0, 1, 1, 0}, // tensor_tensor
      {0, 0, 1, 1, 0}, // tensor_scalar
      {0, 0, 1, 1, 0}, // tensor_reduce
      {0, 1, 1, 1, 0}, // tensor_copy
      {0, 0, 0, 1, 0}, // select
      {0, 0, 0, 1, 0}, // iota
      {0, 0, 1, 1, 0}, // memset
      {0, 0, 1, 0, 0}, // quantize_mx
  };
  for (int op = 0; op < kNumOpcodes; ++op)
    for (int e = 0; e < 5; ++e)
      EXPECT_EQ(engineCanExecute(engines[e], static_cast<Opcode>(op)), table[op][e])
          << opcodeName(static_cast<Opcode>(op)) << " on " << engineName(engines[e]);
}

TEST(ISA, TileBuilder) {
  AccessPattern ap = AccessPattern::tile(MemSpace::SBUF, DType::BF16, 256, 64, 32, {4, 8});
  EXPECT_EQ(ap.space, MemSpace::SBUF);
  EXPECT_EQ(ap.dtype, DType::BF16);
  EXPECT_EQ(ap.offset, 256u);
  EXPECT_EQ(ap.startPartition, 64u);
  EXPECT_EQ(ap.numPartitions, 32u);
  EXPECT_EQ(ap.rank, 2u);
  EXPECT_EQ(ap.sizes[0], 4u);
  EXPECT_EQ(ap.sizes[1], 8u);
  EXPECT_EQ(ap.strides[0], 8);
  EXPECT_EQ(ap.strides[1], 1);
  EXPECT_EQ(ap.elemsPerPartition(), 32u);
  EXPECT_EQ(ap.numElements(), 32u * 32u);
  EXPECT_EQ(ap.freeShape(), (std::vector<uint32_t>{4, 8}));

  AccessPattern r4 = AccessPattern::tile(MemSpace::PSUM, DType::F32, 0, 0, 128, {2, 3, 4, 5});
  EXPECT_EQ(r4.rank, 4u);
  EXPECT_EQ(r4.strides[0], 60);
  EXPECT_EQ(r4.strides[1], 20);
  EXPECT_EQ(r4.strides[2], 5);
  EXPECT_EQ(r4.strides[3], 1);
  EXPECT_EQ(r4.elemsPerPartition(), 120u);

  // An empty free shape is a [P, 1] column.
  AccessPattern col = AccessPattern::tile(MemSpace::SBUF, DType::F32, 0, 0, 128, {});
  EXPECT_EQ(col.rank, 1u);
  EXPECT_EQ(col.elemsPerPartition(), 1u);
}

TEST(ISA, HbmBuilder) {
  AccessPattern ap = AccessPattern::hbm(3, DType::F32, 10, 64, 1024, {16, 32});
  EXPECT_EQ(ap.space, MemSpace::HBM);
  EXPECT_EQ(ap.tensor, 3u);
  EXPECT_EQ(ap.offset, 10u);
  EXPECT_EQ(ap.startPartition, 0u);
  EXPECT_EQ(ap.numPartitions, 64u);
  EXPECT_EQ(ap.partitionStride, 1024);
  EXPECT_EQ(ap.strides[0], 32);
  EXPECT_EQ(ap.strides[1], 1);
  EXPECT_EQ(ap.numElements(), 64u * 512u);

  AccessPattern t = AccessPattern::hbm(0, DType::BF16, 0, 128, 1, {256}, {128});
  EXPECT_EQ(t.rank, 1u);
  EXPECT_EQ(t.strides[0], 128); // explicit (transposing) stride kept
  EXPECT_EQ(t.partitionStride, 1);
}

TEST(ISA, TensorDeclAndProgram) {
  TensorDecl w{"w", TensorKind::Constant, DType::F4E2M1, {3, 5}, {}, std::nullopt};
  EXPECT_EQ(w.numElements(), 15u);
  EXPECT_EQ(w.byteSize(), 8u);
  TensorDecl scalar{"s", TensorKind::Input, DType::F32, {}, {}, std::nullopt};
  EXPECT_EQ(scalar.numElements(), 1u);
  TensorDecl empty{"e", TensorKind::Input, DType::F32, {4, 0}, {}, std::nullopt};
  EXPECT_EQ(empty.numElements(), 0u);

  Program p;
  for (TensorKind k : {TensorKind::Input, TensorKind::Constant, TensorKind::Output,
                       TensorKind::Input, TensorKind::Scratch, TensorKind::Output})
    p.tensors.push_back(TensorDecl{"t", k, DType::F32, {2}, {}, std::nullopt});
  EXPECT_EQ(p.inputIndices(), (std::vector<uint32_t>{0, 3}));
  EXPECT_EQ(p.outputIndices(), (std::vector<uint32_t>{2, 5}));
  EXPECT_EQ(p.numInstructions(), 0u);
  p.queues.push_back(Queue{kQueuePE, {Instruction{Matmul{}, {}, {}, ""}}});
  p.queues.push_back(Queue{kFirstDmaQueue, {Instruction{DmaCopy{}, {}, {}, ""},
                                            Instruction{DmaCopy{}, {}, {}, ""}}});
  EXPECT_EQ(p.numInstructions(), 3u);
}

} // namespace
