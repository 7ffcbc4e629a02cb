// Request and Response: one HTTP/1.1 exchange as the handlers see it (http/server.h runs them).
//
// Header names compare case-insensitively; values are kept as sent. A Request is complete when a handler
// sees it: the body was read in full and checked against the server's limits. A Response is plain data
// that the handler fills; the server adds Content-Length (or chunked coding for streams), Date-less
// framing headers, Connection and X-Request-Id when it sends it.
// Thread-safety: plain values; an Exchange (server.h) hands them to one thread at a time.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dolmetsch::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // as sent, e.g. "/history?q=x"
  std::string path;    // target up to '?'
  std::string query;   // after '?' (without it), still percent-encoded
  int version = 11;    // 10 or 11
  Headers headers;
  std::string body;
  std::vector<std::string> params;  // the router's captures (regex groups of the matched route)
  std::string remote_addr;
  int remote_port = 0;
  std::string local_addr;
  int local_port = 0;
  std::string request_id;  // X-Request-Id as sent (when well-formed) or generated

  // The first header of that name, "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  bool close = false;  // close the connection after this response (also set by "Connection: close")

  // Replaces every header of that name.
  void Set(std::string_view name, std::string value);
  // Adds one more header of that name (Set-Cookie).
  void Add(std::string_view name, std::string value);
  std::string Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  void Remove(std::string_view name);
  void SetContent(std::string content, std::string content_type);
};

// The reason phrase of a status code ("Not Found"); "Unknown" for codes without one.
std::string_view ReasonPhrase(int status);

// A request id as sent by a client is used when it is 1..128 characters of [A-Za-z0-9._:-]; otherwise a
// new one is generated (16 hex digits, unique in the process, random across processes).
bool IsUsableRequestId(std::string_view id);
std::string NewRequestId();

}  // namespace dolmetsch::http
