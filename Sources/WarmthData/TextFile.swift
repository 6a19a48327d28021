import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The text files units keep: CSV saved by Excel or WPS as UTF-8 (with or without a BOM), or
/// GB18030, which Chinese Windows writes by default. `CSVStream` reads them in chunks.
public enum TextFile {
    public enum Encoding: String, Sendable { case utf8 = "UTF-8", utf8BOM = "UTF-8 (BOM)", gb18030 = "GB18030" }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Encode text as GB18030 (for tests and for files meant for Chinese Windows).
    public static func gb18030Bytes(_ text: String) -> [UInt8]? {
        convert(Array(text.utf8), from: "UTF-8", to: "GB18030")
    }

    /// Convert all of `bytes` between two encodings with iconv; nil when any byte does not
    /// convert. Neither direction between UTF-8 and GB18030 more than doubles the size.
    static func convert(_ bytes: [UInt8], from source: String, to target: String) -> [UInt8]? {
        let cd = iconv_open(target, source)
        guard let cd, Int(bitPattern: cd) != -1 else { return nil }
        defer { iconv_close(cd) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
        let written = input.withUnsafeMutableBufferPointer { inBuf -> Int? in
            output.withUnsafeMutableBufferPointer { outBuf -> Int? in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inLeft = inBuf.count
                var outLeft = outBuf.count
                guard iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) != -1, inLeft == 0 else { return nil }
                return outBuf.count - outLeft
            }
        }
        return written.map { Array(output[..<$0]) }
    }
}
