// The small HTTP client the model fetcher needs: HEAD and ranged GET with redirects followed by hand.
//
// Why by hand: the hub answers resolve URLs with 302/307 to a CDN on another host (or with a relative
// Location for renamed repos), and the bearer token must reach the hub but never the CDN. HEAD follows
// same-origin redirects only and stops at the first cross-origin one (its headers carry the hub's
// X-Linked-Size / X-Linked-Etag, like huggingface_hub's get_hf_file_metadata); GET follows all of them.
// Transport failures become a Status: a connection that cannot be made (DNS, refused, timeout) is
// kUnavailable and says the machine seems offline; a connection lost mid-body is kIoError (retryable).
// Thread-safety: HttpClient is immutable after construction; each call opens its own connection, so
// concurrent calls are safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/url.h"
#include "util/status.h"

namespace dolmetsch::hub {

struct ResponseHead {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case; a repeated header keeps its last value
  // The header's value, or "" when absent. `name` in any case.
  std::string Header(std::string_view name) const;
};

struct HttpSettings {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds read_timeout{60000};  // longest silence while reading
  int max_redirects = 10;
  std::string bearer_token;              // empty: no Authorization header
  std::optional<Url> credential_origin;  // the only origin the token is sent to
  std::string user_agent = "dolmetsch-fetch-model/0.1";
  // Appended to "cannot connect" messages: what the user can do instead (set by the fetcher).
  std::string offline_hint;
};

// Receives the body of a successful (2xx) GET.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // Called once with the final 2xx response's status and headers; a non-ok Status aborts the transfer.
  virtual Status OnResponse(const ResponseHead& head) = 0;
  // Called for each chunk of the body; a non-ok Status aborts the transfer and is returned by Get.
  virtual Status OnData(const char* data, size_t size) = 0;
};

struct HeadResult {
  ResponseHead head;                // the last response seen (2xx, 4xx, or a cross-origin redirect)
  std::vector<ResponseHead> chain;  // every response, first to last (for headers only the hub sets)
  Url url;                          // the URL that gave `head`
  std::optional<Url> redirect_to;   // set when `head` is a redirect to another origin
};

class HttpClient {
 public:
  explicit HttpClient(HttpSettings settings);

  StatusOr<HeadResult> Head(const Url& url) const;

  // GET `url` asking for bytes from `offset` on (a Range header when offset > 0). Returns the final
  // response's head: for 2xx the body went to `sink`; for other statuses the body is discarded.
  StatusOr<ResponseHead> Get(const Url& url, uint64_t offset, BodySink& sink) const;

 private:
  const HttpSettings settings_;
};

bool IsRedirectStatus(int status);

}  // namespace dolmetsch::hub
