// The TranslationStore contract, checked against both backends: SQLite always, MariaDB when
// DOLMETSCH_TEST_MYSQL_URL is set (scripts/with-mariadb).
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "store/job_store.h"
#include "store/store_test_helpers.h"
#include "store/translation_store.h"

namespace dolmetsch::store {
namespace {

using testing::ScratchDatabase;
using testing::TempDir;

class StoreConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool mysql() const { return GetParam() == "mysql"; }

  void SetUp() override {
    if (mysql()) {
      auto cfg = testing::TestMysqlConfig();
      if (!cfg) GTEST_SKIP() << testing::kNoMysqlMessage;
      db_ = std::make_unique<ScratchDatabase>(*cfg);
      ASSERT_EQ(db_->error(), "");
    }
  }

  StoreOptions Options() {
    StoreOptions o;
    if (mysql()) {
      o.url = db_->Url();
      o.env = db_->EnvWithPassword();
    } else {
      o.url = "sqlite://" + dir_.File("history.db");  // absolute: sqlite:///tmp/...
    }
    return o;
  }

  std::unique_ptr<TranslationStore> OpenOrDie() {
    auto s = OpenStore(Options());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    return std::move(s).value();
  }

  // Raw SQL outside the store: for setting up the original app's table and poking at the schema.
  void RawExec(const std::string& sql) {
    if (mysql()) {
      ASSERT_EQ(db_->Exec(sql), "");
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.File("history.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }

  TempDir dir_;
  std::unique_ptr<ScratchDatabase> db_;
};

NewTranslation Row(std::string de, std::string en, std::string owner = "alice") {
  NewTranslation r;
  r.text_de = std::move(de);
  r.text_en = std::move(en);
  r.owner = std::move(owner);
  r.model = "opus-mt-de-en";
  return r;
}

std::vector<int64_t> Ids(const Page& page) {
  std::vector<int64_t> ids;
  for (const auto& r : page.items) ids.push_back(r.id);
  return ids;
}

std::set<std::string> SearchDe(TranslationStore& store, const std::string& search,
                               std::optional<std::string> owner = std::nullopt) {
  Query q;
  q.search = search;
  q.owner = std::move(owner);
  q.limit = 100;
  auto page = store.List(q);
  EXPECT_TRUE(page.ok()) << "search '" << search << "': " << page.status().ToString();
  std::set<std::string> out;
  if (!page.ok()) return out;
  for (const auto& r : page->items) out.insert(r.text_de);
  auto count = store.Count(q);
  EXPECT_TRUE(count.ok()) << count.status().ToString();
  if (count.ok()) {
    EXPECT_EQ(*count, static_cast<int64_t>(out.size())) << "Count vs List for '" << search << "'";
  }
  return out;
}

TEST_P(StoreConformanceTest, InsertThenGetRoundTripsEveryField) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  NewTranslation row = Row("Größe: 5 € — „Anführung“ 😀 日本", "size: 5 € — \"quote\" 😀 日本", "owner-1");
  row.created_at_unix = 1700000000;
  auto ins = store->Insert(row);
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  EXPECT_GT(ins->id, 0);
  EXPECT_FALSE(ins->journaled);
  EXPECT_EQ(ins->client_key.size(), 36u);
  auto got = store->Get(ins->id, std::string("owner-1"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, ins->id);
  EXPECT_EQ(got->text_de, row.text_de);
  EXPECT_EQ(got->text_en, row.text_en);
  EXPECT_EQ(got->owner, "owner-1");
  EXPECT_EQ(got->model, "opus-mt-de-en");
  EXPECT_EQ(got->created_at_unix, 1700000000);
  EXPECT_EQ(got->client_key, ins->client_key);
  EXPECT_TRUE(store->Ping().ok());
  EXPECT_EQ(store->BackendName(), GetParam());
}

TEST_P(StoreConformanceTest, CreatedAtDefaultsToNowAndEmptyTextsAreKept) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const int64_t before = UnixNow();
  auto ins = store->Insert(Row("", ""));
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  auto got = store->Get(ins->id, std::nullopt);
  ASSERT_TRUE(got.ok());
  EXPECT_GE(got->created_at_unix, before);
  EXPECT_LE(got->created_at_unix, UnixNow());
  EXPECT_EQ(got->text_de, "");
}

TEST_P(StoreConformanceTest, ListIsNewestFirstWithOffsetAndKeysetPagination) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  std::vector<int64_t> inserted;
  for (int i = 0; i < 25; ++i) {
    auto ins = store->Insert(Row("Satz " + std::to_string(i), "sentence " + std::to_string(i)));
    ASSERT_TRUE(ins.ok()) << ins.status().ToString();
    inserted.push_back(ins->id);
  }
  std::vector<int64_t> expected(inserted.rbegin(), inserted.rend());

  std::vector<int64_t> by_offset;
  std::vector<bool> more;
  for (int64_t offset = 0; offset < 30; offset += 10) {
    Query q;
    q.limit = 10;
    q.offset = offset;
    auto page = store->List(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (int64_t id : Ids(*page)) by_offset.push_back(id);
    more.push_back(page->has_more);
  }
  EXPECT_EQ(by_offset, expected);
  EXPECT_EQ(more, (std::vector<bool>{true, true, false}));

  std::vector<int64_t> by_key;
  Query q;
  q.limit = 10;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = store->List(q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (int64_t id : Ids(*page)) by_key.push_back(id);
    if (!page->has_more) break;
    EXPECT_EQ(page->next_before_id, page->items.back().id);
    q.before_id = page->next_before_id;
  }
  EXPECT_EQ(by_key, expected);

  auto count = store->Count(Query{});
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 25);

  Query empty_page;
  empty_page.offset = 100;
  auto page = store->List(empty_page);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->items.empty());
  EXPECT_FALSE(page->has_more);
  EXPECT_EQ(page->next_before_id, 0);
}

TEST_P(StoreConformanceTest, OwnerScopingHidesOtherOwnersRows) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto a = store->Insert(Row("Apfel", "apple", "alice"));
  auto b = store->Insert(Row("Birne", "pear", "bob"));
  auto c = store->Insert(Row("Kirsche", "cherry", "Alice"));  // owners are compared exactly (case too)
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());

  Query qa;
  qa.owner = "alice";
  auto page = store->List(qa);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), std::vector<int64_t>{a->id});
  EXPECT_EQ(*store->Count(qa), 1);
  EXPECT_EQ(*store->Count(Query{}), 3);

  auto foreign = store->Get(b->id, std::string("alice"));
  EXPECT_EQ(foreign.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store->Delete(b->id, std::string("alice")).code(), Status::Code::kNotFound);
  EXPECT_TRUE(store->Get(b->id, std::nullopt).ok()) << "bob's row must survive alice's delete";

  EXPECT_TRUE(store->Delete(a->id, std::string("alice")).ok());
  EXPECT_EQ(store->Get(a->id, std::nullopt).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store->Delete(a->id, std::nullopt).code(), Status::Code::kNotFound);
  EXPECT_TRUE(store->Delete(c->id, std::nullopt).ok());
  EXPECT_EQ(*store->Count(Query{}), 1);
}

