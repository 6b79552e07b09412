// RUN: trn-opt --trn-bufferize -split-input-file %s | FileCheck %s

// Function inputs are read-only (a program may not write its input tensors):
// an op updating an argument in place (matmul accumulating into `outs(%c)`,
// insert_slice into an argument) works on a copy in the output buffer.
// CHECK-LABEL: func.func @acc_into_input(
// CHECK-SAME: %[[A:[a-z0-9]+]]: memref<4x3xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "input0"},
// CHECK-SAME: %[[B:[a-z0-9]+]]: memref<3x5xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "input1"},
// CHECK-SAME: %[[C:[a-z0-9]+]]: memref<4x5xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "input2"},
// CHECK-SAME: %[[OUT:[a-z0-9]+]]: memref<4x5xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "output0"})
// CHECK-NOT: bufferization.writable
// CHECK: memref.copy %[[C]], %[[OUT]]
// CHECK: linalg.matmul ins(%[[A]], %[[B]] : {{.*}}) outs(%[[OUT]] :
// CHECK-NOT: outs(%[[C]]
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @acc_into_input(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>, %c: tensor<4x5xf32>) -> tensor<4x5xf32> {
    %r = linalg.matmul ins(%a, %b : tensor<4x3xf32>, tensor<3x5xf32>) outs(%c : tensor<4x5xf32>) -> tensor<4x5xf32>
    return %r : tensor<4x5xf32>
  }
}

// -----

// CHECK-LABEL: func.func @insert_into_input(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<5x7xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "input0"},
// CHECK-SAME: %[[Y:[a-z0-9]+]]: memref<2x3xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "input1"},
// CHECK-SAME: %[[OUT:[a-z0-9]+]]: memref<5x7xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "output0"})
// CHECK: memref.copy %[[X]], %[[OUT]]
// CHECK: %[[SV:.*]] = memref.subview %[[OUT]][1, 2] [2, 3] [1, 1]
// CHECK: memref.copy %[[Y]], %[[SV]]
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @insert_into_input(%x: tensor<5x7xf32>, %y: tensor<2x3xf32>) -> tensor<5x7xf32> {
    %r = tensor.insert_slice %y into %x[1, 2] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<5x7xf32>
    return %r : tensor<5x7xf32>
  }
}

// -----

// The same value returned twice: each result gets its own out-param, the
// second one a copy.
// CHECK-LABEL: func.func @same_result_twice(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<3xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "input0"},
// CHECK-SAME: %[[O0:[a-z0-9]+]]: memref<3xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "output0"},
// CHECK-SAME: %[[O1:[a-z0-9]+]]: memref<3xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "output1"})
// CHECK: linalg.generic {{.*}} ins(%[[X]] : {{.*}}) outs(%[[O0]] :
// CHECK: memref.copy %[[O0]], %[[O1]]
// CHECK: return
#id = affine_map<(d0) -> (d0)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @same_result_twice(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
    %e = tensor.empty() : tensor<3xf32>
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<3xf32>) outs(%e : tensor<3xf32>) {
    ^bb0(%a: f32, %o: f32):
      %s = math.exp %a : f32
      linalg.yield %s : f32
    } -> tensor<3xf32>
    return %r, %r : tensor<3xf32>, tensor<3xf32>
  }
}
