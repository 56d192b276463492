/* A small kernel-style driver for the symbol tests (tests/unit/symbols): static C functions, an
   exported function and DriverEntry. Built with clang-cl-14 + lld-link-14 /driver by the tests. */
typedef unsigned long ULONG;
typedef long NTSTATUS;
ULONG __cdecl DbgPrint(const char* format, ...);
int CppEntryHelper(int x);

static volatile int g_Counter;
static int g_Table[64];

static __declspec(noinline) int StaticHelperMix(int a, int b) {
    int r = a;
    for (int i = 0; i < b; ++i) r = (r * 31) ^ g_Table[(i + a) & 63];
    g_Counter += r;
    return r;
}

static __declspec(noinline) int StaticHelperAdd(int a, int b) {
    int s = 0;
    for (int i = 0; i < a; ++i) s += StaticHelperMix(i, b) + g_Table[i & 63];
    return s + CppEntryHelper(b);
}

__declspec(noinline) int PublicCompute(int x) {
    return StaticHelperAdd(x, x + 1) * 3;
}

static __declspec(noinline) void DriverUnload(void* driver) {
    DbgPrint("unload %p\n", driver);
    g_Counter = 0;
}

NTSTATUS DriverEntry(void* driver, void* registry) {
    g_Table[1] = PublicCompute((int)(long long)registry);
    DbgPrint("loaded %d\n", g_Table[1]);
    if (g_Counter == 12345) DriverUnload(driver);
    return 0;
}
