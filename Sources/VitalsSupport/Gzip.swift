import CZlib
import Glibc

/// gzip (RFC 1952) through the system's zlib, for answers compressed once and served many
/// times (`/metrics` to a Prometheus, which always sends `Accept-Encoding: gzip`).
///
/// libz is loaded with dlopen on the first use, not linked: a daemon no one asks for gzip
/// maps none of it (idle RSS is a target), and one without libz answers uncompressed.
public enum Gzip {
    /// Whether libz could be loaded (tests).
    public static var isAvailable: Bool { Zlib.shared != nil }

    /// The gzip member of `bytes` (no name, no time: the output depends on the bytes alone),
    /// or nil if zlib is missing or fails. `level` 1 is the fastest; 6 is zlib's default.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8]? {
        guard let z = Zlib.shared else { return nil }
        var stream = z_stream()
        // 15 window bits + 16: a gzip header and trailer instead of zlib's.
        guard z.deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                             z.version(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { _ = z.deflateEnd(&stream) }
        let bound = Int(z.deflateBound(&stream, uLong(bytes.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let produced: Int? = bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = output.baseAddress
                stream.avail_out = uInt(output.count)
                guard z.deflate(&stream, Z_FINISH) == Z_STREAM_END else { return nil }
                return output.count - Int(stream.avail_out)
            }
        }
        guard let produced else { return nil }
        out.removeLast(out.count - produced)
        return out
    }

    /// The bytes of a gzip member, or nil if it is not one, inflates past `limit`, or zlib
    /// is missing.
    public static func decompress(_ bytes: [UInt8], limit: Int = 64 << 20) -> [UInt8]? {
        guard let z = Zlib.shared else { return nil }
        var stream = z_stream()
        guard z.inflateInit2(&stream, 15 + 16, z.version(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { _ = z.inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        return bytes.withUnsafeBufferPointer { input -> [UInt8]? in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                let (rc, n): (Int32, Int) = chunk.withUnsafeMutableBufferPointer { c in
                    stream.next_out = c.baseAddress
                    stream.avail_out = uInt(c.count)
                    let rc = z.inflate(&stream, Z_NO_FLUSH)
                    return (rc, c.count - Int(stream.avail_out))
                }
                out.append(contentsOf: chunk[0..<n])
                if out.count > limit { return nil }
                if rc == Z_STREAM_END { return out }
                guard rc == Z_OK, n > 0 || stream.avail_in > 0 else { return nil }
            }
        }
    }
}

/// The zlib functions Gzip uses, bound once from libz.so.1 (never unloaded).
private struct Zlib: @unchecked Sendable {
    // @unchecked: C function pointers, immutable after the one load.
    typealias Stream = UnsafeMutablePointer<z_stream>
    let version: @convention(c) () -> UnsafePointer<CChar>?
    let deflateInit2: @convention(c) (Stream?, Int32, Int32, Int32, Int32, Int32, UnsafePointer<CChar>?, Int32) -> Int32
    let deflateBound: @convention(c) (Stream?, uLong) -> uLong
    let deflate: @convention(c) (Stream?, Int32) -> Int32
    let deflateEnd: @convention(c) (Stream?) -> Int32
    let inflateInit2: @convention(c) (Stream?, Int32, UnsafePointer<CChar>?, Int32) -> Int32
    let inflate: @convention(c) (Stream?, Int32) -> Int32
    let inflateEnd: @convention(c) (Stream?) -> Int32

    static let shared: Zlib? = {
        guard let h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL) else { return nil }
        func sym<T>(_ name: String, _: T.Type) -> T? { dlsym(h, name).map { unsafeBitCast($0, to: T.self) } }
        guard let version = sym("zlibVersion", (@convention(c) () -> UnsafePointer<CChar>?).self),
              let deflateInit2 = sym("deflateInit2_", (@convention(c) (Stream?, Int32, Int32, Int32, Int32, Int32, UnsafePointer<CChar>?, Int32) -> Int32).self),
              let deflateBound = sym("deflateBound", (@convention(c) (Stream?, uLong) -> uLong).self),
              let deflate = sym("deflate", (@convention(c) (Stream?, Int32) -> Int32).self),
              let deflateEnd = sym("deflateEnd", (@convention(c) (Stream?) -> Int32).self),
              let inflateInit2 = sym("inflateInit2_", (@convention(c) (Stream?, Int32, UnsafePointer<CChar>?, Int32) -> Int32).self),
              let inflate = sym("inflate", (@convention(c) (Stream?, Int32) -> Int32).self),
              let inflateEnd = sym("inflateEnd", (@convention(c) (Stream?) -> Int32).self)
        else { dlclose(h); return nil }
        return Zlib(version: version, deflateInit2: deflateInit2, deflateBound: deflateBound, deflate: deflate,
                    deflateEnd: deflateEnd, inflateInit2: inflateInit2, inflate: inflate, inflateEnd: inflateEnd)
    }()
}
