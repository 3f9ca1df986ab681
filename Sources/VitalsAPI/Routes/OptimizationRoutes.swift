import VitalsSupport
import VitalsTransport
import VitalsCore

/// The GPU memory advisor: estimate, the current settings, presets, recommendations and
/// analysis. Estimates and presets are pure arithmetic on the latest snapshot and answer on
/// the I/O thread; what reads history or writes the settings table runs on the workers.
struct OptimizationRoutes: RouteProvider {
    let sampler: Sampler
    let advisor: AdvisorState
    let history: HistoryAccess
    let time: any TimeSource

    static let estimateSpec = RouteSpec("POST", "/api/v1/optimization/estimate", access: .read, tag: "optimization",
                                        summary: "Peak VRAM of a workload under given settings; fields left out come from the current settings")
        .body(AdvisorSchemas.estimateBody, required: false,
              example: #"{"model": "flux_dev", "width": 1024, "height": 1024, "quantization": "nf4"}"#)
        .responds(200, "the peak, its parts, the time factor and whether it fits each GPU", json: AdvisorSchemas.estimate)
        .fails(422, "a field is not accepted (the custom model needs components)", .invalidBody)

    static let getSpec = RouteSpec.get("/api/v1/system/optimization", tag: "optimization", "The current memory settings and the workload they are for")
        .responds(200, "settings, workload, estimate and savings against the unoptimized baseline", json: AdvisorSchemas.optimization)

    static let postSpec = RouteSpec.post("/api/v1/system/optimization", tag: "optimization", "Change some of the memory settings; kept across restarts")
        .body(AdvisorSchemas.optimizationBody, required: true, example: #"{"offload": "model", "vae_tiling": true}"#)
        .responds(200, "the new settings, their estimate and savings", json: AdvisorSchemas.optimization)
        .fails(422, "a field is not accepted (max_vram_bytes above the GPU's total, custom model without components)", .invalidBody)
        .fails(507, "the settings could not be stored", .saveFailed)

    static let presetsSpec = RouteSpec.get("/api/v1/optimization/presets", tag: "optimization", "Six presets, each estimated for the current workload and checked against each GPU")
        .responds(200, "the presets", json: AdvisorSchemas.presets)

    static let applySpec = RouteSpec.post("/api/v1/optimization/apply-preset/{id}", tag: "optimization", "Apply a preset to the current settings; kept across restarts")
        .path("id", Schema.string(minLength: 1, maxLength: 64).described(OptimizationPresets.all.map(\.id).joined(separator: ", ")))
        .query("force", Schema.boolean.defaulting(.bool(false)).described("apply even when it fits no GPU"))
        .responds(200, "the new settings, their estimate and savings", json: AdvisorSchemas.optimization)
        .fails(404, "no preset has this id", .notFound)
        .fails(409, "the preset fits no GPU (force=true applies it anyway)", .presetDoesNotFit)
        .fails(507, "the settings could not be stored", .saveFailed)

    static let recommendationsSpec = RouteSpec.get("/api/v1/optimization/recommendations", tag: "optimization",
                                                   "What to change, most urgent first, with the figures behind each")
        .responds(200, "the recommendations; an empty list when nothing needs changing", json: AdvisorSchemas.recommendations)

    static let analysisSpec = RouteSpec.get("/api/v1/optimization/analysis", tag: "optimization",
                                            "A 0-100 score of how the settings suit this machine, with current and recommended settings")
        .responds(200, "the score, its parts and the settings", json: AdvisorSchemas.analysis)

    func register(in routes: inout RouteTable) {
        let sampler = self.sampler, advisor = self.advisor, history = self.history, time = self.time
        @Sendable func gpus() -> [GPUMemory] { GPUMemory.of(sampler.latest.value?.snapshot.gpu.devices ?? []) }
        @Sendable func document(_ o: AdvisorState.Optimization) -> HTTPResponse {
            let g = gpus()
            return .json { w in Self.writeOptimization(&w, o, gpus: g) }
        }
        @Sendable func context(withHistory: Bool) -> AdvisorContext {
            let snap = sampler.latest.value?.snapshot
            let o = advisor.optimization
            let h = withHistory ? AdvisorHistory.read(history.store, gpus: snap?.gpu.devices.map(\.index) ?? [], nowMs: time.wallMs()) : [:]
            return AdvisorContext(snapshot: snap, constraints: advisor.constraints, workload: o.workload, settings: o.settings, history: h)
        }

        routes.add(Self.estimateSpec, .inline { input in
            let body = input.body?.objectValue ?? [:]
            let current = advisor.optimization
            let workload = AdvisorJSON.mergeWorkload(current.workload, body)
            if let issue = AdvisorJSON.checkWorkload(workload, body, at: "body.") { return RequestValidator.unprocessable(issue) }
            let settings = AdvisorJSON.mergeSettings(current.settings, body)
            let e = VRAMEstimator.estimate(workload, settings)
            let g = gpus()
            return .json { w in AdvisorJSON.estimate(&w, e, gpus: g, cap: settings.maxVRAMBytes) }
        })

        routes.add(Self.getSpec, .inline { _ in document(advisor.optimization) })

        routes.add(Self.postSpec, .worker { input in
            let body = input.body?.objectValue ?? [:]
            let largest = gpus().map(\.totalBytes).max()
            let result = advisor.updateOptimization(kind: "optimization_updated") { current in
                var next = current
                next.settings = AdvisorJSON.mergeSettings(current.settings, body)
                let wbody = body["workload"]?.objectValue ?? [:]
                next.workload = AdvisorJSON.mergeWorkload(current.workload, wbody)
                if let issue = AdvisorJSON.checkWorkload(next.workload, wbody, at: "body.workload.") { return .failure(.invalid(issue)) }
                if let cap = next.settings.maxVRAMBytes, let largest, cap > largest, body["max_vram_bytes"] != nil {
                    return .failure(.invalid(ValidationIssue(field: "body.max_vram_bytes", value: body["max_vram_bytes"],
                        allowed: "at most \(largest) (the largest GPU's total)",
                        message: "body.max_vram_bytes is above the largest GPU's total of \(largest) bytes")))
                }
                return .success(next)
            }
            return Self.answer(result, document)
        })

        routes.add(Self.presetsSpec, .inline { _ in
            let o = advisor.optimization
            let g = gpus()
            return .json { w in
                w.beginObject()
                w.key("workload"); AdvisorJSON.workload(&w, o.workload)
                w.key("presets"); w.beginArray()
                for p in OptimizationPresets.all {
                    let s = p.applied(to: o.settings)
                    let e = VRAMEstimator.estimate(o.workload, s)
                    w.beginObject()
                    w.field("id", p.id)
                    w.field("description", p.description)
                    w.key("settings"); AdvisorJSON.settings(&w, s)
                    w.key("estimate"); AdvisorJSON.estimate(&w, e, gpus: g, cap: s.maxVRAMBytes)
                    w.field("performance_impact", p.performanceImpact)
                    w.field("quality_impact", p.qualityImpact)
                    w.key("gpus"); w.beginArray()
                    for gpu in g {
                        let f = OptimizationPresets.fit(e, on: gpu, cap: s.maxVRAMBytes)
                        w.beginObject()
                        w.field("gpu", f.gpu); w.field("compatible", f.compatible); w.field("reason", f.reason)
                        w.field("vram_required_bytes", f.requiredBytes); w.field("headroom_bytes", f.headroomBytes)
                        w.endObject()
                    }
                    w.endArray()
                    w.endObject()
                }
                w.endArray()
                w.endObject()
            }
        })

        routes.add(Self.applySpec, .worker { input in
            let id = input.string("id") ?? ""
            guard let preset = OptimizationPresets.named(id) else {
                return .error(404, .notFound, "no preset \(id); presets: \(OptimizationPresets.all.map(\.id).joined(separator: ", "))")
            }
            let force = input.query["force"]?.boolValue ?? false
            let g = gpus()
            let result = advisor.updateOptimization(kind: "preset_applied") { current in
                var next = current
                next.settings = preset.applied(to: current.settings)
                let e = VRAMEstimator.estimate(next.workload, next.settings)
                let fits = g.map { OptimizationPresets.fit(e, on: $0, cap: next.settings.maxVRAMBytes) }
                if !force, !fits.contains(where: \.compatible) {
                    let why = fits.isEmpty ? "no GPU whose memory can be read" : fits.map { "GPU \($0.gpu): \($0.reason)" }.joined(separator: "; ")
                    return .failure(.rejected("\(preset.id) fits no GPU for \(next.workload.model) \(next.workload.width)×\(next.workload.height): \(why)"))
                }
                return .success(next)
            }
            return Self.answer(result, document)
        })

        routes.add(Self.recommendationsSpec, .worker { _ in
            let c = context(withHistory: true)
            let list = Recommendations.make(c)
            let e = c.estimate
            return .json { w in
                w.beginObject()
                w.field("status", list.isEmpty ? "nothing_to_change" : "changes_suggested")
                let message: String
                if !list.isEmpty {
                    message = "\(list.count) change\(list.count == 1 ? "" : "s") suggested, most urgent first"
                } else if let g = c.roomiestGPU {
                    message = "nothing to change: the current settings need \(Bytes.gib(e.peakBytes)) and GPU \(g.index) has \(Bytes.gib(g.freeBytes)) free"
                } else {
                    message = "nothing to change: no GPU memory could be read"
                }
                w.field("message", message)
                w.key("estimate"); AdvisorJSON.estimate(&w, e, gpus: c.gpus, cap: c.settings.maxVRAMBytes)
                w.key("recommendations"); w.beginArray()
                for r in list {
                    w.beginObject()
                    w.field("id", r.id)
                    w.field("priority", r.priority.rawValue)
                    w.field("title", r.title)
                    w.field("detail", r.detail)
                    w.key("figures"); w.beginObject()
                    for (k, v) in r.figures { w.field(k, v) }
                    w.endObject()
                    w.key("change")
                    if let s = r.change { AdvisorJSON.settings(&w, s) } else { w.null() }
                    w.field("estimated_savings_bytes", r.savingsBytes)
                    w.endObject()
                }
                w.endArray()
                w.endObject()
            }
        })

        routes.add(Self.analysisSpec, .worker { _ in
            let c = context(withHistory: true)
            let a = Analysis.make(c)
            return .json { w in
                w.beginObject()
                w.field("score", a.score)
                w.key("parts"); w.beginObject()
                w.field("headroom", a.headroom); w.field("efficiency", a.efficiency); w.field("stability", a.stability)
                w.endObject()
                w.key("current"); AdvisorJSON.settings(&w, a.current)
                w.key("current_estimate"); AdvisorJSON.estimate(&w, a.currentEstimate, gpus: c.gpus, cap: a.current.maxVRAMBytes)
                w.key("recommended")
                if let r = a.recommended {
                    w.beginObject()
                    w.field("preset", r.id)
                    w.key("settings"); AdvisorJSON.settings(&w, r.settings)
                    w.key("estimate"); AdvisorJSON.estimate(&w, r.estimate, gpus: c.gpus, cap: r.settings.maxVRAMBytes)
                    w.endObject()
                } else {
                    w.null()
                }
                w.endObject()
            }
        })
    }

    static func writeOptimization(_ w: inout JSONWriter, _ o: AdvisorState.Optimization, gpus: [GPUMemory]) {
        let e = VRAMEstimator.estimate(o.workload, o.settings)
        var base = OptimizationSettings()
        base.reserveBytes = o.settings.reserveBytes
        let baseline = VRAMEstimator.estimate(o.workload, base).peakBytes
        w.beginObject()
        AdvisorJSON.settingsFields(&w, o.settings)
        w.key("workload"); AdvisorJSON.workload(&w, o.workload)
        w.key("estimate"); AdvisorJSON.estimate(&w, e, gpus: gpus, cap: o.settings.maxVRAMBytes)
        w.field("baseline_peak_bytes", baseline)
        w.field("savings_bytes", Int64(clamping: baseline) - Int64(clamping: e.peakBytes))
        w.endObject()
    }

    static func answer<T>(_ r: Result<T, AdvisorState.UpdateError>, _ ok: (T) -> HTTPResponse) -> HTTPResponse {
        switch r {
        case .success(let v): return ok(v)
        case .failure(.invalid(let issue)): return RequestValidator.unprocessable(issue)
        case .failure(.rejected(let why)): return .error(409, .presetDoesNotFit, why)
        case .failure(.storage(let why)): return .error(507, .saveFailed, "could not store the settings: \(why)")
        }
    }
}
