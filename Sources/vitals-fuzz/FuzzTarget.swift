import Glibc

/// One parser under test: its name (also its corpus folder, Tests/Fuzz/corpus/<name>) and
/// what it does with one input. A broken oracle calls `FuzzTarget.fail`, which aborts, so
/// libFuzzer records the input as a crash like any memory error.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable (UnsafeRawBufferPointer) -> Void

    static func fail(_ what: String) -> Never {
        let line = "vitals-fuzz: oracle failed: \(what)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        abort()
    }
}

/// Every harness, in the order `make fuzz` runs them.
let allTargets: [FuzzTarget] = [
    HTTPFuzz.request, HTTPFuzz.chunked,
    WebSocketFuzz.frames, UTF8Fuzz.validator,
    JSONFuzz.roundTrip, SchemaFuzz.routes, ConfigFuzz.file,
] + ProcFuzz.all
