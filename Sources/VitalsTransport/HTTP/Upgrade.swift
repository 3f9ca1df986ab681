import VitalsSupport
/// What an `.upgrade` route answers: refuse with a normal response, or switch protocols.
public enum UpgradeDecision: Sendable {
    case reject(HTTPResponse)
    /// `responseHead` (the 101 response) is written first; then `makeProtocol` is called on
    /// the connection's loop thread and owns the connection from there on.
    case accept(responseHead: [UInt8], makeProtocol: @Sendable (UpgradedTransport) -> UpgradedProtocol)
}

/// The connection as an upgraded protocol sees it. Loop thread only.
public protocol UpgradedTransport: AnyObject {
    var loop: EventLoop { get }
    var peer: String { get }
    /// Bytes queued but not yet accepted by the kernel.
    var pendingOutputBytes: Int { get }
    func send(_ bytes: [UInt8])
    func send(_ bytes: UnsafeRawBufferPointer)
    /// The socket, for a fan-out that writes one shared frame to many connections from
    /// several threads while this connection's loop thread waits for them (see
    /// `ParallelFanout`). Written to by anyone else only when `pendingOutputBytes` is 0.
    var socketFd: Int32 { get }
    /// The outcome of such a write of `bytes`: `result` is send(2)'s return value and
    /// `error` its errno. Queues what the kernel did not take; closes on a real error.
    func completeOutsideSend(_ bytes: UnsafeRawBufferPointer, result: Int, error: Int32)
    /// Closes the socket once queued output is written (or at once with `flush: false`).
    func close(flush: Bool)
    /// Ends the connection without losing the last bytes sent: write what is queued, shut
    /// down our sending side (FIN), read and discard until the peer closes, then close.
    /// Closing with unread input would send RST, which can destroy data the peer has not
    /// read yet (RFC 6455 7.1.1 wants the server to close first, cleanly). After
    /// `lingerMs` the socket is closed whatever state it is in. The protocol receives
    /// nothing more once this is called.
    func closeGracefully(lingerMs: Int64)
}

/// A protocol that took over a connection (WebSocket). Called on the loop thread only.
public protocol UpgradedProtocol: AnyObject {
    func received(_ bytes: UnsafeBufferPointer<UInt8>)
    /// Queued output drained to the kernel (room to send more).
    func outputDrained()
    /// Periodic housekeeping (heartbeats, timeouts), about once a second.
    func tick(nowMs: Int64)
    /// The socket is gone; release everything.
    func closed()
    /// The server is stopping: say goodbye on the wire (WebSocket: close 1001, going away)
    /// with `send`; the socket is closed right after.
    func serverStopping()
}