TEST_P(StoreConformanceTest, FullTextSearchMatchesWordPrefixesInBothLanguages) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Insert(Row("Der Hund bellt laut.", "The dog barks loudly.")).ok());
  ASSERT_TRUE(store->Insert(Row("Die Katze schläft.", "The cat sleeps.")).ok());
  ASSERT_TRUE(store->Insert(Row("Hundefutter ist teuer.", "Dog food is expensive.", "bob")).ok());

  using S = std::set<std::string>;
  const S dog = {"Der Hund bellt laut.", "Hundefutter ist teuer."};
  EXPECT_EQ(SearchDe(*store, "hund"), dog);
  EXPECT_EQ(SearchDe(*store, "Dog"), dog);
  EXPECT_EQ(SearchDe(*store, "HUND", std::string("bob")), S{"Hundefutter ist teuer."});
  EXPECT_EQ(SearchDe(*store, "katze schläft"), S{"Die Katze schläft."});
  EXPECT_EQ(SearchDe(*store, "SCHLÄFT"), S{"Die Katze schläft."});
  EXPECT_EQ(SearchDe(*store, "schlaft"), S{"Die Katze schläft."});  // diacritics folded
  EXPECT_EQ(SearchDe(*store, "cat"), S{"Die Katze schläft."});
  EXPECT_EQ(SearchDe(*store, "hund katze"), S{});
  EXPECT_EQ(SearchDe(*store, "elefant"), S{});
  // Short words (below InnoDB's minimum token size, and stop words) still match.
  EXPECT_EQ(SearchDe(*store, "is"), S{"Hundefutter ist teuer."});
  EXPECT_EQ(SearchDe(*store, "the cat"), S{"Die Katze schläft."});
  // Query-language characters are plain text, never syntax errors.
  EXPECT_EQ(SearchDe(*store, "hund* \"(-katze"), S{});
  EXPECT_EQ(SearchDe(*store, "\"hund\" +-*"), dog);
  EXPECT_EQ(SearchDe(*store, "100% _x_ 'a'"), S{});
  // A search without any word is no filter.
  EXPECT_EQ(SearchDe(*store, " !!! ").size(), 3u);
}

