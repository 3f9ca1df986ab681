import VitalsSupport
/// Keeps the previous /proc/net/dev reading and turns the next one into per-interface rates.
final class NetRateTracker {
    private let sysRoot: String
    private let recheckNanos: UInt64
    private var virtual: [String: Bool] = [:]
    private var virtualCheckedAt: UInt64?
    private var previous: [NetCounters] = []
    private var previousNanos: UInt64?

    init(sysRoot: String, recheckNanos: UInt64 = 10_000_000_000) {
        self.sysRoot = sysRoot
        self.recheckNanos = recheckNanos
    }

    /// Loopback, bridges, veth, tun, docker0, wireguard… all live under devices/virtual/net.
    static func isVirtualInterface(_ name: String, sysRoot: String) -> Bool {
        name == "lo" || pathExists(sysRoot + "/devices/virtual/net/" + name)
    }

    /// Answers from a cache dropped every `recheckNanos`: interfaces are re-created rarely.
    func isVirtual(_ name: String, now: UInt64) -> Bool {
        if let at = virtualCheckedAt, now >= at, now - at < recheckNanos {
            if let known = virtual[name] { return known }
        } else {
            virtual.removeAll(keepingCapacity: true)
            virtualCheckedAt = now
        }
        let answer = Self.isVirtualInterface(name, sysRoot: sysRoot)
        virtual[name] = answer
        return answer
    }

    /// Rates of interfaces present in both readings whose counters did not reset; the total
    /// sums the non-virtual ones. nil on the first call or when no time passed.
    func update(_ current: [NetCounters], monotonicNanos now: UInt64) -> (interfaces: [NetRate], total: NetRate)? {
        defer { previous = current; previousNanos = now }
        guard let before = previousNanos, now > before else { return nil }
        let seconds = Double(now - before) / 1e9
        var rates: [NetRate] = []
        rates.reserveCapacity(current.count)
        var total = NetRate(name: "total", isVirtual: false, rxBytesPerSec: 0, txBytesPerSec: 0, rxPacketsPerSec: 0, txPacketsPerSec: 0)
        for (position, interface) in current.enumerated() {
            let old: NetCounters?
            if position < previous.count, previous[position].name == interface.name { old = previous[position] }
            else { old = previous.first { $0.name == interface.name } }
            let isVirtual = isVirtual(interface.name, now: now)
            guard let old, let rate = Self.rate(from: old, to: interface, seconds: seconds, isVirtual: isVirtual) else { continue }
            rates.append(rate)
            if !isVirtual {
                total.rxBytesPerSec += rate.rxBytesPerSec
                total.txBytesPerSec += rate.txBytesPerSec
                total.rxPacketsPerSec += rate.rxPacketsPerSec
                total.txPacketsPerSec += rate.txPacketsPerSec
            }
        }
        return (rates, total)
    }

    static func rate(from old: NetCounters, to new: NetCounters, seconds: Double, isVirtual: Bool) -> NetRate? {
        guard seconds > 0,
              let rxBytes = CounterDelta.delta(old: old.rxBytes, new: new.rxBytes),
              let txBytes = CounterDelta.delta(old: old.txBytes, new: new.txBytes),
              let rxPackets = CounterDelta.delta(old: old.rxPackets, new: new.rxPackets),
              let txPackets = CounterDelta.delta(old: old.txPackets, new: new.txPackets)
        else { return nil }
        return NetRate(name: new.name, isVirtual: isVirtual,
                       rxBytesPerSec: Double(rxBytes) / seconds, txBytesPerSec: Double(txBytes) / seconds,
                       rxPacketsPerSec: Double(rxPackets) / seconds, txPacketsPerSec: Double(txPackets) / seconds)
    }
}
