//! The child's side of one stream exchange: read a chunk, answer it, and
//! after SciDB's end marker send one final answer. The order is enforced,
//! so a script that reads twice without answering gets an error instead of
//! a deadlock with SciDB (which waits for the answer before sending more).

use super::{ipc, tsv, types, Format};
use crate::error::{Error, ErrorKind, Result, ResultExt};
use arrow::array::RecordBatch;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, RawFd};

/// Options of a stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Send NaN cells of float reply columns as nulls (pandas' and
    /// MATLAB's notion of missing; what scidb-strm does).
    pub nan_as_null: bool,
    /// Deliver chunks as SciDB sent them, without null promotion.
    pub keep_null_types: bool,
}

/// Where the exchange stands.
#[derive(Debug, Clone, PartialEq)]
enum State {
    /// The next call must read.
    Reading,
    /// Chunk n was read; the next call must answer it.
    Answering(u64),
    /// SciDB ended the stream; one final answer is due.
    Finalizing,
    Done,
    /// A call failed; the exchange cannot go on.
    Failed(String),
}

/// One stream exchange over a pair of byte streams (stdin and stdout for a
/// child of SciDB).
pub struct Stream {
    format: Format,
    options: Options,
    input: BufReader<Box<dyn Read + Send>>,
    output: Box<dyn Write + Send>,
    state: State,
    chunks_read: u64,
}

/// A file descriptor read and written without being closed on drop: the
/// caller (often the process's stdin and stdout) keeps it.
struct BorrowedFd(ManuallyDrop<File>);

impl BorrowedFd {
    /// # Safety
    /// `fd` must stay open while the stream uses it.
    unsafe fn new(fd: RawFd) -> Self {
        BorrowedFd(ManuallyDrop::new(File::from_raw_fd(fd)))
    }
}

impl Read for BorrowedFd {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        (&*self.0).read(buf)
    }
}

impl Write for BorrowedFd {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (&*self.0).write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes of the length prefix of an Arrow message.
const LENGTH_BYTES: usize = 8;
/// A message longer than this is taken for garbage rather than allocated.
const MAX_MESSAGE_BYTES: u64 = 1 << 40;
/// Bytes reserved for a message before any of it has arrived.
const INITIAL_RESERVE: u64 = 1 << 20;

impl Stream {
    /// A stream over any reader and writer (tests, pipes, sockets).
    pub fn new(
        format: Format,
        options: Options,
        input: Box<dyn Read + Send>,
        output: Box<dyn Write + Send>,
    ) -> Self {
        Stream {
            format,
            options,
            input: BufReader::with_capacity(1 << 16, input),
            output,
            state: State::Reading,
            chunks_read: 0,
        }
    }

    /// A stream over two open file descriptors, which stay the caller's.
    ///
    /// # Safety
    /// Both descriptors must stay open while the stream lives.
    pub unsafe fn from_fds(format: Format, options: Options, input: RawFd, output: RawFd) -> Self {
        Self::new(
            format,
            options,
            Box::new(BorrowedFd::new(input)),
            Box::new(BorrowedFd::new(output)),
        )
    }

    /// Chunks read so far (the end marker is not a chunk).
    pub fn chunks_read(&self) -> u64 {
        self.chunks_read
    }

