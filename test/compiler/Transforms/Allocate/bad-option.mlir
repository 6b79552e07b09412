// RUN: not trn-opt --trn-allocate="alignment=48" %s 2>&1 | FileCheck %s
// CHECK: error: trn-allocate: alignment must be a power of two, got 48
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @f() {
    return
  }
}
