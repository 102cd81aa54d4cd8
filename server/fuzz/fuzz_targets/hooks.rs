//! Every hook format's real `parse`, on arbitrary bytes: the first byte picks the format,
//! the rest is the body. A panic is the finding; rejections are expected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relive_server::hooks::{nginx_rtmp, srs, tencent};

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    match which % 3 {
        // Tencent: JSON, signature check (with and without a key), event parsing.
        0 => {
            let _ = tencent::parse(body, Some("key"), 1_700_000_000);
            let _ = tencent::parse(body, None, 1_700_000_000);
        }
        1 => {
            let _ = srs::parse(body);
        }
        _ => {
            let _ = nginx_rtmp::parse(body);
        }
    }
});
