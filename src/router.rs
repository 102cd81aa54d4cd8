//! Client-side routing for the app's five addresses, without a router library: a
//! [`Route`] parsed from the path (a pure function, tested natively), the current
//! [`Location`] in signals, and same-origin link clicks turned into history entries.
//!
//! leptos_router did this before; for five flat routes it cost about 6 % of the first
//! download (see `make size`), more than all of this.

use leptos::prelude::*;
use relive_api::percent::{decode, encode};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::browser;

/// What an address shows. Path segments come percent-decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/`
    Directory,
    /// `/u/{streamer}`
    Profile {
        streamer: String,
    },
    /// `/u/{streamer}/replays/{replay}`
    Watch {
        streamer: String,
        replay: String,
    },
    /// `/embed/replays/{replay}`
    EmbedReplay {
        replay: String,
    },
    /// `/embed/u/{streamer}`
    EmbedProfile {
        streamer: String,
    },
    /// `/embed/playground`: try the embed's parameters and get its code (a page of the
    /// site, with its chrome; not an embed itself).
    EmbedPlayground,
    NotFound,
}

impl Route {
    /// The route of a path (no query, no fragment). A trailing `/` is ignored; an empty
    /// or badly encoded segment is not found.
    pub fn parse(path: &str) -> Route {
        let trimmed = path.strip_suffix('/').unwrap_or(path);
        if trimmed.is_empty() {
            return Route::Directory;
        }
        let Some(rest) = trimmed.strip_prefix('/') else { return Route::NotFound };
        let Some(segs) = rest.split('/').map(|s| decode(s).filter(|d| !d.is_empty())).collect::<Option<Vec<String>>>()
        else {
            return Route::NotFound;
        };
        match segs.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["u", s] => Route::Profile { streamer: s.to_string() },
            ["u", s, "replays", r] => Route::Watch { streamer: s.to_string(), replay: r.to_string() },
            ["embed", "playground"] => Route::EmbedPlayground,
            ["embed", "replays", r] => Route::EmbedReplay { replay: r.to_string() },
            ["embed", "u", s] => Route::EmbedProfile { streamer: s.to_string() },
            _ => Route::NotFound,
        }
    }

    /// The address of this route, which [`Route::parse`] reads back. `NotFound` gets an
    /// address that is not found.
    pub fn href(&self) -> String {
        match self {
            Route::Directory => "/".into(),
            Route::Profile { streamer } => format!("/u/{}", encode(streamer)),
            Route::Watch { streamer, replay } => format!("/u/{}/replays/{}", encode(streamer), encode(replay)),
            Route::EmbedReplay { replay } => format!("/embed/replays/{}", encode(replay)),
            Route::EmbedProfile { streamer } => format!("/embed/u/{}", encode(streamer)),
            Route::EmbedPlayground => "/embed/playground".into(),
            Route::NotFound => "/404".into(),
        }
    }

    /// A streamer's profile page.
    pub fn profile(streamer: &str) -> Route {
        Route::Profile { streamer: streamer.into() }
    }

    /// A replay's watch page.
    pub fn watch(streamer: &str, replay: i64) -> Route {
        Route::Watch { streamer: streamer.into(), replay: replay.to_string() }
    }

    /// A replay's page for iframes.
    pub fn embed_replay(replay: i64) -> Route {
        Route::EmbedReplay { replay: replay.to_string() }
    }

    /// Pages for iframes: no site chrome.
    pub fn is_embed(&self) -> bool {
        matches!(self, Route::EmbedReplay { .. } | Route::EmbedProfile { .. })
    }
}

/// The value of `name` in a query string (`?t=95&x=1`), decoded; `+` is a space.
pub fn query_value(search: &str, name: &str) -> Option<String> {
    search.strip_prefix('?').unwrap_or(search).split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(&k.replace('+', " "))? == name).then(|| decode(&v.replace('+', " "))).flatten()
    })
}

/// Where the app is: path and query of the address bar, kept current.
#[derive(Clone, Copy)]
pub struct Location {
    pub path: RwSignal<String>,
    /// The query string with its `?`, or empty.
    pub search: RwSignal<String>,
}

impl Location {
    /// The value of a query parameter now (not tracked).
    pub fn query(&self, name: &str) -> Option<String> {
        self.search.with_untracked(|s| query_value(s, name))
    }
}

/// Starts following the address bar: back/forward, and clicks on links within the app,
/// which become history entries instead of page loads. Call once, at the root.
pub fn provide_location() -> Location {
    let current = || {
        let l = browser::window().location();
        (l.pathname().unwrap_or_else(|_| "/".into()), l.search().unwrap_or_default())
    };
    let (path, search) = current();
    let location = Location { path: RwSignal::new(path), search: RwSignal::new(search) };
    let sync = move || {
        let (path, search) = current();
        location.path.set(path);
        location.search.set(search);
    };
    let on_pop = Closure::<dyn FnMut()>::new(sync);
    let _ = browser::window().add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
    on_pop.forget();
    let on_click = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(move |e: web_sys::MouseEvent| {
        if let Some(href) = in_app_link(&e) {
            e.prevent_default();
            navigate(&href, sync);
        }
    });
    if let Some(doc) = browser::window().document() {
        let _ = doc.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    }
    on_click.forget();
    provide_context(location);
    location
}

