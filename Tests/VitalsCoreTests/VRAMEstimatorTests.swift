import XCTest
@testable import VitalsCore

/// The estimator against published peaks: every estimate within −10 % / +35 %.
final class VRAMEstimatorTests: XCTestCase {
    static let gib = 1_073_741_824.0

    func error(_ estimated: UInt64, _ publishedGiB: Double) -> Double {
        (Double(estimated) / Self.gib - publishedGiB) / publishedGiB * 100
    }

    func testEveryPublishedPeakWithinBand() {
        var calibration = 0
        for m in PublishedMeasurements.all {
            let e = VRAMEstimator.estimate(m.workload, m.settings)
            let err = error(e.peakBytes, m.peakGiB)
            print(String(format: "estimator: %-40@ published %6.2f GiB, estimated %6.2f GiB, error %+5.1f %%",
                         m.name as NSString, m.peakGiB, Double(e.peakBytes) / Self.gib, err))
            XCTAssertGreaterThanOrEqual(err, -10, m.name)
            XCTAssertLessThanOrEqual(err, 35, m.name)
            if m.calibration { calibration += 1 }
        }
        XCTAssertEqual(calibration, 3)
    }

    func testWeightsAloneMatchTheAfterLoadFigures() {
        for (name, q, gib) in PublishedMeasurements.afterLoad {
            var s = OptimizationSettings(); s.quantization = q
            let err = error(VRAMEstimator.estimate(Workload(model: "flux_dev"), s).weightsBytes, gib)
            print(String(format: "estimator: %-40@ published %6.2f GiB, weights %+5.1f %%", name as NSString, gib, err))
            XCTAssertGreaterThanOrEqual(err, -10, name)
            XCTAssertLessThanOrEqual(err, 35, name)
        }
    }

    func testVAEDecodeAndWorkingMemoryFollowThePublishedFormulas() {
        let e = VRAMEstimator.estimate(Workload(model: "sdxl"), OptimizationSettings())
        // 2,200 × 1024² × 2 bytes ≈ 4.3 GiB.
        XCTAssertEqual(Double(e.vaeDecodeBytes) / Self.gib, 4.3, accuracy: 0.01)
        // 2 (CFG) × 128² × 2 × 0.01 MiB × 0.8 = 524.3 MiB.
        XCTAssertEqual(Double(e.workingBytes) / 1_048_576, 524.288, accuracy: 0.01)
        XCTAssertEqual(e.reserveBytes, 400 << 20)
        XCTAssertEqual(e.peakBytes, e.weightsBytes + e.workingBytes + e.vaeDecodeBytes + e.reserveBytes)
    }

    func testTilingDoesNothingAtOrBelowTheVAESampleSize() {
        var s = OptimizationSettings(); s.vaeTiling = true; s.vaeTileSize = 256
        let at = VRAMEstimator.estimate(Workload(model: "sdxl"), s)
        XCTAssertFalse(at.tiled)
        XCTAssertEqual(at.vaeDecodeBytes, VRAMEstimator.estimate(Workload(model: "sdxl"), OptimizationSettings()).vaeDecodeBytes)
        let big = VRAMEstimator.estimate(Workload(model: "sdxl", width: 2048, height: 2048), s)
        XCTAssertTrue(big.tiled)
        XCTAssertEqual(big.vaeDecodeBytes, UInt64(256.0 * 256 * 2200 * 2 * 1.25))
        XCTAssertGreaterThan(big.relativeTime, 1)
    }

    func testOffloadAndQuantizationOnlyLowerThePeakAndCostTime() {
        let w = Workload(model: "flux_dev")
        var last = UInt64.max
        var lastTime = 0.0
        for o in Offload.allCases {
            var s = OptimizationSettings(); s.offload = o
            let e = VRAMEstimator.estimate(w, s)
            XCTAssertLessThan(e.peakBytes, last, o.rawValue)
            XCTAssertGreaterThan(e.relativeTime, lastTime, o.rawValue)
            last = e.peakBytes; lastTime = e.relativeTime
        }
        var nf4 = OptimizationSettings(); nf4.quantization = .nf4
        XCTAssertLessThan(VRAMEstimator.estimate(w, nf4).weightsBytes, VRAMEstimator.estimate(w, OptimizationSettings()).weightsBytes / 2)
    }

    func testCustomFamilyUsesItsComponents() {
        let w = Workload(model: "custom", components: [ModelComponent("dit", 1e9, .denoiser), ModelComponent("vae", 1e8, .vae)])
        let e = VRAMEstimator.estimate(w, OptimizationSettings())
        XCTAssertEqual(e.weightsBytes, 2_200_000_000)
        var q = OptimizationSettings(); q.quantization = .int8
        XCTAssertEqual(VRAMEstimator.estimate(w, q).weightsBytes, 1_200_000_000, "the VAE stays 16-bit")
    }
}
