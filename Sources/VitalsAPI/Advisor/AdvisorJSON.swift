import VitalsSupport
import VitalsCore

/// The advisor's types to and from JSON. Request bodies and the documents kept in the
/// settings table share one shape, so one merge reads both.
enum AdvisorJSON {
    // MARK: writing

    static func estimate(_ w: inout JSONWriter, _ e: VRAMEstimate, gpus: [GPUMemory], cap: UInt64?) {
        w.beginObject()
        w.field("peak_bytes", e.peakBytes)
        w.key("breakdown"); w.beginObject()
        w.field("weights_bytes", e.weightsBytes)
        w.field("working_bytes", e.workingBytes)
        w.field("vae_decode_bytes", e.vaeDecodeBytes)
        w.field("reserve_bytes", e.reserveBytes)
        w.endObject()
        w.field("relative_time", e.relativeTime, decimals: 2)
        w.field("vae_tiled", e.tiled)
        w.key("fits"); w.beginArray()
        for f in VRAMEstimator.fits(e, gpus: gpus, cap: cap) {
            w.beginObject()
            w.field("gpu", f.gpu); w.field("free_bytes", f.freeBytes); w.field("total_bytes", f.totalBytes); w.field("fits", f.fits)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// The settings' fields, into an object the caller has begun.
    static func settingsFields(_ w: inout JSONWriter, _ s: OptimizationSettings) {
        w.field("quantization", s.quantization.rawValue)
        w.field("offload", s.offload.rawValue)
        w.field("vae_tiling", s.vaeTiling)
        w.field("vae_tile_size", s.vaeTileSize)
        w.field("max_vram_bytes", s.maxVRAMBytes)
        w.field("reserve_bytes", s.reserveBytes)
    }

    static func settings(_ w: inout JSONWriter, _ s: OptimizationSettings) {
        w.beginObject(); settingsFields(&w, s); w.endObject()
    }

    static func workload(_ w: inout JSONWriter, _ l: Workload) {
        w.beginObject()
        w.field("model", l.model)
        w.key("components"); w.beginArray()
        for c in l.components {
            w.beginObject()
            w.field("name", c.name); w.field("parameters", Int64(c.parameters)); w.field("role", c.role.rawValue)
            w.endObject()
        }
        w.endArray()
        w.field("width", l.width); w.field("height", l.height); w.field("batch", l.batch); w.field("frames", l.frames)
        w.endObject()
    }

    /// What is persisted: the settings and the workload they are for.
    static func document(_ s: OptimizationSettings, _ l: Workload) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.beginObject(); settingsFields(&w, s); w.key("workload"); workload(&w, l); w.endObject()
        return w.bytes
    }

    static func constraints(_ c: ResourceConstraints) -> [UInt8] {
        var w = JSONWriter(capacity: 384)
        w.beginObject()
        for r in ResourceConstraints.resources {
            let l = c.levels(r)!
            let unit = r == "gpu_temperature" ? "celsius" : "percent"
            w.key(r); w.beginObject()
            w.field("warning_\(unit)", l.warning, decimals: 6)
            w.field("critical_\(unit)", l.critical, decimals: 6)
            w.endObject()
        }
        w.field("max_concurrent_jobs", c.maxConcurrentJobs)
        w.endObject()
        return w.bytes
    }

    // MARK: reading (input the route schemas accepted, or a stored document)

    static func mergeWorkload(_ l: Workload, _ o: [String: JSONValue]) -> Workload {
        var out = l
        if let m = o["model"]?.stringValue, ModelFamily.ids.contains(m) { out.model = m }
        if let list = o["components"]?.arrayValue {
            out.components = list.compactMap { c in
                guard let name = c["name"]?.stringValue, let p = c["parameters"]?.doubleValue, p >= 1,
                      let role = c["role"]?.stringValue.flatMap(ComponentRole.init(rawValue:)) else { return nil }
                return ModelComponent(name, p, role)
            }
        }
        if let v = o["width"]?.intValue, (64...8192).contains(v) { out.width = v }
        if let v = o["height"]?.intValue, (64...8192).contains(v) { out.height = v }
        if let v = o["batch"]?.intValue, (1...64).contains(v) { out.batch = v }
        if let v = o["frames"]?.intValue, (1...1024).contains(v) { out.frames = v }
        return out
    }

    static func mergeSettings(_ s: OptimizationSettings, _ o: [String: JSONValue]) -> OptimizationSettings {
        var out = s
        if let q = o["quantization"]?.stringValue.flatMap(Quantization.init(rawValue:)) { out.quantization = q }
        if let v = o["offload"]?.stringValue.flatMap(Offload.init(rawValue:)) { out.offload = v }
        if let v = o["vae_tiling"]?.boolValue { out.vaeTiling = v }
        if let v = o["vae_tile_size"]?.intValue, (128...512).contains(v), v % 64 == 0 { out.vaeTileSize = v }
        if let v = o["max_vram_bytes"] {
            if case .null = v { out.maxVRAMBytes = nil } else if let n = v.intValue, n > 0 { out.maxVRAMBytes = UInt64(n) }
        }
        if let v = o["reserve_bytes"]?.intValue, v >= 0 { out.reserveBytes = UInt64(v) }
        return out
    }

    /// The custom family needs components; the named families bring their own.
    static func checkWorkload(_ l: Workload, _ o: [String: JSONValue], at prefix: String) -> ValidationIssue? {
        if l.model == "custom", !l.components.contains(where: { $0.role == .denoiser }) {
            return ValidationIssue(field: "\(prefix)components", value: o["components"], allowed: "a list with at least one denoiser",
                                   message: "\(prefix)components: the custom model needs its components, at least one with role denoiser")
        }
        if l.model != "custom", o["components"] != nil {
            return ValidationIssue(field: "\(prefix)components", value: o["components"], allowed: "components only with model custom",
                                   message: "\(prefix)components is only for model custom; \(l.model) has its own")
        }
        return nil
    }

    static func mergeConstraints(_ c: ResourceConstraints, _ o: [String: JSONValue]) -> Result<ResourceConstraints, ValidationIssue> {
        var out = c
        for r in ResourceConstraints.resources {
            guard let part = o[r]?.objectValue else { continue }
            let unit = r == "gpu_temperature" ? "celsius" : "percent"
            var l = out.levels(r)!
            if let v = part["warning_\(unit)"]?.doubleValue { l.warning = v }
            if let v = part["critical_\(unit)"]?.doubleValue { l.critical = v }
            guard l.warning < l.critical else {
                let field = part["warning_\(unit)"] != nil ? "warning_\(unit)" : "critical_\(unit)"
                return .failure(ValidationIssue(field: "body.\(r).\(field)", value: part[field],
                                                allowed: "warning below critical",
                                                message: "body.\(r): warning (\(Schema.trim(l.warning))) must be below critical (\(Schema.trim(l.critical)))"))
            }
            out.setLevels(r, l)
        }
        if let n = o["max_concurrent_jobs"]?.intValue, n >= 1 { out.maxConcurrentJobs = n }
        return .success(out)
    }

    /// A resource check's blocking issues, warnings and suggestions, into an open object:
    /// the resource-check answer and a refused job's 409 carry the same three lists.
    static func writeFindings(_ r: ResourceCheckResult, into w: inout JSONWriter) {
        for (key, list) in [("blocking_issues", r.blocking), ("warnings", r.warnings)] {
            w.key(key); w.beginArray()
            for i in list {
                w.beginObject()
                w.field("resource", i.resource); w.field("figure", i.figure, decimals: 1); w.field("limit", i.limit, decimals: 1)
                w.field("unit", i.unit); w.field("message", i.message)
                w.endObject()
            }
            w.endArray()
        }
        w.key("suggestions"); w.beginArray()
        for s in r.suggestions {
            w.beginObject(); w.field("message", s.message); w.field("preset", s.preset); w.field("peak_bytes", s.peakBytes); w.endObject()
        }
        w.endArray()
    }
}
