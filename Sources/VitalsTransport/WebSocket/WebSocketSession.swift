import VitalsSupport
// Per-connection RFC 6455 protocol state machine, free of I/O: the transport feeds it
// received bytes and writes out whatever it leaves in `outbound`.
//
// Ordering rule: a close frame the session owes the peer (the echo of the peer's
// close, or the close that fails the connection) is held back until the caller next
// reads `outbound` (or `shouldCloseTCP`). The caller handles the events of one
// `receive` first, so the replies to messages that arrived before the close (say, an
// echo) still go out ahead of it, as Autobahn 3.2, 5.15 and 7.1.1 expect.

public enum WebSocketEvent: Equatable, Sendable {
    case text([UInt8])
    case binary([UInt8])
    case pong([UInt8])
    /// Reported once per session. From the peer's close frame: its code (nil when the
    /// frame had none) and reason. When we fail the connection: the code we sent and
    /// why. When our close got no answer in time: nil and a note.
    case closed(code: UInt16?, reason: String)
}

public enum WebSocketSessionState: Equatable, Sendable {
    case open
    /// We sent a close frame and wait for the peer's.
    case closing
    /// The close handshake is over (or the connection failed); nothing more is sent.
    case closed
}

public final class WebSocketSession {
    public let maxMessageBytes: Int
    public let closeTimeoutMs: Int64

    private var parser: WebSocketFrameParser
    private var frame: WebSocketFrameHeader?
    /// Opcode of the data message being assembled; nil between messages.
    private var messageOpcode: WebSocketOpcode?
    private var message: [UInt8] = []
    private var control: [UInt8] = []
    private var utf8 = UTF8Validator()

    private var pendingOutbound: [UInt8] = []
    /// A close frame owed to the peer, written at the next flush (see top of file).
    private var heldClose: [UInt8]?
    private var closeSent = false
    private var closeReceived = false
    private var failed = false
    private var closedReported = false
    private var tcpDone = false
    private var closeDeadlineMs: Int64?
    private var lastNowMs: Int64?

    public init(maxMessageBytes: Int, closeTimeoutMs: Int64) {
        self.maxMessageBytes = max(0, maxMessageBytes)
        self.closeTimeoutMs = closeTimeoutMs
        self.parser = WebSocketFrameParser(maxFrameBytes: self.maxMessageBytes, requireMask: true)
        control.reserveCapacity(WebSocketFrame.maxControlPayload)
    }

    /// Bytes the transport must send, in order. Drain it after handling the events of
    /// each `receive`/`tick` (e.g. `session.outbound.removeAll(keepingCapacity: true)`).
    public var outbound: [UInt8] {
        get { flushHeldClose(); return pendingOutbound }
        set { pendingOutbound = newValue }
        _modify { flushHeldClose(); yield &pendingOutbound }
    }

    public var state: WebSocketSessionState {
        if tcpDone || failed || closeReceived { return .closed }
        return closeSent || heldClose != nil ? .closing : .open
    }

    /// True once the TCP connection should be closed: the close handshake is complete,
    /// the connection was failed, or the peer did not answer our close in time. Write
    /// `outbound` out first.
    public var shouldCloseTCP: Bool {
        flushHeldClose()
        return tcpDone
    }

    /// Whether data frames may still be queued (no close frame has gone out yet).
    public var canSend: Bool { !closeSent && !tcpDone }

    // MARK: Receiving

    public func receive(_ bytes: [UInt8], nowMs: Int64) -> [WebSocketEvent] {
        bytes.withUnsafeBytes { receive($0, nowMs: nowMs) }
    }

    public func receive(_ bytes: ArraySlice<UInt8>, nowMs: Int64) -> [WebSocketEvent] {
        bytes.withUnsafeBytes { receive($0, nowMs: nowMs) }
    }

