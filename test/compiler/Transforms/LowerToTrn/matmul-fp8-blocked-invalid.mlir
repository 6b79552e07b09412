// RUN: trn-opt --trn-lower-to-trn -split-input-file -verify-diagnostics %s
// A blocked quantized GEMM whose plan names a rescale needs its in-place
// epilogue (`trnc.blocked_epilogue`, created by trn-tile) on the result
// buffer: without it the lowering stops with a diagnostic.

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @missing_epilogue(%l: memref<256x128xf8E4M3FN, #trn.mem<hbm>>, %r: memref<256x512xf8E4M3FN, #trn.mem<hbm>>, %c: memref<128x512xf32, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : f32
    linalg.fill ins(%z : f32) outs(%c : memref<128x512xf32, #trn.mem<hbm>>)
    // expected-error @below {{blocked quantized matmul: its in-place rescale epilogue ('trnc.blocked_epilogue') on the result buffer is missing}}
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] {trnc.matmul_plan = {acc = "f32", bk = 1 : i64, bm = 1 : i64, bn = 1 : i64, mode = "fp8_double_row", rescale = "tensor", strategy = "naive"}} ins(%l, %r : memref<256x128xf8E4M3FN, #trn.mem<hbm>>, memref<256x512xf8E4M3FN, #trn.mem<hbm>>) outs(%c : memref<128x512xf32, #trn.mem<hbm>>)
    return
  }
}

// -----

// An immediate rescale without its scale value.
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @no_scale(%l: memref<256x128xf8E4M3FN, #trn.mem<hbm>>, %r: memref<256x512xf8E4M3FN, #trn.mem<hbm>>, %c: memref<128x512xf32, #trn.mem<hbm>>) {
    %z = arith.constant 0.0 : f32
    linalg.fill ins(%z : f32) outs(%c : memref<128x512xf32, #trn.mem<hbm>>)
    // expected-error @below {{has a malformed trnc.matmul_plan rescale}}
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] {trnc.matmul_plan = {acc = "f32", bk = 1 : i64, bm = 1 : i64, bn = 1 : i64, rescale = "immediate", strategy = "naive"}} ins(%l, %r : memref<256x128xf8E4M3FN, #trn.mem<hbm>>, memref<256x512xf8E4M3FN, #trn.mem<hbm>>) outs(%c : memref<128x512xf32, #trn.mem<hbm>>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%c : memref<128x512xf32, #trn.mem<hbm>>) attrs = {trnc.blocked_epilogue} {
    ^bb0(%o: f32):
      %s = arith.constant 2.0 : f32
      %m = arith.mulf %o, %s : f32
      linalg.yield %m : f32
    }
    return
  }
}
