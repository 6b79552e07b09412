// RUN: trn-opt --trn-bufferize -split-input-file %s | FileCheck %s

// A tiled convolution's [F, OH*OW] result reshaped into its NCHW destination:
// the tile loop writes the destination in place through a collapse_shape view
// (no [F, OH*OW] scratch, no full-size HBM -> HBM copy at the end).
// CHECK-LABEL: func.func @conv_out(
// CHECK-SAME: %[[X:.*]]: memref<8x40xf32, #trn.mem<hbm>> {{.*}}, %[[Y:.*]]: memref<1x8x4x10xf32, #trn.mem<hbm>>
// CHECK: %[[V:.*]] = memref.collapse_shape %[[Y]] {{\[\[}}0, 1], [2, 3]] : memref<1x8x4x10xf32, #trn.mem<hbm>> into memref<8x40xf32, #trn.mem<hbm>>
// CHECK: scf.for
// CHECK:   memref.subview %[[V]]
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: return
#id = affine_map<(a, b) -> (a, b)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @conv_out(%x: tensor<8x40xf32>) -> tensor<1x8x4x10xf32> {
    %c0 = arith.constant 0 : index
    %c40 = arith.constant 40 : index
    %c20 = arith.constant 20 : index
    %e = tensor.empty() : tensor<8x40xf32>
    %r = scf.for %i = %c0 to %c40 step %c20 iter_args(%acc = %e) -> (tensor<8x40xf32>) {
      %xs = tensor.extract_slice %x[0, %i] [8, 20] [1, 1] : tensor<8x40xf32> to tensor<8x20xf32>
      %os = tensor.extract_slice %acc[0, %i] [8, 20] [1, 1] : tensor<8x40xf32> to tensor<8x20xf32>
      %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%xs : tensor<8x20xf32>) outs(%os : tensor<8x20xf32>) {
      ^bb0(%a: f32, %b: f32):
        %v = arith.negf %a : f32
        linalg.yield %v : f32
      } -> tensor<8x20xf32>
      %ins = tensor.insert_slice %g into %acc[0, %i] [8, 20] [1, 1] : tensor<8x20xf32> into tensor<8x40xf32>
      scf.yield %ins : tensor<8x40xf32>
    }
    %d = tensor.empty() : tensor<1x8x4x10xf32>
    %ex = tensor.expand_shape %r [[0], [1, 2]] output_shape [8, 4, 10] : tensor<8x40xf32> into tensor<8x4x10xf32>
    %out = tensor.insert_slice %ex into %d[0, 0, 0, 0] [1, 8, 4, 10] [1, 1, 1, 1] : tensor<8x4x10xf32> into tensor<1x8x4x10xf32>
    return %out : tensor<1x8x4x10xf32>
  }
}

// -----

// Two images: each copy writes only part of the destination, which keeps the
// scratch and the copies.
// CHECK-LABEL: func.func @two_images(
// CHECK: memref.alloc() {{.*}} : memref<8x40xf32, #trn.mem<hbm>>
// CHECK: memref.copy
#id = affine_map<(a, b) -> (a, b)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @two_images(%x: tensor<8x40xf32>) -> tensor<2x8x4x10xf32> {
    %e = tensor.empty() : tensor<8x40xf32>
    %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<8x40xf32>) outs(%e : tensor<8x40xf32>) {
    ^bb0(%a: f32, %b: f32):
      %v = arith.negf %a : f32
      linalg.yield %v : f32
    } -> tensor<8x40xf32>
    %d = tensor.empty() : tensor<2x8x4x10xf32>
    %ex = tensor.expand_shape %g [[0], [1, 2]] output_shape [8, 4, 10] : tensor<8x40xf32> into tensor<8x4x10xf32>
    %o0 = tensor.insert_slice %ex into %d[0, 0, 0, 0] [1, 8, 4, 10] [1, 1, 1, 1] : tensor<8x4x10xf32> into tensor<2x8x4x10xf32>
    %o1 = tensor.insert_slice %ex into %o0[1, 0, 0, 0] [1, 8, 4, 10] [1, 1, 1, 1] : tensor<8x4x10xf32> into tensor<2x8x4x10xf32>
    return %o1 : tensor<2x8x4x10xf32>
  }
}