    public func receive(_ bytes: UnsafeRawBufferPointer, nowMs: Int64) -> [WebSocketEvent] {
        lastNowMs = nowMs
        var events: [WebSocketEvent] = []
        var index = 0
        while !stopped {
            let step: WebSocketFrameParser.Step
            do {
                if frame?.opcode.isControl == true {
                    step = try parser.step(bytes, at: &index, payloadInto: &control)
                } else {
                    step = try parser.step(bytes, at: &index, payloadInto: &message)
                }
            } catch {
                fail(error, &events)
                break
            }
            switch step {
            case .needMoreInput:
                return events
            case .header(let header):
                frame = header
                startFrame(header, &events)
            case .payload(let count):
                payloadArrived(count, &events)
            case .frameEnd:
                if let header = frame { endFrame(header, &events) }
                frame = nil
            }
        }
        return events
    }

    /// Enforces the close-handshake timeout; call it periodically.
    @discardableResult
    public func tick(nowMs: Int64) -> [WebSocketEvent] {
        lastNowMs = nowMs
        guard closeSent, !tcpDone else { return [] }
        guard let deadline = closeDeadlineMs else {
            closeDeadlineMs = nowMs + closeTimeoutMs
            return []
        }
        guard nowMs >= deadline else { return [] }
        tcpDone = true
        var events: [WebSocketEvent] = []
        report(nil, "peer did not answer the close frame within \(closeTimeoutMs) ms", &events)
        return events
    }

    private var stopped: Bool { tcpDone || failed || closeReceived }

    private func startFrame(_ header: WebSocketFrameHeader, _ events: inout [WebSocketEvent]) {
        switch header.opcode {
        case .ping, .pong, .close:
            control.removeAll(keepingCapacity: true)
        case .text, .binary:
            if closeSent { message.removeAll(keepingCapacity: true); return }
            if messageOpcode != nil {
                return protocolError("new data frame while a fragmented message is in progress", &events)
            }
            messageOpcode = header.opcode
            message.removeAll(keepingCapacity: true)
            // Only on the first frame (reserving per fragment defeats geometric
            // growth), and capped so a claimed length alone cannot pin memory.
            message.reserveCapacity(min(header.payloadLength, 1 << 20))
            utf8.reset()
        case .continuation:
            if closeSent { message.removeAll(keepingCapacity: true); return }
            guard messageOpcode != nil else {
                return protocolError("continuation frame without a message to continue", &events)
            }
            if header.payloadLength > maxMessageBytes - message.count {
                fail(WebSocketProtocolError(closeCode: WebSocketCloseCode.messageTooBig,
                                            message: "message exceeds the limit of \(maxMessageBytes) bytes"), &events)
            }
        }
    }

    private func payloadArrived(_ count: Int, _ events: inout [WebSocketEvent]) {
        guard let header = frame, !header.opcode.isControl else { return }
        if closeSent {
            // After our close, data is read only to find the peer's close frame.
            message.removeAll(keepingCapacity: true)
            return
        }
        guard messageOpcode == .text else { return }
        let valid = message.withUnsafeBytes { all in
            utf8.validate(UnsafeRawBufferPointer(rebasing: all[(all.count - count)...]))
        }
        if !valid {
            fail(WebSocketProtocolError(closeCode: WebSocketCloseCode.invalidPayload,
                                        message: "text message is not valid UTF-8"), &events)
        }
    }

    private func endFrame(_ header: WebSocketFrameHeader, _ events: inout [WebSocketEvent]) {
        switch header.opcode {
        case .ping:
            if !closeSent && heldClose == nil {
                control.withUnsafeBytes {
                    WebSocketFrame.append(opcode: .pong, payload: $0, to: &pendingOutbound)
                }
            }
        case .pong:
            if !closeSent { events.append(.pong(control)) }
        case .close:
            receivedClose(&events)
        case .text, .binary, .continuation:
            guard header.fin, !closeSent, let opcode = messageOpcode else { return }
            if opcode == .text && !utf8.isComplete {
                return fail(WebSocketProtocolError(closeCode: WebSocketCloseCode.invalidPayload,
                                                   message: "text message ends inside a UTF-8 sequence"), &events)
            }
            events.append(opcode == .text ? .text(message) : .binary(message))
            message = []
            messageOpcode = nil
        }
    }

