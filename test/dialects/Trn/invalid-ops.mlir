// Per-instruction verifier rules (target trn2 unless stated).
// RUN: trn-opt %s -split-input-file -verify-diagnostics

func.func @alloc_hbm() {
  // expected-error @+1 {{'trn.alloc' op allocates on-chip buffers only: the memory space must be #trn.mem<sbuf> or #trn.mem<psum>, got 'memref<128x64xf32, #trn.mem<hbm>>'}}
  %a = trn.alloc() : memref<128x64xf32, #trn.mem<hbm>>
  return
}

// -----

func.func @alloc_no_space() {
  // expected-error @+1 {{'trn.alloc' op allocates on-chip buffers only}}
  %a = trn.alloc() : memref<128x64xf32>
  return
}

// -----

func.func @alloc_dynamic() {
  // expected-error @+1 {{'trn.alloc' op buffer must have a static shape}}
  %a = trn.alloc() : memref<128x?xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @alloc_layout() {
  // expected-error @+1 {{'trn.alloc' op buffer must have the identity layout (use memref.subview for access patterns)}}
  %a = trn.alloc() : memref<128x64xf32, strided<[128, 2]>, #trn.mem<sbuf>>
  return
}

// -----

func.func @alloc_dtype() {
  // expected-error @+1 {{'trn.alloc' op element type 'f64' is not a device dtype}}
  %a = trn.alloc() : memref<128x64xf64, #trn.mem<sbuf>>
  return
}

// -----

func.func @alloc_rank() {
  // expected-error @+1 {{'trn.alloc' op buffer has rank 1; an SBUF/PSUM buffer has a partition dim and 1 to 4 free dims (rank 2 to 5)}}
  %a = trn.alloc() : memref<128xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @alloc_empty() {
  // expected-error @+1 {{'trn.alloc' op buffer dim 0 has size 0; sizes must be >= 1}}
  %a = trn.alloc() : memref<0x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @alloc_partitions() {
  // expected-error @+1 {{'trn.alloc' op buffer partition count 129 exceeds the trn2 limit of 128}}
  %a = trn.alloc() : memref<129x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @alloc_sbuf_capacity() {
  // 230000 bytes per partition > trn2's 224 KiB.
  // expected-error @+1 {{'trn.alloc' op buffer needs 230000 bytes per partition at offset 0, exceeding the trn2 SBUF capacity of 229376 bytes per partition}}
  %a = trn.alloc() : memref<128x230000xi8, #trn.mem<sbuf>>
  return
}

// -----

func.func @alloc_psum_capacity() {
  // expected-error @+1 {{'trn.alloc' op buffer needs 2048 bytes per partition at offset 15360, exceeding the trn2 PSUM capacity of 16384 bytes per partition}}
  %a = trn.alloc() {offset = 15360} : memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @alloc_negative_offset() {
  // expected-error @+1 {{'trn.alloc' op offset -4 must be >= 0}}
  %a = trn.alloc() {offset = -4} : memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @dma_hbm_psum(%a: memref<128x64xf32, #trn.mem<hbm>>, %b: memref<128x64xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.dma_copy' op DMA from #trn.mem<hbm> to #trn.mem<psum> is not supported; PSUM is reachable by DMA only from SBUF}}
  trn.dma_copy %a -> %b : memref<128x64xf32, #trn.mem<hbm>> -> memref<128x64xf32, #trn.mem<psum>>
  return
}

// -----

func.func @dma_psum_hbm(%a: memref<128x64xf32, #trn.mem<psum>>, %b: memref<128x64xf32, #trn.mem<hbm>>) {
  // expected-error @+1 {{DMA from #trn.mem<psum> to #trn.mem<hbm> is not supported}}
  trn.dma_copy %a -> %b : memref<128x64xf32, #trn.mem<psum>> -> memref<128x64xf32, #trn.mem<hbm>>
  return
}

// -----

func.func @dma_converts(%a: memref<128x64xf32, #trn.mem<hbm>>, %b: memref<128x64xbf16, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.dma_copy' op DMA does not convert: source element type 'f32' differs from destination element type 'bf16'}}
  trn.dma_copy %a -> %b : memref<128x64xf32, #trn.mem<hbm>> -> memref<128x64xbf16, #trn.mem<sbuf>>
  return
}

// -----

func.func @dma_sizes(%a: memref<128x64xf32, #trn.mem<hbm>>, %b: memref<128x32xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.dma_copy' op source has 8192 elements but destination has 4096; both sides must walk the same number of elements}}
  trn.dma_copy %a -> %b : memref<128x64xf32, #trn.mem<hbm>> -> memref<128x32xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @dma_start_partition(%a: memref<32x64xf32, #trn.mem<hbm>>) {
  %buf = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
  %t = memref.subview %buf[48, 0] [32, 64] [1, 1] : memref<128x64xf32, #trn.mem<sbuf>> to memref<32x64xf32, strided<[64, 1], offset: 3072>, #trn.mem<sbuf>>
  // expected-error @+1 {{'trn.dma_copy' op destination accesses 32 partitions starting at partition 48}}
  trn.dma_copy %a -> %t : memref<32x64xf32, #trn.mem<hbm>> -> memref<32x64xf32, strided<[64, 1], offset: 3072>, #trn.mem<sbuf>>
  return
}

// -----

func.func @matmul_stationary_in_psum(%st: memref<128x128xbf16, #trn.mem<psum>>, %mv: memref<128x512xbf16, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op stationary must be in #trn.mem<sbuf>, got #trn.mem<psum>}}
  trn.matmul %st, %mv -> %ps : memref<128x128xbf16, #trn.mem<psum>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_result_in_sbuf(%st: memref<128x128xbf16, #trn.mem<sbuf>>, %mv: memref<128x512xbf16, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.matmul' op result must be in #trn.mem<psum>, got #trn.mem<sbuf>}}
  trn.matmul %st, %mv -> %ps : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @matmul_moving_free_limit(%st: memref<128x128xbf16, #trn.mem<sbuf>>, %mv: memref<128x640xbf16, #trn.mem<sbuf>>, %ps: memref<128x640xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op moving free size 640 exceeds the trn2 limit of 512}}
  trn.matmul %st, %mv -> %ps : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x640xbf16, #trn.mem<sbuf>> -> memref<128x640xf32, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_stationary_free_limit(%st: memref<128x256xbf16, #trn.mem<sbuf>>, %mv: memref<128x512xbf16, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op stationary free size 256 exceeds the trn2 limit of 128}}
  trn.matmul %st, %mv -> %ps : memref<128x256xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_contraction_mismatch(%st: memref<128x128xbf16, #trn.mem<sbuf>>, %mv: memref<64x512xbf16, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op contraction size mismatch: stationary has K = 128 partitions but moving has 64}}
  trn.matmul %st, %mv -> %ps : memref<128x128xbf16, #trn.mem<sbuf>>, memref<64x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_rank(%st: memref<128x2x64xbf16, #trn.mem<sbuf>>, %mv: memref<128x512xbf16, #trn.mem<sbuf>>, %ps: memref<64x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op stationary must be [K, M] in mode normal, got 128x2x64}}
  trn.matmul %st, %mv -> %ps : memref<128x2x64xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<64x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_double_row_rows(%st: memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>, %mv: memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op moving must be [K, 2, N] (2 contraction rows per partition) in mode fp8_double_row, got 128x4x512}}
  trn.matmul %st, %mv -> %ps mode fp8_double_row : memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_double_row_dtype(%st: memref<128x2x128xbf16, #trn.mem<sbuf>>, %mv: memref<128x2x512xbf16, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op stationary element type 'bf16' is not a legal matmul operand in mode fp8_double_row on trn2}}
  trn.matmul %st, %mv -> %ps mode fp8_double_row : memref<128x2x128xbf16, #trn.mem<sbuf>>, memref<128x2x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_int_operand(%st: memref<128x128xi8, #trn.mem<sbuf>>, %mv: memref<128x512xi8, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op stationary element type 'i8' is not a legal matmul operand in mode normal on trn2}}
  trn.matmul %st, %mv -> %ps : memref<128x128xi8, #trn.mem<sbuf>>, memref<128x512xi8, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_mixed(%st: memref<128x128xbf16, #trn.mem<sbuf>>, %mv: memref<128x512xf16, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op stationary element type 'bf16' and moving element type 'f16' must match (only FP8 E4M3/E5M2 may mix)}}
  trn.matmul %st, %mv -> %ps : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_bf16_output_trn2(%st: memref<128x128xbf16, #trn.mem<sbuf>>, %mv: memref<128x512xbf16, #trn.mem<sbuf>>, %ps: memref<128x512xbf16, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op result element type 'bf16' is not a legal PSUM matmul output on trn2 (f32)}}
  trn.matmul %st, %mv -> %ps : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xbf16, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_result_shape(%st: memref<128x64xbf16, #trn.mem<sbuf>>, %mv: memref<128x512xbf16, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op result shape 128x512 must be [M, N] = 64x512}}
  trn.matmul %st, %mv -> %ps : memref<128x64xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @matmul_scales_in_normal_mode(%st: memref<128x128xbf16, #trn.mem<sbuf>>, %mv: memref<128x512xbf16, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>, %s: memref<4x128xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.matmul' op scale operands are only allowed in mode mx, not normal}}
  trn.matmul %st, %mv scales(%s, %s : memref<4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<4x128xf8E8M0FNU, #trn.mem<sbuf>>) -> %ps : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

func.func @transpose_free_limit(%a: memref<64x256xbf16, #trn.mem<sbuf>>, %p: memref<256x64xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.transpose' op source free size 256 exceeds the trn2 limit of 128}}
  trn.transpose %a -> %p : memref<64x256xbf16, #trn.mem<sbuf>> -> memref<256x64xf32, #trn.mem<psum>>
  return
}

// -----

func.func @transpose_to_sbuf(%a: memref<64x128xbf16, #trn.mem<sbuf>>, %p: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.transpose' op result must be in #trn.mem<psum>, got #trn.mem<sbuf>}}
  trn.transpose %a -> %p : memref<64x128xbf16, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @transpose_from_psum(%a: memref<64x128xbf16, #trn.mem<psum>>, %p: memref<128x64xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.transpose' op source must be in #trn.mem<sbuf>, got #trn.mem<psum>}}
  trn.transpose %a -> %p : memref<64x128xbf16, #trn.mem<psum>> -> memref<128x64xf32, #trn.mem<psum>>
  return
}

// -----

func.func @transpose_rank(%a: memref<64x2x64xbf16, #trn.mem<sbuf>>, %p: memref<128x64xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.transpose' op source must be [P, F], got 64x2x64}}
  trn.transpose %a -> %p : memref<64x2x64xbf16, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<psum>>
  return
}

// -----

func.func @transpose_shape(%a: memref<64x128xbf16, #trn.mem<sbuf>>, %p: memref<64x128xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.transpose' op result shape 64x128 must be the transposed source shape 128x64}}
  trn.transpose %a -> %p : memref<64x128xbf16, #trn.mem<sbuf>> -> memref<64x128xf32, #trn.mem<psum>>
  return
}

// -----

func.func @transpose_dtype(%a: memref<64x128xbf16, #trn.mem<sbuf>>, %p: memref<128x64xf16, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.transpose' op result element type 'f16' must be f32 or the source element type 'bf16'}}
  trn.transpose %a -> %p : memref<64x128xbf16, #trn.mem<sbuf>> -> memref<128x64xf16, #trn.mem<psum>>
  return
}

// -----

func.func @activation_shape(%a: memref<128x512xf32, #trn.mem<psum>>, %b: memref<128x256xbf16, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.activation' op destination shape 128x256 does not match source shape 128x512}}
  trn.activation exp %a -> %b scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<psum>> -> memref<128x256xbf16, #trn.mem<sbuf>>
  return
}

// -----

func.func @activation_hbm(%a: memref<128x512xf32, #trn.mem<hbm>>, %b: memref<128x512xbf16, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.activation' op source must be in #trn.mem<sbuf> or #trn.mem<psum>, got #trn.mem<hbm>}}
  trn.activation exp %a -> %b scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<hbm>> -> memref<128x512xbf16, #trn.mem<sbuf>>
  return
}

// -----

func.func @activation_bias_column(%a: memref<128x512xf32, #trn.mem<sbuf>>, %bias: memref<64x1xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.activation' op bias must be a per-partition column of shape [128, 1], got 64x1}}
  trn.activation relu %a -> %a scale(1.0) bias(%bias : memref<64x1xf32, #trn.mem<sbuf>>) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @activation_scale_dtype(%a: memref<128x512xf32, #trn.mem<sbuf>>, %s: memref<128x1xbf16, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.activation' op scale element type must be f32, got 'bf16'}}
  trn.activation relu %a -> %a scale(%s : memref<128x1xbf16, #trn.mem<sbuf>>) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @activation_scale_both(%a: memref<128x512xf32, #trn.mem<sbuf>>, %s: memref<128x1xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.activation' op scale is either an immediate or a tile, not both}}
  "trn.activation"(%a, %a, %s) <{func = #trn<act_func relu>, scale = 2.0 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>>, memref<128x1xf32, #trn.mem<sbuf>>) -> ()
  return
}

// -----

func.func @activation_accum(%a: memref<128x512xf32, #trn.mem<sbuf>>, %acc: memref<128x2xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.activation' op accumulator must be a per-partition column of shape [128, 1], got 128x2}}
  trn.activation exp %a -> %a scale(1.0) bias(0.0) accum(%acc : memref<128x2xf32, #trn.mem<sbuf>>) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @activation_fp4(%a: memref<128x512xf32, #trn.mem<sbuf>>, %b: memref<128x512xf4E2M1FN, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.activation' op destination element type 'f4E2M1FN' is not supported by engine 'act' on trn2}}
  trn.activation exp %a -> %b scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf4E2M1FN, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_tensor_shape(%a: memref<128x512xf32, #trn.mem<sbuf>>, %b: memref<64x512xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_tensor' op second input shape 64x512 does not match first input shape 128x512}}
  trn.tensor_tensor add %a, %b -> %a : memref<128x512xf32, #trn.mem<sbuf>>, memref<64x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_tensor_fp8_on_pool(%a: memref<128x512xf8E4M3FN, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_tensor' op first input element type 'f8E4M3FN' is not supported by engine 'pool' on trn2}}
  trn.tensor_tensor add %a, %a -> %a {engine = #trn.engine<pool>} : memref<128x512xf8E4M3FN, #trn.mem<sbuf>>, memref<128x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf8E4M3FN, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_copy_fp4(%a: memref<128x512xf32, #trn.mem<sbuf>>, %b: memref<128x512xf4E2M1FN, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_copy' op destination element type 'f4E2M1FN' is not supported by any engine able to execute this instruction (act, dve or pool) on trn2}}
  trn.tensor_copy %a -> %b : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf4E2M1FN, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_copy_shape(%a: memref<128x512xf32, #trn.mem<sbuf>>, %b: memref<128x256xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_copy' op destination shape 128x256 does not match source shape 128x512}}
  trn.tensor_copy %a -> %b : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x256xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_scalar_bypass(%a: memref<128x512xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_scalar' op op1 = bypass skips the second stage; scalar1 must be the immediate 0.0 and reverse1 unset}}
  trn.tensor_scalar %a -> %a, mul(2.0), bypass(3.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_scalar_column(%a: memref<128x512xf32, #trn.mem<sbuf>>, %c: memref<128x4xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_scalar' op scalar0 must be a per-partition column of shape [128, 1], got 128x4}}
  trn.tensor_scalar %a -> %a, mul(%c : memref<128x4xf32, #trn.mem<sbuf>>) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_scalar_both(%a: memref<128x512xf32, #trn.mem<sbuf>>, %c: memref<128x1xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_scalar' op scalar0 is either an immediate or a tile, not both}}
  "trn.tensor_scalar"(%a, %a, %c) <{op0 = #trn<alu mul>, scalar0 = 2.0 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (memref<128x512xf32, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>>, memref<128x1xf32, #trn.mem<sbuf>>) -> ()
  return
}

// -----

func.func @tensor_scalar_shape(%a: memref<128x512xf32, #trn.mem<sbuf>>, %b: memref<128x512x1xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_scalar' op destination shape 128x512x1 does not match source shape 128x512}}
  trn.tensor_scalar %a -> %b, mul(2.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512x1xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_reduce_op(%a: memref<128x512xf32, #trn.mem<sbuf>>, %b: memref<128x1xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_reduce' op reduction must be add, max, min or mul, got sub}}
  trn.tensor_reduce sub %a -> %b axes [0] : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x1xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_reduce_no_axes(%a: memref<128x512xf32, #trn.mem<sbuf>>, %b: memref<128x1xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_reduce' op axes must name at least one free dim}}
  trn.tensor_reduce add %a -> %b axes [] : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x1xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_reduce_axis_range(%a: memref<128x512xf32, #trn.mem<sbuf>>, %b: memref<128x1xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_reduce' op axes must be strictly increasing free-dim indices in [0, 1), got [1]}}
  trn.tensor_reduce add %a -> %b axes [1] : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x1xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_reduce_axis_order(%a: memref<128x4x512xf32, #trn.mem<sbuf>>, %b: memref<128x1xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_reduce' op axes must be strictly increasing free-dim indices in [0, 2), got [1x0]}}
  trn.tensor_reduce add %a -> %b axes [1, 0] : memref<128x4x512xf32, #trn.mem<sbuf>> -> memref<128x1xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @tensor_reduce_shape(%a: memref<128x4x512xf32, #trn.mem<sbuf>>, %b: memref<128x512xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_reduce' op result shape 128x512 does not match the reduced shape 128x4 (or 128x4x1 keeping reduced dims)}}
  trn.tensor_reduce add %a -> %b axes [1] : memref<128x4x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @select_shape(%p: memref<128x64xf32, #trn.mem<sbuf>>, %a: memref<128x32xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.select' op true value shape 128x32 does not match predicate shape 128x64}}
  trn.select %p, %a, %a -> %p : memref<128x64xf32, #trn.mem<sbuf>>, memref<128x32xf32, #trn.mem<sbuf>>, memref<128x32xf32, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @select_fp8_on_pool(%p: memref<128x64xf8E4M3FN, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.select' op predicate element type 'f8E4M3FN' is not supported by engine 'pool' on trn2}}
  trn.select %p, %p, %p -> %p : memref<128x64xf8E4M3FN, #trn.mem<sbuf>>, memref<128x64xf8E4M3FN, #trn.mem<sbuf>>, memref<128x64xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x64xf8E4M3FN, #trn.mem<sbuf>>
  return
}

// -----

func.func @iota_multipliers(%a: memref<128x4x64xi32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.iota' op multipliers has 1 entries but the destination has 2 free dims}}
  trn.iota -> %a base(0) channel_multiplier(1) multipliers([1]) : memref<128x4x64xi32, #trn.mem<sbuf>>
  return
}

// -----

func.func @memset_psum_limit(%a: memref<128x8192xbf16, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.memset' op destination has 8192 elements per partition, exceeding the trn2 limit of 4096 for PSUM operands}}
  trn.memset 0.0 -> %a : memref<128x8192xbf16, #trn.mem<psum>>
  return
}
