//! Playlists as recorders write them, every tag, errors with their lines, and no panics.

use super::*;

fn media(text: &str, url: &str) -> MediaPlaylist {
    match parse(text, url) {
        Ok(Playlist::Media(m)) => m,
        other => panic!("not a media playlist: {other:?}"),
    }
}

fn error(text: &str) -> PlaylistError {
    parse(text, "/m/index.m3u8").expect_err("should be refused")
}

fn urls(m: &MediaPlaylist) -> Vec<&str> {
    m.segments.iter().map(|s| s.url.as_str()).collect()
}

/// `ffmpeg -f lavfi -i testsrc2 -f lavfi -i sine -t 10 -c:v libx264 -g 25 -c:a aac
/// -f hls -hls_time 4 -hls_playlist_type vod index.m3u8` (ffmpeg 5.1), byte for byte.
const FFMPEG_VOD: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n\
#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4.000000,\nindex0.ts\n#EXTINF:4.000000,\nindex1.ts\n#EXTINF:2.000000,\n\
index2.ts\n#EXT-X-ENDLIST\n";

#[test]
fn an_ffmpeg_vod_playlist() {
    let m = media(FFMPEG_VOD, "/media/demo/abc/index.m3u8");
    assert_eq!((m.target_duration, m.media_sequence, m.ended, m.vod), (4, 0, true, true));
    assert_eq!(urls(&m), ["/media/demo/abc/index0.ts", "/media/demo/abc/index1.ts", "/media/demo/abc/index2.ts"]);
    assert_eq!(m.segments.iter().map(|s| s.start_ms).collect::<Vec<_>>(), [0, 4000, 8000]);
    assert_eq!(m.segments[2].duration, 2.0);
    assert_eq!(m.duration_ms(), 10_000);
    assert!(m.segments.iter().all(|s| s.byte_range.is_none() && s.map.is_none() && s.discontinuity == 0));
}

/// `-hls_segment_type fmp4 -hls_flags single_file` (ffmpeg 5.1): one file, byte ranges,
/// and an init section with a range of its own.
#[test]
fn an_ffmpeg_fmp4_single_file_playlist() {
    let text = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n\
#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI=\"fm.m4s\",BYTERANGE=\"827@0\"\n#EXTINF:4.000000,\n\
#EXT-X-BYTERANGE:154320@827\nfm.m4s\n#EXTINF:4.000000,\n#EXT-X-BYTERANGE:157439@155147\nfm.m4s\n\
#EXTINF:1.000000,\n#EXT-X-BYTERANGE:36829@312586\nfm.m4s\n#EXT-X-ENDLIST\n";
    let m = media(text, "https://cdn.example/v/fm.m3u8");
    let init = InitSection { url: "https://cdn.example/v/fm.m4s".into(), byte_range: Some((0, 827)) };
    assert!(m.segments.iter().all(|s| s.map.as_ref() == Some(&init)));
    let ranges: Vec<_> = m.segments.iter().map(|s| s.byte_range.unwrap()).collect();
    assert_eq!(ranges, [(827, 154320), (155147, 157439), (312586, 36829)]);
    assert_eq!(m.duration_ms(), 9_000);
}

/// `-hls_flags single_file` with TS, and ranges without an offset (they follow the
/// previous range of the same URI).
#[test]
fn byte_ranges_without_offsets_follow_the_previous_one() {
    let text = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n#EXT-X-BYTERANGE:100@0\nsf.ts\n\
#EXTINF:4,\n#EXT-X-BYTERANGE:200\nsf.ts\n#EXTINF:4,\n#EXT-X-BYTERANGE:50\nsf.ts\n#EXT-X-ENDLIST\n";
    let m = media(text, "/m/sf.m3u8");
    let ranges: Vec<_> = m.segments.iter().map(|s| s.byte_range.unwrap()).collect();
    assert_eq!(ranges, [(0, 100), (100, 200), (300, 50)]);
    // Without an offset after a different URI (or none): refused, naming the BYTERANGE.
    let e = error("#EXTM3U\n#EXTINF:4,\n#EXT-X-BYTERANGE:100@0\na.ts\n#EXTINF:4,\n#EXT-X-BYTERANGE:200\nb.ts\n");
    assert_eq!(e.line, 7, "{e}");
    assert_eq!(error("#EXTM3U\n#EXTINF:4,\n#EXT-X-BYTERANGE:100\na.ts\n").line, 4);
    assert_eq!(error("#EXTM3U\n#EXTINF:4,\n#EXT-X-BYTERANGE:1@18446744073709551615\na.ts\n").line, 4);
}

