// Attribute parsing and verification.
// RUN: trn-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown target 'trn9'; known targets: trn1, trn2, trn3}}
module attributes {trn.target = #trn.target<"trn9">} {}

// -----

// expected-error @+1 {{'trn.target' must be a #trn.target attribute, got "trn2"}}
module attributes {trn.target = "trn2"} {}

// -----

// expected-error @+1 {{unknown trn dialect attribute 'trn.tagret'; the only discardable trn attribute is 'trn.target'}}
module attributes {trn.tagret = #trn.target<"trn2">} {}

// -----

// expected-error @+2 {{expected ::mlir::trn::MemSpace to be one of: hbm, sbuf, psum}}
// expected-error @+1 {{failed to parse Trn_MemSpaceAttr parameter 'value'}}
func.func private @bad_memory_space(memref<128x64xf32, #trn.mem<dram>>)

// -----

func.func @bad_semaphore(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{expected a semaphore 's<id>', got 'x3'}}
  trn.memset 0.0 -> %a {sync = #trn.sync<wait = [x3 : 1]>} : memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @missing_wait_value(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{expected ':'}}
  trn.memset 0.0 -> %a {sync = #trn.sync<wait = [s3]>} : memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @duplicate_wait(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{expected 'wait' or 'signal' (each at most once), got 'wait'}}
  trn.memset 0.0 -> %a {sync = #trn.sync<wait = [s3 : 1], wait = [s4 : 1]>} : memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @unknown_alu_op(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+2 {{expected ::mlir::trn::AluOp to be one of: add, sub, mul, div, max, min, pow, is_eq, is_ne, is_lt, is_le, is_gt, is_ge, and, or, bypass}}
  // expected-error @+1 {{failed to parse Trn_AluOpAttr parameter 'value'}}
  trn.tensor_tensor xor %a, %a -> %a : memref<128x64xf32, #trn.mem<sbuf>>, memref<128x64xf32, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @unknown_act_func(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+2 {{expected ::mlir::trn::ActFunc to be one of: identity, relu, gelu, gelu_tanh, silu, sigmoid, tanh, exp, log, sqrt, rsqrt, square, reciprocal, erf, abs}}
  // expected-error @+1 {{failed to parse Trn_ActFuncAttr parameter 'value'}}
  trn.activation softplus %a -> %a scale(1.0) bias(0.0) : memref<128x64xf32, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}
