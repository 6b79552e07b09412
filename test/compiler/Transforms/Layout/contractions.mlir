// Device form C[m,n] = sum_k L[k,m] R[k,n] for every matmul variant.
// RUN: trn-opt %s --trn-layout | FileCheck %s

// CHECK-DAG: #[[L:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[R:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[BL:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1)>
// CHECK-DAG: #[[BR:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[BC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// Plain A[m,k] B[k,n]: A needs a transpose (an argument: not foldable).
// CHECK-LABEL: func.func @plain
// CHECK-SAME: (%[[A:.*]]: tensor<3x5xf32>, %[[B:.*]]: tensor<5x4xf32>, %[[O:.*]]: tensor<3x4xf32>)
// CHECK: %[[AT:.*]] = linalg.transpose ins(%[[A]] : tensor<3x5xf32>) outs(%{{.*}} : tensor<5x3xf32>) permutation = [1, 0]
// CHECK: linalg.matmul indexing_maps = [#[[L]], #[[R]], #[[C]]] ins(%[[AT]], %[[B]] : tensor<5x3xf32>, tensor<5x4xf32>) outs(%[[O]] : tensor<3x4xf32>)
func.func @plain(%a: tensor<3x5xf32>, %b: tensor<5x4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<3x5xf32>, tensor<5x4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// A^T B is already device form: no transpose.
// CHECK-LABEL: func.func @transpose_a
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#[[L]], #[[R]], #[[C]]] ins(%arg0, %arg1 : tensor<5x3xf32>, tensor<5x4xf32>)
func.func @transpose_a(%a: tensor<5x3xf32>, %b: tensor<5x4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%a, %b : tensor<5x3xf32>, tensor<5x4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// A^T B^T: only B is transposed.
// CHECK-LABEL: func.func @transpose_both
// CHECK: %[[BT:.*]] = linalg.transpose ins(%arg1 : tensor<4x5xf32>) outs(%{{.*}} : tensor<5x4xf32>) permutation = [1, 0]
// CHECK: linalg.matmul indexing_maps = [#[[L]], #[[R]], #[[C]]] ins(%arg0, %[[BT]] : tensor<5x3xf32>, tensor<5x4xf32>)
func.func @transpose_both(%a: tensor<5x3xf32>, %b: tensor<4x5xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%a, %b : tensor<5x3xf32>, tensor<4x5xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// Attention: S = Q K^T needs K = d first on both operands (two input
// transposes). P = exp(S) is single-use, so P^T is produced directly: the
// exp generic writes [b, t, s] and the QK^T matmul computes S^T by swapping
// its operands; P V then needs no transpose.
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x8xf32>, %[[K:.*]]: tensor<2x6x8xf32>, %[[V:.*]]: tensor<2x6x8xf32>)
// CHECK: %[[QT:.*]] = linalg.transpose ins(%[[Q]] : tensor<2x4x8xf32>) outs(%{{.*}} : tensor<2x8x4xf32>) permutation = [0, 2, 1]
// CHECK: %[[KT:.*]] = linalg.transpose ins(%[[K]] : tensor<2x6x8xf32>) outs(%{{.*}} : tensor<2x8x6xf32>) permutation = [0, 2, 1]
// CHECK-NOT: linalg.transpose
// CHECK: %[[ST:.*]] = linalg.batch_matmul indexing_maps = [#[[BL]], #[[BR]], #[[BC]]] ins(%[[KT]], %[[QT]] : tensor<2x8x6xf32>, tensor<2x8x4xf32>) outs(%{{.*}} : tensor<2x6x4xf32>)
// CHECK: %[[PT:.*]] = linalg.generic {{.*}} ins(%[[ST]] : tensor<2x6x4xf32>) outs(%{{.*}} : tensor<2x6x4xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: linalg.batch_matmul indexing_maps = [#[[BL]], #[[BR]], #[[BC]]] ins(%[[PT]], %[[V]] : tensor<2x6x4xf32>, tensor<2x6x8xf32>) outs(%{{.*}} : tensor<2x4x8xf32>)
func.func @attention(%q: tensor<2x4x8xf32>, %k: tensor<2x6x8xf32>, %v: tensor<2x6x8xf32>) -> tensor<2x4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %es = tensor.empty() : tensor<2x4x6xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %s = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>]
       ins(%q, %k : tensor<2x4x8xf32>, tensor<2x6x8xf32>) outs(%fs : tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(b, i, j) -> (b, i, j)>, affine_map<(b, i, j) -> (b, i, j)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<2x4x6xf32>) outs(%es : tensor<2x4x6xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = math.exp %x : f32
    linalg.yield %y : f32
  } -> tensor<2x4x6xf32>
  %eo = tensor.empty() : tensor<2x4x8xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x4x6xf32>, tensor<2x6x8xf32>) outs(%fo : tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// A lone small slice is transposed itself, not its (larger) source.
// CHECK-LABEL: func.func @small_slice
// CHECK: %[[S:.*]] = tensor.extract_slice %arg0[0, 0] [3, 5] [1, 1] : tensor<16x5xf32> to tensor<3x5xf32>
// CHECK: linalg.transpose ins(%[[S]] : tensor<3x5xf32>) outs(%{{.*}} : tensor<5x3xf32>) permutation = [1, 0]
func.func @small_slice(%a: tensor<16x5xf32>, %b: tensor<5x4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %s = tensor.extract_slice %a[0, 0] [3, 5] [1, 1] : tensor<16x5xf32> to tensor<3x5xf32>
  %r = linalg.matmul ins(%s, %b : tensor<3x5xf32>, tensor<5x4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}
