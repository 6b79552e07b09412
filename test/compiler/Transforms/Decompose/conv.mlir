// Convolutions become one matmul per filter tap on strided input windows.
// RUN: trn-opt %s --trn-decompose | FileCheck %s

// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>

// NCHW/FCHW: per image, C[F, OH*OW] += W[:, :, kh, kw] (F x C) @ Xwin (C x OH*OW).
// CHECK-LABEL: func.func @nchw
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x7x7xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[O:.*]]: tensor<2x4x3x2xf32>)
// CHECK: %[[ACC:.*]] = tensor.extract_slice %[[O]][0, 0, 0, 0] [1, 4, 3, 2] [1, 1, 1, 1] : tensor<2x4x3x2xf32> to tensor<4x3x2xf32>
// CHECK: %[[A2:.*]] = tensor.collapse_shape %[[ACC]] {{\[}}[0], [1, 2]] : tensor<4x3x2xf32> into tensor<4x6xf32>
// CHECK: %[[WIN:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 3, 3, 2] [1, 1, 2, 1] : tensor<2x3x7x7xf32> to tensor<3x3x2xf32>
// CHECK: %[[XW:.*]] = tensor.collapse_shape %[[WIN]] {{\[}}[0], [1, 2]] : tensor<3x3x2xf32> into tensor<3x6xf32>
// CHECK: %[[TAP:.*]] = tensor.extract_slice %[[W]][0, 0, 0, 0] [4, 3, 1, 1] [1, 1, 1, 1] : tensor<4x3x3x3xf32> to tensor<4x3xf32>
// CHECK: %[[M0:.*]] = linalg.matmul ins(%[[TAP]], %[[XW]] : tensor<4x3xf32>, tensor<3x6xf32>) outs(%[[A2]] : tensor<4x6xf32>)
// Tap (0, 1): the window starts at w = 1 * dilation = 2.
// CHECK: tensor.extract_slice %[[X]][0, 0, 0, 2] [1, 3, 3, 2] [1, 1, 2, 1]
// CHECK: tensor.extract_slice %[[W]][0, 0, 0, 1] [4, 3, 1, 1]
// CHECK: linalg.matmul {{.*}} outs(%[[M0]] : tensor<4x6xf32>)
// Last tap of image 0 is (2, 2): window at h = 2, w = 4.
// CHECK: tensor.extract_slice %[[X]][0, 0, 2, 4] [1, 3, 3, 2] [1, 1, 2, 1]
// CHECK: %[[M8:.*]] = linalg.matmul
// CHECK: %[[E:.*]] = tensor.expand_shape %[[M8]] {{\[}}[0], [1, 2]] output_shape [4, 3, 2] : tensor<4x6xf32> into tensor<4x3x2xf32>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[E]] into %[[O]][0, 0, 0, 0] [1, 4, 3, 2] [1, 1, 1, 1]
// Image 1 accumulates into the result of image 0.
// CHECK: tensor.extract_slice %[[I0]][1, 0, 0, 0] [1, 4, 3, 2]
// CHECK: tensor.extract_slice %[[X]][1, 0, 0, 0] [1, 3, 3, 2] [1, 1, 2, 1]
// CHECK-COUNT-9: linalg.matmul
// CHECK: %[[I1:.*]] = tensor.insert_slice {{.*}}[1, 0, 0, 0] [1, 4, 3, 2] [1, 1, 1, 1]
// CHECK: return %[[I1]]
// CHECK-NOT: linalg.conv
func.func @nchw(%x: tensor<2x3x7x7xf32>, %w: tensor<4x3x3x3xf32>, %o: tensor<2x4x3x2xf32>) -> tensor<2x4x3x2xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
       ins(%x, %w : tensor<2x3x7x7xf32>, tensor<4x3x3x3xf32>) outs(%o : tensor<2x4x3x2xf32>) -> tensor<2x4x3x2xf32>
  return %r : tensor<2x4x3x2xf32>
}

