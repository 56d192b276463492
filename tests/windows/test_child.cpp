// A child program for the process runner's tests (tests/windows/process_runner_test.cpp).
//   test_child.exe echo ARGS...      prints each argument on its own line (as the child received it)
//   test_child.exe exit CODE         prints to stdout and stderr, exits with CODE (hex or decimal, 32 bits)
//   test_child.exe bulk LINES        LINES lines of 58 bytes to stdout and as many to stderr
//   test_child.exe hang              sleeps for an hour (a wpr that hangs)
//   test_child.exe spawn-hang        starts `hang` as its own child, then hangs too
//   test_child.exe crash             dereferences a null pointer (the suite's guard: a crash must fail)
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int wmain(int argc, wchar_t** argv) {
    if (argc < 2) return 2;
    const std::wstring mode = argv[1];
    if (mode == L"echo") {
        for (int i = 2; i < argc; ++i) std::printf("[%ls]\n", argv[i]);
        return 0;
    }
    if (mode == L"exit" && argc == 3) {
        const unsigned long code = std::wcstoul(argv[2], nullptr, 0);
        std::printf("to stdout\n");
        std::fprintf(stderr, "to stderr\n");
        std::fflush(nullptr);
        ::ExitProcess(static_cast<UINT>(code));
    }
    if (mode == L"bulk" && argc == 3) {
        const long lines = std::wcstol(argv[2], nullptr, 10);
        for (long i = 0; i < lines; ++i) {
            std::printf("out line %08ld ........................................\n", i);
            std::fprintf(stderr, "err line %08ld ........................................\n", i);
        }
        return 0;
    }
    if (mode == L"crash") {
        volatile int* p = nullptr;
        *p = 1;
        return 0;
    }
    if (mode == L"hang") {
        ::Sleep(3600 * 1000);
        return 0;
    }
    if (mode == L"spawn-hang") {
        wchar_t self[MAX_PATH];
        ::GetModuleFileNameW(nullptr, self, MAX_PATH);
        std::wstring line = std::wstring(L"\"") + self + L"\" hang";
        STARTUPINFOW si{};
        si.cb = sizeof si;
        PROCESS_INFORMATION pi{};
        if (!::CreateProcessW(self, line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &pi))
            return 3;
        ::Sleep(3600 * 1000);
        return 0;
    }
    return 2;
}
