// Target differences trn1 / trn2 / trn3.
// RUN: trn-opt %s -split-input-file -verify-diagnostics

module attributes {trn.target = #trn.target<"trn1">} {
func.func @double_row_trn1(%st: memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>, %mv: memref<128x2x512xf8E4M3FN, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op matmul mode fp8_double_row is not supported on trn1 (supported on: trn2, trn3)}}
  trn.matmul %st, %mv -> %ps mode fp8_double_row : memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x2x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn1">} {
func.func @sbuf_capacity_trn1() {
  // 200000 bytes fit trn2's 224 KiB but not trn1's 192 KiB partitions.
  // expected-error @+1 {{'trn.alloc' op buffer needs 200000 bytes per partition at offset 0, exceeding the trn1 SBUF capacity of 196608 bytes per partition}}
  %a = trn.alloc() : memref<128x50000xf32, #trn.mem<sbuf>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
func.func @mx_trn2(%st: memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, %mv: memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>, %ss: memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>, %ms: memref<4x4x512xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.matmul' op matmul mode mx is not supported on trn2 (supported on: trn3)}}
  trn.matmul %st, %mv scales(%ss, %ms : memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<4x4x512xf8E8M0FNU, #trn.mem<sbuf>>) -> %ps mode mx : memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
func.func @quantize_mx_trn2(%x: memref<128x512xbf16, #trn.mem<sbuf>>, %q: memref<128x512xf8E4M3FN, #trn.mem<sbuf>>, %s: memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.quantize_mx' op quantize_mx is not supported on trn2 (supported on: trn3)}}
  trn.quantize_mx %x -> %q, %s : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf8E4M3FN, #trn.mem<sbuf>>, memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @moving_limit_trn3_fp32(%a: memref<128x128xbf16, #trn.mem<sbuf>>, %b: memref<128x4608xbf16, #trn.mem<sbuf>>, %c: memref<128x4608xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op moving free size 4608 exceeds the trn3 limit of 4096}}
  trn.matmul %a, %b -> %c : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x4608xbf16, #trn.mem<sbuf>> -> memref<128x4608xf32, #trn.mem<psum>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @moving_limit_trn3_bf16(%a: memref<128x128xbf16, #trn.mem<sbuf>>, %b: memref<128x9216xbf16, #trn.mem<sbuf>>, %c: memref<128x9216xbf16, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op moving free size 9216 exceeds the trn3 limit of 8192}}
  trn.matmul %a, %b -> %c : memref<128x128xbf16, #trn.mem<sbuf>>, memref<128x9216xbf16, #trn.mem<sbuf>> -> memref<128x9216xbf16, #trn.mem<psum>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @mx_missing_scales(%st: memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, %mv: memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // expected-error @+1 {{'trn.matmul' op mode mx requires stationary and moving E8M0 scale operands}}
  trn.matmul %st, %mv -> %ps mode mx : memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @mx_k_block(%st: memref<48x4x128xf8E4M3FN, #trn.mem<sbuf>>, %mv: memref<48x4x512xf8E4M3FN, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>, %ss: memref<1x4x128xf8E8M0FNU, #trn.mem<sbuf>>, %ms: memref<1x4x512xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.matmul' op mode mx needs the contraction partitions K to be a multiple of 32 (one E8M0 scale per block), got K = 48}}
  trn.matmul %st, %mv scales(%ss, %ms : memref<1x4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<1x4x512xf8E8M0FNU, #trn.mem<sbuf>>) -> %ps mode mx : memref<48x4x128xf8E4M3FN, #trn.mem<sbuf>>, memref<48x4x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @mx_scale_dtype(%st: memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, %mv: memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>, %ss: memref<4x4x128xi8, #trn.mem<sbuf>>, %ms: memref<4x4x512xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.matmul' op stationary scale element type 'i8' is not a legal MX scale type (f8E8M0FNU)}}
  trn.matmul %st, %mv scales(%ss, %ms : memref<4x4x128xi8, #trn.mem<sbuf>>, memref<4x4x512xf8E8M0FNU, #trn.mem<sbuf>>) -> %ps mode mx : memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @mx_scale_shape(%st: memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, %mv: memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>, %ss: memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>, %ms: memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.matmul' op moving scale shape 4x512 must be [K/32, 4, 512] = 4x4x512}}
  trn.matmul %st, %mv scales(%ss, %ms : memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>) -> %ps mode mx : memref<128x4x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @mx_bf16_operand(%st: memref<128x4x128xbf16, #trn.mem<sbuf>>, %mv: memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>, %ss: memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>, %ms: memref<4x4x512xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.matmul' op stationary element type 'bf16' is not a legal matmul operand in mode mx on trn3}}
  trn.matmul %st, %mv scales(%ss, %ms : memref<4x4x128xf8E8M0FNU, #trn.mem<sbuf>>, memref<4x4x512xf8E8M0FNU, #trn.mem<sbuf>>) -> %ps mode mx : memref<128x4x128xbf16, #trn.mem<sbuf>>, memref<128x4x512xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @quantize_src_dtype(%x: memref<128x512xi32, #trn.mem<sbuf>>, %q: memref<128x512xf8E4M3FN, #trn.mem<sbuf>>, %s: memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.quantize_mx' op source element type must be f32, bf16 or f16, got 'i32'}}
  trn.quantize_mx %x -> %q, %s : memref<128x512xi32, #trn.mem<sbuf>> -> memref<128x512xf8E4M3FN, #trn.mem<sbuf>>, memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @quantize_fp4(%x: memref<128x512xbf16, #trn.mem<sbuf>>, %q: memref<128x512xf4E2M1FN, #trn.mem<sbuf>>, %s: memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.quantize_mx' op destination element type must be f8E4M3FN or f8E5M2 (MXFP8), got 'f4E2M1FN'}}
  trn.quantize_mx %x -> %q, %s : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf4E2M1FN, #trn.mem<sbuf>>, memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @quantize_scale_dtype(%x: memref<128x512xbf16, #trn.mem<sbuf>>, %q: memref<128x512xf8E4M3FN, #trn.mem<sbuf>>, %s: memref<4x512xi8, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.quantize_mx' op scale element type must be f8E8M0FNU, got 'i8'}}
  trn.quantize_mx %x -> %q, %s : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf8E4M3FN, #trn.mem<sbuf>>, memref<4x512xi8, #trn.mem<sbuf>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @quantize_blocks(%x: memref<48x512xbf16, #trn.mem<sbuf>>, %q: memref<48x512xf8E4M3FN, #trn.mem<sbuf>>, %s: memref<1x512xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.quantize_mx' op source partition count 48 is not a multiple of the MX block size 32}}
  trn.quantize_mx %x -> %q, %s : memref<48x512xbf16, #trn.mem<sbuf>> -> memref<48x512xf8E4M3FN, #trn.mem<sbuf>>, memref<1x512xf8E8M0FNU, #trn.mem<sbuf>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @quantize_scale_shape(%x: memref<128x512xbf16, #trn.mem<sbuf>>, %q: memref<128x512xf8E4M3FN, #trn.mem<sbuf>>, %s: memref<4x256xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.quantize_mx' op scale shape 4x256 must be [P/32, free dims of source] = 4x512}}
  trn.quantize_mx %x -> %q, %s : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x512xf8E4M3FN, #trn.mem<sbuf>>, memref<4x256xf8E8M0FNU, #trn.mem<sbuf>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn3">} {
func.func @quantize_shape(%x: memref<128x512xbf16, #trn.mem<sbuf>>, %q: memref<128x256xf8E4M3FN, #trn.mem<sbuf>>, %s: memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.quantize_mx' op destination shape 128x256 does not match source shape 128x512}}
  trn.quantize_mx %x -> %q, %s : memref<128x512xbf16, #trn.mem<sbuf>> -> memref<128x256xf8E4M3FN, #trn.mem<sbuf>>, memref<4x512xf8E8M0FNU, #trn.mem<sbuf>>
  return
}
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
func.func @e8m0_on_dve_trn2(%a: memref<128x64xf8E8M0FNU, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.memset' op destination element type 'f8E8M0FNU' is not supported by any engine able to execute this instruction (dve or pool) on trn2}}
  trn.memset 1.0 -> %a : memref<128x64xf8E8M0FNU, #trn.mem<sbuf>>
  return
}
}
