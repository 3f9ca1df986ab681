import VitalsSupport
import VitalsCore

/// Each GPU's memory over the last hour and day, read from the history database for the
/// recommendations and the analysis (on a worker thread, never on the tick).
enum AdvisorHistory {
    static func read(_ store: HistoryStore?, gpus: [Int], nowMs: Int64) -> [Int: GPUMemoryHistory] {
        guard let store, !gpus.isEmpty else { return [:] }
        let names = gpus.map { "gpu\($0).memory_used" }
        let hour: Int64 = 3_600_000
        do {
            let lastHour = try store.query(HistoryQuery(from: nowMs - hour, to: nowMs, metrics: names, points: 60))
            let lastDay = try store.query(HistoryQuery(from: nowMs - 24 * hour, to: nowMs, metrics: names, points: 96))
            var out: [Int: GPUMemoryHistory] = [:]
            for (i, name) in zip(gpus, names) {
                let h = lastHour.series[name] ?? [], d = lastDay.series[name] ?? []
                let known = h.filter { $0.avg != nil }
                var trend: Double? = nil
                if let first = known.first, let last = known.last, last.t > first.t {
                    trend = (last.avg! - first.avg!) / Double(last.t - first.t) * Double(hour)
                }
                out[i] = GPUMemoryHistory(peakHourBytes: h.compactMap(\.max).max().map { UInt64(max(0, $0)) },
                                          peakDayBytes: d.compactMap(\.max).max().map { UInt64(max(0, $0)) },
                                          trendBytesPerHour: trend)
            }
            return out
        } catch {
            Log.warn("advisor: history unreadable; recommendations use live figures only", ["error": "\(error)"])
            return [:]
        }
    }
}
