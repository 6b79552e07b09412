// RUN: trn-opt --trn-tile %s | FileCheck %s --check-prefix=TILE
// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn %s | FileCheck %s
// Blocked MX GEMM with the activation quantized on chip (trnc --quant=mxfp8
// --emit=layout of y[256, 512] = W[1024, 256]^T x[1024, 512], W a constant,
// bf16 result): trn-tile marks trn-quantize's quantize generic
// (trnc.blocked_operand_quantize, plan quant_r = "mx") and the truncf
// (output = "convert"); the lowering loads each bf16 K tile [128, 4, 512] of
// x and quantizes it with one trn.quantize_mx into the code tile and its
// [4, 4, 512] scale tile (the 32-partition blocks at each (row, column) are
// the MX blocks along K): no separate quantization pass over HBM.

// TILE: trnc.blocked_operand_quantize, trnc.mx_quantize
// TILE: trnc.matmul_plan = {{.*}}mode = "mx", output = "convert", quant_r = "mx"
// TILE: trnc.blocked_epilogue

// CHECK-LABEL: func.func @gemm
// CHECK: trn.dma_copy {{.*}} -> memref<32x4x512xbf16
// CHECK: trn.quantize_mx %[[X:.*]] -> %[[Q:.*]], %[[S:.*]] : memref<128x4x512xbf16, #trn.mem<sbuf>> -> memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>>, memref<4x4x512xf8E8M0FNU
// CHECK: trn.quantize_mx
// CHECK-NOT: trn.quantize_mx
// CHECK: trn.matmul {{.*}} mode  mx
// CHECK: trn.tensor_copy {{.*}} -> memref<128x512xbf16
// CHECK-NOT: trn.quantize_mx
// CHECK: return

#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0 floordiv 32, d1)>
#map2 = affine_map<(d0, d1, d2) -> (d2, d0)>
#map3 = affine_map<(d0, d1, d2) -> (d2, d1)>
#map4 = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d0)>
#map5 = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d1)>
#map6 = affine_map<(d0, d1, d2) -> (d0, d1)>
module attributes {trn.target = #trn.target<"trn3">} {
  func.func @gemm(%arg0: tensor<1024x512xbf16>) -> tensor<256x512xbf16> {
    %cst = arith.constant 0.000000e+00 : f32
    %0 = tensor.empty() : tensor<32x512xf32>
    %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<32x512xf32>) -> tensor<32x512xf32>
    %2 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["reduction", "parallel"]} ins(%arg0 : tensor<1024x512xbf16>) outs(%1 : tensor<32x512xf32>) attrs =  {trnc.mx_block_amax} {
    ^bb0(%in: bf16, %out: f32):
      %12 = arith.extf %in : bf16 to f32
      %13 = math.absf %12 : f32
      %14 = arith.maximumf %out, %13 : f32
      linalg.yield %14 : f32
    } -> tensor<32x512xf32>
    %3 = tensor.empty() : tensor<1024x512xf8E4M3FN>
    %4 = tensor.empty() : tensor<32x512xf8E8M0FNU>
    %5:2 = linalg.generic {indexing_maps = [#map, #map1, #map, #map1], iterator_types = ["parallel", "parallel"]} ins(%arg0, %2 : tensor<1024x512xbf16>, tensor<32x512xf32>) outs(%3, %4 : tensor<1024x512xf8E4M3FN>, tensor<32x512xf8E8M0FNU>) attrs =  {trnc.mx_quantize} {
    ^bb0(%in: bf16, %in_3: f32, %out: f8E4M3FN, %out_4: f8E8M0FNU):
      %cst_5 = arith.constant 1.17549435E-38 : f32
      %12 = arith.maximumf %in_3, %cst_5 : f32
      %13 = arith.bitcast %12 : f32 to i32
      %c135_i32 = arith.constant 135 : i32
      %c23_i32 = arith.constant 23 : i32
      %14 = arith.shrui %13, %c23_i32 : i32
      %15 = arith.subi %14, %c135_i32 : i32
      %c-127_i32 = arith.constant -127 : i32
      %16 = arith.maxsi %15, %c-127_i32 : i32
      %c23_i32_6 = arith.constant 23 : i32
      %c127_i32 = arith.constant 127 : i32
      %17 = arith.subi %c127_i32, %16 : i32
      %18 = arith.shli %17, %c23_i32_6 : i32
      %19 = arith.bitcast %18 : i32 to f32
      %20 = arith.extf %in : bf16 to f32
      %21 = arith.mulf %20, %19 : f32
      %cst_7 = arith.constant 4.480000e+02 : f32
      %cst_8 = arith.constant -4.480000e+02 : f32
      %22 = arith.maximumf %21, %cst_8 : f32
      %23 = arith.minimumf %22, %cst_7 : f32
      %24 = arith.truncf %23 : f32 to f8E4M3FN
      %c127_i32_9 = arith.constant 127 : i32
      %25 = arith.addi %16, %c127_i32_9 : i32
      %26 = arith.trunci %25 : i32 to i8
      %27 = arith.cmpf uno, %in_3, %in_3 : f32
      %c-1_i8 = arith.constant -1 : i8
      %28 = arith.select %27, %c-1_i8, %26 : i8
      %29 = arith.bitcast %28 : i8 to f8E8M0FNU
      linalg.yield %24, %29 : f8E4M3FN, f8E8M0FNU
    } -> (tensor<1024x512xf8E4M3FN>, tensor<32x512xf8E8M0FNU>)
    %cst_0 = arith.constant 0.000000e+00 : bf16
    %cst_1 = arith.constant dense<2.560000e+02> : tensor<1024x256xf8E4M3FN>
    %cst_2 = arith.constant dense<1.953130e-03> : tensor<32x256xf8E8M0FNU>
    %6 = tensor.empty() : tensor<256x512xf32>
    %7 = arith.extf %cst_0 : bf16 to f32
    %8 = linalg.fill ins(%7 : f32) outs(%6 : tensor<256x512xf32>) -> tensor<256x512xf32>
    %9 = linalg.generic {indexing_maps = [#map2, #map3, #map4, #map5, #map6], iterator_types = ["parallel", "parallel", "reduction"]} ins(%cst_1, %5#0, %cst_2, %5#1 : tensor<1024x256xf8E4M3FN>, tensor<1024x512xf8E4M3FN>, tensor<32x256xf8E8M0FNU>, tensor<32x512xf8E8M0FNU>) outs(%8 : tensor<256x512xf32>) attrs =  {trnc.mx_contraction} {
    ^bb0(%in: f8E4M3FN, %in_3: f8E4M3FN, %in_4: f8E8M0FNU, %in_5: f8E8M0FNU, %out: f32):
      %12 = arith.scaling_extf %in, %in_4 : f8E4M3FN, f8E8M0FNU to f32
      %13 = arith.scaling_extf %in_3, %in_5 : f8E4M3FN, f8E8M0FNU to f32
      %14 = arith.mulf %12, %13 : f32
      %15 = arith.addf %out, %14 : f32
      linalg.yield %15 : f32
    } -> tensor<256x512xf32>
    %10 = tensor.empty() : tensor<256x512xbf16>
    %11 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%9 : tensor<256x512xf32>) outs(%10 : tensor<256x512xbf16>) {
    ^bb0(%in: f32, %out: bf16):
      %12 = arith.truncf %in : f32 to bf16
      linalg.yield %12 : bf16
    } -> tensor<256x512xbf16>
    return %11 : tensor<256x512xbf16>
  }
}

