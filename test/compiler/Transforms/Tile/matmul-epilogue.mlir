// RUN: trn-opt --trn-tile %s | FileCheck %s

// relu(L^T @ R + bias[m]) with M = 200, N = 600, K = 300 on trn2: the
// element-wise consumer is tiled (M 128, N 512) and the matmul and its
// accumulator fill are fused into its loop nest with K untiled. The
// remainders (72 rows, 88 columns) are peeled into static tiles.

#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#mO = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#col = affine_map<(m, n) -> (m)>
module attributes {trn.target = #trn.target<"trn2">} {
  // CHECK-LABEL: func.func @mlp
  // CHECK: scf.for %[[M:.*]] = %c0 to %c128 step %c128
  // CHECK:   scf.for %[[N:.*]] = %c0 to %c512 step %c512
  // CHECK:     %[[E:.*]] = tensor.empty() : tensor<128x512xf32>
  // CHECK:     %[[F:.*]] = linalg.fill {{.*}} outs(%[[E]] : tensor<128x512xf32>)
  // CHECK:     %[[MM:.*]] = linalg.matmul {{.*}} ins({{.*}} : tensor<300x128xf32>, tensor<300x512xf32>) outs(%[[F]] : tensor<128x512xf32>)
  // CHECK:     linalg.generic {{.*}} ins(%[[MM]], {{.*}} : tensor<128x512xf32>, tensor<128xf32>)
  // CHECK:   scf.for {{.*}} = %c512 to %c600 step %c512
  // CHECK:     linalg.matmul {{.*}} outs({{.*}} : tensor<128x88xf32>)
  // CHECK: scf.for {{.*}} = %c128 to %c200 step %c128
  // CHECK:   linalg.matmul {{.*}} outs({{.*}} : tensor<72x512xf32>)
  // CHECK:   linalg.matmul {{.*}} outs({{.*}} : tensor<72x88xf32>)
  // CHECK-NOT: linalg.matmul
  func.func @mlp(%l: tensor<300x200xf32>, %r: tensor<300x600xf32>, %b: tensor<200xf32>) -> tensor<200x600xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<200x600xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<200x600xf32>) -> tensor<200x600xf32>
    %mm = linalg.matmul indexing_maps = [#mL, #mR, #mO] ins(%l, %r : tensor<300x200xf32>, tensor<300x600xf32>) outs(%f : tensor<200x600xf32>) -> tensor<200x600xf32>
    %e2 = tensor.empty() : tensor<200x600xf32>
    %g = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<200x600xf32>, tensor<200xf32>) outs(%e2 : tensor<200x600xf32>) {
    ^bb0(%a: f32, %c: f32, %o: f32):
      %s = arith.addf %a, %c : f32
      %m = arith.maximumf %s, %z : f32
      linalg.yield %m : f32
    } -> tensor<200x600xf32>
    return %g : tensor<200x600xf32>
  }

  // A consumer reading the matmul through a transposing map is not fused: it
  // gets its own loop nest and the matmul result stays a full tensor.
  // CHECK-LABEL: func.func @transposed_consumer
  // CHECK: %[[MM:.*]] = scf.for
  // CHECK:   linalg.matmul {{.*}} outs({{.*}} : tensor<64x32xf32>)
  // CHECK: scf.for
  // CHECK:   linalg.generic {{.*}} ins(%[[MM]] : tensor<64x32xf32>) outs({{.*}} : tensor<32x64xf32>)
  func.func @transposed_consumer(%l: tensor<16x64xf32>, %r: tensor<16x32xf32>) -> tensor<32x64xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<64x32xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x32xf32>) -> tensor<64x32xf32>
    %mm = linalg.matmul indexing_maps = [#mL, #mR, #mO] ins(%l, %r : tensor<16x64xf32>, tensor<16x32xf32>) outs(%f : tensor<64x32xf32>) -> tensor<64x32xf32>
    %e2 = tensor.empty() : tensor<32x64xf32>
    %g = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, #id], iterator_types = ["parallel", "parallel"]} ins(%mm : tensor<64x32xf32>) outs(%e2 : tensor<32x64xf32>) {
    ^bb0(%a: f32, %o: f32):
      %m = arith.maximumf %a, %z : f32
      linalg.yield %m : f32
    } -> tensor<32x64xf32>
    return %g : tensor<32x64xf32>
  }

  // Batch matmul: batch tiled by 1.
  // CHECK-LABEL: func.func @batch
  // CHECK: scf.for {{.*}} = %c0 to %c3 step %c1
  // CHECK:   linalg.batch_matmul {{.*}} outs({{.*}} : tensor<1x10x20xf32>)
  func.func @batch(%l: tensor<3x8x10xf32>, %r: tensor<3x8x20xf32>) -> tensor<3x10x20xf32> {
    %z = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<3x10x20xf32>
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<3x10x20xf32>) -> tensor<3x10x20xf32>
    %mm = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, k, m)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%l, %r : tensor<3x8x10xf32>, tensor<3x8x20xf32>) outs(%f : tensor<3x10x20xf32>) -> tensor<3x10x20xf32>
    return %mm : tensor<3x10x20xf32>
  }
}
