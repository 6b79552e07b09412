// RUN: trn-opt --trn-bufferize -split-input-file %s | FileCheck %s

// A peeled tile loop writing the result in place: the result becomes an
// out-param, the loop writes it through subviews, no copy remains.
// CHECK-LABEL: func.func @tiled(
// CHECK-SAME: %[[X:.*]]: memref<200x64xf32, #trn.mem<hbm>> {trn.kind = "input", trn.name = "x"},
// CHECK-SAME: %[[Y:.*]]: memref<200x64xf32, #trn.mem<hbm>> {trn.kind = "output", trn.name = "y"})
// CHECK-NOT: memref.alloc
// CHECK: scf.for
// CHECK:   %[[IN:.*]] = memref.subview %[[X]]
// CHECK:   %[[OUT:.*]] = memref.subview %[[Y]]
// CHECK:   linalg.generic {{.*}} ins(%[[IN]] : memref<128x64xf32, strided<[64, 1], offset: ?>, #trn.mem<hbm>>) outs(%[[OUT]] :
// CHECK-NOT: memref.copy
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @tiled(%x: tensor<200x64xf32> {trn.name = "x"}) -> (tensor<200x64xf32> {trn.name = "y"}) {
    %c0 = arith.constant 0 : index
    %c128 = arith.constant 128 : index
    %c200 = arith.constant 200 : index
    %e = tensor.empty() : tensor<200x64xf32>
    %r = scf.for %i = %c0 to %c128 step %c128 iter_args(%acc = %e) -> (tensor<200x64xf32>) {
      %in = tensor.extract_slice %x[%i, 0] [128, 64] [1, 1] : tensor<200x64xf32> to tensor<128x64xf32>
      %out = tensor.extract_slice %acc[%i, 0] [128, 64] [1, 1] : tensor<200x64xf32> to tensor<128x64xf32>
      %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%in : tensor<128x64xf32>) outs(%out : tensor<128x64xf32>) {
      ^bb0(%a: f32, %o: f32):
        %s = math.exp %a : f32
        linalg.yield %s : f32
      } -> tensor<128x64xf32>
      %ins = tensor.insert_slice %g into %acc[%i, 0] [128, 64] [1, 1] : tensor<128x64xf32> into tensor<200x64xf32>
      scf.yield %ins : tensor<200x64xf32>
    }
    %r2 = scf.for %i = %c128 to %c200 step %c128 iter_args(%acc = %r) -> (tensor<200x64xf32>) {
      %in = tensor.extract_slice %x[128, 0] [72, 64] [1, 1] : tensor<200x64xf32> to tensor<72x64xf32>
      %out = tensor.extract_slice %acc[128, 0] [72, 64] [1, 1] : tensor<200x64xf32> to tensor<72x64xf32>
      %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%in : tensor<72x64xf32>) outs(%out : tensor<72x64xf32>) {
      ^bb0(%a: f32, %o: f32):
        %s = math.exp %a : f32
        linalg.yield %s : f32
      } -> tensor<72x64xf32>
      %ins = tensor.insert_slice %g into %acc[128, 0] [72, 64] [1, 1] : tensor<72x64xf32> into tensor<200x64xf32>
      scf.yield %ins : tensor<200x64xf32>
    }
    return %r2 : tensor<200x64xf32>
  }
}

// -----

// Constants become HBM globals; two results become two out-params named
// output0/output1; default input names.
// CHECK: memref.global "private" constant @{{.*}} : memref<4x8xf32, #trn.mem<hbm>> = dense<2.000000e+00>
// CHECK-LABEL: func.func @two_results(
// CHECK-SAME: {trn.kind = "input", trn.name = "input0"}
// CHECK-SAME: {trn.kind = "output", trn.name = "output0"}
// CHECK-SAME: {trn.kind = "output", trn.name = "output1"})
// CHECK: memref.get_global
// CHECK-NOT: memref.copy
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @two_results(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
    %c = arith.constant dense<2.0> : tensor<4x8xf32>
    %e = tensor.empty() : tensor<4x8xf32>
    %a = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %c : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %s = arith.mulf %p, %q : f32
      linalg.yield %s : f32
    } -> tensor<4x8xf32>
    %e2 = tensor.empty() : tensor<4x8xf32>
    %b = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
    ^bb0(%p: f32, %o: f32):
      %s = math.exp %p : f32
      linalg.yield %s : f32
    } -> tensor<4x8xf32>
    return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
  }
}