// NHWC/FHWC: the batch joins the positions; C[N*OH*OW, F] += Xwin @ Wtap^T
// (transposed B map).
// CHECK-LABEL: func.func @nhwc_fhwc
// CHECK-SAME: (%[[X:.*]]: tensor<2x5x6x3xf32>, %[[W:.*]]: tensor<4x2x2x3xf32>, %[[O:.*]]: tensor<2x2x2x4xf32>)
// CHECK: %[[ACC:.*]] = tensor.collapse_shape %[[O]] {{\[}}[0, 1, 2], [3]] : tensor<2x2x2x4xf32> into tensor<8x4xf32>
// CHECK: %[[WIN:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [2, 2, 2, 3] [1, 2, 3, 1] : tensor<2x5x6x3xf32> to tensor<2x2x2x3xf32>
// CHECK: %[[XW:.*]] = tensor.collapse_shape %[[WIN]] {{\[}}[0, 1, 2], [3]] : tensor<2x2x2x3xf32> into tensor<8x3xf32>
// CHECK: %[[TAP:.*]] = tensor.extract_slice %[[W]][0, 0, 0, 0] [4, 1, 1, 3] [1, 1, 1, 1] : tensor<4x2x2x3xf32> to tensor<4x3xf32>
// CHECK: linalg.matmul indexing_maps = [#[[A]], #[[BT]], #[[C]]] ins(%[[XW]], %[[TAP]] : tensor<8x3xf32>, tensor<4x3xf32>) outs(%[[ACC]] : tensor<8x4xf32>)
// CHECK: tensor.extract_slice %[[X]][0, 0, 2, 0] [2, 2, 2, 3] [1, 2, 3, 1]
// CHECK-COUNT-3: linalg.matmul
// CHECK: tensor.expand_shape {{.*}} {{\[}}[0, 1, 2], [3]] output_shape [2, 2, 2, 4] : tensor<8x4xf32> into tensor<2x2x2x4xf32>
func.func @nhwc_fhwc(%x: tensor<2x5x6x3xf32>, %w: tensor<4x2x2x3xf32>, %o: tensor<2x2x2x4xf32>) -> tensor<2x2x2x4xf32> {
  %r = linalg.conv_2d_nhwc_fhwc {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[2, 3]> : tensor<2xi64>}
       ins(%x, %w : tensor<2x5x6x3xf32>, tensor<4x2x2x3xf32>) outs(%o : tensor<2x2x2x4xf32>) -> tensor<2x2x2x4xf32>
  return %r : tensor<2x2x2x4xf32>
}

// NHWC/HWCF: plain maps, C[P, F] += Xwin (P x C) @ Wtap (C x F).
// CHECK-LABEL: func.func @nhwc_hwcf
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x4x3xf32>, %[[W:.*]]: tensor<1x1x3x8xf32>, %[[O:.*]]: tensor<1x4x4x8xf32>)
// CHECK: %[[ACC:.*]] = tensor.collapse_shape %[[O]] {{\[}}[0, 1, 2], [3]] : tensor<1x4x4x8xf32> into tensor<16x8xf32>
// CHECK: %[[XW:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1, 2], [3]] : tensor<1x4x4x3xf32> into tensor<16x3xf32>
// CHECK: %[[TAP:.*]] = tensor.extract_slice %[[W]][0, 0, 0, 0] [1, 1, 3, 8] [1, 1, 1, 1] : tensor<1x1x3x8xf32> to tensor<3x8xf32>
// CHECK: %[[M:.*]] = linalg.matmul ins(%[[XW]], %[[TAP]] : tensor<16x3xf32>, tensor<3x8xf32>) outs(%[[ACC]] : tensor<16x8xf32>)
// CHECK: %[[R:.*]] = tensor.expand_shape %[[M]]
// CHECK: return %[[R]]
func.func @nhwc_hwcf(%x: tensor<1x4x4x3xf32>, %w: tensor<1x1x3x8xf32>, %o: tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %r = linalg.conv_2d_nhwc_hwcf ins(%x, %w : tensor<1x4x4x3xf32>, tensor<1x1x3x8xf32>) outs(%o : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %r : tensor<1x4x4x8xf32>
}

// Grouped NGCHW/FGCHW: one matmul chain per (image, group); a 1x1 filter
// has one tap.
// CHECK-LABEL: func.func @grouped
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x3x4x4xf32>, %[[W:.*]]: tensor<5x2x3x1x1xf32>, %[[O:.*]]: tensor<1x2x5x4x4xf32>)
// CHECK: tensor.extract_slice %[[O]][0, 0, 0, 0, 0] [1, 1, 5, 4, 4] [1, 1, 1, 1, 1] : tensor<1x2x5x4x4xf32> to tensor<5x4x4xf32>
// CHECK: tensor.extract_slice %[[X]][0, 0, 0, 0, 0] [1, 1, 3, 4, 4] [1, 1, 1, 1, 1] : tensor<1x2x3x4x4xf32> to tensor<3x4x4xf32>
// CHECK: tensor.extract_slice %[[W]][0, 0, 0, 0, 0] [5, 1, 3, 1, 1] [1, 1, 1, 1, 1] : tensor<5x2x3x1x1xf32> to tensor<5x3xf32>
// CHECK: linalg.matmul ins({{.*}} : tensor<5x3xf32>, tensor<3x16xf32>) outs({{.*}} : tensor<5x16xf32>)
// CHECK: tensor.extract_slice %[[X]][0, 1, 0, 0, 0] [1, 1, 3, 4, 4]
// CHECK: tensor.extract_slice %[[W]][0, 1, 0, 0, 0] [5, 1, 3, 1, 1]
// CHECK: linalg.matmul
// CHECK: tensor.insert_slice {{.*}}[0, 1, 0, 0, 0] [1, 1, 5, 4, 4]
// CHECK-NOT: linalg.matmul
func.func @grouped(%x: tensor<1x2x3x4x4xf32>, %w: tensor<5x2x3x1x1xf32>, %o: tensor<1x2x5x4x4xf32>) -> tensor<1x2x5x4x4xf32> {
  %r = linalg.conv_2d_ngchw_fgchw ins(%x, %w : tensor<1x2x3x4x4xf32>, tensor<5x2x3x1x1xf32>) outs(%o : tensor<1x2x5x4x4xf32>) -> tensor<1x2x5x4x4xf32>
  return %r : tensor<1x2x5x4x4xf32>
}
