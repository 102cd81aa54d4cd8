//! Touch gestures on the picture, as phone players have them (xgplayer's mobile plugin,
//! YouTube's app): a double tap on the left or right third seeks 10 s back or on (again
//! within a moment: 20 s, 30 s…, shown in a ripple on that side), in the middle third
//! toggles full screen; a long press plays at 2× while held; a horizontal drag scrubs,
//! seeking where it is let go. A single tap does what a click does, once it is sure no
//! second tap follows ([`DOUBLE_TAP`]). Vertical moves are the page's (`touch-action:
//! pan-y` on the element): the browser scrolls and cancels the pointer.
//!
//! [`Classifier`] is the pure part — pointer downs, moves and ups with their times in,
//! gestures out — tested natively. [`install`] feeds it a `<video>`'s touch pointer
//! events and its two timers and acts on what it says; mouse and pen input never reach
//! it, so clicks behave as they always did. Every gesture has a control or a key too.

use leptos::prelude::*;

use super::state::PlayerState;
use crate::format::clock;
use crate::i18n::{Key, fill, use_i18n};

/// How long after a tap a second one makes it a double tap (ms); a single tap waits
/// this long before it counts.
pub const DOUBLE_TAP: f64 = 280.0;
/// Held this long without moving, a press is a long press (ms).
pub const LONG_PRESS: f64 = 500.0;
/// A finger moving less than this (CSS px) still taps.
pub const SLOP: f64 = 10.0;
/// A double tap this soon after the last seek on the same side adds to it (ms).
pub const STREAK: f64 = 1000.0;
/// Seconds a double tap on a side seeks.
pub const SEEK_STEP: f64 = 10.0;
/// The rate a long press plays at.
pub const FAST_RATE: f64 = 2.0;
/// A drag across the whole picture covers the whole replay, but at most this (s).
pub const DRAG_SPAN: f64 = 120.0;

/// A third of the picture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Zone {
    Left,
    Middle,
    Right,
}

/// The third of a `width`-wide picture that `x` (from its left) is in.
pub fn zone(x: f64, width: f64) -> Zone {
    if width <= 0.0 || x < width / 3.0 {
        Zone::Left
    } else if x < width * 2.0 / 3.0 {
        Zone::Middle
    } else {
        Zone::Right
    }
}

/// Where a drag of `dx` px across a `width`-wide picture, begun at `start` s, goes.
pub fn drag_target(start: f64, dx: f64, width: f64, duration: f64) -> f64 {
    let span = if duration > 0.0 { duration.min(DRAG_SPAN) } else { DRAG_SPAN };
    let t = start + if width > 0.0 { dx / width * span } else { 0.0 };
    if duration > 0.0 { t.clamp(0.0, duration) } else { t.max(0.0) }
}

/// What the pointer did, as the player acts on it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gesture {
    /// A tap with no second one after it: what a click does.
    Tap,
    /// Seek by `by` s; `total` is the streak so far on this side (shown in the ripple).
    Seek {
        by: f64,
        total: f64,
    },
    /// A double tap in the middle third.
    ToggleFullscreen,
    LongPressStart,
    LongPressEnd,
    /// Dragging sideways: `dx` px from where the finger went down.
    Scrub {
        dx: f64,
    },
    /// Let go after dragging: seek there.
    ScrubEnd {
        dx: f64,
    },
    /// The drag came to nothing (the browser took the pointer).
    ScrubCancel,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Held {
    /// Down, not yet moved beyond the slop nor held long.
    Pending,
    LongPress,
    Drag,
    /// Moved vertically (the page scrolls) or cancelled: nothing until the next down.
    Ignored,
}

