// RUN: trn-opt --trn-fuse-rows -split-input-file %s | FileCheck %s

// Layer norm over the last dim of [300, 96] with a weight: one row loop
// (128-row tiles: 0..256 and a peeled 44-row tile); the weight only varies
// along K and is read whole; the centred value feeds both the square and the
// output, so it stays a tile.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @layer_norm(%x: tensor<300x96xf32>, %w: tensor<96xf32>) -> tensor<300x96xf32> {
    %zero = arith.constant 0.0 : f32
    %n = arith.constant 96.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %e0 = tensor.empty() : tensor<300xf32>
    %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<300xf32>) -> tensor<300xf32>
    %s = linalg.reduce ins(%x : tensor<300x96xf32>) outs(%f0 : tensor<300xf32>) dimensions = [1]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    %e1 = tensor.empty() : tensor<300x96xf32>
    %xc = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %s : tensor<300x96xf32>, tensor<300xf32>) outs(%e1 : tensor<300x96xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.divf %b, %n : f32
      %d = arith.subf %a, %m : f32
      linalg.yield %d : f32
    } -> tensor<300x96xf32>
    %e2 = tensor.empty() : tensor<300x96xf32>
    %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%xc : tensor<300x96xf32>) outs(%e2 : tensor<300x96xf32>) {
    ^bb0(%a: f32, %o: f32):
      %q = arith.mulf %a, %a : f32
      linalg.yield %q : f32
    } -> tensor<300x96xf32>
    %e3 = tensor.empty() : tensor<300xf32>
    %f3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<300xf32>) -> tensor<300xf32>
    %v = linalg.reduce ins(%sq : tensor<300x96xf32>) outs(%f3 : tensor<300xf32>) dimensions = [1]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    %e4 = tensor.empty() : tensor<300x96xf32>
    %y = linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%xc, %v, %w : tensor<300x96xf32>, tensor<300xf32>, tensor<96xf32>) outs(%e4 : tensor<300x96xf32>) {
    ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
      %m = arith.divf %b, %n : f32
      %p = arith.addf %m, %eps : f32
      %r = math.rsqrt %p : f32
      %t = arith.mulf %a, %r : f32
      %u = arith.mulf %t, %c : f32
      linalg.yield %u : f32
    } -> tensor<300x96xf32>
    return %y : tensor<300x96xf32>
  }
}

// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME:    (%[[X:[a-z0-9_]+]]: tensor<300x96xf32>, %[[W:[a-z0-9_]+]]: tensor<96xf32>)
// CHECK:       %[[MAIN:[a-z0-9_]+]] = scf.for %[[P:[a-z0-9_]+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[A:[a-z0-9_]+]] =
// CHECK:         %[[XS:[a-z0-9_]+]] = tensor.extract_slice %[[X]][%[[P]], 0] [128, 96] [1, 1]
// CHECK:         %[[XT:[a-z0-9_]+]] = linalg.copy ins(%[[XS]]
// CHECK:         %[[S:[a-z0-9_]+]] = linalg.reduce ins(%[[XT]] : tensor<128x96xf32>)
// CHECK:         %[[XC:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[XT]], %[[S]] : tensor<128x96xf32>, tensor<128xf32>)
// CHECK:         %[[SQ:[a-z0-9_]+]] = linalg.generic {{.+}} ins(%[[XC]] : tensor<128x96xf32>)
// CHECK:         %[[V:[a-z0-9_]+]] = linalg.reduce ins(%[[SQ]] : tensor<128x96xf32>)
// CHECK:         linalg.generic {{.+}} ins(%[[XC]], %[[V]], %[[W]] : tensor<128x96xf32>, tensor<128xf32>, tensor<96xf32>)
// CHECK:         tensor.insert_slice {{.+}} into %[[A]][%[[P]], 0] [128, 96] [1, 1]
// CHECK:       scf.for {{.+}} iter_args(%{{.+}} = %[[MAIN]])
// CHECK:         tensor.extract_slice %[[X]][%{{.+}}, 0] [44, 96] [1, 1]

// -----

// Softmax whose division trn-layout re-created transposed (its consumer is a
// batch_matmul reading the probabilities with K on partitions): the division
// is a sink computed in row order and transposed on chip before its store.
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#tr = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
#trrow = affine_map<(d0, d1, d2) -> (d0, d2)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @softmax_transposed(%x: tensor<2x128x64xf32>) -> tensor<2x64x128xf32> {
    %ninf = arith.constant 0xFF800000 : f32
    %zero = arith.constant 0.0 : f32
    %e0 = tensor.empty() : tensor<2x128xf32>
    %f0 = linalg.fill ins(%ninf : f32) outs(%e0 : tensor<2x128xf32>) -> tensor<2x128xf32>
    %m = linalg.reduce ins(%x : tensor<2x128x64xf32>) outs(%f0 : tensor<2x128xf32>) dimensions = [2]
      (%in: f32, %acc: f32) {
        %r = arith.maximumf %in, %acc : f32
        linalg.yield %r : f32
      }
    %e1 = tensor.empty() : tensor<2x128x64xf32>
    %ex = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %m : tensor<2x128x64xf32>, tensor<2x128xf32>) outs(%e1 : tensor<2x128x64xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %d = arith.subf %a, %b : f32
      %e = math.exp %d : f32
      linalg.yield %e : f32
    } -> tensor<2x128x64xf32>
    %e2 = tensor.empty() : tensor<2x128xf32>
    %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x128xf32>) -> tensor<2x128xf32>
    %s = linalg.reduce ins(%ex : tensor<2x128x64xf32>) outs(%f2 : tensor<2x128xf32>) dimensions = [2]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    %e3 = tensor.empty() : tensor<2x64x128xf32>
    %y = linalg.generic {indexing_maps = [#tr, #trrow, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ex, %s : tensor<2x128x64xf32>, tensor<2x128xf32>) outs(%e3 : tensor<2x64x128xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %q = arith.divf %a, %b : f32
      linalg.yield %q : f32
    } -> tensor<2x64x128xf32>
    return %y : tensor<2x64x128xf32>
  }
}

