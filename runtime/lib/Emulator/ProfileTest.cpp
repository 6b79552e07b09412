//===- ProfileTest.cpp - Chrome trace / stats JSON / stats table tests -----===//
#include "trn/runtime/Device.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

using namespace trnrt;
using json = nlohmann::json;

namespace {

constexpr QueueId kDma0 = kFirstDmaQueue;
constexpr QueueId kDma1 = kFirstDmaQueue + 1;

/// dma0 loads x; pe multiplies; act evicts PSUM; dma1 stores. Semaphores:
/// sem0 load->pe, sem1 pe->act, sem2 act->dma1.
Program sampleProgram() {
  Program p;
  p.name = "profile_sample";
  p.target = "trn2";
  p.numSemaphores = 3;
  TensorDecl x{"x", TensorKind::Input, DType::F32, {128, 128}, {}, std::nullopt};
  TensorDecl y{"y", TensorKind::Output, DType::F32, {128, 128}, {}, std::nullopt};
  p.tensors = {x, y};
  auto sb = [](uint64_t addr) { return AccessPattern::tile(MemSpace::SBUF, DType::F32, addr, 0, 128, {128}); };
  auto ps = AccessPattern::tile(MemSpace::PSUM, DType::F32, 0, 0, 128, {128});

  Instruction load;
  load.body = DmaCopy{sb(0), AccessPattern::hbm(0, DType::F32, 0, 128, 128, {128})};
  load.signals = {0};
  load.debug = "load x";
  Instruction mm;
  mm.body = Matmul{ps, sb(0), sb(0), false, MatmulMode::Normal, std::nullopt, std::nullopt};
  mm.waits = {{0, 1}};
  mm.signals = {1};
  Instruction evict;
  Activation act;
  act.dst = sb(512);
  act.src = ps;
  evict.body = act;
  evict.waits = {{1, 1}};
  evict.signals = {2};
  Instruction store;
  store.body = DmaCopy{AccessPattern::hbm(1, DType::F32, 0, 128, 128, {128}), sb(512)};
  store.waits = {{2, 1}};
  // A second load on dma0 that only follows its own queue.
  Instruction load2 = load;
  load2.signals = {};
  load2.debug.clear();

  p.queues = {Queue{kQueuePE, {mm}}, Queue{kQueueACT, {evict}}, Queue{kDma0, {load, load2}},
              Queue{kDma1, {store}}, Queue{kQueueDVE, {}}};
  return p;
}

RunStats sampleStats() {
  RunStats s;
  s.totalNs = 2000;
  s.totalCycles = 4800;
  s.tensorFlops = 2.0 * 128 * 128 * 128;
  s.tensorEngineUtilization = 0.0251;
  s.engineBusy = {{"pe", 0.25}, {"act", 0.1}, {"dma0", 0.6}, {"dma1", 0.3}, {"dve", 0.0}};
  s.dmaBytes = 3 * 128 * 128 * 4;
  s.instructions = 5;
  s.criticalQueue = "dma0";
  auto ev = [](QueueId q, uint32_t i, double b, double e) {
    TraceEvent t;
    t.queue = q;
    t.index = i;
    t.startNs = b;
    t.endNs = e;
    return t;
  };
  TraceEvent load = ev(kDma0, 0, 0, 700);
  TraceEvent load2 = ev(kDma0, 1, 700, 1200);
  load2.waitedOn = std::make_pair(kDma0, 0u); // same queue: no flow arrow
  TraceEvent mm = ev(kQueuePE, 0, 700, 1200);
  mm.waitedOn = std::make_pair(kDma0, 0u);
  mm.waitedSem = 0;
  TraceEvent act = ev(kQueueACT, 0, 1200, 1400);
  act.waitedOn = std::make_pair(kQueuePE, 0u);
  act.waitedSem = 1;
  TraceEvent store = ev(kDma1, 0, 1400, 2000);
  store.waitedOn = std::make_pair(kQueueACT, 0u);
  store.waitedSem = 2;
  s.trace = {load, load2, mm, act, store};
  return s;
}

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "profiletest-" + std::to_string(getpid()) + "-" + name;
}

json readJson(const std::string &path) {
  std::ifstream in(path);
  return json::parse(in);
}

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

} // namespace

