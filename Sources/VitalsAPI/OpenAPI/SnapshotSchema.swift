import VitalsSupport

/// The shape of a snapshot as SnapshotJSON writes it (`GET /api/v1/system/stats`, saved
/// samples, the `system_stats` topic). Every measured double may be `null`: the writer
/// turns an unknown or non-finite value into null rather than dropping the key.
enum SnapshotSchema {
    static let num = Schema.number().orNull
    static let int = Schema.integer()
    static let intOrNull = Schema.integer().orNull
    static let str = Schema.string()
    static let strOrNull = Schema.string().orNull
    static let time = Schema.string(format: "date-time")

    static let cpu = Schema.object([
        "percent": num, "user": num, "system": num, "iowait": num, "steal": num, "guest": num, "idle": num,
        "per_core": .array(.object(["cpu": int, "percent": num, "user": num, "system": num, "iowait": num])),
        "load": .object(["1m": num, "5m": num, "15m": num, "running": intOrNull, "blocked": intOrNull, "tasks": intOrNull]),
    ])

    static let host = Schema.object([
        "hostname": str, "kernel": str, "cpu_model": str, "cpu_count": int, "cpu_online": int,
        "boot_time": intOrNull, "uptime_s": num,
    ])

    static let memory = Schema.object([
        "total": intOrNull, "available": intOrNull, "used": intOrNull, "free": intOrNull,
        "cached": intOrNull, "buffers": intOrNull, "percent": num,
    ])
    static let swap = Schema.object(["total": intOrNull, "used": intOrNull, "free": intOrNull, "percent": num])

    static let filesystem = Schema.object([
        "mount": str, "device": str, "fstype": str, "total": int, "used": int, "free": int, "percent": num,
    ])

    static let diskIO = Schema.object([
        "read_bytes_per_s": num, "write_bytes_per_s": num, "reads_per_s": num, "writes_per_s": num, "busy_percent": num,
        "devices": .array(.object([
            "name": str, "read_bytes_per_s": num, "write_bytes_per_s": num, "reads_per_s": num, "writes_per_s": num,
            "busy_percent": num,
        ])),
    ])

    static let network = Schema.object([
        "rx_bytes_per_s": num, "tx_bytes_per_s": num, "rx_packets_per_s": num, "tx_packets_per_s": num,
        "interfaces": .array(.object([
            "name": str, "virtual": .boolean, "rx_bytes_per_s": num, "tx_bytes_per_s": num,
            "rx_packets_per_s": num, "tx_packets_per_s": num,
        ])),
    ])

    static let gpuDevice = Schema.object([
        "index": int, "name": strOrNull, "uuid": strOrNull, "pci_bus_id": strOrNull,
        "state": .oneOf(["active", "asleep"]),
        "utilization": .object(["gpu": num, "memory": num]),
        "memory": .object(["total": intOrNull, "used": intOrNull, "free": intOrNull, "reserved": intOrNull, "percent": num]),
        "temperature_c": num, "fan_percent": num,
        "power": .object(["draw_w": num, "limit_w": num]),
        "clocks": .object(["sm_mhz": intOrNull, "sm_max_mhz": intOrNull, "mem_mhz": intOrNull, "mem_max_mhz": intOrNull]),
        "performance_state": strOrNull,
        "processes": Schema.array(.object([
            "pid": int, "name": strOrNull, "used_memory": intOrNull, "type": .oneOf(["compute", "graphics", "compute+graphics"]),
        ])).orNull,
    ])

    /// `{"available": false, "reason": ...}` without a driver, the devices with one.
    static let gpu = Schema.anyOf([
        .object(["available": .constant(false), "reason": str]),
        .object([
            "available": .constant(true), "driver_version": strOrNull, "cuda_driver_version": strOrNull,
            "nvml_version": strOrNull, "count": int, "devices": .array(gpuDevice),
        ]),
    ])

    static let snapshot = Schema.object([
        "seq": int, "ts": int, "timestamp": time, "interval_ms": num,
        "host": host, "cpu": cpu, "memory": memory, "swap": swap,
        "filesystems": .array(filesystem), "disk_io": diskIO, "network": network, "gpu": gpu,
    ], optional: [
        // Present only when a reader failed this tick.
        "errors": .array(str),
    ])
}
