import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads the text files units keep: CSV saved by Excel or WPS as UTF-8 (with or without a BOM),
/// or GB18030, which Chinese Windows writes by default.
public enum TextFile {
    public enum Encoding: String, Sendable { case utf8 = "UTF-8", utf8BOM = "UTF-8 (BOM)", gb18030 = "GB18030" }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The file's text and the encoding it was in.
    public static func read(_ path: String) throws(Failure) -> (text: String, encoding: Encoding) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(path): cannot read the file: check the path and that you may read it")
        }
        return try decode(Array(data), name: path)
    }

    public static func decode(_ bytes: [UInt8], name: String) throws(Failure) -> (text: String, encoding: Encoding) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            guard let s = String(validating: bytes.dropFirst(3), as: UTF8.self) else {
                throw Failure(description: "\(name): the file starts as UTF-8 but is not valid UTF-8 further on: save it again as 'CSV UTF-8'")
            }
            return (s, .utf8BOM)
        }
        if let s = String(validating: bytes, as: UTF8.self) { return (s, .utf8) }
        if let s = gb18030ToString(bytes) { return (s, .gb18030) }
        throw Failure(description: "\(name): the file is neither UTF-8 nor GB18030 text: save it from Excel or WPS as 'CSV UTF-8'")
    }

    /// Convert GB18030 bytes with the C library's iconv; nil when they are not GB18030.
    static func gb18030ToString(_ bytes: [UInt8]) -> String? {
        convert(bytes, from: "GB18030", to: "UTF-8").flatMap { String(validating: $0, as: UTF8.self) }
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
