// Batch-1 image element-wise ops fed by a convolution run on the conv's own
// [F, OH*OW] form: the folded-BN bias (a per-channel vector), the residual
// add and the ReLU become 2-D generics, the conv's
// collapse(insert_slice(expand(C))) reshape chain folds to C, and only the
// final result is expanded back to NCHW.
// RUN: trn-opt %s --trn-decompose --split-input-file | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @block
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x6x6xf32>, %[[W:.*]]: tensor<4x4x1x1xf32>, %[[B:.*]]: tensor<4xf32>, %[[R:.*]]: tensor<1x4x6x6xf32>)
// CHECK: %[[F:.*]] = linalg.fill
// CHECK: %[[V:.*]] = tensor.extract_slice %[[F]][0, 0, 0, 0] [1, 4, 6, 6] [1, 1, 1, 1]
// CHECK: %[[ACC:.*]] = tensor.collapse_shape %[[V]] {{\[}}[0], [1, 2]] : tensor<4x6x6xf32> into tensor<4x36xf32>
// CHECK: %[[C:.*]] = linalg.matmul {{.*}} outs(%[[ACC]] : tensor<4x36xf32>)
// CHECK-NOT: tensor.insert_slice
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<4x36xf32>
// CHECK: %[[BIAS:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[C]], %[[B]] : tensor<4x36xf32>, tensor<4xf32>) outs(%[[E1]] : tensor<4x36xf32>)
// CHECK: %[[RES:.*]] = tensor.collapse_shape %[[R]] {{\[}}[0, 1], [2, 3]] : tensor<1x4x6x6xf32> into tensor<4x36xf32>
// CHECK: %[[ADD:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], {{.*}} ins(%[[BIAS]], %[[RES]] : tensor<4x36xf32>, tensor<4x36xf32>)
// CHECK: %[[RELU:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], {{.*}} ins(%[[ADD]] : tensor<4x36xf32>)
// CHECK: arith.maximumf
// CHECK: %[[OUT:.*]] = tensor.expand_shape %[[RELU]] {{\[}}[0, 1], [2, 3]] output_shape [1, 4, 6, 6] : tensor<4x36xf32> into tensor<1x4x6x6xf32>
// CHECK: return %[[OUT]]
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#ch = affine_map<(n, c, h, w) -> (c)>
func.func @block(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>, %b: tensor<4xf32>,
                 %r: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x6x6xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) outs(%z : tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %yb = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
          ins(%y, %b : tensor<1x4x6x6xf32>, tensor<4xf32>) outs(%e : tensor<1x4x6x6xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<1x4x6x6xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
          ins(%yb, %r : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) outs(%e : tensor<1x4x6x6xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<1x4x6x6xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
          ins(%sum : tensor<1x4x6x6xf32>) outs(%e : tensor<1x4x6x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %c0 : f32
    linalg.yield %m : f32
  } -> tensor<1x4x6x6xf32>
  return %relu : tensor<1x4x6x6xf32>
}

// -----

// Not flattened: image ops that no conv feeds (a max pool's window generic
// and its consumer), and batch-2 convs (the conv output is assembled from
// two insert_slices; its consumer keeps NCHW).
// CHECK-LABEL: func.func @kept
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins({{.*}} : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins({{.*}} : tensor<1x2x2x2xf32>)
// CHECK: tensor.insert_slice {{.*}} into {{.*}}[0, 0, 0, 0] [1, 4, 6, 6]
// CHECK: tensor.insert_slice {{.*}} into {{.*}}[1, 0, 0, 0] [1, 4, 6, 6]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins({{.*}} : tensor<2x4x6x6xf32>)
// CHECK-NOT: tensor.expand_shape {{.*}} {{\[}}[0, 1], [2, 3]]
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @kept(%p: tensor<1x2x4x4xf32>, %x: tensor<2x4x6x6xf32>, %w: tensor<4x4x1x1xf32>)
    -> (tensor<1x2x2x2xf32>, tensor<2x4x6x6xf32>) {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %win = tensor.empty() : tensor<2x2xf32>
  %pe = tensor.empty() : tensor<1x2x2x2xf32>
  %pf = linalg.fill ins(%ninf : f32) outs(%pe : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %pool = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
            ins(%p, %win : tensor<1x2x4x4xf32>, tensor<2x2xf32>) outs(%pf : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %pr = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
          ins(%pool : tensor<1x2x2x2xf32>) outs(%pe : tensor<1x2x2x2xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %c0 : f32
    linalg.yield %m : f32
  } -> tensor<1x2x2x2xf32>
  %e = tensor.empty() : tensor<2x4x6x6xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<2x4x6x6xf32>) -> tensor<2x4x6x6xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<2x4x6x6xf32>, tensor<4x4x1x1xf32>) outs(%z : tensor<2x4x6x6xf32>) -> tensor<2x4x6x6xf32>
  %yr = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
          ins(%y : tensor<2x4x6x6xf32>) outs(%e : tensor<2x4x6x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %c0 : f32
    linalg.yield %m : f32
  } -> tensor<2x4x6x6xf32>
  return %pr, %yr : tensor<1x2x2x2xf32>, tensor<2x4x6x6xf32>
}
