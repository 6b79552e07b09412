// RUN: trn-opt --trn-bufferize -split-input-file -verify-diagnostics %s

module attributes {trn.target = #trn.target<"trn2">} {
  // expected-error @+1 {{argument type 'tensor<?x4xf32>' is not a static ranked tensor; trn-bufferize expects stage-4 IR}}
  func.func @dynamic(%a: tensor<?x4xf32>) -> tensor<?x4xf32> {
    return %a : tensor<?x4xf32>
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  // expected-error @+1 {{result type 'f32' is not a static ranked tensor; trn-bufferize expects stage-4 IR}}
  func.func @scalar(%a: tensor<4xf32>) -> f32 {
    %c = arith.constant 1.0 : f32
    return %c : f32
  }
}
