// Tile operand rules shared by all instructions (target trn2).
// RUN: trn-opt %s -split-input-file -verify-diagnostics

func.func @no_trn_memory_space(%a: memref<128x64xf32>, %b: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_copy' op source must be in a #trn.mem<hbm|sbuf|psum> memory space, got 'memref<128x64xf32>'}}
  trn.tensor_copy %a -> %b : memref<128x64xf32> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @foreign_memory_space(%a: memref<128x64xf32, 1>, %b: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{source must be in a #trn.mem<hbm|sbuf|psum> memory space, got 'memref<128x64xf32, 1>'}}
  trn.tensor_copy %a -> %b : memref<128x64xf32, 1> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @compute_on_hbm(%a: memref<128x64xf32, #trn.mem<hbm>>, %b: memref<128x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.tensor_copy' op source must be in #trn.mem<sbuf> or #trn.mem<psum>, got #trn.mem<hbm>}}
  trn.tensor_copy %a -> %b : memref<128x64xf32, #trn.mem<hbm>> -> memref<128x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @dynamic_shape(%a: memref<128x?xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{destination must have a static shape, got 'memref<128x?xf32, #trn.mem<sbuf>>'}}
  trn.memset 0.0 -> %a : memref<128x?xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @not_a_device_dtype(%a: memref<128x64xf64, #trn.mem<sbuf>>) {
  // expected-error @+1 {{destination element type 'f64' is not a device dtype (supported: f32, bf16, f16, f8E4M3FN, f8E5M2, f4E2M1FN, f8E8M0FNU, i32, ui32, i8, ui8)}}
  trn.memset 0.0 -> %a : memref<128x64xf64, #trn.mem<sbuf>>
  return
}

// -----

func.func @i16_is_not_a_device_dtype(%a: memref<128x64xi16, #trn.mem<sbuf>>) {
  // expected-error @+1 {{destination element type 'i16' is not a device dtype}}
  trn.memset 0.0 -> %a : memref<128x64xi16, #trn.mem<sbuf>>
  return
}

// -----

func.func @onchip_rank1(%a: memref<128xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{destination has rank 1; an SBUF/PSUM tile has a partition dim and 1 to 4 free dims (rank 2 to 5)}}
  trn.memset 0.0 -> %a : memref<128xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @onchip_five_free_dims(%a: memref<128x2x2x2x2x2xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{destination has rank 6; an SBUF/PSUM tile has a partition dim and 1 to 4 free dims (rank 2 to 5)}}
  trn.memset 0.0 -> %a : memref<128x2x2x2x2x2xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @hbm_rank6(%a: memref<2x2x2x2x2x32xf32, #trn.mem<hbm>>, %b: memref<128x2xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{source has rank 6; an HBM access pattern has a row dim and at most 4 free dims (rank 1 to 5)}}
  trn.dma_copy %a -> %b : memref<2x2x2x2x2x32xf32, #trn.mem<hbm>> -> memref<128x2xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @empty_dim(%a: memref<128x0xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{destination dim 1 has size 0; sizes must be >= 1}}
  trn.memset 0.0 -> %a : memref<128x0xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @too_many_partitions(%a: memref<256x64xf32, #trn.mem<sbuf>>) {
  // expected-error @+1 {{'trn.memset' op destination partition count 256 exceeds the trn2 limit of 128}}
  trn.memset 0.0 -> %a : memref<256x64xf32, #trn.mem<sbuf>>
  return
}

// -----

func.func @start_partition_32_at_16() {
  %buf = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
  %t = memref.subview %buf[16, 0] [32, 64] [1, 1] : memref<128x64xf32, #trn.mem<sbuf>> to memref<32x64xf32, strided<[64, 1], offset: 1024>, #trn.mem<sbuf>>
  // expected-error @+1 {{'trn.memset' op destination accesses 32 partitions starting at partition 16; on trn2 an access of 32 partitions must start at partition 0, 32, 64 or 96}}
  trn.memset 0.0 -> %t : memref<32x64xf32, strided<[64, 1], offset: 1024>, #trn.mem<sbuf>>
  return
}

// -----

func.func @start_partition_64_at_32() {
  %buf = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
  %t = memref.subview %buf[32, 0] [64, 64] [1, 1] : memref<128x64xf32, #trn.mem<sbuf>> to memref<64x64xf32, strided<[64, 1], offset: 2048>, #trn.mem<sbuf>>
  // expected-error @+1 {{destination accesses 64 partitions starting at partition 32; on trn2 an access of 64 partitions must start at partition 0 or 64}}
  trn.memset 0.0 -> %t : memref<64x64xf32, strided<[64, 1], offset: 2048>, #trn.mem<sbuf>>
  return
}

// -----

func.func @start_partition_through_nested_subviews() {
  %buf = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
  %half = memref.subview %buf[64, 0] [64, 64] [1, 1] : memref<128x64xf32, #trn.mem<sbuf>> to memref<64x64xf32, strided<[64, 1], offset: 4096>, #trn.mem<sbuf>>
  %t = memref.subview %half[8, 0] [16, 32] [1, 1] : memref<64x64xf32, strided<[64, 1], offset: 4096>, #trn.mem<sbuf>> to memref<16x32xf32, strided<[64, 1], offset: 4608>, #trn.mem<sbuf>>
  // expected-error @+1 {{destination accesses 16 partitions starting at partition 72; on trn2 an access of 16 partitions must start at partition 0, 32, 64 or 96}}
  trn.memset 0.0 -> %t : memref<16x32xf32, strided<[64, 1], offset: 4608>, #trn.mem<sbuf>>
  return
}

// -----

func.func @start_partition_65_at_64() {
  %buf = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
  %t = memref.subview %buf[63, 0] [65, 64] [1, 1] : memref<128x64xf32, #trn.mem<sbuf>> to memref<65x64xf32, strided<[64, 1], offset: 4032>, #trn.mem<sbuf>>
  // expected-error @+1 {{destination accesses 65 partitions starting at partition 63; on trn2 an access of 65 partitions must start at partition 0}}
  trn.memset 0.0 -> %t : memref<65x64xf32, strided<[64, 1], offset: 4032>, #trn.mem<sbuf>>
  return
}

// -----

func.func @partitions_out_of_range(%buf: memref<256x64xf32, #trn.mem<sbuf>>) {
  %t = memref.subview %buf[96, 0] [64, 64] [1, 1] : memref<256x64xf32, #trn.mem<sbuf>> to memref<64x64xf32, strided<[64, 1], offset: 6144>, #trn.mem<sbuf>>
  // expected-error @+1 {{destination accesses partitions [96, 160) outside the trn2 range [0, 128)}}
  trn.memset 0.0 -> %t : memref<64x64xf32, strided<[64, 1], offset: 6144>, #trn.mem<sbuf>>
  return
}

// -----

func.func @partition_step() {
  %buf = trn.alloc() : memref<128x64xf32, #trn.mem<sbuf>>
  %t = memref.subview %buf[0, 0] [64, 64] [2, 1] : memref<128x64xf32, #trn.mem<sbuf>> to memref<64x64xf32, strided<[128, 1]>, #trn.mem<sbuf>>
  // expected-error @+1 {{destination has partition step 2; a tile uses consecutive partitions (step 1)}}
  trn.memset 0.0 -> %t : memref<64x64xf32, strided<[128, 1]>, #trn.mem<sbuf>>
  return
}

// -----

func.func @dropped_partition_dim() {
  %buf = trn.alloc() : memref<128x4x64xf32, #trn.mem<sbuf>>
  %t = memref.subview %buf[5, 0, 0] [1, 4, 64] [1, 1, 1] : memref<128x4x64xf32, #trn.mem<sbuf>> to memref<4x64xf32, strided<[64, 1], offset: 1280>, #trn.mem<sbuf>>
  // expected-error @+1 {{destination is a memref.subview that drops the partition dim (dim 0) of its buffer}}
  trn.memset 0.0 -> %t : memref<4x64xf32, strided<[64, 1], offset: 1280>, #trn.mem<sbuf>>
  return
}

// -----

func.func @non_strided_layout(%a: memref<128x64xf32, affine_map<(d0, d1) -> (d0 floordiv 2, d1)>, #trn.mem<sbuf>>) {
  // expected-error @+1 {{destination must have a strided layout}}
  trn.memset 0.0 -> %a : memref<128x64xf32, affine_map<(d0, d1) -> (d0 floordiv 2, d1)>, #trn.mem<sbuf>>
  return
}

// -----

func.func @ap_size_limit(%a: memref<128x70000xi8, #trn.mem<sbuf>>) {
  // expected-error @+1 {{destination free dim 0 size 70000 exceeds the trn2 access-pattern limit of 65535}}
  trn.memset 0.0 -> %a : memref<128x70000xi8, #trn.mem<sbuf>>
  return
}

// -----

func.func @ap_stride_limit() {
  %buf = trn.alloc() : memref<128x2x40000xbf16, #trn.mem<sbuf>>
  %t = memref.subview %buf[0, 0, 0] [128, 2, 64] [1, 1, 1] : memref<128x2x40000xbf16, #trn.mem<sbuf>> to memref<128x2x64xbf16, strided<[80000, 40000, 1]>, #trn.mem<sbuf>>
  // expected-error @+1 {{destination free dim 0 stride 40000 is outside the trn2 access-pattern stride range [-32768, 32767]}}
  trn.memset 0.0 -> %t : memref<128x2x64xbf16, strided<[80000, 40000, 1]>, #trn.mem<sbuf>>
  return
}

// -----

func.func @sbuf_free_elements(%a: memref<128x4x20000xbf16, #trn.mem<sbuf>>) {
  // expected-error @+1 {{destination has 80000 elements per partition, exceeding the trn2 limit of 65536 for SBUF operands}}
  trn.memset 0.0 -> %a : memref<128x4x20000xbf16, #trn.mem<sbuf>>
  return
}

// -----

func.func @psum_free_elements(%a: memref<128x4097xbf16, #trn.mem<psum>>, %b: memref<128x4097xbf16, #trn.mem<sbuf>>) {
  // expected-error @+1 {{source has 4097 elements per partition, exceeding the trn2 limit of 4096 for PSUM operands}}
  trn.tensor_copy %a -> %b : memref<128x4097xbf16, #trn.mem<psum>> -> memref<128x4097xbf16, #trn.mem<sbuf>>
  return
}

// -----

// A reinterpret_cast view of an on-chip buffer starts at partition offset / row length.
func.func @reinterpret_view_outside_partitions(%b: memref<32x8x4xf32, #trn.mem<sbuf>>) {
  %t = trn.alloc() : memref<128x32xf32, #trn.mem<sbuf>>
  %v = memref.reinterpret_cast %t to offset: [3200], sizes: [32, 8, 4], strides: [32, 4, 1] : memref<128x32xf32, #trn.mem<sbuf>> to memref<32x8x4xf32, strided<[32, 4, 1], offset: 3200>, #trn.mem<sbuf>>
  // expected-error @+1 {{source accesses partitions [100, 132) outside the trn2 range [0, 128)}}
  trn.tensor_copy %v -> %b : memref<32x8x4xf32, strided<[32, 4, 1], offset: 3200>, #trn.mem<sbuf>> -> memref<32x8x4xf32, #trn.mem<sbuf>>
  return
}
