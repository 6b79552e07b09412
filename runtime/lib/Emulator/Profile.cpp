//===- Profile.cpp - Chrome trace, stats JSON and stats table --------------===//
//
// Formats a run's RunStats (docs/profiling.md):
//  - writeChromeTrace: Chrome trace-event JSON (opens in Perfetto and
//    chrome://tracing). One process for the NeuronCore, one thread track per
//    queue (named by "thread_name" metadata, ordered by "thread_sort_index"),
//    one complete ("X") slice per executed instruction, and a flow pair
//    ("s" -> "f") for every cross-queue semaphore dependency.
//  - statsToJson / statsToTable: the summary numbers for tools and scripts.
//
//===----------------------------------------------------------------------===//
#include "trn/runtime/AccessPatternUtil.h"
#include "trn/runtime/Device.h"
#include "trn/runtime/Target.h"
#include "trn/runtime/Trnx.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <unistd.h>

namespace trnrt {

namespace {

using json = nlohmann::json;

/// The process id used for the NeuronCore in the trace.
constexpr int kPid = 1;
/// Thread ids are queue id + 1 (tid 0 is treated specially by some viewers).
int tidOf(QueueId q) { return static_cast<int>(q) + 1; }
/// Trace timestamps are microseconds; the run is modeled in nanoseconds.
double toUs(double ns) { return ns / 1000.0; }

/// Rounds to 1e-6 so that JSON numbers stay short and stable.
double round6(double v) { return std::round(v * 1e6) / 1e6; }

const Instruction *findInstruction(const Program &program, QueueId q, uint32_t index) {
  for (const Queue &queue : program.queues)
    if (queue.id == q)
      return index < queue.instructions.size() ? &queue.instructions[index] : nullptr;
  return nullptr;
}

std::string instRef(QueueId q, uint32_t index) {
  return fmt::format("{}[{}]", queueName(q), index);
}

/// The queues shown: every queue of the program plus any only in the stats.
std::vector<QueueId> queuesOf(const Program &program, const RunStats &stats) {
  std::set<QueueId> ids;
  for (const Queue &q : program.queues)
    ids.insert(q.id);
  for (const TraceEvent &e : stats.trace)
    ids.insert(e.queue);
  return {ids.begin(), ids.end()};
}

json sliceArgs(const Program &program, const Instruction &inst, const TraceEvent &ev) {
  json args = json::object();
  args["queue"] = queueName(ev.queue);
  args["index"] = ev.index;
  args["duration_ns"] = round6(ev.endNs - ev.startNs);
  json operands = json::object();
  for (const ApOperand &op : instructionOperands(inst))
    operands[op.role] = formatAccessPattern(program, *op.ap);
  args["operands"] = std::move(operands);
  args["asm"] = formatInstruction(program, inst);
  if (inst.opcode() == Opcode::Matmul)
    args["flops"] = Target::flops(inst);
  json waits = json::array();
  for (const SemWait &w : inst.waits)
    waits.push_back(fmt::format("sem{} >= {}", w.sem, w.value));
  args["waits"] = std::move(waits);
  json signals = json::array();
  for (uint32_t s : inst.signals)
    signals.push_back(fmt::format("sem{}", s));
  args["signals"] = std::move(signals);
  if (ev.waitedOn) {
    args["waited_on"] = instRef(ev.waitedOn->first, ev.waitedOn->second);
    args["waited_sem"] = fmt::format("sem{}", ev.waitedSem);
  }
  if (!inst.debug.empty())
    args["debug"] = inst.debug;
  return args;
}

/// temp + rename in the destination's directory; nothing is left on failure.
std::optional<Error> writeTextAtomic(const std::string &path, const std::string &text) {
  static std::atomic<unsigned> counter{0};
  std::string temp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temp = fmt::format("{}.tmp-{}-{}", path, getpid(), counter++);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST)
      return Error{fmt::format("{}: cannot write: {}", path, std::strerror(errno))};
  }
  if (fd < 0)
    return Error{fmt::format("{}: cannot write: cannot create a temporary file", path)};
  const char *p = text.data();
  size_t left = text.size();
  int failure = 0;
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      failure = errno;
      break;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::close(fd) != 0 && !failure)
    failure = errno;
  if (!failure && std::rename(temp.c_str(), path.c_str()) != 0)
    failure = errno;
  if (failure) {
    ::unlink(temp.c_str());
    return Error{fmt::format("{}: cannot write: {}", path, std::strerror(failure))};
  }
  return std::nullopt;
}

