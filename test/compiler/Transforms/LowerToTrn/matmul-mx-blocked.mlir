// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn %s | FileCheck %s
// Blocked OCP MX GEMM (block-mn 2x1, C[256, 512] = L[1024, 256]^T R[1024, 512],
// 2 K tiles of 512): per K tile a [128, 4, F] code panel (one DMA per 32
// partitions, HBM rows k = 512 kt + 128 r + p) and a [4, 4, F] E8M0 scale
// tile (HBM block 16 kt + 4 r + p, the ISA layout of stageMx) at its own
// 32-partition quadrant of one shared allocation; matmuls `mode mx` on
// column slices of the stationary panel and its scale tile.

// CHECK-LABEL: func.func @mx
// CHECK: %[[LC:.*]] = trn.alloc() : memref<128x4x256xf8E4M3FN, #trn.mem<sbuf>>
// CHECK: %[[LS:.*]] = trn.alloc() : memref<36x4x256xf8E8M0FNU, #trn.mem<sbuf>>
// CHECK: %[[LS0:.*]] = memref.subview %[[LS]][0, 0, 0] [4, 4, 256]
// CHECK: memref.reinterpret_cast %arg2 to offset: [0], sizes: [4, 4, 256], strides: [256, 1024, 1]
// CHECK: trn.dma_copy
// CHECK: %[[LS1:.*]] = memref.subview %[[LS]][32, 0, 0] [4, 4, 256]
// CHECK: memref.reinterpret_cast %arg2 to offset: [4096], sizes: [4, 4, 256], strides: [256, 1024, 1]
// CHECK: memref.reinterpret_cast %arg0 to offset: [0], sizes: [32, 4, 256], strides: [256, 32768, 1]
// CHECK: trn.dma_copy
// CHECK: memref.reinterpret_cast %arg1 to offset: [0], sizes: [32, 4, 512], strides: [512, 65536, 1]
// CHECK-COUNT-2: trn.matmul {{.*}} scales({{.*}}) -> %[[P0:.*]] mode  mx
// CHECK: trn.tensor_copy %[[P0]]
// CHECK: trn.dma_copy
// CHECK: memref.subview %[[LC]][0, 0, 128] [128, 4, 128]
// CHECK: trn.matmul {{.*}} scales({{.*}}) -> %[[P1:.*]] mode  mx :
// CHECK: trn.matmul {{.*}} scales({{.*}}) -> %[[P1]] mode  mx {accumulate}
// CHECK-NOT: trn.matmul
// CHECK: return
module attributes {trn.target = #trn.target<"trn3">, trnc.matmul_tiling = "block-mn:2x1x1"} {
func.func @mx(%l: tensor<1024x256xf8E4M3FN>, %r: tensor<1024x512xf8E4M3FN>, %ls: tensor<32x256xf8E8M0FNU>, %rs: tensor<32x512xf8E8M0FNU>) -> tensor<256x512xf32> {
  %e = tensor.empty() : tensor<256x512xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x512xf32>) -> tensor<256x512xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (k floordiv 32, m)>, affine_map<(m, n, k) -> (k floordiv 32, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%l, %r, %ls, %rs : tensor<1024x256xf8E4M3FN>, tensor<1024x512xf8E4M3FN>, tensor<32x256xf8E8M0FNU>, tensor<32x512xf8E8M0FNU>) outs(%f : tensor<256x512xf32>) attrs = {trnc.mx_contraction} {
  ^bb0(%a: f8E4M3FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
    %x = arith.scaling_extf %a, %sa : f8E4M3FN, f8E8M0FNU to f32
    %y = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x512xf32>
  return %m : tensor<256x512xf32>
}
}