TEST_P(StoreConformanceTest, SearchFollowsDeletes) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto ins = store->Insert(Row("Zitronenbaum", "lemon tree"));
  ASSERT_TRUE(ins.ok());
  EXPECT_EQ(SearchDe(*store, "zitronenbaum").size(), 1u);
  ASSERT_TRUE(store->Delete(ins->id, std::nullopt).ok());
  EXPECT_EQ(SearchDe(*store, "zitronenbaum").size(), 0u);
}

TEST_P(StoreConformanceTest, InsertWithExistingClientKeyReturnsTheStoredRow) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  NewTranslation row = Row("Einmal", "once");
  row.client_key = "6f1c0a4e-7d5b-4c1e-9a0b-2f3d4e5f6a7b";
  auto first = store->Insert(row);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(store->Insert(Row("Zwischendurch", "in between")).ok());
  auto second = store->Insert(row);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->client_key, row.client_key);
  EXPECT_EQ(*store->Count(Query{}), 2);
}

TEST_P(StoreConformanceTest, RejectsMalformedInput) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto code = [](const auto& s) { return s.status().code(); };
  EXPECT_EQ(code(store->Insert(Row(std::string("ab\xC3", 3), "x"))), Status::Code::kInvalidArgument);
  EXPECT_EQ(code(store->Insert(Row("x", std::string("\xED\xA0\x80", 3)))), Status::Code::kInvalidArgument);
  EXPECT_EQ(code(store->Insert(Row("x", "y", std::string(kMaxOwnerBytes + 1, 'o')))),
            Status::Code::kInvalidArgument);
  NewTranslation bad_key = Row("x", "y");
  bad_key.client_key = "has space";
  EXPECT_EQ(code(store->Insert(bad_key)), Status::Code::kInvalidArgument);
  NewTranslation bad_model = Row("x", "y");
  bad_model.model = std::string(kMaxModelBytes + 1, 'm');
  EXPECT_EQ(code(store->Insert(bad_model)), Status::Code::kInvalidArgument);

  Query q;
  q.limit = 0;
  EXPECT_EQ(code(store->List(q)), Status::Code::kInvalidArgument);
  q.limit = kMaxListLimit + 1;
  EXPECT_EQ(code(store->List(q)), Status::Code::kInvalidArgument);
  q.limit = 10;
  q.offset = -1;
  EXPECT_EQ(code(store->List(q)), Status::Code::kInvalidArgument);
  q.offset = 0;
  q.before_id = 0;
  EXPECT_EQ(code(store->List(q)), Status::Code::kInvalidArgument);
  Query bad_search;
  bad_search.search = "\xFF";
  EXPECT_EQ(code(store->Count(bad_search)), Status::Code::kInvalidArgument);
  EXPECT_EQ(code(store->Get(-5, std::nullopt)), Status::Code::kNotFound);
  EXPECT_EQ(store->Delete(0, std::nullopt).code(), Status::Code::kNotFound);
  EXPECT_EQ(code(store->Get(123456789, std::nullopt)), Status::Code::kNotFound);
  EXPECT_EQ(*store->Count(Query{}), 0) << "nothing malformed may have been stored";
}

