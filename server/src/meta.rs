//! Link previews: the web app's `index.html` with Open Graph and Twitter card tags for
//! the page asked for, so a replay or profile link pasted into a chat or a social site
//! shows its title, the replay's poster (or the streamer's photo) and a description.
//! Crawlers do not run the app's WebAssembly: these tags are all they read.
//!
//! Only the pages with something to show get tags: a replay (`/u/{streamer}/replays/{id}`,
//! `/embed/replays/{id}`) and a profile (`/u/{streamer}`, `/embed/u/{streamer}`). The
//! same public reads as the API make them (`routes::public`), so a hidden or gone
//! replay previews as nothing. Any other path, or a failed read, gets the plain file.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;

use relive_api::percent::encode;

use crate::AppState;
use crate::error::Failure;
use crate::routes::public;

/// What a page previews as.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Preview {
    pub title: String,
    pub description: String,
    /// Absolute.
    pub image: Option<String>,
    /// Absolute.
    pub url: String,
    pub video: bool,
    /// The streamer's name (display name, else id).
    pub author_name: String,
    /// The streamer's profile page. Absolute.
    pub author_url: String,
    /// The page made for iframes: `/embed/replays/{id}` or `/embed/u/{streamer}`. Absolute.
    pub embed_url: String,
    /// Its oEmbed address (`/oembed?url=…`), for the discovery link. Absolute.
    pub oembed_url: String,
    /// A replay's poster with its size in pixels (as far as it is known: a poster the
    /// server made is the video narrowed to at most 1280 wide, a screenshot the video's
    /// size; 16:9 when the video's size is not known).
    pub poster: Option<(String, u32, u32)>,
}

/// The page a path names, as far as previews care.
#[derive(Debug, PartialEq)]
pub enum Page<'a> {
    Replay(&'a str),
    Profile(&'a str),
}

/// The page of an absolute path (no query), if it is a replay's or a profile's.
pub fn page(path: &str) -> Option<Page<'_>> {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    match parts.as_slice() {
        ["u", s, "replays", id] if !s.is_empty() => Some(Page::Replay(id)),
        ["embed", "replays", id] => Some(Page::Replay(id)),
        ["u", s] | ["embed", "u", s] if !s.is_empty() => Some(Page::Profile(s)),
        _ => None,
    }
}

/// The preview of `path`, if it is a page with one. `origin` is this server's public
/// origin (`--public-url`, else the request's `Host`), to make paths absolute.
pub async fn preview(app: &AppState, path: &str, origin: &str) -> Option<Preview> {
    lookup(app, page(path)?, path, origin).await.ok()
}

/// What `page` (at `path`) shows, read as the public API reads it: a missing, hidden or
/// gone replay or streamer is the API's 404 or 410.
pub async fn lookup(app: &AppState, page: Page<'_>, path: &str, origin: &str) -> Result<Preview, Failure> {
    let absolute = |u: &str| if u.starts_with('/') { format!("{origin}{u}") } else { u.to_string() };
    let url = format!("{origin}{path}");
    let oembed_url = crate::oembed::endpoint(origin, &url);
    match page {
        Page::Replay(id) => {
            let Json(d) = public::replay(State(app.clone()), Path(id.to_string())).await?;
            let r = d.replay;
            let name = if d.streamer.display_name.is_empty() { d.streamer.id.clone() } else { d.streamer.display_name };
            let poster = r.poster_url.as_deref().map(|p| {
                let (w, h) = r.width.zip(r.height).filter(|(w, h)| *w > 0 && *h > 0).unwrap_or((1280, 720));
                let own = p.contains("/images/") && p.ends_with("/poster.jpg");
                let (w, h) = if own { crate::images::plan::poster_size(w, h) } else { (w, h) };
                (absolute(p), w, h)
            });
            Ok(Preview {
                title: format!("{} · {name}", r.title),
                description: format!("{name} · {} · Relive", clock(r.duration_secs)),
                image: poster.as_ref().map(|p| p.0.clone()),
                url,
                video: true,
                author_url: format!("{origin}/u/{}", encode(&d.streamer.id)),
                author_name: name,
                embed_url: format!("{origin}/embed/replays/{}", r.id),
                poster,
                oembed_url,
            })
        }
        Page::Profile(s) => {
            let decoded = percent_decode(s).ok_or_else(|| Failure::not_found("no such streamer"))?;
            let Json(st) = public::streamer(State(app.clone()), Path(decoded)).await?;
            let name = if st.display_name.is_empty() { st.id.clone() } else { st.display_name };
            Ok(Preview {
                title: name.clone(),
                description: if st.bio.trim().is_empty() { format!("{name} · Relive") } else { st.bio },
                image: st.avatar_url.as_deref().map(absolute),
                url,
                video: false,
                author_url: format!("{origin}/u/{}", encode(&st.id)),
                embed_url: format!("{origin}/embed/u/{}", encode(&st.id)),
                author_name: name,
                poster: None,
                oembed_url,
            })
        }
    }
}

/// `https://host` from `--public-url`, else `http://` + the request's Host.
pub fn origin(app: &AppState, headers: &HeaderMap) -> Option<String> {
    if let Some(base) = app.config.public_base() {
        return Some(base);
    }
    let host = headers.get(axum::http::header::HOST)?.to_str().ok()?;
    // A Host with anything but a name and a port would end up in the page.
    host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)).then(|| format!("http://{host}"))
}