    /// Records a failure so that later calls report it instead of reading
    /// or writing from the middle of a broken message.
    fn failed<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            self.state = State::Failed(e.message.clone());
        }
        result
    }

    /// Reads the next chunk, mapped for the host (see [`types`]); None
    /// when SciDB has ended the stream, after which one final answer is
    /// due.
    pub fn read(&mut self) -> Result<Option<RecordBatch>> {
        match &self.state {
            State::Reading => {}
            State::Answering(n) => {
                return Err(Error::protocol(format!(
                    "chunk {n} has not been answered: write a reply (or an empty one) \
                     before reading the next chunk"
                )))
            }
            State::Finalizing | State::Done => {
                return Err(Error::protocol(
                    "SciDB has ended the stream; there are no more chunks to read",
                ))
            }
            State::Failed(why) => {
                return Err(Error::protocol(format!("the stream failed earlier: {why}")))
            }
        }
        let chunk_no = self.chunks_read + 1;
        let chunk = match self.format {
            Format::Arrow => self.read_arrow(chunk_no),
            Format::Tsv => tsv::read_chunk(&mut self.input, chunk_no),
        };
        let chunk = match chunk {
            Ok(Some(c)) if !self.options.keep_null_types => types::to_host(c)
                .map(Some)
                .map_err(|e| e.context(format!("chunk {chunk_no}"))),
            other => other,
        };
        match self.failed(chunk)? {
            Some(c) => {
                self.chunks_read = chunk_no;
                self.state = State::Answering(chunk_no);
                Ok(Some(c))
            }
            None => {
                self.state = State::Finalizing;
                Ok(None)
            }
        }
    }

    fn read_arrow(&mut self, chunk_no: u64) -> Result<Option<RecordBatch>> {
        let mut prefix = [0u8; LENGTH_BYTES];
        let what = format!("chunk {chunk_no}'s length");
        let got = read_fully(&mut self.input, &mut prefix).context(format!("reading {what}"))?;
        if got == 0 {
            return Err(Error::protocol(format!(
                "the input ended before {what} (SciDB ends a stream with a zero length)"
            )));
        }
        if got < LENGTH_BYTES {
            return Err(Error::protocol(format!(
                "the input ended after {got} of the {LENGTH_BYTES} bytes of {what}"
            )));
        }
        let len = u64::from_le_bytes(prefix);
        if len == 0 {
            return Ok(None);
        }
        if len > MAX_MESSAGE_BYTES {
            return Err(Error::protocol(format!(
                "{what} is {len} bytes, which is not plausible; the input is not the stream protocol"
            )));
        }
        // The prefix is only a claim: memory grows with the bytes that
        // actually arrive, so a garbage length costs nothing up front.
        let mut body = Vec::new();
        let first = len.min(INITIAL_RESERVE) as usize;
        body.try_reserve_exact(first).map_err(|_| {
            Error::io(format!(
                "cannot allocate {first} bytes for chunk {chunk_no}"
            ))
        })?;
        (&mut self.input)
            .take(len)
            .read_to_end(&mut body)
            .context(format!("reading chunk {chunk_no}"))?;
        if (body.len() as u64) < len {
            return Err(Error::protocol(format!(
                "the input ended after {} of the {len} bytes of chunk {chunk_no}",
                body.len()
            )));
        }
        ipc::decode_one(body, &format!("chunk {chunk_no}")).map(Some)
    }

    /// Answers the last chunk read, or SciDB's end marker (the final
    /// answer). None sends an empty answer.
    pub fn write(&mut self, reply: Option<&RecordBatch>) -> Result<()> {
        let after = match &self.state {
            State::Answering(_) => State::Reading,
            State::Finalizing => State::Done,
            State::Reading if self.chunks_read == 0 => {
                return Err(Error::protocol(
                    "no chunk to answer yet: read a chunk first",
                ))
            }
            State::Reading => {
                return Err(Error::protocol(format!(
                    "chunk {} has already been answered; read the next chunk first",
                    self.chunks_read
                )))
            }
            State::Done => {
                return Err(Error::protocol(
                    "the final answer has been sent; the stream is over",
                ))
            }
            State::Failed(why) => {
                return Err(Error::protocol(format!("the stream failed earlier: {why}")))
            }
        };
        let message = self.encode(reply);
        // A reply the table refuses leaves the exchange where it was, so
        // the caller may answer again with a corrected reply.
        let message = message?;
        let sent = self
            .output
            .write_all(&message)
            .and_then(|_| self.output.flush())
            .map_err(|e| {
                let kind = if e.kind() == std::io::ErrorKind::BrokenPipe {
                    ErrorKind::Protocol
                } else {
                    ErrorKind::Io
                };
                Error::new(kind, format!("writing a reply: {e} (has SciDB gone?)"))
            });
        self.failed(sent)?;
        self.state = after;
        Ok(())
    }

    /// One whole reply message, length or count included.
    fn encode(&self, reply: Option<&RecordBatch>) -> Result<Vec<u8>> {
        let reply = match reply {
            Some(batch) => Some(types::to_scidb(batch, self.options.nan_as_null)?),
            None => None,
        };
        match self.format {
            Format::Tsv => {
                let mut out = Vec::new();
                tsv::encode_into(reply.as_ref(), &mut out)?;
                Ok(out)
            }
            Format::Arrow => match reply {
                None => Ok(vec![0; LENGTH_BYTES]),
                Some(batch) => {
                    let mut out = ipc::encode_into(&batch, vec![0; LENGTH_BYTES])?;
                    let len = (out.len() - LENGTH_BYTES) as u64;
                    out[..LENGTH_BYTES].copy_from_slice(&len.to_le_bytes());
                    Ok(out)
                }
            },
        }
    }

    /// Runs the whole exchange: `map` answers every chunk, then `finalize`
    /// (when given) produces the final answer. Returns the number of chunks.
    pub fn map<F, G>(&mut self, mut map: F, finalize: Option<G>) -> Result<u64>
    where
        F: FnMut(RecordBatch) -> Result<Option<RecordBatch>>,
        G: FnOnce() -> Result<Option<RecordBatch>>,
    {
        while let Some(chunk) = self.read()? {
            let n = self.chunks_read;
            let reply = map(chunk).map_err(|e| e.context(format!("mapping chunk {n}")))?;
            self.write(reply.as_ref())?;
        }
        let last = match finalize {
            Some(f) => f().map_err(|e| e.context("finalizing"))?,
            None => None,
        };
        self.write(last.as_ref())?;
        Ok(self.chunks_read)
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_fully(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Int64Array};
    use std::io::Cursor;
    use std::sync::{Arc, Mutex};

    /// A writer whose bytes the test can read afterwards.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn chunk(values: Vec<i64>) -> RecordBatch {
        RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(values)) as ArrayRef)]).unwrap()
    }

    fn arrow_message(batch: &RecordBatch) -> Vec<u8> {
        let body = ipc::encode_into(batch, Vec::new()).unwrap();
        let mut out = (body.len() as u64).to_le_bytes().to_vec();
        out.extend(body);
        out
    }

    fn stream(format: Format, input: Vec<u8>) -> (Stream, Shared) {
        let out = Shared::default();
        let s = Stream::new(
            format,
            Options::default(),
            Box::new(Cursor::new(input)),
            Box::new(out.clone()),
        );
        (s, out)
    }

    #[test]
    fn map_answers_each_chunk_and_the_end() {
        let mut input = arrow_message(&chunk(vec![1, 2, 3]));
        input.extend(arrow_message(&chunk(vec![4])));
        input.extend([0u8; 8]);
        let (mut s, out) = stream(Format::Arrow, input);
        let n = s
            .map(
                |c| Ok(Some(chunk(vec![c.num_rows() as i64]))),
                Some(|| Ok(None)),
            )
            .unwrap();
        assert_eq!(n, 2);
        let bytes = out.0.lock().unwrap().clone();
        let first = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let reply = ipc::decode_one(bytes[8..8 + first].to_vec(), "reply").unwrap();
        assert_eq!(
            reply.column(0).as_ref(),
            &Int64Array::from(vec![3]) as &dyn arrow::array::Array
        );
        // Two answers and an empty final answer (8 zero bytes) follow.
        assert_eq!(&bytes[bytes.len() - 8..], &[0u8; 8]);
    }

    #[test]
    fn reading_twice_without_answering_is_refused() {
        let mut input = arrow_message(&chunk(vec![1]));
        input.extend(arrow_message(&chunk(vec![2])));
        let (mut s, _) = stream(Format::Arrow, input);
        s.read().unwrap();
        let err = s.read().unwrap_err();
        assert_eq!(err.kind, ErrorKind::Protocol);
        assert!(
            err.message.contains("chunk 1 has not been answered"),
            "{}",
            err.message
        );
    }

    #[test]
    fn answering_before_reading_is_refused() {
        let (mut s, _) = stream(Format::Tsv, b"0\n".to_vec());
        let err = s.write(None).unwrap_err();
        assert!(
            err.message.contains("read a chunk first"),
            "{}",
            err.message
        );
        assert!(s.read().unwrap().is_none());
        s.write(None).unwrap();
        assert!(s
            .write(None)
            .unwrap_err()
            .message
            .contains("stream is over"));
    }

    #[test]
    fn short_length_and_short_body_are_protocol_errors() {
        let (mut s, _) = stream(Format::Arrow, vec![5, 0, 0]);
        let err = s.read().unwrap_err();
        assert_eq!(
            err.message,
            "the input ended after 3 of the 8 bytes of chunk 1's length"
        );
        let mut input = 100u64.to_le_bytes().to_vec();
        input.extend([1u8; 10]);
        let (mut s, _) = stream(Format::Arrow, input);
        let err = s.read().unwrap_err();
        assert_eq!(
            err.message,
            "the input ended after 10 of the 100 bytes of chunk 1"
        );
        let err = s.read().unwrap_err();
        assert!(
            err.message.starts_with("the stream failed earlier"),
            "{}",
            err.message
        );
    }

    #[test]
    fn tsv_exchange() {
        let (mut s, out) = stream(Format::Tsv, b"2\na\nb\n0\n".to_vec());
        let c = s.read().unwrap().unwrap();
        assert_eq!(c.num_rows(), 2);
        s.write(Some(&chunk(vec![2]))).unwrap();
        assert!(s.read().unwrap().is_none());
        s.write(None).unwrap();
        assert_eq!(out.0.lock().unwrap().as_slice(), b"1\n2\n0\n");
    }
}
