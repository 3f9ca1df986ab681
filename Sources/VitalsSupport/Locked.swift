import Synchronization

/// A value shared between threads behind a small lock, as a reference that closures can
/// capture (a `Mutex` itself cannot be copied into one).
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    public init(_ value: Value) { mutex = Mutex(value) }
    public var value: Value { mutex.withLock { $0 } }
    public func set(_ value: Value) { mutex.withLock { $0 = value } }
}
