//! The one protocol between the playback engine and its remuxing Web Worker
//! (`src/bin/file_worker.rs`): [`ToWorker`] and [`FromWorker`], and how each crosses
//! `postMessage`.
//!
//! A message is first turned into a [`Wire`] — its kind and named fields of plain
//! values — and only that is turned into a JavaScript object (in [`js`], a thin layer).
//! Encoding and decoding are pure and generic over the byte payload `B`: the app and the
//! worker use `js_sys::Uint8Array` (handed over without copying), the native tests
//! `Vec<u8>`.
//!
//! Messages to the worker: `push` (bytes of the download, in order), `restart` (a new
//! download starts at `offset`; answers carry its `gen`), `finish` (the download ended).
//! The page hands each appended segment's buffer back (`recycle`), for the worker to
//! write later segments into. An HLS playback first sends the playlist's text as `playlist` (with its URL, for
//! resolving), answered by `segments` (a media playlist: each segment's URL, start, byte
//! range and discontinuity number) or `variants` (a master playlist: each variant's URL
//! and codecs; the page picks one and sends its playlist), or an `error`. Then it sends its segments one by one, each as `segment` (where it starts on
//! the timeline, its discontinuity sequence number), its `push`es, then `finish`,
//! answered by `done`; a seek is a `restart` (offset 0) before the next `segment`.
//! From the worker: `ready` once, when it takes messages (earlier ones would be lost);
//! `pushed` after each push, whatever its generation; and, each with the generation of
//! the last restart, `init`, `media`, `metadata`, `error` and `done`.

/// What the engine tells the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum ToWorker<B> {
    /// The next bytes of the download.
    Push(B),
    /// A new download starts at byte `offset` (after a seek or a recovery).
    Restart { offset: u64, generation: u32 },
    /// The download reached the end of the file (HLS: of the segment).
    Finish,
    /// An HLS segment begins: its start and end on the output timeline (by the
    /// playlist's EXTINFs, ms) and its discontinuity sequence number.
    Segment { start_ms: i64, end_ms: i64, discontinuity: u64 },
    /// An HLS playlist's text and its URL (relative URIs resolve against it).
    Playlist { url: String, text: String },
    /// A segment's buffer, appended (the browser copied it): the worker writes later
    /// segments into it instead of allocating new ones.
    Recycle(B),
    /// A new file (a part of a broadcast) begins: forget the last one. Its own time
    /// zero lies at `place_ms` on the output timeline; reading starts at `start_ms` of
    /// the file (an FLV: the time of the keyframe its bytes start at; an MP4: the time
    /// to start from, whose keyframe the worker finds). Answers carry `generation`.
    Open { format: FileFormat, place_ms: i64, start_ms: i64, generation: u32 },
}

/// The container of a file a worker opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Flv,
    Mp4,
    /// An HLS playlist's MPEG-TS (or fMP4) segments.
    Hls,
}

impl FileFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Flv => "flv",
            FileFormat::Mp4 => "mp4",
            FileFormat::Hls => "hls",
        }
    }

    fn parse(s: &str) -> Option<FileFormat> {
        match s {
            "flv" => Some(FileFormat::Flv),
            "mp4" => Some(FileFormat::Mp4),
            "hls" => Some(FileFormat::Hls),
            _ => None,
        }
    }
}

/// One HLS segment as the page fetches it.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentInfo {
    pub url: String,
    /// Its start on the timeline: the `EXTINF`s before it, ms.
    pub start_ms: i64,
    /// `EXT-X-BYTERANGE`: (offset, length).
    pub range: Option<(u64, u64)>,
    pub discontinuity: u64,
    /// `EXT-X-MAP`: the init section of fMP4 segments (URL, byte range), which then
    /// pass through unremuxed.
    pub init: Option<InitSection>,
}

/// An init section: its URL and byte range.
pub type InitSection = (String, Option<(u64, u64)>);

/// Why remuxing stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemuxError {
    /// The file is not what its headers say.
    Corrupt,
    /// A codec the remuxer cannot carry into MP4.
    Unsupported,
    /// The file ends inside a tag.
    Truncated,
}

