#include "hub/url.h"

#include <gtest/gtest.h>

namespace dolmetsch::hub {
namespace {

TEST(ParseUrl, SplitsSchemeHostPortTarget) {
  auto url = ParseUrl("https://HuggingFace.co/Helsinki-NLP/opus-mt-de-en/resolve/main/config.json?x=1#frag");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "huggingface.co");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/Helsinki-NLP/opus-mt-de-en/resolve/main/config.json?x=1");
  EXPECT_EQ(url->Origin(), "https://huggingface.co");
}

TEST(ParseUrl, ExplicitPortAndEmptyPath) {
  auto url = ParseUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(url->Origin(), "http://127.0.0.1:8080");
  auto query_only = ParseUrl("http://h?q=1");
  ASSERT_TRUE(query_only.ok());
  EXPECT_EQ(query_only->target, "/?q=1");
}

TEST(ParseUrl, RejectsMalformed) {
  for (const char* bad : {"", "huggingface.co", "ftp://host/x", "http://", "http:///path", "http://host:0/",
                          "http://host:99999/", "http://host:12ab/", "http://user@host/", "http://[::1]/",
                          "http://ho st/", "http://host/a b", "http://host/\n", "http://ho$t/"}) {
    auto url = ParseUrl(bad);
    EXPECT_FALSE(url.ok()) << bad;
    if (!url.ok()) {
      EXPECT_EQ(url.status().code(), Status::Code::kInvalidArgument) << bad;
    }
  }
}

TEST(ResolveLocation, HandlesAbsoluteRelativeAndSchemeRelative) {
  Url base = ParseUrl("https://huggingface.co/org/model/resolve/main/model.safetensors").value();
  EXPECT_EQ(ResolveLocation(base, "https://cdn-lfs.hf.co/repos/ab/cd?X-Amz=1").value().ToString(),
            "https://cdn-lfs.hf.co/repos/ab/cd?X-Amz=1");
  EXPECT_EQ(ResolveLocation(base, "//cdn.example/x").value().ToString(), "https://cdn.example/x");
  EXPECT_EQ(ResolveLocation(base, "/api/resolve-cache/models/org/model/abc/config.json").value().ToString(),
            "https://huggingface.co/api/resolve-cache/models/org/model/abc/config.json");
  EXPECT_EQ(ResolveLocation(base, "other.bin").value().ToString(),
            "https://huggingface.co/org/model/resolve/main/other.bin");
  EXPECT_EQ(ResolveLocation(base, "../../x/y").value().ToString(), "https://huggingface.co/org/model/x/y");
  EXPECT_EQ(ResolveLocation(base, "?download=true").value().ToString(),
            "https://huggingface.co/org/model/resolve/main/model.safetensors?download=true");
  EXPECT_EQ(ResolveLocation(base, "/a/./b/../c?q=/..").value().target, "/a/c?q=/..");
}

TEST(ResolveLocation, RejectsMalformed) {
  Url base = ParseUrl("http://h/x").value();
  EXPECT_FALSE(ResolveLocation(base, "").ok());
  EXPECT_FALSE(ResolveLocation(base, "/a b").ok());
  EXPECT_FALSE(ResolveLocation(base, "gopher://h/x").ok());
  EXPECT_FALSE(ResolveLocation(base, "//").ok());
}

TEST(Url, SameOriginComparesSchemeHostPort) {
  Url a = ParseUrl("https://huggingface.co/x").value();
  EXPECT_TRUE(a.SameOrigin(ParseUrl("https://huggingface.co:443/y").value()));
  EXPECT_FALSE(a.SameOrigin(ParseUrl("http://huggingface.co/y").value()));
  EXPECT_FALSE(a.SameOrigin(ParseUrl("https://cdn-lfs.huggingface.co/y").value()));
  EXPECT_FALSE(a.SameOrigin(ParseUrl("https://huggingface.co:8443/y").value()));
}

}  // namespace
}  // namespace dolmetsch::hub
