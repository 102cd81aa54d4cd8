//! HLS playlists (m3u8, RFC 8216): the VOD subset recordings use. Being written (issue 12).
