// RUN: trn-opt --trn-decompose -split-input-file %s | FileCheck %s

// A batch-1 sequence reduction ([1, T, D] over D, a layer norm's mean) drops
// its kept unit dim like the element-wise ops around it: [T, D] -> [T] with
// a fresh fill, so the partition dim is T and trn-fuse-rows sees one row
// space.
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @mean_rows(%x: tensor<1x128x256xf32>) -> tensor<1x128xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x128xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x128xf32>) -> tensor<1x128xf32>
    %s = linalg.reduce ins(%x : tensor<1x128x256xf32>) outs(%f : tensor<1x128xf32>) dimensions = [2]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    return %s : tensor<1x128xf32>
  }
}

// CHECK-LABEL: func.func @mean_rows
// CHECK:       %[[X:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<1x128x256xf32> into tensor<128x256xf32>
// CHECK:       %[[E:.+]] = tensor.empty() : tensor<128xf32>
// CHECK:       %[[F:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E]] : tensor<128xf32>)
// CHECK:       %[[R:.+]] = linalg.reduce ins(%[[X]] : tensor<128x256xf32>) outs(%[[F]] : tensor<128xf32>) dimensions = [1]
// CHECK:       tensor.expand_shape %[[R]] {{\[}}[0, 1]] output_shape [1, 128] : tensor<128xf32> into tensor<1x128xf32>

// -----

// Image-rank reductions keep their dims (global average pooling over H, W).
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @pool(%x: tensor<1x64x7x7xf32>) -> tensor<1x64xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x64xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x64xf32>) -> tensor<1x64xf32>
    %s = linalg.reduce ins(%x : tensor<1x64x7x7xf32>) outs(%f : tensor<1x64xf32>) dimensions = [2, 3]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    return %s : tensor<1x64xf32>
  }
}

// CHECK-LABEL: func.func @pool
// CHECK-NOT:   tensor.collapse_shape
// CHECK:       linalg.reduce ins(%{{.+}} : tensor<1x64x7x7xf32>) outs(%{{.+}} : tensor<1x64xf32>) dimensions = [2, 3]
