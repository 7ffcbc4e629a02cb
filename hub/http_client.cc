#include "hub/http_client.h"

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>

namespace dolmetsch::hub {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

ResponseHead ToHead(const httplib::Response& response) {
  ResponseHead head;
  head.status = response.status;
  for (const auto& [name, value] : response.headers) head.headers[Lower(name)] = value;
  return head;
}

// Why a connection could not be made: distinguishes a failed name lookup from a refused/timed-out connect.
std::string DescribeConnectFailure(const Url& url) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &result);
  if (result != nullptr) freeaddrinfo(result);
  if (rc != 0) return "cannot resolve the host name '" + url.host + "' (" + gai_strerror(rc) + ")";
  return "cannot connect to " + url.host + ":" + std::to_string(url.port) + " (refused or timed out)";
}

Status TransportError(httplib::Error error, const Url& url, const HttpSettings& settings) {
  using httplib::Error;
  switch (error) {
    case Error::Connection:
    case Error::ConnectionTimeout:
    case Error::BindIPAddress: {
      std::string message = DescribeConnectFailure(url) + ": this machine seems to be offline";
      if (!settings.offline_hint.empty()) message += ". " + settings.offline_hint;
      return Status::Unavailable(message);
    }
    case Error::SSLConnection:
    case Error::SSLLoadingCerts:
    case Error::SSLServerVerification:
      return Status::Unavailable("TLS connection to " + url.host + " failed (" + httplib::to_string(error) +
                                 "); check the system's CA certificates (package ca-certificates)");
    case Error::Read:
    case Error::Write:
      return Status::IoError("connection to " + url.host + " was lost (" + httplib::to_string(error) + ")");
    case Error::Canceled:
      return Status::Cancelled("request to " + url.ToString() + " was cancelled");
    default:
      return Status::IoError("request to " + url.ToString() + " failed: " + httplib::to_string(error));
  }
}

std::unique_ptr<httplib::Client> MakeClient(const Url& url, const HttpSettings& settings) {
  auto client = std::make_unique<httplib::Client>(url.Origin());
  auto connect = std::chrono::duration_cast<std::chrono::microseconds>(settings.connect_timeout).count();
  auto read = std::chrono::duration_cast<std::chrono::microseconds>(settings.read_timeout).count();
  client->set_connection_timeout(connect / 1000000, connect % 1000000);
  client->set_read_timeout(read / 1000000, read % 1000000);
  client->set_write_timeout(read / 1000000, read % 1000000);
  client->set_follow_location(false);  // we follow redirects ourselves (auth and cross-host rules)
  client->set_url_encode(false);       // targets are already percent-encoded; signed CDN URLs must not change
  client->set_decompress(false);       // we ask for identity; bytes on disk must be the bytes hashed
  client->set_keep_alive(false);
  return client;
}

httplib::Headers RequestHeaders(const Url& url, const HttpSettings& settings) {
  httplib::Headers headers{{"User-Agent", settings.user_agent}, {"Accept-Encoding", "identity"}};
  if (!settings.bearer_token.empty() && settings.credential_origin &&
      url.SameOrigin(*settings.credential_origin)) {
    headers.emplace("Authorization", "Bearer " + settings.bearer_token);
  }
  return headers;
}

StatusOr<Url> NextHop(const Url& url, const ResponseHead& head) {
  std::string location = head.Header("location");
  if (location.empty()) {
    return Status::IoError(url.ToString() + " answered " + std::to_string(head.status) +
                           " without a Location");
  }
  return ResolveLocation(url, location);
}

Status TooManyRedirects(const Url& start, int limit) {
  return Status::IoError("more than " + std::to_string(limit) + " redirects starting at " + start.ToString());
}

}  // namespace

std::string ResponseHead::Header(std::string_view name) const {
  auto it = headers.find(Lower(name));
  return it == headers.end() ? std::string() : it->second;
}

bool IsRedirectStatus(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

HttpClient::HttpClient(HttpSettings settings) : settings_(std::move(settings)) {}

StatusOr<HeadResult> HttpClient::Head(const Url& start) const {
  HeadResult result;
  Url url = start;
  for (int hop = 0;; ++hop) {
    auto client = MakeClient(url, settings_);
    httplib::Result response = client->Head(url.target, RequestHeaders(url, settings_));
    if (!response) return TransportError(response.error(), url, settings_);
    ResponseHead head = ToHead(*response);
    result.chain.push_back(head);
    result.head = head;
    result.url = url;
    if (!IsRedirectStatus(head.status)) return result;
    DOLMETSCH_ASSIGN_OR_RETURN(Url next, NextHop(url, head));
    if (!next.SameOrigin(url)) {
      result.redirect_to = next;
      return result;
    }
    if (hop + 1 > settings_.max_redirects) return TooManyRedirects(start, settings_.max_redirects);
    url = next;
  }
}

StatusOr<ResponseHead> HttpClient::Get(const Url& start, uint64_t offset, BodySink& sink) const {
  Url url = start;
  for (int hop = 0;; ++hop) {
    auto client = MakeClient(url, settings_);
    httplib::Headers headers = RequestHeaders(url, settings_);
    if (offset > 0) headers.emplace("Range", "bytes=" + std::to_string(offset) + "-");
    ResponseHead head;
    bool deliver = false;
    Status sink_status;
    httplib::Result response = client->Get(
        url.target, headers,
        [&](const httplib::Response& r) {
          head = ToHead(r);
          deliver = head.status >= 200 && head.status < 300;
          if (deliver) sink_status = sink.OnResponse(head);
          return sink_status.ok();
        },
        [&](const char* data, size_t size) {
          if (!deliver) return true;  // body of an error or redirect: read and drop
          sink_status = sink.OnData(data, size);
          return sink_status.ok();
        });
    if (!sink_status.ok()) return sink_status;
    if (!response) return TransportError(response.error(), url, settings_);
    head = ToHead(*response);
    if (!IsRedirectStatus(head.status)) return head;
    if (hop + 1 > settings_.max_redirects) return TooManyRedirects(start, settings_.max_redirects);
    DOLMETSCH_ASSIGN_OR_RETURN(url, NextHop(url, head));
  }
}

}  // namespace dolmetsch::hub
