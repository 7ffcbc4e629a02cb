// ChildProcess: the `dolmetsch` binary (or any program) started by an integration test, with its output in
// a log file the test reads (the port it listens on, its logs), stopped the way Kubernetes stops it
// (SIGTERM, then SIGKILL after a limit) or killed like a crash. Also FreePort and ReadFile.
// Thread-safety: one ChildProcess is used by one thread.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace dolmetsch::testing {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A loopback port free right now (another process may take it before the test does: rare enough here).
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// How to start a child: ChildOptions("x.log").StdoutToNull().Env({"A=1"}) ...
struct ChildOptions {
  explicit ChildOptions(std::string log) : log_path(std::move(log)) {}
  ChildOptions& StdoutToNull() {
    stdout_to_null = true;
    return *this;
  }
  ChildOptions& Cwd(std::string dir) {
    cwd = std::move(dir);
    return *this;
  }
  ChildOptions& Env(std::vector<std::string> entries) {
    env = std::move(entries);
    return *this;
  }
  ChildOptions& DropDolmetschEnv() {
    drop_dolmetsch_env = true;
    return *this;
  }
  ChildOptions& RemoveLogAtExit() {
    remove_log_at_exit = true;
    return *this;
  }

  std::string log_path;  // stderr goes here (and stdout unless stdout_to_null)
  bool stdout_to_null = false;
  std::string cwd;                  // empty: the test's
  std::vector<std::string> env;     // "NAME=value", added to the inherited environment
  bool drop_dolmetsch_env = false;  // leave out the inherited DOLMETSCH_* variables
  bool remove_log_at_exit = false;  // the destructor deletes log_path
};

class ChildProcess {
 public:
  // args[0] is the program's path.
  ChildProcess(std::vector<std::string> args, ChildOptions options) : options_(std::move(options)) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry = *e;
      if (!options_.drop_dolmetsch_env || entry.rfind("DOLMETSCH_", 0) != 0) env.push_back(entry);
    }
    for (auto& e : options_.env) env.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, options_.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    if (options_.stdout_to_null) {
      posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    } else {
      posix_spawn_file_actions_adddup2(&actions, 2, 1);
    }
    if (!options_.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options_.cwd.c_str());
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    Kill();
    if (options_.remove_log_at_exit) std::remove(options_.log_path.c_str());
  }

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string Log() const { return ReadFile(options_.log_path); }
  void Signal(int sig) {
    if (Running()) ::kill(pid_, sig);
  }

  // True while the process has not ended (reaps it when it has).
  bool Running() {
    if (pid_ <= 0 || exit_code_ != kRunning) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    return true;
  }
  // Waits for the process to end by itself: its exit code (128 + signal when a signal ended it), -2 when
  // it still runs after `limit`, -1 when it never started.
  int WaitExit(std::chrono::milliseconds limit) {
    if (pid_ <= 0) return -1;
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (Running()) {
      if (std::chrono::steady_clock::now() >= deadline) return -2;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return exit_code_;
  }
  // SIGTERM, then SIGKILL when it still runs after `limit` (then -1); else its exit code.
  int Stop(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    Signal(SIGTERM);
    int code = WaitExit(limit);
    if (code == -2) {
      Kill();
      return -1;
    }
    return code;
  }
  // SIGKILL (a crash: no shutdown code runs), then reaps it.
  void Kill() {
    if (!Running()) return;
    ::kill(pid_, SIGKILL);
    WaitExit(std::chrono::seconds(10));
  }
  // The port from the server's `"event":"listening"` log line; 0 when none came within `limit` or the
  // process ended.
  int WaitListeningPort(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    static const std::regex port_re(
        "\"event\":\"listening\".*\"port\":([0-9]+)|\"port\":([0-9]+).*\"event\":\"listening\"");
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      std::string log = Log();
      if (std::regex_search(log, m, port_re)) return std::stoi(m[1].matched ? m[1].str() : m[2].str());
      if (!Running()) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
  }

 private:
  static constexpr int kRunning = -100;
  ChildOptions options_;
  pid_t pid_ = -1;
  int exit_code_ = kRunning;
};

}  // namespace dolmetsch::testing
