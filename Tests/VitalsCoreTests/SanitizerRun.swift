import Glibc

/// Whether this test process runs under ThreadSanitizer (`make tsan`): its runtime is
/// linked in, so its entry point resolves. TSan slows code 5-15x, so the few tests that
/// assert a wall-clock bound skip there; they still run in `make test`.
enum SanitizerRun {
    static let thread: Bool = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_init") != nil
    static let timingReason = "asserts a wall-clock bound that ThreadSanitizer's slowdown breaks; runs in make test"
}
