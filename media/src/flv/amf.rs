//! AMF0 script data, as far as `onMetaData` needs it.

use crate::error::ErrorKind;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Bool(bool),
    String(String),
    Object(Vec<(String, Value)>),
    Array(Vec<Value>),
    Date(f64),
    Null,
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_numbers(&self) -> Option<Vec<f64>> {
        match self {
            Value::Array(items) => items.iter().map(Value::as_f64).collect(),
            _ => None,
        }
    }
}

/// The fields of `onMetaData` players use. Writers fill what they like: all optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    pub duration: Option<f64>,
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub framerate: Option<f64>,
    pub videocodecid: Option<f64>,
    pub audiocodecid: Option<f64>,
    /// `keyframes.times` (seconds) with `keyframes.filepositions` (bytes), when present.
    pub keyframes: Option<Vec<(f64, u64)>>,
}

impl Metadata {
    pub fn from_value(v: &Value) -> Metadata {
        let num = |k: &str| v.get(k).and_then(Value::as_f64).filter(|n| n.is_finite());
        let keyframes = v.get("keyframes").and_then(|k| {
            let times = k.get("times")?.as_numbers()?;
            let positions = k.get("filepositions")?.as_numbers()?;
            (times.len() == positions.len() && !times.is_empty())
                .then(|| times.into_iter().zip(positions.into_iter().map(|p| p as u64)).collect())
        });
        Metadata {
            duration: num("duration"),
            width: num("width"),
            height: num("height"),
            framerate: num("framerate"),
            videocodecid: num("videocodecid"),
            audiocodecid: num("audiocodecid"),
            keyframes,
        }
    }
}

/// Reads `onMetaData` from a script tag's data; `None` for other script tags.
pub fn parse_metadata(data: &[u8]) -> Result<Option<Metadata>, ErrorKind> {
    let mut r = Reader { data, pos: 0, depth: 0 };
    let name = r.value()?;
    if name != Value::String("onMetaData".into()) {
        return Ok(None);
    }
    let value = r.value()?;
    Ok(Some(Metadata::from_value(&value)))
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    depth: u32,
}

const MAX_DEPTH: u32 = 32;

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ErrorKind> {
        let end =
            self.pos.checked_add(n).filter(|&e| e <= self.data.len()).ok_or(ErrorKind::BadScriptData("ends early"))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, ErrorKind> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, ErrorKind> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, ErrorKind> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f64(&mut self) -> Result<f64, ErrorKind> {
        let b = self.take(8)?;
        Ok(f64::from_be_bytes(b.try_into().unwrap_or([0; 8])))
    }

    fn string(&mut self, len: usize) -> Result<String, ErrorKind> {
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }

    fn value(&mut self) -> Result<Value, ErrorKind> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ErrorKind::BadScriptData("nested too deeply"));
        }
        let marker = self.u8()?;
        let v = match marker {
            0 => Value::Number(self.f64()?),
            1 => Value::Bool(self.u8()? != 0),
            2 => {
                let n = self.u16()? as usize;
                Value::String(self.string(n)?)
            }
            3 => Value::Object(self.properties()?),
            5 | 6 => Value::Null,
            8 => {
                let _approximate_count = self.u32()?;
                Value::Object(self.properties()?)
            }
            10 => {
                let n = self.u32()? as usize;
                // Each element takes at least one byte: a count beyond the data is a lie.
                if n > self.data.len() - self.pos {
                    return Err(ErrorKind::BadScriptData("array longer than the tag"));
                }
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value()?);
                }
                Value::Array(items)
            }
            11 => {
                let t = self.f64()?;
                self.take(2)?;
                Value::Date(t)
            }
            12 => {
                let n = self.u32()? as usize;
                Value::String(self.string(n)?)
            }
            _ => return Err(ErrorKind::BadScriptData("unknown AMF0 type")),
        };
        self.depth -= 1;
        Ok(v)
    }

    /// Key/value pairs up to the object-end marker (00 00 09).
    fn properties(&mut self) -> Result<Vec<(String, Value)>, ErrorKind> {
        let mut fields = Vec::new();
        loop {
            // Some writers end an ECMA array with the data instead of the marker.
            if self.pos + 3 > self.data.len() {
                return Ok(fields);
            }
            let n = self.u16()? as usize;
            if n == 0 && self.data.get(self.pos) == Some(&9) {
                self.pos += 1;
                return Ok(fields);
            }
            let key = self.string(n)?;
            let v = self.value()?;
            fields.push((key, v));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn s(out: &mut Vec<u8>, text: &str) {
        out.extend_from_slice(&(text.len() as u16).to_be_bytes());
        out.extend_from_slice(text.as_bytes());
    }

    pub fn num(out: &mut Vec<u8>, n: f64) {
        out.push(0);
        out.extend_from_slice(&n.to_be_bytes());
    }

    #[test]
    fn reads_on_metadata_with_keyframes() {
        let mut d = vec![2];
        s(&mut d, "onMetaData");
        d.extend_from_slice(&[8, 0, 0, 0, 3]);
        s(&mut d, "duration");
        num(&mut d, 12.5);
        s(&mut d, "width");
        num(&mut d, 640.0);
        s(&mut d, "keyframes");
        d.push(3);
        s(&mut d, "filepositions");
        d.extend_from_slice(&[10, 0, 0, 0, 2]);
        num(&mut d, 100.0);
        num(&mut d, 5000.0);
        s(&mut d, "times");
        d.extend_from_slice(&[10, 0, 0, 0, 2]);
        num(&mut d, 0.0);
        num(&mut d, 2.0);
        d.extend_from_slice(&[0, 0, 9, 0, 0, 9]);
        let m = parse_metadata(&d).unwrap().unwrap();
        assert_eq!(m.duration, Some(12.5));
        assert_eq!(m.width, Some(640.0));
        assert_eq!(m.keyframes, Some(vec![(0.0, 100), (2.0, 5000)]));
    }

    #[test]
    fn bad_script_data_is_an_error_not_a_panic() {
        assert!(parse_metadata(&[2, 0, 10, b'o']).is_err());
        assert!(parse_metadata(&[99]).is_err());
        let mut d = vec![2];
        s(&mut d, "onMetaData");
        d.extend_from_slice(&[10, 0xff, 0xff, 0xff, 0xff]);
        assert!(parse_metadata(&d).is_err());
        let deep: Vec<u8> = std::iter::repeat_n([10u8, 0, 0, 0, 1], 100).flatten().collect();
        let mut d = vec![2];
        s(&mut d, "onMetaData");
        d.extend_from_slice(&deep);
        assert!(parse_metadata(&d).is_err());
        let mut other = vec![2];
        s(&mut other, "onCuePoint");
        assert_eq!(parse_metadata(&other).unwrap(), None);
    }
}
