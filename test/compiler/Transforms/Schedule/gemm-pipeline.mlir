// RUN: trn-opt --trn-tile --trn-bufferize --trn-place-memory --trn-lower-to-trn --trn-unroll --trn-allocate --trn-schedule %s | FileCheck %s
// A naive-strategy GEMM C[256, 1024] = L[128, 256]^T R[128, 1024] (bf16 in,
// f32 out) through allocation and scheduling on trn2: 4 output tiles, one
// matmul each.

// The modeled time, exactly (trn2; docs/scheduling.md): the moving loads
// (128 KiB, 1 KiB runs at half rate: 600 + 131072 / 11.5 ns) finish at
// 11997.565; the 4 matmuls (512 cycles at 2.4 GHz = 213.33 ns) run back to
// back from there; the evictions (256 cycles at 0.96 GHz = 266.67 ns) follow on
// VectorE, the last one ends at 13277.565; its store (256 KiB of f32, 2 KiB
// runs at half rate, released by a semaphore: 1300 + 600 + 262144 / 11.5 ns)
// ends at 37972.696. trn-run reports the same time (test/e2e/gemm-strategies.test).
// CHECK: trnc.estimated_ns = 37972.695652173912

// Bank rotation: the four PSUM accumulators rotate over banks 0..3 (2 KiB
// each), so eviction of one group overlaps the next group's matmuls.
// CHECK: trn.alloc() {offset = 0 : i64} : memref<128x512xf32, #trn.mem<psum>>
// CHECK: trn.alloc() {offset = 2048 : i64} : memref<128x512xf32, #trn.mem<psum>>
// CHECK: trn.alloc() {offset = 4096 : i64} : memref<128x512xf32, #trn.mem<psum>>
// CHECK: trn.alloc() {offset = 6144 : i64} : memref<128x512xf32, #trn.mem<psum>>

// Buffer rotation + prefetch: every load has its own SBUF buffer and no
// predecessor, so all 8 loads are issued first, each on its own DMA queue,
// and only signal (they wait for nothing).
// CHECK-COUNT-8: trn.dma_copy {{.*}}{queue = "dma{{[0-9]+}}", sync = #trn.sync<signal = [s{{[0-9]+}}]>, trnc.no_reuse}

// Semaphores: a matmul waits for exactly its two loads; evictions wait for
// the n-th signal of the PE queue (s0) and nothing else (program order on
// dve covers the earlier evictions); no instruction waits twice for the same
// producer.
// CHECK: trn.matmul %{{.*}} {queue = "pe", sync = #trn.sync<wait = [s{{[0-9]+}} : 1, s{{[0-9]+}} : 1], signal = [s0]>}
// CHECK: trn.tensor_copy %{{.*}} {queue = "{{dve|act}}", sync = #trn.sync<wait = [s0 : 1], signal = [s{{[12]}}]>}
// CHECK: trn.tensor_copy %{{.*}} sync = #trn.sync<wait = [s0 : 2],
// CHECK: trn.tensor_copy %{{.*}} sync = #trn.sync<wait = [s0 : 3],
// CHECK: trn.tensor_copy %{{.*}} sync = #trn.sync<wait = [s0 : 4],
// The last store waits for the last eviction only.
// CHECK: trn.dma_copy {{.*}}sync = #trn.sync<wait = [s{{[12]}} : 4]>}

module attributes {trn.target = #trn.target<"trn2">, trnc.matmul_tiling = "naive"} {
  func.func @gemm(%l: tensor<128x256xbf16>, %r: tensor<128x1024xbf16>) -> tensor<256x1024xf32> {
    %e = tensor.empty() : tensor<256x1024xf32>
    %z = arith.constant 0.0 : f32
    %f = linalg.fill ins(%z : f32) outs(%e : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>] ins(%l, %r : tensor<128x256xbf16>, tensor<128x1024xbf16>) outs(%f : tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %m : tensor<256x1024xf32>
  }
}
