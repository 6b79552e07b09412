// RUN: trn-opt --trn-lower-to-trn %s | FileCheck %s

#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#mO = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#col = affine_map<(m, n) -> (m)>
module attributes {trn.target = #trn.target<"trn2">} {
  // A fused tile: K = 300 is one accumulation group of three matmuls (128,
  // 128, 44 partitions) into the PSUM accumulator; bias + relu evict it with
  // one ScalarE activation (bias as a per-partition column).
  // CHECK-LABEL: func.func @fused
  // CHECK: scf.for
  // CHECK:   %[[ACC:.*]] = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
  // CHECK-NOT: linalg.fill
  // CHECK:   trn.matmul %{{.*}}, %{{.*}} -> %[[ACC]] : memref<128x128xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  // CHECK:   trn.matmul %{{.*}}, %{{.*}} -> %[[ACC]] {accumulate} : memref<128x128xf32
  // CHECK:   trn.matmul %{{.*}}, %{{.*}} -> %[[ACC]] {accumulate} : memref<44x128xf32, #trn.mem<sbuf>>, memref<44x512xf32, #trn.mem<sbuf>>
  // CHECK:   trn.dma_copy %{{.*}} -> %[[B:.*]] : memref<128xf32, strided<[1], offset: ?>, #trn.mem<hbm>> -> memref<128x1xf32, #trn.mem<sbuf>>
  // CHECK:   trn.activation relu %[[ACC]] -> %[[O:.*]] scale(1.000000e+00) bias(%[[B]] : memref<128x1xf32, #trn.mem<sbuf>>)
  // CHECK:   trn.dma_copy %[[O]] -> %{{.*}} : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[600, 1], offset: ?>, #trn.mem<hbm>>
  // CHECK-NOT: linalg.
  func.func @fused(%l: memref<300x200xf32, #trn.mem<hbm>>, %r: memref<300x600xf32, #trn.mem<hbm>>, %b: memref<200xf32, #trn.mem<hbm>>, %y: memref<200x600xf32, #trn.mem<hbm>>) {
    %c0 = arith.constant 0 : index
    %c128 = arith.constant 128 : index
    %z = arith.constant 0.0 : f32
    scf.for %i = %c0 to %c128 step %c128 {
      %ls = memref.subview %l[0, %i] [300, 128] [1, 1] : memref<300x200xf32, #trn.mem<hbm>> to memref<300x128xf32, strided<[200, 1], offset: ?>, #trn.mem<hbm>>
      %rs = memref.subview %r[0, 0] [300, 512] [1, 1] : memref<300x600xf32, #trn.mem<hbm>> to memref<300x512xf32, strided<[600, 1]>, #trn.mem<hbm>>
      %acc = trn.alloc() : memref<128x512xf32, #trn.mem<psum>>
      %v = memref.reinterpret_cast %acc to offset: [0], sizes: [128, 512], strides: [512, 1] : memref<128x512xf32, #trn.mem<psum>> to memref<128x512xf32, strided<[512, 1]>, #trn.mem<psum>>
      linalg.fill ins(%z : f32) outs(%v : memref<128x512xf32, strided<[512, 1]>, #trn.mem<psum>>)
      linalg.matmul indexing_maps = [#mL, #mR, #mO] ins(%ls, %rs : memref<300x128xf32, strided<[200, 1], offset: ?>, #trn.mem<hbm>>, memref<300x512xf32, strided<[600, 1]>, #trn.mem<hbm>>) outs(%v : memref<128x512xf32, strided<[512, 1]>, #trn.mem<psum>>)
      %bs = memref.subview %b[%i] [128] [1] : memref<200xf32, #trn.mem<hbm>> to memref<128xf32, strided<[1], offset: ?>, #trn.mem<hbm>>
      %ys = memref.subview %y[%i, 0] [128, 512] [1, 1] : memref<200x600xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[600, 1], offset: ?>, #trn.mem<hbm>>
      linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%v, %bs : memref<128x512xf32, strided<[512, 1]>, #trn.mem<psum>>, memref<128xf32, strided<[1], offset: ?>, #trn.mem<hbm>>) outs(%ys : memref<128x512xf32, strided<[600, 1], offset: ?>, #trn.mem<hbm>>) {
      ^bb0(%a: f32, %c: f32, %o: f32):
        %s = arith.addf %a, %c : f32
        %m = arith.maximumf %s, %z : f32
        linalg.yield %m : f32
      }
    }
    return
  }

  // Standalone bf16 matmul (f32 accumulation): the zero fill is absorbed and
  // ScalarE evicts PSUM into a bf16 SBUF tile.
  // CHECK-LABEL: func.func @bf16
  // CHECK-NOT: trn.memset
  // CHECK: %[[P:.*]] = trn.alloc() : memref<8x16xf32, #trn.mem<psum>>
  // CHECK: trn.matmul %{{.*}}, %{{.*}} -> %[[P]] : memref<4x8xbf16, #trn.mem<sbuf>>, memref<4x16xbf16, #trn.mem<sbuf>> -> memref<8x16xf32, #trn.mem<psum>>
  // CHECK: %[[O:.*]] = trn.alloc() : memref<8x16xbf16, #trn.mem<sbuf>>
  // CHECK: trn.activation identity %[[P]] -> %[[O]] scale(1.000000e+00) bias(0.000000e+00) : memref<8x16xf32, #trn.mem<psum>> -> memref<8x16xbf16, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[O]] -> %arg2
  func.func @bf16(%l: memref<4x8xbf16, #trn.mem<hbm>>, %r: memref<4x16xbf16, #trn.mem<hbm>>, %y: memref<8x16xbf16, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : bf16
    linalg.fill ins(%z : bf16) outs(%y : memref<8x16xbf16, #trn.mem<hbm>>)
    linalg.matmul indexing_maps = [#mL, #mR, #mO] ins(%l, %r : memref<4x8xbf16, #trn.mem<hbm>>, memref<4x16xbf16, #trn.mem<hbm>>) outs(%y : memref<8x16xbf16, #trn.mem<hbm>>)
    return
  }

  // C += L^T R on an HBM accumulator without fill: C is loaded and added on
  // eviction; mixed bf16/f32 operands are widened to f32 on chip.
  // CHECK-LABEL: func.func @accumulate_mixed
  // CHECK: trn.dma_copy %{{.*}} -> %[[LB:.*]] : {{.*}} -> memref<4x8xbf16, #trn.mem<sbuf>>
  // CHECK: trn.tensor_copy %[[LB]] -> %[[LF:.*]] : memref<4x8xbf16, #trn.mem<sbuf>> -> memref<4x8xf32, #trn.mem<sbuf>>
  // CHECK: trn.matmul %[[LF]], %{{.*}} -> %[[P:.*]] : memref<4x8xf32
  // CHECK: trn.dma_copy %arg2 -> %[[C:.*]] : memref<8x16xf32, #trn.mem<hbm>> -> memref<8x16xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor add %[[P]], %[[C]] -> %[[O:.*]] :
  // CHECK: trn.dma_copy %[[O]] -> %arg2
  func.func @accumulate_mixed(%l: memref<4x8xbf16, #trn.mem<hbm>>, %r: memref<4x16xf32, #trn.mem<hbm>>, %y: memref<8x16xf32, #trn.mem<hbm>>) {
    linalg.matmul indexing_maps = [#mL, #mR, #mO] ins(%l, %r : memref<4x8xbf16, #trn.mem<hbm>>, memref<4x16xf32, #trn.mem<hbm>>) outs(%y : memref<8x16xf32, #trn.mem<hbm>>)
    return
  }

  // Batch matmul: one accumulation group per batch index, batch selected by
  // the access pattern.
  // CHECK-LABEL: func.func @batch
  // CHECK-COUNT-2: trn.matmul %{{.*}}, %{{.*}} -> %{{.*}} : memref<5x3xf32, #trn.mem<sbuf>>, memref<5x7xf32, #trn.mem<sbuf>> -> memref<3x7xf32, #trn.mem<psum>>
  // CHECK-NOT: trn.matmul
  func.func @batch(%l: memref<2x5x3xf32, #trn.mem<hbm>>, %r: memref<2x5x7xf32, #trn.mem<hbm>>, %y: memref<2x3x7xf32, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : f32
    linalg.fill ins(%z : f32) outs(%y : memref<2x3x7xf32, #trn.mem<hbm>>)
    linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, k, m)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%l, %r : memref<2x5x3xf32, #trn.mem<hbm>>, memref<2x5x7xf32, #trn.mem<hbm>>) outs(%y : memref<2x3x7xf32, #trn.mem<hbm>>)
    return
  }
}
