#include "translator/api.h"

#include <gtest/gtest.h>

namespace dolmetsch::translator {
namespace {

const ApiLimits kLimits;
const std::vector<std::pair<std::string, std::string>> kNoForm;

StatusOr<TranslationRequest> Json(ApiKind kind, const std::string& body) {
  return ParseTranslateRequest(kind, "application/json", body, kNoForm, kLimits);
}

void ExpectInvalid(ApiKind kind, const std::string& body, const std::string& fragment) {
  auto r = Json(kind, body);
  ASSERT_FALSE(r.ok()) << body;
  EXPECT_NE(r.status().message().find(fragment), std::string::npos)
      << "body " << body << " gave: " << r.status().message();
}

TEST(ApiTest, LegacyRequest) {
  auto r = Json(ApiKind::kLegacy, R"({"text_de": "Hallo Welt."})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, ApiKind::kLegacy);
  EXPECT_EQ(r->texts, std::vector<std::string>{"Hallo Welt."});
  EXPECT_FALSE(r->texts_is_array);
}

TEST(ApiTest, LibreTranslateJson) {
  auto r = Json(ApiKind::kLegacy,
                R"({"q": ["a", "b"], "source": "auto", "target": "en", "format": "text", "alternatives": 2,
                    "api_key": "k", "secret": "ignored"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, ApiKind::kLibreTranslate);
  EXPECT_EQ(r->texts, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r->texts_is_array);
  EXPECT_TRUE(r->source_auto);
  EXPECT_EQ(r->alternatives, 2);
  EXPECT_EQ(r->options.n_best, 3);
  EXPECT_EQ(r->options.beam_size, 0);  // the model's beam (widened to n_best by the backend)
  EXPECT_EQ(r->api_key, "k");
}

TEST(ApiTest, LibreTranslateErrors) {
  ExpectInvalid(ApiKind::kLegacy, R"({"q": "x", "source": "f r"})", "'source' must be a language code");
  ExpectInvalid(ApiKind::kLegacy, R"({"q": "x", "target": ""})", "'target' must be a language code");
  ExpectInvalid(ApiKind::kLegacy, R"({"q": "x", "format": "html", "alternatives": 1})",
                "'alternatives' is not available with \"format\": \"html\"");
  ExpectInvalid(ApiKind::kLegacy, R"({"q": "x", "format": "pdf"})", "'format' must be");
  ExpectInvalid(ApiKind::kLegacy, R"({"q": "x", "alternatives": 99})", "'alternatives' is 99");
  ExpectInvalid(ApiKind::kLegacy, R"({"q": "x", "alternatives": "many"})",
                "'alternatives' must be an integer");
  ExpectInvalid(ApiKind::kLegacy, R"({"q": 5})", "'q' must be a string or an array of strings, not a number");
  ExpectInvalid(ApiKind::kLegacy, R"({"q": ["a", 1]})", "'q[1]' must be a string");
  ExpectInvalid(ApiKind::kLegacy, R"({"q": "x", "source": 1})", "'source' must be a string");
  EXPECT_EQ(Json(ApiKind::kLegacy, R"({"q": "x", "format": "html"})")->format, TextFormat::kHtml);
  EXPECT_EQ(Json(ApiKind::kLegacy, R"({"q": "x", "format": "Markdown"})")->format, TextFormat::kMarkdown);
  EXPECT_EQ(Json(ApiKind::kLegacy, R"({"q": "x"})")->format, TextFormat::kText);
  EXPECT_EQ(Json(ApiKind::kNative, R"({"text": "x", "format": "md"})")->format, TextFormat::kMarkdown);
  ExpectInvalid(ApiKind::kNative, R"({"text": "x", "format": "html", "options": {"n_best": 2}})",
                "cannot be combined with 'options.n_best'");
}

// Which pairs are served is the service's business: the parser only reads the codes.
TEST(ApiTest, LanguagesAreReadNotJudged) {
  auto r = Json(ApiKind::kLegacy, R"({"q": "x", "source": "FR", "target": "es"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source, "fr");
  EXPECT_EQ(r->target, "es");
  EXPECT_FALSE(r->source_auto);
  auto native = Json(ApiKind::kNative, R"({"text": "x", "source": "auto", "target": "de"})");
  ASSERT_TRUE(native.ok()) << native.status().ToString();
  EXPECT_TRUE(native->source_auto);
  EXPECT_EQ(native->source, "");
  EXPECT_EQ(native->target, "de");
}

TEST(ApiTest, LegacyAndBodyErrors) {
  ExpectInvalid(ApiKind::kLegacy, R"({"text_de": 3})", "'text_de' must be a string, not a number");
  ExpectInvalid(ApiKind::kLegacy, R"({"text": "x"})", "missing field");
  ExpectInvalid(ApiKind::kLegacy, R"([1,2])", "must be a JSON object, not an array");
  ExpectInvalid(ApiKind::kLegacy, R"({"text_de": "x")", "not valid JSON");
  ExpectInvalid(ApiKind::kLegacy, "", "empty");
  ExpectInvalid(ApiKind::kLegacy, "{\"text_de\": \"\xff\xfe\"}", "not valid UTF-8");
  ExpectInvalid(ApiKind::kLegacy, "{\"text_de\": \"\\ud800\"}", "not valid JSON");  // lone surrogate escape
}

TEST(ApiTest, NativeRequestAndOptions) {
  auto r = Json(ApiKind::kNative,
                R"({"text": ["eins", "zwei"], "stream": true,
                    "options": {"beam_size": 4, "n_best": 2, "max_length": 100, "max_new_tokens": 50}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, ApiKind::kNative);
  EXPECT_TRUE(r->stream);
  EXPECT_EQ(r->options.beam_size, 4);
  EXPECT_EQ(r->options.n_best, 2);
  EXPECT_EQ(r->options.max_length, 100);
  EXPECT_EQ(r->options.max_new_tokens, 50);
  auto defaults = Json(ApiKind::kNative, R"({"text": "eins"})");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->options, SentenceOptions{});
  EXPECT_FALSE(defaults->texts_is_array);
}

TEST(ApiTest, NativeErrors) {
  ExpectInvalid(ApiKind::kNative, R"({"text": "x", "options": {"beam_size": 0}})",
                "'options.beam_size' is 0; it must be between 1 and 8");
  ExpectInvalid(ApiKind::kNative, R"({"text": "x", "options": {"beam_size": 99}})", "between 1 and 8");
  ExpectInvalid(ApiKind::kNative, R"({"text": "x", "options": {"beam_size": 2.5}})", "must be an integer");
  ExpectInvalid(ApiKind::kNative, R"({"text": "x", "options": {"temperature": 1}})",
                "unknown option 'options.temperature'");
  ExpectInvalid(ApiKind::kNative, R"({"text": "x", "options": {"beam_size": 2, "n_best": 3}})",
                "must not exceed 'options.beam_size'");
  ExpectInvalid(ApiKind::kNative, R"({"text": "x", "options": []})", "'options' must be an object");
  ExpectInvalid(ApiKind::kNative, R"({"text": "x", "stream": "yes"})", "'stream' must be true or false");
  ExpectInvalid(ApiKind::kNative, R"({"text": "x", "extra": 1})", "unknown field 'extra'");
  ExpectInvalid(ApiKind::kNative, R"({"q": "x"})", "missing field 'text'");
  ExpectInvalid(ApiKind::kNative, R"({"text": null})", "not null");
  auto form = ParseTranslateRequest(ApiKind::kNative, "application/x-www-form-urlencoded", "text=x",
                                    {{"text", "x"}}, kLimits);
  EXPECT_FALSE(form.ok());
}

TEST(ApiTest, FormFields) {
  auto fields = ParseUrlEncodedForm("q=Guten+Tag%21&source=de&target=en&q=Zwei");
  ASSERT_TRUE(fields.ok());
  ASSERT_EQ(fields->size(), 4u);
  EXPECT_EQ((*fields)[0], (std::pair<std::string, std::string>{"q", "Guten Tag!"}));
  auto r = ParseTranslateRequest(ApiKind::kLegacy, "application/x-www-form-urlencoded", "", *fields, kLimits);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, ApiKind::kLibreTranslate);
  EXPECT_EQ(r->texts, (std::vector<std::string>{"Guten Tag!", "Zwei"}));
  EXPECT_TRUE(r->texts_is_array);

  auto single = ParseTranslateRequest(ApiKind::kLegacy, "multipart/form-data; boundary=x", "",
                                      {{"q", "Hallo"}, {"alternatives", "1"}}, kLimits);
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_FALSE(single->texts_is_array);
  EXPECT_EQ(single->alternatives, 1);

  // curl -d '{...}' labels JSON as a form: it is read as JSON.
  auto curl = ParseTranslateRequest(ApiKind::kNative, "application/x-www-form-urlencoded",
                                    " {\"text\": \"x\"}", {}, kLimits);
  ASSERT_TRUE(curl.ok()) << curl.status().ToString();
  EXPECT_EQ(curl->texts, std::vector<std::string>{"x"});

  EXPECT_FALSE(ParseUrlEncodedForm("q=%zz").ok());
  EXPECT_FALSE(ParseUrlEncodedForm("q=%4").ok());
  EXPECT_TRUE(ParseUrlEncodedForm("q=%41&&").ok());
  auto bad_utf8 = ParseTranslateRequest(ApiKind::kLegacy, "application/x-www-form-urlencoded", "",
                                        {{"q", "\xc3"}}, kLimits);
  EXPECT_FALSE(bad_utf8.ok());
}

TEST(ApiTest, TextCharacterLimitWhenConfigured) {
  ApiLimits limits;
  limits.max_text_chars = 5;
  auto ok =
      ParseTranslateRequest(ApiKind::kLegacy, "application/json", R"({"text_de": "äöüßé"})", kNoForm, limits);
  EXPECT_TRUE(ok.ok());  // five characters, ten bytes
  auto too_long = ParseTranslateRequest(ApiKind::kLegacy, "application/json", R"({"text_de": "abcdef"})",
                                        kNoForm, limits);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("at most 5"), std::string::npos);
}

TEST(ApiTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("Grüße 😀"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_EQ(ErrorJson("kaputt \xff"), "{\"error\":\"kaputt \xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace dolmetsch::translator
