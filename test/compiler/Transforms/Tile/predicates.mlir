// RUN: trn-opt --trn-tile -split-input-file -verify-diagnostics %s | FileCheck %s

// An i1 comparison tensor feeding a select becomes an f32 0.0/1.0 tensor
// tested with `!= 0`, and is fused into the select's loop (same map, one use).
// CHECK-LABEL: func.func @select
// CHECK: scf.for
// CHECK:   %[[P:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<50x20xf32>)
// CHECK:     %[[C:.*]] = arith.cmpf ogt
// CHECK:     %[[F:.*]] = arith.select %[[C]], %{{.*}}, %{{.*}} : f32
// CHECK:     linalg.yield %[[F]] : f32
// CHECK:   linalg.generic {{.*}} ins(%[[P]], %{{.*}}, %{{.*}} : tensor<50x20xf32>, tensor<50x20xf32>, tensor<50x20xf32>)
// CHECK:   ^bb0(%[[A:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:     %[[T:.*]] = arith.cmpf une, %[[A]], %{{.*}} : f32
// CHECK:     arith.select %[[T]]
// CHECK-NOT: i1>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @select(%a: tensor<50x20xf32>, %b: tensor<50x20xf32>) -> tensor<50x20xf32> {
    %e1 = tensor.empty() : tensor<50x20xi1>
    %c = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a, %b : tensor<50x20xf32>, tensor<50x20xf32>) outs(%e1 : tensor<50x20xi1>) {
    ^bb0(%x: f32, %y: f32, %o: i1):
      %t = arith.cmpf ogt, %x, %y : f32
      linalg.yield %t : i1
    } -> tensor<50x20xi1>
    %e2 = tensor.empty() : tensor<50x20xf32>
    %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%c, %a, %b : tensor<50x20xi1>, tensor<50x20xf32>, tensor<50x20xf32>) outs(%e2 : tensor<50x20xf32>) {
    ^bb0(%p: i1, %x: f32, %y: f32, %o: f32):
      %r = arith.select %p, %x, %y : f32
      linalg.yield %r : f32
    } -> tensor<50x20xf32>
    return %s : tensor<50x20xf32>
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @returned(%a: tensor<4xf32>) -> tensor<4xi1> {
    %e = tensor.empty() : tensor<4xi1>
    %c = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a : tensor<4xf32>) outs(%e : tensor<4xi1>) {
    ^bb0(%x: f32, %o: i1):
      %z = arith.constant 0.0 : f32
      %t = arith.cmpf ogt, %x, %z : f32
      linalg.yield %t : i1
    } -> tensor<4xi1>
    // expected-error @+1 {{'func.return' op uses an i1 tensor; trnc supports i1 tensors only as inputs of element-wise operations}}
    return %c : tensor<4xi1>
  }
}
