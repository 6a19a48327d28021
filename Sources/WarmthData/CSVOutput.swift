import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes CSV the way Excel and WPS read it: fields quoted only when they must be, CRLF line
/// ends, UTF-8 with a BOM so that Excel on Chinese Windows does not guess GB18030.
///
/// The rows go to a temporary file in the same folder; `commit()` flushes it to disk and renames
/// it into place, so a file under the final name is always whole. A write that fails (a full
/// disk) throws an error naming the path; an output dropped without `commit()` (or after a
/// failure) leaves nothing behind under either name.
///
/// Reading CSV is `CSVStream`; writing is this small buffered writer, because the CSV library's
/// writer costs minutes per million rows.
public final class CSVOutput {
    /// The final name.
    public let path: String
    /// Where the rows go until `commit()`; `path` itself for a device or a pipe.
    let temporaryPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var failure: TextFile.Failure?
    private var done = false

    /// Start writing the file at `path`. Nothing appears under `path` until `commit()`.
    public init(path: String, bom: Bool = true) throws(TextFile.Failure) {
        self.path = path
        // A device or a pipe (`--out /dev/stdout`) is written in place: it cannot be renamed over.
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG, (info.st_mode & S_IFMT) != S_IFDIR {
            temporaryPath = path
            fd = open(path, O_WRONLY | O_CLOEXEC)
        } else {
            let url = URL(fileURLWithPath: path)
            let folder = url.deletingLastPathComponent().path
            temporaryPath = (folder as NSString).appendingPathComponent(".\(url.lastPathComponent).\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp")
            fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        }
        guard fd >= 0 else {
            throw TextFile.Failure(description: "\(path): cannot write the file (\(String(cString: strerror(errno)))): check the folder exists and is writable")
        }
        buffer.reserveCapacity(1 << 16)
        if bom { buffer += [0xEF, 0xBB, 0xBF] }
    }

    /// Append one row. Throws when the disk refuses the bytes (the output is then dropped).
    public func write(_ fields: [String]) throws(TextFile.Failure) {
        if let failure { throw failure }
        precondition(!done, "CSVOutput.write after commit or discard")
        for (i, field) in fields.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            if field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                buffer.append(0x22)
                for byte in field.utf8 {
                    if byte == 0x22 { buffer.append(0x22) }
                    buffer.append(byte)
                }
                buffer.append(0x22)
            } else {
                buffer += field.utf8
            }
        }
        buffer += [0x0D, 0x0A]
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Text a spreadsheet would run as a formula (= + - @, or a leading tab or carriage
    /// return) gets a leading apostrophe, which Excel and WPS show as text.
    public static func formulaSafe(_ s: String) -> String {
        guard let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return s }
        return "'" + s
    }

    /// Hand the buffered bytes to the system.
    public func flush() throws(TextFile.Failure) {
        if let failure { throw failure }
        guard !buffer.isEmpty else { return }
        let ok = buffer.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        buffer.removeAll(keepingCapacity: true)
        if !ok { try fail("writing") }
    }

    /// Flush, sync to disk and rename the file into place under its final name. After a
    /// failure nothing is left under either name.
    public func commit() throws(TextFile.Failure) {
        if let failure { throw failure }
        precondition(!done, "CSVOutput.commit twice")
        try flush()
        if temporaryPath != path, fsync(fd) != 0 { try fail("writing") }
        let closed = Glibc.close(fd)
        fd = -1
        if closed != 0 { try fail("closing") }
        if temporaryPath != path, rename(temporaryPath, path) != 0 { try fail("renaming into place") }
        done = true
    }

    /// Drop the output: the temporary file is removed and nothing appears under the final name.
    public func discard() {
        guard !done else { return }
        done = true
        buffer.removeAll()
        if fd >= 0 { _ = Glibc.close(fd); fd = -1 }
        if temporaryPath != path { _ = unlink(temporaryPath) }
    }

    private func fail(_ doing: String) throws(TextFile.Failure) {
        let reason = errno == ENOSPC || errno == EDQUOT ? "the disk is full" : String(cString: strerror(errno))
        let failure = TextFile.Failure(description: "\(path): \(doing) the file failed (\(reason)); nothing was written under this name: free some space or choose another folder")
        self.failure = failure
        discard()
        throw failure
    }

    deinit { discard() }
}
