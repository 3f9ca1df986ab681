import VitalsSupport
import VitalsCore

/// Inputs and answers of the job and activity routes, as their parsers and encoders read
/// and write them.
enum JobSchemas {
    typealias S = SnapshotSchema
    typealias A = AdvisorSchemas

    static let labels = Schema.map(.string(maxLength: 200)).described("free-form string labels")
    static let estimatorModels = ModelFamily.ids.filter { $0 != "custom" }

    static let createBody = A.optionalObject([
        ("name", Schema.string(minLength: 1, maxLength: 200)),
        ("kind", Schema.oneOf(JobKind.allCases.map(\.rawValue)).defaulting(.string("other"))),
        ("pid", Schema.integer(1...4_194_304).described("the job's process; its children count as the job too")),
        ("gpu", Schema.anyOf([Schema.integer(0...63), Schema.string(minLength: 1, maxLength: 96)])
            .described("a GPU index, a GPU UUID, or \"any\" (the GPU with the most free memory that fits)").defaulting(.string("any"))),
        ("vram_bytes", Schema.integer(0...(1 << 50)).described("VRAM the job needs; without it, the estimate of the workload fields")),
        ("model", Schema.oneOf(estimatorModels).described("estimator: model family")),
        ("width", Schema.integer(64...8192)), ("height", Schema.integer(64...8192)),
        ("batch", Schema.integer(1...64)), ("frames", Schema.integer(1...1024)),
    ] + A.knobFields + [
        ("queue", Schema.boolean.described("wait in the queue when it cannot start now (202) instead of a 409").defaulting(.bool(false))),
        ("priority", Schema.integer(-1000...1000).described("higher first; ties by arrival").defaulting(.number(0))),
        ("labels", labels),
    ]).requiring("name")

    static let progressBody = A.optionalObject([
        ("step", Schema.integer(0...(1 << 50))),
        ("total_steps", Schema.integer(1...(1 << 50))),
        ("stage", Schema.string(minLength: 1, maxLength: 100).described("a new name starts a new stage")),
        ("message", Schema.string(maxLength: 1000)),
        ("metrics", Schema.map(Schema.number()).described("numbers the application tracks (loss, it/s, ...)")),
    ])

    static let failBody = A.optionalObject([("error", Schema.string(maxLength: 2000))])

    static let progress = A.requiredObject([
        ("step", S.intOrNull), ("total_steps", S.intOrNull), ("percent", S.num), ("rate_steps_per_s", S.num),
        ("eta_s", S.num), ("stage", S.strOrNull), ("message", S.strOrNull), ("metrics", Schema.map(Schema.number())),
        ("updated_ts", S.int), ("updates", S.int),
    ])

    static let job = A.requiredObject([
        ("id", S.int), ("name", S.str), ("kind", Schema.oneOf(JobKind.allCases.map(\.rawValue))),
        ("state", Schema.oneOf(JobState.allCases.map(\.rawValue))), ("pid", S.intOrNull),
        ("requested_gpu", S.str), ("gpu", S.intOrNull), ("gpu_uuid", S.strOrNull), ("vram_bytes", A.bytes),
        ("priority", S.int), ("labels", Schema.map(S.str)), ("queue_position", S.intOrNull),
        ("reservation", A.requiredObject([
            ("gpu", S.int), ("bytes", A.bytes), ("held_bytes", A.bytes), ("outstanding_bytes", A.bytes),
            ("active", .boolean), ("released_because", Schema.oneOf(["held", "ended", "expired"]).orNull),
        ]).orNull),
        ("progress", progress.orNull),
        ("stages", .array(A.requiredObject([("name", S.str), ("started_ts", S.int), ("ended_ts", S.intOrNull), ("duration_ms", S.intOrNull)]))),
        ("peak_vram_bytes", S.intOrNull), ("created_ts", S.int), ("started_ts", S.intOrNull), ("ended_ts", S.intOrNull),
        ("duration_ms", S.intOrNull), ("error", S.strOrNull),
    ])

    static let jobList = A.requiredObject([("jobs", .array(job)), ("next_before", S.intOrNull)])

    static let issue = A.requiredObject([
        ("resource", Schema.oneOf(ResourceConstraints.resources + ["jobs"])), ("figure", Schema.number()), ("limit", Schema.number()),
        ("unit", Schema.oneOf(["bytes", "percent", "celsius", "jobs"])), ("message", S.str),
    ])

    /// 409: the error, with the resource check's reasons beside it.
    static let refusal = A.requiredObject([
        ("error", A.requiredObject([("code", Schema.oneOf(["job_refused"])), ("message", S.str), ("details", Schema.map(.anything))])),
        ("required_bytes", A.bytes), ("gpu", S.intOrNull),
        ("blocking_issues", .array(issue)), ("warnings", .array(issue)),
        ("suggestions", .array(A.requiredObject([("message", S.str), ("preset", S.strOrNull), ("peak_bytes", S.intOrNull)]))),
    ])

    static let activityEntry = A.requiredObject([
        ("id", S.int), ("ts", S.int), ("timestamp", S.time), ("kind", S.str), ("message", S.str), ("labels", Schema.map(S.str)),
    ])
    static let activityList = A.requiredObject([("activity", .array(activityEntry)), ("next_before", S.intOrNull)])
    static let activityBody = A.optionalObject([
        ("kind", Schema.string(minLength: 1, maxLength: 64).described("what happened, e.g. model_deployed")),
        ("message", Schema.string(minLength: 1, maxLength: 1000)),
        ("labels", labels),
    ]).requiring("kind", "message")
}

extension Schema {
    /// The same object with these properties required.
    func requiring(_ names: String...) -> Schema {
        guard case .object(let props, let extra) = kind else { return self }
        var s = self
        s.kind = .object(properties: props.map { p in names.contains(p.name) ? .init(name: p.name, schema: p.schema, required: true) : p }, extra: extra)
        return s
    }
}
