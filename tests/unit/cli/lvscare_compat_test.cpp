// Issue 11, item 2: what Go LVScare (cobra/pflag, Sealos' SetFlagsFromEnv) accepts, lvscare
// accepts, with one warning line where it acts differently or ignores something; what LVScare
// refuses stays one line and exit 2. One row per input: the command line after `care` and the
// environment -> the error line, or the fields it sets and the exact warning lines.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "unit/cli/care_parse.hpp"
#include "unit/cli/run_binary.hpp"

namespace lvscare::cli {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Fields a row expects; unset ones are not looked at.
struct Want {
  std::optional<bool> runOnce = {}, clean = {}, insecureSkipVerify = {}, failOpen = {};
  std::optional<LogLevel> logLevel = {};
  std::optional<health::Duration> interval = {}, timeout = {};
  std::optional<std::vector<int>> statuses = {};
  std::optional<Headers> headers = {};
  std::optional<std::vector<std::string>> realServers = {};
  std::optional<std::string> scheduler = {}, interfaceName = {}, method = {}, body = {}, nodeIp = {};
  std::optional<care::Mode> mode = {};
  std::optional<int> masqueradeBit = {};
};

struct Row {
  std::vector<std::string> args;  // after `care`; `--vs 10.0.0.1:80 --rs 10.0.0.2:80` come first unless `bare`
  std::map<std::string, std::string> env = {};
  std::string error = {};  // non-empty: refused with exactly this line
  Want want = {};
  std::vector<std::string> warnings = {};  // exactly these, in order (the arguments', then the values')
  bool bare = false;
  std::string prefix = "CARE";
};

const std::string kIgnoredWord = "ignoring argument \"stray\": not a flag (LVScare ignores it too)";
std::string boolWord(const std::string& word, const std::string& flag) {
  return "\"" + word + "\" after " + flag + " is not its value: " + flag +
         " alone means true and the word is ignored, as in LVScare; write " + flag + "=" + word + " to give a value";
}

// clang-format off
const std::vector<Row> kRows = {
  // --- booleans: pflag's forms, Go's ParseBool values -------------------------------------------
  {{"-C=true"}, {}, "", {.clean = true}},
  {{"-C=false"}, {}, "", {.clean = false}},
  {{"-C"}, {}, "", {.clean = true}},
  {{"--clean"}, {}, "", {.clean = true}},
  {{"--clean=1"}, {}, "", {.clean = true}},
  {{"--clean=0"}, {}, "", {.clean = false}},
  {{"--run-once=false"}, {}, "", {.runOnce = false}},
  {{"--run-once=t"}, {}, "", {.runOnce = true}},
  {{"--run-once=T"}, {}, "", {.runOnce = true}},
  {{"--run-once=TRUE"}, {}, "", {.runOnce = true}},
  {{"--run-once=True"}, {}, "", {.runOnce = true}},
  {{"--run-once=f"}, {}, "", {.runOnce = false}},
  {{"--run-once=F"}, {}, "", {.runOnce = false}},
  {{"--run-once=FALSE"}, {}, "", {.runOnce = false}},
  {{"--run-once=False"}, {}, "", {.runOnce = false}},
  {{"--health-insecure-skip-verify=false"}, {}, "", {.insecureSkipVerify = false}},
  {{"--health-insecure-skip-verify=0"}, {}, "", {.insecureSkipVerify = false}},
  {{"--health-insecure-skip-verify"}, {}, "", {.insecureSkipVerify = true}},
  {{"--fail-open=F"}, {}, "", {.failOpen = false}},
  {{"--run-once=maybe"}, {}, "--run-once \"maybe\": want true or false"},
  {{"--run-once=yes"}, {}, "--run-once \"yes\": want true or false"},
  {{"-C=2"}, {}, "-C \"2\": want true or false"},
  {{"--clean="}, {}, "--clean \"\": want true or false"},
  {{"-Cx"}, {}, "unknown shorthand flag: 'x' in -Cx"},
  // A separate word is no value in pflag: the flag is true and cobra ignores the word.
  {{"--run-once", "false"}, {}, "", {.runOnce = true}, {boolWord("false", "--run-once")}},
  {{"-C", "false"}, {}, "", {.clean = true}, {boolWord("false", "-C")}},
  {{"--health-insecure-skip-verify", "false"}, {}, "", {.insecureSkipVerify = true},
   {boolWord("false", "--health-insecure-skip-verify")}},
  {{"stray"}, {}, "", {}, {kIgnoredWord}},
  {{"--", "--run-once"}, {}, "", {.runOnce = false},
   {"ignoring argument \"--run-once\": not a flag (LVScare ignores it too)"}},
  // --- values after flags, shorthands, bad syntax -----------------------------------------------
  {{"--mode", "link", "-i", "eth1"}, {}, "", {.interfaceName = "eth1"}},
  {{"--mode", "link", "-ieth1"}, {}, "", {.interfaceName = "eth1"}},
  {{"--mode", "link", "-i=eth1"}, {}, "", {.interfaceName = "eth1"}},
  {{"--vs", "10.0.0.1:80", "--mode=link", "-Ci", "eth1"}, {}, "", {.clean = true, .interfaceName = "eth1"}, {}, true},
  {{"--health-req-body", "-x"}, {}, "", {.body = "-x"}},  // the next word is the value, dash or not
  {{"--health-req-body=--rs"}, {}, "", {.body = "--rs"}},
  {{"--vs", "10.0.0.1:80", "--rs"}, {}, "flag needs an argument: --rs", {}, {}, true},
  {{"--vs", "10.0.0.1:80", "-i"}, {}, "flag needs an argument: 'i' in -i", {}, {}, true},
  {{"---vs", "10.0.0.1:80"}, {}, "bad flag syntax: ---vs"},
  // --- --logger: LVScare knows DEBG, anything else is INFO --------------------------------------
  {{"--logger", "DEBG"}, {}, "", {.logLevel = LogLevel::Debug}},
  {{"--logger", "LOUD"}, {}, "", {.logLevel = LogLevel::Info},
   {"--logger \"LOUD\": not DEBG, INFO, WARN or EROR; logging at INFO, as LVScare does"}},
  {{"--logger="}, {}, "", {.logLevel = LogLevel::Info},
   {"--logger \"\": not DEBG, INFO, WARN or EROR; logging at INFO, as LVScare does"}},
  {{}, {{"CARE_LOGGER", "trace"}}, "", {.logLevel = LogLevel::Info},
   {"CARE_LOGGER \"trace\": not DEBG, INFO, WARN or EROR; logging at INFO, as LVScare does"}},
  // --- --health-status: an int slice; codes below 400 are a no-op in LVScare --------------------
  {{"--health-status", "401"}, {}, "", {.statuses = std::vector<int>{401}}},
  {{"--health-status", "+401,403", "--health-status", "0500"}, {}, "", {.statuses = std::vector<int>{401, 403, 500}}},
  {{"--health-status", "401,200"}, {}, "", {.statuses = std::vector<int>{401}},
   {"--health-status \"200\": a status below 400 counts as healthy anyway (a no-op in LVScare too); ignored"}},
  {{"--health-status", "-1"}, {}, "", {.statuses = std::vector<int>{}},
   {"--health-status \"-1\": a status below 400 counts as healthy anyway (a no-op in LVScare too); ignored"}},
  {{"--health-status", "600"}, {}, "", {.statuses = std::vector<int>{}},
   {"--health-status \"600\": lvscare reads statuses 100 to 599 only; ignored"}},
  {{"--health-status", "abc"}, {}, "--health-status \"abc\": not an integer"},
  {{"--health-status", "401,"}, {}, "--health-status \"\": not an integer"},
  {{"--health-status", "99999999999999999999"}, {}, "--health-status \"99999999999999999999\": out of range"},
  // --- empty variables are not set --------------------------------------------------------------
  {{}, {{"CARE_SCHEDULER", ""}}, "", {.scheduler = "rr"}},
  {{}, {{"CARE_MODE", ""}}, "", {.mode = care::Mode::Route}},
  {{}, {{"CARE_INTERVAL", ""}, {"CARE_HEALTH_TIMEOUT", ""}}, "", {.interval = 5s, .timeout = 10s}},
  {{}, {{"CARE_HEALTH_REQ_METHOD", ""}, {"CARE_RUN_ONCE", ""}}, "", {.runOnce = false, .method = "GET"}},
  {{}, {{"IPVS_SCHEDULER", ""}, {"IPVS_VS", ""}}, "", {.scheduler = "rr"}, {}, false, "IPVS"},
  {{}, {{"CARE_VS", "10.0.0.1:80"}, {"CARE_RS", "10.0.0.2:80,10.0.0.3:80"}, {"CARE_LOGGER", ""}}, "",
   {.logLevel = LogLevel::Info, .realServers = std::vector<std::string>{"10.0.0.2:80", "10.0.0.3:80"}}, {}, true},
  // --- a variable Go cannot read as the flag's type is ignored (Sealos' SetFlagsFromEnv drops the error)
  {{}, {{"CARE_INTERVAL", "later"}}, "", {.interval = 5s},
   {"CARE_INTERVAL \"later\": not a number of seconds or a duration (want e.g. 5, 500ms, 1m); ignored, as "
    "LVScare ignores it: --interval stays 5s"}},
  {{}, {{"CARE_HEALTH_TIMEOUT", "ten"}}, "", {.timeout = 10s},
   {"CARE_HEALTH_TIMEOUT \"ten\": not a duration (want e.g. 500ms, 10s, 1m); ignored, as LVScare ignores it: "
    "--health-timeout stays 10s"}},
  {{}, {{"CARE_HEALTH_TIMEOUT", "3"}}, "", {.timeout = 3s}},  // ours reads seconds (Go's DurationVar would not)
  {{}, {{"CARE_RUN_ONCE", "maybe"}}, "", {.runOnce = false},
   {"CARE_RUN_ONCE \"maybe\": want true or false; ignored, as LVScare ignores it: --run-once stays false"}},
  {{}, {{"CARE_HEALTH_INSECURE_SKIP_VERIFY", "yes"}}, "", {.insecureSkipVerify = true},
   {"CARE_HEALTH_INSECURE_SKIP_VERIFY \"yes\": want true or false; ignored, as LVScare ignores it: "
    "--health-insecure-skip-verify stays true"}},
  {{}, {{"CARE_HEALTH_STATUS", "401,abc"}}, "", {.statuses = std::vector<int>{}},
   {"CARE_HEALTH_STATUS \"abc\": not an integer; ignored, as LVScare ignores it: --health-status stays none"}},
  {{}, {{"CARE_HEALTH_REQ_HEADERS", "novalue"}}, "", {.headers = Headers{}},
   {"CARE_HEALTH_REQ_HEADERS \"novalue\": want key=value; ignored, as LVScare ignores it: --health-req-headers "
    "stays none"}},
  {{"--mode", "link"}, {{"CARE_MASQUERADEBIT", "x"}}, "", {.masqueradeBit = 0},
   {"CARE_MASQUERADEBIT \"x\": not an integer; ignored, as LVScare ignores it: --masqueradebit stays 0"}},
  {{}, {{"CARE_IP", "node-1"}}, "", {.nodeIp = "192.168.0.7"},
   {"CARE_IP \"node-1\": not an IP address; ignored, as LVScare ignores it: --ip stays none"}},
  {{"--vs", "10.0.0.1:80", "-C"}, {{"CARE_RS", "\"10.0.0.2:80"}}, "", {.clean = true},
   {"CARE_RS \"\"10.0.0.2:80\": unterminated quoted field; ignored, as LVScare ignores it: --rs stays none"}, true},
  // ...but a value Go reads and LVScare then refuses (or panics on) stays an error.
  {{}, {{"CARE_INTERVAL", "-5"}}, "CARE_INTERVAL \"-5\": must not be negative"},
  {{}, {{"CARE_SCHEDULER", "sed"}}, "CARE_SCHEDULER \"sed\": want one of rr, lc, dh, sh, wrr, wlc"},
  {{}, {{"CARE_MODE", "bridge"}}, "CARE_MODE \"bridge\": want route, link or \"\""},
  {{"--vs", "10.0.0.1:80"}, {{"CARE_RS", "10.0.0.2"}}, "CARE_RS: '10.0.0.2': missing port, want host:port", {}, {}, true},
  {{"--interval", "later"}, {}, "--interval \"later\": not a number of seconds or a duration (want e.g. 5, 500ms, 1m)"},
  // --- lists: repeated, comma-separated, mixed; pflag's CSV ---------------------------------------
  {{"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80", "--rs", "10.0.0.3:80"}, {}, "",
   {.realServers = std::vector<std::string>{"10.0.0.2:80", "10.0.0.3:80"}}, {}, true},
  {{"--vs", "10.0.0.1:80", "--rs=10.0.0.2:80,10.0.0.3:80", "--rs", "10.0.0.4:80,10.0.0.2:80"}, {}, "",
   {.realServers = std::vector<std::string>{"10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80"}}, {}, true},
  {{"--vs", "10.0.0.1:80", "--rs", "\"10.0.0.2:80\",10.0.0.3:80"}, {}, "",
   {.realServers = std::vector<std::string>{"10.0.0.2:80", "10.0.0.3:80"}}, {}, true},
  {{"--vs", "10.0.0.1:80"}, {{"CARE_RS", "10.0.0.2:80,10.0.0.3:80\n"}}, "",  // a YAML block value's newline
   {.realServers = std::vector<std::string>{"10.0.0.2:80", "10.0.0.3:80"}}, {}, true},
  {{"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80\n10.0.0.3:80"}, {},  // Go would drop the second line
   "--rs \"10.0.0.2:80\\n10.0.0.3:80\": text after a line break", {}, {}, true},
  {{"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80\"x"}, {}, "--rs \"10.0.0.2:80\"x\": a '\"' inside a field that is not quoted",
   {}, {}, true},
  {{"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80,"}, {}, "--rs: empty address, want host:port", {}, {}, true},
  // --health-req-headers is pflag's stringToString: one '=' makes one pair whose value keeps its
  // commas (LVScare then adds one header line per comma part); more make a CSV of pairs.
  {{"--health-req-headers", "Accept=a,b"}, {}, "", {.headers = Headers{{"Accept", "a"}, {"Accept", "b"}}}},
  {{"--health-req-headers", "Host=api,X-A=1"}, {}, "", {.headers = Headers{{"Host", "api"}, {"X-A", "1"}}}},
  {{"--health-req-headers", "Host=a", "--health-req-headers", "X-A=1,Host=b"}, {}, "",
   {.headers = Headers{{"X-A", "1"}, {"Host", "b"}}}},
  {{"--health-req-headers", "\"X-A=1\""}, {}, "", {.headers = Headers{{"X-A", "1"}}}},
  {{"--health-req-headers", "X-B=a=b"}, {}, "", {.headers = Headers{{"X-B", "a=b"}}}},
  {{"--health-req-headers", "novalue"}, {}, "--health-req-headers \"novalue\": want key=value"},
  // --- int-or-duration and numbers ----------------------------------------------------------------
  {{"--interval", "5"}, {}, "", {.interval = 5s}},
  {{"--interval", "+7"}, {}, "", {.interval = 7s}},
  {{"--interval", "5s"}, {}, "", {.interval = 5s}},
  {{"--interval", "1m30s"}, {}, "", {.interval = 90s}},
  {{"--interval", "0"}, {}, "", {.interval = 5s}},  // LVScare: 0 is the default
  {{"--interval", "-5"}, {}, "--interval \"-5\": must not be negative"},  // LVScare panics
  {{"--health-timeout", "3s"}, {}, "", {.timeout = 3s}},
  {{"--health-timeout", "3"}, {}, "", {.timeout = 3s}},  // ours: LVScare's DurationVar refuses it
  {{"--mode", "link", "--masqueradebit", "0x0e"}, {}, "", {.masqueradeBit = 14}},  // pflag's IntVar: base 0
  {{"--mode", "link", "--masqueradebit", "016"}, {}, "", {.masqueradeBit = 14}},
  {{"--mode", "link", "--masqueradebit", "1_4"}, {}, "", {.masqueradeBit = 14}},
  {{"--mode", "link", "--masqueradebit", "32"}, {}, "--masqueradebit \"32\": want 0 to 31"},
  // --- what LVScare reads in link mode only, or not at all ------------------------------------------
  {{"--masqueradebit", "32"}, {}, "", {.masqueradeBit = 0},
   {"--masqueradebit \"32\": want 0 to 31; ignored outside link mode, as LVScare does"}},
  {{"--iface", "a/b", "--mode="}, {}, "", {.interfaceName = "lvscare", .mode = care::Mode::None},
   {"--iface \"a/b\": not a valid interface name (1-15 characters, no '/', ':' or spaces); ignored outside link "
    "mode, as LVScare does"}},
  {{"--mode", "link", "--iface", "a/b"}, {},
   "--iface \"a/b\": not a valid interface name (1-15 characters, no '/', ':' or spaces)"},
  {{"--health-req-method", ""}, {}, "", {.method = "GET"}},  // Go's http.NewRequest: "" is GET
  {{"--ip", " 192.168.0.9 "}, {}, "", {.nodeIp = "192.168.0.9"}},  // pflag's IPVar trims spaces
  {{"--ip", "node-1"}, {}, "node IP from --ip: 'node-1'"},
};
// clang-format on

std::string describe(const Row& row) {
  std::string out = "care";
  for (const auto& arg : row.args) out += " [" + arg + "]";
  for (const auto& [name, value] : row.env) out += " " + name + "=[" + value + "]";
  return out;
}

template <class T, class U>
void expectField(const std::optional<T>& want, const U& got, const char* name, const std::string& row) {
  if (want) {
    EXPECT_EQ(*want, got) << name << " of " << row;
  }
}

TEST(LvscareCompatTest, EveryRowAsLvscareReadsIt) {
  const auto hostsIp = IpAddress::parse("192.168.0.7").value();
  for (const Row& row : kRows) {
    const std::string name = describe(row);
    std::vector<std::string> args = row.args;
    if (!row.bare) args.insert(args.begin(), {"--vs", "10.0.0.1:80", "--rs", "10.0.0.2:80"});
    const Parsed parsed = parseCare(args, row.env, hostsIp, row.prefix);
    const std::string error = !parsed.parseError.empty() ? parsed.parseError
                              : parsed.result            ? ""
                                                         : parsed.result.error().message;
    if (!row.error.empty()) {
      EXPECT_EQ(error.substr(0, row.error.size()), row.error) << name;
      EXPECT_EQ(error.find('\n'), std::string::npos) << name;
      continue;
    }
    ASSERT_EQ(error, "") << name;
    const CareInvocation& got = *parsed.result;
    const care::CareConfig& c = got.config;
    std::vector<std::string> warnings = parsed.argumentWarnings;
    warnings.insert(warnings.end(), got.warnings.begin(), got.warnings.end());
    EXPECT_EQ(warnings, row.warnings) << name;
    const Want& w = row.want;
    expectField(w.runOnce, c.runOnce, "runOnce", name);
    expectField(w.clean, c.clean, "clean", name);
    expectField(w.insecureSkipVerify, c.probe.insecureSkipVerify, "insecureSkipVerify", name);
    expectField(w.failOpen, c.failOpen, "failOpen", name);
    expectField(w.logLevel, got.logLevel, "logLevel", name);
    expectField(w.interval, c.policy.interval, "interval", name);
    expectField(w.timeout, c.probe.timeout, "timeout", name);
    expectField(w.statuses, c.probe.extraHealthyStatuses, "statuses", name);
    expectField(w.headers, c.probe.headers, "headers", name);
    expectField(w.scheduler, c.scheduler, "scheduler", name);
    expectField(w.interfaceName, c.interfaceName, "interfaceName", name);
    expectField(w.method, c.probe.method, "method", name);
    expectField(w.body, c.probe.body, "body", name);
    expectField(w.mode, c.mode, "mode", name);
    expectField(w.masqueradeBit, c.masqueradeBit, "masqueradeBit", name);
    if (w.nodeIp) {
      EXPECT_EQ(c.nodeIp ? c.nodeIp->toString() : "none", *w.nodeIp) << name;
    }
    if (w.realServers) {
      std::vector<std::string> reals;
      for (const auto& rs : c.realServers) reals.push_back(rs.toString());
      EXPECT_EQ(reals, *w.realServers) << name;
    }
  }
}

// The same readings through the binaries: warnings are log lines, refusals one line and exit 2.
// Only inputs that are refused or that print are run here (nothing is programmed).
TEST(LvscareCompatTest, TheBinariesSayItInOneLine) {
  using lvscare::testing::runBinary;
  auto r = runBinary(LVSCARE_BINARY, {"care", "--vs", "10.0.0.1:80", "-C=maybe"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "lvscare: -C \"maybe\": want true or false\n");
  r = runBinary(SEALCTL_BINARY, {"ipvs", "--vs", "10.0.0.1:80", "--run-once", "--rs"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "sealctl: flag needs an argument: --rs\n");
  r = runBinary(SEALCTL_BINARY, {"ipvs", "--run-once", "true"}, {"IPVS_VS=10.0.0.1", "IPVS_RS=10.0.0.2:80"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "sealctl: IPVS_VS: '10.0.0.1': missing port, want host:port\n");
}

// `sealctl static-pod lvscare` with pflag's forms: --print=true, a value starting with "--",
// `--path` on either side of `lvscare`, repeated and comma-separated lists, a stray word.
TEST(LvscareCompatTest, StaticPodFlagsAsSealosReadsThem) {
  using lvscare::testing::runBinary;
  const std::string hosts = ::testing::TempDir() + "compat_hosts";
  std::ofstream(hosts) << "127.0.0.1 localhost\n";
  const std::vector<std::string> common = {"--hosts-file", hosts, "--vip", "10.103.97.2:6443"};
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> inYaml;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"static-pod", "--path", "/nonexistent", "lvscare", "--print=true", "--masters",
        "192.168.0.2:6443,192.168.0.3:6443", "--masters", "192.168.0.4:6443"},
       {"- 192.168.0.2:6443", "- 192.168.0.3:6443", "- 192.168.0.4:6443"},
       ""},
      {{"static-pod", "lvscare", "--print", "--masters=192.168.0.2:6443", "--options", "--health-status", "--options",
        "401"},
       {"- --health-status", "- \"401\""},
       ""},
      {{"static-pod", "lvscare", "--print=T", "--set-img=false", "--masters", "192.168.0.2:6443", "stray"},
       {"- 192.168.0.2:6443"},
       "sealctl: " + kIgnoredWord + "\n"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = c.args;
    args.insert(args.end(), common.begin(), common.end());
    const auto r = runBinary(SEALCTL_BINARY, args);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, c.err);
    for (const auto& fragment : c.inYaml)
      EXPECT_NE(r.out.find(fragment), std::string::npos) << fragment << "\n" << r.out;
  }
  const auto bad =
      runBinary(SEALCTL_BINARY, {"static-pod", "lvscare", "--print=maybe", "--masters", "192.168.0.2:6443"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.err, "sealctl: --print \"maybe\": want true or false\n");
}

}  // namespace
}  // namespace lvscare::cli
