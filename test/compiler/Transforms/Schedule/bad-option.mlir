// RUN: not trn-opt --trn-schedule="dma-queues=17" %s 2>&1 | FileCheck %s
// CHECK: error: trn-schedule: dma-queues must be between 0 (one per DMA engine) and 16, got 17
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @f() {
    return
  }
}
