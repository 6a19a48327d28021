import Foundation

/// Writes CSV the way Excel and WPS read it: fields quoted only when they must be, CRLF line
/// ends, UTF-8 with a BOM so that Excel on Chinese Windows does not guess GB18030.
///
/// Reading CSV goes through the CSV library (quoting, embedded newlines, odd exports); writing
/// is this small buffered writer, because the library's writer costs minutes per million rows.
public final class CSVOutput {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    public let path: String

    /// Create (or truncate) the file at `path`.
    public init(path: String, bom: Bool = true) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else {
            throw TextFile.Failure(description: "\(path): cannot write the file: check the folder exists and is writable")
        }
        self.path = path
        self.handle = handle
        buffer.reserveCapacity(1 << 16)
        if bom { buffer += [0xEF, 0xBB, 0xBF] }
    }

    public func write(_ fields: [String]) {
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
        if buffer.count >= 1 << 16 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() {
        flush()
        try? handle.close()
    }

    deinit { close() }
}
