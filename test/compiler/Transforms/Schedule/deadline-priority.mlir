// RUN: trn-opt --trn-schedule=dma-queues=1 %s | FileCheck %s

// Start-time ties: both loads can start at 0 on the one DMA queue. By the
// longest remaining path including itself, the 2 MiB load (its own transfer)
// outranks the 256 KiB load (its transfer + the activation): the activation
// would start only after both loads, makespan = big + small + activation.
// The second list-scheduling pass breaks the tie by the latest finish first
// (the path after the load: the activation that consumes the small one), so
// the small load goes first and the activation overlaps the big load:
// makespan = small + big, shorter, so that schedule is kept.

// CHECK-LABEL: func.func @deadline
// CHECK: trn.dma_copy %arg1 -> %{{.*}} {queue = "dma0", sync = #trn.sync<signal = [s4]>}
// CHECK-NEXT: trn.dma_copy %arg0 -> %{{.*}} {queue = "dma0"}
// CHECK-NEXT: trn.activation relu {{.*}} {queue = "act", sync = #trn.sync<wait = [s4 : 1]>}
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @deadline(%big: memref<128x4096xf32, #trn.mem<hbm>>, %small: memref<128x512xf32, #trn.mem<hbm>>) {
    %b = trn.alloc() {offset = 0 : i64} : memref<128x4096xf32, #trn.mem<sbuf>>
    %s = trn.alloc() {offset = 16384 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    %t = trn.alloc() {offset = 18432 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.dma_copy %big -> %b : memref<128x4096xf32, #trn.mem<hbm>> -> memref<128x4096xf32, #trn.mem<sbuf>>
    trn.dma_copy %small -> %s : memref<128x512xf32, #trn.mem<hbm>> -> memref<128x512xf32, #trn.mem<sbuf>>
    trn.activation relu %s -> %t scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    return
  }
}
