// RUN: trn-opt --trn-tile --split-input-file %s | FileCheck %s
// Quantized GEMMs (trn-quantize's tensor form) through the GEMM blocking
// (MatmulBlocking.h): an FP8 x FP8 matmul whose only user is its rescale
// generic gets a plan in the FP8 double-row mode (trn2/trn3), the rescale is
// split into a scale (a rank-0 / [M] tensor computed from its factors, or an
// immediate) and an in-place epilogue marked `trnc.blocked_epilogue`, and
// nothing is tiled.


// Dynamic scales (rank-0 device amax tensors): the scale tensor is one
// rank-0 generic with the factor computations; the matmul writes C's dtype.
// CHECK-LABEL: func.func @dynamic
// CHECK-NOT: scf.for
// CHECK: %[[S:.*]] = linalg.generic {{.*}}iterator_types = []} ins(%{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>) outs(%{{.*}} : tensor<f32>)
// CHECK: arith.divf
// CHECK: %[[MM:.*]] = linalg.matmul {{.*}}trnc.matmul_plan = {{{.*}}mode = "fp8_double_row", rescale = "tensor"
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<512x256xf8E4M3FN>, tensor<512x1024xf8E5M2>) outs(%{{.*}} : tensor<256x1024xbf16>)
// CHECK: %[[E:.*]] = linalg.generic {{.*}}ins(%[[S]] : tensor<f32>) outs(%[[MM]] : tensor<256x1024xbf16>) attrs = {trnc.blocked_epilogue}
// CHECK: arith.extf
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.truncf {{.*}} to bf16
// CHECK: return %[[E]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#s0 = affine_map<(d0, d1) -> ()>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @dynamic(%l: tensor<512x256xf8E4M3FN>, %r: tensor<512x1024xf8E5M2>, %al: tensor<f32>, %ar: tensor<f32>) -> tensor<256x1024xbf16> {
    %e = tensor.empty() : tensor<256x1024xbf16>
    %z = arith.constant 0.0 : bf16
    %f = linalg.fill ins(%z : bf16) outs(%e : tensor<256x1024xbf16>) -> tensor<256x1024xbf16>
    %q = linalg.matmul indexing_maps = [#mL, #mR, #mC] ins(%l, %r : tensor<512x256xf8E4M3FN>, tensor<512x1024xf8E5M2>) outs(%f : tensor<256x1024xbf16>) -> tensor<256x1024xbf16>
    %o = tensor.empty() : tensor<256x1024xbf16>
    %y = linalg.generic {indexing_maps = [#id, #s0, #s0, #id], iterator_types = ["parallel", "parallel"]} ins(%q, %al, %ar : tensor<256x1024xbf16>, tensor<f32>, tensor<f32>) outs(%o : tensor<256x1024xbf16>) {
    ^bb0(%c: bf16, %a: f32, %b: f32, %out: bf16):
      %k = arith.constant 4.480000e+02 : f32
      %sa = arith.divf %a, %k : f32
      %sb = arith.divf %b, %k : f32
      %c32 = arith.extf %c : bf16 to f32
      %t = arith.mulf %c32, %sa : f32
      %u = arith.mulf %t, %sb : f32
      %v = arith.truncf %u : f32 to bf16
      linalg.yield %v : bf16
    } -> tensor<256x1024xbf16>
    return %y : tensor<256x1024xbf16>
  }
}

// -----

// Constant factors (calibrated activations, per-tensor weights): one
// immediate, stored in the plan; the epilogue has no inputs.
// CHECK-LABEL: func.func @immediate
// CHECK: %[[C:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: linalg.matmul {{.*}}rescale = "immediate", sbuf_bytes = {{.*}}, scale = 2.500000e-01 : f32
// CHECK: linalg.generic {{.*}}outs(%{{.*}} : tensor<256x1024xf32>) attrs = {trnc.blocked_epilogue}
// CHECK: arith.mulf %{{.*}}, %[[C]] : f32
#id = affine_map<(d0, d1) -> (d0, d1)>
#s0 = affine_map<(d0, d1) -> ()>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
module attributes {trn.target = #trn.target<"trn3">} {
  func.func @immediate(%l: tensor<512x256xf8E4M3FN>, %r: tensor<512x1024xf8E4M3FN>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %q = linalg.matmul indexing_maps = [#mL, #mR, #mC] ins(%l, %r : tensor<512x256xf8E4M3FN>, tensor<512x1024xf8E4M3FN>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %o = tensor.empty() : tensor<256x1024xf32>
    %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<256x1024xf32>) outs(%o : tensor<256x1024xf32>) {
    ^bb0(%c: f32, %out: f32):
      %a = arith.constant 5.000000e-01 : f32
      %b = arith.constant 2.000000e+00 : f32
      %h = arith.divf %a, %b : f32
      %t = arith.mulf %c, %h : f32
      linalg.yield %t : f32
    } -> tensor<256x1024xf32>
    return %y : tensor<256x1024xf32>
  }
}

