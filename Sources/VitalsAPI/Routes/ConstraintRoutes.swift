import VitalsSupport
import VitalsTransport
import VitalsCore

/// `GET/POST /api/v1/system/constraints` and `GET /api/v1/system/resource-check`: the
/// operator's limits, and whether a job may start under them now.
struct ConstraintRoutes: RouteProvider {
    let sampler: Sampler
    let advisor: AdvisorState

    static let getSpec = RouteSpec.get("/api/v1/system/constraints", tag: "optimization", "Warning and critical levels per resource, and the job limit")
        .responds(200, "the constraints", json: AdvisorSchemas.constraints)

    static let postSpec = RouteSpec.post("/api/v1/system/constraints", tag: "optimization", "Change some constraints; health and the resource check follow them")
        .body(AdvisorSchemas.constraintsBody, required: true, example: #"{"vram": {"warning_percent": 80, "critical_percent": 92}}"#)
        .responds(200, "the new constraints", json: AdvisorSchemas.constraints)
        .fails(422, "a field is not accepted, or a warning level is not below its critical level", .invalidBody)
        .fails(507, "the constraints could not be stored", .saveFailed)

    static let checkSpec = RouteSpec.get("/api/v1/system/resource-check", tag: "optimization",
                                         "May a job start now? Give vram_bytes, or a workload and settings to estimate (the rest from the current settings)")
        .query("vram_bytes", Schema.integer(1...(1 << 50)).described("VRAM the job needs; without it, the estimate of the workload"))
        .query("model", Schema.oneOf(ModelFamily.known.map(\.id)))
        .query("width", Schema.integer(64...8192))
        .query("height", Schema.integer(64...8192))
        .query("batch", Schema.integer(1...64))
        .query("frames", Schema.integer(1...1024))
        .query("quantization", Schema.oneOf(Quantization.allCases.map(\.rawValue)))
        .query("offload", Schema.oneOf(Offload.allCases.map(\.rawValue)))
        .query("vae_tiling", Schema.boolean)
        .query("vae_tile_size", Schema.integer(128...512).multiple(of: 64))
        .responds(200, "allowed or not, with blocking issues, warnings and suggestions", json: AdvisorSchemas.resourceCheck)

    func register(in routes: inout RouteTable) {
        let sampler = self.sampler, advisor = self.advisor
        routes.add(Self.getSpec, .inline { _ in .json(AdvisorJSON.constraints(advisor.constraints)) })

        routes.add(Self.postSpec, .worker { input in
            let body = input.body?.objectValue ?? [:]
            let result = advisor.updateConstraints { current in
                AdvisorJSON.mergeConstraints(current, body).mapError { .invalid($0) }
            }
            return OptimizationRoutes.answer(result) { .json(AdvisorJSON.constraints($0)) }
        })

        routes.add(Self.checkSpec, .inline { input in
            let o = advisor.optimization
            // Query values are typed by the schema: the same merge as a JSON body.
            let given = input.query.merging(input.path) { a, _ in a }
            let workload = AdvisorJSON.mergeWorkload(o.workload, given)
            let settings = AdvisorJSON.mergeSettings(o.settings, given)
            let c = AdvisorContext(snapshot: sampler.latest.value?.snapshot, constraints: advisor.constraints,
                                   workload: workload, settings: settings)
            let r = ResourceCheck.run(c, vramBytes: input.int64("vram_bytes").map { UInt64($0) })
            return .json { w in
                w.beginObject()
                w.field("allowed", r.allowed)
                w.field("gpu", r.gpu)
                w.field("required_bytes", r.requiredBytes)
                AdvisorJSON.writeFindings(r, into: &w)
                w.endObject()
            }
        })
    }
}