TEST_P(StoreConformanceTest, LargeTextRoundTrips) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  std::string de, en;
  for (int i = 0; de.size() < (3u << 20); ++i) {
    de += "Habe nun, ach! Philosophie, Juristerei und Medizin, " + std::to_string(i) + "\n";
    en += "I have, alas! studied philosophy, law and medicine, " + std::to_string(i) + "\n";
  }
  auto ins = store->Insert(Row(de, en));
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  auto got = store->Get(ins->id, std::nullopt);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->text_de, de);
  EXPECT_EQ(got->text_en, en);
  Query q;
  q.search = "juristerei";
  int64_t found = 0;
  // InnoDB syncs the full-text cache of a multi-megabyte row in the background: the very first search
  // right after such an insert may miss it (seen with MariaDB 10.11), so allow it a moment there.
  for (int i = 0; i < (mysql() ? 50 : 1) && found == 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    found = *store->Count(q);
  }
  EXPECT_EQ(found, 1);
  EXPECT_EQ(SearchDe(*store, "juristerei").size(), 1u);
}

TEST_P(StoreConformanceTest, ConcurrentInsertsAndReadsLoseNothing) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4, kPerThread = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::mutex ids_mu;
  std::set<int64_t> ids;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto ins = store->Insert(Row("Faden " + std::to_string(t) + " Nummer " + std::to_string(i), "thread",
                                     "owner" + std::to_string(t)));
        if (!ins.ok()) {
          ++failures;
          continue;
        }
        std::lock_guard<std::mutex> lock(ids_mu);
        ids.insert(ins->id);
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 40; ++i) {
      Query q;
      q.search = "faden";
      if (!store->List(q).ok() || !store->Count(Query{}).ok()) ++failures;
    }
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*store->Count(Query{}), kThreads * kPerThread);
  Query q;
  q.owner = "owner2";
  EXPECT_EQ(*store->Count(q), kPerThread);
}

TEST_P(StoreConformanceTest, UpgradesTheOriginalTableInPlaceKeepingRows) {
  if (mysql()) {
    RawExec(
        "CREATE TABLE translations (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, text_de LONGTEXT, "
        "text_en LONGTEXT);\n"
        "INSERT INTO translations (text_de, text_en) VALUES ('Guten Morgen, schöne Welt', 'Good morning, "
        "beautiful world');\n"
        "INSERT INTO translations (text_de, text_en) VALUES (NULL, 'only english')");
  } else {
    RawExec(
        "CREATE TABLE translations (id INTEGER PRIMARY KEY AUTOINCREMENT, text_de TEXT, text_en TEXT);"
        "INSERT INTO translations (text_de, text_en) VALUES ('Guten Morgen, schöne Welt', 'Good morning, "
        "beautiful world');"
        "INSERT INTO translations (text_de, text_en) VALUES (NULL, 'only english')");
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto page = store->List(Query{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->items.size(), 2u);
  const TranslationRecord& old_row = page->items[1];
  EXPECT_EQ(old_row.id, 1);
  EXPECT_EQ(old_row.text_de, "Guten Morgen, schöne Welt");
  EXPECT_EQ(old_row.text_en, "Good morning, beautiful world");
  EXPECT_EQ(old_row.owner, "");
  EXPECT_EQ(old_row.model, "");
  EXPECT_EQ(old_row.created_at_unix, 0);
  EXPECT_EQ(old_row.client_key, "");
  EXPECT_EQ(page->items[0].text_de, "");  // NULL reads as ""
  EXPECT_EQ(SearchDe(*store, "morgen"), std::set<std::string>{"Guten Morgen, schöne Welt"});
  Query legacy;
  legacy.owner = "";
  EXPECT_EQ(*store->Count(legacy), 2);

  auto ins = store->Insert(Row("Neu", "new"));
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  EXPECT_GT(ins->id, 2);
  store.reset();
  auto again = OpenOrDie();  // a second start finds the current schema and changes nothing
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->Migrate().ok());
  EXPECT_EQ(*again->Count(Query{}), 3);
}

TEST_P(StoreConformanceTest, LanguagePairsRoundTripAndDefaultToGermanEnglish) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  NewTranslation fr = Row("Bonjour le monde", "Hallo Welt");
  fr.source_lang = "fr";
  fr.target_lang = "de";
  auto fr_id = store->Insert(fr);
  ASSERT_TRUE(fr_id.ok()) << fr_id.status().ToString();
  auto plain_id = store->Insert(Row("Hallo", "Hello"));
  ASSERT_TRUE(plain_id.ok());
  auto got = store->Get(fr_id->id, std::nullopt);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->source_lang, "fr");
  EXPECT_EQ(got->target_lang, "de");
  auto page = store->List(Query{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].source_lang, "de");
  EXPECT_EQ(page->items[0].target_lang, "en");
  EXPECT_EQ(page->items[1].source_lang, "fr");
  // The original app's INSERT names only the texts: still valid, and its row reads as de -> en.
  RawExec("INSERT INTO translations (text_de, text_en) VALUES ('Alt', 'old')");
  page = store->List(Query{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items[0].text_de, "Alt");
  EXPECT_EQ(page->items[0].source_lang, "de");
  EXPECT_EQ(page->items[0].target_lang, "en");
  for (const char* bad : {"", "d e", "de<script>", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}) {
    NewTranslation row = Row("x", "y");
    row.target_lang = bad;
    EXPECT_EQ(store->Insert(row).status().code(), Status::Code::kInvalidArgument) << "'" << bad << "'";
  }
}

