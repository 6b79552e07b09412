//===- TrnDialectTest.cpp - trn dialect vs ISA.h, interface behaviour -----===//

#include "trn/Dialect/Trn/IR/TrnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::trn;

namespace {

TEST(TrnDialect, EnumSpellingsMatchISA) {
  for (unsigned i = 0; i <= getMaxEnumValForAluOp(); ++i)
    EXPECT_EQ(stringifyAluOp(static_cast<AluOp>(i)).str(),
              trnrt::aluOpName(static_cast<trnrt::AluOp>(i)));
  for (unsigned i = 0; i <= getMaxEnumValForActFunc(); ++i)
    EXPECT_EQ(stringifyActFunc(static_cast<ActFunc>(i)).str(),
              trnrt::actFuncName(static_cast<trnrt::ActFunc>(i)));
  for (unsigned i = 0; i <= getMaxEnumValForMatmulMode(); ++i)
    EXPECT_EQ(stringifyMatmulMode(static_cast<MatmulMode>(i)).str(),
              trnrt::matmulModeName(static_cast<trnrt::MatmulMode>(i)));
  for (unsigned i = 0; i <= getMaxEnumValForEngine(); ++i)
    EXPECT_EQ(stringifyEngine(static_cast<Engine>(i)).str(),
              trnrt::engineName(static_cast<trnrt::Engine>(i)));
  for (unsigned i = 0; i <= getMaxEnumValForMemSpace(); ++i)
    EXPECT_EQ(stringifyMemSpace(static_cast<MemSpace>(i)).str(),
              trnrt::memSpaceName(static_cast<trnrt::MemSpace>(i)));
  // Every ISA enumerator has a dialect counterpart (no missing trailing cases).
  EXPECT_EQ(getMaxEnumValForAluOp(), static_cast<unsigned>(trnrt::AluOp::Bypass));
  EXPECT_EQ(getMaxEnumValForActFunc(), static_cast<unsigned>(trnrt::ActFunc::Abs));
}

TEST(TrnDialect, DTypeMappingRoundTrips) {
  MLIRContext ctx;
  for (int i = 0; i < trnrt::kNumDTypes; ++i) {
    auto dt = static_cast<trnrt::DType>(i);
    Type t = getElementType(&ctx, dt);
    ASSERT_TRUE(t);
    std::optional<trnrt::DType> back = getDType(t);
    ASSERT_TRUE(back.has_value()) << trnrt::dtypeName(dt);
    EXPECT_EQ(*back, dt);
  }
  Builder b(&ctx);
  EXPECT_EQ(getDType(IntegerType::get(&ctx, 32, IntegerType::Signed)), trnrt::DType::I32);
  EXPECT_FALSE(getDType(b.getF64Type()).has_value());
  EXPECT_FALSE(getDType(b.getI16Type()).has_value());
  EXPECT_FALSE(getDType(b.getType<Float8E4M3FNUZType>()).has_value());
}

class TrnIRTest : public ::testing::Test {
protected:
  TrnIRTest() { ctx.loadDialect<TrnDialect, func::FuncDialect, memref::MemRefDialect>(); }
  OwningOpRef<ModuleOp> parse(StringRef src) {
    return parseSourceString<ModuleOp>(src, ParserConfig(&ctx));
  }
  template <typename OpT>
  SmallVector<OpT> collect(ModuleOp m) {
    SmallVector<OpT> ops;
    m.walk([&](OpT op) { ops.push_back(op); });
    return ops;
  }
  MLIRContext ctx;
};

TEST_F(TrnIRTest, InterfaceReadsWritesEnginesQueue) {
  OwningOpRef<ModuleOp> m = parse(R"mlir(
    func.func @f(%st: memref<128x128xbf16, #trn.mem<sbuf>>, %mv: memref<128x512xbf16, #trn.mem<sbuf>>,
                 %ps: memref<128x512xf32, #trn.mem<psum>>, %t: memref<128x512xf32, #trn.mem<sbuf>>) {
      trn.matmul %st, %mv -> %ps : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
      trn.matmul %st, %mv -> %ps {accumulate} : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
      trn.tensor_tensor add %ps, %t -> %t : memref<128x512xf32, #trn.mem<psum>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
      return
    })mlir");
  ASSERT_TRUE(m);
  auto insts = collect<TrnInstructionOpInterface>(*m);
  ASSERT_EQ(insts.size(), 3u);

  SmallVector<OpOperand *> reads, writes;
  insts[0].getTileAccesses(reads, writes);
  EXPECT_EQ(insts[0].getOpcode(), trnrt::Opcode::Matmul);
  EXPECT_EQ(reads.size(), 2u); // stationary, moving: a new group overwrites PSUM
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0]->getOperandNumber(), 2u);

  reads.clear();
  writes.clear();
  insts[1].getTileAccesses(reads, writes);
  EXPECT_EQ(reads.size(), 3u); // accumulate also reads the PSUM tile
  EXPECT_EQ(writes.size(), 1u);
  EXPECT_EQ(insts[1].getExecutionEngine(), trnrt::Engine::PE);

  auto tt = insts[2];
  reads.clear();
  writes.clear();
  tt.getTileAccesses(reads, writes);
  EXPECT_EQ(reads.size(), 2u);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0]->get(), tt->getOperand(2));
  EXPECT_EQ(tt.getSupportedEngines(),
            (SmallVector<trnrt::Engine, 2>{trnrt::Engine::DVE, trnrt::Engine::POOL}));
  EXPECT_FALSE(tt.getExecutionEngine().has_value());
  tt.setAssignedQueue(trnrt::kQueuePOOL);
  EXPECT_EQ(tt.getQueueAttr().getValue(), "pool");
  EXPECT_EQ(tt.getAssignedQueue(), trnrt::kQueuePOOL);
  EXPECT_EQ(tt.getExecutionEngine(), trnrt::Engine::POOL);
  tt.setSyncAttr(SyncAttr::get(&ctx, {3}, {2}, {4}));
  EXPECT_TRUE(succeeded(verify(*m)));
  tt.setSyncAttr(SyncAttr::get(&ctx, {}, {}, {256}));
  ScopedDiagnosticHandler silence(&ctx, [](Diagnostic &) { return success(); });
  EXPECT_TRUE(failed(verify(*m)));
}

