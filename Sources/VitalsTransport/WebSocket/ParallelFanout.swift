import Glibc
import Dispatch
import CLinux

/// Writes one shared frame to many idle sockets of one loop from several threads at once.
///
/// A broadcast is one send(2) per subscriber, and on loopback the kernel does the
/// receiver's TCP work and wake-up inside that call: about 8-15 µs each, so 10,000
/// subscribers take over 100 ms from one thread. The loop thread (which owns the
/// connections) stays blocked in `concurrentPerform` while the writes run, so no other
/// code touches those connections meanwhile; each socket is written by one thread only,
/// and only sockets with nothing else queued take part, so frames never interleave.
/// Partial writes and errors are handed back to each connection on the loop thread.
enum ParallelFanout {
    /// Below this many subscribers one thread finishes within ~20 ms and leaves the other
    /// cores to whoever reads the frames (on a workstation, often on the same machine);
    /// above it, a serial fan-out would take longer than the readers need.
    static let defaultThreshold = 2048
    static let parallelism = max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    /// Sends `frame` on every fd; `results[i]`/`errors[i]` get send(2)'s outcome for `fds[i]`.
    static func send(_ frame: [UInt8], to fds: [Int32], results: inout [Int], errors: inout [Int32]) {
        let n = fds.count
        let chunks = min(n, parallelism * 4)
        frame.withUnsafeBytes { f in
            fds.withUnsafeBufferPointer { fdp in
                results.withUnsafeMutableBufferPointer { rp in
                    errors.withUnsafeMutableBufferPointer { ep in
                        // Disjoint index ranges per chunk: no two threads write the same slot.
                        let shared = Shared(frame: f, fds: fdp, results: rp, errors: ep)
                        DispatchQueue.concurrentPerform(iterations: chunks) { k in
                            let lo = n * k / chunks, hi = n * (k + 1) / chunks
                            for i in lo..<hi {
                                let r = Glibc.send(shared.fds[i], shared.frame.baseAddress, shared.frame.count,
                                                   Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                                shared.results[i] = r
                                shared.errors[i] = r < 0 ? errno : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// The buffers the writer threads share; sound because each index is written by one thread
    /// and the caller waits for all of them before reading.
    private struct Shared: @unchecked Sendable {
        let frame: UnsafeRawBufferPointer
        let fds: UnsafeBufferPointer<Int32>
        let results: UnsafeMutableBufferPointer<Int>
        let errors: UnsafeMutableBufferPointer<Int32>
    }
}
