import VitalsSupport
// RFC 6455 section 5 frame layout, and the encoder for server frames. Server frames
// are never masked (5.1), so one encoded frame can be written to every client.

public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// A protocol violation found while reading frames, with the close code to send.
public struct WebSocketProtocolError: Error, Equatable, Sendable {
    public let closeCode: UInt16
    public let message: String

    public init(closeCode: UInt16, message: String) {
        self.closeCode = closeCode
        self.message = message
    }
}

public enum WebSocketFrame {
    /// Largest payload a control frame may carry (5.5).
    public static let maxControlPayload = 125

    /// Header size for a server (unmasked) frame with this payload length.
    public static func headerLength(payloadLength: Int) -> Int {
        payloadLength <= 125 ? 2 : (payloadLength <= 0xFFFF ? 4 : 10)
    }

    /// Appends an unmasked frame header, using the shortest length form (5.2).
    public static func appendHeader(opcode: WebSocketOpcode, payloadLength: Int, fin: Bool = true, to out: inout [UInt8]) {
        let length = UInt64(max(0, payloadLength))
        out.append((fin ? 0x80 : 0) | opcode.rawValue)
        if length <= 125 {
            out.append(UInt8(length))
        } else if length <= 0xFFFF {
            out.append(126)
            out.append(UInt8(truncatingIfNeeded: length >> 8))
            out.append(UInt8(truncatingIfNeeded: length))
        } else {
            out.append(127)
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: length >> UInt64(shift)))
            }
        }
    }

    /// Header bytes alone, for a transport that writes header and payload separately
    /// (writev) so a large shared payload is never copied.
    public static func header(opcode: WebSocketOpcode, payloadLength: Int, fin: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerLength(payloadLength: payloadLength))
        appendHeader(opcode: opcode, payloadLength: payloadLength, fin: fin, to: &out)
        return out
    }

    /// Appends a complete unmasked frame.
    public static func append(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, fin: Bool = true, to out: inout [UInt8]) {
        appendHeader(opcode: opcode, payloadLength: payload.count, fin: fin, to: &out)
        if let base = payload.baseAddress, payload.count > 0 {
            out.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: payload.count))
        }
    }

    /// A complete unmasked frame in one allocation.
    public static func encode(opcode: WebSocketOpcode, payload: [UInt8], fin: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerLength(payloadLength: payload.count) + payload.count)
        payload.withUnsafeBytes { append(opcode: opcode, payload: $0, fin: fin, to: &out) }
        return out
    }

    /// The fan-out fast path: one text frame built once from an encoded snapshot,
    /// then the same bytes are sent to every subscriber.
    public static func encodeText(_ utf8: [UInt8]) -> [UInt8] {
        encode(opcode: .text, payload: utf8)
    }

    /// Close frame payload: the code (big-endian) and a reason cut to fit in 125
    /// bytes without splitting a UTF-8 sequence.
    public static func closePayload(code: UInt16, reason: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        var reasonBytes = Array(reason.utf8)
        if reasonBytes.count > maxControlPayload - 2 {
            var end = maxControlPayload - 2
            // Back up over continuation bytes to the start of the cut sequence.
            while end > 0 && reasonBytes[end] & 0xC0 == 0x80 { end -= 1 }
            reasonBytes = Array(reasonBytes[..<end])
        }
        out.append(contentsOf: reasonBytes)
        return out
    }

    /// XORs `buffer` with the 4-byte masking key (5.3). `key` holds the key bytes in
    /// wire order from the lowest byte up; `phase` is the payload offset of
    /// `buffer[0]` modulo 4. Works 8 bytes at a time.
    public static func unmask(_ buffer: UnsafeMutableRawBufferPointer, key: UInt32, phase: Int) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let shift = UInt32((phase & 3) * 8)
        let rotated = shift == 0 ? key : (key >> shift) | (key << (32 - shift))
        let mask64 = UInt64(rotated) | UInt64(rotated) << 32
        let count = buffer.count
        var i = 0
        while i + 8 <= count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            base.storeBytes(of: (word ^ mask64).littleEndian, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        var m = rotated
        while i < count {
            let b = base.load(fromByteOffset: i, as: UInt8.self)
            base.storeBytes(of: b ^ UInt8(truncatingIfNeeded: m), toByteOffset: i, as: UInt8.self)
            m = (m >> 8) | (m << 24)
            i += 1
        }
    }
}