/// One finger's gestures over time. Times are milliseconds from any fixed origin.
#[derive(Clone, Debug, Default)]
pub struct Classifier {
    /// The press under way: where and when it went down, and what it is so far.
    press: Option<(f64, f64, f64, Held)>,
    /// Counts downs and ups, so a timer set for one knows whether it is stale.
    serial: u32,
    /// The last tap's end (time, zone), waiting to see if a second comes.
    tap: Option<(f64, Zone, u32)>,
    /// The last seek: when, which side, the streak's total.
    streak: Option<(f64, Zone, f64)>,
}

impl Classifier {
    /// A finger down at (`x`, `y`) on a picture `width` wide. Returns the press's serial:
    /// call [`Self::long_press_due`] with it [`LONG_PRESS`] ms later.
    pub fn down(&mut self, t: f64, x: f64, y: f64) -> u32 {
        self.serial = self.serial.wrapping_add(1);
        self.press = Some((t, x, y, Held::Pending));
        self.serial
    }

    /// The long-press timer of press `serial` fired: a long press if that finger is
    /// still down and has not moved.
    pub fn long_press_due(&mut self, serial: u32) -> Option<Gesture> {
        match &mut self.press {
            Some((_, _, _, state @ Held::Pending)) if serial == self.serial => {
                *state = Held::LongPress;
                // A long press is no tap: nor the first half of a double tap.
                self.tap = None;
                Some(Gesture::LongPressStart)
            }
            _ => None,
        }
    }

    /// The finger moved to (`x`, `y`).
    pub fn moved(&mut self, x: f64, y: f64) -> Option<Gesture> {
        let (_, x0, y0, state) = self.press.as_mut()?;
        let (dx, dy) = (x - *x0, y - *y0);
        match *state {
            Held::Pending if dx.abs() > SLOP || dy.abs() > SLOP => {
                if dx.abs() > dy.abs() {
                    *state = Held::Drag;
                    self.tap = None;
                    Some(Gesture::Scrub { dx })
                } else {
                    *state = Held::Ignored;
                    None
                }
            }
            Held::Drag => Some(Gesture::Scrub { dx }),
            _ => None,
        }
    }

    /// The finger left the screen at `x` (from the left of a picture `width` wide).
    /// A first tap answers nothing yet: call [`Self::tap_due`] with the serial in
    /// `pending` [`DOUBLE_TAP`] ms later.
    pub fn up(&mut self, t: f64, x: f64, width: f64) -> Release {
        let Some((t0, x0, _, state)) = self.press.take() else { return Release::Nothing };
        self.serial = self.serial.wrapping_add(1);
        match state {
            Held::LongPress => Release::Now(Gesture::LongPressEnd),
            Held::Drag => Release::Now(Gesture::ScrubEnd { dx: x - x0 }),
            Held::Ignored => Release::Nothing,
            Held::Pending if t - t0 >= LONG_PRESS => Release::Nothing,
            Held::Pending => {
                let z = zone(x0, width);
                match self.tap.take() {
                    Some((t1, z1, _)) if t0 - t1 <= DOUBLE_TAP && z1 == z => Release::Now(self.double_tap(t, z)),
                    _ => {
                        self.tap = Some((t, z, self.serial));
                        Release::Pending(self.serial)
                    }
                }
            }
        }
    }

    fn double_tap(&mut self, t: f64, z: Zone) -> Gesture {
        let by = match z {
            Zone::Middle => {
                self.streak = None;
                return Gesture::ToggleFullscreen;
            }
            Zone::Left => -SEEK_STEP,
            Zone::Right => SEEK_STEP,
        };
        let total = match self.streak {
            Some((t1, z1, total)) if z1 == z && t - t1 <= STREAK => total + by,
            _ => by,
        };
        self.streak = Some((t, z, total));
        Gesture::Seek { by, total }
    }

    /// The double-tap timer of tap `serial` fired: a single tap if no second came.
    pub fn tap_due(&mut self, serial: u32) -> Option<Gesture> {
        match self.tap {
            Some((_, _, s)) if s == serial => {
                self.tap = None;
                Some(Gesture::Tap)
            }
            _ => None,
        }
    }