pub fn use_location() -> Location {
    expect_context::<Location>()
}

/// The path + query + fragment a click should go to inside the app, if it is a plain
/// left click on a same-origin link meant for this tab.
fn in_app_link(e: &web_sys::MouseEvent) -> Option<String> {
    if e.default_prevented() || e.button() != 0 || e.meta_key() || e.ctrl_key() || e.shift_key() || e.alt_key() {
        return None;
    }
    let target: web_sys::Element = e.target()?.dyn_into().ok()?;
    let a: web_sys::HtmlAnchorElement = target.closest("a[href]").ok()??.dyn_into().ok()?;
    if !matches!(a.target().as_str(), "" | "_self") || a.has_attribute("download") {
        return None;
    }
    let here = browser::window().location();
    if a.origin() != here.origin().ok()? {
        return None;
    }
    let same_page = a.pathname() == here.pathname().ok()? && a.search() == here.search().ok()?;
    if same_page && !a.hash().is_empty() {
        return None; // an anchor on this page: the browser scrolls to it
    }
    Some(format!("{}{}{}", a.pathname(), a.search(), a.hash()))
}

/// Goes to `href` (path, query, fragment) within the app: a new history entry, then the
/// page at the top.
fn navigate(href: &str, sync: impl Fn()) {
    let w = browser::window();
    if let Ok(history) = w.history()
        && history.push_state_with_url(&JsValue::NULL, "", Some(href)).is_err()
    {
        // Refused (an opaque origin, say): load it the ordinary way.
        let _ = w.location().set_href(href);
        return;
    }
    sync();
    w.scroll_to_with_x_and_y(0.0, 0.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_from_paths() {
        assert_eq!(Route::parse("/"), Route::Directory);
        assert_eq!(Route::parse(""), Route::Directory);
        assert_eq!(Route::parse("/u/mei"), Route::Profile { streamer: "mei".into() });
        assert_eq!(Route::parse("/u/mei/"), Route::Profile { streamer: "mei".into() });
        assert_eq!(Route::parse("/u/mei/replays/42"), Route::Watch { streamer: "mei".into(), replay: "42".into() });
        assert_eq!(Route::parse("/embed/replays/42"), Route::EmbedReplay { replay: "42".into() });
        assert_eq!(Route::parse("/embed/u/mei"), Route::EmbedProfile { streamer: "mei".into() });
        assert!(Route::parse("/embed/u/mei").is_embed() && !Route::parse("/u/mei").is_embed());
        assert_eq!(Route::parse("/embed/playground/"), Route::EmbedPlayground);
        assert!(!Route::EmbedPlayground.is_embed(), "the playground has the site's chrome");
        for missing in [
            "/u",
            "/u/",
            "/u//replays/1",
            "/u/mei/replays",
            "/u/mei/x/1",
            "/embed",
            "/embed/u",
            "/nope",
            "nope",
            "/u/%ZZ",
            "/u/%E4%B8",
        ] {
            assert_eq!(Route::parse(missing), Route::NotFound, "{missing}");
        }
    }

    #[test]
    fn segments_are_percent_decoded_as_the_app_encodes_them() {
        for id in ["mei", "小明 live", "a/b", "50%", "x+y"] {
            let path = format!("/u/{}", encode(id));
            assert_eq!(Route::parse(&path), Route::Profile { streamer: id.into() }, "{path}");
        }
    }

    #[test]
    fn hrefs_parse_back_to_their_routes() {
        let ids = ["mei", "小明 live", "a/b", "50%", "x+y", "?t=1#x", "u", "replays", "..x"];
        let mut routes = vec![
            Route::Directory,
            Route::NotFound,
            Route::EmbedPlayground,
            Route::embed_replay(42),
            Route::watch("mei", 7),
        ];
        for id in ids {
            routes.push(Route::profile(id));
            routes.push(Route::Watch { streamer: id.into(), replay: id.into() });
            routes.push(Route::EmbedReplay { replay: id.into() });
            routes.push(Route::EmbedProfile { streamer: id.into() });
        }
        for route in routes {
            assert_eq!(Route::parse(&route.href()), route, "{}", route.href());
        }
        assert_eq!(Route::watch("mei", 42).href(), "/u/mei/replays/42");
        assert_eq!(Route::embed_replay(42).href(), "/embed/replays/42");
        assert_eq!(Route::profile("小明").href(), format!("/u/{}", encode("小明")));
    }

    #[test]
    fn query_values() {
        assert_eq!(query_value("?t=95", "t").as_deref(), Some("95"));
        assert_eq!(query_value("?a=1&t=1h2m3s", "t").as_deref(), Some("1h2m3s"));
        assert_eq!(query_value("t=12&x", "x").as_deref(), Some(""));
        assert_eq!(query_value("?q=a+b%21", "q").as_deref(), Some("a b!"));
        assert_eq!(query_value("?tt=1", "t"), None);
        assert_eq!(query_value("", "t"), None);
    }
}
