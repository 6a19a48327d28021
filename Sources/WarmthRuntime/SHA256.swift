import CCrypto
import Foundation

/// SHA-256 through the system's libcrypto, as lower-case hex.
public enum SHA256 {
    public static func hex(_ data: Data) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        let ok = data.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { warmth_sha256(raw.baseAddress, raw.count, $0.baseAddress) }
        }
        precondition(ok == 1, "libcrypto's SHA-256 failed")
        return out.map { String(format: "%02x", $0) }.joined()
    }

    public static func hex(_ text: String) -> String { hex(Data(text.utf8)) }
}