    /// The browser took the pointer (it scrolls the page, say).
    pub fn cancel(&mut self) -> Option<Gesture> {
        let (_, _, _, state) = self.press.take()?;
        self.serial = self.serial.wrapping_add(1);
        match state {
            Held::LongPress => Some(Gesture::LongPressEnd),
            Held::Drag => Some(Gesture::ScrubCancel),
            _ => None,
        }
    }
}

/// What a finger leaving the screen means.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Release {
    Nothing,
    Now(Gesture),
    /// A tap, unless a second comes: ask again with this serial after [`DOUBLE_TAP`] ms.
    Pending(u32),
}

/// What the gestures show over the picture: the seek ripple on its side, the 2× badge,
/// the time being dragged to.
#[derive(Clone, Copy)]
pub struct GestureView {
    /// The side and the streak's seconds, while the ripple shows.
    pub ripple: RwSignal<Option<(Zone, f64, u32)>>,
    pub fast: RwSignal<bool>,
    /// The time being dragged to, and the change from where the drag began.
    pub drag: RwSignal<Option<(f64, f64)>>,
}

impl PlayerState {
    /// Acts on a gesture (the `<video>`'s touch input, [`install`]).
    pub fn on_gesture(
        self,
        g: Gesture,
        view: GestureView,
        width: f64,
        drag_from: StoredValue<f64>,
        rate: StoredValue<f64>,
    ) {
        let Some(v) = self.video() else { return };
        match g {
            Gesture::Tap => {
                // As a click by a finger always did: hidden controls come back, else play/pause.
                if self.controls_shown.get_untracked() || !self.playing.get_untracked() {
                    self.play_pause()
                } else {
                    self.poke()
                }
            }
            Gesture::Seek { by, total } => {
                self.seek_to(self.now() + by);
                let z = if by < 0.0 { Zone::Left } else { Zone::Right };
                let n = view.ripple.get_untracked().map_or(0, |r| r.2.wrapping_add(1));
                view.ripple.set(Some((z, total, n)));
                set_timeout(
                    move || {
                        if view.ripple.get_untracked().is_some_and(|r| r.2 == n) {
                            let _ = view.ripple.try_set(None);
                        }
                    },
                    std::time::Duration::from_millis(STREAK as u64),
                );
            }
            Gesture::ToggleFullscreen => self.toggle_fullscreen(),
            // While playing; the element's rate only: the remembered one (the speed menu's) stays.
            Gesture::LongPressStart if self.playing.get_untracked() => {
                rate.set_value(v.playback_rate());
                v.set_playback_rate(FAST_RATE);
                view.fast.set(true);
            }
            Gesture::LongPressStart => {}
            Gesture::LongPressEnd if view.fast.get_untracked() => {
                v.set_playback_rate(rate.get_value());
                view.fast.set(false);
            }
            Gesture::LongPressEnd => {}
            Gesture::Scrub { dx } => {
                if view.drag.get_untracked().is_none() {
                    drag_from.set_value(self.now());
                }
                let t = drag_target(drag_from.get_value(), dx, width, self.duration.get_untracked());
                view.drag.set(Some((t, t - drag_from.get_value())));
            }
            Gesture::ScrubEnd { dx } => {
                let t = drag_target(drag_from.get_value(), dx, width, self.duration.get_untracked());
                view.drag.set(None);
                self.seek_to(t);
            }
            Gesture::ScrubCancel => view.drag.set(None),
        }
    }
}