impl RemuxError {
    fn as_str(self) -> &'static str {
        match self {
            RemuxError::Corrupt => "corrupt",
            RemuxError::Unsupported => "unsupported",
            RemuxError::Truncated => "truncated",
        }
    }

    fn parse(s: &str) -> RemuxError {
        match s {
            "unsupported" => RemuxError::Unsupported,
            "truncated" => RemuxError::Truncated,
            _ => RemuxError::Corrupt,
        }
    }
}

/// What the worker tells the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum FromWorker<B> {
    /// It takes messages now.
    Ready,
    /// One push was remuxed (answered once per push, in order).
    Pushed,
    /// The initialization segment and its MIME type (with codecs).
    Init {
        generation: u32,
        data: B,
        mime: String,
    },
    /// A media segment, from `start_ms` to `end_ms` of the presentation.
    Media {
        generation: u32,
        data: B,
        start_ms: i64,
        end_ms: i64,
    },
    /// The file's own metadata: its duration (seconds) and keyframes (seconds, byte offset).
    Metadata {
        generation: u32,
        duration: Option<f64>,
        keyframes: Vec<(f64, u64)>,
    },
    Error {
        generation: u32,
        kind: RemuxError,
        message: String,
    },
    /// Everything pushed before `finish` is remuxed.
    Done {
        generation: u32,
    },
    /// Reading must go on from byte `offset` (an MP4 whose `moov` lies past its `mdat`,
    /// or the keyframe to start from once it is read): the page restarts the download
    /// there.
    Need {
        generation: u32,
        offset: u64,
    },
    /// A media playlist read: its segments and its end (ms).
    Segments {
        segments: Vec<SegmentInfo>,
        end_ms: i64,
    },
    /// A master playlist read: its variants' URLs and codecs (empty when not given).
    Variants {
        urls: Vec<String>,
        codecs: Vec<String>,
    },
}

impl<B> FromWorker<B> {
    /// The download generation this answers, for the messages that carry one.
    pub fn generation(&self) -> Option<u32> {
        match self {
            FromWorker::Ready | FromWorker::Pushed | FromWorker::Segments { .. } | FromWorker::Variants { .. } => None,
            FromWorker::Init { generation, .. }
            | FromWorker::Media { generation, .. }
            | FromWorker::Metadata { generation, .. }
            | FromWorker::Error { generation, .. }
            | FromWorker::Done { generation }
            | FromWorker::Need { generation, .. } => Some(*generation),
        }
    }
}

impl FromWorker<Vec<u8>> {
    /// What the workers send for each remuxer output.
    pub fn output(generation: u32, out: relive_media::Output) -> Self {
        use relive_media::Output;
        match out {
            Output::Init { data, mime } => FromWorker::Init { generation, data, mime },
            Output::Media { data, start_ms, end_ms } => FromWorker::Media { generation, data, start_ms, end_ms },
            Output::Metadata(m) => {
                FromWorker::Metadata { generation, duration: m.duration, keyframes: m.keyframes.unwrap_or_default() }
            }
        }
    }

    /// What the workers send for a remuxer's error (`truncated`: the input ended inside
    /// a tag).
    pub fn error(generation: u32, e: &relive_media::Error, truncated: bool) -> Self {
        let kind = match e.kind {
            _ if truncated => RemuxError::Truncated,
            relive_media::ErrorKind::UnsupportedCodec(_) => RemuxError::Unsupported,
            _ => RemuxError::Corrupt,
        };
        FromWorker::Error { generation, kind, message: e.to_string() }
    }
}

/// A field's value as it crosses `postMessage`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<B> {
    Text(String),
    Number(f64),
    Numbers(Vec<f64>),
    Texts(Vec<String>),
    Bytes(B),
    Null,
}

/// A message in its plain form: a kind and named fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Wire<B> {
    pub kind: String,
    pub fields: Vec<(&'static str, Value<B>)>,
}

