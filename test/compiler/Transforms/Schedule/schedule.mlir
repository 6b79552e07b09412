// RUN: trn-opt --trn-schedule -split-input-file %s | FileCheck %s

// Queue assignment and semaphores. The load signals its DMA queue's semaphore
// (dma0 = s4), the activation waits for it; the store waits for the
// activation (act = s1). Nothing else signals.

// CHECK-LABEL: func.func @chain
// CHECK-SAME: trnc.estimated_ns
// CHECK: trn.dma_copy %{{.*}} {queue = "dma0", sync = #trn.sync<signal = [s4]>}
// CHECK-NEXT: trn.activation relu {{.*}} {queue = "act", sync = #trn.sync<wait = [s4 : 1], signal = [s1]>}
// CHECK-NEXT: trn.dma_copy {{.*}} {queue = "dma1", sync = #trn.sync<wait = [s1 : 1]>}
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @chain(%x: memref<128x512xf32, #trn.mem<hbm>>, %y: memref<128x512xf32, #trn.mem<hbm>>) {
    %a = trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    %b = trn.alloc() {offset = 2048 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.dma_copy %x -> %a : memref<128x512xf32, #trn.mem<hbm>> -> memref<128x512xf32, #trn.mem<sbuf>>
    trn.activation relu %a -> %b scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    trn.dma_copy %b -> %y : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<hbm>>
    return
  }
}

// -----
// Engines: matmul -> pe, iota -> pool (GpSimd only), element-wise ops ->
// dve or pool (two independent ones are spread over both), an explicit
// `engine` or `queue` is respected.

