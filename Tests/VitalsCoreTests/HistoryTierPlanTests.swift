import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class HistoryTierPlanTests: XCTestCase {
    private let tiers = HistoryTier.defaults
    private let now: Int64 = 1_700_000_000_000
    private let minute: Int64 = 60_000
    private var hour: Int64 { 60 * minute }
    private var day: Int64 { 24 * hour }

    private func chosen(_ span: Int64, points: Int) -> String {
        tiers[HistoryTierPlan.chooseTier(tiers, from: now - span, to: now, points: points, now: now)].name
    }

    func testTierChoiceForDashboardRanges() {
        // 300 points: one bucket is 200 ms, 3 s, 12 s, 288 s, 2016 s.
        XCTAssertEqual(chosen(minute, points: 300), "raw")
        XCTAssertEqual(chosen(15 * minute, points: 300), "raw")
        XCTAssertEqual(chosen(hour, points: 300), "10s")
        XCTAssertEqual(chosen(day, points: 300), "10s")   // raw keeps only 6 h
        XCTAssertEqual(chosen(7 * day, points: 300), "5m")
        // 1000 points: 1 h -> 3.6 s per bucket, raw is the coarsest that fits.
        XCTAssertEqual(chosen(hour, points: 1000), "raw")
        XCTAssertEqual(chosen(day, points: 1000), "10s")
        XCTAssertEqual(chosen(7 * day, points: 1000), "5m")
        // 7 days in 10 000 s buckets would fit 10s too, but 5m is coarser and still fits.
        XCTAssertEqual(chosen(7 * day, points: 60), "5m")
    }

    func testTierChoiceWhenNothingCoversFromUsesCoarsest() {
        let from = now - 200 * day
        XCTAssertEqual(HistoryTierPlan.chooseTier(tiers, from: from, to: now, points: 100, now: now), 2)
        // 6.5 h ago: raw no longer holds it even though the step would fit.
        let i = HistoryTierPlan.chooseTier(tiers, from: now - 6 * hour - 30 * minute, to: now - 6 * hour, points: 100, now: now)
        XCTAssertEqual(tiers[i].name, "10s")
    }

    func testGridIsEpochAlignedAndBounded() {
        let from: Int64 = 1_700_000_012_345
        let to = from + hour
        let g = HistoryTierPlan.grid(stepMs: 500, from: from, to: to, points: 100)
        XCTAssertEqual(g.width, 36_000)
        XCTAssertEqual(g.first % g.width, 0)
        XCTAssertGreaterThanOrEqual(g.first, from)
        XCTAssertLessThan(g.first - from, g.width)
        XCTAssertLessThanOrEqual(g.count, 100)
        XCTAssertLessThan(g.start(g.count - 1), to)
        XCTAssertGreaterThanOrEqual(g.end, to)
        // Width never below the tier step.
        XCTAssertEqual(HistoryTierPlan.grid(stepMs: 10_000, from: from, to: from + minute, points: 1000).width, 10_000)
        // Sliding the window by less than a bucket keeps the same bucket starts.
        let g2 = HistoryTierPlan.grid(stepMs: 500, from: from + 1_000, to: to + 1_000, points: 100)
        XCTAssertEqual(g2.width, g.width)
        XCTAssertEqual(g2.first, g.first)
    }

    func testValidationRejectsBadTiers() {
        XCTAssertThrowsError(try HistoryTierPlan.validate([]))
        XCTAssertThrowsError(try HistoryTierPlan.validate([HistoryTier(name: "a b", stepMs: 1, retentionMs: 1)]))
        XCTAssertThrowsError(try HistoryTierPlan.validate([HistoryTier(name: "x\"; DROP", stepMs: 1, retentionMs: 1)]))
        XCTAssertThrowsError(try HistoryTierPlan.validate([HistoryTier(name: "raw", stepMs: 0, retentionMs: 1)]))
        XCTAssertThrowsError(try HistoryTierPlan.validate([
            HistoryTier(name: "raw", stepMs: 500, retentionMs: 1),
            HistoryTier(name: "1250ms", stepMs: 1_250, retentionMs: 1),   // not a multiple of 500
        ]))
        XCTAssertThrowsError(try HistoryTierPlan.validate([
            HistoryTier(name: "raw", stepMs: 500, retentionMs: 1),
            HistoryTier(name: "raw", stepMs: 1_000, retentionMs: 1),
        ]))
        XCTAssertNoThrow(try HistoryTierPlan.validate(HistoryTier.defaults))
    }
}
