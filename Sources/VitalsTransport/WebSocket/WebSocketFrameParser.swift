import VitalsSupport
// Incremental reader for client frames (RFC 6455 5.2). Fed arbitrary chunks, down to
// one byte at a time; each header byte is checked as soon as it arrives, and payload
// bytes are unmasked as they are copied into the caller's buffer, so a consumer can
// look at a frame's payload (e.g. validate UTF-8) before the frame is complete.

public struct WebSocketFrameHeader: Equatable, Sendable {
    public var fin: Bool
    public var opcode: WebSocketOpcode
    public var masked: Bool
    public var payloadLength: Int

    public init(fin: Bool, opcode: WebSocketOpcode, masked: Bool, payloadLength: Int) {
        self.fin = fin
        self.opcode = opcode
        self.masked = masked
        self.payloadLength = payloadLength
    }
}

public struct WebSocketFrameParser: Sendable {
    /// What one call to `step` found. Every frame yields `.header`, then zero or more
    /// `.payload(n)` (n > 0 unmasked bytes appended to the sink), then `.frameEnd`.
    public enum Step: Equatable, Sendable {
        case needMoreInput
        case header(WebSocketFrameHeader)
        case payload(Int)
        case frameEnd
    }

    private enum Stage: Sendable {
        case first, second, extendedLength, maskKey, payload, end
    }

    public let maxFrameBytes: Int
    public let requireMask: Bool

    private var stage: Stage = .first
    private var fin = false
    private var opcode: WebSocketOpcode = .continuation
    private var masked = false
    private var lengthBytesLeft = 0
    private var lengthForm = 0  // 0, 2 or 8 extended length bytes
    private var length: UInt64 = 0
    private var maskBytesLeft = 0
    private var maskKey: UInt32 = 0
    private var remaining = 0
    private var phase = 0
    private var error: WebSocketProtocolError?

    /// `requireMask`: true for a server reading client frames (5.1); false lets tests
    /// and clients read server frames with the same code.
    public init(maxFrameBytes: Int, requireMask: Bool = true) {
        self.maxFrameBytes = maxFrameBytes
        self.requireMask = requireMask
    }

    /// Consumes bytes of `input` from `index` and reports the next thing found.
    /// Payload bytes go, unmasked, to the end of `sink`. Once it has thrown, it
    /// keeps throwing the same error.
    public mutating func step(_ input: UnsafeRawBufferPointer, at index: inout Int,
                              payloadInto sink: inout [UInt8]) throws(WebSocketProtocolError) -> Step {
        if let error { throw error }
        switch stage {
        case .end:
            stage = .first
            return .frameEnd
        case .payload:
            let n = min(remaining, input.count - index)
            guard n > 0, let base = input.baseAddress else { return .needMoreInput }
            let start = sink.count
            sink.append(contentsOf: UnsafeBufferPointer(start: (base + index).assumingMemoryBound(to: UInt8.self), count: n))
            if masked {
                let key = maskKey, ph = phase
                sink.withUnsafeMutableBytes { all in
                    WebSocketFrame.unmask(UnsafeMutableRawBufferPointer(rebasing: all[start..<start + n]), key: key, phase: ph)
                }
                phase = (phase + n) & 3
            }
            index += n
            remaining -= n
            if remaining == 0 { stage = .end }
            return .payload(n)
        case .first, .second, .extendedLength, .maskKey:
            while index < input.count {
                let byte = input[index]
                index += 1
                if let header = try headerByte(byte) { return .header(header) }
            }
            return .needMoreInput
        }
    }

    private mutating func fail(_ code: UInt16, _ message: String) -> WebSocketProtocolError {
        let e = WebSocketProtocolError(closeCode: code, message: message)
        error = e
        return e
    }

    /// Takes one header byte; returns the header once it is complete and valid.
    private mutating func headerByte(_ byte: UInt8) throws(WebSocketProtocolError) -> WebSocketFrameHeader? {
        switch stage {
        case .first:
            // No extension is negotiated, so RSV1-3 must be zero (5.2).
            if byte & 0x70 != 0 {
                throw fail(WebSocketCloseCode.protocolError, "reserved bits set without a negotiated extension")
            }
            guard let op = WebSocketOpcode(rawValue: byte & 0x0F) else {
                throw fail(WebSocketCloseCode.protocolError, "reserved opcode \(byte & 0x0F)")
            }
            fin = byte & 0x80 != 0
            opcode = op
            if op.isControl && !fin {
                throw fail(WebSocketCloseCode.protocolError, "fragmented control frame")
            }
            stage = .second
            return nil
        case .second:
            masked = byte & 0x80 != 0
            if requireMask && !masked {
                throw fail(WebSocketCloseCode.protocolError, "client frame is not masked")
            }
            let len7 = byte & 0x7F
            if opcode.isControl && len7 > 125 {
                throw fail(WebSocketCloseCode.protocolError, "control frame payload longer than 125 bytes")
            }
            length = 0
            switch len7 {
            case 126: lengthForm = 2; lengthBytesLeft = 2; stage = .extendedLength
            case 127: lengthForm = 8; lengthBytesLeft = 8; stage = .extendedLength
            default:
                lengthForm = 0
                length = UInt64(len7)
                return try lengthKnown()
            }
            return nil
        case .extendedLength:
            length = length << 8 | UInt64(byte)
            lengthBytesLeft -= 1
            // The top bit of a 64-bit length must be 0: fail on its very byte.
            if lengthForm == 8 && lengthBytesLeft == 7 && byte & 0x80 != 0 {
                throw fail(WebSocketCloseCode.protocolError, "64-bit payload length has its top bit set")
            }
            if lengthBytesLeft > 0 { return nil }
            return try lengthKnown()
        case .maskKey:
            // Key bytes are kept in wire order from the lowest byte up.
            maskKey |= UInt32(byte) << UInt32((4 - maskBytesLeft) * 8)
            maskBytesLeft -= 1
            if maskBytesLeft > 0 { return nil }
            return startPayload()
        case .payload, .end:
            return nil
        }
    }

    private mutating func lengthKnown() throws(WebSocketProtocolError) -> WebSocketFrameHeader? {
        // The minimal number of bytes must be used to encode the length (5.2).
        if (lengthForm == 2 && length < 126) || (lengthForm == 8 && length <= 0xFFFF) {
            throw fail(WebSocketCloseCode.protocolError, "payload length \(length) not in its shortest form")
        }
        if length > UInt64(max(0, maxFrameBytes)) {
            throw fail(WebSocketCloseCode.messageTooBig, "frame of \(length) bytes exceeds the limit of \(maxFrameBytes)")
        }
        remaining = Int(length)
        maskKey = 0
        phase = 0
        if masked {
            maskBytesLeft = 4
            stage = .maskKey
            return nil
        }
        return startPayload()
    }

    private mutating func startPayload() -> WebSocketFrameHeader {
        stage = remaining > 0 ? .payload : .end
        return WebSocketFrameHeader(fin: fin, opcode: opcode, masked: masked, payloadLength: remaining)
    }
}
