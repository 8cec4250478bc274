// The child process of pkg/process's Windows tests (process_win_test.cc):
// one small program whose first argument picks what it does, so that the
// tests need nothing of the host but themselves.
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void WriteAll(HANDLE h, const std::string& text) {
  DWORD n = 0;
  for (size_t done = 0; done < text.size(); done += n) {
    if (!WriteFile(h, text.data() + done, static_cast<DWORD>(text.size() - done), &n, nullptr)) {
      std::exit(4);
    }
  }
}

void Out(const std::string& text) {
  WriteAll(GetStdHandle(STD_OUTPUT_HANDLE), text);
}

std::string Narrow(const wchar_t* w) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, nullptr, 0, nullptr, nullptr);
  std::string s(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, w, -1, s.data(), n, nullptr, nullptr);
  s.resize(static_cast<size_t>(n - 1));
  return s;
}

// Starts this program again as "sleep 30000", inheriting our handles (so it
// holds our stdout too); writes its pid to `pid_file`.
void StartGrandchild(const char* pid_file) {
  wchar_t self[MAX_PATH];
  GetModuleFileNameW(nullptr, self, MAX_PATH);
  std::wstring line = L"\"" + std::wstring(self) + L"\" sleep 30000";
  STARTUPINFOW si{};
  si.cb = sizeof(si);
  PROCESS_INFORMATION pi{};
  if (!CreateProcessW(self, line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &pi)) {
    std::exit(5);
  }
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
  FILE* f = std::fopen(pid_file, "w");
  if (f == nullptr) std::exit(6);
  std::fprintf(f, "%lu", pi.dwProcessId);
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 100;
  const std::string mode = argv[1];
  if (mode == "exit" && argc == 3) return std::atoi(argv[2]);
  if (mode == "args") {  // each argument after "args" on a line of its own
    std::string text;
    for (int i = 2; i < argc; ++i) text += std::string(argv[i]) + "\n";
    Out(text);
    return 0;
  }
  if (mode == "env" && argc == 3) {  // the variable's value, or <unset>
    wchar_t value[4096];
    std::wstring name(argv[2], argv[2] + std::strlen(argv[2]));
    DWORD n = GetEnvironmentVariableW(name.c_str(), value, 4096);
    Out(n == 0 ? std::string("<unset>") : Narrow(value));
    return 0;
  }
  if (mode == "cwd") {
    wchar_t dir[MAX_PATH];
    GetCurrentDirectoryW(MAX_PATH, dir);
    Out(Narrow(dir));
    return 0;
  }
  if ((mode == "out" || mode == "err") && argc >= 3) {  // N bytes of 'x', then the rest
    std::string text(static_cast<size_t>(std::atol(argv[2])), 'x');
    if (argc == 4) text += argv[3];
    WriteAll(GetStdHandle(mode == "out" ? STD_OUTPUT_HANDLE : STD_ERROR_HANDLE), text);
    return 0;
  }
  if (mode == "cat") {  // stdin to stdout until EOF
    char buf[65536];
    DWORD n = 0;
    while (ReadFile(GetStdHandle(STD_INPUT_HANDLE), buf, sizeof(buf), &n, nullptr) && n > 0) {
      WriteAll(GetStdHandle(STD_OUTPUT_HANDLE), std::string(buf, n));
    }
    return 0;
  }
  if (mode == "yes") {  // writes until it is stopped
    const std::string line(4096, 'y');
    for (;;) WriteAll(GetStdHandle(STD_OUTPUT_HANDLE), line);
  }
  if (mode == "sleep" && argc == 3) {
    Sleep(static_cast<DWORD>(std::atol(argv[2])));
    return 0;
  }
  if (mode == "grandchild" && argc == 3) {  // starts one, says so, waits
    StartGrandchild(argv[2]);
    Out("started\n");
    WriteAll(GetStdHandle(STD_ERROR_HANDLE), "started\n");
    Sleep(30000);
    return 0;
  }
  if (mode == "grandchild-exit" && argc == 3) {  // starts one and exits at once
    StartGrandchild(argv[2]);
    return 0;
  }
  if (mode == "write-handle" && argc == 4) {  // writes to a handle given by value
    auto h = reinterpret_cast<HANDLE>(static_cast<uintptr_t>(std::strtoull(argv[2], nullptr, 10)));
    DWORD n = 0;
    return WriteFile(h, argv[3], static_cast<DWORD>(std::strlen(argv[3])), &n, nullptr) ? 0 : 3;
  }
  return 100;
}