// CHECK-LABEL: func.func @softmax_transposed
// CHECK:       scf.for %[[H:[a-z0-9_]+]] =
// CHECK:         scf.for %[[P:[a-z0-9_]+]] = {{.+}} iter_args(%[[B:[a-z0-9_]+]] =
// CHECK:           math.exp
// CHECK:           %[[Y:[a-z0-9_]+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<128x64xf32>)
// CHECK-NEXT:        ^bb0
// CHECK-NEXT:          arith.divf
// CHECK:           %[[D:[a-z0-9_]+]] = tensor.extract_slice %[[B]][%[[H]], 0, %[[P]]] [1, 64, 128] [1, 1, 1] : tensor<2x64x128xf32> to tensor<64x128xf32>
// CHECK:           %[[T:[a-z0-9_]+]] = linalg.transpose ins(%[[Y]] : tensor<128x64xf32>) outs(%[[D]] : tensor<64x128xf32>) permutation = [1, 0]
// CHECK:           tensor.insert_slice %[[T]] into %[[B]][%[[H]], 0, %[[P]]] [1, 64, 128] [1, 1, 1]

// -----

// Not fused: a row of 4096 f32 (16 KiB) exceeds the free budget per operand
// (SBUF/16 = 12 KiB on trn2).
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @too_long(%x: tensor<128x4096xf32>) -> tensor<128x4096xf32> {
    %zero = arith.constant 0.0 : f32
    %e0 = tensor.empty() : tensor<128xf32>
    %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<128xf32>) -> tensor<128xf32>
    %s = linalg.reduce ins(%x : tensor<128x4096xf32>) outs(%f0 : tensor<128xf32>) dimensions = [1]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    %e1 = tensor.empty() : tensor<128x4096xf32>
    %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %s : tensor<128x4096xf32>, tensor<128xf32>) outs(%e1 : tensor<128x4096xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %d = arith.divf %a, %b : f32
      linalg.yield %d : f32
    } -> tensor<128x4096xf32>
    return %y : tensor<128x4096xf32>
  }
}

// CHECK-LABEL: func.func @too_long
// CHECK-NOT:   scf.for
// CHECK:       linalg.reduce ins(%{{.+}} : tensor<128x4096xf32>)
// CHECK:       return

// -----

// Not fused: the statistic is read (returned) by an op outside the chain
// before its element-wise reader; the loop would have to sit after that op.
// Reductions over other dims than the last are not members either.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @sealed(%x: tensor<64x32xf32>) -> (tensor<64xf32>, tensor<64x32xf32>, tensor<32xf32>) {
    %zero = arith.constant 0.0 : f32
    %e0 = tensor.empty() : tensor<64xf32>
    %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<64xf32>) -> tensor<64xf32>
    %s = linalg.reduce ins(%x : tensor<64x32xf32>) outs(%f0 : tensor<64xf32>) dimensions = [1]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    %sc = tensor.expand_shape %s [[0, 1]] output_shape [64, 1] : tensor<64xf32> into tensor<64x1xf32>
    %s2 = tensor.collapse_shape %sc [[0, 1]] : tensor<64x1xf32> into tensor<64xf32>
    %e1 = tensor.empty() : tensor<64x32xf32>
    %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %s : tensor<64x32xf32>, tensor<64xf32>) outs(%e1 : tensor<64x32xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %d = arith.subf %a, %b : f32
      linalg.yield %d : f32
    } -> tensor<64x32xf32>
    %e2 = tensor.empty() : tensor<32xf32>
    %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<32xf32>) -> tensor<32xf32>
    %c = linalg.reduce ins(%y : tensor<64x32xf32>) outs(%f2 : tensor<32xf32>) dimensions = [0]
      (%in: f32, %acc: f32) {
        %r = arith.addf %in, %acc : f32
        linalg.yield %r : f32
      }
    return %s2, %y, %c : tensor<64xf32>, tensor<64x32xf32>, tensor<32xf32>
  }
}

// CHECK-LABEL: func.func @sealed
// CHECK-NOT:   scf.for
// CHECK:       return