// CHECK-LABEL: func.func @engines
// CHECK-DAG: trn.iota {{.*}}queue = "pool"
// CHECK-DAG: trn.memset 1.000000e+00 -> %{{.*}} {queue = "dve"
// CHECK-DAG: trn.memset 2.000000e+00 -> %{{.*}} {queue = "pool"
// CHECK-DAG: trn.memset 3.000000e+00 -> %{{.*}} {engine = #trn.engine<pool>, queue = "pool"
// CHECK-DAG: trn.memset 4.000000e+00 -> %{{.*}} {queue = "dve"
// CHECK-DAG: trn.tensor_copy {{.*}} {engine = #trn.engine<act>, queue = "act"
// CHECK-DAG: trn.matmul {{.*}}queue = "pe", sync = #trn.sync<wait = [s2 : 1, s3 : 1]>
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @engines() {
    %i = trn.alloc() {offset = 0 : i64} : memref<128x64xi32, #trn.mem<sbuf>>
    trn.iota -> %i base(0) channel_multiplier(1) multipliers([128]) : memref<128x64xi32, #trn.mem<sbuf>>
    %a = trn.alloc() {offset = 1024 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    %b = trn.alloc() {offset = 4096 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.memset 1.0 -> %a : memref<128x512xf32, #trn.mem<sbuf>>
    trn.memset 2.0 -> %b : memref<128x512xf32, #trn.mem<sbuf>>
    %c = trn.alloc() {offset = 8192 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.memset 3.0 -> %c {engine = #trn.engine<pool>} : memref<128x512xf32, #trn.mem<sbuf>>
    %d = trn.alloc() {offset = 12288 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.memset 4.0 -> %d {queue = "dve"} : memref<128x512xf32, #trn.mem<sbuf>>
    %e = trn.alloc() {offset = 16384 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.tensor_copy %d -> %e {engine = #trn.engine<act>} : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %st = memref.subview %a[0, 0] [128, 128] [1, 1] : memref<128x512xf32, #trn.mem<sbuf>> to memref<128x128xf32, strided<[512, 1]>, #trn.mem<sbuf>>
    %p = trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<psum>>
    trn.matmul %st, %b -> %p : memref<128x128xf32, strided<[512, 1]>, #trn.mem<sbuf>>, memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<psum>>
    return
  }
}

// -----
// Transitive reduction: the matmul reads %a (loaded on dma0) and %b (written
// by the activation, which already waited for the load of %a... and of %b).
// The matmul waits only for the activation: the load semaphore is implied.

// CHECK-LABEL: func.func @transitive
// CHECK-DAG: trn.dma_copy %arg0 -> %[[A:.*]] {queue = "dma{{[0-9]+}}", sync = #trn.sync<signal = [s[[SA:[0-9]+]]]>}
// CHECK: trn.activation exp %[[A]] -> %[[B:.*]] scale{{.*}}{queue = "act", sync = #trn.sync<wait = [s[[SA]] : 1], signal = [s1]>}
// CHECK-NEXT: trn.matmul %[[A]], %[[B]] -> %{{.*}} {queue = "pe", sync = #trn.sync<wait = [s1 : 1]>}
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @transitive(%x: memref<128x128xf32, #trn.mem<hbm>>) {
    %a = trn.alloc() {offset = 0 : i64} : memref<128x128xf32, #trn.mem<sbuf>>
    %b = trn.alloc() {offset = 512 : i64} : memref<128x128xf32, #trn.mem<sbuf>>
    %p = trn.alloc() {offset = 0 : i64} : memref<128x128xf32, #trn.mem<psum>>
    trn.dma_copy %x -> %a : memref<128x128xf32, #trn.mem<hbm>> -> memref<128x128xf32, #trn.mem<sbuf>>
    trn.activation exp %a -> %b scale(1.0) bias(0.0) : memref<128x128xf32, #trn.mem<sbuf>> -> memref<128x128xf32, #trn.mem<sbuf>>
    trn.matmul %a, %b -> %p : memref<128x128xf32, #trn.mem<sbuf>>, memref<128x128xf32, #trn.mem<sbuf>> -> memref<128x128xf32, #trn.mem<psum>>
    return
  }
}

// -----
// Reordering: program order is load0, relu0, store0, load1, relu1, store1
// with rotated buffers; the scheduler issues both loads first (prefetch) and
// keeps every dependency (each relu after its load, each store after its relu).

// CHECK-LABEL: func.func @prefetch
// CHECK: trn.dma_copy %{{.*}} -> %[[A0:[0-9]+]] {queue = "dma0", sync = #trn.sync<signal = [s4]>}
// CHECK-NEXT: trn.dma_copy %{{.*}} -> %[[A1:[0-9]+]] {queue = "dma1", sync = #trn.sync<signal = [s5]>}
// CHECK-NEXT: trn.activation relu %[[A0]] -> {{.*}}wait = [s4 : 1], signal = [s1]
// CHECK-NEXT: trn.activation relu %[[A1]] -> {{.*}}wait = [s5 : 1], signal = [s1]
// CHECK-NEXT: trn.dma_copy {{.*}}wait = [s1 : 1]
// CHECK-NEXT: trn.dma_copy {{.*}}wait = [s1 : 2]
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @prefetch(%x: memref<128x1024xf32, #trn.mem<hbm>>, %y: memref<128x1024xf32, #trn.mem<hbm>>) {
    %a0 = trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    %x0 = memref.subview %x[0, 0] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    trn.dma_copy %x0 -> %a0 : memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %b0 = trn.alloc() {offset = 2048 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.activation relu %a0 -> %b0 scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %y0 = memref.subview %y[0, 0] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    trn.dma_copy %b0 -> %y0 : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    %a1 = trn.alloc() {offset = 4096 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    %x1 = memref.subview %x[0, 512] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    trn.dma_copy %x1 -> %a1 : memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %b1 = trn.alloc() {offset = 6144 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.activation relu %a1 -> %b1 scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %y1 = memref.subview %y[0, 512] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    trn.dma_copy %b1 -> %y1 : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    return
  }
}

// -----
// Write-after-read through address reuse: %a1 reuses %a0's bytes, so the
// second load must wait until the activation has read %a0, and its relu
// follows it. No prefetch is possible here (that is what rotation avoids).

// CHECK-LABEL: func.func @war
// CHECK: trn.dma_copy {{.*}}{queue = "dma0", sync = #trn.sync<signal = [s4]>}
// CHECK-NEXT: trn.activation relu {{.*}}{queue = "act", sync = #trn.sync<wait = [s4 : 1], signal = [s1]>}
// CHECK-NEXT: trn.dma_copy {{.*}}{queue = "dma{{[0-9]+}}", sync = #trn.sync<wait = [s1 : 1], signal = [s[[S:[0-9]+]]]>}
// CHECK-NEXT: trn.activation relu {{.*}}{queue = "act", sync = #trn.sync<wait = [s[[S]] : 1]>}
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @war(%x: memref<128x1024xf32, #trn.mem<hbm>>) {
    %a0 = trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    %x0 = memref.subview %x[0, 0] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    trn.dma_copy %x0 -> %a0 : memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %b = trn.alloc() {offset = 2048 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.activation relu %a0 -> %b scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    %a1 = trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    %x1 = memref.subview %x[0, 512] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    trn.dma_copy %x1 -> %a1 : memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>> -> memref<128x512xf32, #trn.mem<sbuf>>
    trn.activation relu %a1 -> %b scale(1.0) bias(0.0) : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, #trn.mem<sbuf>>
    return
  }
}

// -----
// Exact strided intersection: the two stores write the even and the odd
// columns of %y (overlapping bounding boxes, disjoint bytes), so they are
// independent and neither waits for the other; the third store (every fourth
// column) overlaps only the even columns and waits only for that store.

// CHECK-LABEL: func.func @strided
// CHECK: trn.dma_copy %[[S:.*]] -> %[[EVEN:.*]] {queue = "dma0", sync = #trn.sync<signal = [s4]>}
// CHECK-NEXT: trn.dma_copy %[[S]] -> %[[ODD:.*]] {queue = "dma1"}
// CHECK-NEXT: trn.dma_copy %{{.*}} -> %{{.*}} {queue = "dma2", sync = #trn.sync<wait = [s4 : 1]>}
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @strided(%y: memref<128x64xf32, #trn.mem<hbm>>) {
    %s = trn.alloc() {offset = 0 : i64} : memref<128x32xf32, #trn.mem<sbuf>>
    %even = memref.subview %y[0, 0] [128, 32] [1, 2] : memref<128x64xf32, #trn.mem<hbm>> to memref<128x32xf32, strided<[64, 2]>, #trn.mem<hbm>>
    %odd = memref.subview %y[0, 1] [128, 32] [1, 2] : memref<128x64xf32, #trn.mem<hbm>> to memref<128x32xf32, strided<[64, 2], offset: 1>, #trn.mem<hbm>>
    %every4 = memref.subview %y[0, 0] [128, 16] [1, 4] : memref<128x64xf32, #trn.mem<hbm>> to memref<128x16xf32, strided<[64, 4]>, #trn.mem<hbm>>
    %s16 = memref.subview %s[0, 0] [128, 16] [1, 1] : memref<128x32xf32, #trn.mem<sbuf>> to memref<128x16xf32, strided<[32, 1]>, #trn.mem<sbuf>>
    trn.dma_copy %s -> %even {queue = "dma0"} : memref<128x32xf32, #trn.mem<sbuf>> -> memref<128x32xf32, strided<[64, 2]>, #trn.mem<hbm>>
    trn.dma_copy %s -> %odd {queue = "dma1"} : memref<128x32xf32, #trn.mem<sbuf>> -> memref<128x32xf32, strided<[64, 2], offset: 1>, #trn.mem<hbm>>
    trn.dma_copy %s16 -> %every4 {queue = "dma2"} : memref<128x16xf32, strided<[32, 1]>, #trn.mem<sbuf>> -> memref<128x16xf32, strided<[64, 4]>, #trn.mem<hbm>>
    return
  }
}

// -----
// GpSimd has no PSUM port: two independent PSUM evictions never go to pool;
// PSUM evictions may use ScalarE, so the second one runs on act in parallel.

// CHECK-LABEL: func.func @psum_not_on_pool
// CHECK: trn.tensor_copy {{.*}}{queue = "dve"}
// CHECK-NEXT: trn.tensor_copy {{.*}}{queue = "act"}
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @psum_not_on_pool() {
    %p0 = trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<psum>>
    %p1 = trn.alloc() {offset = 2048 : i64} : memref<128x512xf32, #trn.mem<psum>>
    %s0 = trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    %s1 = trn.alloc() {offset = 2048 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.tensor_copy %p0 -> %s0 : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xf32, #trn.mem<sbuf>>
    trn.tensor_copy %p1 -> %s1 : memref<128x512xf32, #trn.mem<psum>> -> memref<128x512xf32, #trn.mem<sbuf>>
    return
  }
}

// -----
// Row-structured HBM tiles (128 rows of one contiguous run, 1024 apart, the
// exact row-run overlap test): stores to columns [0, 512) and [256, 768) of
// every row overlap, so the second waits for the first (write-after-write);
// stores to [0, 512) and [512, 1024) are independent.

// CHECK-LABEL: func.func @row_runs_overlap
// CHECK: trn.dma_copy %{{.*}} -> %{{.*}} {queue = "dma{{[0-9]+}}", sync = #trn.sync<wait = [s2 : 1], signal = [s[[S:[0-9]+]]]>}
// CHECK-NEXT: trn.dma_copy %{{.*}} -> %{{.*}} {queue = "dma{{[0-9]+}}", sync = #trn.sync<wait = [s[[S]] : 1]>}
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @row_runs_overlap(%y: memref<128x1024xf32, #trn.mem<hbm>>) {
    %a = trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.memset 1.0 -> %a : memref<128x512xf32, #trn.mem<sbuf>>
    %y0 = memref.subview %y[0, 0] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    trn.dma_copy %a -> %y0 : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    %y1 = memref.subview %y[0, 256] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1], offset: 256>, #trn.mem<hbm>>
    trn.dma_copy %a -> %y1 : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[1024, 1], offset: 256>, #trn.mem<hbm>>
    return
  }
}

// -----

// CHECK-LABEL: func.func @row_runs_disjoint
// CHECK: trn.dma_copy %{{.*}} -> %{{.*}} {queue = "dma{{[0-9]+}}", sync = #trn.sync<wait = [s2 : 1]
// CHECK-NEXT: trn.dma_copy %{{.*}} -> %{{.*}} {queue = "dma{{[0-9]+}}", sync = #trn.sync<wait = [s2 : 1]>}
module attributes {trn.target = #trn.target<"trn2">} {
  func.func @row_runs_disjoint(%y: memref<128x1024xf32, #trn.mem<hbm>>) {
    %a = trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<sbuf>>
    trn.memset 1.0 -> %a : memref<128x512xf32, #trn.mem<sbuf>>
    %y0 = memref.subview %y[0, 0] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    trn.dma_copy %a -> %y0 : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[1024, 1]>, #trn.mem<hbm>>
    %y1 = memref.subview %y[0, 512] [128, 512] [1, 1] : memref<128x1024xf32, #trn.mem<hbm>> to memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    trn.dma_copy %a -> %y1 : memref<128x512xf32, #trn.mem<sbuf>> -> memref<128x512xf32, strided<[1024, 1], offset: 512>, #trn.mem<hbm>>
    return
  }
}
