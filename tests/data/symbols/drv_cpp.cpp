// C++ functions of the symbol-test driver: a class, templates, an anonymous namespace.
namespace pdbtest {

class Widget {
public:
    explicit Widget(int seed) : seed_(seed) {}
    __declspec(noinline) int Spin(int n) const {
        int r = seed_;
        for (int i = 0; i < n; ++i) r = r * 7 + i;
        return r;
    }
    static __declspec(noinline) int Twice(int v) { return v * 2 + 1; }

private:
    int seed_;
};

template <class T>
__declspec(noinline) T TemplAdd(T a, T b) {
    T r = a;
    for (T i = 0; i < b; ++i) r += i * a;
    return r;
}

namespace {
__declspec(noinline) int AnonNsHelper(int v) {
    Widget w(v);
    return w.Spin(v & 15) + Widget::Twice(v);
}
}  // namespace

}  // namespace pdbtest

extern "C" int CppEntryHelper(int x) {
    return pdbtest::AnonNsHelper(x) + pdbtest::TemplAdd<int>(x, 3) + static_cast<int>(pdbtest::TemplAdd<long long>(x, 5));
}
