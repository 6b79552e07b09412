// RUN: trn-opt --trn-tile --split-input-file %s | FileCheck %s
// GEMM blocking (MatmulBlocking.h, docs/scheduling.md): a standalone
// zero-initialised device-form matmul returned directly gets a
// `trnc.matmul_plan` and stays untiled (trn-lower-to-trn emits its loop nest).

// Explicit block sizes: exactly this plan, f32 accumulation; no tile loops,
// and a bf16 result is not widened (the blocked lowering rounds on eviction).
// CHECK-LABEL: func.func @explicit
// CHECK-NOT: scf.for
// CHECK: linalg.matmul
// CHECK-SAME: trnc.matmul_plan = {acc = "f32", bk = 2 : i64, bm = 2 : i64, bn = 1 : i64,
// CHECK-SAME: strategy = "block-mnk"}
// CHECK-SAME: -> tensor<256x1024xbf16>
module attributes {trn.target = #trn.target<"trn1">, trnc.matmul_tiling = "block-mnk:2x1x2"} {
  func.func @explicit(%l: tensor<512x256xbf16>, %r: tensor<512x1024xbf16>) -> tensor<256x1024xbf16> {
    %e = tensor.empty() : tensor<256x1024xbf16>
    %z = arith.constant 0.0 : bf16
    %f = linalg.fill ins(%z : bf16) outs(%e : tensor<256x1024xbf16>) -> tensor<256x1024xbf16>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<512x256xbf16>, tensor<512x1024xbf16>) outs(%f : tensor<256x1024xbf16>) -> tensor<256x1024xbf16>
    return %m : tensor<256x1024xbf16>
  }
}

// -----

// The tutorial's variants by name; naive and hoist have no blocks.
// CHECK-LABEL: func.func @naive
// CHECK: trnc.matmul_plan = {acc = "f32", bk = 4 : i64, bm = 1 : i64, bn = 1 : i64,
// CHECK-SAME: strategy = "naive"}
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "naive"} {
  func.func @naive(%l: tensor<512x256xf32>, %r: tensor<512x1024xf32>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<512x256xf32>, tensor<512x1024xf32>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %m : tensor<256x1024xf32>
  }
}

// -----

// block-mn uses the tutorial's 2 x 2 blocks when they divide the shape.
// CHECK-LABEL: func.func @block_mn
// CHECK: trnc.matmul_plan = {{{.*}}bm = 2 : i64, bn = 2 : i64, {{.*}}strategy = "block-mn"}
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "block-mn"} {
  func.func @block_mn(%l: tensor<256x256xbf16>, %r: tensor<256x1024xbf16>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<256x256xbf16>, tensor<256x1024xbf16>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %m : tensor<256x1024xf32>
  }
}

// -----

// auto (the default): some plan, chosen by the cost model.
// CHECK-LABEL: func.func @auto
// CHECK-NOT: scf.for
// CHECK: trnc.matmul_plan = {{{.*}}estimated_ns = {{.*}}strategy = "{{naive|hoist|block-mn|block-mnk}}"}
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @auto(%l: tensor<256x256xbf16>, %r: tensor<256x1024xbf16>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<256x256xbf16>, tensor<256x1024xbf16>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %m : tensor<256x1024xf32>
  }
}

// -----

// Not eligible, per-tile lowering: `tile` asks for it; a fused epilogue
// (here relu) keeps the matmul in its consumer's tile loop; shapes that are
// not multiples of the 128 x 512 x 128 tiles.
// CHECK-LABEL: func.func @tile_mode
// CHECK: scf.for
// CHECK-NOT: trnc.matmul_plan
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "tile"} {
  func.func @tile_mode(%l: tensor<256x256xf32>, %r: tensor<256x1024xf32>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<256x256xf32>, tensor<256x1024xf32>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %m : tensor<256x1024xf32>
  }
}

// -----

// CHECK-LABEL: func.func @epilogue
// CHECK: scf.for
// CHECK-NOT: trnc.matmul_plan
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @epilogue(%l: tensor<256x256xf32>, %r: tensor<256x1024xf32>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<256x256xf32>, tensor<256x1024xf32>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<256x1024xf32>) outs(%e : tensor<256x1024xf32>) {
    ^bb0(%a: f32, %o: f32):
      %r0 = arith.maximumf %a, %z : f32
      linalg.yield %r0 : f32
    } -> tensor<256x1024xf32>
    return %y : tensor<256x1024xf32>
  }
}

// -----

// CHECK-LABEL: func.func @ragged
// CHECK: scf.for
// CHECK-NOT: trnc.matmul_plan
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @ragged(%l: tensor<200x300xf32>, %r: tensor<200x600xf32>) -> tensor<300x600xf32> {
    %e = tensor.empty() : tensor<300x600xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<300x600xf32>) -> tensor<300x600xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<200x300xf32>, tensor<200x600xf32>) outs(%f : tensor<300x600xf32>) -> tensor<300x600xf32>
    return %m : tensor<300x600xf32>
  }
}