double dmaBandwidthGBps(const RunStats &stats) {
  // bytes per nanosecond == GB/s (10^9 bytes per second).
  return stats.totalNs > 0 ? static_cast<double>(stats.dmaBytes) / stats.totalNs : 0.0;
}

/// Busy fraction per queue: the stats' values, plus 0 for program queues the
/// stats do not list.
std::map<std::string, double> busyOf(const Program &program, const RunStats &stats) {
  std::map<std::string, double> busy = stats.engineBusy;
  for (const Queue &q : program.queues)
    busy.emplace(queueName(q.id), 0.0);
  return busy;
}

/// Queue names in queue-id order (pe, act, dve, pool, dma0..), unknown last.
std::vector<std::string> orderedQueueNames(const std::map<std::string, double> &busy) {
  std::vector<std::string> names;
  for (const auto &kv : busy)
    names.push_back(kv.first);
  std::stable_sort(names.begin(), names.end(), [](const std::string &a, const std::string &b) {
    auto qa = parseQueueName(a), qb = parseQueueName(b);
    unsigned ia = qa ? *qa : 1000u, ib = qb ? *qb : 1000u;
    return ia < ib;
  });
  return names;
}

} // namespace

std::optional<Error> writeChromeTrace(const Program &program, const RunStats &stats,
                                      const std::string &path) {
  json events = json::array();
  events.push_back({{"ph", "M"},
                    {"pid", kPid},
                    {"name", "process_name"},
                    {"args", {{"name", fmt::format("NeuronCore {} ({}, emulated)",
                                                   program.name.empty() ? "program" : program.name,
                                                   program.target)}}}});
  for (QueueId q : queuesOf(program, stats)) {
    events.push_back({{"ph", "M"},
                      {"pid", kPid},
                      {"tid", tidOf(q)},
                      {"name", "thread_name"},
                      {"args", {{"name", queueName(q)}}}});
    events.push_back({{"ph", "M"},
                      {"pid", kPid},
                      {"tid", tidOf(q)},
                      {"name", "thread_sort_index"},
                      {"args", {{"sort_index", static_cast<int>(q)}}}});
  }

  // Lookup from (queue, index) to the executed event, for flow sources.
  std::map<std::pair<QueueId, uint32_t>, const TraceEvent *> byInst;
  for (const TraceEvent &ev : stats.trace)
    byInst[{ev.queue, ev.index}] = &ev;

  uint64_t flowId = 0;
  for (const TraceEvent &ev : stats.trace) {
    const Instruction *inst = findInstruction(program, ev.queue, ev.index);
    if (!inst)
      return Error{fmt::format("{}: cannot write profile: trace event {} is not an instruction "
                               "of the program",
                               path, instRef(ev.queue, ev.index))};
    double dur = std::max(0.0, ev.endNs - ev.startNs);
    events.push_back({{"ph", "X"},
                      {"pid", kPid},
                      {"tid", tidOf(ev.queue)},
                      {"name", opcodeName(inst->opcode())},
                      {"cat", engineName(queueEngine(ev.queue))},
                      {"ts", round6(toUs(ev.startNs))},
                      {"dur", round6(toUs(dur))},
                      {"args", sliceArgs(program, *inst, ev)}});
    if (!ev.waitedOn || ev.waitedOn->first == ev.queue)
      continue; // same-queue order is implicit in the track
    auto src = byInst.find(*ev.waitedOn);
    if (src == byInst.end())
      continue; // the signalling instruction was not recorded
    const TraceEvent &from = *src->second;
    // Flow endpoints bind to the slice enclosing their timestamp: use the
    // middle of each slice so that adjacent slices cannot capture them.
    std::string name = fmt::format("sem{}", ev.waitedSem);
    ++flowId;
    events.push_back({{"ph", "s"},
                      {"pid", kPid},
                      {"tid", tidOf(from.queue)},
                      {"id", flowId},
                      {"name", name},
                      {"cat", "semaphore"},
                      {"ts", round6(toUs((from.startNs + from.endNs) / 2))}});
    events.push_back({{"ph", "f"},
                      {"bp", "e"},
                      {"pid", kPid},
                      {"tid", tidOf(ev.queue)},
                      {"id", flowId},
                      {"name", name},
                      {"cat", "semaphore"},
                      {"ts", round6(toUs((ev.startNs + ev.endNs) / 2))}});
  }

  json doc = {{"displayTimeUnit", "ns"},
              {"traceEvents", std::move(events)},
              {"otherData", json::parse(statsToJson(program, stats))}};
  return writeTextAtomic(path, doc.dump() + "\n");
}

