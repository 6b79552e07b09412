// RUN: trn-opt --trn-tile %s --split-input-file | FileCheck %s
// trn-tile plans OCP MX scaled contractions (trnc.mx_contraction, trn3) for
// the blocked GEMM lowering (MatmulBlocking.h): mode mx (K tile 512), no
// rescale; a bf16 result's truncf is marked as the blocked epilogue (the
// lowering evicts into it); a K that is not a multiple of 512 keeps the
// per-tile lowering (no plan, the contraction is tiled).

// CHECK-LABEL: func.func @mx_f32
// CHECK: linalg.generic
// CHECK-SAME: trnc.matmul_plan = {{.*}}mode = "mx"{{.*}}strategy = "block-mn"
// CHECK-SAME: trnc.mx_contraction
// CHECK-NOT: scf.for
// CHECK: return
module attributes {trn.target = #trn.target<"trn3">, trnc.matmul_tiling = "block-mn"} {
func.func @mx_f32(%l: tensor<1024x256xf8E4M3FN>, %r: tensor<1024x512xf8E4M3FN>, %ls: tensor<32x256xf8E8M0FNU>, %rs: tensor<32x512xf8E8M0FNU>) -> tensor<256x512xf32> {
  %e = tensor.empty() : tensor<256x512xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x512xf32>) -> tensor<256x512xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (k floordiv 32, m)>, affine_map<(m, n, k) -> (k floordiv 32, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%l, %r, %ls, %rs : tensor<1024x256xf8E4M3FN>, tensor<1024x512xf8E4M3FN>, tensor<32x256xf8E8M0FNU>, tensor<32x512xf8E8M0FNU>) outs(%f : tensor<256x512xf32>) attrs = {trnc.mx_contraction} {
  ^bb0(%a: f8E4M3FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
    %x = arith.scaling_extf %a, %sa : f8E4M3FN, f8E8M0FNU to f32
    %y = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x512xf32>
  return %m : tensor<256x512xf32>
}
}

// -----

// CHECK-LABEL: func.func @mx_bf16
// CHECK: trnc.matmul_plan = {{.*}}mode = "mx", output = "convert"
// CHECK: linalg.generic
// CHECK-SAME: trnc.blocked_epilogue
// CHECK-NOT: scf.for
module attributes {trn.target = #trn.target<"trn3">} {
func.func @mx_bf16(%l: tensor<1024x256xf8E4M3FN>, %r: tensor<1024x512xf8E4M3FN>, %ls: tensor<32x256xf8E8M0FNU>, %rs: tensor<32x512xf8E8M0FNU>) -> tensor<256x512xbf16> {
  %e = tensor.empty() : tensor<256x512xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x512xf32>) -> tensor<256x512xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (k floordiv 32, m)>, affine_map<(m, n, k) -> (k floordiv 32, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%l, %r, %ls, %rs : tensor<1024x256xf8E4M3FN>, tensor<1024x512xf8E4M3FN>, tensor<32x256xf8E8M0FNU>, tensor<32x512xf8E8M0FNU>) outs(%f : tensor<256x512xf32>) attrs = {trnc.mx_contraction} {
  ^bb0(%a: f8E4M3FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
    %x = arith.scaling_extf %a, %sa : f8E4M3FN, f8E8M0FNU to f32
    %y = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x512xf32>
  %e2 = tensor.empty() : tensor<256x512xbf16>
  %c = linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<256x512xf32>) outs(%e2 : tensor<256x512xbf16>) {
  ^bb0(%i: f32, %o: bf16):
    %t = arith.truncf %i : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<256x512xbf16>
  return %c : tensor<256x512xbf16>
}
}

// -----

// MXFP4 stationary codes x MXFP8 moving codes: one plan (FP4 columns are
// half a byte in the cost model).
// CHECK-LABEL: func.func @mx_fp4
// CHECK: trnc.matmul_plan = {{.*}}bk = 2 : i64, bm = 2 : i64, bn = 1 : i64{{.*}}mode = "mx"{{.*}}strategy = "block-mnk"
module attributes {trn.target = #trn.target<"trn3">, trnc.matmul_tiling = "block-mnk:2x1x2"} {
func.func @mx_fp4(%l: tensor<1024x256xf4E2M1FN>, %r: tensor<1024x512xf8E4M3FN>, %ls: tensor<32x256xf8E8M0FNU>, %rs: tensor<32x512xf8E8M0FNU>) -> tensor<256x512xf32> {
  %e = tensor.empty() : tensor<256x512xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x512xf32>) -> tensor<256x512xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (k floordiv 32, m)>, affine_map<(m, n, k) -> (k floordiv 32, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%l, %r, %ls, %rs : tensor<1024x256xf4E2M1FN>, tensor<1024x512xf8E4M3FN>, tensor<32x256xf8E8M0FNU>, tensor<32x512xf8E8M0FNU>) outs(%f : tensor<256x512xf32>) attrs = {trnc.mx_contraction} {
  ^bb0(%a: f4E2M1FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
    %x = arith.scaling_extf %a, %sa : f4E2M1FN, f8E8M0FNU to f32
    %y = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x512xf32>
  return %m : tensor<256x512xf32>
}
}

// -----

// K = 640: not a multiple of 512, per-tile lowering (tiled, no plan).
// CHECK-LABEL: func.func @mx_ragged_k
// CHECK-NOT: trnc.matmul_plan
// CHECK: scf.for
// CHECK: trnc.mx_contraction
module attributes {trn.target = #trn.target<"trn3">} {
func.func @mx_ragged_k(%l: tensor<640x256xf8E4M3FN>, %r: tensor<640x512xf8E4M3FN>, %ls: tensor<20x256xf8E8M0FNU>, %rs: tensor<20x512xf8E8M0FNU>) -> tensor<256x512xf32> {
  %e = tensor.empty() : tensor<256x512xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x512xf32>) -> tensor<256x512xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (k floordiv 32, m)>, affine_map<(m, n, k) -> (k floordiv 32, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%l, %r, %ls, %rs : tensor<640x256xf8E4M3FN>, tensor<640x512xf8E4M3FN>, tensor<20x256xf8E8M0FNU>, tensor<20x512xf8E8M0FNU>) outs(%f : tensor<256x512xf32>) attrs = {trnc.mx_contraction} {
  ^bb0(%a: f8E4M3FN, %b: f8E4M3FN, %sa: f8E8M0FNU, %sb: f8E8M0FNU, %o: f32):
    %x = arith.scaling_extf %a, %sa : f8E4M3FN, f8E8M0FNU to f32
    %y = arith.scaling_extf %b, %sb : f8E4M3FN, f8E8M0FNU to f32
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x512xf32>
  return %m : tensor<256x512xf32>
}
}
