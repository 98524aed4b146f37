//! Fuzz-style tests: thousands of random and mutated inputs to the stream
//! reader (Arrow and TSV formats) and to stored-value decoding
//! (`codec::decode`, `chunked::Header::decode`). Every input must give a
//! value or an error: no panic (not even one caught inside the library),
//! and no hang (each read consumes input, so the steps are bounded).
//!
//! Inputs come from a fixed-seed generator, so a run is reproducible; set
//! `SCIDB_FUZZ_INPUTS` for a longer run (`make fuzz`) and `SCIDB_FUZZ_SEED`
//! for other inputs. Every file under `tests/fuzz_corpus/<target>/` is
//! replayed first: inputs that once broke something stay tested. An input
//! that fails is written to the temp folder named in the failure, to be
//! committed there.

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Float32Array, Float64Array, Int16Array, Int32Array,
    Int64Array, Int8Array, RecordBatch, StringArray, UInt16Array, UInt32Array, UInt64Array,
    UInt8Array,
};
use scidb::chunked::{ColumnType, Header, Layout};
use scidb::codec;
use scidb::stream::{ipc, Format, Options, Stream};
use scidb::value::Table;
use scidb::{Array, DType, Value};
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};

/// SplitMix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn inputs_per_target(default: usize) -> usize {
    std::env::var("SCIDB_FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `SCIDB_FUZZ_SECONDS`: run each target for this long instead of for a
/// number of inputs (`make fuzz FUZZ_SECONDS=1800`).
fn time_budget() -> Option<std::time::Duration> {
    std::env::var("SCIDB_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(std::time::Duration::from_secs)
}

fn seed(target: u64) -> u64 {
    let base: u64 = std::env::var("SCIDB_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(13);
    base ^ (target << 32)
}

thread_local! {
    /// Every panic on this thread, caught or not: the library catches some
    /// at its own boundaries, and each of those is a bug too.
    static PANICS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn panics() -> usize {
    PANICS.with(|p| p.get())
}

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            default(info);
        }));
    });
}

const INTERESTING: &[u64] = &[
    0,
    1,
    7,
    8,
    0x7f,
    0x80,
    0xff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
    12 << 30,
    17 << 30,
];

/// One to four random mutations of `seed_bytes`.
fn mutate(rng: &mut Rng, seed_bytes: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut b = seed_bytes.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = b.len();
        match rng.below(9) {
            0 if len > 0 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(len);
                    b[i] ^= 1 << rng.below(8);
                }
            }
            1 if len > 0 => {
                let i = rng.below(len);
                b[i] = INTERESTING[rng.below(INTERESTING.len())] as u8;
            }
            2 => b.truncate(rng.below(len + 1)),
            3 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                b.splice(i..i, junk);
            }
            4 if len >= 8 => {
                // An integer field set to a boundary value, at any width.
                let width = [2usize, 4, 8][rng.below(3)];
                let i = rng.below(len - width + 1);
                let v = INTERESTING[rng.below(INTERESTING.len())];
                b[i..i + width].copy_from_slice(&v.to_le_bytes()[..width]);
            }
            5 if len > 1 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(64)).min(len);
                let copy = b[start..end].to_vec();
                let at = rng.below(len + 1);
                b.splice(at..at, copy);
            }
            6 if len > 1 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(64)).min(len);
                b.drain(start..end);
            }
            7 if !others.is_empty() => {
                // Splice: this input's head, another's tail.
                let other = &others[rng.below(others.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                b.truncate(cut);
                b.extend_from_slice(&other[from..]);
            }
            _ => {
                let n = rng.below(256);
                b = (0..n).map(|_| rng.next() as u8).collect();
            }
        }
    }
    b
}

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_corpus")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .map(|p| {
                    let bytes = std::fs::read(&p).unwrap();
                    (p, bytes)
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs `check` on the corpus, then on `n` generated inputs; fails on the
/// first input that panics (saving it) and returns the inputs tried.
fn fuzz(target: &str, seeds: &[Vec<u8>], n: usize, mut check: impl FnMut(&[u8])) -> usize {
    count_panics();
    let mut tried = 0usize;
    let mut run = |input: &[u8], origin: &str| {
        let before = panics();
        let outcome = catch_unwind(AssertUnwindSafe(|| check(input)));
        let panicked = outcome.is_err() || panics() != before;
        if panicked {
            let dir = std::env::temp_dir().join("scidb-fuzz-crashes").join(target);
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(format!("{:016x}.bin", blake3_short(input)));
            std::fs::write(&file, input).unwrap();
            panic!(
                "{target}: {origin} panicked; the input is in {} (commit it under tests/fuzz_corpus/{target}/)",
                file.display()
            );
        }
    };
    for (path, bytes) in corpus(target) {
        run(&bytes, &format!("corpus file {}", path.display()));
        tried += 1;
    }
    for s in seeds {
        run(s, "a seed");
        tried += 1;
    }
    let mut rng = Rng(seed(target.len() as u64 ^ target.as_bytes()[0] as u64));
    let deadline = time_budget().map(|d| std::time::Instant::now() + d);
    for i in 0.. {
        let done = match deadline {
            Some(d) => i % 256 == 0 && std::time::Instant::now() >= d,
            None => i >= n,
        };
        if done {
            break;
        }
        let base = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, base, seeds);
        run(&input, &format!("generated input {i}"));
        tried += 1;
    }
    println!("{target}: {tried} inputs, 0 panics");
    tried
}