TEST(ProfileStatsJson, HasRequiredKeysAndValues) {
  Program p = sampleProgram();
  json j = json::parse(statsToJson(p, sampleStats()));
  EXPECT_EQ(j["program"], "profile_sample");
  EXPECT_EQ(j["target"], "trn2");
  EXPECT_EQ(j["total_cycles"], 4800);
  EXPECT_DOUBLE_EQ(j["time_us"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["time_ns"].get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(j["tensor_engine_utilization"].get<double>(), 0.0251);
  EXPECT_DOUBLE_EQ(j["tensor_flops"].get<double>(), 2.0 * 128 * 128 * 128);
  EXPECT_EQ(j["dma_bytes"], 3 * 128 * 128 * 4);
  EXPECT_DOUBLE_EQ(j["dma_bandwidth_gbps"].get<double>(), 3 * 128 * 128 * 4 / 2000.0);
  EXPECT_EQ(j["instructions"], 5);
  EXPECT_EQ(j["critical_queue"], "dma0");
  ASSERT_TRUE(j["engine_busy"].is_object());
  EXPECT_DOUBLE_EQ(j["engine_busy"]["pe"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j["engine_busy"]["dma0"].get<double>(), 0.6);
  EXPECT_EQ(j["engine_busy"].size(), 5u);
  for (auto &kv : j["engine_busy"].items()) {
    EXPECT_GE(kv.value().get<double>(), 0.0);
    EXPECT_LE(kv.value().get<double>(), 1.0);
  }
  EXPECT_EQ(j["queue_instructions"]["dma0"], 2);
  EXPECT_EQ(j["queue_instructions"]["dve"], 0);
}

TEST(ProfileStatsJson, ProgramQueuesMissingFromStatsReportZero) {
  Program p = sampleProgram();
  RunStats s = sampleStats();
  s.engineBusy.erase("dve");
  json j = json::parse(statsToJson(p, s));
  ASSERT_TRUE(j["engine_busy"].contains("dve"));
  EXPECT_EQ(j["engine_busy"]["dve"].get<double>(), 0.0);
  // A zero-length run must not divide by zero.
  RunStats empty;
  json e = json::parse(statsToJson(p, empty));
  EXPECT_EQ(e["dma_bandwidth_gbps"].get<double>(), 0.0);
  EXPECT_EQ(e["total_cycles"], 0);
}

TEST(ProfileStatsTable, ListsEveryQueueAndSummary) {
  std::string t = statsToTable(sampleProgram(), sampleStats());
  EXPECT_NE(t.find("profile_sample on trn2"), std::string::npos) << t;
  EXPECT_NE(t.find("total time            2.000 us (4800 TensorE cycles at 2.40 GHz)"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("TensorE utilization   2.5 % of peak"), std::string::npos) << t;
  EXPECT_NE(t.find("critical queue        dma0 (60.0 % busy)"), std::string::npos) << t;
  EXPECT_NE(t.find("196608 bytes"), std::string::npos) << t;
  EXPECT_NE(t.find("98.3 GB/s"), std::string::npos) << t;
  // Queue rows in queue order: pe, act, dve, dma0, dma1.
  size_t pe = t.find("\n  pe "), act = t.find("\n  act "), dve = t.find("\n  dve "),
         d0 = t.find("\n  dma0 "), d1 = t.find("\n  dma1 ");
  ASSERT_NE(pe, std::string::npos) << t;
  ASSERT_NE(d1, std::string::npos) << t;
  EXPECT_LT(pe, act);
  EXPECT_LT(act, dve);
  EXPECT_LT(dve, d0);
  EXPECT_LT(d0, d1);
  EXPECT_NE(t.find("   60.0%       2  |##################            |"), std::string::npos) << t;
}

TEST(ProfileChromeTrace, TracksSlicesAndFlows) {
  Program p = sampleProgram();
  RunStats s = sampleStats();
  std::string path = tempPath("trace.json");
  ASSERT_FALSE(writeChromeTrace(p, s, path));
  json j = readJson(path);
  ::unlink(path.c_str());
  ASSERT_TRUE(j["traceEvents"].is_array());
  EXPECT_EQ(j["displayTimeUnit"], "ns");
  EXPECT_EQ(j["otherData"]["total_cycles"], 4800);

  std::map<int, std::string> threadNames;
  std::vector<json> slices, starts, finishes;
  bool processNamed = false;
  for (const json &e : j["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph"));
    ASSERT_EQ(e["pid"], 1);
    std::string ph = e["ph"];
    if (ph == "M" && e["name"] == "process_name")
      processNamed = true;
    else if (ph == "M" && e["name"] == "thread_name")
      threadNames[e["tid"].get<int>()] = e["args"]["name"];
    else if (ph == "X")
      slices.push_back(e);
    else if (ph == "s")
      starts.push_back(e);
    else if (ph == "f")
      finishes.push_back(e);
  }
  EXPECT_TRUE(processNamed);
  // One named track per program queue (including the empty dve queue).
  std::map<int, std::string> expectTracks = {{kQueuePE + 1, "pe"},
                                             {kQueueACT + 1, "act"},
                                             {kQueueDVE + 1, "dve"},
                                             {kDma0 + 1, "dma0"},
                                             {kDma1 + 1, "dma1"}};
  EXPECT_EQ(threadNames, expectTracks);

  // One slice per executed instruction, named by opcode, with operands.
  ASSERT_EQ(slices.size(), s.trace.size());
  std::map<std::string, json> byRef;
  for (const json &x : slices) {
    std::string ref = x["args"]["queue"].get<std::string>() + "[" +
                      std::to_string(x["args"]["index"].get<int>()) + "]";
    byRef[ref] = x;
    EXPECT_EQ(threadNames[x["tid"].get<int>()], x["args"]["queue"]);
    EXPECT_GE(x["dur"].get<double>(), 0.0);
    ASSERT_TRUE(x["args"]["operands"].is_object());
    EXPECT_TRUE(x["args"]["operands"].contains("dst")) << x.dump();
    EXPECT_FALSE(x["args"]["asm"].get<std::string>().empty());
  }
  EXPECT_EQ(byRef["dma0[0]"]["name"], "dma_copy");
  EXPECT_EQ(byRef["dma0[0]"]["args"]["debug"], "load x");
  EXPECT_EQ(byRef["dma0[0]"]["args"]["signals"], json::array({"sem0"}));
  EXPECT_DOUBLE_EQ(byRef["dma0[0]"]["dur"].get<double>(), 0.7);
  const json &mm = byRef["pe[0]"];
  EXPECT_EQ(mm["name"], "matmul");
  EXPECT_EQ(mm["cat"], "pe");
  EXPECT_DOUBLE_EQ(mm["ts"].get<double>(), 0.7);
  EXPECT_DOUBLE_EQ(mm["dur"].get<double>(), 0.5);
  EXPECT_EQ(mm["args"]["waits"], json::array({"sem0 >= 1"}));
  EXPECT_EQ(mm["args"]["waited_on"], "dma0[0]");
  EXPECT_EQ(mm["args"]["waited_sem"], "sem0");
  EXPECT_DOUBLE_EQ(mm["args"]["flops"].get<double>(), 2.0 * 128 * 128 * 128);
  EXPECT_TRUE(mm["args"]["operands"].contains("stationary"));
  EXPECT_TRUE(mm["args"]["operands"].contains("moving"));
  EXPECT_EQ(byRef["act[0]"]["name"], "activation");

  // One flow pair per cross-queue dependency (3), none for the same-queue one.
  ASSERT_EQ(starts.size(), 3u);
  ASSERT_EQ(finishes.size(), 3u);
  std::set<std::pair<std::string, std::string>> edges;
  for (const json &st : starts) {
    const json *fin = nullptr;
    for (const json &f : finishes)
      if (f["id"] == st["id"])
        fin = &f;
    ASSERT_NE(fin, nullptr) << st.dump();
    EXPECT_EQ((*fin)["bp"], "e");
    EXPECT_EQ(st["name"], (*fin)["name"]);
    // Both ends lie inside a slice of their track.
    auto inside = [&](const json &pt) -> std::string {
      for (const json &x : slices)
        if (x["tid"] == pt["tid"] && pt["ts"].get<double>() >= x["ts"].get<double>() &&
            pt["ts"].get<double>() <= x["ts"].get<double>() + x["dur"].get<double>())
          return x["args"]["queue"].get<std::string>() + "[" +
                 std::to_string(x["args"]["index"].get<int>()) + "]";
      return "";
    };
    edges.insert({inside(st), inside(*fin)});
  }
  std::set<std::pair<std::string, std::string>> expectEdges = {
      {"dma0[0]", "pe[0]"}, {"pe[0]", "act[0]"}, {"act[0]", "dma1[0]"}};
  EXPECT_EQ(edges, expectEdges);
}

TEST(ProfileChromeTrace, ErrorsLeaveNoFile) {
  Program p = sampleProgram();
  RunStats s = sampleStats();
  std::string bad = tempPath("no-such-dir") + "/trace.json";
  auto e = writeChromeTrace(p, s, bad);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("cannot write"), std::string::npos) << e->message;
  // A trace event that is not an instruction of the program is rejected.
  s.trace.back().index = 7;
  std::string path = tempPath("bogus.json");
  e = writeChromeTrace(p, s, path);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("dma1[7] is not an instruction of the program"), std::string::npos)
      << e->message;
  EXPECT_FALSE(exists(path));
  // Writing onto a directory fails and removes the temporary.
  std::string dir = tempPath("dir");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  e = writeChromeTrace(p, sampleStats(), dir);
  ::rmdir(dir.c_str());
  ASSERT_TRUE(e);
}

TEST(ProfileChromeTrace, EmptyTraceStillNamesTracks) {
  Program p = sampleProgram();
  RunStats s = sampleStats();
  s.trace.clear();
  std::string path = tempPath("empty.json");
  ASSERT_FALSE(writeChromeTrace(p, s, path));
  json j = readJson(path);
  ::unlink(path.c_str());
  int names = 0;
  for (const json &e : j["traceEvents"])
    names += e["ph"] == "M" && e["name"] == "thread_name";
  EXPECT_EQ(names, 5);
}
