import VitalsSupport
/// A growable byte queue: bytes are appended at the end and consumed from the front
/// without shifting on every consume. Used for socket input and output.
struct ByteBuffer {
    private var storage: [UInt8]
    private(set) var readIndex = 0
    private(set) var writeIndex = 0

    init(capacity: Int = 0) { storage = [UInt8](repeating: 0, count: capacity) }

    var readableCount: Int { writeIndex - readIndex }
    var isEmpty: Bool { readIndex == writeIndex }
    var capacity: Int { storage.count }

    /// Room for at least `n` more bytes at the end, moving unread bytes to the front first.
    mutating func reserveWritable(_ n: Int) {
        if storage.count - writeIndex >= n { return }
        if readIndex > 0 {
            let count = readableCount
            if count > 0 {
                storage.withUnsafeMutableBytes { p in
                    p.baseAddress!.advanced(by: 0).copyMemory(from: p.baseAddress!.advanced(by: readIndex), byteCount: count)
                }
            }
            readIndex = 0
            writeIndex = count
            if storage.count - writeIndex >= n { return }
        }
        var newCap = max(storage.count * 2, 4096)
        while newCap - writeIndex < n { newCap *= 2 }
        storage.append(contentsOf: repeatElement(0, count: newCap - storage.count))
    }

    /// Lets `body` fill the free tail (e.g. with read(2)); it returns how many bytes it wrote.
    mutating func writeWithUnsafeTail(minimum: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        reserveWritable(minimum)
        let start = writeIndex
        let n = storage.withUnsafeMutableBytes { p in
            body(UnsafeMutableRawBufferPointer(rebasing: p[start...]))
        }
        if n > 0 { writeIndex += n }
        return n
    }

    mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let n = bytes.count
        guard n > 0 else { return }
        reserveWritable(n)
        let start = writeIndex
        storage.withUnsafeMutableBufferPointer { p in
            _ = UnsafeMutableBufferPointer(rebasing: p[start..<(start + n)]).initialize(from: bytes)
        }
        writeIndex += n
    }

    mutating func append(_ raw: UnsafeRawBufferPointer) {
        guard raw.count > 0 else { return }
        reserveWritable(raw.count)
        let start = writeIndex
        storage.withUnsafeMutableBytes { p in
            p.baseAddress!.advanced(by: start).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
        }
        writeIndex += raw.count
    }

    mutating func append(_ string: String) {
        var s = string
        s.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    func withReadable<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        storage.withUnsafeBufferPointer { p in body(UnsafeBufferPointer(rebasing: p[readIndex..<writeIndex])) }
    }

    mutating func consume(_ n: Int) {
        readIndex += min(n, readableCount)
        if readIndex == writeIndex { readIndex = 0; writeIndex = 0 }
    }

    /// Gives memory back after a burst (a large upload or a slow client's backlog): an
    /// empty buffer larger than `limit` goes back to `keep` bytes (none: it is allocated
    /// again on the next append).
    mutating func shrinkIfIdle(above limit: Int, keep: Int = 4096) {
        if isEmpty && storage.count > limit { storage = [UInt8](repeating: 0, count: keep) }
    }
}
