// RUN: trn-opt --trn-lower-to-trn %s | FileCheck %s

module attributes {trn.target = #trn.target<"trn2">} {
  // Kept dim 1 on partitions: one DMA walks [100, 4, 64] with permuted
  // strides into SBUF [100, 256]; the zero fill is absorbed.
  // CHECK-LABEL: func.func @reduce_kept
  // CHECK-NOT: trn.memset
  // CHECK: %[[V:.*]] = memref.reinterpret_cast %arg0 to offset: [0], sizes: [100, 4, 64], strides: [64, 6400, 1]
  // CHECK: trn.dma_copy %[[V]] -> %[[T:.*]] : memref<100x4x64xf32, strided<[64, 6400, 1]>, #trn.mem<hbm>> -> memref<100x256xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_reduce add %[[T]] -> %[[R:.*]] axes [0] : memref<100x256xf32, #trn.mem<sbuf>> -> memref<100x1xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[R]] -> %arg1 : memref<100x1xf32, #trn.mem<sbuf>> -> memref<100xf32, #trn.mem<hbm>>
  func.func @reduce_kept(%x: memref<4x100x64xf32, #trn.mem<hbm>>, %y: memref<100xf32, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : f32
    linalg.fill ins(%z : f32) outs(%y : memref<100xf32, #trn.mem<hbm>>)
    linalg.reduce ins(%x : memref<4x100x64xf32, #trn.mem<hbm>>) outs(%y : memref<100xf32, #trn.mem<hbm>>) dimensions = [0, 2]
      (%a: f32, %acc: f32) {
        %s = arith.addf %a, %acc : f32
        linalg.yield %s : f32
      }
    return
  }
  // Full max-reduction of 300 rows: three row chunks combined on VectorE,
  // then a PE transpose of the [128, 1] column and a free-dim reduce.
  // CHECK-LABEL: func.func @reduce_full
  // CHECK: %[[ACC:.*]] = trn.alloc() : memref<128x1xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_reduce max %{{.*}} -> %[[ACC]] axes [0]
  // CHECK: trn.tensor_tensor max %[[ACC]], %{{.*}} -> %[[ACC]]
  // CHECK: %[[SUB:.*]] = memref.subview %[[ACC]][0, 0] [44, 1] [1, 1]
  // CHECK: trn.tensor_tensor max %[[SUB]], %{{.*}} -> %[[SUB]]
  // CHECK: trn.transpose %[[ACC]] -> %[[ROW:.*]] : memref<128x1xf32, #trn.mem<sbuf>> -> memref<1x128xf32, #trn.mem<psum>>
  // CHECK: trn.tensor_reduce max %[[ROW]] -> %[[OUT:.*]] axes [0] : memref<1x128xf32, #trn.mem<psum>> -> memref<1x1xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[OUT]] -> %{{.*}} : memref<1x1xf32, #trn.mem<sbuf>> -> memref<1xf32, strided<[1]>, #trn.mem<hbm>>
  func.func @reduce_full(%x: memref<300x7xf32, #trn.mem<hbm>>, %y: memref<f32, #trn.mem<hbm>>) {
    %z = arith.constant 0xFF800000 : f32
    linalg.fill ins(%z : f32) outs(%y : memref<f32, #trn.mem<hbm>>)
    linalg.reduce ins(%x : memref<300x7xf32, #trn.mem<hbm>>) outs(%y : memref<f32, #trn.mem<hbm>>) dimensions = [0, 1]
      (%a: f32, %acc: f32) {
        %s = arith.maximumf %a, %acc : f32
        linalg.yield %s : f32
      }
    return
  }
  // A transpose that changes the innermost dim ([3,5,7] -> [7,3,5]) is a
  // batched PE transpose over (dim 1, dim 2), one [5, 7] block per index of
  // dim 0, so both DMAs walk contiguous runs; a broadcast is one HBM->HBM DMA
  // with a stride-0 source walk; the bf16 fill memsets one 128-row tile and
  // DMAs it thrice.
  // CHECK-LABEL: func.func @moves
  // CHECK: %[[S0:.*]] = memref.subview %arg0[0, 0, 0] [1, 5, 7] [1, 1, 1]
  // CHECK: %[[D0:.*]] = memref.subview %arg2[0, 0, 0] [7, 1, 5] [1, 1, 1]
  // CHECK: trn.dma_copy %[[S0]] -> %[[B0:.*]] : memref<1x5x7xf32, strided<[35, 7, 1]>, #trn.mem<hbm>> -> memref<5x7xf32, #trn.mem<sbuf>>
  // CHECK: trn.transpose %[[B0]] -> %[[P0:.*]] : memref<5x7xf32, #trn.mem<sbuf>> -> memref<7x5xf32, #trn.mem<psum>>
  // CHECK: trn.tensor_copy %[[P0]] -> %[[O0:.*]] :
  // CHECK: trn.dma_copy %[[O0]] -> %[[D0]] : memref<7x5xf32, #trn.mem<sbuf>> -> memref<7x1x5xf32, strided<[15, 5, 1]>, #trn.mem<hbm>>
  // CHECK: memref.subview %arg0[2, 0, 0] [1, 5, 7] [1, 1, 1]
  // CHECK: memref.subview %arg2[0, 2, 0] [7, 1, 5] [1, 1, 1]
  // CHECK: trn.transpose
  // CHECK-NOT: trn.transpose
  // CHECK: %[[B:.*]] = memref.reinterpret_cast %arg1 to offset: [0], sizes: [3, 7], strides: [0, 1]
  // CHECK: trn.dma_copy %[[B]] -> %arg3
  // CHECK: trn.memset 1.000000e+00 -> %[[F:.*]] : memref<128x9xbf16, #trn.mem<sbuf>>
  // CHECK-COUNT-2: trn.dma_copy %[[F]] -> %{{.*}} : memref<128x9xbf16, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %{{.*}} -> %{{.*}} : memref<44x9xbf16, strided<[9, 1]>, #trn.mem<sbuf>> -> memref<44x9xbf16, strided<[9, 1], offset: 2304>, #trn.mem<hbm>>
  func.func @moves(%x: memref<3x5x7xf32, #trn.mem<hbm>>, %v: memref<7xf32, #trn.mem<hbm>>, %t: memref<7x3x5xf32, #trn.mem<hbm>>, %b: memref<3x7xf32, #trn.mem<hbm>>, %f: memref<300x9xbf16, #trn.mem<hbm>>) {
    linalg.transpose ins(%x : memref<3x5x7xf32, #trn.mem<hbm>>) outs(%t : memref<7x3x5xf32, #trn.mem<hbm>>) permutation = [2, 0, 1]
    linalg.broadcast ins(%v : memref<7xf32, #trn.mem<hbm>>) outs(%b : memref<3x7xf32, #trn.mem<hbm>>) dimensions = [0]
    %one = arith.constant 1.0 : bf16
    linalg.fill ins(%one : bf16) outs(%f : memref<300x9xbf16, #trn.mem<hbm>>)
    return
  }

  // 2-D transpose of 200x300: 128x128 blocks (2 x 3 with edges) DMAed in,
  // transposed on the PE into PSUM, copied out and DMAed to the transposed
  // position.
  // CHECK-LABEL: func.func @transpose2d
  // CHECK: trn.dma_copy %{{.*}} -> %[[IN:.*]] : memref<128x128xf32, strided<[300, 1]>, #trn.mem<hbm>> -> memref<128x128xf32, #trn.mem<sbuf>>
  // CHECK: trn.transpose %[[IN]] -> %[[PS:.*]] : memref<128x128xf32, #trn.mem<sbuf>> -> memref<128x128xf32, #trn.mem<psum>>
  // CHECK: trn.tensor_copy %[[PS]] -> %[[OUT:.*]] : memref<128x128xf32, #trn.mem<psum>> -> memref<128x128xf32, #trn.mem<sbuf>>
  // CHECK: trn.dma_copy %[[OUT]] -> %{{.*}} : memref<128x128xf32, #trn.mem<sbuf>> -> memref<128x128xf32, strided<[200, 1]>, #trn.mem<hbm>>
  // CHECK-COUNT-5: trn.transpose
  // CHECK-NOT: trn.transpose
  func.func @transpose2d(%x: memref<200x300xf32, #trn.mem<hbm>>, %y: memref<300x200xf32, #trn.mem<hbm>>) {
    linalg.transpose ins(%x : memref<200x300xf32, #trn.mem<hbm>>) outs(%y : memref<300x200xf32, #trn.mem<hbm>>) permutation = [1, 0]
    return
  }

  // An element-wise input read through a transposing map is transposed on the
  // PE in 128-column blocks into one SBUF tile.
  // CHECK-LABEL: func.func @transposed_input
  // CHECK: %[[O:.*]] = trn.alloc() : memref<64x200xbf16, #trn.mem<sbuf>>
  // CHECK: %[[T:.*]] = trn.alloc() : memref<64x200xbf16, #trn.mem<sbuf>>
  // CHECK: trn.transpose %{{.*}} -> %[[P0:.*]] : memref<128x64xbf16, #trn.mem<sbuf>> -> memref<64x128xf32, #trn.mem<psum>>
  // CHECK: %[[S0:.*]] = memref.subview %[[T]][0, 0] [64, 128] [1, 1]
  // CHECK: trn.tensor_copy %[[P0]] -> %[[S0]]
  // CHECK: trn.transpose %{{.*}} -> %[[P1:.*]] : memref<72x64xbf16, #trn.mem<sbuf>> -> memref<64x72xf32, #trn.mem<psum>>
  // CHECK: %[[S1:.*]] = memref.subview %[[T]][0, 128] [64, 72] [1, 1]
  // CHECK: trn.tensor_copy %[[P1]] -> %[[S1]]
  // CHECK: trn.activation exp %[[T]] -> %[[O]]
  func.func @transposed_input(%x: memref<200x64xbf16, #trn.mem<hbm>>, %y: memref<64x200xbf16, #trn.mem<hbm>>) {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<200x64xbf16, #trn.mem<hbm>>) outs(%y : memref<64x200xbf16, #trn.mem<hbm>>) {
    ^bb0(%a: bf16, %o: bf16):
      %e = math.exp %a : bf16
      linalg.yield %e : bf16
    }
    return
  }

  // A row of 20000 elements exceeds the per-step budget (8192 f32): it is
  // reduced in chunks (8192, 8192, 3616) combined on VectorE.
  // CHECK-LABEL: func.func @long_rows
  // CHECK: %[[OUT:.*]] = trn.alloc() : memref<3x1xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_reduce add %{{.*}} -> %[[OUT]] axes [0] : memref<3x8192xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_reduce add %{{.*}} -> %[[P1:.*]] axes [0] : memref<3x8192xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor add %[[OUT]], %[[P1]] -> %[[OUT]]
  // CHECK: trn.tensor_reduce add %{{.*}} -> %[[P2:.*]] axes [0] : memref<3x3616xf32, #trn.mem<sbuf>>
  // CHECK: trn.tensor_tensor add %[[OUT]], %[[P2]] -> %[[OUT]]
  // CHECK: trn.dma_copy %[[OUT]] -> %arg1
  func.func @long_rows(%x: memref<3x20000xf32, #trn.mem<hbm>>, %y: memref<3xf32, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : f32
    linalg.fill ins(%z : f32) outs(%y : memref<3xf32, #trn.mem<hbm>>)
    linalg.reduce ins(%x : memref<3x20000xf32, #trn.mem<hbm>>) outs(%y : memref<3xf32, #trn.mem<hbm>>) dimensions = [1]
      (%a: f32, %acc: f32) {
        %s = arith.addf %a, %acc : f32
        linalg.yield %s : f32
      }
    return
  }
}
