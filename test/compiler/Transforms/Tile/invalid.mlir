// RUN: trn-opt --trn-tile -split-input-file -verify-diagnostics %s

module attributes {trn.target = #trn.target<"trn2">} {
  func.func @dynamic(%a: tensor<?x4xf32>, %e: tensor<?x4xf32>) -> tensor<?x4xf32> {
    // expected-error @+1 {{has a dynamically shaped operand 'tensor<?x4xf32>'; trn-tile needs static shapes}}
    %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
    ^bb0(%x: f32, %o: f32):
      linalg.yield %x : f32
    } -> tensor<?x4xf32>
    return %r : tensor<?x4xf32>
  }
}
