//===- emulator_gemm.cpp - Emulator wall-time benchmark on an f32 GEMM -----===//
//
//   emulator_gemm [--size=N | --m=M --n=N --k=K] [--iters=I] [--a=A.npy --b=B.npy]
//                 [--a-layout=row-major|k-major] [--out=C.npy] [--save=gemm.trnx]
//                 [--threads=T] [--stats]
//
// Builds the hand-scheduled GEMM program (GemmProgram.h), verifies it, runs it
// on createEmulatorDevice() once to warm up and then `iters` times, and
// prints the wall times. The last line is machine-readable for
// bench/gemm_vs_numpy.py:
//   RESULT {"m":..,"wall_s_min":..,"wall_s_median":..,"gflops":..,...}
// Inputs come from .npy files (so the Python driver can compare the output
// with numpy on the same data) or are generated (uniform [-1, 1), fixed seed).
//
//===----------------------------------------------------------------------===//
#include "GemmProgram.h"

#include "trn/runtime/Device.h"
#include "trn/runtime/Npy.h"
#include "trn/runtime/Trnx.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace trnrt;

namespace {

struct Args {
  uint32_t m = 1024, n = 1024, k = 1024;
  int iters = 5;
  std::string a, b, out, save;
  bool stats = false;
  bool aKMajor = false; // --a-layout=k-major: A given as A^T [K, M]
  unsigned threads = 0; // --threads: emulator threads (0 = all cores, 1 = sequential)
};

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "error: %s\n", msg.c_str());
  std::exit(1);
}

Args parseArgs(int argc, char **argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto val = [&](const char *name) -> std::optional<std::string> {
      std::string prefix = std::string(name) + "=";
      if (s.rfind(prefix, 0) == 0)
        return s.substr(prefix.size());
      return std::nullopt;
    };
    auto num = [&](const std::string &v) -> uint32_t {
      try {
        long x = std::stol(v);
        if (x <= 0)
          throw std::out_of_range("");
        return static_cast<uint32_t>(x);
      } catch (...) {
        die("bad number '" + v + "' in " + s);
      }
    };
    if (auto v = val("--size"))
      a.m = a.n = a.k = num(*v);
    else if (auto v = val("--m"))
      a.m = num(*v);
    else if (auto v = val("--n"))
      a.n = num(*v);
    else if (auto v = val("--k"))
      a.k = num(*v);
    else if (auto v = val("--iters"))
      a.iters = static_cast<int>(num(*v));
    else if (auto v = val("--a"))
      a.a = *v;
    else if (auto v = val("--b"))
      a.b = *v;
    else if (auto v = val("--out"))
      a.out = *v;
    else if (auto v = val("--save"))
      a.save = *v;
    else if (auto v = val("--threads"))
      a.threads = num(*v);
    else if (s == "--stats")
      a.stats = true;
    else if (auto v = val("--a-layout")) {
      if (*v != "row-major" && *v != "k-major")
        die("--a-layout must be row-major or k-major");
      a.aKMajor = *v == "k-major";
    }
    else if (s == "-h" || s == "--help") {
      std::puts("usage: emulator_gemm [--size=N | --m=M --n=N --k=K] [--iters=I] "
                "[--a=A.npy --b=B.npy] [--a-layout=row-major|k-major] [--out=C.npy] "
                "[--save=gemm.trnx] [--threads=T] [--stats]");
      std::exit(0);
    } else
      die("unknown argument '" + s + "'");
  }
  return a;
}

HostTensor randomTensor(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(rows * cols));
  for (float &x : v)
    x = dist(rng);
  HostTensor t;
  t.dtype = DType::F32;
  t.shape = {rows, cols};
  t.data.resize(v.size() * sizeof(float));
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

HostTensor loadOr(const std::string &path, int64_t rows, int64_t cols, uint32_t seed) {
  if (path.empty())
    return randomTensor(rows, cols, seed);
  auto t = readNpyFile(path);
  if (!t)
    die(t.error().message);
  if (t->dtype != DType::F32 || t->shape != std::vector<int64_t>{rows, cols})
    die(fmt::format("{}: expected a float32 array of shape ({}, {})", path, rows, cols));
  return std::move(*t);
}

} // namespace

int main(int argc, char **argv) {
  Args args = parseArgs(argc, argv);
  Program program;
  try {
    program = trnbench::buildGemmProgram(args.m, args.n, args.k, 4, args.aKMajor);
  } catch (const std::exception &e) {
    die(e.what());
  }
  if (auto e = verifyProgram(program))
    die("GEMM program does not verify: " + e->message);
  if (!args.save.empty())
    if (auto e = writeProgramFile(program, args.save))
      die(e->message);

  std::vector<HostTensor> inputs = {args.aKMajor ? loadOr(args.a, args.k, args.m, 1)
                                                 : loadOr(args.a, args.m, args.k, 1),
                                    loadOr(args.b, args.k, args.n, 2)};
  auto device = createEmulatorDevice();
  RunOptions opts;
  opts.threads = args.threads;

  // Warm-up run (page faults, thread pools), also the one whose output we keep.
  auto first = device->run(program, inputs, opts);
  if (!first)
    die(first.error().message);
  opts.prepared = first->prepared; // as a loaded program run repeatedly (Python) would
  std::vector<double> times;
  for (int i = 0; i < args.iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = device->run(program, inputs, opts);
    auto t1 = std::chrono::steady_clock::now();
    if (!r)
      die(r.error().message);
    times.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(times.begin(), times.end());
  double tmin = times.front(), tmed = times[times.size() / 2];
  double flop = 2.0 * args.m * args.n * args.k;
  const RunStats &st = first->stats;

  if (!args.out.empty())
    if (auto e = writeNpyFile(args.out, first->outputs.at(0)))
      die(e->message);
  if (args.stats)
    std::fputs(statsToTable(program, st).c_str(), stdout);
  std::printf("emulator GEMM %ux%ux%u f32: %llu instructions, wall min %.3f ms, median %.3f ms, "
              "%.2f GFLOP/s; modeled device time %.3f us, TensorE utilization %.1f %%\n",
              args.m, args.n, args.k, static_cast<unsigned long long>(program.numInstructions()),
              tmin * 1e3, tmed * 1e3, flop / tmin / 1e9, st.totalNs / 1e3,
              100.0 * st.tensorEngineUtilization);
  std::printf("RESULT {\"m\": %u, \"n\": %u, \"k\": %u, \"iters\": %d, \"instructions\": %llu, "
              "\"wall_s_min\": %.9f, \"wall_s_median\": %.9f, \"gflops\": %.6f, "
              "\"modeled_time_us\": %.6f, \"modeled_tensor_utilization\": %.6f, "
              "\"critical_queue\": \"%s\"}\n",
              args.m, args.n, args.k, args.iters,
              static_cast<unsigned long long>(program.numInstructions()), tmin, tmed,
              flop / tmin / 1e9, st.totalNs / 1e3, st.tensorEngineUtilization,
              st.criticalQueue.c_str());
  return 0;
}