// -----

// Per-channel weight scales on the stationary side (a per-row [M] vector):
// an [M] scale tensor; on trn1 the FP8 operands use the normal data path.
// CHECK-LABEL: func.func @per_row
// (The [M] scale generic is an ordinary element-wise op: tiled by 128 rows.)
// CHECK: %[[S:.*]] = scf.for {{.*}} -> (tensor<256xf32>)
// CHECK: linalg.generic {{.*}}ins(%{{.*}}, %{{.*}} : tensor<128xf32>, tensor<f32>) outs(%{{.*}} : tensor<128xf32>)
// CHECK: linalg.matmul {{.*}}estimated_ns = {{[0-9.e+]+}} : f64, rescale = "tensor"
// CHECK: linalg.generic {{.*}}ins(%[[S]] : tensor<256xf32>) outs(%{{.*}} : tensor<256x1024xbf16>) attrs = {trnc.blocked_epilogue}
#id = affine_map<(d0, d1) -> (d0, d1)>
#s0 = affine_map<(d0, d1) -> ()>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
module attributes {trn.target = #trn.target<"trn1">} {
  func.func @per_row(%l: tensor<512x256xf8E4M3FN>, %r: tensor<512x1024xf8E4M3FN>, %w: tensor<256xf32>, %a: tensor<f32>) -> tensor<256x1024xbf16> {
    %e = tensor.empty() : tensor<256x1024xbf16>
    %z = arith.constant 0.0 : bf16
    %f = linalg.fill ins(%z : bf16) outs(%e : tensor<256x1024xbf16>) -> tensor<256x1024xbf16>
    %q = linalg.matmul indexing_maps = [#mL, #mR, #mC] ins(%l, %r : tensor<512x256xf8E4M3FN>, tensor<512x1024xf8E4M3FN>) outs(%f : tensor<256x1024xbf16>) -> tensor<256x1024xbf16>
    %o = tensor.empty() : tensor<256x1024xbf16>
    %y = linalg.generic {indexing_maps = [#id, #row, #s0, #id], iterator_types = ["parallel", "parallel"]} ins(%q, %w, %a : tensor<256x1024xbf16>, tensor<256xf32>, tensor<f32>) outs(%o : tensor<256x1024xbf16>) {
    ^bb0(%c: bf16, %sw: f32, %sa: f32, %out: bf16):
      %c32 = arith.extf %c : bf16 to f32
      %t = arith.mulf %sw, %c32 : f32
      %u = arith.mulf %t, %sa : f32
      %v = arith.truncf %u : f32 to bf16
      linalg.yield %v : bf16
    } -> tensor<256x1024xbf16>
    return %y : tensor<256x1024xbf16>
  }
}

// -----

// Fallbacks to the per-tile path (tile loops, no plan): a per-column scale,
// an epilogue that is more than a rescale (relu), and K = 384, which is not
// a multiple of the 256-deep double-row K tile.
// CHECK-LABEL: func.func @per_column
// CHECK-NOT: trnc.matmul_plan
// CHECK-NOT: trnc.blocked_epilogue
// CHECK: scf.for
// CHECK-LABEL: func.func @relu
// CHECK-NOT: trnc.matmul_plan
// CHECK-NOT: trnc.blocked_epilogue
// CHECK: scf.for
// CHECK-LABEL: func.func @ragged_k
// CHECK-NOT: trnc.matmul_plan
// CHECK-NOT: trnc.blocked_epilogue
// CHECK: scf.for
#id = affine_map<(d0, d1) -> (d0, d1)>
#s0 = affine_map<(d0, d1) -> ()>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @per_column(%l: tensor<512x256xf8E4M3FN>, %r: tensor<512x1024xf8E4M3FN>, %w: tensor<1024xf32>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %q = linalg.matmul indexing_maps = [#mL, #mR, #mC] ins(%l, %r : tensor<512x256xf8E4M3FN>, tensor<512x1024xf8E4M3FN>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %o = tensor.empty() : tensor<256x1024xf32>
    %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%q, %w : tensor<256x1024xf32>, tensor<1024xf32>) outs(%o : tensor<256x1024xf32>) {
    ^bb0(%c: f32, %s: f32, %out: f32):
      %t = arith.mulf %c, %s : f32
      linalg.yield %t : f32
    } -> tensor<256x1024xf32>
    return %y : tensor<256x1024xf32>
  }
  func.func @relu(%l: tensor<512x256xf8E4M3FN>, %r: tensor<512x1024xf8E4M3FN>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %q = linalg.matmul indexing_maps = [#mL, #mR, #mC] ins(%l, %r : tensor<512x256xf8E4M3FN>, tensor<512x1024xf8E4M3FN>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %o = tensor.empty() : tensor<256x1024xf32>
    %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<256x1024xf32>) outs(%o : tensor<256x1024xf32>) {
    ^bb0(%c: f32, %out: f32):
      %s = arith.constant 2.500000e-01 : f32
      %t = arith.mulf %c, %s : f32
      %r0 = arith.maximumf %t, %z : f32
      linalg.yield %r0 : f32
    } -> tensor<256x1024xf32>
    return %y : tensor<256x1024xf32>
  }
  func.func @ragged_k(%l: tensor<384x256xf8E4M3FN>, %r: tensor<384x1024xf8E4M3FN>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %q = linalg.matmul indexing_maps = [#mL, #mR, #mC] ins(%l, %r : tensor<384x256xf8E4M3FN>, tensor<384x1024xf8E4M3FN>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %q : tensor<256x1024xf32>
  }
}

