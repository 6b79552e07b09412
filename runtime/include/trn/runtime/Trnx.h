//===- Trnx.h - The .trnx program format: writer and loader -*- C++ -*-===//
//
// `.trnx` is a versioned FlatBuffers file (schema: runtime/schema/trnx.fbs)
// holding a Program. The writer is what the compiler's serializer and the
// tests use; the loader verifies the buffer (FlatBuffers verifier) and then
// the program's semantics (Verifier.h) before returning anything.
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

/// Serializes a program (does not verify it; call verifyProgram first).
std::vector<uint8_t> serializeProgram(const Program &program);
/// Writes atomically (temp file + rename): no partial file on failure.
std::optional<Error> writeProgramFile(const Program &program, const std::string &path);

/// Parses and fully verifies a buffer / file.
Expected<Program> deserializeProgram(const uint8_t *data, size_t size);
Expected<Program> readProgramFile(const std::string &path);

/// Semantic verification against the program's target: every access pattern
/// inside its memory, partitions and start partitions legal, dtypes legal for
/// the engine, semaphore ids in range, constants sized right, target known.
/// Returns the first problem as "queue[index] opcode: what" or nullopt.
std::optional<Error> verifyProgram(const Program &program);

} // namespace trnrt

#endif // TRN_RUNTIME_TRNX_H
