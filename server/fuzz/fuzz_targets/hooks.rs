//! Callback parsing of every hook format, on arbitrary bytes: the first byte picks the
//! format, the rest is the body. A panic is the finding; rejections are expected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relive_server::hooks::{Fields, json_object, local, tencent};

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    match which % 3 {
        // Tencent: JSON, signature check, event parsing.
        0 => {
            if let Ok(map) = json_object(body) {
                let _ = tencent::verify(&map, Some("key"), 1_700_000_000);
                let _ = tencent::verify(&map, None, 1_700_000_000);
                let _ = tencent::parse(&map, String::new());
            }
        }
        // SRS: JSON fields as the SRS hook reads them.
        1 => {
            if let Ok(map) = json_object(body) {
                let f = Fields(&map);
                let _ = f.req_str("action");
                let _ = f.str("file");
                let _ = f.str("cwd");
                let _ = local::stream_id("stream", f.str("stream").ok().flatten());
                let _ = local::record_format(&f.str("param").ok().flatten().unwrap_or_default());
                let _ = f.int("event_time");
                let _ = f.u64("sequence");
            }
        }
        // nginx-rtmp: a form, as its hook reads it.
        _ => {
            let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
            let get = |k: &str| form.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
            let _ = local::stream_id("name", get("name"));
            let _ = local::record_format(&format!("record={}", get("record").unwrap_or_default()));
        }
    }
});
