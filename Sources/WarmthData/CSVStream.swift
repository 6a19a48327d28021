import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One record of a CSV file: its row number as a spreadsheet shows it (the header is row 1) and
/// its cells, trimmed. `malformed` says why the row is not well-formed CSV, when it is not.
struct CSVRecord {
    var row: Int
    var cells: [String]
    var malformed: String?

    /// A row whose every cell is blank: skipped, as spreadsheets export empty lines.
    var isBlank: Bool { malformed == nil && cells.allSatisfy(\.isEmpty) }
}

/// A failure that ends the reading of the file: it cannot be read further with any trust.
struct CSVStreamError: Error {
    var row: Int
    var column: String
    var message: String
}

/// Reads a CSV file record by record in chunks, never holding the file in memory: UTF-8 with or
/// without a BOM, or GB18030, which is converted to UTF-8 as it is read.
///
/// Quoting follows RFC 4180 as Excel and WPS write it. A quote inside a cell that does not start
/// with one, or text after a closing quote, makes that row malformed (reported, the reading
/// goes on at the next line); a quoted cell that runs over a line break, or a quote that never
/// closes, ends the reading, because the rows after it can no longer be told apart.
final class CSVStream {
    let path: String
    let encoding: TextFile.Encoding
    /// The file's size in bytes, and how many of them were read so far (for progress).
    let totalBytes: Int
    private(set) var bytesRead = 0

    private let fd: Int32
    private var chunk = [UInt8](repeating: 0, count: 1 << 20)
    private var converter: GB18030Converter?
    private var pending: [UInt8] = []
    private var pendingIndex = 0
    private var atEOF = false

