// A mutable, uninitialised global has no bytes to put in the program.
module attributes {trn.target = #trn.target<"trn2">} {
  memref.global "private" @state : memref<128x16xf32, #trn.mem<hbm>>
  func.func @f() {
    %g = memref.get_global @state : memref<128x16xf32, #trn.mem<hbm>>
    %a = trn.alloc() : memref<128x16xf32, #trn.mem<sbuf>>
    trn.dma_copy %g -> %a : memref<128x16xf32, #trn.mem<hbm>> -> memref<128x16xf32, #trn.mem<sbuf>>
    return
  }
}