fn blake3_short(bytes: &[u8]) -> u64 {
    let h = blake3::hash(bytes);
    u64::from_le_bytes(h.as_bytes()[..8].try_into().unwrap())
}

// ---- the stream protocol ------------------------------------------------

fn sample_batches() -> Vec<RecordBatch> {
    let col = |name: &str, a: ArrayRef| (name.to_string(), a);
    let sets: Vec<Vec<(String, ArrayRef)>> = vec![
        vec![
            col(
                "i",
                Arc::new(Int64Array::from(vec![Some(1), None, Some(-3)])),
            ),
            col("d", Arc::new(Float64Array::from(vec![1.5, f64::NAN, -0.0]))),
            col(
                "s",
                Arc::new(StringArray::from(vec![Some("a"), None, Some("é\tx")])),
            ),
        ],
        vec![
            col("b", Arc::new(BooleanArray::from(vec![Some(true), None]))),
            col(
                "bin",
                Arc::new(BinaryArray::from(vec![Some(&b"\x00\xff"[..]), None])),
            ),
        ],
        vec![
            col("i8", Arc::new(Int8Array::from(vec![1i8, -2]))),
            col("u8", Arc::new(UInt8Array::from(vec![Some(1u8), None]))),
            col("i16", Arc::new(Int16Array::from(vec![1i16, 2]))),
            col("u16", Arc::new(UInt16Array::from(vec![1u16, 2]))),
            col("i32", Arc::new(Int32Array::from(vec![Some(1), None]))),
            col("u32", Arc::new(UInt32Array::from(vec![1u32, 2]))),
            col("u64", Arc::new(UInt64Array::from(vec![u64::MAX, 0]))),
            col("f", Arc::new(Float32Array::from(vec![Some(1.5f32), None]))),
        ],
        vec![col("empty", Arc::new(Int64Array::from(Vec::<i64>::new())))],
    ];
    sets.into_iter()
        .map(|cols| RecordBatch::try_from_iter(cols).unwrap())
        .collect()
}

/// A whole exchange from SciDB: every chunk length-prefixed, then 0.
fn framed(batches: &[RecordBatch]) -> Vec<u8> {
    let mut out = Vec::new();
    for b in batches {
        let body = ipc::encode_into(b, Vec::new()).unwrap();
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&body);
    }
    out.extend_from_slice(&0u64.to_le_bytes());
    out
}

/// Plays the child: read, answer each chunk with itself, answer the end.
fn drive(format: Format, options: Options, input: &[u8]) {
    let mut s = Stream::new(
        format,
        options,
        Box::new(Cursor::new(input.to_vec())),
        Box::new(std::io::sink()),
    );
    // Every successful read consumes at least one byte (a count or a
    // length), so more steps than bytes would be a hang.
    for _ in 0..=input.len() + 1 {
        match s.read() {
            Ok(Some(chunk)) => {
                if s.write(Some(&chunk)).is_err() && s.write(None).is_err() {
                    return;
                }
            }
            Ok(None) => {
                let _ = s.write(None);
                return;
            }
            Err(_) => return,
        }
    }
    panic!("the stream reader made no progress");
}

#[test]
fn fuzz_stream_arrow() {
    let batches = sample_batches();
    let mut seeds: Vec<Vec<u8>> = batches
        .iter()
        .map(|b| framed(std::slice::from_ref(b)))
        .collect();
    seeds.push(framed(&batches));
    // One chunk's IPC bytes alone, so mutations hit the flatbuffers more.
    for b in &batches {
        let body = ipc::encode_into(b, Vec::new()).unwrap();
        let mut one = (body.len() as u64).to_le_bytes().to_vec();
        one.extend_from_slice(&body);
        seeds.push(one);
    }
    let n = inputs_per_target(200_000);
    let tried = fuzz("stream", &seeds, n, |input| {
        drive(Format::Arrow, Options::default(), input);
        drive(
            Format::Arrow,
            Options {
                nan_as_null: true,
                keep_null_types: true,
            },
            input,
        );
    });
    assert!(tried > n);
}

