// RUN: trn-opt --trn-decompose -split-input-file %s | FileCheck %s

// An element-wise generic with two results becomes two single-result
// generics; each keeps only the body ops its result needs.
// CHECK-LABEL: func.func @two_results(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<3x5xf32>, %[[W:[a-z0-9]+]]: tensor<3x5xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[W]] : tensor<3x5xf32>, tensor<3x5xf32>) outs(%{{.*}} : tensor<3x5xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:   %[[ADD:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT:   linalg.yield %[[ADD]] : f32
// CHECK: %[[M:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[W]] : tensor<3x5xf32>, tensor<3x5xf32>) outs(%{{.*}} : tensor<3x5xf32>)
// CHECK-NEXT: ^bb0(%[[C:.*]]: f32, %[[D:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:   %[[MUL:.*]] = arith.mulf %[[C]], %[[D]] : f32
// CHECK-NEXT:   linalg.yield %[[MUL]] : f32
// CHECK: return %[[S]], %[[M]]
#id = affine_map<(i, j) -> (i, j)>
func.func @two_results(%x: tensor<3x5xf32>, %w: tensor<3x5xf32>) -> (tensor<3x5xf32>, tensor<3x5xf32>) {
  %e = tensor.empty() : tensor<3x5xf32>
  %r:2 = linalg.generic {indexing_maps = [#id, #id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %w : tensor<3x5xf32>, tensor<3x5xf32>) outs(%e, %e : tensor<3x5xf32>, tensor<3x5xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32, %p: f32):
    %s = arith.addf %a, %b : f32
    %m = arith.mulf %a, %b : f32
    linalg.yield %s, %m : f32, f32
  } -> (tensor<3x5xf32>, tensor<3x5xf32>)
  return %r#0, %r#1 : tensor<3x5xf32>, tensor<3x5xf32>
}

// -----

// A body reading another output's init: that init becomes an input of the
// split generic (through the output's indexing map).
// CHECK-LABEL: func.func @reads_other_init(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<4xf32>, %[[I0:[a-z0-9]+]]: tensor<4xf32>, %[[I1:[a-z0-9]+]]: tensor<4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<4xf32>) outs(%[[I0]] : tensor<4xf32>)
// CHECK: arith.negf
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[I0]] : tensor<4xf32>, tensor<4xf32>) outs(%[[I1]] : tensor<4xf32>)
// CHECK: arith.addf
#id1 = affine_map<(i) -> (i)>
func.func @reads_other_init(%x: tensor<4xf32>, %i0: tensor<4xf32>, %i1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r:2 = linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%i0, %i1 : tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32, %p: f32):
    %n = arith.negf %a : f32
    %s = arith.addf %a, %o : f32
    linalg.yield %n, %s : f32, f32
  } -> (tensor<4xf32>, tensor<4xf32>)
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// A linalg.copy that converts the element type is an element-wise cast
// (generalized: DMA copies move bits and cannot convert); a plain copy stays.
// CHECK-LABEL: func.func @converting_copy(
// CHECK: linalg.generic
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: linalg.copy ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<4x8xf32>)
func.func @converting_copy(%x: tensor<4x8xf32>) -> (tensor<4x8xbf16>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xbf16>
  %r = linalg.copy ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xbf16>) -> tensor<4x8xbf16>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %p = linalg.copy ins(%x : tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r, %p : tensor<4x8xbf16>, tensor<4x8xf32>
}
