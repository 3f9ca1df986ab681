import VitalsSupport
/// The series that go into history, by name: the API's vocabulary for
/// `stats/history?metrics=...`; a name not listed is a 400 that lists these. Both lists come
/// from `MetricTable`, where each series is declared once.
public enum HistoryMetrics {
    /// Every name valid now: host series plus per-GPU series for the GPUs seen so far.
    public static func names(gpuCount: Int) -> [String] { MetricTable.historyNames(gpuCount: gpuCount) }

    /// The values of one snapshot. Unknown (nil) values are simply not stored: a gap.
    public static func values(of s: Snapshot) -> [(String, Double)] { MetricTable.historyValues(of: s) }
}