/// `-master_pl_name master.m3u8 -var_stream_map "v:0,a:0"` (ffmpeg 5.1).
#[test]
fn an_ffmpeg_master_playlist() {
    let text = "#EXTM3U\n#EXT-X-VERSION:3\n\
#EXT-X-STREAM-INF:BANDWIDTH=75900,RESOLUTION=320x240,CODECS=\"avc1.64000d,mp4a.40.2\"\nv0/index.m3u8\n\n";
    let Playlist::Master(v) = parse(text, "https://cdn.example/rec/master.m3u8?sign=1").unwrap() else {
        panic!("not a master playlist")
    };
    assert_eq!(
        v,
        [Variant {
            url: "https://cdn.example/rec/v0/index.m3u8?sign=1".into(),
            bandwidth: Some(75900),
            codecs: Some("avc1.64000d,mp4a.40.2".into()),
            resolution: Some((320, 240)),
        }]
    );
}

#[test]
fn master_playlists_and_picking_a_variant() {
    let text = "#EXTM3U\n\
#EXT-X-INDEPENDENT-SEGMENTS\n\
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",NAME=\"main\",URI=\"audio.m3u8\"\n\
#EXT-X-STREAM-INF:BANDWIDTH=5000000,CODECS=\"hvc1.1.6.L120.90,mp4a.40.2\",RESOLUTION=1920x1080,FRAME-RATE=30\n\
hevc/1080.m3u8\n\
# a comment between variants\n\
#EXT-X-STREAM-INF:BANDWIDTH=2500000,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720\n\
http://other.example/720.m3u8\n\
#EXT-X-STREAM-INF:BANDWIDTH=800000\n\
/abs/480.m3u8\n\
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100000,URI=\"iframes.m3u8\"\n";
    let Playlist::Master(v) = parse(text, "https://cdn.example/rec/master.m3u8").unwrap() else { panic!() };
    let got: Vec<_> = v.iter().map(|v| (v.url.as_str(), v.bandwidth, v.resolution)).collect();
    assert_eq!(
        got,
        [
            ("https://cdn.example/rec/hevc/1080.m3u8", Some(5_000_000), Some((1920, 1080))),
            ("http://other.example/720.m3u8", Some(2_500_000), Some((1280, 720))),
            ("https://cdn.example/abs/480.m3u8", Some(800_000), None),
        ]
    );
    let avc_only = |c: &str| c.split(',').all(|c| c.starts_with("avc1.") || c.starts_with("mp4a."));
    assert_eq!(pick_variant(&v, avc_only).unwrap().bandwidth, Some(2_500_000));
    // Nothing with CODECS plays: the one without CODECS is taken.
    assert_eq!(pick_variant(&v, |_| false).unwrap().bandwidth, Some(800_000));
    assert_eq!(pick_variant(&v[..2], |_| false), None);
    assert_eq!(pick_variant(&[], |_| true), None);
    assert_eq!(pick_variant(&v, |_| true).unwrap().bandwidth, Some(5_000_000), "the first that plays");
}

