// RUN: trn-opt --trn-fuse-rows --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn %s | FileCheck %s

// A trn-fuse-rows row tile of a softmax whose division is stored transposed
// lowers to one load, the row statistics as [P, 1] columns (max, exp with the
// negated max as per-partition bias, sum), the division by the column, a PE
// transpose through PSUM and one row-contiguous store: no HBM intermediates.
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#tr = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
#trrow = affine_map<(d0, d1, d2) -> (d0, d2)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @softmax_transposed(%x: tensor<2x128x64xf32>) -> tensor<2x64x128xf32> {
    %ninf = arith.constant 0xFF800000 : f32
    %zero = arith.constant 0.0 : f32
    %e0 = tensor.empty() : tensor<2x128xf32>
    %f0 = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2x128xf32>) -> tensor<2x128xf32>
    %m = linalg.reduce ins(%x : tensor<2x128x64xf32>) outs(%f0 : tensor<2x128xf32>) dimensions = [2]
      (%in: f32, %acc: f32) {
        %r = arith.maximumf %in, %acc : f32
        linalg.yield %r : f32
      }
    %e1 = tensor.empty() : tensor<2x128x64xf32>
    %ex = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m : tensor<2x128x64xf32>, tensor<2x128xf32>) outs(%e1 : tensor<2x128x64xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %d = arith.subf %a, %b : f32
      %e = math.exp %d : f32
      linalg.yield %e : f32
    } -> tensor<2x128x64xf32>
    %e2 = tensor.empty() : tensor<2x128xf32>
    %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x128xf32>) -> tensor<2x128xf32>
    %s = linalg.reduce ins(%ex : tensor<2x128x64xf32>) outs(%f2 : tensor<2x128xf32>) dimensions = [2]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    %e3 = tensor.empty() : tensor<2x64x128xf32>
    %y = linalg.generic {indexing_maps = [#tr, #trrow, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %s : tensor<2x128x64xf32>, tensor<2x128xf32>) outs(%e3 : tensor<2x64x128xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %q = arith.divf %a, %b : f32
      linalg.yield %q : f32
    } -> tensor<2x64x128xf32>
    return %y : tensor<2x64x128xf32>
  }
}

// CHECK-LABEL: func.func @softmax_transposed
// CHECK:       scf.for
// CHECK:         scf.for
// CHECK:           trn.dma_copy %{{.+}} -> %[[X:[0-9]+]] : memref<128x64xf32, strided<[64, 1], offset: ?>, #trn.mem<hbm>> -> memref<128x64xf32, #trn.mem<sbuf>>
// CHECK:           trn.tensor_reduce max %[[X]] -> %[[M:[0-9]+]] axes [0] : memref<128x64xf32, #trn.mem<sbuf>> -> memref<128x1xf32, #trn.mem<sbuf>>
// CHECK:           trn.tensor_scalar %[[M]] -> %[[NM:[0-9]+]], mul(-1.000000e+00)
// CHECK:           trn.activation exp %[[X]] -> %[[E:[0-9]+]] scale(1.000000e+00) bias(%[[NM]] : memref<128x1xf32, #trn.mem<sbuf>>)
// CHECK:           trn.tensor_reduce add %[[E]] -> %[[S:[0-9]+]] axes [0]
// CHECK:           trn.tensor_scalar %[[E]] -> %[[Y:[0-9]+]], div(%[[S]] : memref<128x1xf32, #trn.mem<sbuf>>)
// CHECK:           trn.transpose %[[Y]] -> %[[T:[0-9]+]] : memref<128x64xf32, #trn.mem<sbuf>> -> memref<64x128xf32, #trn.mem<psum>>
// CHECK:           trn.tensor_copy %[[T]] -> %[[TS:[0-9]+]] : memref<64x128xf32, #trn.mem<psum>> -> memref<64x128xf32, #trn.mem<sbuf>>
// CHECK:           trn.dma_copy %[[TS]] -> %{{.+}} : memref<64x128xf32, #trn.mem<sbuf>> -> memref<64x128xf32, strided<[128, 1], offset: ?>, #trn.mem<hbm>>
// CHECK-NOT:       trn.dma_copy