std::string statsToJson(const Program &program, const RunStats &stats) {
  json busy = json::object();
  for (const auto &kv : busyOf(program, stats))
    busy[kv.first] = round6(kv.second);
  json queueInstructions = json::object();
  for (const Queue &q : program.queues)
    queueInstructions[queueName(q.id)] = q.instructions.size();
  json doc = {
      {"program", program.name},
      {"target", program.target},
      {"total_cycles", stats.totalCycles},
      {"time_ns", round6(stats.totalNs)},
      {"time_us", round6(stats.totalNs / 1000.0)},
      {"tensor_engine_utilization", round6(stats.tensorEngineUtilization)},
      {"tensor_flops", stats.tensorFlops},
      {"engine_busy", std::move(busy)},
      {"dma_bytes", stats.dmaBytes},
      {"dma_bandwidth_gbps", round6(dmaBandwidthGBps(stats))},
      {"instructions", stats.instructions},
      {"queue_instructions", std::move(queueInstructions)},
      {"critical_queue", stats.criticalQueue},
  };
  return doc.dump(2) + "\n";
}

std::string statsToTable(const Program &program, const RunStats &stats) {
  std::string out;
  auto line = [&](const std::string &label, const std::string &value) {
    out += fmt::format("  {:<22}{}\n", label, value);
  };
  out += fmt::format("{} on {} (emulated)\n", program.name.empty() ? "program" : program.name,
                     program.target);
  double ghz = stats.totalNs > 0 ? static_cast<double>(stats.totalCycles) / stats.totalNs : 0;
  line("total time", fmt::format("{:.3f} us ({} TensorE cycles at {:.2f} GHz)",
                                 stats.totalNs / 1000.0, stats.totalCycles, ghz));
  line("instructions", std::to_string(stats.instructions));
  line("TensorE utilization", fmt::format("{:.1f} % of peak ({:.3f} GFLOP)",
                                          100.0 * stats.tensorEngineUtilization,
                                          stats.tensorFlops / 1e9));
  line("DMA traffic", fmt::format("{} bytes ({:.3f} MiB), {:.1f} GB/s", stats.dmaBytes,
                                  static_cast<double>(stats.dmaBytes) / (1024.0 * 1024.0),
                                  dmaBandwidthGBps(stats)));
  auto busy = busyOf(program, stats);
  auto crit = busy.find(stats.criticalQueue);
  line("critical queue",
       stats.criticalQueue.empty()
           ? std::string("-")
           : crit == busy.end()
                 ? stats.criticalQueue
                 : fmt::format("{} ({:.1f} % busy)", stats.criticalQueue, 100.0 * crit->second));
  out += "\n";
  out += fmt::format("  {:<8}{:>8}  {:>6}\n", "queue", "busy", "instrs");
  std::map<std::string, size_t> counts;
  for (const Queue &q : program.queues)
    counts[queueName(q.id)] = q.instructions.size();
  for (const std::string &name : orderedQueueNames(busy)) {
    double b = std::clamp(busy[name], 0.0, 1.0);
    int filled = static_cast<int>(std::lround(b * 30));
    out += fmt::format("  {:<8}{:>7.1f}%  {:>6}  |{}{}|\n", name, 100.0 * busy[name], counts[name],
                       std::string(static_cast<size_t>(filled), '#'),
                       std::string(static_cast<size_t>(30 - filled), ' '));
  }
  return out;
}

} // namespace trnrt
