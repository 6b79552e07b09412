// Round trip of every trn operation and attribute (trn2): custom form ->
// custom form, and custom -> generic -> custom.
// RUN: trn-opt %s | trn-opt | FileCheck %s
// RUN: trn-opt %s --mlir-print-op-generic | trn-opt | FileCheck %s

// CHECK: module attributes {trn.target = #trn.target<"trn2">}
module attributes {trn.target = #trn.target<"trn2">} {

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: memref<256x512xbf16, #trn.mem<hbm>>, %y: memref<4x128x64xbf16, #trn.mem<hbm>>) {
  // CHECK: %[[T:.*]] = trn.alloc() {offset = 1024 : i64} : memref<128x512xbf16, #trn.mem<sbuf>>
  %t = trn.alloc() {offset = 1024} : memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: %[[U:.*]] = trn.alloc() : memref<128x4x64xbf16, #trn.mem<sbuf>>
  %u = trn.alloc() : memref<128x4x64xbf16, #trn.mem<sbuf>>
  // CHECK: %[[P:.*]] = trn.alloc() : memref<128x512xbf16, #trn.mem<psum>>
  %p = trn.alloc() : memref<128x512xbf16, #trn.mem<psum>>
  %rows = memref.subview %x[128, 0] [128, 512] [1, 1] : memref<256x512xbf16, #trn.mem<hbm>> to memref<128x512xbf16, strided<[512, 1], offset: 65536>, #trn.mem<hbm>>
  // CHECK: trn.dma_copy %{{.*}} -> %[[T]] {queue = "dma3", sync = #trn.sync<wait = [s3 : 2, s7 : 1], signal = [s4]>} : memref<128x512xbf16, strided<[512, 1], offset: 65536>, #trn.mem<hbm>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  trn.dma_copy %rows -> %t {queue = "dma3", sync = #trn.sync<wait = [s3 : 2, s7 : 1], signal = [s4]>} : memref<128x512xbf16, strided<[512, 1], offset: 65536>, #trn.mem<hbm>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // A permuted HBM view (rows = dim 1) walked into [128, 4, 64].
  %perm = memref.transpose %y (d0, d1, d2) -> (d1, d0, d2) : memref<4x128x64xbf16, #trn.mem<hbm>> to memref<128x4x64xbf16, strided<[64, 8192, 1]>, #trn.mem<hbm>>
  // CHECK: trn.dma_copy %{{.*}} -> %[[U]] {engine = #trn.engine<dma>} : memref<128x4x64xbf16, strided<[64, 8192, 1]>, #trn.mem<hbm>> -> memref<128x4x64xbf16, #trn.mem<sbuf>>
  trn.dma_copy %perm -> %u {engine = #trn.engine<dma>} : memref<128x4x64xbf16, strided<[64, 8192, 1]>, #trn.mem<hbm>> -> memref<128x4x64xbf16, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[T]] -> %[[P]] : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<psum>>
  trn.dma_copy %t -> %p : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<psum>>
  // CHECK: trn.dma_copy %[[T]] -> %{{.*}} : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, strided<[512, 1], offset: 65536>, #trn.mem<hbm>>
  trn.dma_copy %t -> %rows : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, strided<[512, 1], offset: 65536>, #trn.mem<hbm>>
  return
}

// CHECK-LABEL: func.func @tensor_engine
func.func @tensor_engine() {
  %st = trn.alloc() : memref<128x128xbf16, #trn.mem<sbuf>>
  %mv = trn.alloc() : memref<128x512xbf16, #trn.mem<sbuf>>
  %ps = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %{{.*}} : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  trn.matmul %st, %mv -> %ps : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %{{.*}} {accumulate, queue = "pe", sync = #trn.sync<signal = [s0]>} : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  trn.matmul %st, %mv -> %ps {accumulate, queue = "pe", sync = #trn.sync<signal = [s0]>} : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  // FP8 E4M3 x E5M2 may mix in normal mode.
  %a8 = trn.alloc() : memref<128x64xf8E4M3FN, #trn.mem<sbuf>>
  %b8 = trn.alloc() : memref<128x256xf8E5M2, #trn.mem<sbuf>>
  %p8 = trn.alloc() : memref<64x256xf32, #trn.mem<psum>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %{{.*}} : memref<128x64xf8E4M3FN, #trn.mem<sbuf>>, memref<128x256xf8E5M2, #trn.mem<sbuf>> -> memref<64x256xf32, #trn.mem<psum>>
  trn.matmul %a8, %b8 -> %p8 : memref<128x64xf8E4M3FN, #trn.mem<sbuf>>, memref<128x256xf8E5M2, #trn.mem<sbuf>> -> memref<64x256xf32, #trn.mem<psum>>
  // FP8 double-row (trn2): [K, 2, M] x [K, 2, N].
  %dst = trn.alloc() : memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>
  %dmv = trn.alloc() : memref<128x2x512xf8E4M3FN, #trn.mem<sbuf>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %{{.*}} mode fp8_double_row {accumulate} : memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x2x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  trn.matmul %dst, %dmv -> %ps mode fp8_double_row {accumulate} : memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x2x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  // Transpose: [P, F] SBUF -> [F, P] PSUM, in the source dtype or f32.
  %src = trn.alloc() : memref<64x128xbf16, #trn.mem<sbuf>>
  %tp = trn.alloc() : memref<128x64xf32, #trn.mem<psum>>
  %tpb = trn.alloc() : memref<128x64xbf16, #trn.mem<psum>>
  // CHECK: trn.transpose %{{.*}} -> %{{.*}} : memref<64x128xbf16, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<psum>>
  trn.transpose %src -> %tp : memref<64x128xbf16, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<psum>>
  // CHECK: trn.transpose %{{.*}} -> %{{.*}} : memref<64x128xbf16, #trn.mem<sbuf>> -> memref<128x64xbf16, #trn.mem<psum>>
  trn.transpose %src -> %tpb : memref<64x128xbf16, #trn.mem<sbuf>> -> memref<128x64xbf16, #trn.mem<psum>>
  return
}

// CHECK-LABEL: func.func @scalar_engine
func.func @scalar_engine() {
  %ps = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
  %t = trn.alloc() : memref<128x512xbf16, #trn.mem<sbuf>>
  %col = trn.alloc() : memref<128x1xf32, #trn.mem<sbuf>>
  %acc = trn.alloc() : memref<128x1xf32, #trn.mem<sbuf>>
  // CHECK: trn.activation exp %{{.*}} -> %{{.*}} scale(5.000000e-01) bias(%{{.*}} : memref<128x1xf32, #trn.mem<sbuf>>) accum(%{{.*}} : memref<128x1xf32, #trn.mem<sbuf>>) : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  trn.activation exp %ps -> %t scale(0.5) bias(%col : memref<128x1xf32, #trn.mem<sbuf>>) accum(%acc : memref<128x1xf32, #trn.mem<sbuf>>) : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation gelu_tanh %{{.*}} -> %{{.*}} scale(%{{.*}} : memref<128x1xf32, #trn.mem<sbuf>>) bias(-1.250000e+00) {queue = "act"} : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  trn.activation gelu_tanh %t -> %t scale(%col : memref<128x1xf32, #trn.mem<sbuf>>) bias(-1.25) {queue = "act"} : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // Every activation function parses and prints with the ISA spelling.
  // CHECK: trn.activation identity
  trn.activation identity %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation relu
  trn.activation relu %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation gelu %
  trn.activation gelu %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation silu
  trn.activation silu %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation sigmoid
  trn.activation sigmoid %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation tanh
  trn.activation tanh %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation log
  trn.activation log %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation sqrt
  trn.activation sqrt %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation rsqrt
  trn.activation rsqrt %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation square
  trn.activation square %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation reciprocal
  trn.activation reciprocal %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation erf
  trn.activation erf %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation abs
  trn.activation abs %t -> %t scale(1.0) bias(0.0) : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  return
}

// CHECK-LABEL: func.func @vector_engine
func.func @vector_engine() {
  %a = trn.alloc() : memref<128x512xf32, #trn.mem<sbuf>>
  %p = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
  %c = trn.alloc() : memref<128x512xbf16, #trn.mem<sbuf>>
  %col = trn.alloc() : memref<128x1xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor add %{{.*}}, %{{.*}} -> %{{.*}} : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  trn.tensor_tensor add %a, %p -> %c : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor is_ge %{{.*}}, %{{.*}} -> %{{.*}} {engine = #trn.engine<pool>} :
  trn.tensor_tensor is_ge %a, %a -> %a {engine = #trn.engine<pool>} : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor sub
  trn.tensor_tensor sub %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor mul
  trn.tensor_tensor mul %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor div
  trn.tensor_tensor div %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor pow
  trn.tensor_tensor pow %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor is_eq
  trn.tensor_tensor is_eq %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor is_ne
  trn.tensor_tensor is_ne %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor is_lt
  trn.tensor_tensor is_lt %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor is_le
  trn.tensor_tensor is_le %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor is_gt
  trn.tensor_tensor is_gt %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor and
  trn.tensor_tensor and %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor or
  trn.tensor_tensor or %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor bypass
  trn.tensor_tensor bypass %a, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>

  // CHECK: trn.tensor_scalar %{{.*}} -> %{{.*}}, mul(2.000000e+00), add(%{{.*}} : memref<128x1xf32, #trn.mem<sbuf>>) reversed {engine = #trn.engine<dve>} : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  trn.tensor_scalar %a -> %c, mul(2.0), add(%col : memref<128x1xf32, #trn.mem<sbuf>>) reversed {engine = #trn.engine<dve>} : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  // The bypassed second stage is omitted.
  // CHECK: trn.tensor_scalar %{{.*}} -> %{{.*}}, sub(1.000000e+00) reversed : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  trn.tensor_scalar %a -> %a, sub(1.0) reversed : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_scalar %{{.*}} -> %{{.*}}, max(%{{.*}} : memref<128x1xf32, #trn.mem<sbuf>>), min(6.000000e+00) : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xf32, #trn.mem<sbuf>>
  trn.tensor_scalar %p -> %a, max(%col : memref<128x1xf32, #trn.mem<sbuf>>), min(6.0) : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xf32, #trn.mem<sbuf>>

  %r = trn.alloc() : memref<128x4x512xf32, #trn.mem<sbuf>>
  %r4 = trn.alloc() : memref<128x4xf32, #trn.mem<sbuf>>
  %r41 = trn.alloc() : memref<128x4x1xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_reduce max %{{.*}} -> %{{.*}} axes [1] negate : memref<128x4x512xf32, #trn.mem<sbuf>> -> memref<128x4xf32, #trn.mem<sbuf>>
  trn.tensor_reduce max %r -> %r4 axes [1] negate : memref<128x4x512xf32, #trn.mem<sbuf>> -> memref<128x4xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_reduce add %{{.*}} -> %{{.*}} axes [1] : memref<128x4x512xf32, #trn.mem<sbuf>> -> memref<128x4x1xf32, #trn.mem<sbuf>>
  trn.tensor_reduce add %r -> %r41 axes [1] : memref<128x4x512xf32, #trn.mem<sbuf>> -> memref<128x4x1xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_reduce min %{{.*}} -> %{{.*}} axes [0, 1] : memref<128x4x512xf32, #trn.mem<sbuf>> -> memref<128x1xf32, #trn.mem<sbuf>>
  trn.tensor_reduce min %r -> %col axes [0, 1] : memref<128x4x512xf32, #trn.mem<sbuf>> -> memref<128x1xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_reduce mul
  trn.tensor_reduce mul %r -> %r4 axes [1] : memref<128x4x512xf32, #trn.mem<sbuf>> -> memref<128x4xf32, #trn.mem<sbuf>>

  %q = trn.alloc() : memref<128x512xf8E4M3FN, #trn.mem<sbuf>>
  // CHECK: trn.tensor_copy %{{.*}} -> %{{.*}} {engine = #trn.engine<act>} : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xf8E4M3FN, #trn.mem<sbuf>>
  trn.tensor_copy %p -> %q {engine = #trn.engine<act>} : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xf8E4M3FN, #trn.mem<sbuf>>
  // CHECK: trn.select %{{.*}}, %{{.*}}, %{{.*}} -> %{{.*}} : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<psum>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  trn.select %a, %p, %a -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<psum>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  %i = trn.alloc() : memref<128x4x64xi32, #trn.mem<sbuf>>
  // CHECK: trn.iota -> %{{.*}} base(-5) channel_multiplier(256) multipliers([64, 1]) {queue = "pool"} : memref<128x4x64xi32, #trn.mem<sbuf>>
  trn.iota -> %i base(-5) channel_multiplier(256) multipliers([64, 1]) {queue = "pool"} : memref<128x4x64xi32, #trn.mem<sbuf>>
  // CHECK: trn.memset -2.500000e-01 -> %{{.*}} : memref<128x512xbf16, #trn.mem<sbuf>>
  trn.memset -0.25 -> %c : memref<128x512xbf16, #trn.mem<sbuf>>
  // Tiles at legal start partitions: 64 partitions at 64, 32 at 96, 1 at 127... (1 at 0/32/64/96).
  %s64 = memref.subview %c[64, 0] [64, 512] [1, 1] : memref<128x512xbf16, #trn.mem<sbuf>> to memref<64x512xbf16, strided<[512, 1], offset: 32768>, #trn.mem<sbuf>>
  // CHECK: trn.memset 0.000000e+00 -> %{{.*}} : memref<64x512xbf16, strided<[512, 1], offset: 32768>, #trn.mem<sbuf>>
  trn.memset 0.0 -> %s64 : memref<64x512xbf16, strided<[512, 1], offset: 32768>, #trn.mem<sbuf>>
  %s32 = memref.subview %s64[32, 0] [32, 256] [1, 2] : memref<64x512xbf16, strided<[512, 1], offset: 32768>, #trn.mem<sbuf>> to memref<32x256xbf16, strided<[512, 2], offset: 49152>, #trn.mem<sbuf>>
  // CHECK: trn.memset 1.000000e+00 -> %{{.*}} : memref<32x256xbf16, strided<[512, 2], offset: 49152>, #trn.mem<sbuf>>
  trn.memset 1.0 -> %s32 : memref<32x256xbf16, strided<[512, 2], offset: 49152>, #trn.mem<sbuf>>
  return
}

}
