// An existing trn.target is kept; an unknown default target is an error.
// RUN: trn-opt %s --split-input-file --trn-check-entry | FileCheck %s
// RUN: not trn-opt %s --split-input-file --trn-check-entry=default-target=trn9 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK: module attributes {trn.target = #trn.target<"trn3">}
// BAD-NOT: unknown default-target
module attributes {trn.target = #trn.target<"trn3">} {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// BAD: error: trn-check-entry: unknown default-target 'trn9'; known targets: trn1, trn2, trn3
func.func @g(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