/// Feeds the `<video>`'s touch pointers to a [`Classifier`] and acts on the gestures.
/// Returns what to show over the picture ([`GestureOverlay`]).
pub fn install(p: PlayerState) -> GestureView {
    use wasm_bindgen::JsCast;
    let view = GestureView { ripple: RwSignal::new(None), fast: RwSignal::new(false), drag: RwSignal::new(None) };
    let c = StoredValue::new(Classifier::default());
    let (drag_from, rate) = (StoredValue::new(0.0), StoredValue::new(1.0));
    let now = js_sys::Date::now;
    let width = move || p.video().map_or(0.0, |v| f64::from(v.client_width()));
    let act = move |g: Gesture| p.on_gesture(g, view, width(), drag_from, rate);
    let local_x = move |ev: &web_sys::PointerEvent| {
        p.video().map_or(0.0, |v| f64::from(ev.client_x()) - v.get_bounding_client_rect().left())
    };
    let touch = |ev: &web_sys::Event| -> Option<web_sys::PointerEvent> {
        let ev = ev.dyn_ref::<web_sys::PointerEvent>()?;
        (ev.pointer_type() == "touch" && ev.is_primary()).then(|| ev.clone())
    };
    let listeners = StoredValue::new_local(Vec::new());
    Effect::new(move |_| {
        let Some(v) = p.video_ref.get() else { return };
        let target: &web_sys::EventTarget = v.as_ref();
        listeners.set_value(vec![
            crate::browser::listen(target, "pointerdown", move |ev| {
                let Some(ev) = touch(&ev) else { return };
                let serial = c.try_update_value(|c| c.down(now(), local_x(&ev), f64::from(ev.client_y())));
                let Some(serial) = serial else { return };
                set_timeout(
                    move || {
                        if let Some(Some(g)) = c.try_update_value(|c| c.long_press_due(serial)) {
                            act(g)
                        }
                    },
                    std::time::Duration::from_millis(LONG_PRESS as u64),
                );
            }),
            crate::browser::listen(target, "pointermove", move |ev| {
                let Some(ev) = touch(&ev) else { return };
                if let Some(Some(g)) = c.try_update_value(|c| c.moved(local_x(&ev), f64::from(ev.client_y()))) {
                    act(g)
                }
            }),
            crate::browser::listen(target, "pointerup", move |ev| {
                let Some(ev) = touch(&ev) else { return };
                let released = c.try_update_value(|c| c.up(now(), local_x(&ev), width()));
                match released {
                    Some(Release::Now(g)) => act(g),
                    Some(Release::Pending(serial)) => set_timeout(
                        move || {
                            if let Some(Some(g)) = c.try_update_value(|c| c.tap_due(serial)) {
                                act(g)
                            }
                        },
                        std::time::Duration::from_millis(DOUBLE_TAP as u64),
                    ),
                    _ => {}
                }
            }),
            crate::browser::listen(target, "pointercancel", move |ev| {
                if touch(&ev).is_none() {
                    return;
                }
                if let Some(Some(g)) = c.try_update_value(Classifier::cancel) {
                    act(g)
                }
            }),
            // A long press on a video opens the browser's menu (save, loop…): not here.
            crate::browser::listen(target, "contextmenu", move |ev| {
                if p.touch_input.get_value() {
                    ev.prevent_default();
                }
            }),
        ]);
    });
    view
}

