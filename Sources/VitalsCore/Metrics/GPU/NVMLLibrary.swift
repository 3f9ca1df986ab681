import VitalsSupport
import CNVML

/// One loaded libnvidia-ml: a thin owner of the C loader's handle.
/// Not thread-safe; the reader that owns it uses it from one thread.
final class NVMLLibrary {
    let handle: OpaquePointer

    /// Loads the library, or throws why it could not (the dlopen text, made readable).
    init(path: String?) throws(NVMLFailure) {
        let display = path ?? "libnvidia-ml.so.1"
        var err = [CChar](repeating: 0, count: 512)
        let lib: OpaquePointer? = err.withUnsafeMutableBufferPointer { buf in
            if let path { return cnvml_open(path, buf.baseAddress, buf.count) }
            return cnvml_open(nil, buf.baseAddress, buf.count)
        }
        guard let lib else {
            let text = String(decoding: err.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "No such file" is the normal case on a machine without the driver: say it plainly.
            if text.contains("No such file or directory") {
                throw NVMLFailure(reason: "\(display) not found")
            }
            throw NVMLFailure(reason: text.isEmpty ? "cannot load \(display)" : text)
        }
        handle = lib
    }

    deinit { cnvml_close(handle) }

    func errorString(_ rc: Int32) -> String {
        String(cString: cnvml_error_string(handle, rc))
    }

    /// The symbol bound for one of the loader's functions, e.g. "nvmlInit_v2".
    func boundSymbol(_ function: String) -> String? {
        guard let s = cnvml_bound_symbol(handle, function) else { return nil }
        return String(cString: s)
    }
}

/// Why NVML gave no figures; `reason` is what the API shows.
struct NVMLFailure: Error, Equatable {
    var reason: String
}

/// NVML return codes the reader acts on (values from nvml.h).
enum NVMLCode {
    static let success: Int32 = 0
    static let uninitialized: Int32 = 1
    static let driverNotLoaded: Int32 = 9
    static let gpuIsLost: Int32 = 15
    static let libRMVersionMismatch: Int32 = 18

    /// Codes after which NVML must be shut down and initialised again: the driver went
    /// away, was upgraded underneath us, or the GPU fell off the bus.
    static func isLifecycle(_ rc: Int32) -> Bool {
        rc == uninitialized || rc == driverNotLoaded || rc == gpuIsLost || rc == libRMVersionMismatch
    }
}

/// Text of a fixed-size C char array imported as a tuple, up to its first NUL.
func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}