/// The shape Tencent's HLS recordings are reported to have (`..._eof.m3u8` on COS; the
/// exact text is unverified): relative segment names, a discontinuity where a push
/// resumed (续录), and a signed URL whose query the segments need too.
#[test]
fn a_tencent_style_signed_playlist() {
    let text = "#EXTM3U\r\n#EXT-X-VERSION:3\r\n#EXT-X-MEDIA-SEQUENCE:0\r\n#EXT-X-TARGETDURATION:11\r\n\
#EXTINF:10.000,\r\n2025-04-01-13-08-14_0.ts\r\n#EXTINF:10.000,\r\n2025-04-01-13-08-14_1.ts\r\n\
#EXT-X-DISCONTINUITY\r\n#EXTINF:9.520,\r\n2025-04-01-13-08-14_2.ts\r\n#EXT-X-ENDLIST\r\n";
    let url = "http://bucket-1250000000.cos.ap-shanghai.myqcloud.com/streams/s42/2025-04-01-13-08-14_eof.m3u8\
?t=6553ff10&rlimit=3&us=72d4cd1101&sign=f35f15d9b6c5cebd791d14a97c696d6e";
    let m = media(text, url);
    assert_eq!(
        m.segments[0].url,
        "http://bucket-1250000000.cos.ap-shanghai.myqcloud.com/streams/s42/2025-04-01-13-08-14_0.ts\
?t=6553ff10&rlimit=3&us=72d4cd1101&sign=f35f15d9b6c5cebd791d14a97c696d6e"
    );
    assert_eq!(m.segments.iter().map(|s| s.discontinuity).collect::<Vec<_>>(), [0, 0, 1]);
    assert_eq!(m.duration_ms(), 29_520);
    assert!(m.ended && m.vod);
}

/// nginx-rtmp (`hls on`) writes a sliding window without ENDLIST or PLAYLIST-TYPE, with
/// a discontinuity first and three decimals.
#[test]
fn an_nginx_rtmp_playlist() {
    let text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:12\n#EXT-X-TARGETDURATION:5\n\
#EXT-X-DISCONTINUITY\n#EXTINF:5.005,\nme-12.ts\n#EXTINF:4.171,\nme-13.ts\n#EXTINF:0.334,\nme-14.ts\n";
    let m = media(text, "/media/hls/me.m3u8");
    assert_eq!((m.media_sequence, m.ended, m.vod), (12, false, false));
    assert_eq!(urls(&m), ["/media/hls/me-12.ts", "/media/hls/me-13.ts", "/media/hls/me-14.ts"]);
    assert_eq!(m.segments.iter().map(|s| s.start_ms).collect::<Vec<_>>(), [0, 5005, 9176]);
    assert_eq!(m.duration_ms(), 9510);
    assert!(m.segments.iter().all(|s| s.discontinuity == 1));
}

/// SRS writes `#EXTINF:<d>, no desc` and names segments `<stream>-<seq>.ts`.
#[test]
fn an_srs_playlist() {
    let text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-TARGETDURATION:10\n\
#EXTINF:10.007, no desc\nlivestream-5.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:3.5, no desc\nlivestream-6.ts\n";
    let m = media(text, "http://srs.example:8080/live/livestream.m3u8");
    assert_eq!(m.segments[1].url, "http://srs.example:8080/live/livestream-6.ts");
    assert_eq!(m.segments[1].discontinuity, 1);
    assert_eq!(m.duration_ms(), 13_507);
}