impl<B> Wire<B> {
    fn new(kind: &str, fields: Vec<(&'static str, Value<B>)>) -> Self {
        Wire { kind: kind.to_string(), fields }
    }

    /// The same message with its bytes in another form.
    pub fn map_bytes<C>(self, f: impl Fn(B) -> C) -> Wire<C> {
        let fields = self
            .fields
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::Bytes(b) => Value::Bytes(f(b)),
                    Value::Text(s) => Value::Text(s),
                    Value::Number(n) => Value::Number(n),
                    Value::Numbers(v) => Value::Numbers(v),
                    Value::Texts(v) => Value::Texts(v),
                    Value::Null => Value::Null,
                };
                (k, v)
            })
            .collect();
        Wire { kind: self.kind, fields }
    }

    fn take(&mut self, name: &str) -> Option<Value<B>> {
        let i = self.fields.iter().position(|(k, _)| *k == name)?;
        Some(self.fields.swap_remove(i).1)
    }

    fn number(&mut self, name: &str) -> Option<f64> {
        match self.take(name)? {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    fn numbers(&mut self, name: &str) -> Vec<f64> {
        match self.take(name) {
            Some(Value::Numbers(v)) => v,
            _ => Vec::new(),
        }
    }

    fn texts(&mut self, name: &str) -> Vec<String> {
        match self.take(name) {
            Some(Value::Texts(v)) => v,
            _ => Vec::new(),
        }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        match self.take(name)? {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    fn bytes(&mut self, name: &str) -> Option<B> {
        match self.take(name)? {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    fn generation(&mut self) -> u32 {
        self.number("gen").unwrap_or(0.0) as u32
    }
}

/// The field names of every message, in one place.
pub const FIELDS: [&str; 23] = [
    "data",
    "offset",
    "gen",
    "mime",
    "start",
    "end",
    "duration",
    "times",
    "positions",
    "kind",
    "message",
    "disc",
    "url",
    "text",
    "urls",
    "starts",
    "ranges",
    "discs",
    "codecs",
    "inits",
    "init_ranges",
    "format",
    "place",
];

impl<B> ToWorker<B> {
    pub fn encode(self) -> Wire<B> {
        match self {
            ToWorker::Push(data) => Wire::new("push", vec![("data", Value::Bytes(data))]),
            ToWorker::Restart { offset, generation } => Wire::new(
                "restart",
                vec![("offset", Value::Number(offset as f64)), ("gen", Value::Number(f64::from(generation)))],
            ),
            ToWorker::Finish => Wire::new("finish", Vec::new()),
            ToWorker::Segment { start_ms, end_ms, discontinuity } => Wire::new(
                "segment",
                vec![
                    ("start", Value::Number(start_ms as f64)),
                    ("end", Value::Number(end_ms as f64)),
                    ("disc", Value::Number(discontinuity as f64)),
                ],
            ),
            ToWorker::Playlist { url, text } => {
                Wire::new("playlist", vec![("url", Value::Text(url)), ("text", Value::Text(text))])
            }
            ToWorker::Recycle(data) => Wire::new("recycle", vec![("data", Value::Bytes(data))]),
            ToWorker::Open { format, place_ms, start_ms, generation } => Wire::new(
                "open",
                vec![
                    ("format", Value::Text(format.as_str().into())),
                    ("place", Value::Number(place_ms as f64)),
                    ("start", Value::Number(start_ms as f64)),
                    ("gen", Value::Number(f64::from(generation))),
                ],
            ),
        }
    }

    /// `None` for a message that is not one of these.
    pub fn decode(mut w: Wire<B>) -> Option<Self> {
        Some(match w.kind.as_str() {
            "push" => ToWorker::Push(w.bytes("data")?),
            "restart" => {
                ToWorker::Restart { offset: w.number("offset").unwrap_or(0.0) as u64, generation: w.generation() }
            }
            "finish" => ToWorker::Finish,
            "segment" => ToWorker::Segment {
                start_ms: w.number("start").unwrap_or(0.0) as i64,
                end_ms: w.number("end").unwrap_or(0.0) as i64,
                discontinuity: w.number("disc").unwrap_or(0.0) as u64,
            },
            "playlist" => ToWorker::Playlist { url: w.text("url")?, text: w.text("text")? },
            "recycle" => ToWorker::Recycle(w.bytes("data")?),
            "open" => ToWorker::Open {
                format: FileFormat::parse(&w.text("format")?)?,
                place_ms: w.number("place").unwrap_or(0.0) as i64,
                start_ms: w.number("start").unwrap_or(0.0) as i64,
                generation: w.generation(),
            },
            _ => return None,
        })
    }
}

impl<B> FromWorker<B> {
    pub fn encode(self) -> Wire<B> {
        let g = |generation: u32| ("gen", Value::Number(f64::from(generation)));
        match self {
            FromWorker::Ready => Wire::new("ready", Vec::new()),
            FromWorker::Pushed => Wire::new("pushed", Vec::new()),
            FromWorker::Init { generation, data, mime } => {
                Wire::new("init", vec![g(generation), ("data", Value::Bytes(data)), ("mime", Value::Text(mime))])
            }
            FromWorker::Media { generation, data, start_ms, end_ms } => Wire::new(
                "media",
                vec![
                    g(generation),
                    ("data", Value::Bytes(data)),
                    ("start", Value::Number(start_ms as f64)),
                    ("end", Value::Number(end_ms as f64)),
                ],
            ),
            FromWorker::Metadata { generation, duration, keyframes } => {
                let (times, positions) = keyframes.into_iter().map(|(t, p)| (t, p as f64)).unzip();
                Wire::new(
                    "metadata",
                    vec![
                        g(generation),
                        ("duration", duration.map_or(Value::Null, Value::Number)),
                        ("times", Value::Numbers(times)),
                        ("positions", Value::Numbers(positions)),
                    ],
                )
            }
            FromWorker::Error { generation, kind, message } => Wire::new(
                "error",
                vec![g(generation), ("kind", Value::Text(kind.as_str().into())), ("message", Value::Text(message))],
            ),
            FromWorker::Done { generation } => Wire::new("done", vec![g(generation)]),
            FromWorker::Need { generation, offset } => {
                Wire::new("need", vec![g(generation), ("offset", Value::Number(offset as f64))])
            }
            FromWorker::Segments { segments, end_ms } => {
                let n = segments.len();
                let (mut urls, mut starts, mut ranges, mut discs) =
                    (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(2 * n), Vec::with_capacity(n));
                let (mut inits, mut init_ranges) = (Vec::with_capacity(n), Vec::with_capacity(2 * n));
                for s in segments {
                    urls.push(s.url);
                    starts.push(s.start_ms as f64);
                    // A length of 0 is no range, an empty URL no init section.
                    let (o, l) = s.range.unwrap_or((0, 0));
                    ranges.extend([o as f64, l as f64]);
                    discs.push(s.discontinuity as f64);
                    let (init, range) = s.init.unwrap_or_default();
                    let (o, l) = range.unwrap_or((0, 0));
                    inits.push(init);
                    init_ranges.extend([o as f64, l as f64]);
                }
                Wire::new(
                    "segments",
                    vec![
                        ("urls", Value::Texts(urls)),
                        ("starts", Value::Numbers(starts)),
                        ("ranges", Value::Numbers(ranges)),
                        ("discs", Value::Numbers(discs)),
                        ("inits", Value::Texts(inits)),
                        ("init_ranges", Value::Numbers(init_ranges)),
                        ("end", Value::Number(end_ms as f64)),
                    ],
                )
            }
            FromWorker::Variants { urls, codecs } => {
                Wire::new("variants", vec![("urls", Value::Texts(urls)), ("codecs", Value::Texts(codecs))])
            }
        }
    }

    /// `None` for a message that is not one of these.
    pub fn decode(mut w: Wire<B>) -> Option<Self> {
        let generation = w.generation();
        Some(match w.kind.as_str() {
            "ready" => FromWorker::Ready,
            "pushed" => FromWorker::Pushed,
            "init" => FromWorker::Init { generation, data: w.bytes("data")?, mime: w.text("mime").unwrap_or_default() },
            "media" => FromWorker::Media {
                generation,
                data: w.bytes("data")?,
                start_ms: w.number("start").unwrap_or(0.0) as i64,
                end_ms: w.number("end").unwrap_or(0.0) as i64,
            },
            "metadata" => {
                let (times, positions) = (w.numbers("times"), w.numbers("positions"));
                let keyframes = if times.len() == positions.len() {
                    times.into_iter().zip(positions).map(|(t, p)| (t, p as u64)).collect()
                } else {
                    Vec::new()
                };
                FromWorker::Metadata { generation, duration: w.number("duration"), keyframes }
            }
            "error" => FromWorker::Error {
                generation,
                kind: RemuxError::parse(&w.text("kind").unwrap_or_default()),
                message: w.text("message").unwrap_or_default(),
            },
            "done" => FromWorker::Done { generation },
            "need" => FromWorker::Need { generation, offset: w.number("offset")? as u64 },
            "segments" => {
                let (urls, starts, ranges, discs) =
                    (w.texts("urls"), w.numbers("starts"), w.numbers("ranges"), w.numbers("discs"));
                let (inits, init_ranges) = (w.texts("inits"), w.numbers("init_ranges"));
                let n = urls.len();
                let sizes = [starts.len(), ranges.len() / 2, discs.len(), inits.len(), init_ranges.len() / 2];
                if sizes.iter().any(|&k| k != n) || ranges.len() % 2 + init_ranges.len() % 2 != 0 {
                    return None;
                }
                let range = |v: &[f64], i: usize| (v[2 * i + 1] > 0.0).then(|| (v[2 * i] as u64, v[2 * i + 1] as u64));
                let segments = urls
                    .into_iter()
                    .enumerate()
                    .map(|(i, url)| SegmentInfo {
                        url,
                        start_ms: starts[i] as i64,
                        range: range(&ranges, i),
                        discontinuity: discs[i] as u64,
                        init: (!inits[i].is_empty()).then(|| (inits[i].clone(), range(&init_ranges, i))),
                    })
                    .collect();
                FromWorker::Segments { segments, end_ms: w.number("end").unwrap_or(0.0) as i64 }
            }
            "variants" => {
                let (urls, codecs) = (w.texts("urls"), w.texts("codecs"));
                if urls.len() != codecs.len() {
                    return None;
                }
                FromWorker::Variants { urls, codecs }
            }
            _ => return None,
        })
    }
}

pub mod js;

#[cfg(test)]
mod tests {
    use super::*;

    fn to_round_trip(m: ToWorker<Vec<u8>>) {
        assert_eq!(ToWorker::decode(m.clone().encode()), Some(m));
    }

    fn from_round_trip(m: FromWorker<Vec<u8>>) {
        assert_eq!(FromWorker::decode(m.clone().encode()), Some(m));
    }

    #[test]
    fn messages_to_the_worker_round_trip() {
        to_round_trip(ToWorker::Push(vec![0x46, 0x4c, 0x56]));
        to_round_trip(ToWorker::Push(Vec::new()));
        to_round_trip(ToWorker::Restart { offset: 0, generation: 0 });
        to_round_trip(ToWorker::Restart { offset: 5_000_000_000, generation: 7 });
        to_round_trip(ToWorker::Finish);
        to_round_trip(ToWorker::Segment { start_ms: 0, end_ms: 4000, discontinuity: 0 });
        to_round_trip(ToWorker::Segment { start_ms: 10_800_000, end_ms: 10_804_000, discontinuity: 3 });
        to_round_trip(ToWorker::Playlist { url: "/media/a/index.m3u8".into(), text: "#EXTM3U\n".into() });
        to_round_trip(ToWorker::Recycle(vec![0; 16]));
        for format in [FileFormat::Flv, FileFormat::Mp4, FileFormat::Hls] {
            to_round_trip(ToWorker::Open { format, place_ms: 1_800_000, start_ms: 42_000, generation: 3 });
        }
    }

    #[test]
    fn messages_from_the_worker_round_trip() {
        from_round_trip(FromWorker::Ready);
        from_round_trip(FromWorker::Pushed);
        from_round_trip(FromWorker::Init {
            generation: 3,
            data: vec![1, 2, 3],
            mime: "video/mp4; codecs=\"avc1.64001f,mp4a.40.2\"".into(),
        });
        from_round_trip(FromWorker::Media { generation: 1, data: vec![9; 10], start_ms: 1000, end_ms: 3000 });
        from_round_trip(FromWorker::Metadata {
            generation: 2,
            duration: Some(180.5),
            keyframes: vec![(0.0, 13), (2.0, 40_000), (4.0, 81_234)],
        });
        from_round_trip(FromWorker::Metadata { generation: 0, duration: None, keyframes: Vec::new() });
        for kind in [RemuxError::Corrupt, RemuxError::Unsupported, RemuxError::Truncated] {
            from_round_trip(FromWorker::Error { generation: 4, kind, message: "bad tag at 1234".into() });
        }
        from_round_trip(FromWorker::Done { generation: 9 });
        from_round_trip(FromWorker::Need { generation: 9, offset: 5_000_000_000 });
        from_round_trip(FromWorker::Segments {
            segments: vec![
                SegmentInfo { url: "/media/a/0.ts".into(), start_ms: 0, range: None, discontinuity: 0, init: None },
                SegmentInfo {
                    url: "/media/a/all.ts?t=1".into(),
                    start_ms: 4004,
                    range: Some((0, 1)),
                    discontinuity: 2,
                    init: Some(("/media/a/init.mp4".into(), Some((0, 720)))),
                },
                SegmentInfo {
                    url: "/media/a/1.m4s".into(),
                    start_ms: 8008,
                    range: None,
                    discontinuity: 2,
                    init: Some(("/media/a/init.mp4".into(), None)),
                },
            ],
            end_ms: 12_012,
        });
        from_round_trip(FromWorker::Segments { segments: Vec::new(), end_ms: 0 });
        from_round_trip(FromWorker::Variants {
            urls: vec!["hi/index.m3u8".into(), "lo/index.m3u8".into()],
            codecs: vec!["avc1.64001f,mp4a.40.2".into(), String::new()],
        });
    }

    #[test]
    fn every_field_is_named_in_fields() {
        let messages: Vec<Wire<Vec<u8>>> = vec![
            ToWorker::Push(vec![1]).encode(),
            ToWorker::Restart { offset: 1, generation: 1 }.encode(),
            ToWorker::Segment { start_ms: 1, end_ms: 2, discontinuity: 1 }.encode(),
            ToWorker::Playlist { url: "u".into(), text: "t".into() }.encode(),
            ToWorker::Open { format: FileFormat::Mp4, place_ms: 1, start_ms: 2, generation: 1 }.encode(),
            FromWorker::Need { generation: 1, offset: 1 }.encode(),
            FromWorker::Segments {
                segments: vec![SegmentInfo {
                    url: "u".into(),
                    start_ms: 0,
                    range: None,
                    discontinuity: 0,
                    init: Some(("i".into(), None)),
                }],
                end_ms: 1,
            }
            .encode(),
            FromWorker::Variants { urls: vec!["u".into()], codecs: vec![String::new()] }.encode(),
            FromWorker::Init { generation: 1, data: vec![1], mime: "m".into() }.encode(),
            FromWorker::Media { generation: 1, data: vec![1], start_ms: 0, end_ms: 1 }.encode(),
            FromWorker::Metadata { generation: 1, duration: Some(1.0), keyframes: vec![(0.0, 1)] }.encode(),
            FromWorker::Error { generation: 1, kind: RemuxError::Corrupt, message: "x".into() }.encode(),
        ];
        for w in messages {
            for (k, _) in &w.fields {
                assert!(FIELDS.contains(k), "{} has {k}", w.kind);
            }
        }
    }

    #[test]
    fn unknown_or_incomplete_messages_are_refused() {
        assert_eq!(ToWorker::<Vec<u8>>::decode(Wire::new("hello", Vec::new())), None);
        assert_eq!(ToWorker::<Vec<u8>>::decode(Wire::new("push", Vec::new())), None);
        assert_eq!(FromWorker::<Vec<u8>>::decode(Wire::new("media", vec![("gen", Value::Number(1.0))])), None);
        assert_eq!(FromWorker::<Vec<u8>>::generation(&FromWorker::Done { generation: 5 }), Some(5));
        assert_eq!(FromWorker::<Vec<u8>>::generation(&FromWorker::Pushed), None);
    }
}