/// The ripple on the side a double tap seeks, the 2× badge of a long press, and the
/// time (and storyboard tile) a drag goes to.
#[component]
pub fn GestureOverlay(view: GestureView) -> impl IntoView {
    let (i18n, p) = (use_i18n(), super::state::use_player());
    let previews = p.previews;
    let seconds = move |s: f64| {
        let n = crate::format::decimal(s.abs(), 0);
        let sign = if s < 0.0 { "−" } else { "+" };
        format!("{sign}{}", fill(i18n.t(Key::Seconds), &[("n", &n)]))
    };
    view! {
        {move || view.ripple.get().map(|(z, total, n)| view! {
            <div class="gesture-ripple" class:left=z == Zone::Left class:right=z == Zone::Right data-n=n aria-hidden="true">
                <span>{seconds(total)}</span>
            </div>
        })}
        <Show when=move || view.fast.get()>
            <div class="gesture-fast" role="status">
                <span aria-hidden="true">"2× ▶▶"</span>
                <span class="visually-hidden">{move || i18n.t(Key::FastForward)}</span>
            </div>
        </Show>
        {move || view.drag.get().map(|(t, delta)| {
            previews.want(p);
            let tile = previews.tile_at(t);
            view! {
                <div class="gesture-drag" aria-hidden="true">
                    {tile.map(|tile| view! { <super::preview::SeekPreview tile/> })}
                    <span class="gesture-drag-time">{clock(t)}" / "{clock(p.duration.get_untracked())}</span>
                    <span class="gesture-drag-delta">{seconds(delta)}</span>
                </div>
            }
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: f64 = 300.0;

    /// A tap from `t` to `t + 80` ms at `x`.
    fn tap(c: &mut Classifier, t: f64, x: f64) -> Release {
        c.down(t, x, 100.0);
        c.up(t + 80.0, x, W)
    }

    #[test]
    fn thirds() {
        assert_eq!(zone(0.0, W), Zone::Left);
        assert_eq!(zone(99.0, W), Zone::Left);
        assert_eq!(zone(100.0, W), Zone::Middle);
        assert_eq!(zone(199.0, W), Zone::Middle);
        assert_eq!(zone(200.0, W), Zone::Right);
        assert_eq!(zone(50.0, 0.0), Zone::Left, "no width: no panic");
    }

    #[test]
    fn a_single_tap_counts_once_no_second_follows() {
        let mut c = Classifier::default();
        let Release::Pending(serial) = tap(&mut c, 0.0, 150.0) else { panic!("a first tap waits") };
        assert_eq!(c.tap_due(serial), Some(Gesture::Tap));
        assert_eq!(c.tap_due(serial), None, "once");
    }

    #[test]
    fn a_double_tap_on_a_side_seeks_and_no_single_tap_follows() {
        let mut c = Classifier::default();
        let Release::Pending(first) = tap(&mut c, 0.0, 250.0) else { panic!() };
        assert_eq!(tap(&mut c, 200.0, 260.0), Release::Now(Gesture::Seek { by: 10.0, total: 10.0 }));
        assert_eq!(c.tap_due(first), None, "the first tap's timer finds it taken");
        let mut c = Classifier::default();
        tap(&mut c, 0.0, 20.0);
        assert_eq!(tap(&mut c, 150.0, 30.0), Release::Now(Gesture::Seek { by: -10.0, total: -10.0 }));
    }

    #[test]
    fn a_double_tap_in_the_middle_toggles_full_screen() {
        let mut c = Classifier::default();
        tap(&mut c, 0.0, 150.0);
        assert_eq!(tap(&mut c, 200.0, 160.0), Release::Now(Gesture::ToggleFullscreen));
    }

    #[test]
    fn taps_too_far_apart_in_time_or_place_are_two_taps() {
        let mut c = Classifier::default();
        let Release::Pending(a) = tap(&mut c, 0.0, 250.0) else { panic!() };
        assert_eq!(c.tap_due(a), Some(Gesture::Tap));
        assert!(matches!(tap(&mut c, 500.0, 250.0), Release::Pending(_)), "after the window: a new first tap");
        let mut c = Classifier::default();
        tap(&mut c, 0.0, 250.0);
        assert!(matches!(tap(&mut c, 150.0, 20.0), Release::Pending(_)), "the other side: a new first tap");
    }

    #[test]
    fn consecutive_double_taps_on_one_side_add_up() {
        let mut c = Classifier::default();
        tap(&mut c, 0.0, 250.0);
        assert_eq!(tap(&mut c, 150.0, 250.0), Release::Now(Gesture::Seek { by: 10.0, total: 10.0 }));
        tap(&mut c, 400.0, 250.0);
        assert_eq!(tap(&mut c, 550.0, 250.0), Release::Now(Gesture::Seek { by: 10.0, total: 20.0 }));
        // The other side starts its own streak; a pause ends one.
        tap(&mut c, 800.0, 20.0);
        assert_eq!(tap(&mut c, 950.0, 20.0), Release::Now(Gesture::Seek { by: -10.0, total: -10.0 }));
        tap(&mut c, 3000.0, 20.0);
        assert_eq!(tap(&mut c, 3150.0, 20.0), Release::Now(Gesture::Seek { by: -10.0, total: -10.0 }));
    }

    #[test]
    fn a_long_press_is_no_tap() {
        let mut c = Classifier::default();
        let s = c.down(0.0, 150.0, 100.0);
        assert_eq!(c.long_press_due(s), Some(Gesture::LongPressStart));
        assert_eq!(c.moved(153.0, 102.0), None, "a finger trembling while held");
        assert_eq!(c.up(900.0, 150.0, W), Release::Now(Gesture::LongPressEnd));
        // Nor the first half of a double tap.
        assert!(matches!(tap(&mut c, 1000.0, 150.0), Release::Pending(_)));
        // A long press the browser cancels still ends.
        let s = c.down(2000.0, 150.0, 100.0);
        c.long_press_due(s);
        assert_eq!(c.cancel(), Some(Gesture::LongPressEnd));
    }

    #[test]
    fn a_stale_long_press_timer_does_nothing() {
        let mut c = Classifier::default();
        let s = c.down(0.0, 150.0, 100.0);
        c.up(100.0, 150.0, W);
        assert_eq!(c.long_press_due(s), None, "lifted before the timer");
        let s = c.down(200.0, 150.0, 100.0);
        c.up(300.0, 150.0, W);
        c.down(400.0, 150.0, 100.0);
        assert_eq!(c.long_press_due(s), None, "another press is down now");
        let s = c.down(0.0, 150.0, 100.0);
        c.moved(170.0, 100.0);
        assert_eq!(c.long_press_due(s), None, "dragging");
    }

    #[test]
    fn a_sideways_drag_scrubs_and_a_vertical_one_is_the_page_s() {
        let mut c = Classifier::default();
        c.down(0.0, 100.0, 100.0);
        assert_eq!(c.moved(105.0, 101.0), None, "within the slop");
        assert_eq!(c.moved(130.0, 105.0), Some(Gesture::Scrub { dx: 30.0 }));
        assert_eq!(c.moved(160.0, 140.0), Some(Gesture::Scrub { dx: 60.0 }), "a drag stays one");
        assert_eq!(c.up(300.0, 170.0, W), Release::Now(Gesture::ScrubEnd { dx: 70.0 }));

        c.down(1000.0, 100.0, 100.0);
        assert_eq!(c.moved(104.0, 130.0), None, "vertical: the page scrolls");
        assert_eq!(c.moved(160.0, 130.0), None, "and stays the page's");
        assert_eq!(c.up(1100.0, 160.0, W), Release::Nothing, "no tap either");

        c.down(2000.0, 100.0, 100.0);
        c.moved(130.0, 100.0);
        assert_eq!(c.cancel(), Some(Gesture::ScrubCancel));
    }

    #[test]
    fn a_slow_lift_without_the_timer_is_no_tap() {
        let mut c = Classifier::default();
        c.down(0.0, 100.0, 100.0);
        assert_eq!(c.up(700.0, 100.0, W), Release::Nothing);
    }

    #[test]
    fn a_drag_covers_the_replay_or_two_minutes() {
        assert_eq!(drag_target(30.0, 150.0, 300.0, 60.0), 60.0, "half the width of a 60 s replay: +30 s");
        assert_eq!(drag_target(30.0, -75.0, 300.0, 60.0), 15.0);
        assert_eq!(drag_target(30.0, -300.0, 300.0, 60.0), 0.0, "clamped at the start");
        assert_eq!(drag_target(600.0, 150.0, 300.0, 3600.0), 660.0, "a long replay: 120 s a width");
        assert_eq!(drag_target(10.0, 50.0, 0.0, 60.0), 10.0, "no width: stays");
    }
}
