use std::fmt;

/// What went wrong, and where: `offset` is the byte offset in the input (the FLV file;
/// for the MP4 reader, from the start of the slice it was given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub offset: u64,
    pub kind: ErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The data does not start with the FLV signature.
    NotFlv,
    /// A tag's header or trailer contradicts itself.
    CorruptTag(&'static str),
    /// The input ended inside a tag (FLV), or before a sample's bytes (MP4).
    Truncated,
    /// Script data (AMF0) that cannot be read.
    BadScriptData(&'static str),
    /// An AVC or AAC configuration that cannot be read.
    BadCodecConfig(&'static str),
    /// A codec this crate does not remux (HEVC, MP3, ...).
    UnsupportedCodec(String),
    /// Media before its codec configuration, or a similar impossibility.
    BadStream(&'static str),
    /// An MP4 box that cannot be read: an impossible size, or shorter than its fields.
    BadBox(&'static str),
    /// An MP4 whose `mvhd` gives no duration (0, or a timescale of 0).
    NoDuration,
}

impl Error {
    pub fn new(offset: u64, kind: ErrorKind) -> Self {
        Error { offset, kind }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::NotFlv => f.write_str("not an FLV file"),
            ErrorKind::CorruptTag(why) => write!(f, "corrupt tag: {why}"),
            ErrorKind::Truncated => f.write_str("the file ends early (in the middle of a tag or a sample)"),
            ErrorKind::BadScriptData(why) => write!(f, "unreadable script data: {why}"),
            ErrorKind::BadCodecConfig(why) => write!(f, "unreadable codec configuration: {why}"),
            ErrorKind::UnsupportedCodec(c) => write!(f, "unsupported codec: {c}"),
            ErrorKind::BadStream(why) => write!(f, "invalid stream: {why}"),
            ErrorKind::BadBox(why) => write!(f, "corrupt MP4 box: {why}"),
            ErrorKind::NoDuration => f.write_str("the MP4 has no duration"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.kind, self.offset)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
