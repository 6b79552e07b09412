// Scheduling attributes: engine, queue, semaphores (TrnInstructionOpInterface).
// RUN: trn-opt %s -split-input-file -verify-diagnostics

func.func @engine_cannot_execute(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_tensor' op engine 'act' cannot execute this instruction; allowed engines: dve or pool}}
  trn.tensor_tensor add %a, %a -> %a {engine = #trn.engine<act>} : memref<128x64xf32, #trn.mem<sbuf>>, memref<128x64xf32, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @unknown_queue(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.memset' op unknown queue 'gpsimd'; expected pe, act, dve, pool or dma0..dma15}}
  trn.memset 0.0 -> %a {queue = "gpsimd"} : memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @dma_queue_16(%a: memref<128x64xf32, #trn.mem<hbm>>, %b: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.dma_copy' op unknown queue 'dma16'; expected pe, act, dve, pool or dma0..dma15}}
  trn.dma_copy %a -> %b {queue = "dma16"} : memref<128x64xf32, #trn.mem<hbm>> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @queue_cannot_execute(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_tensor' op queue 'pe' runs on engine 'pe', which cannot execute this instruction; allowed engines: dve or pool}}
  trn.tensor_tensor add %a, %a -> %a {queue = "pe"} : memref<128x64xf32, #trn.mem<sbuf>>, memref<128x64xf32, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @dma_on_compute_queue(%a: memref<128x64xf32, #trn.mem<hbm>>, %b: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.dma_copy' op queue 'act' runs on engine 'act', which cannot execute this instruction; allowed engines: dma}}
  trn.dma_copy %a -> %b {queue = "act"} : memref<128x64xf32, #trn.mem<hbm>> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @queue_engine_mismatch(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_tensor' op queue 'dve' runs on engine 'dve' but engine = 'pool'}}
  trn.tensor_tensor add %a, %a -> %a {engine = #trn.engine<pool>, queue = "dve"} : memref<128x64xf32, #trn.mem<sbuf>>, memref<128x64xf32, #trn.mem<sbuf>> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @queue_decides_dtype_engine(%a: memref<128x64xf8E4M3FN, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_copy' op source element type 'f8E4M3FN' is not supported by engine 'pool' on trn2}}
  trn.tensor_copy %a -> %a {queue = "pool"} : memref<128x64xf8E4M3FN, #trn.mem<sbuf>> -> memref<128x64xf8E4M3FN, #trn.mem<sbuf>>
  return
}

// -----

func.func @wait_semaphore_id(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.memset' op semaphore s256 exceeds the trn2 limit of 256 semaphores (s0..s255)}}
  trn.memset 0.0 -> %a {sync = #trn.sync<wait = [s256 : 1]>} : memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @signal_semaphore_id(%a: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.memset' op semaphore s1000 exceeds the trn2 limit of 256 semaphores (s0..s255)}}
  trn.memset 0.0 -> %a {sync = #trn.sync<wait = [s1 : 1], signal = [s2, s1000]>} : memref<128x64xf32, #trn.mem<sbuf>>
  return
}