    private func receivedClose(_ events: inout [WebSocketEvent]) {
        var code: UInt16?
        var reason = ""
        if control.count == 1 {
            return protocolError("close frame with a 1-byte payload", &events)
        }
        if control.count >= 2 {
            let c = UInt16(control[0]) << 8 | UInt16(control[1])
            guard WebSocketCloseCode.isValidOnWire(c) else {
                return protocolError("close code \(c) is not allowed on the wire", &events)
            }
            var reasonCheck = UTF8Validator()
            let reasonOK = control.withUnsafeBytes { all in
                reasonCheck.validate(UnsafeRawBufferPointer(rebasing: all[2...])) && reasonCheck.isComplete
            }
            guard reasonOK else {
                return fail(WebSocketProtocolError(closeCode: WebSocketCloseCode.invalidPayload,
                                                   message: "close reason is not valid UTF-8"), &events)
            }
            code = c
            reason = String(decoding: control[2...], as: UTF8.self)
        }
        closeReceived = true
        if closeSent {
            tcpDone = true  // we started the handshake; it is now complete
        } else {
            // Echo the peer's code (7.4.1); answer a code-less close with 1000.
            heldClose = WebSocketFrame.encode(opcode: .close,
                                              payload: WebSocketFrame.closePayload(code: code ?? WebSocketCloseCode.normal, reason: ""))
        }
        report(code, reason, &events)
    }

    private func protocolError(_ message: String, _ events: inout [WebSocketEvent]) {
        fail(WebSocketProtocolError(closeCode: WebSocketCloseCode.protocolError, message: message), &events)
    }

    /// Fails the connection (7.1.7): send a close with the error's code, then close TCP.
    private func fail(_ error: WebSocketProtocolError, _ events: inout [WebSocketEvent]) {
        guard !failed else { return }
        failed = true
        if closeSent || heldClose != nil {
            tcpDone = true
        } else {
            heldClose = WebSocketFrame.encode(opcode: .close,
                                              payload: WebSocketFrame.closePayload(code: error.closeCode, reason: error.message))
        }
        report(error.closeCode, error.message, &events)
    }

    private func report(_ code: UInt16?, _ reason: String, _ events: inout [WebSocketEvent]) {
        guard !closedReported else { return }
        closedReported = true
        events.append(.closed(code: code, reason: reason))
    }

    private func flushHeldClose() {
        guard let frame = heldClose else { return }
        heldClose = nil
        pendingOutbound.append(contentsOf: frame)
        closeSent = true
        // The held close always answers the peer's close or fails the connection:
        // either way the exchange is over once it is written.
        tcpDone = true
    }

    // MARK: Sending

    /// Queues a text message (the caller vouches it is UTF-8). False once closing.
    @discardableResult
    public func sendText(_ utf8: [UInt8]) -> Bool { send(.text, utf8) }

    @discardableResult
    public func sendBinary(_ bytes: [UInt8]) -> Bool { send(.binary, bytes) }

    /// Queues an already-encoded frame (the shared snapshot frame). False once closing.
    @discardableResult
    public func sendEncodedFrame(_ frameBytes: [UInt8]) -> Bool {
        guard canSend else { return false }
        pendingOutbound.append(contentsOf: frameBytes)
        return true
    }

    /// Queues a ping; false when closing or the payload exceeds 125 bytes.
    @discardableResult
    public func ping(_ payload: [UInt8]) -> Bool {
        guard payload.count <= WebSocketFrame.maxControlPayload else { return false }
        return send(.ping, payload)
    }

    /// Starts the close handshake. A code that may not be sent (e.g. 1005, 1006) is
    /// replaced by 1000. The peer's answer, or `tick` after `closeTimeoutMs`, ends it.
    public func close(code: UInt16, reason: String) {
        guard canSend, heldClose == nil else { return }
        let sent = WebSocketCloseCode.isValidOnWire(code) ? code : WebSocketCloseCode.normal
        WebSocketFrame.closePayload(code: sent, reason: reason).withUnsafeBytes {
            WebSocketFrame.append(opcode: .close, payload: $0, to: &pendingOutbound)
        }
        closeSent = true
        if let now = lastNowMs { closeDeadlineMs = now + closeTimeoutMs }
    }

    private func send(_ opcode: WebSocketOpcode, _ payload: [UInt8]) -> Bool {
        guard canSend else { return false }
        payload.withUnsafeBytes { WebSocketFrame.append(opcode: opcode, payload: $0, to: &pendingOutbound) }
        return true
    }
}
