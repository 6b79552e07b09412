// Depthwise convolutions and pooling become per-tap element-wise generics on
// strided input windows, accumulating into the original init.
// RUN: trn-opt %s --trn-decompose | FileCheck %s

// CHECK-DAG: #[[ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[C1:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[X5:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CM:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4)>

// CHECK-LABEL: func.func @dw_nchw
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x6x6xf32>, %[[W:.*]]: tensor<3x2x2xf32>, %[[O:.*]]: tensor<1x3x3x5xf32>)
// CHECK: %[[WIN:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 3, 3, 5] [1, 1, 2, 1] : tensor<1x3x6x6xf32> to tensor<1x3x3x5xf32>
// CHECK: %[[TAP:.*]] = tensor.extract_slice %[[W]][0, 0, 0] [3, 1, 1] [1, 1, 1] : tensor<3x2x2xf32> to tensor<3xf32>
// CHECK: tensor.extract_slice %[[W]][0, 0, 1] [3, 1, 1]
// CHECK: tensor.extract_slice %[[X]][0, 0, 1, 0] [1, 3, 3, 5] [1, 1, 2, 1]
// CHECK: tensor.extract_slice %[[X]][0, 0, 1, 1] [1, 3, 3, 5] [1, 1, 2, 1]
// Depthwise taps stay one generic per tap (a filter tap per window).
// CHECK: %[[A0:.*]] = linalg.generic {indexing_maps = [#[[ID4]], #[[C1]], #[[ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[WIN]], %[[TAP]] : tensor<1x3x3x5xf32>, tensor<3xf32>) outs(%[[O]] : tensor<1x3x3x5xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[WV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:   %[[P:.*]] = arith.mulf %[[IN]], %[[WV]] : f32
// CHECK:   %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK:   linalg.yield %[[S]]
// CHECK: linalg.generic {{.*}} outs(%[[A0]] : tensor<1x3x3x5xf32>)
// CHECK: linalg.generic
// CHECK: %[[R:.*]] = linalg.generic
// CHECK: return %[[R]]
func.func @dw_nchw(%x: tensor<1x3x6x6xf32>, %w: tensor<3x2x2xf32>, %o: tensor<1x3x3x5xf32>) -> tensor<1x3x3x5xf32> {
  %r = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
       ins(%x, %w : tensor<1x3x6x6xf32>, tensor<3x2x2xf32>) outs(%o : tensor<1x3x3x5xf32>) -> tensor<1x3x3x5xf32>
  return %r : tensor<1x3x3x5xf32>
}

// Channel multiplier: the window broadcasts over m, the tap is w[c, m].
// CHECK-LABEL: func.func @dw_nhwc_hwcm
// CHECK: tensor.extract_slice %{{.*}}[0, 2, 2, 0] [1, 2, 2, 3] [1, 1, 1, 1] : tensor<1x4x4x3xf32> to tensor<1x2x2x3xf32>
// CHECK: tensor.extract_slice %{{.*}}[1, 1, 0, 0] [1, 1, 3, 2] [1, 1, 1, 1] : tensor<2x2x3x2xf32> to tensor<3x2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[X5]], #[[CM]], {{.*}}]
func.func @dw_nhwc_hwcm(%x: tensor<1x4x4x3xf32>, %w: tensor<2x2x3x2xf32>, %o: tensor<1x2x2x3x2xf32>) -> tensor<1x2x2x3x2xf32> {
  %r = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x4x4x3xf32>, tensor<2x2x3x2xf32>) outs(%o : tensor<1x2x2x3x2xf32>) -> tensor<1x2x2x3x2xf32>
  return %r : tensor<1x2x2x3x2xf32>
}

// Max pooling: all taps in ONE generic (the accumulator stays on chip),
// combined in tap order with maximumf (NaN-propagating, as upstream's pooling
// body), starting from the init.
// CHECK-LABEL: func.func @pool_max
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x5x5xf32>, %[[O:.*]]: tensor<1x2x2x2xf32>)
// CHECK: %[[W0:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: %[[W1:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 1] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: %[[W8:.*]] = tensor.extract_slice %[[X]][0, 0, 2, 2] [1, 2, 2, 2] [1, 1, 2, 2]
// CHECK: %[[M:.*]] = linalg.generic {indexing_maps = [#[[ID4]], #[[ID4]], #[[ID4]], #[[ID4]], #[[ID4]], #[[ID4]], #[[ID4]], #[[ID4]], #[[ID4]], #[[ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[W0]], %[[W1]], {{.*}}, %[[W8]] : {{.*}}) outs(%[[O]] : tensor<1x2x2x2xf32>)
// CHECK: ^bb0(%[[I0:[^:]*]]: f32, %[[I1:[^:]*]]: f32, {{.*}}, %[[ACC:[^:]*]]: f32):
// CHECK:   %[[R0:.*]] = arith.maximumf %[[ACC]], %[[I0]] : f32
// CHECK:   %[[R1:.*]] = arith.maximumf %[[R0]], %[[I1]] : f32
// CHECK-COUNT-7: arith.maximumf
// CHECK-NEXT: linalg.yield
// CHECK: return %[[M]]
// CHECK-NOT: linalg.pooling
func.func @pool_max(%x: tensor<1x2x5x5xf32>, %o: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %win = tensor.empty() : tensor<3x3xf32>
  %r = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %win : tensor<1x2x5x5xf32>, tensor<3x3xf32>) outs(%o : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %r : tensor<1x2x2x2xf32>
}