    // Parser state.
    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterCR, skipLine }
    private var state = State.fieldStart
    private var cell: [UInt8] = []
    private var cells: [String] = []
    private var malformed: String?
    private var recordRow = 1
    private var nextRow = 1
    private var ready: [CSVRecord] = []
    private var readyIndex = 0
    /// The header's cells (the first row that is not blank), to name the column of an error.
    var header: [String] = []

    init(path: String) throws(CSVStreamError) {
        self.path = path
        encoding = try CSVStream.detectEncoding(path)
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CSVStreamError(row: 0, column: "-", message: "cannot read the file: check the path and that you may read it") }
        var info = stat()
        totalBytes = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        if encoding == .gb18030 { converter = GB18030Converter() }
        cell.reserveCapacity(256)
    }

    deinit { _ = close(fd) }

    /// The next record, or nil at the end of the file.
    func next() throws(CSVStreamError) -> CSVRecord? {
        while readyIndex == ready.count {
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            guard let bytes = try nextBytes() else {
                if atEOF, state == .afterCR, cells.isEmpty { return nil }
                try finish()
                if ready.isEmpty { return nil }
                break
            }
            try parse(bytes)
        }
        readyIndex += 1
        return ready[readyIndex - 1]
    }

    // MARK: Reading

    private var skippedBOM = false

    /// The next piece of UTF-8, or nil at the end.
    private func nextBytes() throws(CSVStreamError) -> ArraySlice<UInt8>? {
        if atEOF { return nil }
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { throw CSVStreamError(row: nextRow, column: "-", message: "reading the file failed (\(String(cString: strerror(errno))))") }
        if n == 0 {
            atEOF = true
            return nil
        }
        var start = 0
        if !skippedBOM {
            skippedBOM = true
            if encoding == .utf8BOM { start = 3 }
        }
        bytesRead += n
        if let converter {
            let out = converter.convert(chunk[start..<n])
            if let at = converter.failure {
                throw CSVStreamError(row: nextRow, column: "-", message: "byte \(at) is not valid GB18030: save the file from Excel or WPS as 'CSV UTF-8'")
            }
            return out[...]
        }
        return chunk[start..<n]
    }

    // MARK: Parsing

    /// Run the state machine over `bytes`, appending every record it ends to `ready`. The state
    /// lives in locals while it runs: properties of a class cost an exclusivity check each.
    private func parse(_ bytes: ArraySlice<UInt8>) throws(CSVStreamError) {
        var state = self.state
        var cell = self.cell
        var cells = self.cells
        var malformed = self.malformed
        self.cell = []
        self.cells = []
        var failure: CSVStreamError?
        defer {
            self.state = state
            self.cell = cell
            self.cells = cells
            self.malformed = malformed
        }
        func endField() {
            cells.append(CSVStream.trimmedString(cell))
            cell.removeAll(keepingCapacity: true)
        }
        func endRecord() {
            if header.isEmpty, cells.contains(where: { !$0.isEmpty }) { header = cells }
            ready.append(CSVRecord(row: recordRow, cells: cells, malformed: malformed))
            cells.removeAll(keepingCapacity: true)
            malformed = nil
            nextRow += 1
            recordRow = nextRow
        }
        bytes.withUnsafeBufferPointer { buf in
            var i = 0
            let n = buf.count
            while i < n {
                let byte = buf[i]
                i += 1
                switch state {
                case .fieldStart, .unquoted:
                    if state == .fieldStart, byte == 0x22 { state = .quoted; continue }
                    state = .unquoted
                    switch byte {
                    case 0x2C: endField(); state = .fieldStart
                    case 0x0A: endField(); endRecord(); state = .fieldStart
                    case 0x0D: endField(); endRecord(); state = .afterCR
                    case 0x22:
                        malformed = "this row is not well-formed CSV: a quote inside column \(columnName(cells.count)), a cell that does not start with one; save the file again from Excel or WPS"
                        state = .skipLine
                    default:
                        // The rest of a plain cell, in one go.
                        var j = i
                        while j < n, buf[j] != 0x2C, buf[j] != 0x0A, buf[j] != 0x0D, buf[j] != 0x22 { j += 1 }
                        cell.append(byte)
                        if j > i { cell.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<j])) }
                        i = j
                    }
                case .quoted:
                    if byte == 0x22 {
                        state = .quoteInQuoted
                    } else if byte == 0x0A || byte == 0x0D {
                        failure = CSVStreamError(row: recordRow, column: columnName(cells.count), message:
                            "this row is not well-formed CSV: the cell runs over a line break (a quote that does not close?); nothing was imported. Remove the line break in the cell, or close the quote, and save the file again")
                        return
                    } else {
                        cell.append(byte)
                    }
                case .quoteInQuoted:
                    switch byte {
                    case 0x22: cell.append(0x22); state = .quoted
                    case 0x2C: endField(); state = .fieldStart
                    case 0x0A: endField(); endRecord(); state = .fieldStart
                    case 0x0D: endField(); endRecord(); state = .afterCR
                    default:
                        malformed = "this row is not well-formed CSV: text after the closing quote in column \(columnName(cells.count)); save the file again from Excel or WPS"
                        state = .skipLine
                    }
                case .afterCR:
                    state = .fieldStart
                    if byte != 0x0A { i -= 1 }
                case .skipLine:
                    if byte == 0x0A {
                        cell.removeAll(keepingCapacity: true)
                        endRecord()
                        state = .fieldStart
                    }
                }
            }
        }
        if let failure { throw failure }
    }

    /// At the end of the file: end the last record as a line break would.
    private func finish() throws(CSVStreamError) {
        switch state {
        case .quoted:
            throw CSVStreamError(row: recordRow, column: columnName(cells.count), message:
                "this row is not well-formed CSV: a quote opens in this cell and never closes, so the rest of the file would be one cell; nothing was imported. Close the quote and save the file again")
        case .afterCR:
            break
        case .fieldStart where cells.isEmpty:
            break
        default:
            try parse([0x0A][...])
        }
        state = .afterCR
    }

    private func columnName(_ index: Int) -> String {
        index < header.count && !header[index].isEmpty ? header[index] : "column \(index + 1)"
    }

    /// The cell as text, without the spaces around it (ASCII ones and Unicode ones such as the
    /// ideographic space U+3000).
    static func trimmedString(_ bytes: [UInt8]) -> String {
        var lo = 0, hi = bytes.count
        while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x09 { lo += 1 }
        while hi > lo, bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09 { hi -= 1 }
        var s = bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[lo..<hi]), as: UTF8.self) }
        // Unicode spaces start with C2 (U+00A0, U+0085), E1, E2 (U+2000…) or E3 (U+3000);
        // the ideographs most cells hold do not.
        func maySpace(_ i: Int) -> Bool {
            if bytes[i] < 0x80 { return false }
            var j = i
            while j > lo, bytes[j] & 0xC0 == 0x80 { j -= 1 }
            return bytes[j] == 0xC2 || (bytes[j] >= 0xE1 && bytes[j] <= 0xE3)
        }
        if lo < hi, maySpace(lo) || maySpace(hi - 1) {
            let scalars = s.unicodeScalars
            if scalars.first!.properties.isWhitespace || scalars.last!.properties.isWhitespace {
                s = s.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return s
    }

    // MARK: Encoding

    /// Decide the file's encoding from all its bytes, reading it once in chunks. A file that is
    /// neither UTF-8 nor GB18030 is refused naming the row and byte where it stops being text.
    static func detectEncoding(_ path: String) throws(CSVStreamError) -> TextFile.Encoding {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CSVStreamError(row: 0, column: "-", message: "cannot read the file: check the path and that you may read it") }
        defer { _ = close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var validator = UTF8Validator()
        var gbFailure: Int?
        var first = true
        var bom = false
        var offset = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw CSVStreamError(row: 0, column: "-", message: "reading the file failed (\(String(cString: strerror(errno))))") }
            if n == 0 { break }
            var start = 0
            if first {
                first = false
                if n >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { bom = true; start = 3 }
            }
            validator.feed(buffer[start..<n], at: offset + start)
            if validator.failure != nil, gbFailure == nil, !bom {
                // Not UTF-8: see whether it is GB18030 from the start.
                gbFailure = try gb18030Failure(path)
                if gbFailure == nil { return .gb18030 }
                break
            }
            offset += n
            if validator.failure != nil { break }
        }
        validator.finish(at: offset)
        if validator.failure != nil, gbFailure == nil, !bom {
            gbFailure = try gb18030Failure(path)
            if gbFailure == nil { return .gb18030 }
        }
        guard let utf8Failure = validator.failure else { return bom ? .utf8BOM : .utf8 }
        // Neither: name the place the more likely reading (the one that got further) stops.
        let (at, what) = bom || utf8Failure >= (gbFailure ?? 0)
            ? (utf8Failure, bom ? "the file starts as UTF-8 (it has a BOM) but byte \(utf8Failure) is not valid UTF-8"
                                : "byte \(utf8Failure) is not valid UTF-8, and the file is not GB18030 either")
            : (gbFailure!, "byte \(gbFailure!) is not valid GB18030, and the file is not UTF-8 either")
        let (row, column) = place(of: at, in: path)
        throw CSVStreamError(row: row, column: "column \(column)", message:
            "\(what) (counting bytes from 0): save the file from Excel or WPS as 'CSV UTF-8', or fix the text in this cell")
    }

    /// Where GB18030 conversion of the whole file fails, or nil when it does not.
    static func gb18030Failure(_ path: String) throws(CSVStreamError) -> Int? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CSVStreamError(row: 0, column: "-", message: "cannot read the file: check the path and that you may read it") }
        defer { _ = close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        let gb = GB18030Converter()
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            _ = gb.convert(buffer[0..<n])
            if let failure = gb.failure { return failure }
        }
        gb.finish()
        return gb.failure
    }

    /// The row (counting line breaks) and the column (counting commas outside quotes) of the
    /// byte at `offset`.
    static func place(of offset: Int, in path: String) -> (row: Int, column: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return (0, 0) }
        defer { try? handle.close() }
        var row = 1, column = 1, inQuotes = false, seen = 0
        while seen < offset, let data = try? handle.read(upToCount: min(1 << 20, offset - seen)), !data.isEmpty {
            for byte in data {
                switch byte {
                case 0x0A: row += 1; column = 1; inQuotes = false
                case 0x22: inQuotes.toggle()
                case 0x2C where !inQuotes: column += 1
                default: break
                }
            }
            seen += data.count
        }
        return (row, column)
    }
}