TEST_F(TrnIRTest, StaticPartitionRange) {
  OwningOpRef<ModuleOp> m = parse(R"mlir(
    func.func @f(%arg: memref<128x64xf32, #trn.mem<sbuf>>, %i: index) {
      %b = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
      %s0 = memref.subview %b[64, 0] [64, 64] [1, 1] : memref<128x64xf32, #trn.mem<sbuf>> to memref<64x64xf32, strided<[64, 1], offset: 4096>, #trn.mem<sbuf>>
      %s1 = memref.subview %s0[32, 0] [32, 64] [1, 1] : memref<64x64xf32, strided<[64, 1], offset: 4096>, #trn.mem<sbuf>> to memref<32x64xf32, strided<[64, 1], offset: 6144>, #trn.mem<sbuf>>
      %s2 = memref.subview %arg[%i, 0] [32, 64] [1, 1] : memref<128x64xf32, #trn.mem<sbuf>> to memref<32x64xf32, strided<[64, 1], offset: ?>, #trn.mem<sbuf>>
      %s3 = memref.subview %b[8, 0] [32, 64] [2, 1] : memref<128x64xf32, #trn.mem<sbuf>> to memref<32x64xf32, strided<[128, 1], offset: 512>, #trn.mem<sbuf>>
      return
    })mlir");
  ASSERT_TRUE(m);
  auto svs = collect<memref::SubViewOp>(*m);
  ASSERT_EQ(svs.size(), 4u);
  auto func = collect<func::FuncOp>(*m).front();
  EXPECT_EQ(getStaticStartPartition(func.getArgument(0)), 0);
  EXPECT_EQ(getStaticStartPartition(svs[0]), 64);
  EXPECT_EQ(getStaticStartPartition(svs[1]), 96);
  EXPECT_FALSE(getStaticStartPartition(svs[2]).has_value());
  std::optional<PartitionRange> r = getStaticPartitionRange(svs[3]);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->start, 8);
  EXPECT_EQ(r->step, 2);
}

TEST_F(TrnIRTest, TargetLookup) {
  OwningOpRef<ModuleOp> m = parse(R"mlir(
    module attributes {trn.target = #trn.target<"trn3">} {
      func.func @f() { return }
    })mlir");
  ASSERT_TRUE(m);
  auto func = collect<func::FuncOp>(*m).front();
  EXPECT_EQ(getTarget(func).name, "trn3");
  OwningOpRef<ModuleOp> plain = parse("func.func @g() { return }");
  ASSERT_TRUE(plain);
  EXPECT_EQ(getTarget(collect<func::FuncOp>(*plain).front()).name, "trn2");
  EXPECT_FALSE(getTargetAttr(*plain));
}

} // namespace
