//===- Trnx.h - The .trnx program format: writer and loader -*- C++ -*-===//
//
// `.trnx` is a versioned FlatBuffers file (schema: runtime/schema/trnx.fbs,
// described in docs/program-format.md) holding a Program. The writer is what
// the compiler's serializer and the tests use; the loader verifies the buffer
// (FlatBuffers verifier, enum ranges, format version) and then the program's
// semantics (verifyProgram) before returning anything.
//
//===----------------------------------------------------------------------===//
#ifndef TRN_RUNTIME_TRNX_H
#define TRN_RUNTIME_TRNX_H

#include "trn/runtime/Device.h"
#include "trn/runtime/ISA.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trnrt {

/// File magic (FlatBuffers file identifier) and extension.
constexpr const char *kTrnxMagic = "TRNX";
constexpr const char *kTrnxExtension = "trnx";

/// Serializes a program (does not verify it; call verifyProgram first).
std::vector<uint8_t> serializeProgram(const Program &program);
/// Writes atomically (temp file in the same directory + rename): no partial
/// file on failure. Errors read "cannot write '<path>': <reason>".
std::optional<Error> writeProgramFile(const Program &program, const std::string &path);

struct LoadOptions {
  /// Run verifyProgram after decoding. Structural checks (FlatBuffers
  /// verifier, identifier, version, enum ranges, free rank) always run;
  /// only tools that display broken programs (trn-objdump --no-verify)
  /// turn this off. Never execute a program loaded without verification.
  bool verify = true;
};

/// Parses and fully verifies a buffer / file. File errors are prefixed with
/// the path ("<path>: ..."); buffer errors are not.
Expected<Program> deserializeProgram(const uint8_t *data, size_t size);
Expected<Program> deserializeProgram(const uint8_t *data, size_t size, const LoadOptions &options);
Expected<Program> readProgramFile(const std::string &path);
Expected<Program> readProgramFile(const std::string &path, const LoadOptions &options);

/// Format version stored in a buffer's header (after the FlatBuffers
/// verifier), or an Error; lets tools report the version of files they
/// cannot otherwise load.
Expected<uint32_t> peekFormatVersion(const uint8_t *data, size_t size);

/// Semantic verification against the program's target: every access pattern
/// inside its memory, partitions and start partitions legal, dtypes legal for
/// the engine, per-opcode shape rules, semaphore ids in range, constants sized
/// right, target known (the rule list is in docs/program-format.md). Returns
/// the first problem, e.g.
///   "queue pe[12] matmul: moving free size 640 exceeds 512 (trn2)",
/// or nullopt.
std::optional<Error> verifyProgram(const Program &program);

/// Field-wise comparison (free dims beyond `rank` are ignored). Returns a
/// description of the first difference ("queues[0].instructions[3].dst.offset:
/// 0 vs 256"), or nullopt when equal.
std::optional<std::string> diffPrograms(const Program &a, const Program &b);

/// Readable assembly of one access pattern / instruction / whole program
/// (what trn-objdump prints; also used by profiles and Python's asm()).
///   sbuf[0:128, @0x800, 4x512xf32]        on-chip: partitions, byte address, free shape
///   hbm:w[0:128 ps=512, @+1024, 512xbf16] HBM: tensor, rows and row stride, element offset
/// Non-contiguous free dims add ", strides=[s0,s1]".
std::string formatAccessPattern(const Program &program, const AccessPattern &ap);
std::string formatInstruction(const Program &program, const Instruction &inst);
std::string disassembleProgram(const Program &program);

} // namespace trnrt

#endif // TRN_RUNTIME_TRNX_H