#[test]
fn every_tag() {
    let text = "\u{feff}\n\n#EXTM3U\n\
# a comment\n\
#EXT-X-VERSION:6\n\
#EXT-X-TARGETDURATION:6\n\
#EXT-X-MEDIA-SEQUENCE:100\n\
#EXT-X-DISCONTINUITY-SEQUENCE:7\n\
#EXT-X-PLAYLIST-TYPE:EVENT\n\
#EXT-X-KEY:METHOD=NONE\n\
#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z\n\
#EXT-X-SOMETHING-NEW:A=1\n\
#EXTINF:5,title, with a comma\n\
a.ts\n\
  #EXTINF:5.5 \n\
\n\
b.ts?x=1\n\
#EXT-X-DISCONTINUITY\n\
#EXT-X-MAP:URI=\"init.mp4\"\n\
#EXTINF:0.25,\n\
c.m4s\n\
#EXT-X-DISCONTINUITY\n\
#EXT-X-MAP:URI=\"init2.mp4\",BYTERANGE=\"720\"\n\
#EXTINF:1,\n\
d.m4s\n";
    let m = media(text, "/r/i.m3u8");
    assert_eq!((m.target_duration, m.media_sequence, m.ended, m.vod), (6, 100, false, false));
    assert_eq!(urls(&m), ["/r/a.ts", "/r/b.ts?x=1", "/r/c.m4s", "/r/d.m4s"]);
    assert_eq!(m.segments.iter().map(|s| s.duration).collect::<Vec<_>>(), [5.0, 5.5, 0.25, 1.0]);
    assert_eq!(m.segments.iter().map(|s| s.start_ms).collect::<Vec<_>>(), [0, 5000, 10500, 10750]);
    assert_eq!(m.segments.iter().map(|s| s.discontinuity).collect::<Vec<_>>(), [7, 7, 8, 9]);
    assert_eq!(m.segments[1].map, None);
    assert_eq!(m.segments[2].map, Some(InitSection { url: "/r/init.mp4".into(), byte_range: None }));
    assert_eq!(m.segments[3].map, Some(InitSection { url: "/r/init2.mp4".into(), byte_range: Some((0, 720)) }));
    assert_eq!(m.duration_ms(), 11_750);

    let vod = media("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:1,\na.ts\n", "/a.m3u8");
    assert!(vod.vod && !vod.ended);
    let ended = media("#EXTM3U\n#EXTINF:1,\na.ts\n#EXT-X-ENDLIST\n", "/a.m3u8");
    assert!(ended.vod && ended.ended);
    // No TARGETDURATION: the longest segment, rounded up.
    assert_eq!(ended.target_duration, 1);
    assert_eq!(media("#EXTM3U\n#EXTINF:4.2,\na.ts\n", "/").target_duration, 5);
    assert_eq!(media("#EXTM3U\n#EXT-X-TARGETDURATION:9.5\n", "/").target_duration, 10);
}

#[test]
fn an_empty_media_playlist() {
    let m = media("#EXTM3U\n#EXT-X-TARGETDURATION:4\n", "/a.m3u8");
    assert!(m.segments.is_empty());
    assert_eq!((m.duration_ms(), m.segment_at(0)), (0, None));
}

#[test]
fn durations_are_summed_in_f64() {
    // 3,000 segments of 0.1 s: f32 would drift by tens of milliseconds.
    let mut text = String::from("#EXTM3U\n");
    for i in 0..3000 {
        text.push_str(&format!("#EXTINF:0.1,\n{i}.ts\n"));
    }
    let m = media(&text, "/x.m3u8");
    assert_eq!(m.duration_ms(), 300_000);
    assert_eq!(m.segments[2999].start_ms, 299_900);
    assert_eq!(m.segments[1234].start_ms, 123_400);
}

#[test]
fn segment_at_finds_the_last_start_at_or_before() {
    let m = media(FFMPEG_VOD, "/x.m3u8"); // starts 0, 4000, 8000; ends 10000
    let at = |t| m.segment_at(t).unwrap();
    assert_eq!(
        [at(-5), at(0), at(3999), at(4000), at(7999), at(8000), at(9999), at(10_000), at(99_999)],
        [0, 0, 0, 1, 1, 2, 2, 2, 2]
    );
    // Zero-length segments: the last of those starting at the same time.
    let z = media("#EXTM3U\n#EXTINF:0,\na.ts\n#EXTINF:0,\nb.ts\n#EXTINF:2,\nc.ts\n", "/");
    assert_eq!((z.segment_at(0), z.segment_at(1)), (Some(2), Some(2)));
}

#[test]
fn encrypted_playlists_are_refused() {
    for key in ["METHOD=AES-128,URI=\"key.bin\",IV=0x0123", "METHOD=SAMPLE-AES,URI=\"k\"", "METHOD=SAMPLE-AES-CTR"] {
        let e = error(&format!("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-KEY:{key}\n#EXTINF:4,\na.ts\n"));
        assert_eq!((e.line, e.message.as_str()), (3, ENCRYPTED));
        assert_eq!(e.to_string(), "line 3: encrypted playlists are not supported");
    }
    assert_eq!(error("#EXTM3U\n#EXT-X-KEY:URI=\"k\"\n").line, 2);
}