TEST_P(StoreConformanceTest, UpgradesAVersion2DatabaseToLanguageColumns) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Insert(Row("Vorher", "before")).ok());
    ASSERT_TRUE(store->DowngradeSchema(2).ok());
  }
  // What version 2 had: no language columns (an older dolmetsch with its own schema).
  if (mysql()) {
    RawExec(
        "ALTER TABLE translations DROP COLUMN source_lang, DROP COLUMN target_lang;\n"
        "ALTER TABLE jobs DROP COLUMN source_lang, DROP COLUMN target_lang;\n"
        "INSERT INTO jobs (owner, state, text_de) VALUES ('alice', 'queued', 'Alter Auftrag.')");
  } else {
    RawExec(
        "ALTER TABLE translations DROP COLUMN source_lang; ALTER TABLE translations DROP COLUMN "
        "target_lang; ALTER TABLE jobs DROP COLUMN source_lang; ALTER TABLE jobs DROP COLUMN target_lang;"
        "INSERT INTO jobs (owner, state, text_de) VALUES ('alice', 'queued', 'Alter Auftrag.')");
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto page = store->List(Query{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].source_lang, "de");
  EXPECT_EQ(page->items[0].target_lang, "en");
  auto jobs = store->jobs()->ListJobs(std::nullopt, false, 10);
  ASSERT_TRUE(jobs.ok()) << jobs.status().ToString();
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ(jobs->at(0).source_lang, "de");
  EXPECT_EQ(jobs->at(0).target_lang, "en");
  NewTranslation es = Row("Hola", "Hallo");
  es.source_lang = "es";
  es.target_lang = "de";
  auto ins = store->Insert(es);
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  EXPECT_EQ(store->Get(ins->id, std::nullopt)->source_lang, "es");
}

TEST_P(StoreConformanceTest, FileNamesRoundTripAndAVersion3DatabaseGainsThem) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    NewTranslation file = Row("Kopf", "Head");
    file.file_name = "Bericht über 2026.docx";
    auto ins = store->Insert(file);
    ASSERT_TRUE(ins.ok()) << ins.status().ToString();
    EXPECT_EQ(store->Get(ins->id, std::nullopt)->file_name, "Bericht über 2026.docx");
    file.file_name = std::string(256, 'a');
    EXPECT_EQ(store->Insert(file).status().code(), Status::Code::kInvalidArgument);
    ASSERT_TRUE(store->DowngradeSchema(3).ok());
  }
  // What version 3 had: no file_name column, no job_files table.
  RawExec("ALTER TABLE translations DROP COLUMN file_name");
  RawExec("INSERT INTO translations (text_de, text_en) VALUES ('Originale Zeile', 'Original row')");
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto page = store->List(Query{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].file_name, "") << "rows from before version 4 are texts";
  EXPECT_EQ(page->items[1].file_name, "") << "the column was dropped with its values";
  NewTranslation again = Row("Wieder", "Again");
  again.file_name = "neu.md";
  auto ins = store->Insert(again);
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  EXPECT_EQ(store->Get(ins->id, std::nullopt)->file_name, "neu.md");
  NewJob job;
  job.text_de = "x";
  job.file = JobFile{"x.md", "x"};
  EXPECT_TRUE(store->jobs()->CreateJob(job).ok()) << "job_files is back";
}

TEST_P(StoreConformanceTest, RefusesASchemaNewerThanItKnows) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
  }
  RawExec("UPDATE schema_version SET version = 99");
  auto store = OpenStore(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::Values("sqlite", "mysql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace dolmetsch::store