/// Checks UTF-8 as it streams past, keeping where the first invalid byte is.
struct UTF8Validator {
    private(set) var failure: Int?
    private var need = 0
    private var low: UInt8 = 0x80, high: UInt8 = 0xBF
    private var sequenceStart = 0

    mutating func feed(_ bytes: ArraySlice<UInt8>, at base: Int) {
        guard failure == nil else { return }
        var offset = base
        for byte in bytes {
            if need == 0 {
                if byte < 0x80 { offset += 1; continue }
                sequenceStart = offset
                switch byte {
                case 0xC2...0xDF: need = 1; low = 0x80; high = 0xBF
                case 0xE0: need = 2; low = 0xA0; high = 0xBF
                case 0xE1...0xEC, 0xEE...0xEF: need = 2; low = 0x80; high = 0xBF
                case 0xED: need = 2; low = 0x80; high = 0x9F
                case 0xF0: need = 3; low = 0x90; high = 0xBF
                case 0xF1...0xF3: need = 3; low = 0x80; high = 0xBF
                case 0xF4: need = 3; low = 0x80; high = 0x8F
                default: failure = offset; return
                }
            } else {
                guard byte >= low, byte <= high else { failure = sequenceStart; return }
                need -= 1
                low = 0x80; high = 0xBF
            }
            offset += 1
        }
    }

    /// At the end of the file: a sequence cut short is invalid.
    mutating func finish(at end: Int) {
        if failure == nil, need > 0 { failure = sequenceStart }
    }
}

/// GB18030 to UTF-8 through iconv, a chunk at a time: a character cut at a chunk's end waits
/// for the next chunk.
final class GB18030Converter {
    private var cd: iconv_t?
    private var carry: [UInt8] = []
    private var consumed = 0
    private(set) var failure: Int?

    deinit { if let cd { iconv_close(cd) } }

    init() {
        let cd = iconv_open("UTF-8", "GB18030")
        self.cd = cd.flatMap { Int(bitPattern: $0) == -1 ? nil : $0 }
        if self.cd == nil { failure = 0 }
    }

    /// The UTF-8 for `bytes` (with whatever the last chunk left over); empty after a failure.
    func convert(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        guard failure == nil, let cd else { return [] }
        var input = carry + bytes
        carry = []
        var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
        var inLeft = input.count
        var outLeft = output.count
        let stop: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                return iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) == -1 ? errno : 0
            }
        }
        let used = input.count - inLeft
        if stop == EINVAL {
            carry = Array(input[used...]) // a character cut by the chunk's end
        } else if stop != 0 {
            failure = consumed + used
        }
        consumed += used
        output.removeLast(outLeft)
        return output
    }

    /// At the end of the file: a character cut short is invalid.
    func finish() {
        if failure == nil, !carry.isEmpty { failure = consumed }
        if let cd { iconv_close(cd); self.cd = nil }
    }
}