/// `index.html` with the preview's tags added at the end of its `<head>`.
pub fn inject(index: &str, p: &Preview) -> String {
    let mut tags = String::new();
    let mut meta = |attr: &str, name: &str, content: &str| {
        tags.push_str(&format!("<meta {attr}=\"{name}\" content=\"{}\" />", escape(content)));
    };
    meta("property", "og:site_name", "Relive");
    meta("property", "og:type", if p.video { "video.other" } else { "profile" });
    meta("property", "og:title", &p.title);
    meta("property", "og:description", &p.description);
    meta("property", "og:url", &p.url);
    if let Some(image) = &p.image {
        meta("property", "og:image", image);
    }
    // A replay with a poster is a player card (the embed page in Twitter's/X's frame; the
    // card needs an image); anything else a summary.
    let player = p.video && p.image.is_some();
    meta("name", "twitter:card", if player { "player" } else { "summary" });
    meta("name", "twitter:title", &p.title);
    meta("name", "twitter:description", &p.description);
    if let Some(image) = &p.image {
        meta("name", "twitter:image", image);
    }
    if player {
        let (w, h) = crate::oembed::DEFAULT_SIZE;
        meta("name", "twitter:player", &p.embed_url);
        meta("name", "twitter:player:width", &w.to_string());
        meta("name", "twitter:player:height", &h.to_string());
    }
    // oEmbed discovery (https://oembed.com/#section4): where a consumer gets the iframe.
    tags.push_str(&format!(
        "<link rel=\"alternate\" type=\"application/json+oembed\" href=\"{}\" title=\"{}\" />",
        escape(&p.oembed_url),
        escape(&p.title)
    ));
    let title = format!("<title>{} · Relive</title>", escape(&p.title));
    let html = match (index.find("<title>"), index.find("</title>")) {
        (Some(a), Some(b)) if a < b => format!("{}{title}{}", &index[..a], &index[b + "</title>".len()..]),
        _ => index.to_string(),
    };
    // At the end of the head; a file without `</head>` (allowed) before its body or content.
    let at = html
        .find("</head>")
        .or_else(|| html.find("<body"))
        .or_else(|| html.find("</title>").map(|t| t + "</title>".len()))
        .unwrap_or(html.len());
    format!("{}{tags}{}", &html[..at], &html[at..])
}

/// `1:02:03` or `2:03`.
fn clock(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

/// Text as an HTML attribute value or element content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `%XX` sequences of a path segment decoded (a streamer id with non-ASCII letters).
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_with_previews() {
        assert_eq!(page("/u/mei/replays/42"), Some(Page::Replay("42")));
        assert_eq!(page("/embed/replays/42/"), Some(Page::Replay("42")));
        assert_eq!(page("/u/mei"), Some(Page::Profile("mei")));
        assert_eq!(page("/embed/u/mei"), Some(Page::Profile("mei")));
        for none in ["/", "/u", "/u/", "/u/mei/x/1", "/embed", "/404", "/u//replays/1"] {
            assert_eq!(page(none), None, "{none}");
        }
    }

    #[test]
    fn tags_go_in_the_head_escaped() {
        let index = "<html><head><title>Relive</title><link rel=x></head><body></body></html>";
        let p = Preview {
            title: "Night \"drive\" <live>".into(),
            description: "d & more".into(),
            image: Some("https://x/images/1/poster.jpg".into()),
            url: "https://x/u/a/replays/1".into(),
            video: true,
            embed_url: "https://x/embed/replays/1".into(),
            oembed_url: "https://x/oembed?url=https%3A%2F%2Fx%2Fu%2Fa%2Freplays%2F1&format=json".into(),
            ..Default::default()
        };
        let html = inject(index, &p);
        assert!(html.contains("<title>Night &quot;drive&quot; &lt;live&gt; · Relive</title>"), "{html}");
        assert!(html.contains(r#"<meta property="og:image" content="https://x/images/1/poster.jpg" />"#));
        assert!(html.contains(r#"<meta name="twitter:card" content="player" />"#));
        assert!(html.contains(r#"<meta name="twitter:player" content="https://x/embed/replays/1" />"#));
        assert!(html.contains(
            r#"<link rel="alternate" type="application/json+oembed" href="https://x/oembed?url=https%3A%2F%2Fx%2Fu%2Fa%2Freplays%2F1&amp;format=json" title="Night &quot;drive&quot; &lt;live&gt;" />"#
        ), "{html}");
        // Without a poster: no player card (it needs an image).
        let html = inject(index, &Preview { image: None, ..p.clone() });
        assert!(html.contains(r#"<meta name="twitter:card" content="summary" />"#) && !html.contains("twitter:player"));
        assert!(html.contains(r#"content="d &amp; more""#));
        assert!(html.find("og:title").unwrap() < html.find("</head>").unwrap());
        assert_eq!(html.matches("<title>").count(), 1);
        // Without a head's end tag: after the title.
        let html = inject("<!doctype html><title>Relive</title><p>x", &p);
        assert!(html.find("og:title").unwrap() > html.find("</title>").unwrap() && html.ends_with("<p>x"), "{html}");
    }

    #[test]
    fn clocks() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(125.4), "2:05");
        assert_eq!(clock(3723.0), "1:02:03");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%E5%B0%8F%E9%B1%BC").as_deref(), Some("小鱼"));
        assert_eq!(percent_decode("mei").as_deref(), Some("mei"));
        assert_eq!(percent_decode("%G1"), None);
        assert_eq!(percent_decode("%E5"), None);
    }
}
