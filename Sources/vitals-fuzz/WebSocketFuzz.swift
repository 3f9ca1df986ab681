@testable import VitalsTransport

/// The RFC 6455 frame parser, and the client message parser on every whole text frame.
/// Oracle: a session feeds the parser whatever each read() returned; frames, payloads and
/// errors must not depend on how the bytes were cut, and each payload must be as long as
/// its header said. The first input byte picks server (masked) or client mode and the cut.
enum WebSocketFuzz {
    static let maxFrameBytes = 1024

    static let frames = FuzzTarget(name: "websocket") { input in
        guard let first = input.first else { return }
        let requireMask = first & 1 == 0
        let stream = Array(input.dropFirst())
        let whole = events(stream, requireMask: requireMask, step: max(stream.count, 1))
        let cut = events(stream, requireMask: requireMask, step: 1 + Int(first >> 1) % 23)
        if whole != cut { FuzzTarget.fail("WebSocket parser: all at once \(whole), in pieces \(cut)") }
    }

    enum Event: Equatable {
        case frame(WebSocketFrameHeader, [UInt8])
        case error(UInt16)
    }

    static func events(_ stream: [UInt8], requireMask: Bool, step: Int) -> [Event] {
        var parser = WebSocketFrameParser(maxFrameBytes: maxFrameBytes, requireMask: requireMask)
        var out: [Event] = []
        var header: WebSocketFrameHeader? = nil
        var payload: [UInt8] = []
        var from = 0
        while from < stream.count {
            let chunk = Array(stream[from..<min(from + step, stream.count)])
            from += chunk.count
            var index = 0
            var more = true
            while more {
                // withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
                let result = chunk.withUnsafeBytes { buf in
                    Result { () throws(WebSocketProtocolError) in try parser.step(buf, at: &index, payloadInto: &payload) }
                }
                do throws(WebSocketProtocolError) {
                    switch try result.get() {
                    case .needMoreInput: more = false
                    case .header(let h): header = h; payload = []
                    case .payload: break
                    case .frameEnd:
                        guard let h = header else { FuzzTarget.fail("WebSocket frame ended before its header") }
                        if payload.count != h.payloadLength {
                            FuzzTarget.fail("WebSocket payload of \(payload.count) bytes, header said \(h.payloadLength)")
                        }
                        if h.payloadLength > maxFrameBytes { FuzzTarget.fail("WebSocket frame of \(h.payloadLength) bytes passed the limit") }
                        if h.opcode == .text, h.fin { _ = WebSocketClientMessage.parse(payload) }
                        out.append(.frame(h, payload))
                        header = nil
                    }
                } catch {
                    out.append(.error(error.closeCode))
                    return out
                }
            }
        }
        return out
    }
}
