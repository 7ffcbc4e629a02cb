// MiniHttp: a small blocking HTTP/1.1 client over POSIX sockets, header-only, for the integration tests and
// the load tool (bench/load_bench.cc). It sends one request per connection ("Connection: close"), reads the
// answer to EOF and undoes chunked transfer coding. It also lets tests send raw bytes (garbage, truncated or
// slow requests). Not a general client: no TLS, no redirects, no keep-alive.
// Thread-safety: free functions; each call uses its own socket.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <string>

namespace dolmetsch::translator::mini_http {

struct Response {
  int status = 0;                              // 0: no valid answer (see error)
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string error;
};

// Connects to 127.0.0.1:port; returns -1 on failure.
inline int Connect(int port, int timeout_ms = 5000) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads until EOF, timeout or error.
inline std::string ReadAll(int fd) {
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Parses a complete HTTP/1.1 answer (status line, headers, body with Content-Length, chunked or to EOF).
inline Response Parse(const std::string& raw) {
  Response r;
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) {
    r.error = raw.empty() ? "no answer" : "malformed answer";
    return r;
  }
  r.status = std::atoi(raw.c_str() + 9);
  size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    size_t eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    pos = eol + 2;
  }
  std::string body = raw.substr(head_end + 4);
  auto te = r.headers.find("transfer-encoding");
  if (te != r.headers.end() && te->second.find("chunked") != std::string::npos) {
    std::string decoded;
    size_t p = 0;
    for (;;) {
      size_t eol = body.find("\r\n", p);
      if (eol == std::string::npos) {
        r.error = "truncated chunked body";
        break;
      }
      size_t len = std::strtoul(body.substr(p, eol - p).c_str(), nullptr, 16);
      if (len == 0) break;
      if (eol + 2 + len > body.size()) {
        r.error = "truncated chunk";
        decoded += body.substr(eol + 2);
        break;
      }
      decoded += body.substr(eol + 2, len);
      p = eol + 2 + len + 2;
    }
    r.body = decoded;
  } else {
    r.body = body;
    auto cl = r.headers.find("content-length");
    if (cl != r.headers.end() && std::strtoull(cl->second.c_str(), nullptr, 10) != body.size()) {
      r.error = "body shorter than Content-Length";
    }
  }
  return r;
}

// One request on a fresh connection. `extra_headers` are full lines without CRLF ("X-A: b").
inline Response Request(int port, const std::string& method, const std::string& path,
                        const std::string& body = "", const std::string& content_type = "application/json",
                        const std::string& extra_headers = "", int timeout_ms = 60000) {
  int fd = Connect(port, timeout_ms);
  if (fd < 0) {
    Response r;
    r.error = "connection refused";
    return r;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST") {
    req += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  if (!extra_headers.empty()) req += extra_headers + "\r\n";
  req += "\r\n" + body;
  Response r;
  if (!SendAll(fd, req)) {
    r.error = "send failed";
  } else {
    r = Parse(ReadAll(fd));
  }
  ::close(fd);
  return r;
}

}  // namespace dolmetsch::translator::mini_http
