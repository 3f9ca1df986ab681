import VitalsSupport
/// Difference between two readings of a kernel counter that may wrap or be reset.
public enum CounterDelta {
    /// A smaller new value after an old one that fit in 32 bits is a 32-bit wrap (32-bit
    /// kernels, a few drivers). Otherwise it is a reset (interface or device re-created,
    /// driver reloaded): nil, so the caller shows no rate instead of a giant number.
    public static func delta(old: UInt64, new: UInt64) -> UInt64? {
        if new >= old { return new - old }
        if old <= UInt64(UInt32.max) { return (UInt64(1) << 32) - old + new }
        return nil
    }
}
