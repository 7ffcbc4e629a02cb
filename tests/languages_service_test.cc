// Integration tests of one `dolmetsch translator` serving several models (docs/languages.md): the real
// binary, copies of the fixture model named as pairs (symlinked folders opus-mt-de-en, opus-mt-en-de,
// opus-mt-it-en, opus-mt-nl-en in a temporary models folder) and a multilingual random model made here with
// `make-random-model --target-languages fra,spa` (served as en-fr,es). Because the pair folders are one
// model, a text translated de->en and en->de must come out the same: that checks the routing without
// knowing what the model says.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/testing/child_process.h"
#include "translator/mini_http_client.h"

namespace {

using json = nlohmann::json;
namespace http = dolmetsch::translator::mini_http;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using dolmetsch::testing::ChildOptions;
using dolmetsch::testing::ChildProcess;
using dolmetsch::testing::FreePort;
using dolmetsch::testing::ReadFile;

const std::string kFixture = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

// Runs a command to its end (output dropped); its exit code.
int RunCommand(std::vector<std::string> args) {
  ChildProcess command(std::move(args), ChildOptions("/dev/null"));
  return command.WaitExit(std::chrono::minutes(5));
}

// The models folder and the multilingual model, made once for the whole test program.
struct Models {
  std::string root;
  std::string dir;    // opus-mt-de-en, opus-mt-en-de, opus-mt-it-en, opus-mt-nl-en -> the fixture
  std::string multi;  // random, with >>fra<< and >>spa<<
};

const Models& TestModels() {
  static const Models* models = [] {
    auto* m = new Models;
    m->root = ::testing::TempDir() + "languages_" + std::to_string(::getpid());
    m->dir = m->root + "/models";
    m->multi = m->root + "/multi";
    fs::create_directories(m->dir);
    // Removed when the test program ends.
    static struct RemoveAtExit {
      std::string path;
      ~RemoveAtExit() {
        std::error_code ec;
        fs::remove_all(path, ec);
      }
    } remove_at_exit{m->root};
    for (const char* pair : {"de-en", "en-de", "it-en", "nl-en"}) {
      fs::create_directory_symlink(kFixture, m->dir + "/opus-mt-" + pair);
    }
    EXPECT_EQ(RunCommand({DOLMETSCH_BINARY, "make-random-model", "--like", "tiny", "--target-languages",
                          "fra,spa", "--out", m->multi, "--seed", "7"}),
              0);
    return m;
  }();
  return *models;
}

// A running `dolmetsch translator` with the given arguments; stderr goes to a file (port, logs). SIGTERM on
// destruction, which must end it with exit code 0.
class Server {
 public:
  // `translator_port` 0: `dolmetsch translator ARGS` on a free port (read from its log); else `dolmetsch
  // ARGS` (e.g. serve) whose translator API listens on that port.
  explicit Server(std::vector<std::string> args, std::vector<std::string> env = {}, int translator_port = 0)
      : process_(Args(std::move(args), translator_port), ChildOptions(NewLogPath())
                                                             .StdoutToNull()
                                                             .Env(std::move(env))
                                                             .DropDolmetschEnv()
                                                             .RemoveLogAtExit()),
        port_(translator_port) {
    if (port_ == 0) port_ = process_.WaitListeningPort(std::chrono::seconds(30));
  }
  ~Server() {
    if (process_.Running()) {
      EXPECT_EQ(process_.Stop(std::chrono::seconds(60)), 0) << Log();
    }
  }
  bool WaitReady(int timeout_s = 60) {
    auto end = Clock::now() + std::chrono::seconds(timeout_s);
    while (Clock::now() < end && port_ > 0) {
      if (http::Request(port_, "GET", "/ready").status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  std::string Log() { return process_.Log(); }
  http::Response Post(const std::string& path, const json& body) {
    return http::Request(port_, "POST", path, body.dump(), "application/json");
  }
  json PostJson(const std::string& path, const json& body, int want_status = 200) {
    http::Response r = Post(path, body);
    EXPECT_EQ(r.status, want_status) << path << " " << body.dump() << " -> " << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  json Get(const std::string& path) {
    http::Response r = http::Request(port_, "GET", path);
    EXPECT_EQ(r.status, 200) << path << " -> " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  // The value of a metric line "name value" (or "name{labels} value"); -1 when absent.
  double Metric(const std::string& name_and_labels) {
    std::string metrics = http::Request(port_, "GET", "/metrics").body;
    std::string escaped = std::regex_replace(name_and_labels, std::regex(R"([{}"])"), R"(\$&)");
    std::smatch m;
    if (std::regex_search(metrics, m, std::regex("(^|\n)" + escaped + " ([0-9.e+-]+)\n"))) {
      return std::stod(m[2].str());
    }
    return -1;
  }
  std::string Translate(const std::string& q, const std::string& source, const std::string& target) {
    json r = PostJson("/translate", {{"q", q}, {"source", source}, {"target", target}});
    return r.value("translatedText", std::string("<no translatedText>"));
  }

 private:
  static std::vector<std::string> Args(std::vector<std::string> args, int translator_port) {
    if (translator_port == 0) {
      args.insert(args.begin(), {DOLMETSCH_BINARY, "translator", "--host", "127.0.0.1", "--port", "0"});
    } else {
      args.insert(args.begin(), DOLMETSCH_BINARY);
    }
    return args;
  }
  static std::string NewLogPath() {
    static int counter = 0;
    return ::testing::TempDir() + "languages_translator_" + std::to_string(::getpid()) + "_" +
           std::to_string(counter++) + ".log";
  }
  ChildProcess process_;
  int port_ = 0;
};

std::map<std::string, std::vector<std::string>> TargetsByCode(const json& languages) {
  std::map<std::string, std::vector<std::string>> out;
  for (const json& l : languages) out[l["code"]] = l["targets"].get<std::vector<std::string>>();
  return out;
}

const char* kGerman = "Das Wetter ist heute schön, und wir gehen am Nachmittag im Park spazieren.";
const char* kEnglish = "The weather is lovely today, and we are going for a walk in the park this afternoon.";

TEST(LanguagesServiceTest, DiscoveryListsEverySourceAndTargetWithPivotsOnlyWhenOn) {
  const Models& m = TestModels();
  Server server({"--models-dir", m.dir, "--model", "en-fr,es=" + m.multi});
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  json languages = server.Get("/languages");
  auto targets = TargetsByCode(languages);
  using V = std::vector<std::string>;
  EXPECT_EQ(targets["en"], (V{"de", "es", "fr"}));
  EXPECT_EQ(targets["de"], (V{"en", "es", "fr"}));  // through en
  EXPECT_EQ(targets["it"], (V{"de", "en", "es", "fr"}));
  EXPECT_EQ(targets["fr"], V{});  // a target only: listed, as LibreTranslate lists every code
  EXPECT_EQ(targets["es"], V{});
  for (const json& l : languages) {
    if (l["code"] == "de") {
      EXPECT_EQ(l["name"], "German");
    } else if (l["code"] == "nl") {
      EXPECT_EQ(l["name"], "Dutch");
    }
  }
  json settings = server.Get("/frontend/settings");
  EXPECT_EQ(settings["language"]["source"]["code"], "auto");
  EXPECT_EQ(settings["language"]["target"]["code"], "en");

  Server no_pivot({"--models-dir", m.dir, "--model", "en-fr,es=" + m.multi, "--no-pivot"});
  ASSERT_TRUE(no_pivot.WaitReady()) << no_pivot.Log();
  auto direct = TargetsByCode(no_pivot.Get("/languages"));
  EXPECT_EQ(direct["de"], (V{"en"}));
  EXPECT_EQ(direct["en"], (V{"de", "es", "fr"}));
}

// `serve` takes the same model options (here through the environment) and its built-in translator serves
// them all.
TEST(LanguagesServiceTest, ServeAndTheEnvironmentNameModelsToo) {
  const Models& m = TestModels();
  const std::string data = m.root + "/serve-data";
  fs::create_directories(data);
  const int translator_port = FreePort();
  Server serve(
      {"serve", "--port", std::to_string(FreePort()), "--translator-port", std::to_string(translator_port),
       "--db", "sqlite://" + data + "/history.db", "--journal", data + "/history.journal"},
      {"DOLMETSCH_MODELS_DIR=" + m.dir, "DOLMETSCH_MODELS=en-fr,es=" + m.multi}, translator_port);
  ASSERT_TRUE(serve.WaitReady()) << serve.Log();
  auto targets = TargetsByCode(serve.Get("/languages"));
  EXPECT_EQ(targets["en"], (std::vector<std::string>{"de", "es", "fr"}));
  EXPECT_EQ(targets["nl"], (std::vector<std::string>{"de", "en", "es", "fr"}));
  EXPECT_EQ(serve.Translate(kGerman, "de", "en"), serve.Translate(kGerman, "nl", "en"));
}

TEST(LanguagesServiceTest, RoutesByPairAndRefusesUnservedPairsNamingTheServedOnes) {
  const Models& m = TestModels();
  Server server({"--models-dir", m.dir, "--no-pivot"}, {"DOLMETSCH_CACHE_ENTRIES=0"});
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  // The four folders are one model: any served pair gives the same output for the same text.
  const std::string de_en = server.Translate(kGerman, "de", "en");
  EXPECT_FALSE(de_en.empty());
  EXPECT_EQ(server.Translate(kGerman, "en", "de"), de_en);
  EXPECT_EQ(server.Translate(kGerman, "it", "en"), de_en);
  EXPECT_EQ(server.PostJson("/translate", {{"text_de", kGerman}})["text_en"], de_en);  // the original API
  json native = server.PostJson("/v1/translate", {{"text", kGerman}, {"source", "nl"}, {"target", "en"}});
  EXPECT_EQ(native["translations"][0]["text"], de_en);
  EXPECT_EQ(native["model"]["name"], "opus-mt-nl-en");
  EXPECT_FALSE(native["model"].contains("pivot"));
  // Each model counted under its own label.
  EXPECT_GE(server.Metric(R"(dolmetsch_model_sentences_total{model="it-en"})"), 1);
  EXPECT_GE(server.Metric(R"(dolmetsch_model_sentences_total{model="en-de"})"), 1);

  json unserved = server.PostJson("/translate", {{"q", "Hallo"}, {"source", "de"}, {"target", "it"}}, 400);
  const std::string error = unserved.value("error", "");
  EXPECT_NE(error.find("de-en, en-de, it-en, nl-en"), std::string::npos) << error;
  EXPECT_EQ(unserved.size(), 1u);  // {"error"} only
  json unknown = server.PostJson("/v1/translate", {{"text", "x"}, {"source", "xx"}, {"target", "en"}}, 400);
  EXPECT_NE(unknown.value("error", "").find("served pairs"), std::string::npos);

  // Without a de-en model the original API says so.
  Server english_only({"--model", m.dir + "/opus-mt-en-de"});
  ASSERT_TRUE(english_only.WaitReady()) << english_only.Log();
  json legacy = english_only.PostJson("/translate", {{"text_de", "Hallo"}}, 400);
  EXPECT_NE(legacy.value("error", "").find("no German -> English model"), std::string::npos) << legacy.dump();
  // One pair served: source and target may be left out.
  EXPECT_EQ(english_only.PostJson("/translate", {{"q", kGerman}})["translatedText"], de_en);
}

TEST(LanguagesServiceTest, PivotsThroughEnglishWhenOnAndSaysSo) {
  const Models& m = TestModels();
  Server server({"--models-dir", m.dir, "--model", "en-fr,es=" + m.multi, "--max-new-tokens", "24"},
                {"DOLMETSCH_CACHE_ENTRIES=0"});
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  const std::string text = "Guten Morgen.";
  const std::string english = server.Translate(text, "de", "en");
  const std::string french_from_english = server.Translate(english, "en", "fr");
  json pivot = server.PostJson("/v1/translate", {{"text", text}, {"source", "de"}, {"target", "fr"}});
  EXPECT_EQ(pivot["translations"][0]["text"], french_from_english);
  EXPECT_EQ(pivot["model"]["pivot"], "en");
  EXPECT_EQ(pivot["model"]["name"], "opus-mt-de-en+multi");
  EXPECT_EQ(server.Translate(text, "de", "fr"), french_from_english);  // LibreTranslate too
  EXPECT_GE(server.Metric(R"(dolmetsch_model_sentences_total{model="de-en-fr"})"), 1);

  Server off({"--models-dir", m.dir, "--model", "en-fr,es=" + m.multi}, {"DOLMETSCH_PIVOT=0"});
  ASSERT_TRUE(off.WaitReady()) << off.Log();
  json refused = off.PostJson("/v1/translate", {{"text", text}, {"source", "de"}, {"target", "fr"}}, 400);
  EXPECT_NE(refused.value("error", "").find("no model translates de to fr"), std::string::npos)
      << refused.dump();
}

TEST(LanguagesServiceTest, MultilingualTargetTokenIsPartOfTheSourceText) {
  const Models& m = TestModels();
  // The same multilingual folder also served as a plain model (en-it: no token added), so that the text
  // ">>fra<< Hello" sent to it is exactly what transformers' tokenizer gets for target fr.
  Server server({"--model", "en-fr,es=" + m.multi, "--model", "en-it=" + m.multi, "--max-new-tokens", "24"},
                {"DOLMETSCH_CACHE_ENTRIES=0"});
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  for (const std::string text : {"Hello world.", "The weather is lovely today."}) {
    const std::string fr = server.Translate(text, "en", "fr");
    const std::string es = server.Translate(text, "en", "es");
    EXPECT_EQ(fr, server.Translate(">>fra<< " + text, "en", "it")) << text;
    EXPECT_EQ(es, server.Translate(">>spa<< " + text, "en", "it")) << text;
  }
}

TEST(LanguagesServiceTest, DetectsFiveLanguagesOnRealSentences) {
  const Models& m = TestModels();
  Server server({"--models-dir", m.dir, "--model", "en-fr,es=" + m.multi, "--max-new-tokens", "8"});
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  const std::vector<std::pair<std::string, std::string>> sentences = {
      {"de", kGerman},
      {"de", "Der Zug nach Hamburg hat heute leider zwanzig Minuten Verspätung."},
      {"en", kEnglish},
      {"en", "Please remember to bring your passport when you travel abroad next month."},
      {"fr", "Nous avons visité le musée du Louvre pendant nos vacances à Paris l'été dernier."},
      {"fr", "Le boulanger ouvre sa boutique très tôt le matin pour vendre du pain frais."},
      {"es", "Mañana vamos a la playa con nuestros amigos si no llueve por la tarde."},
      {"es", "La biblioteca de la universidad está abierta todos los días hasta medianoche."},
      {"it", "Ogni domenica la mia famiglia si riunisce per pranzare insieme a casa della nonna."},
      {"it", "Il treno per Milano parte dalla stazione centrale alle otto e mezza."},
      {"nl", "Wij fietsen elke ochtend naar ons werk, ook als het regent en hard waait."},
      {"nl", "Het is vandaag mooi weer en de kinderen spelen buiten in de tuin."}};
  for (const auto& [language, text] : sentences) {
    json detected = server.PostJson("/detect", {{"q", text}});
    ASSERT_TRUE(detected.is_array() && !detected.empty()) << detected.dump();
    EXPECT_EQ(detected[0]["language"], language) << text;
    EXPECT_GT(detected[0]["confidence"].get<double>(), 50) << text;
  }
  // LibreTranslate's form encoding works too.
  http::Response form =
      http::Request(server.port(), "POST", "/detect", "q=Guten+Morgen%2C+wie+geht+es+dir+heute%3F",
                    "application/x-www-form-urlencoded");
  EXPECT_EQ(json::parse(form.body)[0]["language"], "de") << form.body;

  // source "auto": each text detected among the sources that reach the target, one detectedLanguage each.
  json batch =
      server.PostJson("/translate", {{"q", {sentences[0].second, sentences[8].second, sentences[10].second}},
                                     {"source", "auto"},
                                     {"target", "en"}});
  ASSERT_EQ(batch["detectedLanguage"].size(), 3u) << batch.dump();
  EXPECT_EQ(batch["detectedLanguage"][0]["language"], "de");
  EXPECT_EQ(batch["detectedLanguage"][1]["language"], "it");
  EXPECT_EQ(batch["detectedLanguage"][2]["language"], "nl");
  EXPECT_GT(batch["detectedLanguage"][0]["confidence"].get<double>(), 50);
  ASSERT_EQ(batch["translatedText"].size(), 3u);
  // Each text went through its own model: the same as naming the source.
  EXPECT_EQ(batch["translatedText"][1], server.Translate(sentences[8].second, "it", "en"));
  json single = server.PostJson("/translate", {{"q", kEnglish}, {"source", "auto"}, {"target", "fr"}});
  EXPECT_EQ(single["detectedLanguage"]["language"], "en") << single.dump();
}

// Resident memory of a process in bytes (VmRSS of /proc/PID/status).
double ResidentBytes(pid_t pid) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  std::smatch m;
  if (!std::regex_search(status, m, std::regex(R"(VmRSS:\s+([0-9]+) kB)"))) return -1;
  return std::stod(m[1].str()) * 1024;
}

TEST(LanguagesServiceTest, LoadsOnFirstUseAndUnloadsTheLeastRecentlyUsedUnderABudget) {
  const Models& m = TestModels();
  // Make sure the model folders are gone at the end (the random model is hundreds of MB).
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } cleanup{m.root + "/big"}, cleanup_random{m.root + "/random-opus-mt"};
  // A random model of opus-mt size (its memory shows in the process's RSS, unlike the fixture's), under
  // three pair names: the registry loads each folder on its own.
  const std::string random = m.root + "/random-opus-mt";
  const std::string big = m.root + "/big";
  ASSERT_EQ(RunCommand({DOLMETSCH_BINARY, "make-random-model", "--like", "opus-mt-de-en", "--out", random,
                        "--seed", "3"}),
            0);
  fs::create_directories(big);
  for (const char* pair : {"de-en", "en-de", "fr-en"}) {
    fs::create_directory_symlink(random, big + "/opus-mt-" + std::string(pair));
  }
  Server server(
      {"--models-dir", big, "--max-loaded-models", "1", "--max-new-tokens", "2", "--compute-type", "int8"},
      {"DOLMETSCH_CACHE_ENTRIES=0"});
  ASSERT_TRUE(server.WaitReady()) << server.Log();  // nothing preloaded: ready at once
  EXPECT_EQ(server.Metric("dolmetsch_model_loads_total"), 0);
  const double idle = ResidentBytes(server.pid());
  server.Translate("Hallo.", "de", "en");
  EXPECT_EQ(server.Metric("dolmetsch_model_loads_total"), 1);
  const double one = ResidentBytes(server.pid());
  EXPECT_GT(one - idle, 20e6) << "a model of opus-mt size takes tens of MB";
  server.Translate("Hello.", "en", "de");
  server.Translate("Bonjour.", "fr", "en");
  EXPECT_EQ(server.Metric("dolmetsch_model_loads_total"), 3);
  EXPECT_EQ(server.Metric("dolmetsch_model_unloads_total"), 2);
  // One model in memory: the process stays near one model's size, not three.
  const double after = ResidentBytes(server.pid());
  EXPECT_LT(after - idle, 1.6 * (one - idle)) << "idle " << idle << " one " << one << " after " << after;
  server.Translate("Hallo.", "de", "en");  // unloaded earlier: loaded again
  EXPECT_EQ(server.Metric("dolmetsch_model_loads_total"), 4);

  // A budget in MiB: an int8 model of this size takes ~80 MiB, so 150 MiB hold one.
  Server by_memory(
      {"--models-dir", big, "--max-loaded-mib", "150", "--max-new-tokens", "2", "--compute-type", "int8"},
      {"DOLMETSCH_CACHE_ENTRIES=0"});
  ASSERT_TRUE(by_memory.WaitReady()) << by_memory.Log();
  by_memory.Translate("Hallo.", "de", "en");
  by_memory.Translate("Hello.", "en", "de");
  EXPECT_EQ(by_memory.Metric("dolmetsch_model_loads_total"), 2);
  EXPECT_EQ(by_memory.Metric("dolmetsch_model_unloads_total"), 1);

  // --preload (here through the environment): every model loaded before /ready.
  Server preloaded({"--models-dir", big, "--compute-type", "int8"}, {"DOLMETSCH_PRELOAD=1"});
  ASSERT_TRUE(preloaded.WaitReady(120)) << preloaded.Log();
  EXPECT_EQ(preloaded.Metric("dolmetsch_model_loads_total"), 3);
}

TEST(LanguagesServiceTest, ConcurrentRequestsToSeveralModelsEqualOneAtATime) {
  const Models& m = TestModels();
  Server server(
      {"--models-dir", m.dir, "--model", "en-fr,es=" + m.multi, "--max-new-tokens", "24", "--workers", "2"},
      {"DOLMETSCH_CACHE_ENTRIES=0"});
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  const std::vector<std::tuple<std::string, std::string, std::string>> requests = {
      {kGerman, "de", "en"},
      {kEnglish, "en", "de"},
      {kEnglish, "en", "fr"},
      {kEnglish, "en", "es"},
      {"Guten Morgen.", "de", "fr"},
      {"Buongiorno a tutti.", "it", "en"},
      {"Goedemorgen allemaal.", "nl", "de"},
      {"Hallo Welt. Wie geht es?", "de", "en"}};
  std::vector<std::string> sequential;
  for (const auto& [q, s, t] : requests) sequential.push_back(server.Translate(q, s, t));
  std::vector<std::string> concurrent(requests.size() * 4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < concurrent.size(); ++i) {
    threads.emplace_back([&, i] {
      const auto& [q, s, t] = requests[i % requests.size()];
      concurrent[i] = server.Translate(q, s, t);
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < concurrent.size(); ++i)
    EXPECT_EQ(concurrent[i], sequential[i % requests.size()]) << i;
}

}  // namespace
