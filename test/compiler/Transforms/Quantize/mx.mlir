// trn-quantize OCP MX modes (trn3): every device-form contraction becomes one
// scaled-contraction generic over codes and E8M0 block scales (32 along K).
// RUN: trn-opt %s --split-input-file --trn-quantize="mode=mxfp8" | FileCheck %s --check-prefix=MX8
// RUN: trn-opt %s --split-input-file --trn-quantize="mode=mxfp4" | FileCheck %s --check-prefix=MX4
// RUN: trn-opt %s --split-input-file --trn-quantize="mode=mxfp8 debug-outputs=true" | FileCheck %s --check-prefix=DEBUG

// W[k, m] constant (K = 40: blocks of 32 and 8 rows), x an argument.
// W = 1.5 everywhere: E4M3 scale 2^(floor(log2 1.5) - 8) = 2^-8, codes 1.5 * 2^8 = 384;
// E2M1 (mxfp4 weights): scale 2^(0 - 2) = 1/4, codes 6.
// MX8-LABEL: func.func @layer
// Block amax of x: max |x| per 32 rows of K, in f32.
// MX8: %[[AM:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[BLK:.*]]], iterator_types = ["reduction", "parallel"]} ins(%arg0 : tensor<40x3xf32>) outs(%{{.*}} : tensor<2x3xf32>) attrs = {trnc.mx_block_amax}
// MX8: math.absf
// MX8: arith.maximumf
// Codes and scales: X = 2^(exponent(max(amax, 2^-126)) - 8), codes = sat(x / X) in E4M3.
// MX8: %[[Q:.*]]:2 = linalg.generic {{.*}} ins(%arg0, %[[AM]] : tensor<40x3xf32>, tensor<2x3xf32>) outs(%{{.*}}, %{{.*}} : tensor<40x3xf8E4M3FN>, tensor<2x3xf8E8M0FNU>) attrs = {trnc.mx_quantize}
// MX8: arith.constant 1.17549435E-38 : f32
// MX8: arith.constant 135 : i32
// MX8: arith.constant 4.480000e+02 : f32
// MX8: arith.truncf %{{.*}} : f32 to f8E4M3FN
// MX8: arith.bitcast %{{.*}} : i8 to f8E8M0FNU
// MX8: %[[W:.*]] = arith.constant dense<3.840000e+02> : tensor<40x2xf8E4M3FN>
// MX8: %[[WS:.*]] = arith.constant dense<3.906250e-03> : tensor<2x2xf8E8M0FNU>
// MX8: %[[MM:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[SL:.*]], #[[SR:.*]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[W]], %[[Q]]#0, %[[WS]], %[[Q]]#1 : tensor<40x2xf8E4M3FN>, tensor<40x3xf8E4M3FN>, tensor<2x2xf8E8M0FNU>, tensor<2x3xf8E8M0FNU>) outs(%{{.*}} : tensor<2x3xf32>) attrs = {trnc.mx_contraction}
// MX8: arith.scaling_extf %{{.*}}, %{{.*}} : f8E4M3FN, f8E8M0FNU to f32
// MX8: arith.scaling_extf %{{.*}}, %{{.*}} : f8E4M3FN, f8E8M0FNU to f32
// MX8: arith.mulf
// MX8: arith.addf
// No rescale: the contraction's result is in real units.
// MX8-NEXT: linalg.yield
// MX8-NEXT: } -> tensor<2x3xf32>
// MX8-NEXT: return %[[MM]]
// MX4-LABEL: func.func @layer
// MX4: %[[Q:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<40x3xf8E4M3FN>, tensor<2x3xf8E8M0FNU>) attrs = {trnc.mx_quantize}
// MX4: %[[W:.*]] = arith.constant dense<6.000000e+00> : tensor<40x2xf4E2M1FN>
// MX4: %[[WS:.*]] = arith.constant dense<2.500000e-01> : tensor<2x2xf8E8M0FNU>
// MX4: linalg.generic {{.*}} ins(%[[W]], %[[Q]]#0, %[[WS]], %[[Q]]#1 : tensor<40x2xf4E2M1FN>, tensor<40x3xf8E4M3FN>, tensor<2x2xf8E8M0FNU>, tensor<2x3xf8E8M0FNU>)
// DEBUG-LABEL: func.func @layer
// DEBUG-SAME: -> (tensor<2x3xf32>, tensor<2x3xf32> {trn.name = "quant.op0"})
// DEBUG-SAME: trnc.quant_ops = ["linalg.matmul at {{.*}}mx.mlir:{{[0-9]+}}:{{[0-9]+}} [2x3, K=40]"]
module attributes {trn.target = #trn.target<"trn3">} {
func.func @layer(%x: tensor<40x3xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<1.5> : tensor<40x2xf32>
  %z = tensor.empty() : tensor<2x3xf32>
  %c0 = arith.constant 0.0 : f32
  %f = linalg.fill ins(%c0 : f32) outs(%z : tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w, %x : tensor<40x2xf32>, tensor<40x3xf32>) outs(%f : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %m : tensor<2x3xf32>
}
}

// -----

// K = 128 with an even free dim: MXFP4 weights (E2M1 codes 6 with scale 2^-2;
// the block [4, -1, 0.5, 0, ...] has amax 4: scale 2^(2-2) = 1, codes 4, -1,
// 0.5, 0); the activation is MXFP8 E4M3 on the device. bf16 results
// accumulate in f32 and are rounded once afterwards.
// MX4-LABEL: func.func @fp4
// MX4: %[[Q:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<128x8xf8E4M3FN>, tensor<4x8xf8E8M0FNU>) attrs = {trnc.mx_quantize}
// One E2M1 code per byte in the attribute (packed two per byte in the .trnx):
// 4 -> 0x6, 6 -> 0x7, -1 -> 0xA, 0.5 -> 0x1, 0 -> 0x0. All-zero blocks get the
// smallest scale 2^-127 (OCP: amax 0 uses the smallest normal).
// MX4: %[[W:.*]] = arith.constant dense<"0x06070A0701070007{{.*}}"> : tensor<128x2xf4E2M1FN>
// MX4: %[[WS:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 2.500000e-01], [5.877470e-39, 2.500000e-01], [5.877470e-39, 2.500000e-01], [5.877470e-39, 2.500000e-01]]> : tensor<4x2xf8E8M0FNU>
// MX4: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x8xf32>)
// MX4: %[[MM:.*]] = linalg.generic {{.*}} ins(%[[W]], %[[Q]]#0, %[[WS]], %[[Q]]#1 : tensor<128x2xf4E2M1FN>, tensor<128x8xf8E4M3FN>, tensor<4x2xf8E8M0FNU>, tensor<4x8xf8E8M0FNU>) outs(%[[F]] : tensor<2x8xf32>) attrs = {trnc.mx_contraction}
// MX4: arith.scaling_extf %{{.*}}, %{{.*}} : f4E2M1FN, f8E8M0FNU to f32
// MX4: linalg.generic {{.*}} ins(%[[MM]] : tensor<2x8xf32>) outs(%{{.*}} : tensor<2x8xbf16>)
// MX4: arith.truncf %{{.*}} : f32 to bf16
// MX8-LABEL: func.func @fp4
// MX8: arith.constant {{.*}} : tensor<128x2xf8E4M3FN>
module attributes {trn.target = #trn.target<"trn3">} {
func.func @fp4(%x: tensor<128x8xbf16>) -> tensor<2x8xbf16> {
  %w = arith.constant dense<[[4.0, 1.5], [-1.0, 1.5], [0.5, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5],
                              [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5],
                              [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5],
                              [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5],
                              [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5],
                              [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5],
                              [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5],
                              [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5], [0.0, 1.5]]> : tensor<128x2xf32>
  %z = tensor.empty() : tensor<2x8xbf16>
  %c0 = arith.constant 0.0 : bf16
  %f = linalg.fill ins(%c0 : bf16) outs(%z : tensor<2x8xbf16>) -> tensor<2x8xbf16>
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w, %x : tensor<128x2xf32>, tensor<128x8xbf16>) outs(%f : tensor<2x8xbf16>) -> tensor<2x8xbf16>
  return %m : tensor<2x8xbf16>
}
}

