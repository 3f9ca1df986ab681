import VitalsSupport
import VitalsCore

/// Inputs and answers of the GPU memory advisor's routes, as their parsers and encoders
/// read and write them.
enum AdvisorSchemas {
    typealias S = SnapshotSchema

    static func optionalObject(_ props: [(String, Schema)]) -> Schema {
        Schema(.object(properties: props.map { .init(name: $0.0, schema: $0.1, required: false) }, extra: nil))
    }
    static func requiredObject(_ props: [(String, Schema)]) -> Schema {
        Schema(.object(properties: props.map { .init(name: $0.0, schema: $0.1, required: true) }, extra: nil))
    }

    static let bytes = Schema.integer(0...Int64.max)
    static let maxParameters: Int64 = 1_000_000_000_000

    static let component = requiredObject([
        ("name", Schema.string(minLength: 1, maxLength: 64)),
        ("parameters", Schema.integer(1...maxParameters).described("parameter count")),
        ("role", Schema.oneOf(ComponentRole.allCases.map(\.rawValue))
            .described("denoiser and large_text_encoder are quantized; text_encoder and vae stay 16-bit")),
    ])

    // MARK: inputs

    static let workloadFields: [(String, Schema)] = [
        ("model", Schema.oneOf(ModelFamily.ids).described("model family; custom takes components")),
        ("components", Schema.array(component, maxItems: 16).described("the custom family's components")),
        ("width", Schema.integer(64...8192).described("output width in pixels")),
        ("height", Schema.integer(64...8192).described("output height in pixels")),
        ("batch", Schema.integer(1...64)),
        ("frames", Schema.integer(1...1024).described("video frames; 1 for an image")),
    ]
    static let knobFields: [(String, Schema)] = [
        ("quantization", Schema.oneOf(Quantization.allCases.map(\.rawValue))),
        ("offload", Schema.oneOf(Offload.allCases.map(\.rawValue))),
        ("vae_tiling", Schema.boolean),
        ("vae_tile_size", Schema.integer(128...512).multiple(of: 64).described("tile side in pixels")),
    ]
    /// Settings beyond the knobs a preset sets.
    static let limitFields: [(String, Schema)] = [
        ("max_vram_bytes", Schema.integer(1...(1 << 50)).orNull.described("a cap on a job's VRAM, at most the GPU's total; null: none")),
        ("reserve_bytes", Schema.integer(0...(16 << 30)).described("CUDA context and fragmentation (ComfyUI reserves 400 MiB)")),
    ]

    static let estimateBody = optionalObject(workloadFields + knobFields)
    static let workloadInput = optionalObject(workloadFields)
    static let optimizationBody = optionalObject(knobFields + limitFields + [("workload", workloadInput)])

    static let levelsInput = optionalObject([
        ("warning_percent", Schema.number(min: 0, max: 100, exclusiveMin: true)),
        ("critical_percent", Schema.number(min: 0, max: 100, exclusiveMin: true)),
    ])
    static let temperatureInput = optionalObject([
        ("warning_celsius", Schema.number(min: 0, max: 150, exclusiveMin: true)),
        ("critical_celsius", Schema.number(min: 0, max: 150, exclusiveMin: true)),
    ])
    static let constraintsBody = optionalObject([
        ("vram", levelsInput), ("ram", levelsInput), ("cpu", levelsInput), ("disk", levelsInput),
        ("gpu_temperature", temperatureInput),
        ("max_concurrent_jobs", Schema.integer(1...64)),
    ])

    // MARK: answers

    static let estimate = requiredObject([
        ("peak_bytes", bytes),
        ("breakdown", requiredObject([
            ("weights_bytes", bytes), ("working_bytes", bytes), ("vae_decode_bytes", bytes), ("reserve_bytes", bytes),
        ])),
        ("relative_time", Schema.number(min: 0)),
        ("vae_tiled", Schema.boolean),
        ("fits", .array(requiredObject([("gpu", S.int), ("free_bytes", bytes), ("total_bytes", bytes), ("fits", .boolean)]))),
    ])
    static let workload = requiredObject([
        ("model", Schema.oneOf(ModelFamily.ids)), ("components", .array(component)),
        ("width", S.int), ("height", S.int), ("batch", S.int), ("frames", S.int),
    ])
    static let settingsFields: [(String, Schema)] = [
        ("quantization", Schema.oneOf(Quantization.allCases.map(\.rawValue))),
        ("offload", Schema.oneOf(Offload.allCases.map(\.rawValue))),
        ("vae_tiling", .boolean), ("vae_tile_size", S.int),
        ("max_vram_bytes", Schema.integer(0...Int64.max).orNull), ("reserve_bytes", bytes),
    ]
    static let settings = requiredObject(settingsFields)
    static let optimization = requiredObject(settingsFields + [
        ("workload", workload), ("estimate", estimate),
        ("baseline_peak_bytes", bytes.described("the same workload in fp16, everything resident, untiled")),
        ("savings_bytes", Schema.integer().described("baseline peak minus this peak")),
    ])
    static let presets = requiredObject([
        ("workload", workload),
        ("presets", .array(requiredObject([
            ("id", S.str), ("description", S.str), ("settings", settings), ("estimate", estimate),
            ("performance_impact", S.str), ("quality_impact", S.str),
            ("gpus", .array(requiredObject([
                ("gpu", S.int), ("compatible", .boolean), ("reason", S.str),
                ("vram_required_bytes", bytes), ("headroom_bytes", Schema.integer()),
            ]))),
        ]))),
    ])
    static let recommendations = requiredObject([
        ("status", Schema.oneOf(["nothing_to_change", "changes_suggested"])),
        ("message", S.str),
        ("estimate", estimate),
        ("recommendations", .array(requiredObject([
            ("id", S.str), ("priority", Schema.oneOf(Recommendation.Priority.allCases.map(\.rawValue))),
            ("title", S.str), ("detail", S.str), ("figures", .map(S.num)),
            ("change", settings.orNull), ("estimated_savings_bytes", Schema.integer()),
        ]))),
    ])
    static let analysis = requiredObject([
        ("score", Schema.integer(0...100)),
        ("parts", requiredObject([("headroom", Schema.integer(0...40)), ("efficiency", Schema.integer(0...30)),
                                  ("stability", Schema.integer(0...30))])),
        ("current", settings), ("current_estimate", estimate),
        ("recommended", requiredObject([("preset", S.str), ("settings", settings), ("estimate", estimate)]).orNull),
    ])
    static let levels = requiredObject([("warning_percent", Schema.number()), ("critical_percent", Schema.number())])
    static let constraints = requiredObject([
        ("vram", levels), ("ram", levels), ("cpu", levels), ("disk", levels),
        ("gpu_temperature", requiredObject([("warning_celsius", Schema.number()), ("critical_celsius", Schema.number())])),
        ("max_concurrent_jobs", S.int),
    ])
    static let issue = requiredObject([
        ("resource", Schema.oneOf(ResourceConstraints.resources)), ("figure", Schema.number()), ("limit", Schema.number()),
        ("unit", Schema.oneOf(["bytes", "percent", "celsius"])), ("message", S.str),
    ])
    static let resourceCheck = requiredObject([
        ("allowed", .boolean), ("gpu", S.intOrNull), ("required_bytes", bytes),
        ("blocking_issues", .array(issue)), ("warnings", .array(issue)),
        ("suggestions", .array(requiredObject([("message", S.str), ("preset", S.strOrNull), ("peak_bytes", S.intOrNull)]))),
    ])
}
