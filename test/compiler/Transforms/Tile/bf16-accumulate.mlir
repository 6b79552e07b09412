// RUN: trn-opt --trn-tile %s | FileCheck %s

// A bf16 matmul accumulates into an f32 tile (PSUM) and is rounded once by a
// fused element-wise truncf, which the bias epilogue then consumes.
// CHECK-LABEL: func.func @bf16
// CHECK: scf.for
// CHECK:   %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<64x32xf32>)
// CHECK:   %[[MM:.*]] = linalg.matmul {{.*}} ins(%{{.*}}, %{{.*}} : tensor<16x64xbf16>, tensor<16x32xbf16>) outs(%[[F]] : tensor<64x32xf32>)
// CHECK:   %[[T:.*]] = linalg.generic {{.*}} ins(%[[MM]] : tensor<64x32xf32>) outs(%{{.*}} : tensor<64x32xbf16>)
// CHECK:     arith.truncf %{{.*}} : f32 to bf16
// CHECK:   linalg.generic {{.*}} ins(%[[T]], %{{.*}} : tensor<64x32xbf16>, tensor<64xbf16>)
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @bf16(%l: tensor<16x64xbf16>, %r: tensor<16x32xbf16>, %b: tensor<64xbf16>) -> tensor<64x32xbf16> {
    %z = arith.constant 0.0 : bf16
    %e = tensor.empty() : tensor<64x32xbf16>
    %f = linalg.fill ins(%z : bf16) outs(%e : tensor<64x32xbf16>) -> tensor<64x32xbf16>
    %mm = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<16x64xbf16>, tensor<16x32xbf16>) outs(%f : tensor<64x32xbf16>) -> tensor<64x32xbf16>
    %g = linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m)>, affine_map<(m, n) -> (m, n)>], iterator_types = ["parallel", "parallel"]} ins(%mm, %b : tensor<64x32xbf16>, tensor<64xbf16>) outs(%e : tensor<64x32xbf16>) {
    ^bb0(%a: bf16, %c: bf16, %o: bf16):
      %s = arith.addf %a, %c : bf16
      linalg.yield %s : bf16
    } -> tensor<64x32xbf16>
    return %g : tensor<64x32xbf16>
  }
}
