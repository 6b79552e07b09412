// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn --trn-unroll %s | FileCheck %s

// Stages 3 -> 6 on data movement: pad = memset + DMA of the interior, a
// collapse is a plain DMA of the contiguous source, concat is two DMAs into
// subviews, a strided slice is one DMA of a strided view.
module attributes {trn.target = #trn.target<"trn2">} {
  // CHECK-LABEL: func.func @moves(
  // CHECK-SAME: %[[X:arg[0-9]+]]: memref<4x6xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "input0"}
  // CHECK-SAME: %[[P:arg[0-9]+]]: memref<6x8xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "output0"}
  // CHECK-SAME: %[[C:arg[0-9]+]]: memref<24xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "output1"}
  // CHECK-SAME: %[[CAT:arg[0-9]+]]: memref<6x6xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "output2"}
  // CHECK-SAME: %[[S:arg[0-9]+]]: memref<2x3xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "output3"})
  // CHECK: trn.memset 0.000000e+00 -> %[[Z:.*]] : memref<6x8xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[Z]] -> %[[P]]
  // CHECK: %[[IN:.*]] = memref.subview %[[P]][1, 1] [4, 6] [1, 1]
  // CHECK: trn.dma_copy %[[X]] -> %[[IN]]
  // CHECK: trn.dma_copy %[[X]] -> %{{.*}} : memref<4x6xf32, #trn.mem<hbm>> -> memref<4x6xf32, strided<[6, 1]>, #trn.mem<hbm>>
  // CHECK: trn.dma_copy %{{.*}} -> %{{.*}} : memref<2x6xf32, #trn.mem<hbm>> -> memref<2x6xf32, strided<[6, 1], offset: 24>, #trn.mem<hbm>>
  // CHECK: %[[SL:.*]] = memref.subview %[[X]][1, 2] [2, 3] [2, 1]
  // CHECK: trn.dma_copy %[[SL]] -> %[[S]] : memref<2x3xf32, strided<[12, 1], offset: 8>, #trn.mem<hbm>> -> memref<2x3xf32, #trn.mem<hbm>>
  // CHECK: trn.dma_copy %[[X]] -> %[[C]] : memref<4x6xf32, #trn.mem<hbm>> -> memref<24xf32, #trn.mem<hbm>>
  // CHECK-NEXT: return
  func.func @moves(%x: tensor<4x6xf32>, %y: tensor<2x6xf32>) -> (tensor<6x8xf32>, tensor<24xf32>, tensor<6x6xf32>, tensor<2x3xf32>) {
    %z = arith.constant 0.0 : f32
    %p = tensor.pad %x low[1, 1] high[1, 1] {
    ^bb0(%i: index, %j: index):
      tensor.yield %z : f32
    } : tensor<4x6xf32> to tensor<6x8xf32>
    %c = tensor.collapse_shape %x [[0, 1]] : tensor<4x6xf32> into tensor<24xf32>
    %cat = tensor.concat dim(0) %x, %y : (tensor<4x6xf32>, tensor<2x6xf32>) -> tensor<6x6xf32>
    %s = tensor.extract_slice %x[1, 2] [2, 3] [2, 1] : tensor<4x6xf32> to tensor<2x3xf32>
    return %p, %c, %cat, %s : tensor<6x8xf32>, tensor<24xf32>, tensor<6x6xf32>, tensor<2x3xf32>
  }

  // Matmul + bias + relu at stage 6: two static tiles (M = 200 -> 128 + 72),
  // each with its own PSUM accumulator and SBUF tiles.
  // CHECK-LABEL: func.func @mlp
  // CHECK-NOT: scf.for
  // CHECK: %[[A0:.*]] = trn.alloc() : memref<128x64xf32, #trn.mem<psum>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %[[A0]] : memref<32x128xf32, #trn.mem<sbuf>>, memref<32x64xf32, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<psum>>
  // CHECK: trn.activation relu %[[A0]] -> %[[O0:.*]] scale(1.000000e+00) bias(%{{.*}} : memref<128x1xf32, #trn.mem<sbuf>>)
  // CHECK: trn.dma_copy %[[O0]] -> %{{.*}} : memref<128x64xf32, #trn.mem<sbuf>> -> memref<128x64xf32, strided<[64, 1]>, #trn.mem<hbm>>
  // CHECK: %[[A1:.*]] = trn.alloc() : memref<72x64xf32, #trn.mem<psum>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %[[A1]] : memref<32x72xf32, #trn.mem<sbuf>>, memref<32x64xf32, #trn.mem<sbuf>> -> memref<72x64xf32, #trn.mem<psum>>
  // CHECK: trn.activation relu %[[A1]]
  // CHECK: trn.dma_copy %{{.*}} -> %{{.*}} : memref<72x64xf32, #trn.mem<sbuf>> -> memref<72x64xf32, strided<[64, 1], offset: 8192>, #trn.mem<hbm>>
  func.func @mlp(%l: tensor<32x200xf32>, %r: tensor<32x64xf32>, %b: tensor<200xf32>) -> tensor<200x64xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<200x64xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<200x64xf32>) -> tensor<200x64xf32>
    %mm = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<32x200xf32>, tensor<32x64xf32>) outs(%f : tensor<200x64xf32>) -> tensor<200x64xf32>
    %e2 = tensor.empty() : tensor<200x64xf32>
    %g = linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m)>, affine_map<(m, n) -> (m, n)>], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<200x64xf32>, tensor<200xf32>) outs(%e2 : tensor<200x64xf32>) {
    ^bb0(%a: f32, %c: f32, %o: f32):
      %s = arith.addf %a, %c : f32
      %m = arith.maximumf %s, %z : f32
      linalg.yield %m : f32
    } -> tensor<200x64xf32>
    return %g : tensor<200x64xf32>
  }
}
