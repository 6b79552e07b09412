// Without trn.target the verifiers use trn2 (double-row matmul accepted);
// the closest enclosing trn.target wins over outer ones.
// RUN: trn-opt %s -split-input-file -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @default_is_trn2
func.func @default_is_trn2(%st: memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>, %mv: memref<128x2x512xf8E5M2, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
  // CHECK: mode fp8_double_row
  trn.matmul %st, %mv -> %ps mode fp8_double_row : memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x2x512xf8E5M2, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
  return
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  module attributes {trn.target = #trn.target<"trn1">} {
    func.func @inner_trn1(%st: memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>, %mv: memref<128x2x512xf8E5M2, #trn.mem<sbuf>>, %ps: memref<128x512xf32, #trn.mem<psum>>) {
      // expected-error @+1 {{'trn.matmul' op matmul mode fp8_double_row is not supported on trn1 (supported on: trn2, trn3)}}
      trn.matmul %st, %mv -> %ps mode fp8_double_row : memref<128x2x128xf8E4M3FN, #trn.mem<sbuf>>, memref<128x2x512xf8E5M2, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
      return
    }
  }
}
