// Reduction bodies with math.absf that are not max/min/add/mul of |element| and
// the accumulator are rejected by trn-lower-to-trn with a diagnostic.
// RUN: trn-opt --split-input-file --trn-lower-to-trn %s -verify-diagnostics

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @abs_of_acc(%x: memref<4x4xf32, #trn.mem<hbm>>, %y: memref<4xf32, #trn.mem<hbm>>) {
    // expected-error @+1 {{reduction body must be a single arith addf/mulf/maximumf/minimumf of the element and the accumulator (the element optionally through math.absf)}}
    linalg.reduce ins(%x : memref<4x4xf32, #trn.mem<hbm>>) outs(%y : memref<4xf32, #trn.mem<hbm>>) dimensions = [1]
      (%a: f32, %acc: f32) {
        %b = math.absf %acc : f32
        %s = arith.maximumf %a, %b : f32
        linalg.yield %s : f32
      }
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @abs_unused(%x: memref<4x4xf32, #trn.mem<hbm>>, %y: memref<4xf32, #trn.mem<hbm>>) {
    // expected-error @+1 {{reduction body must be a single arith addf/mulf/maximumf/minimumf}}
    linalg.reduce ins(%x : memref<4x4xf32, #trn.mem<hbm>>) outs(%y : memref<4xf32, #trn.mem<hbm>>) dimensions = [1]
      (%a: f32, %acc: f32) {
        %b = math.absf %a : f32
        %s = arith.maximumf %a, %acc : f32
        linalg.yield %s : f32
      }
    return
  }
}

// -----

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @abs_then_sub(%x: memref<4x4xf32, #trn.mem<hbm>>, %y: memref<4xf32, #trn.mem<hbm>>) {
    // expected-error @+1 {{reduction body must be a single arith addf/mulf/maximumf/minimumf}}
    linalg.reduce ins(%x : memref<4x4xf32, #trn.mem<hbm>>) outs(%y : memref<4xf32, #trn.mem<hbm>>) dimensions = [1]
      (%a: f32, %acc: f32) {
        %b = math.absf %a : f32
        %s = arith.subf %b, %acc : f32
        linalg.yield %s : f32
      }
    return
  }
}
