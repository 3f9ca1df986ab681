import VitalsSupport
import Glibc

public struct ProcReadError: Error, Sendable, Equatable {
    public var message: String
}

/// Reads small kernel files with open/read into one buffer kept for the sampler's lifetime,
/// so a tick costs a few syscalls and no heap traffic. Not thread-safe: one per sampler.
final class ProcFileReader {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Guards against a runaway file (or a FIFO planted in a fixture) eating memory.
    private let maxCapacity = 16 << 20

    init(initialCapacity: Int = 64 << 10) {
        capacity = max(initialCapacity, 256)
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    /// Reads the whole file at `path` and hands its bytes to `parse` (valid only inside it).
    /// A nil from `parse` becomes a "cannot parse" error.
    func read<R>(_ path: String, _ parse: (UnsafeBufferPointer<UInt8>) -> R?) -> Result<R, ProcReadError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return .failure(ProcReadError(message: "cannot open \(path): \(Self.describe(errno))")) }
        defer { close(fd) }
        var count = 0
        while true {
            if count == capacity {
                guard capacity < maxCapacity else {
                    return .failure(ProcReadError(message: "\(path) is larger than \(maxCapacity) bytes"))
                }
                grow()
            }
            let n = Glibc.read(fd, storage + count, capacity - count)
            if n > 0 { count += n; continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            return .failure(ProcReadError(message: "cannot read \(path): \(Self.describe(errno))"))
        }
        guard let value = parse(UnsafeBufferPointer(start: storage, count: count)) else {
            return .failure(ProcReadError(message: "cannot parse \(path)"))
        }
        return .success(value)
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
