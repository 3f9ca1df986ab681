import Glibc

// One executable for every parser, chosen by VITALS_FUZZ_TARGET, rather than one per
// parser: the sanitizer build recompiles every module (minutes on two cores), and one
// build shared by seventeen harnesses keeps `make fuzz-ci` inside its CI budget.

let selected: FuzzTarget = {
    let names = allTargets.map(\.name).joined(separator: " ")
    guard let raw = getenv("VITALS_FUZZ_TARGET") else {
        FuzzTarget.fail("set VITALS_FUZZ_TARGET to one of: \(names)")
    }
    let wanted = String(cString: raw)
    guard let t = allTargets.first(where: { $0.name == wanted }) else {
        FuzzTarget.fail("unknown VITALS_FUZZ_TARGET \(wanted); known: \(names)")
    }
    return t
}()

/// libFuzzer calls this once before any input: a wrong target name fails at once.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    _ = selected
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // An empty input may come with a null pointer; hand the harness a valid empty buffer.
    guard let data, size > 0 else {
        withUnsafeBytes(of: ()) { selected.run(UnsafeRawBufferPointer(rebasing: $0[0..<0])) }
        return 0
    }
    selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
