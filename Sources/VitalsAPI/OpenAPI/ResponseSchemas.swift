import VitalsSupport

/// Shapes of the JSON answers other than the snapshot, as their encoders write them.
enum ResponseSchemas {
    typealias S = SnapshotSchema

    /// `{"error": {"code", "message", "details"}}`: the one error shape (a component in OpenAPI).
    static let error = Schema.object([
        "error": .object(["code": S.str, "message": S.str], optional: [
            // field/value/allowed for validation errors; other keys where a route says more.
            "details": .map(.anything),
        ]),
    ])

    static let service = Schema.object([
        "name": S.str, "target": S.str, "status": .oneOf(["up", "down", "unknown"]), "latency_ms": S.num,
        "last_error": S.strOrNull, "since": S.time.orNull, "last_check": S.time.orNull,
    ])

    static let health = Schema.object([
        "status": .oneOf(["ok", "warning", "degraded", "critical"]),
        "score": Schema.integer(0...100),
        "timestamp": S.time,
        "components": .object([
            "sampler": .object([
                "status": .oneOf(["ok", "stale"]), "last_tick_age_ms": S.intOrNull, "interval_ms": S.int,
                "ticks": S.int, "last_cost_us": S.num, "avg_cost_us": S.num,
                "collectors": .array(.object(["name": S.str, "success": .boolean, "duration_us": S.num])),
            ]),
            "database": .object([
                "status": .oneOf(["ok", "failing"]), "writable": .boolean, "path": S.strOrNull,
                "last_error": S.strOrNull, "last_flush_ts": S.intOrNull, "pending_samples": S.intOrNull,
                "last_failure": S.strOrNull, "last_failure_ts": S.intOrNull, "memory_bytes": S.intOrNull,
            ]),
            "gpu": .anyOf([
                .object(["status": .oneOf(["unknown"]), "available": .constant(false)]),
                .object(["status": .oneOf(["unavailable"]), "available": .constant(false), "reason": S.str]),
                .object(["status": .oneOf(["ok"]), "available": .constant(true), "count": S.int, "driver_version": S.strOrNull]),
            ]),
            "daemon": .object(["status": .oneOf(["ok"]), "version": S.str, "uptime_s": S.num, "rss_bytes": S.intOrNull]),
        ], optional: [
            // Written by the daemon's health route (absent where no server runs).
            "connections": .object([
                "status": .oneOf(["ok", "pressure", "exhausted"]), "open": S.int, "output_bytes": S.int,
                "max_output_bytes": S.int, "buffer_bytes": S.int,
            ]),
            "services": .array(service),
            "jobs": .object([
                "status": .oneOf(["ok"]), "running": S.int, "queued": S.int, "admitted_total": S.int, "refused_total": S.int,
                "ended_total": .map(S.int), "completed_last_hour": S.int, "reserved_bytes": .map(S.int),
            ]),
        ]),
        "forecast": Schema.object(["rule": S.str, "subject": S.str, "hours_left": S.num]).orNull,
        "warnings": .array(.object([
            "component": S.str, "severity": .oneOf(["warning", "critical"]), "message": S.str, "suggestion": S.str,
        ])),
    ])

    static let history = Schema.object([
        "from": S.int, "to": S.int, "from_iso": S.time, "to_iso": S.time, "tier": S.str, "bucket_ms": S.int,
        "points": S.int,
        "series": .map(.array(.object(["t": S.int, "avg": S.num, "min": S.num, "max": S.num]))),
    ])

    static let savedSample = Schema.object(["id": S.int, "ts": S.int, "timestamp": S.time, "label": S.strOrNull])
    static let savedList = Schema.object(["saved": .array(savedSample)])

    static let processes = Schema.object([
        "timestamp": S.time, "sort": .oneOf(["cpu", "memory", "gpu_memory"]), "limit": S.int,
        "gpu_memory_available": .boolean,
        "processes": .array(.object([
            "pid": S.int, "name": S.str, "user": S.str, "cpu_percent": S.num, "rss_bytes": S.int,
            "gpu_memory_bytes": S.intOrNull, "container_id": S.strOrNull, "command": S.strOrNull,
        ])),
    ])

    static let processGroups = Schema.object([
        "timestamp": S.time, "group": .oneOf(["unit", "container"]), "limit": S.int, "gpu_memory_available": .boolean,
        "groups": .array(.object([
            "name": S.str, "processes": S.int, "cpu_percent": S.num, "rss_bytes": S.int, "gpu_memory_bytes": S.intOrNull,
            "pids": .array(S.int),
        ])),
    ])

    static let webSocketStats = Schema.object([
        "open_connections": S.int, "accepted_connections": S.int, "subscribers": .map(S.int),
        "messages_sent": S.int, "bytes_sent": S.int, "messages_received": S.int, "conflated_snapshots": S.int,
        "event_queue_overflows": S.int, "heartbeat_timeouts": S.int, "closes_by_code": .map(S.int),
        "fanout": .object(["count": S.int, "last_us": S.int, "max_us": S.int, "last_start_lag_us": S.int]),
    ])

    static let index = Schema.object([
        "name": S.str, "version": S.str,
        "routes": .array(.object(["method": S.str, "path": S.str, "auth": .oneOf(["read", "admin", "job", "none"])])),
    ])

    static let openAPI = Schema(.object(properties: [
        .init(name: "openapi", schema: .oneOf(["3.1.0"]), required: true),
        .init(name: "info", schema: .map(.anything), required: true),
        .init(name: "paths", schema: .map(.anything), required: true),
    ], extra: .anything))
}