#[test]
fn fuzz_stream_tsv() {
    let seeds: Vec<Vec<u8>> = vec![
        b"2\n1\tx\n2\t\\N\n0\n".to_vec(),
        b"1\nnan\t\\t\\n\\\\\n3\na\nb\nc\n0\n".to_vec(),
        b"0\n".to_vec(),
    ];
    let n = inputs_per_target(100_000);
    let tried = fuzz("tsv", &seeds, n, |input| {
        drive(Format::Tsv, Options::default(), input);
    });
    assert!(tried > n);
}

/// Records the largest single allocation, to show what a read reserves.
struct Tracking;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl std::alloc::GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::SeqCst);
        std::alloc::System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        std::alloc::System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        LARGEST.fetch_max(size, Ordering::SeqCst);
        std::alloc::System.realloc(ptr, layout, size)
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

#[test]
fn a_huge_length_prefix_reserves_nothing_up_front() {
    // 12-17 GB were reserved before any byte of the body arrived.
    for gb in [12u64, 17] {
        LARGEST.store(0, Ordering::SeqCst);
        let mut input = (gb << 30).to_le_bytes().to_vec();
        input.extend_from_slice(b"a few bytes");
        let mut s = Stream::new(
            Format::Arrow,
            Options::default(),
            Box::new(Cursor::new(input)),
            Box::new(std::io::sink()),
        );
        let err = s.read().unwrap_err();
        assert_eq!(err.kind, scidb::ErrorKind::Protocol);
        assert!(
            err.message.contains("ended after 11 of the"),
            "{}",
            err.message
        );
        // Other tests of this binary allocate far less than this meanwhile.
        let largest = LARGEST.load(Ordering::SeqCst);
        assert!(
            largest < 1 << 30,
            "a read of 11 bytes allocated {largest} bytes"
        );
    }
}

// ---- stored values --------------------------------------------------------

fn sample_values() -> Vec<Value> {
    let arr = |dtype: DType, shape: Vec<u64>, scalar: bool| {
        let n: u64 = shape.iter().product();
        let data: Vec<u8> = (0..n as usize * dtype.size())
            .map(|i| (i % 2) as u8)
            .collect();
        Value::Array(Array::new(dtype, shape, data, scalar).unwrap())
    };
    let x: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None]));
    let s: ArrayRef = Arc::new(StringArray::from(vec!["a", ""]));
    let b: ArrayRef = Arc::new(BinaryArray::from(vec![Some(&[0u8, 255][..]), None]));
    let table = Value::Table(
        Table::from_columns(2, vec![("x".into(), x), ("s".into(), s), ("b".into(), b)]).unwrap(),
    );
    vec![
        Value::Null,
        arr(DType::Float64, vec![], true),
        arr(DType::Int16, vec![2, 3], false),
        arr(DType::Complex128, vec![1], false),
        arr(DType::UInt8, vec![0, 4], false),
        Value::String("héllo".into()),
        Value::List(vec![
            Value::Null,
            arr(DType::Bool, vec![3], false),
            Value::List(vec![Value::String("x".into())]),
        ]),
        Value::Map(vec![
            ("a".into(), arr(DType::Int64, vec![], true)),
            ("t".into(), table.clone()),
            ("m".into(), Value::Map(vec![])),
        ]),
        table,
    ]
}

fn headers() -> Vec<Vec<u8>> {
    let array = Layout::Array {
        dtype: DType::Float32,
        inner: vec![4],
    };
    let table = Layout::Table {
        columns: vec![
            ("x".into(), ColumnType::Numeric(DType::Int64)),
            ("s".into(), ColumnType::Text),
            ("b".into(), ColumnType::Binary),
        ],
    };
    [array, table]
        .into_iter()
        .map(|layout| {
            let per = layout.rows_per_chunk();
            Header {
                layout,
                total_rows: per + 3,
                body_bytes: 300,
                stream: 7,
                chunk_bytes: vec![200, 100],
            }
            .encode()
        })
        .collect()
}

#[test]
fn fuzz_stored_value_decoding() {
    let values = sample_values();
    let mut seeds = Vec::new();
    for v in &values {
        let e = codec::encode(v);
        seeds.push(e.inline_blob());
        // Blobs naming payload files (tag n or p), and layout 1's tag x.
        let named = e.payload_blob(scidb::store::payload::Format::Npy);
        let mut legacy = named.clone();
        if legacy[4] == b'n' {
            legacy[4] = b'x';
        }
        seeds.push(named);
        seeds.push(legacy);
    }
    for h in headers() {
        assert!(Header::decode(&h).is_ok());
        seeds.push(h);
    }
    let body = vec![0u8; 48];
    let n = inputs_per_target(300_000);
    let tried = fuzz("codec", &seeds, n, |blob| {
        if let Ok(v) = codec::decode(blob, || Ok(body.clone())) {
            // Whatever decodes is a value the rest of scidb accepts.
            let _ = v.validate();
            let _ = scidb::hash::content_hash(&v);
        }
        let _ = Header::decode(blob);
        let _ = codec::stored_elsewhere(blob);
    });
    assert!(tried > n);
}