#[test]
fn errors_name_their_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 1, "empty"),
        ("\n\n  \n", 1, "empty"),
        ("#EXTINF:4,\na.ts\n", 1, "#EXTM3U"),
        ("\n\nhello\n#EXTM3U\n", 3, "#EXTM3U"),
        ("#EXTM3U\n#EXTINF:abc,\na.ts\n", 2, "not a number"),
        ("#EXTM3U\n#EXTINF:-1,\na.ts\n", 2, "not a number"),
        ("#EXTM3U\n#EXTINF:NaN,\na.ts\n", 2, "not a number"),
        ("#EXTM3U\n#EXTINF:inf,\na.ts\n", 2, "not a number"),
        ("#EXTM3U\n#EXTINF\na.ts\n", 2, "not a number"),
        ("#EXTM3U\n#EXTINF:4,\n#EXTINF:4,\na.ts\n", 3, "line 2"),
        ("#EXTM3U\n#EXTINF:4,\na.ts\nb.ts\n", 4, "without #EXTINF"),
        ("#EXTM3U\n#EXTINF:4,\na.ts\n#EXTINF:4,\n", 4, "no URI"),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:x\n", 2, "whole number"),
        ("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-1\n", 2, "whole number"),
        ("#EXTM3U\n#EXT-X-DISCONTINUITY-SEQUENCE:1.5\n", 2, "whole number"),
        ("#EXTM3U\n#EXT-X-PLAYLIST-TYPE:LIVE\n", 2, "VOD or EVENT"),
        ("#EXTM3U\n#EXTINF:4,\n#EXT-X-BYTERANGE:abc\na.ts\n", 3, "<length>"),
        ("#EXTM3U\n#EXT-X-BYTERANGE:10@0\n", 2, "no segment"),
        ("#EXTM3U\n#EXT-X-MAP:BYTERANGE=\"1@0\"\n", 2, "no URI"),
        ("#EXTM3U\n#EXT-X-MAP:URI=\"a.mp4\",BYTERANGE=\"x\"\n", 2, "BYTERANGE"),
        ("#EXTM3U\n#EXT-X-MAP:URI=\"a.mp4\n", 2, "closing quote"),
        ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n", 2, "no URI"),
        ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\nb.m3u8\n", 3, "line 2"),
        ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n#EXTINF:4,\na.ts\n", 4, "not both"),
        ("#EXTM3U\n#EXTINF:4,\na.ts\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n", 4, "not both"),
    ];
    for (text, line, says) in cases {
        let e = parse(text, "/m/i.m3u8").expect_err(text);
        assert_eq!(e.line, *line, "{text:?}: {e}");
        assert!(e.message.contains(says), "{text:?}: {e}");
        assert!(e.to_string().starts_with(&format!("line {line}: ")), "{e}");
    }
}

/// Every prefix and thousands of byte-level mutations of real playlists: an answer,
/// never a panic (the fuzzing the browser build cannot afford to skip).
#[test]
fn never_panics() {
    let samples = [
        FFMPEG_VOD,
        "#EXTM3U\n#EXT-X-MAP:URI=\"i.mp4\",BYTERANGE=\"10@0\"\n#EXTINF:1,\n#EXT-X-BYTERANGE:5@10\na\n#EXTINF:1,\n\
#EXT-X-BYTERANGE:5\na\n#EXT-X-DISCONTINUITY-SEQUENCE:18446744073709551615\n#EXT-X-DISCONTINUITY\n#EXTINF:1e300,\nb\n",
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"a,b\",RESOLUTION=1x1\nv.m3u8\n",
    ];
    let bases = ["/m/i.m3u8?q=1", "https://h.example/a/b.m3u8", "", "?", "//h", "a:b"];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b"#:,@=\"\n\r x.-/?%0123456789EXTINFM3U";
    for sample in samples {
        for cut in 0..=sample.len() {
            if sample.is_char_boundary(cut) {
                for base in bases {
                    let _ = parse(&sample[..cut], base);
                }
            }
        }
        for _ in 0..3000 {
            let mut bytes = sample.as_bytes().to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % bytes.len();
                match next() % 3 {
                    0 => bytes[at] = alphabet[(next() as usize) % alphabet.len()],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let base = bases[(next() as usize) % bases.len()];
            if let Ok(Playlist::Media(m)) = parse(&text, base) {
                let _ = (m.duration_ms(), m.segment_at(i64::MIN), m.segment_at(i64::MAX));
            }
        }
    }
}
