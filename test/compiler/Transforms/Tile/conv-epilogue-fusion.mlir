// RUN: trn-opt --trn-decompose --trn-layout --trn-tile %s | FileCheck %s

// A basic block's second conv: relu(conv(x) + bias + residual). trn-decompose
// runs the epilogue on the conv's [F, OH*OW] form (docs/passes/trn-decompose.md),
// so trn-tile fuses bias, residual add and ReLU into the tap chain's
// eviction: ONE (M, N) loop nest (N = 21 whole rows of OW = 24 per tile, then a 3-row tail) whose
// body holds the fresh accumulator fill, the taps, the eviction and the
// three epilogue generics; the result is written through the loop's
// [F, OH*OW] iter_arg and expanded to NCHW once. The conv's 4-D fill is
// dead (the evictions overwrite its only view) and dropped.
// CHECK-LABEL: func.func @block
// CHECK-NOT:   linalg.fill {{.*}} tensor<1x8x24x24xf32>
// CHECK:       %[[RES:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2, 3]] : tensor<1x8x24x24xf32> into tensor<8x576xf32>
// CHECK:       %[[OUT:.*]] = scf.for {{.*}} -> (tensor<8x576xf32>) {
// CHECK:         scf.for {{.*}} -> (tensor<8x576xf32>) {
// CHECK:           linalg.fill {{.*}} -> tensor<8x504xf32>
// CHECK:           linalg.matmul
// CHECK:           %[[EV:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<8x504xf32>)
// CHECK:           %[[B:.*]] = linalg.generic {{.*}} ins(%[[EV]], %{{.*}} : tensor<8x504xf32>, tensor<8xf32>)
// CHECK:           %[[R:.*]] = tensor.extract_slice %[[RES]]
// CHECK:           %[[ADD:.*]] = linalg.generic {{.*}} ins(%[[B]], %[[R]] : tensor<8x504xf32>, tensor<8x504xf32>)
// CHECK:           linalg.generic {{.*}} ins(%[[ADD]] : tensor<8x504xf32>)
// CHECK:             arith.maximumf
// CHECK:           tensor.insert_slice
// The 3-row tail tile: the same body on [8, 72].
// CHECK:         scf.for %{{.*}} = %c504 to %c576
// CHECK:           linalg.matmul {{.*}} -> tensor<8x72xf32>
// CHECK-COUNT-4:   linalg.generic {{.*}} outs(%{{.*}} : tensor<8x72xf32>)
// CHECK:           tensor.insert_slice
// CHECK-NOT:   linalg.generic
// CHECK:       %[[NCHW:.*]] = tensor.expand_shape {{.*}} {{\[}}[0, 1], [2, 3]] output_shape [1, 8, 24, 24] : tensor<8x576xf32> into tensor<1x8x24x24xf32>
// CHECK:       return %[[NCHW]]
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#ch = affine_map<(n, c, h, w) -> (c)>
module attributes {trn.target = #trn.target<"trn2">} {
func.func @block(%x: tensor<1x8x24x24xf32>, %r: tensor<1x8x24x24xf32>) -> tensor<1x8x24x24xf32> {
  %c0 = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x8x3x3xf32>
  %b = arith.constant dense<0.25> : tensor<8xf32>
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %c0 : f32
  } : tensor<1x8x24x24xf32> to tensor<1x8x26x26xf32>
  %e = tensor.empty() : tensor<1x8x24x24xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<1x8x24x24xf32>) -> tensor<1x8x24x24xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%xp, %w : tensor<1x8x26x26xf32>, tensor<8x8x3x3xf32>) outs(%z : tensor<1x8x24x24xf32>) -> tensor<1x8x24x24xf32>
  %yb = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
          ins(%y, %b : tensor<1x8x24x24xf32>, tensor<8xf32>) outs(%e : tensor<1x8x24x24xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<1x8x24x24xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
          ins(%yb, %r : tensor<1x8x24x24xf32>, tensor<1x8x24x24xf32>) outs(%e : tensor<1x8x24x24xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<1x8x24x24xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
          ins(%sum : tensor<1x8x24x24xf32>) outs(%e : tensor<1x8x24x24xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %c0 : f32
    linalg.yield %m : f32
  } -> tensor<1x8x24x24xf32>
  return %relu : tensor<1x8x24x24xf32>
}
}