// -----

// Device quantization of an activation operand (dynamic: a rank-0 amax) is
// fused into the GEMM's operand loads when the plan quantizes on chip (an
// explicit plan always does): its scale becomes a rank-0 tensor, the
// quantization is marked `trnc.blocked_operand_quantize` and left untiled.
// A quantized value with another use keeps the separate (tiled) pass.
// CHECK-LABEL: func.func @operand_quant
// CHECK: %[[S:.*]] = linalg.generic {{.*}}iterator_types = []} ins(%{{.*}} : tensor<f32>) outs(%{{.*}} : tensor<f32>)
// CHECK: arith.divf
// CHECK: %[[Q:.*]] = linalg.generic {{.*}}ins(%arg1, %[[S]] : tensor<512x1024xbf16>, tensor<f32>) outs(%{{.*}} : tensor<512x1024xf8E4M3FN>) attrs = {trnc.blocked_operand_quantize}
// CHECK: linalg.matmul {{.*}}quant_r = "tensor"
// CHECK-SAME: ins(%arg0, %[[Q]] :
// CHECK-LABEL: func.func @shared_quant
// CHECK-NOT: trnc.blocked_operand_quantize
// CHECK: scf.for
// CHECK: linalg.matmul {{.*}}trnc.matmul_plan
// CHECK-NOT: quant_r
// CHECK-SAME: strategy = "block-mn"
#id = affine_map<(d0, d1) -> (d0, d1)>
#s0 = affine_map<(d0, d1) -> ()>
#mL = affine_map<(m, n, k) -> (k, m)>
#mR = affine_map<(m, n, k) -> (k, n)>
#mC = affine_map<(m, n, k) -> (m, n)>
module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "block-mn:2x1x1"} {
  func.func @operand_quant(%l: tensor<512x256xf8E4M3FN>, %x: tensor<512x1024xbf16>, %amax: tensor<f32>) -> tensor<256x1024xf32> {
    %qe = tensor.empty() : tensor<512x1024xf8E4M3FN>
    %r = linalg.generic {indexing_maps = [#id, #s0, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %amax : tensor<512x1024xbf16>, tensor<f32>) outs(%qe : tensor<512x1024xf8E4M3FN>) {
    ^bb0(%a: bf16, %am: f32, %o: f8E4M3FN):
      %k = arith.constant 4.480000e+02 : f32
      %sc = arith.divf %k, %am : f32
      %a32 = arith.extf %a : bf16 to f32
      %m = arith.mulf %a32, %sc : f32
      %t = arith.truncf %m : f32 to f8E4M3FN
      linalg.yield %t : f8E4M3FN
    } -> tensor<512x1024xf8E4M3FN>
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %q = linalg.matmul indexing_maps = [#mL, #mR, #mC] ins(%l, %r : tensor<512x256xf8E4M3FN>, tensor<512x1024xf8E4M3FN>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %q : tensor<256x1024xf32>
  }
  func.func @shared_quant(%l: tensor<512x256xf8E4M3FN>, %x: tensor<512x1024xbf16>) -> (tensor<256x1024xf32>, tensor<512x1024xf8E4M3FN>) {
    %qe = tensor.empty() : tensor<512x1024xf8E4M3FN>
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<512x1024xbf16>) outs(%qe : tensor<512x1024xf8E4M3FN>) {
    ^bb0(%a: bf16, %o: f8E4M3FN):
      %a32 = arith.extf %a : bf16 to f32
      %s = arith.constant 4.0 : f32
      %m = arith.mulf %a32, %s : f32
      %t = arith.truncf %m : f32 to f8E4M3FN
      linalg.yield %t : f8E4M3FN
    } -> tensor<512x1024xf8E4M3FN>
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %q = linalg.matmul indexing_maps = [#mL, #mR, #mC] ins(%l, %r : tensor<512x256xf8E4M3FN>, tensor<512x1024xf8E4M3FN>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %q, %r : tensor<256x1024xf32>, tensor<512x1024xf8E4M3FN>
  }
}