// -----

// Batch matmul with two activations: both quantized on the device (the batch
// dim is kept: scales [B, K/32, X]); the non-zero `outs` accumulator stays the
// contraction's init (real units).
// MX8-LABEL: func.func @batch
// MX8-COUNT-2: attrs = {trnc.mx_quantize}
// MX8: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[S:.*]], #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}#0, %{{.*}}#0, %{{.*}}#1, %{{.*}}#1 : tensor<2x64x4xf8E4M3FN>, tensor<2x64x5xf8E4M3FN>, tensor<2x2x4xf8E8M0FNU>, tensor<2x2x5xf8E8M0FNU>) outs(%arg2 : tensor<2x4x5xf32>) attrs = {trnc.mx_contraction}
module attributes {trn.target = #trn.target<"trn3">} {
func.func @batch(%a: tensor<2x64x4xf32>, %b: tensor<2x64x5xf32>, %c: tensor<2x4x5xf32>) -> tensor<2x4x5xf32> {
  %m = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, k, m)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
       ins(%a, %b : tensor<2x64x4xf32>, tensor<2x64x5xf32>) outs(%c : tensor<2x4x5xf32>) -> tensor<2x4x5xf32>
  return %m : tensor<2x4x5xf32>
}
}

// -----

// Two constants with K = 40 (not a multiple of 128): the FP4 tail padding of
// one operand relies on the other's zero padding, so only L is MXFP4; R is
// MXFP8 E4M3. An odd free dim (X = 3) cannot be byte-aligned FP4 either.
// MX4-LABEL: func.func @consts
// MX4: arith.constant dense<6.000000e+00> : tensor<40x2xf4E2M1FN>
// MX4: arith.constant dense<3.840000e+02> : tensor<40x4xf8E4M3FN>
// MX4: arith.constant dense<3.840000e+02> : tensor<40x3xf8E4M3FN>
// MX4: arith.constant dense<6.000000e+00> : tensor<40x4xf4E2M1FN>
module attributes {trn.target = #trn.target<"trn3">} {
func.func @consts(%o: tensor<2x4xf32>, %o3: tensor<3x4xf32>) -> (tensor<2x4xf32>, tensor<3x4xf32>) {
  %w = arith.constant dense<1.5> : tensor<40x2xf32>
  %v = arith.constant dense<1.5> : tensor<40x4xf32>
  %u = arith.constant dense<1.5> : tensor<40x3xf32>
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%w, %v : tensor<40x2xf32>, tensor<40x4xf32>) outs(%o : tensor<2x4xf32>) -> tensor<2x4xf32>
  %m3 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%u, %v : tensor<40x3xf32>, tensor<40x4xf32>) outs(%o3 : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %m, %m3 : tensor<2x4xf32>, tensor<3x4xf32>
}
}
