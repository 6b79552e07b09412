// RUN: trn-opt --trn-tile %s | FileCheck %s

// Named element-wise ops (linalg.map, linalg.exp) are generalized and fused.
// CHECK-LABEL: func.func @f
// CHECK-NOT: linalg.map
// CHECK: scf.for
// CHECK:   %[[A:.*]] = linalg.generic
// CHECK:     arith.addf
// CHECK:   linalg.generic {{.*}} ins(%[[A]] : tensor<30x20xf32>)
// CHECK:     math.exp
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @f(%x: tensor<30x20xf32>, %y: tensor<30x20xf32>) -> tensor<30x20xf32> {
    %e = tensor.empty() : tensor<30x20xf32>
    %m = linalg.map { arith.addf } ins(%x, %y : tensor<30x20xf32>, tensor<30x20xf32>) outs(%e : tensor<30x20xf32>)
    %n = linalg.exp ins(%m : tensor<30x20xf32>) outs(%e : tensor<30x20xf32>) -> tensor<30x20xf32>
    return %n : tensor<30x20xf32>
  }
}
