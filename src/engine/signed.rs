//! Play URLs signed for a CDN's hotlink protection (Tencent VOD's Key): a part whose
//! `url_expires_at` is set stops working then, and its host answers 403. The engine
//! does not know the API: the player hands it a [`Refresh`], which asks the server for
//! a part's freshly signed URL. A [`SignedUrl`] is renewed before a new read when it
//! expires in less than [`REFRESH_BEFORE`] seconds (unless it was had less than that
//! ago: [`renew_first`]), and once after a 403 (the read is then made again, from the
//! same byte or segment); a second 403 on a fresh URL is an error
//! ([`Key::ErrRefused`](crate::i18n::Key::ErrRefused)).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// Seconds before its expiry from which a URL is renewed before it is read.
pub const REFRESH_BEFORE: f64 = 30.0;

/// A part's play URL as the API gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct PartUrl {
    pub url: String,
    /// Unix seconds; `None`: not signed.
    pub expires_at: Option<i64>,
}

pub type RefreshFuture = Pin<Box<dyn Future<Output = Option<PartUrl>>>>;

/// Asks for part `index`'s URL again, freshly signed (`None`: it could not be had).
pub type Refresh = Rc<dyn Fn(usize) -> RefreshFuture>;

/// What an answer to a read means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Read it (or handle its status as any other).
    Read,
    /// A signed URL refused: renew it and read again.
    Renew,
    /// Refused again, with a URL renewed for this read: give up.
    Refused,
}

/// What to do with an answer of `status` to a read of a URL (`signed`: it has an
/// expiry and can be renewed), `renewed` once already for this read.
pub fn verdict(status: u16, signed: bool, renewed: bool) -> Verdict {
    match status {
        403 if signed && !renewed => Verdict::Renew,
        403 if signed => Verdict::Refused,
        _ => Verdict::Read,
    }
}

/// Whether to renew a URL expiring at `expires_at` before reading it at `now` (Unix
/// seconds): less than [`REFRESH_BEFORE`] seconds left, unless it was had (given or
/// renewed, at `had_at`) within that long: a URL signed for less than that (or a clock
/// far from the server's) would be renewed before every read, for a URL no better;
/// such a one is renewed when refused.
pub fn renew_first(expires_at: Option<i64>, now: f64, had_at: f64) -> bool {
    let Some(expires_at) = expires_at else { return false };
    expires_at as f64 - now < REFRESH_BEFORE && now - had_at >= REFRESH_BEFORE
}

/// One part's URL, kept fresh.
pub struct SignedUrl {
    index: usize,
    url: RefCell<String>,
    expires_at: Cell<Option<i64>>,
    /// When it was given or last renewed (Unix seconds).
    had_at: Cell<f64>,
    refresh: Option<Refresh>,
}

impl SignedUrl {
    /// Part `index`'s URL; renewable when it expires and `refresh` is given.
    pub fn new(index: usize, url: String, expires_at: Option<i64>, refresh: Option<Refresh>) -> Self {
        let refresh = refresh.filter(|_| expires_at.is_some());
        SignedUrl {
            index,
            url: RefCell::new(url),
            expires_at: Cell::new(expires_at),
            had_at: Cell::new(now()),
            refresh,
        }
    }

    /// The URL as it is now.
    pub fn get(&self) -> String {
        self.url.borrow().clone()
    }

    /// It expires and can be renewed: a 403 means "ask again".
    pub fn signed(&self) -> bool {
        self.refresh.is_some()
    }

    /// It is about to expire: renew it before the next read.
    pub fn expiring(&self) -> bool {
        self.signed() && renew_first(self.expires_at.get(), now(), self.had_at.get())
    }

    /// The URL for a new read: renewed first if it is about to expire (if that fails,
    /// the one there is).
    pub async fn fresh(&self) -> String {
        if self.expiring() {
            self.renew().await;
        }
        self.get()
    }

    /// Asks for a freshly signed URL; `false` when none came.
    pub async fn renew(&self) -> bool {
        let Some(refresh) = &self.refresh else { return false };
        self.had_at.set(now());
        match refresh(self.index).await {
            Some(fresh) => {
                web_sys::console::debug_1(&format!("part {} URL renewed", self.index).into());
                *self.url.borrow_mut() = fresh.url;
                self.expires_at.set(fresh.expires_at);
                true
            }
            None => false,
        }
    }
}

fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_signed_url_is_renewed_once() {
        assert_eq!(verdict(403, true, false), Verdict::Renew);
        assert_eq!(verdict(403, true, true), Verdict::Refused, "refused again with a fresh URL");
        assert_eq!(verdict(403, false, false), Verdict::Read, "not signed: a 403 is as before");
        for status in [200, 206, 404, 410, 500] {
            assert_eq!(verdict(status, true, false), Verdict::Read, "{status}");
        }
    }

    #[test]
    fn a_url_about_to_expire_is_renewed_before_a_read() {
        let now = 1_000_000.0;
        let long_ago = now - 3600.0;
        assert!(!renew_first(None, now, long_ago), "not signed");
        assert!(!renew_first(Some(1_000_060), now, long_ago), "a minute left");
        assert!(renew_first(Some(1_000_029), now, long_ago), "less than 30 s left");
        assert!(renew_first(Some(999_000), now, long_ago), "expired");
        assert!(!renew_first(Some(1_000_010), now, now - 5.0), "just had: signed for less than 30 s, or a clock off");
        assert!(!renew_first(Some(999_990), now, now - 20.0), "expired, but had 20 s ago: renewed when refused");
        assert!(renew_first(Some(1_000_010), now, now - 31.0));
    }
}
