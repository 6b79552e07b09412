// Batch-1 sequence element-wise ops drop their unit dims ([1, T, D] -> [T, D]),
// so trn-layout's partition dim (logical dim rank-2) is never the unit batch
// dim; image-rank ops and ops with two non-unit dims already are left alone.
// RUN: trn-opt %s --trn-decompose | FileCheck %s

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// CHECK-LABEL: func.func @sequence_relu
// CHECK: %[[C:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<1x128x64xf32> into tensor<128x64xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[C]] : tensor<128x64xf32>)
// CHECK: tensor.expand_shape %[[R]] {{\[}}[0, 1], [2]] output_shape [1, 128, 64] : tensor<128x64xf32> into tensor<1x128x64xf32>
func.func @sequence_relu(%x: tensor<1x128x64xf32>) -> tensor<1x128x64xf32> {
  %e = tensor.empty() : tensor<1x128x64xf32>
  %r = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x128x64xf32>) outs(%e : tensor<1x128x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %a, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x128x64xf32>
  return %r : tensor<1x128x64xf32>
}

// CHECK-LABEL: func.func @image_relu
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]{{.*}} ins(%arg0 : tensor<1x8x16x16xf32>)
func.func @image_relu(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32> {
  %e = tensor.empty() : tensor<1x8x16x16xf32>
  %r = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x8x16x16xf32>) outs(%e : tensor<1x8x16x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %a, %z : f32
    linalg.yield %m : f32
  } -> tensor<1x8x16x16xf32>
  return %r : tensor<1x8x16x16xf32>
}
