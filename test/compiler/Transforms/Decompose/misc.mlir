// Softmax, vector contractions, element-wise ops and generic reductions.
// RUN: trn-opt %s --trn-decompose | FileCheck %s

// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[KM:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[KN:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[T3:.*]] = affine_map<(d0, d1, d2) -> (d2, d0, d1)>

// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<3x5xf32>, %[[O:.*]]: tensor<3x5xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MI:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[MAX:.*]] = linalg.reduce ins(%[[X]] : tensor<3x5xf32>) outs(%[[MI]] : tensor<3xf32>) dimensions = [1]
// CHECK:   arith.maximumf
// CHECK: %[[E:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[ID2]]], {{.*}}} ins(%[[X]], %[[MAX]] : tensor<3x5xf32>, tensor<3xf32>)
// CHECK:   %[[D:.*]] = arith.subf
// CHECK:   math.exp %[[D]]
// CHECK: %[[SI:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[SUM:.*]] = linalg.reduce ins(%[[E]] : tensor<3x5xf32>) outs(%[[SI]] : tensor<3xf32>) dimensions = [1]
// CHECK:   arith.addf
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[ID2]]], {{.*}}} ins(%[[E]], %[[SUM]] : tensor<3x5xf32>, tensor<3xf32>) outs(%[[O]] : tensor<3x5xf32>)
// CHECK:   arith.divf
// CHECK: return %[[R]]
func.func @softmax(%x: tensor<3x5xf32>, %o: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %r = linalg.softmax dimension(1) ins(%x : tensor<3x5xf32>) outs(%o : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %r : tensor<3x5xf32>
}

// CHECK-LABEL: func.func @matvec
// CHECK-SAME: (%[[A:.*]]: tensor<4x3xf32>, %[[X:.*]]: tensor<3xf32>, %[[Y:.*]]: tensor<4xf32>)
// CHECK: %[[XE:.*]] = tensor.expand_shape %[[X]] {{\[}}[0, 1]] output_shape [3, 1] : tensor<3xf32> into tensor<3x1xf32>
// CHECK: %[[YE:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
// CHECK: %[[M:.*]] = linalg.matmul ins(%[[A]], %[[XE]] : tensor<4x3xf32>, tensor<3x1xf32>) outs(%[[YE]] : tensor<4x1xf32>)
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[M]] {{\[}}[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
// CHECK: return %[[R]]
func.func @matvec(%a: tensor<4x3xf32>, %x: tensor<3xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.matvec ins(%a, %x : tensor<4x3xf32>, tensor<3xf32>) outs(%y : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func.func @batch_vecmat
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<2x1x3xf32>, tensor<2x3x4xf32>) outs(%{{.*}} : tensor<2x1x4xf32>)
func.func @batch_vecmat(%x: tensor<2x3xf32>, %a: tensor<2x3x4xf32>, %y: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = linalg.batch_vecmat ins(%x, %a : tensor<2x3xf32>, tensor<2x3x4xf32>) outs(%y : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// CHECK-LABEL: func.func @dot
// CHECK: tensor.expand_shape %{{.*}} [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x6xf32>, tensor<6x1xf32>) outs(%{{.*}} : tensor<1x1xf32>)
// CHECK: tensor.collapse_shape %{{.*}} [] : tensor<1x1xf32> into tensor<f32>
func.func @dot(%x: tensor<6xf32>, %y: tensor<6xf32>, %o: tensor<f32>) -> tensor<f32> {
  %r = linalg.dot ins(%x, %y : tensor<6xf32>, tensor<6xf32>) outs(%o : tensor<f32>) -> tensor<f32>
  return %r : tensor<f32>
}

// CHECK-LABEL: func.func @elementwise
// CHECK-NOT: linalg.add
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]], #[[ID2]]]
// CHECK:   arith.addf
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]]]
// CHECK:   math.exp
// CHECK: linalg.generic
// CHECK:   arith.mulf
// CHECK: linalg.generic
// CHECK:   math.tanh
func.func @elementwise(%a: tensor<3x4xf32>, %b: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %e = tensor.empty() : tensor<3x4xf32>
  %s = linalg.add ins(%a, %b : tensor<3x4xf32>, tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %x = linalg.elementwise kind=#linalg.elementwise_kind<exp> ins(%s : tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %m = arith.mulf %x, %b : tensor<3x4xf32>
  %t = math.tanh %m : tensor<3x4xf32>
  return %t : tensor<3x4xf32>
}

// sum_j x[i,j]^2: the square moves to an element-wise generic, the sum to
// linalg.reduce with a plain addf combiner into the original init.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK-SAME: (%[[X:.*]]: tensor<3x4xf32>, %[[O:.*]]: tensor<3xf32>)
// CHECK: %[[T:.*]] = tensor.empty() : tensor<3x4xf32>
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]] : tensor<3x4xf32>) outs(%[[T]] : tensor<3x4xf32>)
// CHECK:   %[[P:.*]] = arith.mulf
// CHECK:   linalg.yield %[[P]]
// CHECK: %[[R:.*]] = linalg.reduce ins(%[[SQ]] : tensor<3x4xf32>) outs(%[[O]] : tensor<3xf32>) dimensions = [1]
// CHECK:   arith.addf
// CHECK: return %[[R]]
func.func @sum_of_squares(%x: tensor<3x4xf32>, %o: tensor<3xf32>) -> tensor<3xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<3x4xf32>) outs(%o : tensor<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// A plain combiner over an identity input needs no element-wise stage.
// CHECK-LABEL: func.func @plain_max
// CHECK-NOT: linalg.generic
// CHECK: linalg.reduce ins(%{{.*}} : tensor<3x4xf32>) outs(%{{.*}} : tensor<3xf32>) dimensions = [1]
func.func @plain_max(%x: tensor<3x4xf32>, %o: tensor<3xf32>) -> tensor<3xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<3x4xf32>) outs(%o : tensor<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.maximumf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// Output dims (j, i) come first in the element-wise result, then the
// reduction dim: T[j, i, k] = |x[i, k, j]|, reduced over dim 2.
// CHECK-LABEL: func.func @transposed_out
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[T3]]], iterator_types = ["parallel", "parallel", "parallel"]} {{.*}} outs(%{{.*}} : tensor<4x2x3xf32>)
// CHECK:   math.absf
// CHECK: linalg.reduce ins(%{{.*}} : tensor<4x2x3xf32>) outs(%{{.*}} : tensor<4x2xf32>) dimensions = [2]
// CHECK:   arith.maximumf
func.func @transposed_out(%x: tensor<2x3x4xf32>, %o: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, k, j) -> (i, k, j)>, affine_map<(i, k, j) -> (j, i)>],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : tensor<2x3x4xf32>) outs(%o : tensor<4x2xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %b = math.absf %a : f32
    %t = arith.maximumf %acc, %b : f32
    linalg.yield %t : f32
  } -> tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}

// A generic A^T B contraction becomes a matmul with a transposed A map.
// CHECK-LABEL: func.func @generic_contraction
// CHECK: linalg.matmul indexing_maps = [#[[KM]], #[[KN]], #[[MN]]] ins(%{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<3x5xf32>) outs(%{{.*}} : tensor<4x5xf32>)
func.func @generic_contraction(%a: tensor<3x4xf32>, %b: tensor<3x5xf32>, %o: tensor<4x5xf32>) -> tensor<4x5xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<3x4xf32>, tensor<3x5xf32>) outs(%o : tensor<4x5xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x5xf32>
  return %r : tensor<4x5xf32>
}
