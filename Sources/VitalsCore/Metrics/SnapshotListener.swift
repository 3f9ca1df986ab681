import VitalsSupport
/// Takes every snapshot the sampler builds, with its JSON encoded once: the history writer,
/// the WebSocket fan-out, the `/metrics` cache and, next, the alert engine. Called on the
/// sampler thread, in registration order, after the tick's reading: a listener must hand
/// slow work (SQLite, network) to its own thread, since it is part of the tick's cost.
public protocol SnapshotListener: AnyObject, Sendable {
    func snapshotTaken(_ snapshot: Snapshot, json: [UInt8])
}

/// A closure as a listener, for fan-outs that need no state of their own.
public final class ClosureSnapshotListener: SnapshotListener {
    private let body: @Sendable (Snapshot, [UInt8]) -> Void
    public init(_ body: @escaping @Sendable (Snapshot, [UInt8]) -> Void) { self.body = body }
    public func snapshotTaken(_ snapshot: Snapshot, json: [UInt8]) { body(snapshot, json) }
}
