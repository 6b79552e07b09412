// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn --trn-unroll --split-input-file %s | FileCheck %s
// A blocked quantized GEMM (MatmulBlocking.h) on trn2, block-mn 2 x 1:
// C[256, 512] = s * (L[512, 256]^T R[512, 512]) with FP8 operands (E4M3 x
// E5M2 may mix) and a rank-0 device scale s. K = 512 is two double-row K
// tiles of 256: every operand tile is [128, 2, F] loaded by ONE DMA (HBM
// rows k = r * 128 + p, runs of F bytes), the matmuls run in mode
// fp8_double_row, and the rescale is fused into the PSUM eviction (ScalarE
// activation with the [128, 1] scale column, then VectorE tensor_scalar
// alternately) that writes bf16; the epilogue generic is absorbed.

// CHECK-LABEL: func.func @dynamic
// CHECK-NOT: linalg.
// CHECK: %[[L0:.*]] = trn.alloc() : memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>
// CHECK: memref.reinterpret_cast %arg0 to offset: [0], sizes: [128, 2, 128], strides: [256, 32768, 1]
// CHECK-NEXT: trn.dma_copy %{{.*}} -> %[[L0]] {trnc.no_reuse}
// CHECK: %[[L1:.*]] = trn.alloc() : memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>
// CHECK: memref.reinterpret_cast %arg0 to offset: [65536], sizes: [128, 2, 128], strides: [256, 32768, 1]
// R tiles are 128 KiB: split by 32-partition ranges over several queues.
// CHECK: %[[R0:.*]] = trn.alloc() : memref<128x2x512xf8E5M2, #trn.mem<sbuf>>
// CHECK: memref.reinterpret_cast %arg1 to offset: [0], sizes: [32, 2, 512], strides: [512, 65536, 1]
// CHECK-NEXT: %[[RP:.*]] = memref.subview %[[R0]][0, 0, 0] [32, 2, 512] [1, 1, 1]
// CHECK-NEXT: trn.dma_copy %{{.*}} -> %[[RP]] {trnc.no_reuse}
// CHECK-COUNT-3: memref.reinterpret_cast %arg1 to offset: [{{16384|32768|49152}}], sizes: [32, 2, 512]
// CHECK: %[[R1:.*]] = trn.alloc() : memref<128x2x512xf8E5M2, #trn.mem<sbuf>>
// CHECK: %[[P:.*]] = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
// CHECK-NEXT: trn.matmul %[[L0]], %[[R0]] -> %[[P]] mode fp8_double_row :
// CHECK-NEXT: trn.matmul %[[L1]], %[[R1]] -> %[[P]] mode fp8_double_row {accumulate} :
// CHECK: %[[O:.*]] = trn.alloc() : memref<128x512xbf16, #trn.mem<sbuf>>
// CHECK: %[[S:.*]] = trn.alloc() : memref<128x1xf32, #trn.mem<sbuf>>
// CHECK: memref.reinterpret_cast %arg2 to offset: [0], sizes: [128], strides: [0]
// CHECK: trn.activation identity %[[P]] -> %[[O]] scale(%[[S]] : memref<128x1xf32, #trn.mem<sbuf>>) bias(0.000000e+00)
// CHECK: trn.dma_copy %[[O]] -> %{{.*}} : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, strided<[512, 1]>, #trn.mem<hbm>>
// CHECK: %[[P2:.*]] = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
// CHECK-COUNT-2: trn.matmul {{.*}} -> %[[P2]] mode fp8_double_row
// CHECK: %[[O2:.*]] = trn.alloc() : memref<128x512xbf16, #trn.mem<sbuf>>
// CHECK-NEXT: trn.tensor_scalar %[[P2]] -> %[[O2]], mul(%[[S]] : memref<128x1xf32, #trn.mem<sbuf>>)
// CHECK: trn.dma_copy %[[O2]] -> %{{.*}}offset: 65536
// CHECK-NEXT: return
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "block-mn:2x1x1"} {
  func.func @dynamic(%l: tensor<512x256xf8E4M3FN>, %r: tensor<512x512xf8E5M2>, %s: tensor<f32>) -> tensor<256x512xbf16> {
    %e = tensor.empty() : tensor<256x512xbf16>
    %z = arith.constant 0.0 : bf16
    %f = linalg.fill ins(%z : bf16) outs(%e : tensor<256x512xbf16>) -> tensor<256x512xbf16>
    %q = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<512x256xf8E4M3FN>, tensor<512x512xf8E5M2>) outs(%f : tensor<256x512xbf16>) -> tensor<256x512xbf16>
    %o = tensor.empty() : tensor<256x512xbf16>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%q, %s : tensor<256x512xbf16>, tensor<f32>) outs(%o : tensor<256x512xbf16>) {
    ^bb0(%c: bf16, %a: f32, %out: bf16):
      %c32 = arith.extf %c : bf16 to f32
      %t = arith.mulf %c32, %a : f32
      %v = arith.truncf %t : f32 to bf16
      linalg.yield %v : bf16
    } -> tensor<256x512xbf16>
    return %y : tensor<256x512xbf16>
  }
}

// -----

// An activation operand quantized on the device (calibrated: constant scale
// 4.0) is quantized on chip where the GEMM stages it: R is loaded in bf16
// ([128, 2, 512], split over queues) and one ScalarE activation writes the
// FP8 tile the matmul reads; the FP8 copy of R is never materialised.
// CHECK-LABEL: func.func @fused_quant
// CHECK-NOT: linalg.
// CHECK: %[[X:.*]] = trn.alloc() : memref<128x2x512xbf16, #trn.mem<sbuf>>
// CHECK: memref.reinterpret_cast %arg1 to offset: [0], sizes: [32, 2, 512], strides: [512, 65536, 1] : memref<512x512xbf16, #trn.mem<hbm>>
// CHECK: %[[Q:.*]] = trn.alloc() : memref<128x2x512xf8E4M3FN, #trn.mem<sbuf>>
// CHECK-NEXT: trn.activation identity %[[X]] -> %[[Q]] scale(4.000000e+00) bias(0.000000e+00)
// CHECK: trn.matmul %{{.*}}, %[[Q]] -> %{{.*}} mode fp8_double_row :
// CHECK-NOT: memref.alloc
// CHECK: return
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "block-mn:2x1x1"} {
  func.func @fused_quant(%l: tensor<512x256xf8E4M3FN>, %x: tensor<512x512xbf16>) -> tensor<256x512xf32> {
    %qe = tensor.empty() : tensor<512x512xf8E4M3FN>
    %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<512x512xbf16>) outs(%qe : tensor<512x512xf8E4M3FN>) {
    ^bb0(%a: bf16, %o: f8E4M3FN):
      %a32 = arith.extf %a : bf16 to f32
      %s = arith.constant 4.0 : f32
      %m = arith.mulf %a32, %s : f32
      %t = arith.truncf %m : f32 to f8E4M3FN
      linalg.yield %t : f8E4M3FN
    } -> tensor<512x512xf8E4M3FN>
    %e = tensor.empty() : tensor<256x512xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x512xf32>) -> tensor<256x512xf32>
    %q = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<512x256xf8E4M3FN>, tensor<512x512xf8E4M3FN>) outs(%f : tensor<256x512xf32>) -> tensor<256x512xf32>
    return %q : tensor<256x512xf32>
  }
}
