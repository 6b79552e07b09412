// Every violation is reported (one diagnostic per op), not just the first.
// RUN: trn-opt %s --split-input-file --trn-check-entry -verify-diagnostics

// expected-error @+1 {{function @dyn is not supported by trnc: argument #0 of type 'tensor<?x4xf32>': dynamic shapes are not supported; inputs must be ranked static tensors of f32 or bf16}}
func.func @dyn(%x: tensor<?x4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'tensor.dim' op is not supported by trnc: dynamic shapes are not supported; inputs must be ranked static tensors of f32 or bf16}}
  %d = tensor.dim %x, %c0 : tensor<?x4xf32>
  // expected-error @+1 {{'tensor.empty' op is not supported by trnc: result #0 of type 'tensor<?xf32>': dynamic shapes are not supported}}
  %e = tensor.empty(%d) : tensor<?xf32>
  %s = tensor.empty() : tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// expected-error @+2 {{function @types is not supported by trnc: argument #0 of type 'memref<4xf32>': memrefs are not supported}}
// expected-error @+1 {{function @types is not supported by trnc: argument #1 of type 'tensor<*xf32>': unranked tensors are not supported}}
func.func @types(%m: memref<4xf32>, %u: tensor<*xf32>, %i: tensor<4xi32>, %v: vector<4xf32>) -> tensor<4xf16> {
  // expected-error @-1 {{function @types is not supported by trnc: argument #2 of type 'tensor<4xi32>': element type 'i32' is not supported}}
  // expected-error @-2 {{function @types is not supported by trnc: argument #3 of type 'vector<4xf32>': vector types are not supported}}
  // expected-error @-3 {{function @types is not supported by trnc: result #0 of type 'tensor<4xf16>': element type 'f16' is not supported}}
  // expected-error @+1 {{'tensor.empty' op is not supported by trnc: result #0 of type 'tensor<4xf16>': element type 'f16' is not supported}}
  %e = tensor.empty() : tensor<4xf16>
  // expected-error @+1 {{'func.return' op is not supported by trnc: operand #0 of type 'tensor<4xf16>': element type 'f16' is not supported}}
  return %e : tensor<4xf16>
}

// -----

func.func private @callee(tensor<4xf32>) -> tensor<4xf32>
// expected-error @-1 {{'func.func' op is not supported by trnc: function declarations without a body are not supported}}

func.func @calls(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'func.call' op is not supported by trnc: function calls are not supported; inline the callee first}}
  %y = func.call @callee(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @control(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{'scf.for' op is not supported by trnc: control flow is not supported; express loops and conditionals with linalg ops}}
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%a = %x) -> tensor<4xf32> {
    scf.yield %a : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @ops(%x: tensor<4x4xf32>, %p: f32) -> tensor<4x4xf32> {
  // expected-error @-1 {{function @ops is not supported by trnc: argument #1 of type 'f32': scalar arguments are not supported}}
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'tensor.extract' op is not supported by trnc: element access by index is not supported}}
  %s = tensor.extract %x[%c0, %c0] : tensor<4x4xf32>
  // expected-error @+1 {{'tensor.splat' op is not supported by trnc: build tensors with arith.constant or linalg.fill}}
  %t = tensor.splat %s : tensor<4x4xf32>
  // expected-error @+1 {{'tensor.pad' op is not supported by trnc: the padding value must be a constant}}
  %pad = tensor.pad %x low[1, 1] high[1, 1] {
  ^bb0(%i: index, %j: index):
    %v = arith.index_cast %i : index to i32
    %f = arith.sitofp %v : i32 to f32
    tensor.yield %f : f32
  } : tensor<4x4xf32> to tensor<6x6xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  // expected-error @+1 {{'linalg.contract' op is not supported by trnc: use linalg.matmul/linalg.batch_matmul}}
  %c = linalg.contract indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%x, %x : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %x5 = tensor.empty() : tensor<1x3x3x3x1xf32>
  %w5 = tensor.empty() : tensor<1x1x1x1x1xf32>
  // expected-error @+1 {{'linalg.conv_3d_ndhwc_dhwcf' op is not supported by trnc: unsupported operation}}
  %c3 = linalg.conv_3d_ndhwc_dhwcf ins(%x5, %w5 : tensor<1x3x3x3x1xf32>, tensor<1x1x1x1x1xf32>) outs(%x5 : tensor<1x3x3x3x1xf32>) -> tensor<1x3x3x3x1xf32>
  return %c : tensor<4x4xf32>
}

// -----

func.func @bodies(%x: tensor<4xf32>, %t: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 0 : index
    // expected-error @+1 {{'tensor.extract' op is not supported by trnc: element access by index is not supported}}
    %g = tensor.extract %t[%i] : tensor<4xf32>
    // expected-error @+1 {{'arith.truncf' op is not supported by trnc: result #0 of type 'f16': type 'f16' is not supported}}
    %a16 = arith.truncf %a : f32 to f16
    // expected-error @+1 {{'arith.addf' op is not supported by trnc: operand #0 of type 'f16': type 'f16' is not supported}}
    %h = arith.addf %a16, %a16 : f16
    linalg.yield %g : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Empty tensors (a zero-sized dimension) are rejected up front.
// expected-error @+2 {{function @empty is not supported by trnc: argument #0 of type 'tensor<0x5xf32>': empty tensors (a dimension of size 0) are not supported}}
// expected-error @+1 {{function @empty is not supported by trnc: result #0 of type 'tensor<0x5xf32>': empty tensors (a dimension of size 0) are not supported}}
func.func @empty(%x: tensor<0x5xf32>) -> tensor<0x5xf32> {
  // expected-error @+1 {{'math.exp' op is not supported by trnc: operand #0 of type 'tensor<0x5xf32>': empty tensors (a dimension of size 0) are not supported}}
  %r = math.exp %x : tensor<0x5xf32>
  // expected-error @+1 {{'func.return' op is not supported by trnc: operand #0 of type 'tensor<0x5xf32>': empty tensors}}
  return %r : tensor<0x5xf32>
}
