import VitalsSupport
import Glibc
import CLinux

public struct ProcReadError: Error, Sendable, Equatable {
    public var message: String
}

/// Reads small kernel files into one buffer kept for the sampler's lifetime, so a tick
/// costs a few syscalls and no heap traffic. Files on procfs stay open and are read again
/// from offset 0 (the kernel regenerates a /proc file for a read at 0, as netdata relies
/// on): opening and closing them was about half the kernel's cost of reading them.
/// Anything else (fixture trees, which tests replace between ticks) is opened per read.
/// Not thread-safe: one per sampler.
final class ProcFileReader {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Guards against a runaway file (or a FIFO planted in a fixture) eating memory.
    private let maxCapacity = 16 << 20
    /// procfs files kept open, by path; bounded so a caller reading many paths (per-process
    /// files, say) cannot pile up descriptors.
    private var kept: [String: Int32] = [:]
    private let maxKept: Int

    init(initialCapacity: Int = 64 << 10, maxKept: Int = 16) {
        capacity = max(initialCapacity, 256)
        storage = .allocate(capacity: capacity)
        self.maxKept = maxKept
    }

    deinit {
        for fd in kept.values { close(fd) }
        storage.deallocate()
    }

    /// How many files are held open now (tests).
    var keptCount: Int { kept.count }

    /// Reads the whole file at `path` and hands its bytes to `parse` (valid only inside it).
    /// A nil from `parse` becomes a "cannot parse" error.
    func read<R>(_ path: String, _ parse: (UnsafeBufferPointer<UInt8>) -> R?) -> Result<R, ProcReadError> {
        let count: Int
        if let fd = kept[path] {
            switch readAll(fd, positional: true) {
            case .success(let n):
                count = n
            case .failure:
                // Gone or broken (a process exited, a device went): forget it, open anew.
                kept[path] = nil
                close(fd)
                return readOpening(path, parse)
            }
        } else {
            return readOpening(path, parse)
        }
        return parsed(path, count, parse)
    }

    private func readOpening<R>(_ path: String, _ parse: (UnsafeBufferPointer<UInt8>) -> R?) -> Result<R, ProcReadError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return .failure(ProcReadError(message: "cannot open \(path): \(Self.describe(errno))")) }
        let keep = kept.count < maxKept && Self.isProcfs(fd)
        defer { if keep { kept[path] = fd } else { close(fd) } }
        switch readAll(fd, positional: false) {
        case .success(let n): return parsed(path, n, parse)
        case .failure(.tooLarge): return .failure(ProcReadError(message: "\(path) is larger than \(maxCapacity) bytes"))
        case .failure(.system(let code)): return .failure(ProcReadError(message: "cannot read \(path): \(Self.describe(code))"))
        }
    }

    private func parsed<R>(_ path: String, _ count: Int, _ parse: (UnsafeBufferPointer<UInt8>) -> R?) -> Result<R, ProcReadError> {
        guard let value = parse(UnsafeBufferPointer(start: storage, count: count)) else {
            return .failure(ProcReadError(message: "cannot parse \(path)"))
        }
        return .success(value)
    }

    private enum ReadFailure: Error { case tooLarge, system(Int32) }

    /// The whole file from offset 0 into `storage`; returns its length. A fresh descriptor
    /// is read as a stream (it may be a pipe planted in a fixture); a kept one with pread.
    private func readAll(_ fd: Int32, positional: Bool) -> Result<Int, ReadFailure> {
        var count = 0
        while true {
            if count == capacity {
                guard capacity < maxCapacity else { return .failure(.tooLarge) }
                grow()
            }
            let n = positional ? pread(fd, storage + count, capacity - count, off_t(count))
                               : Glibc.read(fd, storage + count, capacity - count)
            if n > 0 { count += n; continue }
            if n == 0 { return .success(count) }
            if errno == EINTR { continue }
            return .failure(.system(errno))
        }
    }

    private static func isProcfs(_ fd: Int32) -> Bool {
        var s = statfs()
        return fstatfs(fd, &s) == 0 && s.f_type == 0x9fa0  // PROC_SUPER_MAGIC
    }

    /// Whole file as text, for the rarely read ones (mounts, cpuinfo, hostname).
    func readString(_ path: String) -> Result<String, ProcReadError> {
        read(path) { String(decoding: $0, as: UTF8.self) }
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
        bigger.update(from: storage, count: capacity)
        storage.deallocate()
        storage = bigger
        capacity *= 2
    }

    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

/// True when something exists at `path` (used for the /sys membership checks).
func pathExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
}