// Sum pooling (the sum half of count_include_pad average pooling).
// CHECK-LABEL: func.func @pool_sum
// CHECK: tensor.extract_slice %{{.*}}[0, 2, 0, 0] [1, 2, 3, 2] [1, 1, 1, 1]
// CHECK: arith.addf
// CHECK-LABEL: func.func @pool_min
// CHECK: arith.minimumf
func.func @pool_sum(%x: tensor<1x4x4x2xf32>, %o: tensor<1x2x3x2xf32>) -> tensor<1x2x3x2xf32> {
  %win = tensor.empty() : tensor<2x2xf32>
  %r = linalg.pooling_nhwc_sum {dilations = dense<[2, 1]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %win : tensor<1x4x4x2xf32>, tensor<2x2xf32>) outs(%o : tensor<1x2x3x2xf32>) -> tensor<1x2x3x2xf32>
  return %r : tensor<1x2x3x2xf32>
}
func.func @pool_min(%x: tensor<1x4x4x2xf32>, %o: tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32> {
  %win = tensor.empty() : tensor<2x2xf32>
  %r = linalg.pooling_nhwc_min ins(%x, %win : tensor<1x4x4x2xf32>, tensor<2x2xf32>) outs(%o : tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
  return %r : tensor<1x3x3x2xf32>
}

// Mixed precision: bf16 window and taps accumulate in the f32 init.
// CHECK-LABEL: func.func @dw_bf16
// CHECK: ^bb0(%[[IN:.*]]: bf16, %[[WV:.*]]: bf16, %[[ACC:.*]]: f32):
// CHECK:   %[[A:.*]] = arith.extf %[[IN]] : bf16 to f32
// CHECK:   %[[B:.*]] = arith.extf %[[WV]] : bf16 to f32
// CHECK:   %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK:   arith.addf %[[ACC]], %[[P]] : f32
func.func @dw_bf16(%x: tensor<1x3x4x4xbf16>, %w: tensor<3x2x2xbf16>, %o: tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %r = linalg.depthwise_conv_2d_nchw_chw ins(%x, %w : tensor<1x3x4x4xbf16>, tensor<3x2x2xbf16>) outs(%o : tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
  return %r : tensor<1x3x3x3xf32>
}

// A max pool whose init is a -inf fill (the frontend's form) starts from the
// first tap: max(-inf, x) == x for every x (NaN included), so the generic
// writes a fresh tensor and the fill is never materialised or read.
// CHECK-LABEL: func.func @pool_max_identity_init
// CHECK-NOT: linalg.fill
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x2x2x2xf32>
// CHECK: linalg.generic {{.*}} outs(%[[E]] : tensor<1x2x2x2xf32>)
// CHECK: ^bb0(%[[I0:[^:]*]]: f32, %[[I1:[^:]*]]: f32, %[[I2:[^:]*]]: f32, %[[I3:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT: %[[R0:.*]] = arith.maximumf %[[I0]], %[[I1]] : f32
// CHECK-NEXT: %[[R1:.*]] = arith.maximumf %[[R0]], %[[I2]] : f32
// CHECK-NEXT: %[[R2:.*]] = arith.maximumf %[[R1]], %[[I3]] : f32
// CHECK-NEXT: linalg.yield %[[R2]]
func.func @pool_max_identity_init(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %r = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %win : tensor<1x2x3x3xf32>, tensor<2x2xf32>) outs(%f : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %r : tensor<1x2x2x2xf32>
}

// A max pool from a +inf (or any non-identity) fill keeps reading its init.
// CHECK-LABEL: func.func @pool_max_other_init
// CHECK: %[[F:.*]] = linalg.fill
// CHECK: linalg.generic {{.*}} outs(%[[F]] : tensor<1x2x2x2xf32>)
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK-COUNT-3: arith.maximumf
func.func @pool_max_other_init(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %c = arith.constant 0x7F800000 : f32
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %r = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %win : tensor<1x2x3x3xf32>, tensor<2x2xf32>) outs(%f : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %r : tensor<1x2x2x2xf32>
}
